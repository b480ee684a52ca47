/*
 * diff.c - how a stack changed between two versions of its file, offline
 * (`mlstack diff`).
 *
 * Each version is planned as `plan -refresh=false` plans it, against the
 * recorded state and without AWS: its desired values, with computed ones
 * as the state records them (unknown where it records none). The diff is
 * then the newer version's desired values against the older's, attribute
 * by attribute, with the same rules as a plan (computed attributes left
 * out, ignore_changes kept, replacement where an attribute forces it).
 */
#include "util/common.h"
#include "util/json.h"
#include "engine/expr.h"
#include "engine/internal.h"

/* A side's plan, or an empty one when its file did not exist. */
static int side_plan(struct ms_engine *e, json_t **out)
{
	struct ms_plan_opts po = { false, false };

	if (!e) {
		*out = json_pack("{s:[]}", "changes");
		return 0;
	}
	return ms_engine_plan(e, &po, out);
}

/* name -> the change planning a stack resource (not a deletion). */
static json_t *desired_of(const json_t *plan)
{
	json_t *by_name = json_object(), *c;
	size_t i;

	json_array_foreach(json_object_get(plan, "changes"), i, c) {
		const char *action =
			json_string_value(json_object_get(c, "action"));

		if (action && strcmp(action, "delete"))
			json_object_set(
				by_name,
				json_string_value(json_object_get(c, "name")),
				c);
	}
	return by_name;
}

/* Computed attributes of a replaced object are new: unknown. */
static void unknown_computed(const struct ms_resource_type *t, json_t *after)
{
	const struct ms_attr *a;

	for (a = t->schema; a->name; a++)
		if ((a->flags & MS_ATTR_COMPUTED) &&
		    !(a->flags & (MS_ATTR_LOCAL | MS_ATTR_INTERNAL)) &&
		    json_object_get(after, a->name))
			json_object_set_new(after, a->name, ms_unknown_new());
}

static bool ignored(const struct ms_engine *e, const char *name,
		    const char *attr)
{
	const struct ms_resource *res = ms_stack_resource(e->stack, name);
	json_t *v;
	size_t i;

	json_array_foreach(res ? res->ignore_changes : NULL, i, v)
		if (!strcmp(json_string_value(v), attr))
			return true;
	return false;
}

/* The change from was (from's plan) to now (to's plan), same resource. */
static json_t *compare(const struct ms_engine *to, const json_t *was,
		       const json_t *now)
{
	const char *name = json_string_value(json_object_get(now, "name"));
	const char *type = json_string_value(json_object_get(now, "type"));
	const char *old_type = json_string_value(json_object_get(was, "type"));
	const struct ms_resource_type *t = ms_provider_find(type);
	json_t *before = json_object_get(was, "after");
	json_t *after = ms_json_copy(json_object_get(now, "after"));
	json_t *changed = json_array(), *forces = json_array();
	json_t *c = ms_json_copy(now);
	const struct ms_attr *a;
	enum ms_action action;
	bool retyped = strcmp(type, old_type) != 0;

	if (retyped) {
		json_array_append_new(changed, json_string("type"));
		json_array_append_new(forces, json_string("type"));
	}
	for (a = t->schema; !retyped && a->name; a++) {
		json_t *want, *had;

		want = json_object_get(after, a->name);
		had = json_object_get(before, a->name);
		if ((a->flags & MS_ATTR_COMPUTED &&
		     !(a->flags & MS_ATTR_LOCAL)) ||
		    (a->flags & MS_ATTR_INTERNAL) || !want ||
		    (had && json_equal(want, had)) ||
		    ignored(to, name, a->name))
			continue;
		json_array_append_new(changed, json_string(a->name));
		if (a->flags & MS_ATTR_FORCE_NEW)
			json_array_append_new(forces, json_string(a->name));
	}
	action = json_array_size(forces)  ? MS_ACTION_REPLACE :
		 json_array_size(changed) ? MS_ACTION_UPDATE :
					    MS_ACTION_NOOP;
	if (action == MS_ACTION_REPLACE)
		unknown_computed(t, after);
	json_object_set_new(c, "action", json_string(ms_action_name(action)));
	json_object_set(c, "before", before);
	json_object_set_new(c, "after", after);
	json_object_set_new(c, "changed", changed);
	json_object_set_new(c, "forces", forces);
	json_object_del(c, "pending");
	json_object_del(c, "tainted");
	return c;
}

static json_t *created(const json_t *now)
{
	json_t *c = ms_json_copy(now);

	json_object_set_new(c, "action", json_string("create"));
	json_object_set_new(c, "before", json_null());
	json_object_set_new(c, "changed", json_array());
	json_object_set_new(c, "forces", json_array());
	json_object_del(c, "id");
	json_object_del(c, "pending");
	json_object_del(c, "tainted");
	return c;
}

static json_t *deleted(const json_t *was)
{
	json_t *c = json_object();
	const char *keys[] = { "name", "type", "id", "dependencies",
			       "sensitive" };
	size_t i;

	for (i = 0; i < MS_ARRAY_SIZE(keys); i++)
		if (json_object_get(was, keys[i]))
			json_object_set(c, keys[i],
					json_object_get(was, keys[i]));
	json_object_set_new(c, "action", json_string("delete"));
	json_object_set(c, "before", json_object_get(was, "after"));
	json_object_set_new(c, "after", json_null());
	json_object_set_new(c, "changed", json_array());
	json_object_set_new(c, "forces", json_array());
	return c;
}

int ms_engine_diff(json_t **out, struct ms_engine *from, struct ms_engine *to,
		   const char *from_label, const char *to_label)
{
	json_t *old_plan = NULL, *new_plan = NULL, *was = NULL, *now = NULL;
	json_t *changes = json_array(), *plan, *c, *names, *v;
	struct ms_engine *named = to ? to : from;
	const char *name;
	size_t i;
	int err = -1;

	*out = NULL;
	if (side_plan(from, &old_plan) || side_plan(to, &new_plan))
		goto done;
	was = desired_of(old_plan);
	now = desired_of(new_plan);
	/* the newer file's order, then what it no longer has */
	json_array_foreach(json_object_get(new_plan, "changes"), i, c) {
		json_t *w;

		name = json_string_value(json_object_get(c, "name"));
		if (!json_object_get(now, name))
			continue;
		w = json_object_get(was, name);
		json_array_append_new(changes,
				      w ? compare(to, w, c) : created(c));
	}
	json_array_foreach(json_object_get(old_plan, "changes"), i, c) {
		name = json_string_value(json_object_get(c, "name"));
		if (json_object_get(was, name) && !json_object_get(now, name))
			json_array_append_new(changes, deleted(c));
	}

	plan = json_object();
	json_object_set_new(plan, "format_version", json_string(PLAN_FORMAT));
	json_object_set_new(plan, "stack",
			    json_string(named ? named->stack->name : ""));
	json_object_set(plan, "state_commit",
			json_object_get(new_plan, "state_commit"));
	json_object_set(plan, "state_version",
			json_object_get(new_plan, "state_version"));
	json_object_set_new(plan, "destroy", json_false());
	json_object_set_new(plan, "variables",
			    to ? json_incref(to->stack->variables) :
				 json_object());
	names = json_array();
	json_object_foreach(to ? to->stack->sensitive : NULL, name, v)
		json_array_append_new(names, json_string(name));
	json_object_set_new(plan, "sensitive_variables", names);
	json_object_set_new(plan, "lookups", json_object());
	json_object_set_new(plan, "tags",
			    to ? json_incref(to->stack->tags) : json_object());
	json_object_set_new(plan, "outputs",
			    to ? json_incref(to->stack->outputs) :
				 json_object());
	json_object_set(plan, "changes", changes);
	json_object_set_new(plan, "drift", json_array());
	json_object_set_new(plan, "adopted", json_object());
	json_object_set_new(plan, "gone", json_array());
	json_object_set_new(plan, "moved", json_object());
	json_object_set_new(plan, "offline",
			    json_pack("{s:s, s:s}", "from", from_label, "to",
				      to_label));
	/* the sides' costs came with their changes: priced again, as a diff */
	if (named && ms_engine_cost_plan(named, plan)) {
		json_decref(plan);
		goto done;
	}
	*out = plan;
	err = 0;
done:
	json_decref(old_plan);
	json_decref(new_plan);
	json_decref(was);
	json_decref(now);
	json_decref(changes);
	return err;
}
