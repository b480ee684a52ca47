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

enum want {
	W_STRING,
	W_BOOL,
	W_OBJECT,
	W_OBJECT_OR_NULL,
	W_ARRAY,
	W_STRINGS, /* an array of strings */
	W_NUMBERS, /* an object of numbers */
	W_ANY,     /* a value, of any type */
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
	{ "tags", W_OBJECT },
	{ "outputs", W_OBJECT },
	{ "changes", W_ARRAY, true },
	{ "drift", W_ARRAY },
	{ "adopted", W_OBJECT },
	{ "gone", W_STRINGS },
	{ "moved", W_OBJECT },
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
	{ NULL },
};

static const struct key drift_keys[] = {
	{ "name", W_STRING, true },
	{ "type", W_STRING, true },
	{ "deleted", W_BOOL },
	{ "before", W_OBJECT_OR_NULL, true },
	{ "after", W_OBJECT_OR_NULL, true },
	{ "changed", W_STRINGS },
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
