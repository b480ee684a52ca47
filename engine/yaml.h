/*
 * yaml.h - YAML text to jansson values, with the source mark of every
 * value; the reader under stack.c.
 *
 * Only what a stack file needs: one document, mappings with scalar keys,
 * the YAML 1.2 core schema for plain scalars (null, true/false, integers,
 * floats; everything else, and every quoted scalar, is a string), anchors
 * and aliases bounded by the limits of stack.h.
 */
#ifndef MS_YAML_H
#define MS_YAML_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

struct ms_yaml_doc {
	json_t *root; /* NULL when the stream holds no document */
	/*
	 * path -> [line, col, value_line, value_col], 1-based. A path joins
	 * mapping keys with "." and list indexes as "[N]": "resources",
	 * "resources.role.properties.tags.team", "outputs.x[0]". line/col is
	 * the key's position (the element's for list items), value_line and
	 * value_col the value's. Deep values beyond a budget have no mark.
	 * After ms_yaml_parse_shallow, the marks of the first two levels
	 * only (the root, the stack's sections and their entries).
	 */
	json_t *marks;
	/*
	 * path -> the text of a plain scalar read as a number, when the
	 * number would print differently ("1.10", "1e3", "+5"), so that a
	 * string attribute can keep what the user wrote.
	 */
	json_t *raw;
	/* the whole stream was read: problems, if any, were not fatal */
	bool complete;
	/* marks holds those of the first levels only (a shallow parse) */
	bool shallow;
};

/*
 * Parse len bytes of data. Every problem (syntax, limits, duplicate keys,
 * unsupported tags) is appended to diags as an array [line, col,
 * "message"], without the file name. Returns 0 when there were none, -1
 * otherwise; out is filled in either case (root may be NULL, or hold what
 * was read before a fatal problem) and must be released.
 */
int ms_yaml_parse(struct ms_yaml_doc *out, const char *data, size_t len,
		  json_t *diags);
/*
 * ms_yaml_parse with the marks of the first two levels only: marks are
 * the largest part of a parsed file and, but for a resource's own
 * position, wanted only to say where a problem is. ms_yaml_marks gives
 * all of them when one is.
 */
int ms_yaml_parse_shallow(struct ms_yaml_doc *out, const char *data, size_t len,
			  json_t *diags);
/* Every mark of data, as ms_yaml_parse gives them (a new object). */
json_t *ms_yaml_marks(const char *data, size_t len);
void ms_yaml_doc_release(struct ms_yaml_doc *doc);

#endif
