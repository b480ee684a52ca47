/*
 * state.c - the git-versioned state directory (DESIGN §5), through libgit2.
 *
 * The working tree is the truth between commits: every put writes a whole
 * file under a temporary name, fsyncs it, renames it into place and fsyncs
 * the directory, so a crash in mid-apply leaves each file old or new and
 * loses nothing AWS did. Commits only record that tree for review and
 * history. State is read back from git objects in one case only: a reader
 * while another process holds the lock, halfway through its writes, reads
 * the last commit instead (a snapshot), so that it sees one consistent
 * state.
 *
 * Stacks share one repository. Commits are serialised by an flock on
 * .git/mlstack-commit.lock (the index and HEAD are shared), and each
 * stack's version is the id of its own tree, so that a commit of one
 * stack does not change another's.
 *
 * Names become file names, so a stack or resource name is [A-Za-z0-9_-]+
 * and nothing else: no dot, no slash, no way out of the directory.
 */
#include "util/common.h"
#include "state/state.h"
#include "state/internal.h"
#include "util/file.h"
#include "util/interrupt.h"
#include "util/json.h"

#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <pwd.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include <git2.h>

#define NAME_MAX_LEN  MS_STATE_NAME_MAX
#define LOCK_MAX_SIZE 65536
#define JSON_FLAGS    (JSON_SORT_KEYS | JSON_INDENT(2))

static pthread_once_t git_once = PTHREAD_ONCE_INIT;
static int git_init_rc;
static unsigned long tmp_seq;

static void git_init_once(void)
{
	git_init_rc = git_libgit2_init();
}

static void *warm(void *arg)
{
	(void)arg;
	pthread_once(&git_once, git_init_once);
	return NULL;
}

/* the thread ms_state_warm started, until joined (the main thread's) */
static pthread_t warm_thread;
static bool warm_running;

void ms_state_warm(void)
{
	if (!warm_running)
		warm_running = !pthread_create(&warm_thread, NULL, warm, NULL);
}

void ms_state_warm_wait(void)
{
	if (warm_running)
		pthread_join(warm_thread, NULL);
	warm_running = false;
}

/* "state: <what>: <libgit2's message>", returning -1. */
int ms_state_git_fail(const char *fmt, ...)
{
	const git_error *e = git_error_last();
	struct ms_buf what = MS_BUF_INIT;
	va_list ap;
	int rc;

	va_start(ap, fmt);
	ms_buf_vaddf(&what, fmt, ap);
	va_end(ap);
	rc = ms_error("state: %s: %s", what.ptr,
		      e && e->message ? e->message : "unknown error");
	ms_buf_release(&what);
	return rc;
}

static bool valid_name(const char *s)
{
	size_t i;

	if (!s || !*s)
		return false;
	for (i = 0; s[i]; i++) {
		char c = s[i];

		if (i >= NAME_MAX_LEN)
			return false;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '_' || c == '-'))
			return false;
	}
	return true;
}

static int check_resource_name(const char *name)
{
	if (valid_name(name))
		return 0;
	return ms_error("state: invalid resource name '%s' (use letters, "
			"digits, '-' and '_', at most %d)",
			name ? name : "", NAME_MAX_LEN);
}

/* RFC 3339 UTC, second precision: 2026-11-25T19:00:00Z */
void ms_state_format_time(char out[32], time_t t)
{
	struct tm tm;

	if (!gmtime_r(&t, &tm) || !strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(out, 32, "1970-01-01T00:00:00Z");
}

void ms_state_login_name(char *out, size_t n)
{
	struct passwd pw, *res = NULL;
	char buf[16384];
	const char *env;

	if (!getpwuid_r(geteuid(), &pw, buf, sizeof(buf), &res) && res &&
	    res->pw_name && *res->pw_name) {
		snprintf(out, n, "%s", res->pw_name);
		return;
	}
	env = getenv("USER");
	if (!env || !*env)
		env = getenv("LOGNAME");
	if (env && *env)
		snprintf(out, n, "%s", env);
	else
		snprintf(out, n, "uid%ld", (long)geteuid());
}

void ms_state_host_name(char *out, size_t n)
{
	if (gethostname(out, n) < 0 || !*out)
		snprintf(out, n, "localhost");
	out[n - 1] = '\0';
}

static int write_all(int fd, const char *data, size_t len)
{
	while (len) {
		ssize_t w = write(fd, data, len);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		data += w;
		len -= (size_t)w;
	}
	return 0;
}

static int fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc = 0;

	if (fd < 0)
		return ms_error("state: open '%s': %s", dir, strerror(errno));
	/* some filesystems cannot fsync a directory; that is not an error */
	if (fsync(fd) < 0 && errno != EINVAL && errno != ENOTSUP)
		rc = ms_error("state: fsync '%s': %s", dir, strerror(errno));
	close(fd);
	return rc;
}

/*
 * Replace path (in directory dir) with data: temporary file in the same
 * directory (ignored by git as *.tmp), fsync, rename, fsync dir.
 */
static int write_file(const char *dir, const char *path, const char *data,
		      size_t len)
{
	unsigned long seq = __atomic_add_fetch(&tmp_seq, 1, __ATOMIC_RELAXED);
	char *tmp = ms_asprintf("%s.%ld.%lu.tmp", path, (long)getpid(), seq);
	int fd = -1, rc = -1;

	/* state files may hold secrets (docs/secrets.md): the owner's only */
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		ms_error("state: create '%s': %s", tmp, strerror(errno));
		goto done;
	}
	if (write_all(fd, data, len) < 0 || fsync(fd) < 0) {
		ms_error("state: write '%s': %s", tmp, strerror(errno));
		goto done;
	}
	if (close(fd) < 0) {
		fd = -1;
		ms_error("state: write '%s': %s", tmp, strerror(errno));
		goto done;
	}
	fd = -1;
	if (rename(tmp, path) < 0) {
		ms_error("state: rename '%s' to '%s': %s", tmp, path,
			 strerror(errno));
		goto done;
	}
	rc = fsync_dir(dir);

done:
	if (fd >= 0)
		close(fd);
	if (rc < 0)
		unlink(tmp);
	free(tmp);
	return rc;
}

/* The bytes of a state file: sorted keys, two-space indent, newline. */
char *ms_state_dump_json(const json_t *value)
{
	char *s = json_dumps(value, JSON_FLAGS);
	char *out;

	if (!s)
		return NULL;
	out = ms_asprintf("%s\n", s);
	free(s);
	return out;
}

static int write_json(const char *dir, const char *path, const json_t *value)
{
	char *s;
	int rc;

	if (!json_is_object(value))
		return ms_error("state: '%s': value is not a JSON object",
				path);
	s = ms_state_dump_json(value);
	if (!s)
		return ms_error("state: '%s': cannot encode value as JSON",
				path);
	rc = write_file(dir, path, s, strlen(s));
	free(s);
	return rc;
}

/*
 * The blob at path (under the repository's directory) in the snapshot:
 * MS_ENOTFOUND (no message) when it has none.
 */
static int snapshot_blob(git_blob **out, struct ms_state *st, const char *path)
{
	git_tree_entry *entry = NULL;
	const char *rel = path + strlen(st->dir) + 1;
	int err;

	*out = NULL;
	err = git_tree_entry_bypath(&entry, st->snapshot, rel);
	if (err == GIT_ENOTFOUND) {
		git_error_clear();
		return MS_ENOTFOUND;
	}
	if (err < 0)
		return ms_state_git_fail("reading '%s' in the last commit",
					 rel);
	err = git_tree_entry_type(entry) == GIT_OBJECT_BLOB ?
		      git_blob_lookup(out, st->repo, git_tree_entry_id(entry)) :
		      MS_ENOTFOUND;
	git_tree_entry_free(entry);
	if (err < 0 && err != MS_ENOTFOUND)
		return ms_state_git_fail("reading '%s' in the last commit",
					 rel);
	return err < 0 ? MS_ENOTFOUND : 0;
}

/*
 * Load a JSON object; MS_ENOTFOUND (no message) when path does not exist
 * (in the working tree, or in the snapshot when st has one).
 */
static int read_json(json_t **out, struct ms_state *st, const char *path)
{
	struct ms_buf text = MS_BUF_INIT;
	json_error_t jerr;
	json_t *v = NULL;
	git_blob *blob = NULL;
	int err, line, col;

	*out = NULL;
	if (st->snapshot) {
		if ((err = snapshot_blob(&blob, st, path)))
			return err;
		v = json_loadb(git_blob_rawcontent(blob),
			       (size_t)git_blob_rawsize(blob),
			       JSON_REJECT_DUPLICATES, &jerr);
		git_blob_free(blob);
	} else {
		/* whole, not by json_loadf (a character a call: a tenth of
		 * a plan over 16,000 stored resources) */
		if ((err = ms_file_read(&text, path, 0))) {
			ms_buf_release(&text);
			if (err != MS_ENOTFOUND)
				return ms_error("state: %s", ms_error_last());
			ms_error_clear(); /* not found says no more */
			return MS_ENOTFOUND;
		}
		v = json_loadb(text.ptr, text.len, JSON_REJECT_DUPLICATES,
			       &jerr);
		ms_buf_release(&text);
	}
	if (!v) {
		ms_json_error_mark(&jerr, &line, &col);
		return ms_error("state: %s:%d:%d: corrupt JSON: %s", path, line,
				col, jerr.text);
	}
	if (!json_is_object(v)) {
		json_decref(v);
		return ms_error("state: %s: corrupt: not a JSON object", path);
	}
	*out = v;
	return 0;
}

/* An object file that reads as {} when it does not exist yet. */
static int read_object(json_t **out, struct ms_state *st, const char *path)
{
	int rc = read_json(out, st, path);

	if (rc == MS_ENOTFOUND) {
		*out = json_object();
		return 0;
	}
	return rc;
}

static int make_dir(const char *path)
{
	struct stat sb;

	if (mkdir(path, 0777) == 0)
		return 1;
	if (errno == EEXIST && !stat(path, &sb) && S_ISDIR(sb.st_mode))
		return 0;
	return ms_error("state: create directory '%s': %s", path,
			strerror(errno == EEXIST ? ENOTDIR : errno));
}

/* mkdir -p */
static int make_path(const char *path)
{
	char *p = ms_strdup(path), *slash;
	int err = 0;

	for (slash = strchr(p + 1, '/'); slash && !err;
	     slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		if (mkdir(p, 0777) && errno != EEXIST)
			err = ms_error("state: create directory '%s': %s", p,
				       strerror(errno));
		*slash = '/';
	}
	if (!err && mkdir(p, 0777) && errno != EEXIST)
		err = ms_error("state: create directory '%s': %s", p,
			       strerror(errno));
	free(p);
	return err;
}

/* never search upwards: the project around .mlstack/ may be a repo */
static int try_open(git_repository **out, const char *dir)
{
	return git_repository_open_ext(out, dir, GIT_REPOSITORY_OPEN_NO_SEARCH,
				       NULL);
}

static int open_repo(git_repository **out, const char *dir)
{
	git_repository_init_options opts;
	char *init_lock = NULL;
	int err, fd = -1;

	err = try_open(out, dir);
	if (err == GIT_ENOTFOUND) {
		/*
		 * Two commands may create the state at once (two applies on
		 * a fresh stack): one makes the repository while the other
		 * waits on this file, then opens what the first made. The
		 * file matches *.lock, so git ignores it.
		 */
		git_error_clear();
		if (make_path(dir))
			return -1;
		init_lock = ms_asprintf("%s/init.lock", dir);
		fd = open(init_lock, O_CREAT | O_RDWR | O_CLOEXEC, 0666);
		free(init_lock);
		if (fd < 0 || flock(fd, LOCK_EX)) {
			err = ms_error("state: locking '%s' to create it: %s",
				       dir, strerror(errno));
			if (fd >= 0)
				close(fd);
			return err;
		}
		err = try_open(out, dir);
	}
	if (err == GIT_ENOTFOUND) {
		git_error_clear();
		git_repository_init_options_init(
			&opts, GIT_REPOSITORY_INIT_OPTIONS_VERSION);
		opts.flags = GIT_REPOSITORY_INIT_MKPATH;
		opts.initial_head = "main";
		err = git_repository_init_ext(out, dir, &opts);
		if (err < 0)
			err = ms_state_git_fail("creating repository '%s'",
						dir);
		/* its history holds what the files held: the owner's only */
		else if (chmod(dir, 0700) < 0)
			err = ms_error("state: chmod '%s': %s", dir,
				       strerror(errno));
	} else if (err < 0) {
		err = ms_state_git_fail("opening repository '%s'", dir);
	}
	if (fd >= 0)
		close(fd); /* releases the flock */
	if (err < 0)
		return -1;
	if (git_repository_is_bare(*out))
		return ms_error("state: '%s' is a bare git repository; the "
				"state directory needs a working tree",
				dir);
	return 0;
}

int ms_state_open(struct ms_state **out, const char *dir, const char *stack)
{
	static const char ignore[] = "# mlstack: locks and half-written files\n"
				     "*.lock\n*.tmp\n";
	struct ms_state *st = NULL;
	char *ignore_path = NULL;
	size_t len;
	int rc = -1, made;

	*out = NULL;
	if (!dir || !*dir)
		return ms_error("state: no state directory given");
	if (!valid_name(stack))
		return ms_error("state: invalid stack name '%s' (use letters, "
				"digits, '-' and '_')",
				stack ? stack : "");
	pthread_once(&git_once, git_init_once);
	if (git_init_rc < 0)
		return ms_state_git_fail("initialising libgit2");

	st = ms_calloc(1, sizeof(*st));
	len = strlen(dir);
	while (len > 1 && dir[len - 1] == '/')
		len--;
	st->dir = ms_strndup(dir, len);
	st->stack = ms_strdup(stack);
	st->stack_dir = ms_asprintf("%s/%s", st->dir, stack);
	st->res_dir = ms_asprintf("%s/resources", st->stack_dir);
	st->lock_path = ms_asprintf("%s/%s.lock", st->dir, stack);
	ignore_path = ms_asprintf("%s/.gitignore", st->dir);

	if (open_repo(&st->repo, st->dir) < 0)
		goto done;
	if ((made = make_dir(st->stack_dir)) < 0)
		goto done;
	if (made && fsync_dir(st->dir) < 0)
		goto done;
	if ((made = make_dir(st->res_dir)) < 0)
		goto done;
	if (made && fsync_dir(st->stack_dir) < 0)
		goto done;
	if (access(ignore_path, F_OK) < 0 &&
	    write_file(st->dir, ignore_path, ignore, sizeof(ignore) - 1) < 0)
		goto done;

	*out = st;
	st = NULL;
	rc = 0;

done:
	free(ignore_path);
	ms_state_free(st);
	return rc;
}

void ms_state_free(struct ms_state *st)
{
	char saved[2048];

	if (!st)
		return;
	if (st->locked || st->remote_locked) {
		/* keep the error the caller is about to report */
		snprintf(saved, sizeof(saved), "%s", ms_error_last());
		ms_state_remote_release(st);
		ms_state_unlock(st);
		if (saved[0])
			ms_error("%s", saved);
		else
			ms_error_clear();
	}
	git_tree_free(st->snapshot);
	git_repository_free(st->repo);
	free(st->lock_body);
	free(st->dir);
	free(st->stack);
	free(st->stack_dir);
	free(st->res_dir);
	free(st->lock_path);
	json_decref(st->remote_lock_pulled);
	free(st->remote_url);
	free(st->remote_shown);
	free(st);
}

/* ---- resources, meta, journal ---------------------------------------- */

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A file name in resources/, kept in names when it is <name>.json. */
static void add_name(json_t *names, const struct ms_state *st, const char *file)
{
	size_t len = strlen(file);
	char *name;

	/* skips ., .., *.tmp and anything else not <name>.json */
	if (len <= 5 || strcmp(file + len - 5, ".json"))
		return;
	name = ms_strndup(file, len - 5);
	if (valid_name(name))
		json_array_append_new(names, json_string(name));
	else
		ms_log(MS_LOG_DEBUG, "state", "skipping '%s/%s'", st->res_dir,
		       file);
	free(name);
}

/* The names of the resource files, from the directory or the snapshot. */
static int list_names(json_t *names, struct ms_state *st)
{
	git_tree_entry *entry = NULL;
	git_tree *tree = NULL;
	struct dirent *e;
	size_t i;
	DIR *d;
	int err;

	if (st->snapshot) {
		err = git_tree_entry_bypath(&entry, st->snapshot,
					    st->res_dir + strlen(st->dir) + 1);
		if (err == GIT_ENOTFOUND) {
			git_error_clear();
			return 0;
		}
		if (err < 0 || git_tree_lookup(&tree, st->repo,
					       git_tree_entry_id(entry)) < 0) {
			git_tree_entry_free(entry);
			return ms_state_git_fail(
				"reading '%s' in the last commit", st->res_dir);
		}
		for (i = 0; i < git_tree_entrycount(tree); i++)
			add_name(names, st,
				 git_tree_entry_name(
					 git_tree_entry_byindex(tree, i)));
		git_tree_free(tree);
		git_tree_entry_free(entry);
		return 0;
	}
	d = opendir(st->res_dir);
	if (!d && errno == ENOENT)
		return 0;
	if (!d)
		return ms_error("state: open '%s': %s", st->res_dir,
				strerror(errno));
	while ((errno = 0, e = readdir(d)))
		add_name(names, st, e->d_name);
	err = errno;
	closedir(d);
	if (err)
		return ms_error("state: read '%s': %s", st->res_dir,
				strerror(err));
	return 0;
}

/*
 * Files [lo, hi) of names read into vals (their read_json codes in rcs,
 * an error's message in errs), on a thread of their own: many files are
 * read as two halves at once, from the working tree only (a snapshot's
 * reads share libgit2's repository).
 */
#define READ_SPLIT 512

struct reads {
	struct ms_state *st;
	char **names;
	json_t **vals;
	int *rcs;
	char **errs;
	size_t lo, hi;
};

static void *reads_main(void *arg)
{
	struct reads *R = arg;
	char *path;
	size_t i;

	for (i = R->lo; i < R->hi; i++) {
		path = ms_asprintf("%s/%s.json", R->st->res_dir, R->names[i]);
		R->rcs[i] = read_json(&R->vals[i], R->st, path);
		if (R->rcs[i] < 0 && R->rcs[i] != MS_ENOTFOUND)
			R->errs[i] = ms_strdup(ms_error_last());
		free(path);
	}
	return NULL;
}

static void read_all(struct ms_state *st, char **names, size_t n, json_t **vals,
		     int *rcs, char **errs)
{
	struct reads first = { st, names, vals, rcs, errs, 0, n };
	struct reads second = first;
	pthread_t t;
	bool threaded = false;

	if (n >= READ_SPLIT && !st->snapshot) {
		first.hi = second.lo = n / 2;
		threaded = !pthread_create(&t, NULL, reads_main, &second);
		if (!threaded)
			first.hi = n;
	}
	reads_main(&first);
	if (threaded)
		pthread_join(t, NULL);
}

int ms_state_resources(struct ms_state *st, json_t **out)
{
	json_t *all = json_object(), *list = json_array(), *x, **vals = NULL;
	char **names = NULL, **errs = NULL;
	int rc = -1, *rcs = NULL;
	size_t n = 0, i;

	*out = NULL;
	if (list_names(list, st))
		goto done;
	n = json_array_size(list);
	names = ms_calloc(n, sizeof(*names));
	json_array_foreach(list, i, x)
		names[i] = ms_strdup(json_string_value(x));
	if (n)
		qsort(names, n, sizeof(*names), cmp_str);
	vals = ms_calloc(n + 1, sizeof(*vals));
	rcs = ms_calloc(n + 1, sizeof(*rcs));
	errs = ms_calloc(n + 1, sizeof(*errs));
	read_all(st, names, n, vals, rcs, errs);
	for (i = 0; i < n; i++) {
		if (rcs[i] == MS_ENOTFOUND)
			continue; /* removed while we listed */
		if (rcs[i] < 0) {
			rc = ms_error("%s", errs[i]);
			goto done;
		}
		json_object_set_new(all, names[i], vals[i]);
		vals[i] = NULL;
	}
	*out = all;
	all = NULL;
	rc = 0;

done:
	for (i = 0; i < n; i++) {
		free(names[i]);
		free(errs[i]);
		json_decref(vals[i]);
	}
	free(names);
	free(vals);
	free(rcs);
	free(errs);
	json_decref(all);
	json_decref(list);
	return rc;
}

int ms_state_resource(struct ms_state *st, const char *name, json_t **out)
{
	char *path;
	int rc;

	*out = NULL;
	if (!valid_name(name))
		return MS_ENOTFOUND;
	path = ms_asprintf("%s/%s.json", st->res_dir, name);
	rc = read_json(out, st, path);
	free(path);
	return rc;
}

/* Writes go to the working tree, which a snapshot reader must not touch. */
static int writable(const struct ms_state *st)
{
	if (st->snapshot)
		return ms_error("state '%s': read from the last commit while "
				"another process holds the lock; not written",
				st->stack);
	return 0;
}

int ms_state_put_resource(struct ms_state *st, const char *name,
			  const json_t *value)
{
	char *path;
	int rc;

	if (check_resource_name(name) < 0 || writable(st))
		return -1;
	path = ms_asprintf("%s/%s.json", st->res_dir, name);
	rc = write_json(st->res_dir, path, value);
	free(path);
	return rc;
}

int ms_state_remove_resource(struct ms_state *st, const char *name)
{
	char *path;
	int rc = 0;

	if (check_resource_name(name) < 0 || writable(st))
		return -1;
	path = ms_asprintf("%s/%s.json", st->res_dir, name);
	if (unlink(path) < 0) {
		if (errno == ENOENT)
			rc = ms_error_code(MS_ENOTFOUND,
					   "state: resource '%s' is not in "
					   "the state",
					   name);
		else
			rc = ms_error("state: remove '%s': %s", path,
				      strerror(errno));
	} else {
		rc = fsync_dir(st->res_dir);
	}
	free(path);
	return rc;
}

int ms_state_meta(struct ms_state *st, json_t **out)
{
	char *path = ms_asprintf("%s/stack.json", st->stack_dir);
	int rc = read_object(out, st, path);

	free(path);
	return rc;
}

int ms_state_put_meta(struct ms_state *st, const json_t *meta)
{
	char *path = ms_asprintf("%s/stack.json", st->stack_dir);
	int rc = writable(st) ? -1 : write_json(st->stack_dir, path, meta);

	free(path);
	return rc;
}

int ms_state_journal(struct ms_state *st, json_t **out)
{
	char *path = ms_asprintf("%s/journal.json", st->stack_dir);
	int rc = read_object(out, st, path);

	free(path);
	return rc;
}

int ms_state_put_journal(struct ms_state *st, const json_t *journal)
{
	char *path = ms_asprintf("%s/journal.json", st->stack_dir);
	int rc = writable(st) ? -1 : write_json(st->stack_dir, path, journal);

	free(path);
	return rc;
}

/* ---- the lock ---------------------------------------------------------- */

/*
 * Read the lock file whole. MS_ENOTFOUND (no message) when there is none;
 * *out_body is "" for an empty file.
 */
static int read_lock(char **out_body, struct stat *out_sb, const char *path)
{
	struct ms_buf b = MS_BUF_INIT;
	char chunk[4096];
	int fd, rc = -1;
	ssize_t r;

	*out_body = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return MS_ENOTFOUND;
		return ms_error("state: open '%s': %s", path, strerror(errno));
	}
	if (out_sb && fstat(fd, out_sb) < 0) {
		ms_error("state: stat '%s': %s", path, strerror(errno));
		goto done;
	}
	b.cap = LOCK_MAX_SIZE;
	for (;;) {
		r = read(fd, chunk, sizeof(chunk));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			ms_error("state: read '%s': %s", path, strerror(errno));
			goto done;
		}
		if (!r)
			break;
		if (ms_buf_add(&b, chunk, (size_t)r) < 0)
			break; /* oversized: garbage, reported as corrupt */
	}
	*out_body = ms_buf_detach(&b, NULL);
	rc = 0;

done:
	close(fd);
	ms_buf_release(&b);
	return rc;
}

int ms_state_lock_info(struct ms_state *st, json_t **out)
{
	char *body = NULL;
	json_t *v;
	int rc;

	*out = NULL;
	rc = read_lock(&body, NULL, st->lock_path);
	if (rc == MS_ENOTFOUND)
		return ms_error_code(MS_ENOTFOUND, "state '%s' is not locked",
				     st->stack);
	if (rc < 0)
		return rc;
	v = json_loads(body, 0, NULL);
	free(body);
	if (!json_is_object(v)) {
		json_decref(v);
		v = json_object();
	}
	*out = v;
	return 0;
}

/*
 * Say who holds the lock: MS_ELOCKED with the message, or MS_ENOTFOUND
 * (no message) when the lock vanished meanwhile.
 */
static int locked_error(struct ms_state *st)
{
	const char *holder, *op, *since;
	json_t *info = NULL, *pid;
	int rc, tries;

	/* the holder may be between creating the file and filling it */
	for (tries = 0;; tries++) {
		json_decref(info);
		rc = ms_state_lock_info(st, &info);
		if (rc == MS_ENOTFOUND)
			return MS_ENOTFOUND;
		if (rc < 0)
			return ms_error_code(MS_ELOCKED, "%s", ms_error_last());
		if (json_object_size(info) || tries == 5)
			break;
		ms_sleep(0.01);
	}
	holder = json_string_value(json_object_get(info, "holder"));
	pid = json_object_get(info, "pid");
	op = json_string_value(json_object_get(info, "operation"));
	since = json_string_value(json_object_get(info, "time"));
	if (!holder || !json_is_integer(pid))
		rc = ms_error_code(MS_ELOCKED,
				   "state '%s' is locked by an unknown holder "
				   "(lock file '%s' is empty or corrupt); run "
				   "'mlstack force-unlock' if that process is "
				   "gone",
				   st->stack, st->lock_path);
	else
		rc = ms_error_code(MS_ELOCKED,
				   "state '%s' is locked by %s (pid %lld, %s "
				   "since %s); run 'mlstack force-unlock' if "
				   "that process is gone",
				   st->stack, holder,
				   (long long)json_integer_value(pid),
				   op ? op : "unknown operation",
				   since ? since : "an unknown time");
	json_decref(info);
	return rc;
}

/*
 * A fresh id for each lock taken: the body a holder compares before it
 * removes the lock must differ even for the same pid within one second.
 */
void ms_state_lock_id(char out[33])
{
	static unsigned long seq;
	unsigned char r[16];
	struct timespec ts;
	size_t i;

	if (getrandom(r, sizeof(r), GRND_NONBLOCK) != (ssize_t)sizeof(r)) {
		clock_gettime(CLOCK_REALTIME, &ts);
		snprintf(out, 33, "%08lx%08lx%08lx%08lx",
			 (unsigned long)ts.tv_sec & 0xffffffffUL,
			 (unsigned long)ts.tv_nsec, (unsigned long)getpid(),
			 __atomic_add_fetch(&seq, 1, __ATOMIC_RELAXED) &
				 0xffffffffUL);
		return;
	}
	for (i = 0; i < sizeof(r); i++)
		snprintf(out + 2 * i, 3, "%02x", r[i]);
}

json_t *ms_state_lock_new(const char *operation)
{
	char user[256], host[256], when[32], id[33];
	json_t *info;
	char *holder;

	if (!operation || !*operation)
		operation = "unknown";
	ms_state_login_name(user, sizeof(user));
	ms_state_host_name(host, sizeof(host));
	ms_state_format_time(when, time(NULL));
	ms_state_lock_id(id);
	holder = ms_asprintf("%s@%s", user, host);
	info = json_pack("{s:s, s:s, s:I, s:s, s:s, s:s}", "id", id, "holder",
			 holder, "pid", (json_int_t)getpid(), "host", host,
			 "operation", operation, "time", when);
	free(holder);
	return info;
}

int ms_state_lock(struct ms_state *st, const char *operation)
{
	json_t *info = NULL;
	char *body = NULL;
	struct stat sb;
	int fd = -1, rc = -1, tries;
	bool created = false;

	if (st->locked && st->lock_pid == getpid())
		return ms_error("state '%s': already locked by this process",
				st->stack);
	info = ms_state_lock_new(operation);
	body = info ? ms_state_dump_json(info) : NULL;
	if (!body) {
		ms_error("state '%s': cannot encode the lock", st->stack);
		goto done;
	}

	/* a lock that vanishes while we read it is retried, a few times */
	for (tries = 0; tries < 5; tries++) {
		fd = open(st->lock_path,
			  O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
		if (fd >= 0)
			break;
		if (errno != EEXIST) {
			ms_error("state: create '%s': %s", st->lock_path,
				 strerror(errno));
			goto done;
		}
		rc = locked_error(st);
		if (rc != MS_ENOTFOUND)
			goto done;
		rc = -1;
	}
	if (fd < 0) {
		rc = ms_error_code(MS_ELOCKED,
				   "state '%s' is locked (the lock keeps "
				   "changing hands)",
				   st->stack);
		goto done;
	}
	created = true;
	if (write_all(fd, body, strlen(body)) < 0 || fsync(fd) < 0 ||
	    fstat(fd, &sb) < 0) {
		ms_error("state: write '%s': %s", st->lock_path,
			 strerror(errno));
		goto done;
	}
	if (close(fd) < 0) {
		fd = -1;
		ms_error("state: write '%s': %s", st->lock_path,
			 strerror(errno));
		goto done;
	}
	fd = -1;
	if (fsync_dir(st->dir) < 0)
		goto done;

	st->locked = true;
	ms_interrupt_lock(st->lock_path);
	st->lock_pid = getpid();
	st->lock_dev = sb.st_dev;
	st->lock_ino = sb.st_ino;
	free(st->lock_body);
	st->lock_body = body;
	body = NULL;
	rc = 0;

done:
	if (fd >= 0)
		close(fd);
	if (rc < 0 && created)
		unlink(st->lock_path);
	json_decref(info);
	free(body);
	return rc;
}

int ms_state_unlock(struct ms_state *st)
{
	struct stat sb;
	char *body = NULL;
	int rc;

	/* a forked child inherits the flag, not the lock */
	if (!st || !st->locked || st->lock_pid != getpid())
		return 0;
	st->locked = false;
	ms_interrupt_lock(NULL);
	rc = read_lock(&body, &sb, st->lock_path);
	if (rc == MS_ENOTFOUND) {
		/* force-unlocked behind our back: nothing left to remove */
		rc = 0;
		goto done;
	}
	if (rc < 0)
		goto done;
	if (strcmp(body, st->lock_body) || sb.st_dev != st->lock_dev ||
	    sb.st_ino != st->lock_ino) {
		rc = ms_error("state '%s': the lock was broken and taken by "
			      "someone else; left in place",
			      st->stack);
		goto done;
	}
	if (unlink(st->lock_path) < 0 && errno != ENOENT) {
		rc = ms_error("state: remove '%s': %s", st->lock_path,
			      strerror(errno));
		goto done;
	}
	rc = fsync_dir(st->dir);

done:
	free(body);
	free(st->lock_body);
	st->lock_body = NULL;
	return rc;
}

int ms_state_force_unlock(struct ms_state *st)
{
	if (unlink(st->lock_path) < 0) {
		if (errno == ENOENT)
			return ms_error_code(MS_ENOTFOUND,
					     "state '%s' is not locked",
					     st->stack);
		return ms_error("state: remove '%s': %s", st->lock_path,
				strerror(errno));
	}
	if (st->locked && st->lock_pid == getpid()) {
		st->locked = false;
		free(st->lock_body);
		st->lock_body = NULL;
	}
	return fsync_dir(st->dir);
}

/* ---- commits and history ---------------------------------------------- */

/* *out = the head commit, or NULL before the first commit. */
int ms_state_head_commit(git_commit **out, git_repository *repo)
{
	git_oid id;
	int err;

	*out = NULL;
	err = git_reference_name_to_id(&id, repo, "HEAD");
	if (err == GIT_ENOTFOUND || err == GIT_EUNBORNBRANCH) {
		git_error_clear();
		return 0;
	}
	if (err < 0)
		return ms_state_git_fail("reading HEAD");
	if (git_commit_lookup(out, repo, &id) < 0)
		return ms_state_git_fail("reading the head commit");
	return 0;
}

char *ms_state_oid_hex(const git_oid *id)
{
	char hex[GIT_OID_HEXSZ + 1];

	git_oid_tostr(hex, sizeof(hex), id);
	return ms_strdup(hex);
}

/* From git config (user.name, user.email), else "login <login@host>". */
int ms_state_signature(git_signature **out, git_repository *repo)
{
	char user[256], host[256], *email;
	int rc;

	if (git_signature_default(out, repo) == 0)
		return 0;
	git_error_clear();
	ms_state_login_name(user, sizeof(user));
	ms_state_host_name(host, sizeof(host));
	email = ms_asprintf("%s@%s", user, host);
	rc = git_signature_now(out, user, email);
	free(email);
	if (rc < 0)
		return ms_state_git_fail("making a signature for '%s'", user);
	return 0;
}

/*
 * Hold .git/mlstack-commit.lock while a commit reads and writes the shared
 * index and HEAD: returns the descriptor (closing it releases the lock).
 */
int ms_state_commit_lock(struct ms_state *st)
{
	char *path = ms_asprintf("%s/mlstack-commit.lock",
				 git_repository_path(st->repo));
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);

	if (fd < 0) {
		ms_error("state: open '%s': %s", path, strerror(errno));
	} else {
		while (flock(fd, LOCK_EX) < 0 && errno == EINTR)
			;
	}
	free(path);
	return fd;
}

int ms_state_commit(struct ms_state *st, const char *message, char **out_id)
{
	struct ms_buf msg = MS_BUF_INIT;
	git_index *index = NULL;
	git_tree *tree = NULL;
	git_tree_entry *entry = NULL;
	git_commit *parent = NULL;
	git_signature *sig = NULL;
	const git_commit *parents[1];
	git_oid tree_id, commit_id;
	char *spec = NULL, *paths[2];
	git_strarray pathspec = { paths, 2 };
	int rc = -1, err, lock_fd;

	if (out_id)
		*out_id = NULL;
	if (!message || !*message)
		return ms_error("state: commit message is empty");
	if (writable(st) || (lock_fd = ms_state_commit_lock(st)) < 0)
		return -1;

	/* the stack's directory, and the .gitignore a clone needs */
	spec = ms_asprintf("%s/*", st->stack);
	paths[0] = ".gitignore";
	paths[1] = spec;
	if (git_repository_index(&index, st->repo) < 0) {
		ms_state_git_fail("opening the index");
		goto done;
	}
	if (git_index_read(index, 1) < 0 ||
	    git_index_add_all(index, &pathspec, GIT_INDEX_ADD_DEFAULT, NULL,
			      NULL) < 0 ||
	    git_index_update_all(index, &pathspec, NULL, NULL) < 0) {
		ms_state_git_fail("staging '%s'", st->stack);
		goto done;
	}
	if (git_index_write(index) < 0 ||
	    git_index_write_tree(&tree_id, index) < 0) {
		ms_state_git_fail("writing the index");
		goto done;
	}
	if (ms_state_head_commit(&parent, st->repo) < 0)
		goto done;

	if (parent && git_oid_equal(git_commit_tree_id(parent), &tree_id)) {
		if (out_id)
			*out_id = ms_state_oid_hex(git_commit_id(parent));
		rc = 0;
		goto done;
	}
	if (git_tree_lookup(&tree, st->repo, &tree_id) < 0) {
		ms_state_git_fail("reading the new tree");
		goto done;
	}
	if (!parent) {
		/* before the first commit, nothing of the stack: no change */
		err = git_tree_entry_bypath(&entry, tree, st->stack);
		if (err == GIT_ENOTFOUND) {
			git_error_clear();
			if (out_id)
				*out_id = ms_strdup("");
			rc = 0;
			goto done;
		}
		if (err < 0) {
			ms_state_git_fail("reading the new tree");
			goto done;
		}
	}

	if (ms_state_signature(&sig, st->repo) < 0)
		goto done;
	ms_buf_adds(&msg, message);
	if (msg.ptr[msg.len - 1] != '\n')
		ms_buf_addch(&msg, '\n');
	parents[0] = parent;
	if (git_commit_create(&commit_id, st->repo, "HEAD", sig, sig, NULL,
			      msg.ptr, tree, parent ? 1 : 0, parents) < 0) {
		ms_state_git_fail("committing '%s'", st->stack);
		goto done;
	}
	if (out_id)
		*out_id = ms_state_oid_hex(&commit_id);
	rc = 0;

done:
	ms_buf_release(&msg);
	git_signature_free(sig);
	git_commit_free(parent);
	git_tree_entry_free(entry);
	git_tree_free(tree);
	git_index_free(index);
	free(spec);
	close(lock_fd);
	return rc;
}

/* The stack's tree in the head commit (*out NULL when it has none). */
static int stack_tree(git_tree **out, struct ms_state *st)
{
	git_commit *head = NULL;
	git_tree *root = NULL;
	git_tree_entry *entry = NULL;
	int rc = -1, err;

	*out = NULL;
	if (ms_state_head_commit(&head, st->repo) < 0)
		return -1;
	if (!head)
		return 0;
	if (git_commit_tree(&root, head) < 0) {
		ms_state_git_fail("reading the head commit");
		goto done;
	}
	err = git_tree_entry_bypath(&entry, root, st->stack);
	if (err == GIT_ENOTFOUND) {
		git_error_clear();
		rc = 0;
		goto done;
	}
	if (err < 0 ||
	    git_tree_lookup(out, st->repo, git_tree_entry_id(entry)) < 0) {
		ms_state_git_fail("reading '%s' in the head commit", st->stack);
		goto done;
	}
	rc = 0;
done:
	git_tree_entry_free(entry);
	git_tree_free(root);
	git_commit_free(head);
	return rc;
}

int ms_state_version(struct ms_state *st, char **out)
{
	git_tree *tree = NULL;

	*out = NULL;
	if (stack_tree(&tree, st))
		return -1;
	*out = tree ? ms_state_oid_hex(git_tree_id(tree)) : ms_strdup("");
	git_tree_free(tree);
	return 0;
}

int ms_state_uncommitted(struct ms_state *st, bool *out)
{
	git_status_options opts = GIT_STATUS_OPTIONS_INIT;
	git_status_list *list = NULL;
	char *spec = ms_asprintf("%s/*", st->stack);
	size_t i;

	*out = false;
	opts.show = GIT_STATUS_SHOW_INDEX_AND_WORKDIR;
	opts.flags = GIT_STATUS_OPT_INCLUDE_UNTRACKED |
		     GIT_STATUS_OPT_RECURSE_UNTRACKED_DIRS;
	opts.pathspec.strings = &spec;
	opts.pathspec.count = 1;
	if (git_status_list_new(&list, st->repo, &opts) < 0) {
		free(spec);
		return ms_state_git_fail("reading the status of '%s'",
					 st->stack);
	}
	for (i = 0; i < git_status_list_entrycount(list); i++)
		if (git_status_byindex(list, i)->status != GIT_STATUS_CURRENT)
			*out = true;
	git_status_list_free(list);
	free(spec);
	return 0;
}

int ms_state_use_snapshot(struct ms_state *st)
{
	git_commit *head = NULL;
	int rc = 0;

	if (st->snapshot)
		return 0;
	if (ms_state_head_commit(&head, st->repo) < 0)
		return -1;
	if (head && git_commit_tree(&st->snapshot, head) < 0)
		rc = ms_state_git_fail("reading the head commit");
	git_commit_free(head);
	if (!rc && !head) {
		/* nothing committed yet: an empty snapshot */
		git_treebuilder *b = NULL;
		git_oid id;

		if (git_treebuilder_new(&b, st->repo, NULL) < 0 ||
		    git_treebuilder_write(&id, b) < 0 ||
		    git_tree_lookup(&st->snapshot, st->repo, &id) < 0)
			rc = ms_state_git_fail("making an empty snapshot");
		git_treebuilder_free(b);
	}
	return rc;
}

void ms_state_drop_snapshot(struct ms_state *st)
{
	git_tree_free(st->snapshot);
	st->snapshot = NULL;
}

int ms_state_head(struct ms_state *st, char **out)
{
	git_commit *head = NULL;

	*out = NULL;
	if (ms_state_head_commit(&head, st->repo) < 0)
		return -1;
	*out = head ? ms_state_oid_hex(git_commit_id(head)) : ms_strdup("");
	git_commit_free(head);
	return 0;
}

/* The id of path's entry in commit's tree; false when it has none. */
static int entry_id(git_oid *out, bool *found, git_commit *c, const char *path)
{
	git_tree *tree = NULL;
	git_tree_entry *e = NULL;
	int err, rc = -1;

	*found = false;
	if (git_commit_tree(&tree, c) < 0) {
		ms_state_git_fail("reading commit %s",
				  git_oid_tostr_s(git_commit_id(c)));
		goto done;
	}
	err = git_tree_entry_bypath(&e, tree, path);
	if (err == GIT_ENOTFOUND) {
		git_error_clear();
	} else if (err < 0) {
		ms_state_git_fail("reading commit %s",
				  git_oid_tostr_s(git_commit_id(c)));
		goto done;
	} else {
		git_oid_cpy(out, git_tree_entry_id(e));
		*found = true;
	}
	rc = 0;

done:
	git_tree_entry_free(e);
	git_tree_free(tree);
	return rc;
}

/* 1 when commit c changed <stack>/ against its first parent, 0 if not. */
static int touches_stack(git_commit *c, const char *stack)
{
	git_commit *parent = NULL;
	git_oid mine, theirs;
	bool have_mine, have_theirs = false;
	int rc = -1;

	if (entry_id(&mine, &have_mine, c, stack) < 0)
		goto done;
	if (git_commit_parentcount(c)) {
		if (git_commit_parent(&parent, c, 0) < 0) {
			ms_state_git_fail("reading the parent of %s",
					  git_oid_tostr_s(git_commit_id(c)));
			goto done;
		}
		if (entry_id(&theirs, &have_theirs, parent, stack) < 0)
			goto done;
	}
	if (have_mine != have_theirs)
		rc = 1;
	else
		rc = have_mine && !git_oid_equal(&mine, &theirs);

done:
	git_commit_free(parent);
	return rc;
}

int ms_state_history(struct ms_state *st, json_t **out)
{
	json_t *list = json_array();
	git_revwalk *walk = NULL;
	git_commit *c = NULL;
	const git_signature *a;
	const char *summary;
	char when[32], *author = NULL;
	git_oid id;
	int rc = -1, err, touched;

	*out = NULL;
	if (ms_state_head_commit(&c, st->repo) < 0)
		goto done;
	if (!c) {
		/* nothing committed yet */
		*out = list;
		return 0;
	}
	git_commit_free(c);
	c = NULL;
	if (git_revwalk_new(&walk, st->repo) < 0 ||
	    git_revwalk_sorting(walk, GIT_SORT_TOPOLOGICAL | GIT_SORT_TIME) <
		    0 ||
	    git_revwalk_push_head(walk) < 0) {
		ms_state_git_fail("walking the history");
		goto done;
	}
	while (!(err = git_revwalk_next(&id, walk))) {
		if (git_commit_lookup(&c, st->repo, &id) < 0) {
			ms_state_git_fail("reading commit %s",
					  git_oid_tostr_s(&id));
			goto done;
		}
		if ((touched = touches_stack(c, st->stack)) < 0)
			goto done;
		if (touched) {
			a = git_commit_author(c);
			ms_state_format_time(when, (time_t)a->when.time);
			free(author);
			author = ms_asprintf("%s <%s>", a->name, a->email);
			summary = git_commit_summary(c);
			json_array_append_new(
				list,
				json_pack("{s:s, s:s, s:s, s:s}", "commit",
					  git_oid_tostr_s(&id), "author",
					  author, "time", when, "message",
					  summary ? summary : ""));
		}
		git_commit_free(c);
		c = NULL;
	}
	if (err != GIT_ITEROVER) {
		ms_state_git_fail("walking the history");
		goto done;
	}
	*out = list;
	list = NULL;
	rc = 0;

done:
	free(author);
	git_commit_free(c);
	git_revwalk_free(walk);
	json_decref(list);
	return rc;
}
