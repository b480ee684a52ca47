/*
 * stack.h - the stack file (DESIGN §2) as a model: resources, variables,
 * outputs, each value with its source mark.
 *
 * Values stay raw JSON (jansson) as written, strings with ${...} included;
 * expr.h evaluates them. Marks live in a side table keyed by the value's
 * path, so that any later stage (graph, plan) can still point at the line.
 */
#ifndef MS_STACK_H
#define MS_STACK_H

#include <jansson.h>
#include <stdbool.h>

/* Limits that keep a hostile file from exhausting memory. */
#define MS_STACK_MAX_BYTES   (4 * 1024 * 1024)
#define MS_STACK_MAX_DEPTH   64
#define MS_STACK_MAX_ALIASES 1000    /* alias expansions in one file */
#define MS_STACK_MAX_NODES   1000000 /* values after alias expansion */
/* bytes of scalar text after alias expansion: 4 times the largest file */
#define MS_STACK_MAX_VALUE_BYTES (4 * MS_STACK_MAX_BYTES)

struct ms_stack_cache;

struct ms_resource {
	char *name;
	char *type;
	json_t *properties; /* object; raw values */
	json_t *depends_on; /* array of resource names (explicit only) */
	bool prevent_destroy;
	bool create_before_destroy;
	json_t *ignore_changes; /* array of attribute names */
	json_t *timeouts;       /* {"create"|"update"|"delete": seconds} */
	json_t *lint_ignore; /* lint: {ignore: {RULE: reason}}: rule -> reason */
	int line, col;       /* of the resource's key */
	/*
	 * Resources only: what its properties refer to, found once by the
	 * loader: the resources' names (the strings of the references,
	 * shared), and the lookups' (NULL when none)
	 */
	json_t *refers, *refers_data;
};

struct ms_stack {
	char *file;         /* as given, for messages */
	char *name;         /* stack: */
	char *region;       /* region: or NULL */
	char *state_remote; /* state: {remote: URL}, or NULL */
	json_t *tags;       /* tags: (default tags), {} if none */
	json_t *variables;  /* name -> value (default or -var), resolved */
	json_t *sensitive; /* names of the variables marked sensitive -> true */
	struct ms_resource *resources;
	size_t n_resources;          /* in file order */
	struct ms_resource *lookups; /* data: (type and properties only) */
	size_t n_lookups;
	json_t *outputs; /* name -> raw value */
	/*
	 * path -> [line, col, value_line, value_col]: those of the sections
	 * and their entries; ms_stack_mark finds the others when asked
	 */
	json_t *marks;
	char digest[65]; /* hex SHA-256 of the file's bytes */

	/*
	 * stack.c's own: the resources' index by name, and the file's text
	 * for the marks found on first need
	 */
	struct ms_stack_cache *cache;
};

/*
 * Load, parse and validate path: YAML syntax, limits, the top-level keys,
 * resource types and attributes against the provider schemas (with "did
 * you mean"), value types and rules, required attributes, references
 * (variables and paths into their values, resources, attributes),
 * depends_on targets, variable values, and the names objects will have
 * (ms_provider_check_name). Types, rules and names are checked on the
 * values as they are once variables and the stack's name are put in.
 * vars is an object of -var overrides (strings), or NULL.
 *
 * Every problem is appended to *diags (an array of one-line strings
 * "file:line:col: message", created if NULL; diags itself may be NULL)
 * before returning, sorted by position; a file that cannot be read gives
 * one line that names it ("\"file\": is a directory"). Returns 0 when there were none, -1 otherwise (*out is
 * then NULL, and ms_error() holds the first line). Dependency cycles are
 * found by the graph, not here. stack->variables, region and tags come
 * back resolved; properties and outputs keep their references, with
 * values converted to their schema types (ms_stack_check_value).
 */
int ms_stack_load(struct ms_stack **out, const char *path, const json_t *vars,
		  json_t **diags);
/*
 * ms_stack_load on the len bytes of data (borrowed; NUL-termination not
 * needed), as if read from a file called file, which names it in
 * diagnostics and in stack->file.
 */
int ms_stack_load_buffer(struct ms_stack **out, const char *file,
			 const char *data, size_t len, const json_t *vars,
			 json_t **diags);
void ms_stack_free(struct ms_stack *stack);

/* The resource named name, or NULL; a hash lookup. */
struct ms_resource *ms_stack_resource(const struct ms_stack *stack,
				      const char *name);
/* The lookup (data: entry) called name, or NULL. */
struct ms_resource *ms_stack_lookup(const struct ms_stack *stack,
				    const char *name);

/*
 * The mark of a value by path: "resources.NAME", "resources.NAME.properties.KEY",
 * "outputs.NAME", "variables.NAME". Falls back to the nearest ancestor with a
 * mark; line and col are 0 when none is known. The marks below a section's
 * entries are read from the file's text on the first call that needs one.
 * Safe from any thread.
 */
void ms_stack_mark(const struct ms_stack *stack, const char *path, int *line,
		   int *col);

/*
 * The mark of a value itself rather than of its key ("x: VALUE" points at
 * VALUE); same fallback as ms_stack_mark.
 */
void ms_stack_value_mark(const struct ms_stack *stack, const char *path,
			 int *line, int *col);

/*
 * As ms_stack_mark, but falling back only as far as the ancestor that is
 * path's first floor bytes: whether a mark was found (*line and *col are
 * left as they were when not). Safe from any thread.
 */
bool ms_stack_mark_under(const struct ms_stack *stack, const char *path,
			 size_t floor, int *line, int *col);

/*
 * The candidate nearest to a mistyped word, for "did you mean": smallest
 * Damerau-Levenshtein distance (case-insensitive; the first candidate wins
 * a tie), if that distance is at most 1 for words under 6 characters, at
 * most 2 (or a third of the length, for long words) otherwise, and
 * shorter than both words. candidates is NULL-terminated; the result is
 * one of them (borrowed), or NULL when none is near enough.
 */
const char *ms_did_you_mean(const char *word, const char *const *candidates);

struct ms_attr;

/*
 * Check value against the schema entry attr and convert it to the
 * schema's type, as the loader does for every property and as the plan
 * must do again once references are resolved:
 *   STRING  a string; a number or bool becomes its text
 *   NUMBER  a number, or a numeric string
 *   BOOL    a bool, or "true"/"false"
 *   LIST    a list of strings (scalars converted), or of objects checked
 *           against attr->nested
 *   MAP     a map of scalars, converted to strings
 *   OBJECT  a map checked against attr->nested: unknown keys (with "did
 *           you mean"), computed keys set, missing required keys; a null
 *           value for an optional key drops it
 *   JSON    anything
 * and against the rules of the attribute's flags: an MS_ATTR_ARN string
 * (or list element) is an ARN, an MS_ATTR_POLICY value a policy document
 * (its JSON text parses; a map with "Statement", a known "Version"), an
 * MS_ATTR_POLICIES value a map of them.
 * A string that is exactly one reference, or an unknown, is taken as it
 * is; a string interpolating references passes for a string, number or
 * bool, and no rule looks into it. label names value in messages
 * ("vpc_config"; "" for the top of a resource's properties, checked with
 * an OBJECT attr whose nested is the type's schema). raw, or NULL, maps
 * paths relative to value ("", ".key", "[0]") to the text a number was
 * written as (struct ms_yaml_doc), so that "1.10" stays "1.10" as a
 * string.
 *
 * Each problem is appended to problems as {"path": relative path,
 * "at": "key"|"value", "message": 'attribute "x": expected a number, got
 * a list'}. Returns 0 with *out the converted value (a new reference;
 * value itself, or parts of it, wherever nothing needed converting: share,
 * do not change it in place), or -1 with *out NULL when there was any
 * problem.
 */
int ms_stack_check_value(json_t **out, const struct ms_attr *attr,
			 const json_t *value, const char *label,
			 const json_t *raw, json_t *problems);

/*
 * The property path a type's hook (normalize) names first in its message
 * ("volume_size: ...", "production_variants[0].initial_instance_count:
 * ..."), malloc'd, or NULL when the message names none of t's
 * attributes: where the stack file has what the message is about.
 */
struct ms_resource_type;
char *ms_stack_message_path(const struct ms_resource_type *t, const char *msg);

/*
 * A timeout as seconds: a non-negative integer, or a duration string of
 * hours, minutes and seconds in that order ("90s", "20m", "1h30m", "600").
 * Returns 0, or -1 with ms_error() set (no position).
 */
int ms_stack_parse_duration(long *out, const json_t *value);

#endif
