/*
 * json.h - small jansson helpers shared by the engine and providers.
 */
#ifndef MS_JSON_H
#define MS_JSON_H

#include <jansson.h>

#include "util/buf.h"

/*
 * Make jansson allocate through ms_malloc, so that a failed allocation
 * inside it is reported as out of memory rather than read as a missing
 * value. Call once, before any JSON value is made.
 */
void ms_json_init(void);

/* A new array of the strings of list, sorted and without duplicates;
 * steals list. Non-string elements are dropped. */
json_t *ms_json_sorted_set(json_t *list);

/*
 * The keys of a and of b (either may be NULL or not an object), with
 * those whose value is null left out when skip_null, sorted and without
 * duplicates: a new NULL-terminated array of keys borrowed from a and b
 * (free the array only), and their count in *n. What renders a plan
 * walks keys in order this way, without a JSON string made for each.
 */
const char **ms_json_keys(const json_t *a, const json_t *b, bool skip_null,
			  size_t *n);

/*
 * Append the text of a scalar: a string as it is, numbers in the shortest
 * form that reads back the same, true/false. Returns 0, 1 for null
 * (nothing appended), -1 for a list or map (nothing appended, no error
 * set: callers word their own message).
 */
int ms_json_scalar_text(struct ms_buf *out, const json_t *v);

/*
 * A deep copy of v (NULL for NULL), as json_deep_copy makes it, for
 * values that are trees: jansson's own checks each object and array it
 * copies against a table of the ones above it (a formatted pointer, a
 * hash table set and cleared), which made copies the most of the cost of
 * loading and planning a large stack. Key order is kept. Strings and
 * numbers are shared, not copied: nothing here changes one in place
 * (json_string_set and its kind are never called), so only objects and
 * arrays, which are changed, need copies of their own.
 */
json_t *ms_json_copy(const json_t *v);

/*
 * Drop the reference to v on a thread of its own, so that the caller
 * goes on while a large tree (a parsed stack file, the template cache:
 * 30 ms each at 10,000 resources) is freed. Whatever else v holds must
 * be only read by others meanwhile (jansson's reference counts are
 * atomic). ms_json_release_wait() waits for every such thread; the
 * process's exit does not, except in the sanitizers' builds.
 */
void ms_json_release_later(json_t *v);
void ms_json_release_wait(void);

/* Compact JSON text with sorted keys; the caller frees it. */
char *ms_json_compact(const json_t *v);

/*
 * Where jansson's error points, as a 1-based line and column: jansson
 * counts the column of the last character it read, 0 at the start of a
 * line, and gives -1 when it read nothing.
 */
void ms_json_error_mark(const json_error_t *e, int *line, int *col);

/*
 * Read path, a file the user named, as one JSON document (flags are
 * json_loadb's). *out is the caller's. The errors name the file and say
 * what is wrong in plain words: "\"PATH\": is a directory", "\"PATH\":
 * the file is empty", "\"PATH\": not JSON at line L, column C: what".
 * Returns MS_ENOTFOUND when it does not exist, -1 on any other failure.
 */
int ms_json_load_file(json_t **out, const char *path, size_t flags);

#endif
