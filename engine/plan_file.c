/*
 * plan_file.c - the saved plan document, checked against its format
 * (docs/plan-format.md) before anything reads it.
 *
 * A saved plan is a file a user can edit, truncate or mistype, and show
 * and apply trust what they read: every key they use is checked here,
 * with its type, so that a wrong value is one error naming the key
 * ("changes[2].action") rather than a NULL in the renderer or a half-run
 * apply. Keys this format does not know are left alone.
 */
#include "util/common.h"
#include "engine/internal.h"
#include "engine/sensitive.h"
#include "util/json.h"
#include "util/sha256.h"
#include "util/file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

enum want {
	W_STRING,
	W_BOOL,
	W_OBJECT,
	W_OBJECT_OR_NULL,
	W_ARRAY,
	W_STRINGS, /* an array of strings */
	W_NUMBERS, /* an object of numbers */
	W_ANY,     /* a value, of any type */
	W_INTEGER,
};

struct key {
	const char *name;
	enum want want;
	bool required;
};

static const struct key top_keys[] = {
	{ "format_version", W_STRING, true },
	{ "stack", W_STRING, true },
	{ "state_commit", W_STRING, true },
	{ "state_version", W_STRING, true },
	{ "stack_digest", W_STRING, true },
	{ "destroy", W_BOOL, true },
	{ "region", W_STRING },
	{ "variables", W_OBJECT, true },
	{ "lookups", W_OBJECT },
	{ "lookup_types", W_OBJECT },
	{ "timestamp", W_STRING },
	{ "tags", W_OBJECT },
	{ "outputs", W_OBJECT },
	{ "changes", W_ARRAY, true },
	{ "drift", W_ARRAY },
	{ "adopted", W_OBJECT },
	{ "gone", W_STRINGS },
	{ "moved", W_OBJECT },
	{ "sensitive_variables", W_STRINGS },
	{ "sensitive_salt", W_STRING },
	{ "sensitive_digest", W_STRING },
	{ "cost", W_OBJECT },
	{ "lint", W_ARRAY },
	{ NULL },
};

static const struct key change_keys[] = {
	{ "name", W_STRING, true },
	{ "type", W_STRING, true },
	{ "action", W_STRING, true },
	{ "before", W_OBJECT_OR_NULL, true },
	{ "after", W_OBJECT_OR_NULL, true },
	{ "changed", W_STRINGS },
	{ "forces", W_STRINGS },
	{ "config", W_ANY },
	{ "dependencies", W_STRINGS, true },
	{ "timeouts", W_NUMBERS },
	{ "create_before_destroy", W_BOOL },
	{ "id", W_STRING },
	{ "tainted", W_BOOL },
	{ "pending", W_BOOL },
	{ "deposed_of", W_STRING },
	{ "sensitive", W_STRINGS },
	{ "cost", W_OBJECT },
	{ NULL },
};

static const struct key drift_keys[] = {
	{ "name", W_STRING, true },
	{ "type", W_STRING, true },
	{ "deleted", W_BOOL },
	{ "before", W_OBJECT_OR_NULL, true },
	{ "after", W_OBJECT_OR_NULL, true },
	{ "changed", W_STRINGS },
	{ "sensitive", W_STRINGS },
	{ NULL },
};

/* a lint finding, as the plan's warnings hold it (ms_engine_lint) */
static const struct key lint_keys[] = {
	{ "rule", W_STRING, true },
	{ "severity", W_STRING, true },
	{ "resource", W_STRING, true },
	{ "type", W_STRING, true },
	{ "file", W_STRING, true },
	{ "line", W_INTEGER, true },
	{ "column", W_INTEGER, true },
	{ "message", W_STRING, true },
	{ "fix", W_STRING, true },
	{ "title", W_STRING },
	{ "checkov", W_STRING },
	{ "attribute", W_STRING },
	{ "suggestion", W_ANY },
	{ "suppressed", W_STRING },
	{ NULL },
};

static const char *const want_words[] = {
	[W_STRING] = "a string",
	[W_BOOL] = "true or false",
	[W_OBJECT] = "an object",
	[W_OBJECT_OR_NULL] = "an object or null",
	[W_ARRAY] = "an array",
	[W_STRINGS] = "an array of strings",
	[W_NUMBERS] = "an object of numbers",
	[W_ANY] = "a value",
	[W_INTEGER] = "an integer",
};

static bool all_of(const json_t *v, json_type type)
{
	const char *key;
	json_t *x;
	size_t i;

	if (json_is_array(v)) {
		json_array_foreach(v, i, x)
			if (json_typeof(x) != type &&
			    !(type == JSON_REAL && json_is_integer(x)))
				return false;
		return true;
	}
	json_object_foreach((json_t *)v, key, x)
		if (json_typeof(x) != type &&
		    !(type == JSON_REAL && json_is_integer(x)))
			return false;
	return true;
}

static bool is(const json_t *v, enum want want)
{
	switch (want) {
	case W_STRING:
		return json_is_string(v);
	case W_BOOL:
		return json_is_boolean(v);
	case W_OBJECT:
		return json_is_object(v);
	case W_OBJECT_OR_NULL:
		return json_is_object(v) || json_is_null(v);
	case W_ARRAY:
		return json_is_array(v);
	case W_STRINGS:
		return json_is_array(v) && all_of(v, JSON_STRING);
	case W_NUMBERS:
		return json_is_object(v) && all_of(v, JSON_REAL);
	case W_ANY:
		return v != NULL;
	case W_INTEGER:
		return json_is_integer(v);
	}
	return false;
}

/* where: "" at the top, "changes[2]." in a change */
static int check_keys(const json_t *obj, const struct key *keys,
		      const char *where)
{
	const struct key *k;

	if (!json_is_object(obj) && !*where)
		return ms_error("not a JSON object");
	if (!json_is_object(obj))
		return ms_error("%.*s: expected an object",
				(int)strlen(where) - 1, where);
	for (k = keys; k->name; k++) {
		json_t *v = json_object_get(obj, k->name);

		if (!v && !k->required)
			continue;
		if (!v)
			return ms_error("%s%s: missing", where, k->name);
		if (!is(v, k->want))
			return ms_error("%s%s: expected %s", where, k->name,
					want_words[k->want]);
	}
	return 0;
}

static int check_change(const json_t *c, const char *where, json_t *names)
{
	const char *name = json_string_value(json_object_get(c, "name"));
	const char *type = json_string_value(json_object_get(c, "type"));
	const char *of = json_string_value(json_object_get(c, "deposed_of"));
	json_t *before = json_object_get(c, "before");
	json_t *after = json_object_get(c, "after");
	int action;

	if (check_keys(c, change_keys, where))
		return -1;
	action = ms_action_parse(
		json_string_value(json_object_get(c, "action")));
	if (action < 0)
		return ms_error(
			"%saction: \"%s\" is not one of noop, create, "
			"update, replace, delete",
			where, json_string_value(json_object_get(c, "action")));
	if (!ms_provider_find(type))
		return ms_error("%stype: unknown resource type \"%s\"", where,
				type);
	if (!*name)
		return ms_error("%sname: \"%s\" is not a resource name", where,
				name);
	if (json_object_get(names, name))
		return ms_error("%sname: \"%s\" appears twice", where, name);
	json_object_set_new(names, name, json_true());
	if (of && action != MS_ACTION_DELETE)
		return ms_error("%saction: an old object's change must be a "
				"delete",
				where);
	if (action == MS_ACTION_CREATE && !json_is_object(after))
		return ms_error(
			"%safter: a create needs the attributes to make",
			where);
	if (action == MS_ACTION_DELETE && !json_is_null(after))
		return ms_error("%safter: a delete has no attributes after",
				where);
	if ((action == MS_ACTION_UPDATE || action == MS_ACTION_REPLACE ||
	     action == MS_ACTION_NOOP) &&
	    (!json_is_object(before) || !json_is_object(after)))
		return ms_error("%.*s: %s needs attributes before and after",
				(int)strlen(where) - 1, where,
				ms_action_name((enum ms_action)action));
	return 0;
}

int ms_plan_check(const json_t *plan)
{
	const char *version, *key;
	json_t *names = NULL, *v;
	char where[64];
	size_t i;
	int err = -1;

	if (check_keys(plan, top_keys, ""))
		return -1;
	version = json_string_value(json_object_get(plan, "format_version"));
	if (strcmp(version, PLAN_FORMAT))
		return ms_error("format_version: \"%s\" is not one this "
				"mlstack reads (\"%s\")",
				version, PLAN_FORMAT);
	if (!*json_string_value(json_object_get(plan, "stack")))
		return ms_error("stack: empty");
	names = json_object();
	json_array_foreach(json_object_get(plan, "changes"), i, v) {
		snprintf(where, sizeof(where), "changes[%zu].", i);
		if (check_change(v, where, names))
			goto done;
	}
	json_array_foreach(json_object_get(plan, "drift"), i, v) {
		snprintf(where, sizeof(where), "drift[%zu].", i);
		if (check_keys(v, drift_keys, where))
			goto done;
	}
	json_array_foreach(json_object_get(plan, "lint"), i, v) {
		snprintf(where, sizeof(where), "lint[%zu].", i);
		if (check_keys(v, lint_keys, where))
			goto done;
	}
	json_object_foreach(json_object_get(plan, "adopted"), key, v)
		if (!json_is_object(v) && !json_is_null(v)) {
			ms_error("adopted.%s: expected an object or null", key);
			goto done;
		}
	json_object_foreach(json_object_get(plan, "moved"), key, v)
		if (!json_is_string(v)) {
			ms_error("moved.%s: expected a string", key);
			goto done;
		}
	err = 0;
done:
	json_decref(names);
	return err;
}

/* ---- secrets: kept out of the file, read again by apply ---------------- */

/* Whether v holds a hidden part anywhere. */
static bool has_marker(const json_t *v)
{
	const char *key;
	json_t *x;
	size_t i;

	if (ms_is_sensitive_marker(v))
		return true;
	if (json_is_object(v)) {
		json_object_foreach((json_t *)v, key, x)
			if (has_marker(x))
				return true;
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, x)
			if (has_marker(x))
				return true;
	}
	return false;
}

/*
 * What the file leaves out, in one value: the sensitive variables and the
 * configurations of the changes that hold secrets (hidden holds the
 * changes as written). Its salted digest lets apply check that what it
 * reads again is what was planned.
 */
static json_t *secrets_of(const json_t *plan, const json_t *hidden_changes)
{
	json_t *out = json_object(), *vars = json_object(),
	       *cfg = json_object();
	json_t *v, *c;
	size_t i;

	json_array_foreach(json_object_get(plan, "sensitive_variables"), i, v) {
		json_t *val =
			json_object_get(json_object_get(plan, "variables"),
					json_string_value(v));

		if (val)
			json_object_set(vars, json_string_value(v), val);
	}
	json_array_foreach(hidden_changes, i, c)
		if (has_marker(json_object_get(c, "config")))
			json_object_set(
				cfg,
				json_string_value(json_object_get(c, "name")),
				json_object_get(
					json_array_get(json_object_get(
							       plan, "changes"),
						       i),
					"config"));
	json_object_set_new(out, "variables", vars);
	json_object_set_new(out, "config", cfg);
	return out;
}

static int secrets_digest(char out[65], const json_t *secrets, const char *salt)
{
	char *text = ms_json_compact(secrets);
	char *salted = ms_asprintf("%s\n%s", salt, text);
	int err = ms_sha256_hex(out, salted, strlen(salted));

	free(text);
	free(salted);
	return err;
}

/* The plan as written to a file: every secret replaced by the marker. */
static int plan_for_file(json_t **out, const json_t *plan)
{
	const char *type, *key;
	json_t *copy = ms_json_copy(plan), *c, *marks, *v, *secrets = NULL;
	char salt[33], digest[65];
	size_t i;
	int err = -1;

	*out = NULL;
	json_array_foreach(json_object_get(plan, "sensitive_variables"), i, v)
		json_object_del(json_object_get(copy, "variables"),
				json_string_value(v));
	json_array_foreach(json_object_get(copy, "changes"), i, c) {
		const char *which[] = { "before", "after", "config" };
		size_t k;

		type = json_string_value(json_object_get(c, "type"));
		marks = json_object_get(c, "sensitive");
		for (k = 0; k < 3; k++)
			if (json_is_object(json_object_get(c, which[k])))
				json_object_set_new(
					c, which[k],
					ms_sensitive_hidden(
						type,
						json_object_get(c, which[k]),
						marks));
	}
	json_array_foreach(json_object_get(copy, "drift"), i, c) {
		type = json_string_value(json_object_get(c, "type"));
		marks = json_object_get(c, "sensitive");
		json_object_set_new(
			c, "before",
			ms_sensitive_hidden(type, json_object_get(c, "before"),
					    marks));
		json_object_set_new(
			c, "after",
			ms_sensitive_hidden(type, json_object_get(c, "after"),
					    marks));
	}
	json_object_foreach(json_object_get(copy, "adopted"), key, v)
		if (json_is_object(json_object_get(v, "attributes")))
			json_object_set_new(
				v, "attributes",
				ms_sensitive_hidden(
					json_string_value(
						json_object_get(v, "type")),
					json_object_get(v, "attributes"),
					json_object_get(v, "sensitive")));
	secrets = secrets_of(plan, json_object_get(copy, "changes"));
	if (json_object_size(json_object_get(secrets, "variables")) ||
	    json_object_size(json_object_get(secrets, "config"))) {
		if (ms_random_hex(salt, 16) ||
		    secrets_digest(digest, secrets, salt))
			goto done;
		json_object_set_new(copy, "sensitive_salt", json_string(salt));
		json_object_set_new(copy, "sensitive_digest",
				    json_string(digest));
	}
	*out = copy;
	copy = NULL;
	err = 0;
done:
	json_decref(copy);
	json_decref(secrets);
	return err;
}

/* hidden with each marker replaced by what source holds at its place */
static int restore(json_t **out, const json_t *hidden, const json_t *source,
		   const char *what)
{
	const char *key;
	json_t *x, *r;
	size_t i;

	*out = NULL;
	if (ms_is_sensitive_marker(hidden)) {
		if (!source)
			return ms_error("%s: a secret the saved plan left out "
					"is not there to read again",
					what);
		*out = ms_json_copy(source);
		return 0;
	}
	if (json_is_object(hidden)) {
		*out = json_object();
		json_object_foreach((json_t *)hidden, key, x) {
			if (restore(&r, x, json_object_get(source, key), what))
				return -1;
			json_object_set_new(*out, key, r);
		}
		return 0;
	}
	if (json_is_array(hidden)) {
		*out = json_array();
		json_array_foreach(hidden, i, x) {
			if (restore(&r, x, json_array_get(source, i), what))
				return -1;
			json_array_append_new(*out, r);
		}
		return 0;
	}
	*out = ms_json_copy(hidden);
	return 0;
}

/* The stored object a change's before was read from (a deposed one too). */
static const json_t *stored_before(const json_t *stored, const json_t *c)
{
	const char *of = json_string_value(json_object_get(c, "deposed_of"));
	const char *id = json_string_value(
		json_object_get(json_object_get(c, "before"), "id"));
	json_t *s, *d;
	size_t i;

	s = json_object_get(stored,
			    of ? of :
				 json_string_value(json_object_get(c, "name")));
	if (!of)
		return json_object_get(s, "attributes");
	json_array_foreach(json_object_get(s, "deposed"), i, d) {
		const char *did = json_string_value(json_object_get(d, "id"));

		if (id && did && !strcmp(id, did))
			return d;
	}
	return NULL;
}

int ms_plan_restore_secrets(struct ms_engine *e, json_t *plan,
			    const json_t *stored)
{
	const char *name, *salt, *want;
	json_t *v, *c, *r, *secrets = NULL, *vars;
	char digest[65];
	size_t i;
	int err = -1;

	vars = json_object_get(plan, "variables");
	json_array_foreach(json_object_get(plan, "sensitive_variables"), i, v) {
		name = json_string_value(v);
		if (json_object_get(vars, name))
			continue; /* a plan made here, not read from a file */
		if (!json_object_get(e->stack->variables, name))
			return ms_error("variable \"%s\" is sensitive, so the "
					"saved plan does not keep its value: "
					"give it again (-var %s=VALUE)",
					name, name);
		json_object_set(vars, name,
				json_object_get(e->stack->variables, name));
	}
	json_object_foreach(json_object_get(plan, "adopted"), name, v)
		if (has_marker(v))
			return ms_error("the saved plan records \"%s\", found "
					"after an interrupted run, without its "
					"secrets: run 'mlstack apply' without "
					"a plan file",
					name);
	json_array_foreach(json_object_get(plan, "changes"), i, c) {
		const struct ms_resource *res;
		const char *cname =
			json_string_value(json_object_get(c, "name"));

		if (has_marker(json_object_get(c, "before"))) {
			if (restore(&r, json_object_get(c, "before"),
				    stored_before(stored, c), cname))
				return -1;
			json_object_set_new(c, "before", r);
		}
		if (!has_marker(json_object_get(c, "config")))
			continue;
		res = ms_stack_resource(e->stack, cname);
		if (restore(&r, json_object_get(c, "config"),
			    res ? res->properties : NULL, cname))
			return -1;
		json_object_set_new(c, "config", r);
	}
	salt = json_string_value(json_object_get(plan, "sensitive_salt"));
	want = json_string_value(json_object_get(plan, "sensitive_digest"));
	if (!salt || !want)
		return 0;
	secrets = secrets_of(plan, json_object_get(plan, "changes"));
	/* every change's config counts, as written: recompute from them */
	json_object_set_new(secrets, "config", json_object());
	json_array_foreach(json_object_get(plan, "changes"), i, c) {
		json_t *hidden = ms_sensitive_hidden(
			json_string_value(json_object_get(c, "type")),
			json_object_get(c, "config"),
			json_object_get(c, "sensitive"));

		if (json_is_object(json_object_get(c, "config")) &&
		    has_marker(hidden))
			json_object_set(
				json_object_get(secrets, "config"),
				json_string_value(json_object_get(c, "name")),
				json_object_get(c, "config"));
		json_decref(hidden);
	}
	if (secrets_digest(digest, secrets, salt))
		goto done;
	if (strcmp(digest, want)) {
		ms_error("the sensitive values read again (sensitive "
			 "variables, secrets in the stack file) differ from "
			 "those the saved plan was made with: run 'mlstack "
			 "plan' again");
		goto done;
	}
	err = 0;
done:
	json_decref(secrets);
	return err;
}

int ms_plan_save(const json_t *plan, const char *path)
{
	json_t *copy = NULL;
	int fd, err = 0;
	FILE *f;

	if (plan_for_file(&copy, plan))
		return -1;
	plan = copy;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		json_decref(copy);
		ms_file_error(path, errno);
		return ms_error("cannot write the plan: %s", ms_error_last());
	}
	/* an existing file keeps its mode through O_TRUNC: set it */
	if (fchmod(fd, 0600) < 0) {
		close(fd);
		json_decref(copy);
		return ms_error("cannot write the plan: \"%s\": %s", path,
				strerror(errno));
	}
	f = fdopen(fd, "w");
	if (!f) {
		close(fd);
		json_decref(copy);
		return ms_error("cannot write the plan: \"%s\": %s", path,
				strerror(errno));
	}
	if (json_dumpf(plan, f, JSON_INDENT(2) | JSON_SORT_KEYS) ||
	    fputc('\n', f) == EOF)
		err = -1;
	if (fclose(f) && !err)
		err = -1;
	json_decref(copy);
	if (err)
		return ms_error("cannot write the plan: \"%s\": %s", path,
				strerror(errno));
	return 0;
}
