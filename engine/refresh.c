/*
 * refresh.c - read the live state of every stored resource before a plan
 * diffs it.
 *
 * One parallel walk over the stored resources, each read through its
 * type's read hook; deposed objects (replaced, not yet deleted) are read
 * too, and those found gone are dropped.
 */
#include "util/common.h"
#include "engine/internal.h"

struct refresh {
	struct ms_engine *e;
	json_t *names;    /* array: node -> resource name */
	json_t *stored;   /* name -> stored value */
	json_t **live;    /* node -> live attributes, or NULL when gone */
	json_t **deposed; /* node -> its deposed objects that still exist */
	char *error;      /* the first failure */
};

static int refresh_run(size_t node, void *payload)
{
	struct refresh *r = payload;
	const char *name = json_string_value(json_array_get(r->names, node));
	json_t *stored = json_object_get(r->stored, name);
	const char *type = json_string_value(json_object_get(stored, "type"));
	const struct ms_resource_type *t = ms_provider_find(type ? type : "");
	struct ms_call call = { 0 };
	json_t *d;
	size_t i;

	if (!t)
		return ms_error("resource \"%s\": unknown type \"%s\" in state",
				name, type ? type : "");
	ms_engine_call(&call, r->e, t, name);
	if (t->read(&call, json_object_get(stored, "attributes"),
		    &r->live[node]))
		return ms_error("resource \"%s\": refresh: %s", name,
				ms_error_last());
	/* objects replaced but not yet deleted may have gone meanwhile */
	if (!json_object_get(stored, "deposed"))
		return 0;
	r->deposed[node] = json_array();
	json_array_foreach(json_object_get(stored, "deposed"), i, d) {
		json_t *dl = NULL;

		if (t->read(&call, d, &dl))
			return ms_error("resource \"%s\": refresh of a deposed "
					"object: %s",
					name, ms_error_last());
		if (dl)
			json_array_append(r->deposed[node], d);
		json_decref(dl);
	}
	return 0;
}

static void refresh_done(size_t node, enum ms_walk_result result,
			 const char *error, void *payload)
{
	struct refresh *r = payload;

	if (result != MS_WALK_OK && !r->error)
		r->error =
			ms_strdup(error ? error :
				  result == MS_WALK_CANCELLED ?
					  "interrupted: nothing was changed" :
					  "refresh failed");
}

/*
 * Read every stored resource in parallel; *out: name -> live or null.
 * Deposed objects found gone are dropped from their stored values (and
 * recorded with the adopted ones, so apply writes them): a revert never
 * revives an object that no longer exists.
 */
int ms_engine_refresh(struct ms_engine *e, json_t *stored, json_t **out)
{
	struct refresh r = { e, json_array(), stored, NULL, NULL, NULL };
	struct ms_walk_ops ops = { NULL, refresh_run, refresh_done, NULL, 0 };
	struct ms_graph *g = NULL;
	const char *name;
	json_t *v;
	size_t i, n;
	int err;

	json_object_foreach(stored, name, v)
		json_array_append_new(r.names, json_string(name));
	n = json_array_size(r.names);
	r.live = ms_calloc(n + 1, sizeof(*r.live));
	r.deposed = ms_calloc(n + 1, sizeof(*r.deposed));
	ms_graph_new(&g);
	for (i = 0; i < n; i++)
		ms_graph_add(g, json_string_value(json_array_get(r.names, i)));
	err = ms_graph_walk(g, false, e->parallelism, &ops, &r);
	if (err) {
		for (i = 0; i < n; i++)
			json_decref(r.live[i]);
		ms_error("%s", r.error);
		goto done;
	}
	for (i = 0; i < n; i++) {
		const char *key = json_string_value(json_array_get(r.names, i));
		json_t *value, *had = json_object_get(stored, key);

		if (!r.deposed[i] ||
		    json_array_size(r.deposed[i]) ==
			    json_array_size(json_object_get(had, "deposed")))
			continue;
		value = json_deep_copy(had);
		if (json_array_size(r.deposed[i]))
			json_object_set(value, "deposed", r.deposed[i]);
		else
			json_object_del(value, "deposed");
		json_object_set(e->adopted, key, value);
		json_object_set_new(stored, key, value);
	}
	*out = json_object();
	for (i = 0; i < n; i++)
		json_object_set_new(
			*out, json_string_value(json_array_get(r.names, i)),
			r.live[i] ? r.live[i] : json_null());
done:
	ms_graph_free(g);
	for (i = 0; i < n; i++)
		json_decref(r.deposed[i]);
	free(r.deposed);
	free(r.live);
	free(r.error);
	json_decref(r.names);
	return err;
}