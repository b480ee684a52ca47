/*
 * refresh.c - read the live state of every stored resource before a plan
 * diffs it.
 *
 * One parallel walk over the stored resources, each read through its
 * type's read hook; deposed objects (replaced, not yet deleted) are read
 * too, and those found gone are dropped.
 *
 * A type with a bulk read (read_many: a list call that answers for many
 * objects a page) has a node of its own in the walk, that every resource
 * of the type depends on: it runs once, and a resource it settled (found,
 * or proved gone) is not read again; the rest are read one by one, as
 * are all resources of types without one. Types run in parallel with
 * each other and with the reads of other types (docs/refresh.md).
 */
#include "util/common.h"
#include "engine/internal.h"
#include "util/json.h"

struct refresh {
	struct ms_engine *e;
	json_t *names;    /* array: node -> resource name */
	json_t *stored;   /* name -> stored value */
	json_t **live;    /* node -> live attributes, or NULL when gone */
	json_t **deposed; /* node -> its deposed objects that still exist */
	char *error;      /* the first failure */
	size_t n;         /* resources: nodes 0..n-1; bulk reads after */
	/* per bulk-read node: its type, priors (name -> attributes), and
	 * what it settled (name -> live or null) */
	const struct ms_resource_type **bulk_type;
	json_t **bulk_priors;
	json_t **bulk_live;
	size_t *bulk_of; /* resource node -> its bulk node, or 0 */
};

static int bulk_run(struct refresh *r, size_t node)
{
	size_t b = node - r->n;
	const struct ms_resource_type *t = r->bulk_type[b];
	struct ms_call call;
	int err;

	ms_engine_call(&call, r->e, t, NULL);
	call.list_pages = json_object_size(r->bulk_priors[b]);
	err = t->read_many(&call, r->bulk_priors[b], &r->bulk_live[b]);
	/*
	 * A list the credentials may not make (s3:ListAllMyBuckets,
	 * iam:GetAccountAuthorizationDetails) settles nothing: each resource
	 * is read alone, as it would be without a bulk read.
	 */
	if (err == MS_EDENIED) {
		ms_log(MS_LOG_INFO, "refresh",
		       "%s: the list was refused (%s): each is read alone",
		       t->name, ms_error_last());
		ms_error_clear();
		json_decref(r->bulk_live[b]);
		r->bulk_live[b] = NULL;
		return 0;
	}
	if (err)
		return ms_error("%s: refresh: %s", t->name, ms_error_last());
	return 0;
}

static int refresh_run(size_t node, void *payload)
{
	struct refresh *r = payload;
	const char *name = json_string_value(json_array_get(r->names, node));
	json_t *stored = json_object_get(r->stored, name);
	const char *type = json_string_value(json_object_get(stored, "type"));
	const struct ms_resource_type *t = ms_provider_find(type ? type : "");
	struct ms_call call = { 0 };
	json_t *d;
	json_t *settled = NULL;
	size_t i;

	if (node >= r->n)
		return bulk_run(r, node);
	if (!t)
		return ms_error("resource \"%s\": unknown type \"%s\" in state",
				name, type ? type : "");
	if (r->bulk_of[node])
		settled = json_object_get(r->bulk_live[r->bulk_of[node] - r->n],
					  name);
	ms_engine_call(&call, r->e, t, name);
	if (settled)
		r->live[node] = json_is_null(settled) ? NULL :
							json_incref(settled);
	else if (t->read(&call, json_object_get(stored, "attributes"),
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
	json_t *types = json_object(); /* type name -> its bulk node */
	struct ms_walk_ops ops = { .run = refresh_run, .done = refresh_done };
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
	r.n = n;
	r.bulk_of = ms_calloc(n + 1, sizeof(*r.bulk_of));
	r.bulk_type = ms_calloc(n + 1, sizeof(*r.bulk_type));
	r.bulk_priors = ms_calloc(n + 1, sizeof(*r.bulk_priors));
	r.bulk_live = ms_calloc(n + 1, sizeof(*r.bulk_live));
	ms_graph_new(&g);
	for (i = 0; i < n; i++)
		ms_graph_add(g, json_string_value(json_array_get(r.names, i)));
	for (i = 0; i < n; i++) {
		const char *key = json_string_value(json_array_get(r.names, i));
		json_t *sv = json_object_get(stored, key);
		const char *type =
			json_string_value(json_object_get(sv, "type"));
		const struct ms_resource_type *t =
			ms_provider_find(type ? type : "");
		size_t b;

		if (!t || !t->read_many)
			continue;
		if (!json_object_get(types, t->name)) {
			char label[160];

			/* a name no resource can have: it holds a newline */
			snprintf(label, sizeof(label), "\n%s", t->name);
			b = ms_graph_add(g, label);
			r.bulk_type[b - n] = t;
			r.bulk_priors[b - n] = json_object();
			json_object_set_new(types, t->name,
					    json_integer((json_int_t)b));
		}
		b = (size_t)json_integer_value(json_object_get(types, t->name));
		json_object_set(r.bulk_priors[b - n], key,
				json_object_get(sv, "attributes"));
		r.bulk_of[i] = b;
		ms_graph_depend(g, i, b);
	}
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
		value = ms_json_copy(had);
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
	for (i = 0; i < n; i++) {
		json_decref(r.bulk_priors[i]);
		json_decref(r.bulk_live[i]);
	}
	free(r.bulk_of);
	free(r.bulk_type);
	free(r.bulk_priors);
	free(r.bulk_live);
	json_decref(types);
	for (i = 0; i < n; i++)
		json_decref(r.deposed[i]);
	free(r.deposed);
	free(r.live);
	free(r.error);
	json_decref(r.names);
	return err;
}