/*
 * edit.c - changes to the state that apply does not make: moving a
 * resource to another name, forgetting one, importing an existing object.
 *
 * None of them changes anything in AWS. A move writes the new file before
 * it removes the old one: a crash in between leaves one object under two
 * names, and the plan forgets (never deletes) the name the stack no longer
 * declares. The caller holds the lock; each command ends in one commit.
 */
#include "util/common.h"
#include "util/json.h"
#include "engine/internal.h"

int ms_engine_rename(struct ms_engine *e, const char *from, const char *to)
{
	json_t *all = NULL, *v, *deps, *d, *fixed;
	const char *name;
	size_t i;
	int err = -1;

	if (ms_state_resources(e->state, &all))
		return -1;
	if (!json_object_get(all, from)) {
		err = ms_error_code(MS_ENOTFOUND,
				    "resource \"%s\" is not in the state",
				    from);
		goto done;
	}
	if (json_object_get(all, to)) {
		err = ms_error("resource \"%s\" is in the state already", to);
		goto done;
	}
	if (ms_state_put_resource(e->state, to, json_object_get(all, from)) ||
	    ms_state_remove_resource(e->state, from))
		goto done;
	/* what depended on the old name depends on the new one */
	json_object_foreach(all, name, v) {
		bool changed = false;

		if (!strcmp(name, from))
			continue;
		deps = json_object_get(v, "dependencies");
		fixed = json_array();
		json_array_foreach(deps, i, d) {
			if (json_is_string(d) &&
			    !strcmp(json_string_value(d), from)) {
				json_array_append_new(fixed, json_string(to));
				changed = true;
			} else {
				json_array_append(fixed, d);
			}
		}
		if (changed) {
			v = ms_json_copy(v);
			json_object_set(v, "dependencies", fixed);
			err = ms_state_put_resource(e->state, name, v);
			json_decref(v);
			if (err) {
				json_decref(fixed);
				goto done;
			}
		}
		json_decref(fixed);
	}
	err = 0;
done:
	json_decref(all);
	return err;
}

int ms_engine_state_mv(struct ms_engine *e, const char *from, const char *to)
{
	char *msg;
	int err;

	if (ms_engine_rename(e, from, to))
		return -1;
	msg = ms_asprintf("state mv %s: %s -> %s", e->stack->name, from, to);
	err = ms_state_commit(e->state, msg, NULL);
	free(msg);
	return err;
}

int ms_engine_state_rm(struct ms_engine *e, const char *const *names, size_t n)
{
	struct ms_buf msg = MS_BUF_INIT;
	size_t i;
	int err = 0;

	ms_buf_addf(&msg, "state rm %s:", e->stack->name);
	for (i = 0; i < n && !err; i++) {
		err = ms_state_remove_resource(e->state, names[i]);
		if (err == MS_ENOTFOUND)
			err = ms_error_code(MS_ENOTFOUND,
					    "resource \"%s\" is not in the "
					    "state",
					    names[i]);
		ms_buf_addf(&msg, " %s", names[i]);
	}
	if (!err)
		err = ms_state_commit(e->state, msg.ptr, NULL);
	ms_buf_release(&msg);
	return err;
}

int ms_engine_import(struct ms_engine *e, const char *name, const char *id,
		     json_t **out)
{
	const struct ms_resource *res = ms_stack_resource(e->stack, name);
	const struct ms_resource_type *t;
	struct ms_call call;
	json_t *all = NULL, *live = NULL, *value = NULL;
	char *msg = NULL;
	int err = -1;

	*out = NULL;
	if (!res)
		return ms_error("resource \"%s\" is not in the stack: declare "
				"it first, then import the object into it",
				name);
	t = ms_provider_find(res->type);
	if (!t || !t->id_attr)
		return ms_error("resource \"%s\": %s cannot be imported", name,
				res->type);
	if (ms_state_resources(e->state, &all))
		return -1;
	if (json_object_get(all, name)) {
		err = ms_error("resource \"%s\" is in the state already; "
			       "'mlstack state rm %s' first to import another "
			       "object into it",
			       name, name);
		goto done;
	}
	if (ms_engine_session(e, &e->aws))
		goto done;
	ms_engine_call(&call, e, t, name);
	if (ms_engine_read_id(&live, &call, id)) {
		err = ms_error("resource \"%s\": import: %s", name,
			       ms_error_last());
		goto done;
	}
	if (!live) {
		err = ms_error_code(MS_ENOTFOUND,
				    "resource \"%s\": no %s \"%s\" to import",
				    name, res->type, id);
		goto done;
	}
	value = json_object();
	json_object_set_new(value, "type", json_string(res->type));
	json_object_set(value, "id", json_object_get(live, "id"));
	json_object_set(value, "attributes", live);
	json_object_set_new(value, "dependencies",
			    ms_engine_resource_deps(e, res));
	if (ms_state_put_resource(e->state, name, value))
		goto done;
	msg = ms_asprintf("import %s: %s (%s)", e->stack->name, name, id);
	err = ms_state_commit(e->state, msg, NULL);
	if (!err) {
		*out = value;
		value = NULL;
	}
done:
	free(msg);
	json_decref(all);
	json_decref(live);
	json_decref(value);
	return err;
}
