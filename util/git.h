/*
 * git.h - files of the project's own git repository as they were at a
 * revision (`mlstack diff`), read through libgit2. The state directory's
 * repository is state/'s business; this one is the user's.
 */
#ifndef MS_GIT_H
#define MS_GIT_H

#include <stddef.h>

struct ms_git_rev;

/*
 * The repository holding path (found upward from its directory) at
 * revision rev, anything git rev-parse takes that names a commit
 * ("HEAD~1", "main", a commit id); NULL: the working tree, read from
 * disk. A path outside any repository, or a revision the repository does
 * not have, is an error that says so.
 */
int ms_git_rev_open(struct ms_git_rev **out, const char *path, const char *rev);
void ms_git_rev_free(struct ms_git_rev *r);
/* "HEAD~1 (3f2a1c9)", or "the working tree". */
const char *ms_git_rev_label(const struct ms_git_rev *r);
/*
 * The bytes of path (absolute, or relative to the current directory) at
 * r: *data (NUL-terminated, the caller's) and *len. MS_ENOTFOUND when
 * the revision has no such file.
 */
int ms_git_rev_read(struct ms_git_rev *r, const char *path, char **data,
		    size_t *len);

/*
 * The best common ancestor of revisions a and b of the repository holding
 * path, as a commit id (*out the caller's): the base of `diff A...B`.
 */
int ms_git_merge_base(char **out, const char *path, const char *a,
		      const char *b);

#endif
