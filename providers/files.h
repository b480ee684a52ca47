/*
 * files.h - the files of a local folder, for the types that upload them
 * (a dataset synced to S3, a Lambda package).
 */
#ifndef MS_FILES_H
#define MS_FILES_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MS_FILE_ETAG_LEN 48 /* an S3 ETag: 32 hex digits, "-", parts, NUL */

/* One file of a folder. */
struct ms_file {
	char *key;  /* its path below the folder, '/'-separated */
	char *path; /* its path to open */
	uint64_t size;
	int64_t mtime_ns;
	bool executable;
	char etag[MS_FILE_ETAG_LEN]; /* what a type computes of it */
};

/*
 * Whether key (a path below the folder) is taken: it matches one of
 * include (all do when include is empty) and none of exclude. Globs are
 * fnmatch(3)'s, '*' matching '/' too, as the AWS CLI's filters do.
 */
bool ms_files_filter(const char *key, const json_t *include,
		     const json_t *exclude);
/*
 * The regular files under root that pass the filters, sorted by key.
 * Links are followed when they stay inside root; a link out of it, a
 * dangling one, a loop and an unreadable folder are errors naming the
 * path. ms_files_free the array.
 */
int ms_files_scan(struct ms_file **out, size_t *n, const char *root,
		  const json_t *include, const json_t *exclude);
void ms_files_free(struct ms_file *files, size_t n);

/*
 * The path of attrs' attribute key (a local file or folder the stack
 * names), relative to dir (the stack file's directory) unless absolute;
 * dflt when it is not set (NULL: NULL). The caller frees it.
 */
char *ms_files_path(const char *dir, const json_t *attrs, const char *key,
		    const char *dflt);

#endif
