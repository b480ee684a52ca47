/*
 * render_json.c - Terraform's JSON plan representation of a plan.
 */
#include "util/common.h"
#include "engine/engine.h"
#include "engine/render.h"
#include "engine/expr.h"
#include "engine/sensitive.h"
#include "providers/provider.h"
#include "util/json.h"

/* after with unknowns replaced by null, and the matching after_unknown */
static json_t *split_unknown(const json_t *v, json_t **unknown)
{
	const char *key;
	json_t *x, *out;
	size_t i;

	if (ms_is_unknown(v)) {
		*unknown = json_true();
		return json_null();
	}
	if (json_is_object(v)) {
		out = json_object();
		*unknown = json_object();
		json_object_foreach((json_t *)v, key, x) {
			json_t *u = NULL;

			json_object_set_new(out, key, split_unknown(x, &u));
			if (json_is_true(u) || json_object_size(u) ||
			    json_array_size(u))
				json_object_set_new(*unknown, key, u);
			else
				json_decref(u);
		}
		return out;
	}
	if (json_is_array(v)) {
		out = json_array();
		*unknown = json_array();
		json_array_foreach(v, i, x) {
			json_t *u = NULL;

			json_array_append_new(out, split_unknown(x, &u));
			json_array_append_new(*unknown, json_is_true(u) ?
								u :
								(json_decref(u),
								 json_false()));
		}
		return out;
	}
	*unknown = json_false();
	return json_deep_copy(v);
}

/*
 * v without the type's internal attributes (a hash cache), its sensitive
 * parts hidden; a new value.
 */
static json_t *shown(const json_t *c, const char *which)
{
	const char *type = json_string_value(json_object_get(c, "type"));
	json_t *v = json_object_get(c, which), *out, *x;
	const char *key;
	void *tmp;

	if (!json_is_object(v))
		return v ? json_incref(v) : json_null();
	out = ms_sensitive_hidden(type, v, json_object_get(c, "sensitive"));
	json_object_foreach_safe(out, tmp, key, x)
		if (ms_render_flags(type, key) & MS_ATTR_INTERNAL)
			json_object_del(out, key);
	return out;
}

json_t *ms_render_plan_json(const json_t *plan)
{
	json_t *out = json_object(), *rc = json_array(), *drift = json_array();
	json_t *c, *vars;
	size_t i;

	json_object_set_new(out, "format_version", json_string("1.2"));
	json_object_set_new(out, "mlstack_version", json_string("0.1.0"));
	json_object_set(out, "stack", json_object_get(plan, "stack"));
	json_array_foreach(json_object_get(plan, "changes"), i, c) {
		enum ms_action action = ms_render_action(c);
		json_t *r = json_object(), *ch = json_object();
		json_t *actions = json_array(), *unknown = NULL;
		json_t *after = shown(c, "after");

		if (action == MS_ACTION_REPLACE) {
			bool cbd = json_is_true(
				json_object_get(c, "create_before_destroy"));

			json_array_append_new(actions,
					      json_string(cbd ? "create" :
								"delete"));
			json_array_append_new(actions,
					      json_string(cbd ? "delete" :
								"create"));
		} else {
			json_array_append_new(
				actions,
				json_string(action == MS_ACTION_NOOP ?
						    "no-op" :
						    ms_action_name(action)));
		}
		json_object_set(r, "address", json_object_get(c, "name"));
		json_object_set_new(r, "mode", json_string("managed"));
		json_object_set(r, "type", json_object_get(c, "type"));
		json_object_set(r, "name", json_object_get(c, "name"));
		json_object_set_new(r, "provider_name",
				    json_string("registry.mlstack.dev/aws"));
		json_object_set_new(ch, "actions", actions);
		json_object_set_new(ch, "before", shown(c, "before"));
		json_object_set_new(ch, "after",
				    split_unknown(after, &unknown));
		json_decref(after);
		json_object_set_new(ch, "after_unknown",
				    json_is_object(unknown) ?
					    unknown :
					    (json_decref(unknown),
					     json_object()));
		json_object_set_new(
			ch, "before_sensitive",
			ms_sensitive_mask(
				json_string_value(json_object_get(c, "type")),
				json_object_get(c, "before"),
				json_object_get(c, "sensitive")));
		json_object_set_new(
			ch, "after_sensitive",
			ms_sensitive_mask(
				json_string_value(json_object_get(c, "type")),
				json_object_get(c, "after"),
				json_object_get(c, "sensitive")));
		if (json_array_size(json_object_get(c, "forces")))
			json_object_set(ch, "replace_paths",
					json_object_get(c, "forces"));
		json_object_set_new(r, "change", ch);
		json_array_append_new(rc, r);
	}
	json_array_foreach(json_object_get(plan, "drift"), i, c) {
		json_t *r = json_object(), *ch = json_object();
		json_t *actions = json_array();

		json_array_append_new(actions,
				      json_string(json_is_true(json_object_get(
							  c, "deleted")) ?
							  "delete" :
							  "update"));
		json_object_set(r, "address", json_object_get(c, "name"));
		json_object_set(r, "type", json_object_get(c, "type"));
		json_object_set(r, "name", json_object_get(c, "name"));
		json_object_set_new(ch, "actions", actions);
		json_object_set_new(ch, "before", shown(c, "before"));
		json_object_set_new(ch, "after", shown(c, "after"));
		json_object_set_new(r, "change", ch);
		json_array_append_new(drift, r);
	}
	json_object_set_new(out, "resource_changes", rc);
	json_object_set_new(out, "resource_drift", drift);
	vars = json_deep_copy(json_object_get(plan, "variables"));
	json_array_foreach(json_object_get(plan, "sensitive_variables"), i, c)
		if (json_object_get(vars, json_string_value(c)))
			json_object_set_new(vars, json_string_value(c),
					    ms_sensitive_marker());
	json_object_set_new(out, "variables", vars ? vars : json_object());
	json_object_set(out, "state_commit",
			json_object_get(plan, "state_commit"));
	return out;
}
