/*
 * git.c - a file of the user's git repository at a revision.
 *
 * Paths are given as the user wrote them; each is made absolute (through
 * its directory's real path, since the file itself may not exist in the
 * working tree) and then relative to the repository's working directory,
 * which is the path of its blob in the revision's tree.
 */
#include "util/common.h"
#include "util/buf.h"
#include "util/file.h"
#include "util/git.h"

#include <git2.h>
#include <libgen.h>
#include <limits.h>

#define READ_MAX (64 << 20) /* a stack file or a file() it reads */

struct ms_git_rev {
	git_repository *repo; /* NULL for the working tree */
	git_tree *tree;
	char *workdir; /* with a trailing '/' */
	char *label;
};

static int fail(const char *what)
{
	const git_error *g = git_error_last();

	return ms_error("%s: %s", what,
			g && g->message ? g->message : "failed");
}

/* The repository holding path. */
static int discover(git_repository **out, const char *path)
{
	git_buf found = GIT_BUF_INIT;
	char *copy = ms_strdup(path);
	int err = 0;

	*out = NULL;
	if (git_repository_discover(&found, dirname(copy), 0, NULL))
		err = ms_error("\"%s\" is not in a git repository: diff "
			       "compares revisions of the stack file",
			       path);
	else if (git_repository_open(out, found.ptr))
		err = fail("git repository");
	else if (git_repository_is_bare(*out))
		err = ms_error("\"%s\": a bare repository has no working tree",
			       found.ptr);
	git_buf_dispose(&found);
	free(copy);
	return err;
}

/* The commit rev names in repo. */
static int commit_of(git_commit **out, git_repository *repo, const char *rev)
{
	git_object *obj = NULL;
	int err = 0;

	*out = NULL;
	if (git_revparse_single(&obj, repo, rev) ||
	    git_object_peel((git_object **)out, obj, GIT_OBJECT_COMMIT))
		err = ms_error("revision \"%s\": not a commit of the "
			       "repository at %s",
			       rev, git_repository_workdir(repo));
	git_object_free(obj);
	return err;
}

int ms_git_merge_base(char **out, const char *path, const char *a,
		      const char *b)
{
	git_repository *repo = NULL;
	git_commit *ca = NULL, *cb = NULL;
	git_oid base;
	char hex[GIT_OID_HEXSZ + 1];
	int err = -1;

	*out = NULL;
	git_libgit2_init();
	if (discover(&repo, path) || commit_of(&ca, repo, a) ||
	    commit_of(&cb, repo, b))
		goto done;
	if (git_merge_base(&base, repo, git_commit_id(ca), git_commit_id(cb))) {
		err = ms_error("revisions \"%s\" and \"%s\" have no common "
			       "ancestor",
			       a, b);
		goto done;
	}
	git_oid_tostr(hex, sizeof(hex), &base);
	*out = ms_strdup(hex);
	err = 0;
done:
	git_commit_free(ca);
	git_commit_free(cb);
	git_repository_free(repo);
	git_libgit2_shutdown();
	return err;
}

int ms_git_rev_open(struct ms_git_rev **out, const char *path, const char *rev)
{
	struct ms_git_rev *r = ms_calloc(1, sizeof(*r));
	git_commit *commit = NULL;
	char oid[8], hex[GIT_OID_HEXSZ + 1];
	int err = -1;

	*out = NULL;
	git_libgit2_init();
	if (!rev) {
		r->label = ms_strdup("the working tree");
		*out = r;
		return 0;
	}
	if (discover(&r->repo, path) || commit_of(&commit, r->repo, rev))
		goto done;
	r->workdir = ms_strdup(git_repository_workdir(r->repo));
	if (git_commit_tree(&r->tree, commit)) {
		err = fail(rev);
		goto done;
	}
	git_oid_tostr(oid, sizeof(oid), git_commit_id(commit));
	git_oid_tostr(hex, sizeof(hex), git_commit_id(commit));
	/* a commit id is its own name */
	r->label = strlen(rev) >= 7 && !strncmp(hex, rev, strlen(rev)) ?
			   ms_strdup(oid) :
			   ms_asprintf("%s (%s)", rev, oid);
	*out = r;
	r = NULL;
	err = 0;
done:
	git_commit_free(commit);
	ms_git_rev_free(r);
	return err;
}

void ms_git_rev_free(struct ms_git_rev *r)
{
	if (!r)
		return;
	git_tree_free(r->tree);
	git_repository_free(r->repo);
	free(r->workdir);
	free(r->label);
	free(r);
	git_libgit2_shutdown();
}

const char *ms_git_rev_label(const struct ms_git_rev *r)
{
	return r->label;
}

/* path, absolute and real up to its last component: a new string. */
static char *absolute(const char *path)
{
	char *dir = ms_strdup(path), *base = ms_strdup(path), real[PATH_MAX];
	char *out = NULL;

	if (realpath(dirname(dir), real))
		out = ms_asprintf("%s/%s", real, basename(base));
	free(dir);
	free(base);
	return out;
}

static int read_disk(const char *path, char **data, size_t *len)
{
	struct ms_buf text = MS_BUF_INIT;
	int err;

	if (!(err = ms_file_read(&text, path, READ_MAX)) && text.len > READ_MAX)
		err = ms_error("\"%s\": over %d bytes", path, READ_MAX);
	if (err) {
		ms_buf_release(&text);
		return err;
	}
	*data = ms_buf_detach(&text, len);
	return 0;
}

int ms_git_rev_read(struct ms_git_rev *r, const char *path, char **data,
		    size_t *len)
{
	git_tree_entry *entry = NULL;
	git_blob *blob = NULL;
	char *full;
	size_t n;
	int err = -1;

	*data = NULL;
	*len = 0;
	if (!r->repo)
		return read_disk(path, data, len);
	full = absolute(path);
	n = strlen(r->workdir);
	if (!full || strncmp(full, r->workdir, n)) {
		err = ms_error("\"%s\": not in the git repository at %s", path,
			       r->workdir);
		goto done;
	}
	if (git_tree_entry_bypath(&entry, r->tree, full + n)) {
		err = MS_ENOTFOUND;
		ms_error("\"%s\": not in revision %s", path, r->label);
		goto done;
	}
	if (git_tree_entry_type(entry) != GIT_OBJECT_BLOB) {
		err = ms_error("\"%s\": not a file in revision %s", path,
			       r->label);
		goto done;
	}
	if (git_blob_lookup(&blob, r->repo, git_tree_entry_id(entry))) {
		err = fail(path);
		goto done;
	}
	if (git_blob_rawsize(blob) > READ_MAX) {
		err = ms_error("\"%s\": over %d bytes", path, READ_MAX);
		goto done;
	}
	*len = (size_t)git_blob_rawsize(blob);
	*data = ms_malloc(*len + 1);
	memcpy(*data, git_blob_rawcontent(blob), *len);
	(*data)[*len] = '\0';
	err = 0;
done:
	git_blob_free(blob);
	git_tree_entry_free(entry);
	free(full);
	return err;
}
