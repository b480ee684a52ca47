/*
 * plan.c - diff: (desired, prior state, live) -> one action a
 * resource, with the attributes that change and the ones that force a
 * replacement.
 *
 * The plan is a JSON document that carries everything apply needs (each
 * resource's raw configuration, the variables, the state commit it was
 * made against), so a saved plan applies exactly what was shown even if
 * the stack file changed since. Plan takes no lock and writes nothing.
 */
#include "util/common.h"
#include "engine/internal.h"
#include "engine/sensitive.h"
#include "engine/expr.h"
#include "util/json.h"

#include <pthread.h>

/* threads share values here: jansson's reference counts must be atomic */
#ifndef JANSSON_THREAD_SAFE_REFCOUNT
#error "jansson without thread-safe reference counting"
#endif
#include <time.h>

static const char *const action_names[] = {
	[MS_ACTION_NOOP] = "noop",     [MS_ACTION_CREATE] = "create",
	[MS_ACTION_UPDATE] = "update", [MS_ACTION_REPLACE] = "replace",
	[MS_ACTION_DELETE] = "delete",
};

const char *ms_action_name(enum ms_action a)
{
	return (size_t)a < MS_ARRAY_SIZE(action_names) ? action_names[a] : NULL;
}

int ms_action_parse(const char *word)
{
	size_t i;

	for (i = 0; word && i < MS_ARRAY_SIZE(action_names); i++)
		if (!strcmp(word, action_names[i]))
			return (int)i;
	return -1;
}

/*
 * A create whose object is not found stays journaled this long after it
 * was sent: the request may still be on its way and take effect after
 * the run that sent it died. Past it, absence is confirmed.
 */
#define IN_FLIGHT_WINDOW 120.0

/*
 * Whether live, found through an intent of resource name, is the object
 * that intent's create made: it carries the owner mark of this stack and
 * resource, or (a type whose mark comes by a later call) the type claims
 * it.
 */
static int made_by_intent(struct ms_call *call,
			  const struct ms_resource_type *t, const json_t *live,
			  const json_t *intent, bool *ours)
{
	const struct ms_attr *a;
	json_t *at = json_object_get(intent, "at");

	*ours = false;
	for (a = t->schema; a->name; a++)
		if ((a->flags & MS_ATTR_TAGS) &&
		    ms_call_owns(call, json_object_get(live, a->name))) {
			*ours = true;
			return 0;
		}
	if (t->claim && json_is_number(at))
		return t->claim(call, live, json_number_value(at), ours);
	return 0;
}

/*
 * A journal intent is a create that may have happened without being
 * recorded (the process died). Every intent is resolved, whether or not
 * the stack still declares its resource: the object it names is read, and
 * adopted into the stored resources when this stack provably made it (so
 * it is neither created twice nor left behind); an object someone else
 * made is left alone and the intent forgotten. An object not there yet
 * keeps its intent while its create may still be in flight.
 */
static int recover_journal(struct ms_engine *e, json_t *stored)
{
	json_t *journal = NULL, *intent;
	const char *name;
	double now = (double)time(NULL);
	int err = 0;

	if (ms_state_journal(e->state, &journal))
		return -1;
	if (json_object_size(journal) && ms_engine_session(e, &e->aws)) {
		json_decref(journal);
		return -1;
	}
	json_object_foreach(journal, name, intent) {
		const char *type =
			json_string_value(json_object_get(intent, "type"));
		const char *idv =
			json_string_value(json_object_get(intent, "id_value"));
		const struct ms_resource_type *t =
			ms_provider_find(type ? type : "");
		json_t *at = json_object_get(intent, "at");
		struct ms_call call;
		json_t *live = NULL, *value, *prev, *deposed;
		bool ours = false;

		prev = json_object_get(stored, name);
		if (!t || !idv) {
			json_object_set_new(e->adopted, name, json_null());
			continue;
		}
		if (prev && json_is_string(json_object_get(prev, "id")) &&
		    !strcmp(json_string_value(json_object_get(prev, "id")),
			    idv)) {
			/* recorded already */
			json_object_set_new(e->adopted, name, json_null());
			continue;
		}
		ms_engine_call(&call, e, t, name);
		err = ms_engine_read_id(&live, &call, idv);
		if (!err && live)
			err = made_by_intent(&call, t, live, intent, &ours);
		if (err) {
			json_decref(live);
			err = ms_error("resource \"%s\": recovering an "
				       "interrupted create: %s",
				       name, ms_error_last());
			break;
		}
		if (!live) {
			if (json_is_number(at) &&
			    now - json_number_value(at) < IN_FLIGHT_WINDOW)
				continue; /* its create may still land */
			json_object_set_new(e->adopted, name, json_null());
			continue;
		}
		if (!ours) {
			ms_log(MS_LOG_INFO, "engine",
			       "resource \"%s\": '%s' "
			       "exists but this stack did not make it: left "
			       "alone",
			       name, idv);
			json_decref(live);
			json_object_set_new(e->adopted, name, json_null());
			continue;
		}
		value = json_object();
		json_object_set_new(value, "type", json_string(type));
		json_object_set(value, "id", json_object_get(live, "id"));
		if (t->settled && !t->settled(live))
			json_object_set_new(value, "pending", json_true());
		json_object_set_new(value, "attributes", live);
		json_object_set(value, "dependencies",
				json_object_get(intent, "dependencies"));
		if (prev) {
			/*
			 * A replacement made before the old object went: the
			 * old one is deposed, and the found one is current,
			 * whatever it was before.
			 */
			json_t *d;
			size_t k;

			deposed = json_array();
			json_array_foreach(json_object_get(prev, "deposed"), k,
					   d)
				if (!json_equal(json_object_get(d, "id"),
						json_object_get(live, "id")))
					json_array_append(deposed, d);
			json_array_append(deposed,
					  json_object_get(prev, "attributes"));
			json_object_set_new(value, "deposed", deposed);
		}
		json_object_set(stored, name, value);
		json_object_set_new(e->adopted, name, value);
	}
	json_decref(journal);
	return err;
}

/* "type\nid": one key for a stored object of a type and a name. */
static char *object_key(const json_t *type, const json_t *id)
{
	if (!json_is_string(type) || !json_is_string(id))
		return NULL;
	return ms_asprintf("%s\n%s", json_string_value(type),
			   json_string_value(id));
}

/*
 * The stored resources that a move may take, by the key of their id and
 * by the key of their object's name (the type's id attribute), each list
 * in the order of stored: a new resource finds the first one holding its
 * object without a pass over all of them.
 */
struct candidate_list {
	size_t *pos, n, alloc, head; /* before head: taken */
};

struct candidates {
	json_t *by_key; /* key -> index in lists */
	struct candidate_list *lists;
	size_t n_lists;
	json_t *names; /* position -> stored name */
	char *taken;   /* position -> moved already */
};

static void candidates_add(struct candidates *c, char *key, size_t pos)
{
	struct candidate_list *l;
	json_t *at;

	if (!key)
		return;
	at = json_object_get(c->by_key, key);
	if (!at) {
		c->lists = ms_realloc(c->lists,
				      (c->n_lists + 1) * sizeof(*c->lists));
		memset(&c->lists[c->n_lists], 0, sizeof(*c->lists));
		at = json_integer((json_int_t)c->n_lists++);
		json_object_set_new(c->by_key, key, at);
	}
	free(key);
	l = &c->lists[json_integer_value(at)];
	/* an id equal to the object's name: the position once */
	if (l->n && l->pos[l->n - 1] == pos)
		return;
	if (l->n == l->alloc) {
		l->alloc = l->alloc ? 2 * l->alloc : 2;
		l->pos = ms_realloc(l->pos, l->alloc * sizeof(*l->pos));
	}
	l->pos[l->n++] = pos;
}

/* The first position of key's list not taken, or -1. */
static long candidates_first(struct candidates *c, char *key)
{
	json_t *at = key ? json_object_get(c->by_key, key) : NULL;
	struct candidate_list *l;

	free(key);
	if (!at)
		return -1;
	l = &c->lists[json_integer_value(at)];
	/* what was taken stays taken: skipped once */
	while (l->head < l->n && c->taken[l->pos[l->head]])
		l->head++;
	return l->head < l->n ? (long)l->pos[l->head] : -1;
}

/*
 * A resource renamed in the stack while its object keeps its name: the
 * stored resource the stack no longer declares, of the same type and
 * holding the object the new key names, is moved to the new key, so the
 * object is updated in place (its owner mark included) instead of being
 * created under one key while it is deleted under the other. The id of
 * the new key is taken from its configuration evaluated against what the
 * state holds; one that is not known yet is not a move. moved: old name
 * -> new name.
 */
static void detect_moves(struct ms_engine *e, json_t *stored, json_t *moved)
{
	json_t *values = json_object(), *v, *id;
	struct candidates c;
	const char *name;
	size_t i, pos = 0;

	memset(&c, 0, sizeof(c));
	c.by_key = json_object();
	c.names = json_array();
	c.taken = ms_calloc(json_object_size(stored) + 1, 1);
	json_object_foreach(stored, name, v) {
		json_t *type = json_object_get(v, "type");
		const struct ms_resource_type *t = ms_provider_find(
			json_is_string(type) ? json_string_value(type) : "");

		if (ms_stack_resource(e->stack, name))
			continue;
		json_array_append_new(c.names, json_string(name));
		candidates_add(&c, object_key(type, json_object_get(v, "id")),
			       pos);
		if (t && t->id_attr)
			candidates_add(
				&c,
				object_key(type,
					   json_object_get(
						   json_object_get(
							   v, "attributes"),
						   t->id_attr)),
				pos);
		pos++;
	}
	/* what the new keys' ids are evaluated against, when any may move */
	if (pos)
		json_object_foreach(stored, name, v)
			json_object_set(values, name,
					json_object_get(v, "attributes"));
	for (i = 0; pos && i < e->stack->n_resources; i++) {
		const struct ms_resource *res = &e->stack->resources[i];
		const struct ms_resource_type *t = ms_provider_find(res->type);
		json_t *raw, *type;
		long k;

		if (!t || !t->id_attr || json_object_get(stored, res->name))
			continue;
		raw = json_object_get(res->properties, t->id_attr);
		id = NULL;
		if (!raw ||
		    ms_engine_eval(e, &id, raw, e->stack->variables, values) ||
		    !json_is_string(id)) {
			ms_error_clear();
			json_decref(id);
			continue;
		}
		/* a match by id or by name: both are keys of one space */
		type = json_string(res->type);
		k = candidates_first(&c, object_key(type, id));
		json_decref(type);
		json_decref(id);
		if (k < 0)
			continue;
		c.taken[k] = 1;
		name = json_string_value(json_array_get(c.names, (size_t)k));
		v = json_object_get(stored, name);
		json_object_set_new(moved, name, json_string(res->name));
		json_object_set(stored, res->name, v);
		json_object_del(stored, name);
	}
	for (i = 0; i < c.n_lists; i++)
		free(c.lists[i].pos);
	free(c.lists);
	free(c.taken);
	json_decref(c.by_key);
	json_decref(c.names);
	json_decref(values);
}

/*
 * The objects ("type\nid") held by stored resources the stack declares:
 * a stored resource the stack no longer declares whose object is among
 * them (a move interrupted between its two writes) is forgotten, never
 * deleted.
 */
static json_t *held_by_stack(const struct ms_engine *e, const json_t *stored)
{
	json_t *held = json_object(), *v;
	const char *name;
	char *key;

	json_object_foreach((json_t *)stored, name, v) {
		if (!ms_stack_resource(e->stack, name))
			continue;
		key = object_key(json_object_get(v, "type"),
				 json_object_get(v, "id"));
		if (key)
			json_object_set_new(held, key, json_true());
		free(key);
	}
	return held;
}

static bool held_elsewhere(const json_t *held, const json_t *stored,
			   const char *name)
{
	json_t *mine = json_object_get(stored, name);
	char *key = object_key(json_object_get(mine, "type"),
			       json_object_get(mine, "id"));
	bool found = key && json_object_get(held, key);

	free(key);
	return found;
}

/*
 * Two resources naming one object would adopt each other's and flip it on
 * every apply. validate refuses names known offline; this catches the
 * ones made of other resources' values. Change i is noted as it is made
 * (its values at hand); *dup gets the first pair's error, said once
 * every change is made.
 */
static void note_object(struct ms_named *seen, const json_t *changes, size_t i,
			char **dup)
{
	const json_t *c = json_array_get(changes, i);
	const char *type = json_string_value(json_object_get(c, "type"));
	const struct ms_resource_type *t = type ? ms_provider_find(type) : NULL;
	const json_t *id = t && t->id_attr ?
				   json_object_get(json_object_get(c, "after"),
						   t->id_attr) :
				   NULL;
	size_t first;

	if (*dup || !json_is_string(id) ||
	    ms_named_add(seen, t->name, json_string_value(id), i, &first))
		return;
	*dup = ms_asprintf(
		"resource \"%s\": %s \"%s\" is also the %s of resource "
		"\"%s\"; one object cannot be managed by two resources",
		json_string_value(json_object_get(c, "name")), t->id_attr,
		json_string_value(id), t->id_attr,
		json_string_value(json_object_get(
			json_array_get(changes, first), "name")));
}

static bool ignored(const struct ms_resource *res, const char *attr)
{
	json_t *v;
	size_t i;

	if (!res)
		return false;
	json_array_foreach(res->ignore_changes, i, v)
		if (json_is_string(v) && !strcmp(json_string_value(v), attr))
			return true;
	return false;
}

/*
 * Compare desired with before on the attributes a user sets; fills changed
 * and forces (attributes whose change replaces the resource).
 */
static void diff_attrs(const struct ms_resource_type *t,
		       const struct ms_resource *res, json_t *after,
		       const json_t *before, json_t *changed, json_t *forces)
{
	const struct ms_attr *a;

	for (a = t->schema; a->name; a++) {
		json_t *want = json_object_get(after, a->name);
		json_t *have = json_object_get(before, a->name);

		if ((a->flags & MS_ATTR_COMPUTED &&
		     !(a->flags & MS_ATTR_LOCAL)) ||
		    (a->flags & (MS_ATTR_INTERNAL | MS_ATTR_INPUT)))
			continue;
		if (!want)
			continue; /* not set: AWS's value is accepted */
		if (ignored(res, a->name) && have) {
			json_object_set(after, a->name, have);
			continue;
		}
		if (have && !ms_has_unknown(want) && json_equal(want, have)) {
			/* the same value: one copy of it, read-only from here
			 * on, is enough (a plan of many stored resources holds
			 * both sides of each) */
			json_object_set(after, a->name, have);
			continue;
		}
		json_array_append_new(changed, json_string(a->name));
		if (a->flags & MS_ATTR_FORCE_NEW)
			json_array_append_new(forces, json_string(a->name));
	}
}

/* Fill computed attributes of after: unknown for a new object, else kept. */
static void fill_computed(const struct ms_resource_type *t, json_t *after,
			  const json_t *before, bool fresh)
{
	const struct ms_attr *a;

	for (a = t->schema; a->name; a++) {
		json_t *have = json_object_get(before, a->name);

		if (!(a->flags &
		      (MS_ATTR_COMPUTED | MS_ATTR_OPTIONAL_COMPUTED)))
			continue;
		if (json_object_get(after, a->name) &&
		    (!(a->flags & MS_ATTR_COMPUTED) ||
		     (a->flags & (MS_ATTR_LOCAL | MS_ATTR_INTERNAL))))
			continue;
		if (fresh)
			json_object_set_new(after, a->name, ms_unknown_new());
		else if (have)
			json_object_set(after, a->name, have);
	}
}

/* Whether v says nothing: missing, null, or an empty string, map or list. */
static bool blank(const json_t *v)
{
	return !v || json_is_null(v) ||
	       (json_is_string(v) && !json_string_length(v)) ||
	       (json_is_object(v) && !json_object_size(v)) ||
	       (json_is_array(v) && !json_array_size(v));
}

/*
 * What changed outside mlstack: the managed attributes whose live value
 * differs from the recorded one, including one set or removed there
 * (blank on one side only).
 */
static json_t *drift_entry(const char *name, const json_t *stored,
			   const json_t *live)
{
	const char *type = json_string_value(json_object_get(stored, "type"));
	const struct ms_resource_type *t = ms_provider_find(type ? type : "");
	json_t *before = json_object_get(stored, "attributes");
	json_t *changed = json_array(), *d;
	const struct ms_attr *a;

	if (!t) {
		json_decref(changed);
		return NULL;
	}
	if (live) {
		for (a = t->schema; a->name; a++) {
			json_t *x = json_object_get(before, a->name);
			json_t *y = json_object_get(live, a->name);

			if ((a->flags & MS_ATTR_COMPUTED &&
			     !(a->flags & MS_ATTR_LOCAL)) ||
			    (a->flags & (MS_ATTR_INTERNAL | MS_ATTR_INPUT)))
				continue;
			if (blank(x) && blank(y))
				continue;
			if (blank(x) || blank(y) || !json_equal(x, y))
				json_array_append_new(changed,
						      json_string(a->name));
		}
		if (!json_array_size(changed)) {
			json_decref(changed);
			return NULL;
		}
	}
	d = json_object();
	json_object_set_new(d, "name", json_string(name));
	json_object_set_new(d, "type", json_string(type));
	json_object_set_new(d, "deleted", json_boolean(!live));
	json_object_set(d, "before", before);
	json_object_set(d, "after", live ? (json_t *)live : json_null());
	json_object_set_new(d, "changed", changed);
	if (json_object_get(stored, "sensitive"))
		json_object_set(d, "sensitive",
				json_object_get(stored, "sensitive"));
	return d;
}

static json_t *timeouts_of(const struct ms_resource *res)
{
	return res && res->timeouts ? json_incref(res->timeouts) :
				      json_object();
}

/*
 * The names of res's properties whose values come from a sensitive
 * variable: shown as (sensitive), like the schema's sensitive attributes.
 */
static json_t *sensitive_origin(const struct ms_engine *e,
				const struct ms_resource *res)
{
	json_t *names = json_array(), *v;
	const char *key;

	json_object_foreach(res->properties, key, v)
		if (ms_sensitive_var_in(v, e->stack->sensitive))
			json_array_append_new(names, json_string(key));
	return names;
}

static json_t *change_new(const char *name, const char *type,
			  enum ms_action action)
{
	json_t *c = json_object();

	json_object_set_new_nocheck(c, "name", json_string_nocheck(name));
	json_object_set_new_nocheck(c, "type", json_string_nocheck(type));
	json_object_set_new_nocheck(
		c, "action", json_string_nocheck(ms_action_name(action)));
	return c;
}

/*
 * An object whose create was interrupted while it ran (adopted by the
 * journal's recovery, unfinished): its outputs are known once apply has
 * waited for it. Its computed attributes but its name and ARN become
 * unknown and count as changed, so the plan updates it.
 */
static void pending_unknown(const struct ms_resource_type *t, json_t *after,
			    json_t *changed)
{
	const struct ms_attr *a;

	for (a = t->schema; a->name; a++) {
		if (!(a->flags & MS_ATTR_COMPUTED) ||
		    (a->flags & MS_ATTR_LOCAL) || !strcmp(a->name, "id") ||
		    !strcmp(a->name, "arn"))
			continue;
		json_object_set_new(after, a->name, ms_unknown_new());
		if (changed)
			json_array_append_new(changed, json_string(a->name));
	}
}

/* The plan for one stack resource. */
/*
 * When the object the stack now asks for is one of the resource's deposed
 * objects (a change reverted after a failed rollout: the old endpoint
 * config is wanted again, and still serves), that object becomes the
 * current one again and the current one is deposed in its place. The
 * swapped value is recorded with the adopted ones, so apply writes it.
 * Returns the new stored value (borrowed), or NULL when nothing matched.
 */
static json_t *restore_deposed(struct ms_engine *e,
			       const struct ms_resource_type *t,
			       const char *name, json_t *all_stored,
			       const json_t *after)
{
	json_t *stored = json_object_get(all_stored, name);
	json_t *want = json_object_get(after, t->id_attr);
	json_t *d, *value, *rest;
	size_t i, k;

	if (!json_is_string(want))
		return NULL;
	json_array_foreach(json_object_get(stored, "deposed"), i, d) {
		if (!json_equal(json_object_get(d, t->id_attr), want))
			continue;
		value = ms_json_copy(stored);
		rest = json_array();
		json_array_foreach(json_object_get(stored, "deposed"), k, d)
			if (k != i)
				json_array_append(rest, d);
		json_array_append(rest, json_object_get(stored, "attributes"));
		d = json_array_get(json_object_get(stored, "deposed"), i);
		json_object_set(value, "attributes", d);
		json_object_set(value, "id", json_object_get(d, "id"));
		json_object_set_new(value, "deposed", rest);
		json_object_del(value, "tainted");
		json_object_set(e->adopted, name, value);
		json_object_set_new(all_stored, name, value);
		return value;
	}
	return NULL;
}

static int plan_resource(struct ms_engine *e, const struct ms_resource *res,
			 json_t *all_stored, const json_t *stored,
			 const json_t *live, bool refreshed, json_t *values,
			 json_t *changes)
{
	const struct ms_resource_type *t = ms_provider_find(res->type);
	json_t *props = NULL, *after = NULL, *before = NULL;
	json_t *changed = json_array(), *forces = json_array(), *c = NULL;
	json_t *marks = NULL;
	const char *old_type =
		json_string_value(json_object_get(stored, "type"));
	char *where = NULL;
	bool pending;
	enum ms_action action;
	int err = -1;

	if (ms_engine_eval_properties(e, &props, NULL, res->name,
				      res->properties, e->stack->variables,
				      values))
		goto done;
	if (ms_engine_desired(&after, t, e->stack->name, res->name, props,
			      e->stack->tags, stored, &where)) {
		err = ms_engine_fail_at(e, NULL, res->name, where);
		goto done;
	}
	if (ms_engine_local(e, t, after, json_object_get(stored, "attributes"),
			    NULL)) {
		err = ms_error("resource \"%s\": %s", res->name,
			       ms_error_last());
		goto done;
	}

	if (stored)
		before = refreshed ? (json_t *)live :
				     json_object_get(stored, "attributes");
	if (stored && t->id_attr) {
		json_t *back =
			restore_deposed(e, t, res->name, all_stored, after);

		if (back) {
			/* the old value is gone from all_stored */
			stored = back;
			old_type = json_string_value(
				json_object_get(back, "type"));
			before = json_object_get(back, "attributes");
		}
	}
	if (before && old_type && strcmp(old_type, res->type)) {
		json_array_append_new(forces, json_string("type"));
		json_array_append_new(changed, json_string("type"));
	} else if (before) {
		diff_attrs(t, res, after, before, changed, forces);
	}

	if (before && json_is_true(json_object_get(stored, "tainted")))
		json_array_append_new(forces, json_string("(tainted)"));
	pending = before && json_is_true(json_object_get(stored, "pending"));
	if (pending && !json_array_size(forces))
		pending_unknown(t, after, changed);
	if (!before)
		action = MS_ACTION_CREATE;
	else if (json_array_size(forces))
		action = MS_ACTION_REPLACE;
	else if (json_array_size(changed))
		action = MS_ACTION_UPDATE;
	else
		action = MS_ACTION_NOOP;
	fill_computed(t, after, before,
		      action == MS_ACTION_CREATE ||
			      action == MS_ACTION_REPLACE);
	if (pending && action == MS_ACTION_UPDATE)
		pending_unknown(t, after, NULL);
	if (action == MS_ACTION_UPDATE && t->renewed) {
		json_t *renewed = t->renewed(after, changed), *v;
		size_t k;

		json_array_foreach(renewed, k, v) {
			json_object_set_new(after, json_string_value(v),
					    ms_unknown_new());
			json_array_append(changed, v);
		}
		json_decref(renewed);
	}
	if (before && action == MS_ACTION_REPLACE && res->prevent_destroy) {
		err = ms_error("resource \"%s\": lifecycle.prevent_destroy is "
			       "set, but the plan must replace it (\"%s\" "
			       "changed)",
			       res->name,
			       json_string_value(json_array_get(forces, 0)));
		goto done;
	}

	if (action == MS_ACTION_NOOP && json_equal(after, before)) {
		/* nothing to do: the stored value stands for both sides */
		json_decref(after);
		after = json_incref(before);
	}
	c = change_new(res->name, res->type, action);
	marks = sensitive_origin(e, res);
	if (json_array_size(marks))
		json_object_set(c, "sensitive", marks);
	json_object_set(c, "before", before ? before : json_null());
	json_object_set(c, "after", after);
	json_object_set(c, "changed", changed);
	json_object_set(c, "forces", forces);
	json_object_set_new(c, "dependencies", ms_engine_resource_deps(e, res));
	json_object_set(c, "config", res->properties);
	json_object_set_new(c, "timeouts", timeouts_of(res));
	json_object_set_new(
		c, "create_before_destroy",
		json_boolean(ms_engine_cbd(t, res->create_before_destroy)));
	if (stored && json_object_get(stored, "id"))
		json_object_set(c, "id", json_object_get(stored, "id"));
	if (before && json_is_true(json_object_get(stored, "tainted")))
		json_object_set_new(c, "tainted", json_true());
	if (pending)
		json_object_set_new(c, "pending", json_true());
	json_array_append(changes, c);
	json_object_set(values, res->name, after);
	err = 0;
done:
	free(where);
	json_decref(c);
	json_decref(marks);
	json_decref(props);
	json_decref(after);
	json_decref(changed);
	json_decref(forces);
	return err;
}

/* res: the resource in the stack, when it still is there (its timeouts) */
static json_t *delete_change(const char *name, const json_t *stored,
			     json_t *before, const struct ms_resource *res)
{
	json_t *c = change_new(
		name, json_string_value(json_object_get(stored, "type")),
		MS_ACTION_DELETE);
	json_t *deps = json_object_get(stored, "dependencies");

	if (json_object_get(stored, "sensitive"))
		json_object_set(c, "sensitive",
				json_object_get(stored, "sensitive"));
	json_object_set(c, "before", before ? before : json_null());
	json_object_set_new(c, "after", json_null());
	json_object_set_new(c, "dependencies",
			    deps ? json_incref(deps) : json_array());
	json_object_set(c, "id",
			json_object_get(before ? before : stored, "id"));
	json_object_set_new(c, "timeouts", timeouts_of(res));
	return c;
}

/*
 * Objects replaced but not yet deleted (an apply stopped in between):
 * each is deleted, after whatever else the plan does to its resource.
 */
static void deposed_changes(const char *name, const json_t *stored,
			    const struct ms_resource *res, json_t *changes)
{
	json_t *d, *c;
	size_t i;
	char *node;

	json_array_foreach(json_object_get(stored, "deposed"), i, d) {
		node = ms_asprintf("%s~deposed-%zu", name, i);
		c = delete_change(node, stored, d, res);
		json_object_set_new(c, "deposed_of", json_string(name));
		json_array_append_new(changes, c);
		free(node);
	}
}

/*
 * The lint findings not suppressed, the plan's warnings: a new array.
 * Linting cannot fail where planning did not (the same values, with less
 * known); if it does, the plan goes on without warnings.
 */
static json_t *warnings(struct ms_engine *e)
{
	json_t *all = NULL, *out = json_array(), *f;
	size_t i;

	if (ms_engine_lint(e, &all)) {
		ms_log(MS_LOG_INFO, "engine", "lint: %s", ms_error_last());
		ms_error_clear();
		return out;
	}
	json_array_foreach(all, i, f)
		if (!json_object_get(f, "suppressed"))
			json_array_append(out, f);
	json_decref(all);
	return out;
}

/*
 * The lint, on a thread of its own beside the plan's evaluation (each a
 * sixth of a large plan's time). Both only read the stack, its graph
 * and the caches behind locks; the lint runs offline on a copy of the
 * engine's header, its flag its own. Not when the stack has lookups:
 * the plan's reading them writes what the lint's evaluation reads.
 */
struct lint_run {
	struct ms_engine view;
	json_t *warnings;
	pthread_t thread;
	bool threaded;
};

static void *lint_main(void *arg)
{
	struct lint_run *l = arg;

	l->warnings = warnings(&l->view);
	return NULL;
}

static void lint_start(struct lint_run *l, struct ms_engine *e)
{
	l->view = *e;
	l->warnings = NULL;
	l->threaded = !e->stack->n_lookups &&
		      !pthread_create(&l->thread, NULL, lint_main, l);
	if (!l->threaded)
		l->warnings = warnings(e);
}

/* The lint's warnings, once it has ended: a new array. */
static json_t *lint_join(struct lint_run *l)
{
	json_t *w;

	if (l->threaded)
		pthread_join(l->thread, NULL);
	l->threaded = false;
	w = l->warnings;
	l->warnings = NULL;
	return w;
}

/* When the plan was made: RFC 3339 in UTC, into buf (32 bytes). */
static const char *plan_time(char *buf)
{
	time_t now = time(NULL);
	struct tm tm;

	if (!gmtime_r(&now, &tm) ||
	    !strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm))
		return "";
	return buf;
}

int ms_engine_plan(struct ms_engine *e, const struct ms_plan_opts *o,
		   json_t **out)
{
	json_t *stored = NULL, *live = NULL, *values = json_object();
	json_t *changes = json_array(), *drift = json_array(), *plan = NULL;
	json_t *gone = json_array(), *moved = json_object(), *held = NULL;
	json_t *lint = NULL;
	struct lint_run lr = { .threaded = false };
	struct ms_named seen = { NULL, 0 }; /* the objects changes name */
	char *head = NULL, *version = NULL, *dup = NULL, stamp[32];
	size_t *order = NULL, i, n = e->stack->n_resources;
	const char *name;
	json_t *v, *names;
	struct ms_aws *aws;
	int err = -1;

	*out = NULL;
	if (o->lint && !o->destroy)
		lint_start(&lr, e);
	if (ms_engine_stored(e, &stored) || ms_state_head(e->state, &head) ||
	    ms_state_version(e->state, &version))
		goto done;
	if (!e->offline && recover_journal(e, stored))
		goto done;
	if (!o->destroy)
		detect_moves(e, stored, moved);
	if (o->refresh && json_object_size(stored)) {
		if (ms_engine_session(e, &aws))
			goto done;
		if (ms_engine_refresh(e, stored, &live))
			goto done;
	} else if (o->refresh) {
		live = json_object();
	}
	if (live) {
		json_object_foreach(stored, name, v)
			if (json_is_null(json_object_get(live, name)))
				json_array_append_new(gone, json_string(name));
		json_object_foreach(stored, name, v) {
			json_t *d = drift_entry(
				name, v,
				json_is_null(json_object_get(live, name)) ?
					NULL :
					json_object_get(live, name));

			if (d)
				json_array_append_new(drift, d);
		}
	}

	if (o->destroy) {
		/* everything in the state goes, in reverse dependency order */
		json_object_foreach(stored, name, v) {
			struct ms_resource *res =
				ms_stack_resource(e->stack, name);
			json_t *l = live ? json_object_get(live, name) : NULL;

			if (live && json_is_null(l))
				continue; /* already gone */
			if (res && res->prevent_destroy) {
				ms_error("resource \"%s\": lifecycle."
					 "prevent_destroy is set; remove it "
					 "before destroying",
					 name);
				goto done;
			}
			json_array_append_new(
				changes,
				delete_change(name, v,
					      l ? l :
						  json_object_get(v,
								  "attributes"),
					      res));
		}
	} else {
		if (ms_graph_order(e->graph, &order))
			goto done;
		for (i = 0; i < n; i++) {
			const struct ms_resource *res =
				&e->stack->resources[order[i]];
			json_t *st = json_object_get(stored, res->name);
			json_t *l = live ? json_object_get(live, res->name) :
					   NULL;

			if (st && live && json_is_null(l))
				st = NULL; /* deleted outside: create again */
			if (plan_resource(e, res, stored, st, l, live != NULL,
					  values, changes))
				goto done;
			note_object(&seen, changes,
				    json_array_size(changes) - 1, &dup);
		}
		json_object_foreach(stored, name, v) {
			json_t *l = live ? json_object_get(live, name) : NULL;

			if (ms_stack_resource(e->stack, name))
				continue;
			if (!held) /* once a resource has left the stack */
				held = held_by_stack(e, stored);
			if (held_elsewhere(held, stored, name)) {
				json_array_append_new(gone, json_string(name));
				continue;
			}
			if (live && json_is_null(l))
				continue;
			json_array_append_new(
				changes,
				delete_change(name, v,
					      l ? l :
						  json_object_get(v,
								  "attributes"),
					      NULL));
		}
	}

	if (dup) {
		ms_error("%s", dup);
		goto done;
	}
	json_object_foreach(stored, name, v)
		if (json_array_size(json_object_get(v, "deposed")))
			deposed_changes(name, v,
					ms_stack_resource(e->stack, name),
					changes);

	plan = json_object();
	json_object_set_new(plan, "format_version", json_string(PLAN_FORMAT));
	json_object_set_new(plan, "stack", json_string(e->stack->name));
	json_object_set_new(plan, "state_commit", json_string(head));
	json_object_set_new(plan, "state_version", json_string(version));
	json_object_set_new(plan, "stack_digest",
			    json_string(e->stack->digest));
	json_object_set_new(plan, "destroy", json_boolean(o->destroy));
	json_object_set(plan, "variables", e->stack->variables);
	names = json_array();
	json_object_foreach(e->stack->sensitive, name, v)
		json_array_append_new(names, json_string(name));
	json_object_set_new(plan, "sensitive_variables", names);
	/* what the lookups found: apply uses these, not a new read */
	json_object_set(plan, "lookups", e->lookups);
	names = json_object();
	for (i = 0; i < e->stack->n_lookups; i++)
		json_object_set_new(names, e->stack->lookups[i].name,
				    json_string(e->stack->lookups[i].type));
	json_object_set_new(plan, "lookup_types", names);
	json_object_set_new(plan, "timestamp", json_string(plan_time(stamp)));
	json_object_set(plan, "tags", e->stack->tags);
	json_object_set(plan, "outputs", e->stack->outputs);
	json_object_set(plan, "changes", changes);
	json_object_set(plan, "drift", drift);
	json_object_set(plan, "adopted", e->adopted);
	json_object_set(plan, "gone", gone);
	json_object_set(plan, "moved", moved);
	if (e->stack->region)
		json_object_set_new(plan, "region",
				    json_string(e->stack->region));
	/* the cost while the lint may still run (it reads no plan) */
	if (ms_engine_cost_plan(e, plan)) {
		json_decref(plan);
		goto done;
	}
	if ((lint = lint_join(&lr)))
		json_object_set(plan, "lint", lint);
	*out = plan;
	err = 0;
done:
	json_decref(lint_join(&lr)); /* when the plan failed first */
	ms_named_release(&seen);
	free(dup);
	free(order);
	free(head);
	free(version);
	/* the records and the values of a large stack: 20 ms at 16,000 */
	ms_json_release_later(json_pack("[o?o?o?]", stored, live, values));
	json_decref(changes);
	json_decref(drift);
	json_decref(gone);
	json_decref(moved);
	json_decref(held);
	json_decref(lint);
	return err;
}

bool ms_plan_has_changes(const json_t *plan)
{
	json_t *c;
	size_t i;

	json_array_foreach(json_object_get(plan, "changes"), i, c)
		if (ms_action_parse(json_string_value(
			    json_object_get(c, "action"))) != MS_ACTION_NOOP)
			return true;
	return false;
}

bool ms_plan_needs_apply(const json_t *plan)
{
	return ms_plan_has_changes(plan) ||
	       json_object_size(json_object_get(plan, "adopted")) ||
	       json_object_size(json_object_get(plan, "moved")) ||
	       json_array_size(json_object_get(plan, "gone"));
}
