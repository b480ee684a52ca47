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
#define MS_STACK_MAX_BYTES (4 * 1024 * 1024)
#define MS_STACK_MAX_DEPTH 64
#define MS_STACK_MAX_ALIASES 1000   /* alias expansions in one file */
#define MS_STACK_MAX_NODES 1000000  /* values after alias expansion */

struct ms_resource {
	char *name;
	char *type;
	json_t *properties;   /* object; raw values */
	json_t *depends_on;   /* array of resource names (explicit only) */
	bool prevent_destroy;
	bool create_before_destroy;
	json_t *ignore_changes; /* array of attribute names */
	json_t *timeouts;     /* {"create"|"update"|"delete": seconds} */
	int line, col;        /* of the resource's key */
};

struct ms_stack {
	char *file;          /* as given, for messages */
	char *name;          /* stack: */
	char *region;        /* region: or NULL */
	json_t *tags;        /* tags: (default tags), {} if none */
	json_t *variables;   /* name -> value (default or -var), resolved */
	struct ms_resource *resources;
	size_t n_resources;  /* in file order */
	json_t *outputs;     /* name -> raw value */
	json_t *marks;       /* path -> [line, col]; see ms_stack_mark */
	char digest[65];     /* hex SHA-256 of the file's bytes */
};

/*
 * Load, parse and validate path: YAML syntax, limits, the top-level keys,
 * resource types and attributes against the provider schemas (with "did
 * you mean"), value types, required attributes, references (variables,
 * resources, attributes), depends_on targets, and variable values. vars is
 * an object of -var overrides (strings), or NULL.
 *
 * Every problem is appended to *diags (an array of one-line strings
 * "file:line:col: message", created if NULL) before returning; returns 0
 * when there were none, -1 otherwise (*out is then NULL). Dependency
 * cycles are found by the graph, not here.
 */
int ms_stack_load(struct ms_stack **out, const char *path, const json_t *vars,
		  json_t **diags);
void ms_stack_free(struct ms_stack *stack);

/* The resource named name, or NULL. */
struct ms_resource *ms_stack_resource(const struct ms_stack *stack,
				      const char *name);

/*
 * The mark of a value by path: "resources.NAME", "resources.NAME.properties.KEY",
 * "outputs.NAME", "variables.NAME". Falls back to the nearest ancestor with a
 * mark; line and col are 0 when none is known.
 */
void ms_stack_mark(const struct ms_stack *stack, const char *path, int *line,
		   int *col);

#endif
