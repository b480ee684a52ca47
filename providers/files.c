/*
 * files.c - the files of a local folder, for the types that upload them
 * (a dataset synced to S3, a Lambda package): filters, links followed
 * inside the folder only, loops and links out of it refused, sorted.
 */
#include "util/common.h"
#include "providers/files.h"

#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

bool ms_files_filter(const char *key, const json_t *include,
		     const json_t *exclude)
{
	json_t *g;
	size_t i;
	bool in = !json_array_size(include);

	json_array_foreach(include, i, g)
		if (json_is_string(g) && !fnmatch(json_string_value(g), key, 0))
			in = true;
	json_array_foreach(exclude, i, g)
		if (json_is_string(g) && !fnmatch(json_string_value(g), key, 0))
			in = false;
	return in;
}

/* The directories being walked, outermost first, to find loops. */
struct walk {
	const char *root; /* as given */
	char *real_root;  /* resolved */
	dev_t dev[64];
	ino_t ino[64];
	size_t depth;
	const json_t *include, *exclude;
	struct ms_file *files;
	size_t n, alloc;
};

static bool inside(const char *real_root, const char *path)
{
	size_t n = strlen(real_root);

	return !strncmp(path, real_root, n) &&
	       (path[n] == '/' || path[n] == '\0' || !strcmp(real_root, "/"));
}

static int walk_dir(struct walk *w, const char *path, const char *rel);

static int walk_entry(struct walk *w, const char *path, const char *rel)
{
	struct stat st;
	char *real;
	int err = 0;

	if (lstat(path, &st))
		return ms_error("source '%s': %s", path, strerror(errno));
	if (S_ISLNK(st.st_mode)) {
		real = realpath(path, NULL);
		if (!real)
			return ms_error("source '%s': a link to nowhere "
					"(%s)",
					path, strerror(errno));
		if (!inside(w->real_root, real)) {
			err = ms_error("source '%s': a link to '%s', outside "
				       "the folder '%s'",
				       path, real, w->root);
			free(real);
			return err;
		}
		free(real);
		if (stat(path, &st))
			return ms_error("source '%s': %s", path,
					strerror(errno));
	}
	if (S_ISDIR(st.st_mode))
		return walk_dir(w, path, rel);
	if (!S_ISREG(st.st_mode)) {
		ms_log(MS_LOG_INFO, "s3", "source '%s': not a file, skipped",
		       path);
		return 0;
	}
	if (!ms_files_filter(rel, w->include, w->exclude))
		return 0;
	if (w->n == w->alloc) {
		w->alloc = w->alloc ? w->alloc * 2 : 256;
		w->files = ms_realloc(w->files, w->alloc * sizeof(*w->files));
	}
	memset(&w->files[w->n], 0, sizeof(w->files[w->n]));
	w->files[w->n].key = ms_strdup(rel);
	w->files[w->n].path = ms_strdup(path);
	w->files[w->n].size = (uint64_t)st.st_size;
	w->files[w->n].mtime_ns =
		(int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
	w->n++;
	return 0;
}

static int walk_dir(struct walk *w, const char *path, const char *rel)
{
	struct stat st;
	struct dirent *de;
	DIR *d;
	size_t i;
	int err = 0;

	if (stat(path, &st))
		return ms_error("source '%s': %s", path, strerror(errno));
	for (i = 0; i < w->depth; i++)
		if (w->dev[i] == st.st_dev && w->ino[i] == st.st_ino)
			return ms_error("source '%s': a link loop (it leads "
					"back to a folder above it)",
					path);
	if (w->depth == MS_ARRAY_SIZE(w->dev))
		return ms_error("source '%s': folders nested too deep", path);
	d = opendir(path);
	if (!d)
		return ms_error("source '%s': %s", path, strerror(errno));
	w->dev[w->depth] = st.st_dev;
	w->ino[w->depth] = st.st_ino;
	w->depth++;
	while (!err && (errno = 0, de = readdir(d))) {
		char *sub, *subrel;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		sub = ms_asprintf("%s/%s", path, de->d_name);
		subrel = *rel ? ms_asprintf("%s/%s", rel, de->d_name) :
				ms_strdup(de->d_name);
		err = walk_entry(w, sub, subrel);
		free(sub);
		free(subrel);
	}
	if (!err && errno)
		err = ms_error("source '%s': %s", path, strerror(errno));
	w->depth--;
	closedir(d);
	return err;
}

static int cmp_file(const void *a, const void *b)
{
	return strcmp(((const struct ms_file *)a)->key,
		      ((const struct ms_file *)b)->key);
}

int ms_files_scan(struct ms_file **out, size_t *n, const char *root,
		  const json_t *include, const json_t *exclude)
{
	struct walk w;
	struct stat st;
	int err;

	*out = NULL;
	*n = 0;
	memset(&w, 0, sizeof(w));
	if (stat(root, &st))
		return ms_error("source '%s': %s", root, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return ms_error("source '%s': not a folder", root);
	w.root = root;
	w.real_root = realpath(root, NULL);
	if (!w.real_root)
		return ms_error("source '%s': %s", root, strerror(errno));
	w.include = include;
	w.exclude = exclude;
	err = walk_dir(&w, root, "");
	free(w.real_root);
	if (err) {
		ms_files_free(w.files, w.n);
		return err;
	}
	if (w.n)
		qsort(w.files, w.n, sizeof(*w.files), cmp_file);
	*out = w.files;
	*n = w.n;
	return 0;
}

void ms_files_free(struct ms_file *files, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(files[i].key);
		free(files[i].path);
	}
	free(files);
}

char *ms_files_path(const char *dir, const json_t *attrs, const char *key,
		    const char *dflt)
{
	const json_t *v = json_object_get(attrs, key);
	const char *file = json_is_string(v) ? json_string_value(v) : dflt;

	if (!file)
		return NULL;
	return file[0] == '/' || !dir ? ms_strdup(file) :
					ms_asprintf("%s/%s", dir, file);
}
