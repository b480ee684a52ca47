/*
 * expr.h - ${...} references inside stack values, and unknown values.
 *
 * A reference is var.NAME, RESOURCE.ATTR[.KEY|[N]...], aws.account_id,
 * aws.region or stack.name. A string that is exactly one reference takes
 * the referred value with its type; a reference inside a longer string is
 * interpolated (numbers and bools as their JSON text). "$${" writes a
 * literal "${".
 *
 * An unknown value ("known after apply") is a JSON object holding only the
 * key MS_UNKNOWN_KEY. A string interpolating an unknown is unknown.
 */
#ifndef MS_EXPR_H
#define MS_EXPR_H

#include <jansson.h>
#include <stdbool.h>

#include "util/buf.h"

#define MS_UNKNOWN_KEY "__mlstack_unknown__"

/* An unknown value: a new reference to one shared value, never to change. */
json_t *ms_unknown_new(void);
bool ms_is_unknown(const json_t *v);
/* Whether v or anything inside it is unknown. */
bool ms_has_unknown(const json_t *v);

/*
 * Every reference inside value (walked recursively), appended to *out as
 * objects {"root": "var"|"aws"|"stack"|RESOURCE, "path": ["attr", "key"|N...],
 * "text": "var.x"}; *out is created if NULL. Returns -1 with ms_error()
 * (message without position) on a syntax error such as an unclosed "${".
 */
int ms_expr_refs(const json_t *value, json_t **out);

/*
 * resolve: *out = a new reference to the value of root.path[0] (the
 * evaluator walks the rest of the path itself), or an unknown; return -1
 * with ms_error() set when the reference cannot be resolved.
 */
typedef int (*ms_expr_resolve_fn)(const char *root, const char *first,
				  json_t **out, void *payload);

/*
 * Evaluate value; *out is a new value with every reference replaced.
 * Objects and arrays are walked (keys are not evaluated); "$${" becomes
 * "${". Walking into an unknown yields an unknown; a string interpolating
 * an unknown is unknown. Returns 0, or -1 with ms_error() set to
 * 'reference "${TEXT}": MESSAGE' (the resolver's message, or the
 * evaluator's: no key "k", index [N] out of range, cannot interpolate a
 * map into a string ...); *out is then NULL.
 */
int ms_expr_eval(json_t **out, const json_t *value, ms_expr_resolve_fn resolve,
		 void *payload);

/* Whether s is exactly one reference, "${x.y}" with nothing around it. */
bool ms_expr_is_ref(const char *s);
/* Whether s holds a reference (or something that looks like a broken one). */
bool ms_expr_has_ref(const char *s);
/*
 * Keep the templates parsed from now until the matching drop (holds
 * nest), for a caller that looks at each several times: the loader.
 */
void ms_expr_cache_hold(void);
void ms_expr_cache_drop(void);
/*
 * Whether any string in v (walked recursively) holds a "${": without one
 * v evaluates to itself, whatever resolves references, and can be shared
 * instead of rebuilt. A quick scan; it parses nothing.
 */
bool ms_expr_in(const json_t *v);

/*
 * Append the text of a scalar to out as interpolation writes it: a string
 * as is, a number as its shortest JSON text, a bool as true/false.
 * Returns -1 with ms_error() ("cannot interpolate a map into a string")
 * for null, lists, maps and unknowns.
 */
int ms_expr_text(struct ms_buf *out, const json_t *v);

/* "a string", "a number", "a bool", "null", "a list", "a map": for messages. */
const char *ms_expr_kind(const json_t *v);

#endif
