/*
 * apply.c - run a plan: a parallel ready-set walk over its changes.
 *
 * Provider calls run on worker threads; everything that touches the state
 * directory or the terminal runs on this thread, in prepare() (evaluate the
 * resource's configuration against what has been applied so far, note the
 * intent of a create), launch() (journal the intents of the creates about
 * to start, in one write), done() (record the result, report) and flush()
 * (write each finished resource's file). A failed change skips what
 * depends on it and nothing else.
 *
 * The fsync'd writes of a finished resource wait until what it made ready
 * has started: they are not on the critical path, and nothing is lost
 * meanwhile, since its create's intent stays journaled until its file is
 * on disk (a run killed in between finds the object through the journal).
 *
 * A replacement that creates before it destroys is two jobs: the create
 * (the old object is kept in the state as "deposed"), and the deletion of
 * the deposed object, which waits for everything that refers to the
 * resource to move to the new one. A create that failed after AWS made the
 * object is recorded as tainted, so the next plan replaces it.
 */
#include "util/common.h"
#include "engine/internal.h"
#include "engine/expr.h"
#include "engine/render.h"
#include "engine/sensitive.h"
#include "util/json.h"
#include "util/interrupt.h"
#include "util/map.h"

#include <time.h>

struct job {
	json_t *change; /* borrowed from the plan */
	const struct ms_resource_type *t;
	const char *name; /* the graph node: the resource, or "X~deposed" */
	enum ms_action action;
	const char *resource; /* the resource it belongs to */
	json_t *before; /* borrowed: the object before (deletes, updates) */
	bool deposed;   /* deletes the deposed object of resource */
	bool cbd;       /* replace: create only, the deletion is a job */
	char *own_name;
	json_t *desired;  /* evaluated in prepare */
	json_t *result;   /* new attributes, from run */
	bool old_deleted; /* replace: the old object is gone */
	int code;         /* what the provider returned */
	double started;
};

struct run {
	struct ms_engine *e;
	struct ms_graph *g;
	struct job *jobs;
	size_t n;
	json_t *values; /* name -> attributes as applied so far */
	json_t *stored; /* name -> stored value, as written so far */
	json_t *journal;
	bool journal_dirty; /* intents not written yet (launch) */
	json_t *launching;  /* names whose intents launch writes */
	json_t *unwritten;  /* resource -> job name: files flush writes */
	json_t *plan;
	int added, changed, destroyed, failed;
	json_t *not_started; /* names cancelled by an interrupt */
	json_t *abandoned;   /* names whose wait an interrupt gave up */
};

/* tense 0: going on, 1: done */
static const char *verb(enum ms_action action, int tense)
{
	static const char *const words[][2] = {
		[MS_ACTION_NOOP] = { "", "" },
		[MS_ACTION_CREATE] = { "Creating...", "Creation complete" },
		[MS_ACTION_UPDATE] = { "Modifying...",
				       "Modifications complete" },
		[MS_ACTION_REPLACE] = { "Replacing...",
					"Replacement complete" },
		[MS_ACTION_DELETE] = { "Destroying...",
				       "Destruction complete" },
	};

	return words[action][tense];
}

static int put_journal(struct run *r)
{
	return ms_state_put_journal(r->e->state, r->journal);
}

static int prepare(size_t node, void *payload)
{
	struct run *r = payload;
	struct job *j = &r->jobs[node];
	const char *digest =
		json_string_value(json_object_get(r->plan, "stack_digest"));
	json_t *props = NULL;
	char *where = NULL;
	int err;

	if (j->action == MS_ACTION_NOOP)
		return 1;
	if (j->action != MS_ACTION_DELETE) {
		/* errors said where the stack file has the value, as plan's */
		err = ms_engine_eval_properties(
			r->e, &props, digest, j->name,
			json_object_get(j->change, "config"),
			json_object_get(r->plan, "variables"), r->values);
		if (!err &&
		    ms_engine_desired(
			    &j->desired, j->t, r->e->stack->name, j->name,
			    props, json_object_get(r->plan, "tags"),
			    json_object_get(r->stored, j->resource), &where))
			err = ms_engine_fail_at(r->e, digest, j->name, where);
		free(where);
		if (err) {
			json_decref(props);
			return err;
		}
		if (!err)
			err = ms_engine_local(
				r->e, j->t, j->desired,
				json_object_get(json_object_get(r->stored,
								j->resource),
						"attributes"),
				json_object_get(j->change, "after"));
		json_decref(props);
		if (err)
			return ms_error("resource \"%s\": %s", j->name,
					ms_error_last());
	}
	if ((j->action == MS_ACTION_CREATE || j->action == MS_ACTION_REPLACE) &&
	    j->t->token_attr) {
		char token[40] = "ms-";

		if (ms_random_hex(token + 3, 16))
			return -1;
		json_object_set_new(j->desired, j->t->token_attr,
				    json_string(token));
	}
	if (j->action == MS_ACTION_CREATE || j->action == MS_ACTION_REPLACE) {
		json_t *intent = json_object();
		json_t *idv = json_object_get(j->desired, j->t->id_attr);

		json_object_set_new(intent, "type", json_string(j->t->name));
		json_object_set(intent, "id_value", idv ? idv : json_null());
		json_object_set(intent, "dependencies",
				json_object_get(j->change, "dependencies"));
		json_object_set_new(intent, "action",
				    json_string(ms_action_name(j->action)));
		json_object_set_new(intent, "at",
				    json_integer((json_int_t)time(NULL)));
		json_object_set_new(r->journal, j->name, intent);
		json_array_append_new(r->launching, json_string(j->name));
		r->journal_dirty = true;
	}
	j->started = ms_now();
	ms_render_event(stderr, j->name, verb(j->action, 0));
	return 0;
}

/* The intents of the creates about to start, journaled in one write. */
static int launch(void *payload)
{
	struct run *r = payload;
	json_t *v;
	size_t i;
	int err = 0;

	if (r->journal_dirty && (err = put_journal(r)) < 0)
		/* none of them starts: none may stay journaled */
		json_array_foreach(r->launching, i, v)
			json_object_del(r->journal, json_string_value(v));
	r->journal_dirty = false;
	json_array_clear(r->launching);
	return err;
}

static void progress(struct ms_call *call, const char *message, void *payload)
{
	struct run *r = payload;
	/* the graph is not changed while it is walked: safe from workers */
	long node = ms_graph_find(r->g, call->name);

	if (node >= 0)
		ms_graph_report(r->g, (size_t)node, message);
}

static double timeout_for(const struct job *j, const char *which)
{
	json_t *t =
		json_object_get(json_object_get(j->change, "timeouts"), which);

	return json_is_number(t) ? json_number_value(t) : 0;
}

static int run_job(size_t node, void *payload)
{
	struct run *r = payload;
	struct job *j = &r->jobs[node];
	struct ms_call call = { 0 };

	ms_engine_call(&call, r->e, j->t, j->name);
	call.progress = progress;
	call.payload = r;

	if (j->action == MS_ACTION_CREATE ||
	    (j->cbd && j->action == MS_ACTION_REPLACE)) {
		call.timeout = timeout_for(j, "create");
		j->code = j->t->create(&call, j->desired, &j->result);
		return j->code;
	}
	if (j->action == MS_ACTION_UPDATE) {
		call.timeout = timeout_for(j, "update");
		j->code =
			j->t->update(&call, j->before, j->desired, &j->result);
		return j->code;
	}
	if (j->action == MS_ACTION_DELETE) {
		call.timeout = timeout_for(j, "delete");
		j->code = j->t->delete (&call, j->before);
		return j->code;
	}
	/* replace, destroying first */
	call.timeout = timeout_for(j, "delete");
	if ((j->code = j->t->delete (&call, j->before)))
		return -1;
	j->old_deleted = true;
	call.timeout = timeout_for(j, "create");
	j->code = j->t->create(&call, j->desired, &j->result);
	return j->code;
}

/* The value to store for a job's new object. */
static json_t *stored_value(struct run *r, const struct job *j, bool tainted)
{
	json_t *prior = json_object_get(r->stored, j->resource);
	json_t *deposed = json_object_get(prior, "deposed");
	json_t *v = json_object();

	json_object_set_new(v, "type", json_string(j->t->name));
	json_object_set(v, "id", json_object_get(j->result, "id"));
	json_object_set(v, "attributes", j->result);
	json_object_set(v, "dependencies",
			json_object_get(j->change, "dependencies"));
	if (json_array_size(json_object_get(j->change, "sensitive")))
		json_object_set(v, "sensitive",
				json_object_get(j->change, "sensitive"));
	if (tainted)
		json_object_set_new(v, "tainted", json_true());
	/* objects still to delete: the ones before, and the one replaced */
	deposed = deposed ? ms_json_copy(deposed) : json_array();
	if (j->cbd && j->before && !json_is_null(j->before))
		json_array_append(deposed, j->before);
	if (json_array_size(deposed))
		json_object_set(v, "deposed", deposed);
	json_decref(deposed);
	return v;
}

static int store(struct run *r, const char *name, json_t *v)
{
	if (ms_state_put_resource(r->e->state, name, v))
		return -1;
	json_object_set(r->stored, name, v);
	return 0;
}

/*
 * store() (v) or unstore() (v NULL) of resource name, for job j, put off
 * until flush(); the state as written so far is r->stored at once.
 */
static void store_later(struct run *r, const char *name, json_t *v,
			const struct job *j)
{
	json_t *was = json_object_get(r->unwritten, name);
	/* the resource's own job ends its create's intent; a deposed
	 * object's deletion has none */
	bool drop = !j->deposed ||
		    json_is_true(json_object_get(was, "drop_intent"));

	if (v)
		json_object_set(r->stored, name, v);
	else
		json_object_del(r->stored, name);
	json_object_set_new(r->unwritten, name,
			    json_pack("{s:s, s:b}", "job", j->name,
				      "drop_intent", drop));
}

/*
 * Write the files of the resources finished since the last flush (a
 * removed one's file goes), then drop their creates' intents from the
 * journal, which must hold each until the file is on disk.
 */
static void flush(void *payload)
{
	struct run *r = payload;
	bool dropped = false;
	const char *name, *job;
	json_t *v, *value;
	int err;

	json_object_foreach(r->unwritten, name, v) {
		job = json_string_value(json_object_get(v, "job"));
		value = json_object_get(r->stored, name);
		if (value) {
			err = ms_state_put_resource(r->e->state, name, value);
		} else {
			err = ms_state_remove_resource(r->e->state, name);
			if (err == MS_ENOTFOUND)
				err = 0;
		}
		if (err) {
			r->failed++;
			ms_render_failure(stderr, job, ms_error_last());
			continue;
		}
		if (json_is_true(json_object_get(v, "drop_intent")) &&
		    json_object_get(r->journal, name)) {
			json_object_del(r->journal, name);
			dropped = true;
		}
	}
	json_object_clear(r->unwritten);
	if (dropped && put_journal(r)) {
		r->failed++;
		ms_render_failure(stderr, "journal", ms_error_last());
	}
}

static int unstore(struct run *r, const char *name)
{
	int err = ms_state_remove_resource(r->e->state, name);

	if (err == MS_ENOTFOUND)
		err = 0;
	if (!err)
		json_object_del(r->stored, name);
	return err;
}

/* The deposed object of j's resource is gone: drop it from the state. */
static void forget_deposed(struct run *r, const struct job *j)
{
	json_t *v = json_object_get(r->stored, j->resource), *d, *list, *x;
	const char *id = json_string_value(json_object_get(j->before, "id"));
	size_t i;

	if (!v)
		return;
	v = ms_json_copy(v);
	list = json_array();
	json_array_foreach(json_object_get(v, "deposed"), i, d) {
		x = json_object_get(d, "id");
		if (id && json_is_string(x) &&
		    !strcmp(json_string_value(x), id))
			continue;
		json_array_append(list, d);
	}
	if (json_array_size(list))
		json_object_set(v, "deposed", list);
	else
		json_object_del(v, "deposed");
	json_decref(list);
	store_later(r, j->resource, v, j);
	json_decref(v);
}

static void done(size_t node, enum ms_walk_result result, const char *error,
		 void *payload)
{
	struct run *r = payload;
	struct job *j = &r->jobs[node];
	const char *id;
	char line[256];
	json_t *v;
	int err = 0;

	if (result == MS_WALK_CANCELLED) {
		if (j->action == MS_ACTION_NOOP)
			return;
		json_array_append_new(r->not_started, json_string(j->name));
		ms_render_event(stderr, j->name, "Not started (interrupted)");
		return;
	}
	if (result == MS_WALK_SKIPPED) {
		r->failed++;
		ms_render_failure(stderr, j->name,
				  "skipped: something it depends on failed");
		return;
	}
	if (j->action == MS_ACTION_NOOP) {
		json_object_set(r->values, j->name,
				json_object_get(j->change, "before"));
		return;
	}
	if (result == MS_WALK_FAILED) {
		if (j->code == MS_EINTERRUPTED)
			json_array_append_new(r->abandoned,
					      json_string(j->name));
		else
			r->failed++;
		/*
		 * What AWS holds now: an object the provider returned (made,
		 * but not usable) is kept, tainted when new; an object deleted
		 * before a failed create is forgotten. A create's intent stays
		 * journaled (it may have happened), unless AWS said the name
		 * is held by an object this stack did not make.
		 */
		if (j->result) {
			/* a create that failed, or one finished as an update */
			v = stored_value(
				r, j,
				(j->action != MS_ACTION_UPDATE &&
				 !j->t->resumable) ||
					json_is_true(json_object_get(
						j->change, "pending")));
			err = store(r, j->resource, v);
			json_decref(v);
		} else if (j->old_deleted) {
			err = unstore(r, j->resource);
		}
		/* AWS said the name is someone else's: nothing was made */
		if (!err && j->code == MS_EEXISTS && !j->result &&
		    json_object_get(r->journal, j->resource)) {
			json_object_del(r->journal, j->resource);
			err = put_journal(r);
		}
		ms_render_failure(stderr, j->name, error);
		if (err)
			ms_render_failure(stderr, j->name, ms_error_last());
		return;
	}
	/* the files are written by flush(), once the ready have started */
	if (j->deposed) {
		forget_deposed(r, j);
		r->destroyed++;
	} else if (j->action == MS_ACTION_DELETE) {
		store_later(r, j->resource, NULL, j);
		r->destroyed++;
	} else {
		v = stored_value(r, j, false);
		store_later(r, j->resource, v, j);
		json_decref(v);
		json_object_set(r->values, j->resource, j->result);
		if (j->action == MS_ACTION_CREATE)
			r->added++;
		else if (j->action == MS_ACTION_UPDATE)
			r->changed++;
		else {
			r->added++;
			if (!j->cbd)
				r->destroyed++;
		}
	}
	id = json_string_value(
		json_object_get(j->deposed ? j->before : j->result, "id"));
	if (id)
		snprintf(line, sizeof(line), "%s after %.0fs [id=%s]",
			 verb(j->action, 1), ms_now() - j->started, id);
	else
		snprintf(line, sizeof(line), "%s after %.0fs",
			 verb(j->action, 1), ms_now() - j->started);
	ms_render_event(stderr, j->name, line);
}

static void walk_progress(size_t node, const char *message, double elapsed,
			  void *payload)
{
	struct run *r = payload;
	struct job *j = &r->jobs[node];
	char line[600];
	const char *still = j->action == MS_ACTION_DELETE ? "destroying" :
			    j->action == MS_ACTION_UPDATE ? "modifying" :
							    "creating";

	if (message)
		snprintf(line, sizeof(line), "%s [%s elapsed]", message,
			 ms_render_duration(elapsed));
	else
		snprintf(line, sizeof(line), "Still %s... [%s elapsed]", still,
			 ms_render_duration(elapsed));
	ms_render_event(stderr, j->name, line);
}

/* A list of job indexes. */
struct jobs_of {
	size_t *at, n, alloc;
};

static void jobs_add(struct jobs_of *l, size_t k)
{
	if (l->n == l->alloc) {
		l->alloc = l->alloc ? 2 * l->alloc : 4;
		l->at = ms_realloc(l->at, l->alloc * sizeof(*l->at));
	}
	l->at[l->n++] = k;
}

static int cmp_index(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;

	return x < y ? -1 : x > y;
}

/* Sorted, without repeats. */
static void jobs_sort(struct jobs_of *l)
{
	size_t i, k = 0;

	if (l->n < 2)
		return; /* l->at may be NULL: no qsort */
	qsort(l->at, l->n, sizeof(*l->at), cmp_index);
	for (i = 0; i < l->n; i++)
		if (!k || l->at[k - 1] != l->at[i])
			l->at[k++] = l->at[i];
	l->n = k;
}

/*
 * Edges between jobs: a create/update/replace waits for what it refers
 * to; a delete goes before the deletion (or replacement) of what the
 * deleted resource depended on; a deposed object's deletion waits for its
 * replacement and for every job that moves a dependent onto it.
 *
 * Jobs are found through maps (a resource's own job; the jobs that refer
 * to a resource) rather than by comparing every pair of jobs, and each
 * job's edges are added in the order of the jobs they join, as a pass
 * over every pair would add them.
 */
static void link(struct run *r)
{
	struct ms_map own = MS_MAP_INIT, users = MS_MAP_INIT;
	size_t n_lists = 0, a_lists = r->n + 1, i, k, m, slot;
	struct jobs_of *lists = ms_calloc(a_lists, sizeof(*lists));
	struct jobs_of *referring;
	struct jobs_of cand = { 0 };
	json_t *d;

	/* the job of each resource itself; the jobs referring to each name */
	for (k = 0; k < r->n; k++) {
		if (!r->jobs[k].deposed)
			ms_map_add(&own, r->jobs[k].resource, k);
		json_array_foreach(json_object_get(r->jobs[k].change,
						   "dependencies"),
				   m, d) {
			const char *name = json_string_value(d);

			if (!name)
				continue;
			if (!ms_map_get(&users, name, &slot)) {
				if (n_lists == a_lists) {
					a_lists *= 2;
					lists = ms_realloc(
						lists,
						a_lists * sizeof(*lists));
				}
				memset(&lists[n_lists], 0, sizeof(*lists));
				slot = n_lists++;
				ms_map_add(&users, name, slot);
			}
			jobs_add(&lists[slot], k);
		}
	}
	for (i = 0; i < r->n; i++) {
		struct job *j = &r->jobs[i];

		referring = ms_map_get(&users, j->resource, &slot) ?
				    &lists[slot] :
				    NULL;
		cand.n = 0;
		if (j->deposed) {
			/* o replaced the object, or refers to it */
			if (ms_map_get(&own, j->resource, &k) && k != i)
				jobs_add(&cand, k);
			for (m = 0; referring && m < referring->n; m++) {
				struct job *o = &r->jobs[referring->at[m]];

				if (referring->at[m] != i && !o->deposed &&
				    o->action != MS_ACTION_DELETE)
					jobs_add(&cand, referring->at[m]);
			}
		} else {
			json_array_foreach(json_object_get(j->change,
							   "dependencies"),
					   m, d) {
				const char *name = json_string_value(d);

				if (name && ms_map_get(&own, name, &k) &&
				    k != i)
					jobs_add(&cand, k);
			}
		}
		jobs_sort(&cand);
		for (m = 0; m < cand.n; m++) {
			struct job *o = &r->jobs[cand.at[m]];

			k = cand.at[m];
			if (j->deposed || j->action != MS_ACTION_DELETE)
				ms_graph_depend(r->g, i, k);
			else if (o->action == MS_ACTION_DELETE ||
				 (o->action == MS_ACTION_REPLACE && !o->cbd))
				ms_graph_depend(r->g, k, i);
		}
		if (!j->deposed)
			continue;
		/* old objects go before the old objects they referred to */
		cand.n = 0;
		for (m = 0; referring && m < referring->n; m++)
			if (referring->at[m] != i &&
			    r->jobs[referring->at[m]].deposed)
				jobs_add(&cand, referring->at[m]);
		jobs_sort(&cand);
		for (m = 0; m < cand.n; m++)
			ms_graph_depend(r->g, i, cand.at[m]);
	}
	for (k = 0; k < n_lists; k++)
		free(lists[k].at);
	free(lists);
	free(cand.at);
	ms_map_release(&own);
	ms_map_release(&users);
}

/*
 * Whether an output's value comes from a secret: a sensitive variable, or
 * a resource attribute whose value is sensitive (by the schema, by name
 * or by origin).
 */
static bool sensitive_output(struct run *r, const json_t *raw)
{
	json_t *refs = NULL, *ref, *mask, *stored, *m;
	bool found = ms_sensitive_var_in(raw, r->e->stack->sensitive);
	size_t i;

	if (ms_expr_refs(raw, &refs) < 0) {
		json_decref(refs);
		ms_error_clear();
		return found;
	}
	json_array_foreach(refs, i, ref) {
		const char *root =
			json_string_value(json_object_get(ref, "root"));
		const char *first = json_string_value(
			json_array_get(json_object_get(ref, "path"), 0));

		if (!root || !first || !strcmp(root, "var"))
			continue;
		stored = json_object_get(r->stored, root);
		if (!stored)
			continue;
		mask = ms_sensitive_mask(
			json_string_value(json_object_get(stored, "type")),
			json_object_get(stored, "attributes"),
			json_object_get(stored, "sensitive"));
		m = json_object_get(mask, first);
		found |= m && !json_is_false(m);
		json_decref(mask);
	}
	json_decref(refs);
	return found;
}

static int finish(struct run *r)
{
	json_t *meta = NULL, *outputs = NULL, *raw, *secret = json_array();
	struct ms_buf msg = MS_BUF_INIT;
	const char *key;
	json_t *v;
	int err = -1;

	if (ms_state_meta(r->e->state, &meta))
		goto done;
	outputs = json_object();
	raw = json_object_get(r->plan, "outputs");
	if (!json_is_true(json_object_get(r->plan, "destroy"))) {
		json_object_foreach(raw, key, v) {
			json_t *val = NULL;

			if (ms_engine_eval(r->e, &val, v,
					   json_object_get(r->plan,
							   "variables"),
					   r->values) ||
			    ms_has_unknown(val)) {
				json_decref(val);
				continue; /* its resource failed */
			}
			json_object_set_new(outputs, key, val);
			if (sensitive_output(r, v))
				json_array_append_new(secret, json_string(key));
		}
	}
	if (json_array_size(secret))
		json_object_set(meta, "sensitive_outputs", secret);
	else
		json_object_del(meta, "sensitive_outputs");
	json_object_set_new(meta, "stack", json_string(r->e->stack->name));
	json_object_set_new(meta, "serial",
			    json_integer(json_integer_value(json_object_get(
						 meta, "serial")) +
					 1));
	json_object_set(meta, "stack_digest",
			json_object_get(r->plan, "stack_digest"));
	json_object_set(meta, "outputs", outputs);
	if (ms_state_put_meta(r->e->state, meta))
		goto done;
	ms_buf_addf(&msg, "%s %s: +%d ~%d -%d%s%s",
		    json_is_true(json_object_get(r->plan, "destroy")) ?
			    "destroy" :
			    "apply",
		    r->e->stack->name, r->added, r->changed, r->destroyed,
		    r->failed ? " (with failures)" : "",
		    ms_interrupted() ? " (interrupted)" : "");
	err = ms_state_commit(r->e->state, msg.ptr, NULL);
done:
	json_decref(meta);
	json_decref(outputs);
	json_decref(secret);
	ms_buf_release(&msg);
	return err;
}

/* "a, b, c" (the first few of names, and how many more) */
static void name_list(struct ms_buf *b, const json_t *names)
{
	json_t *v;
	size_t i;

	json_array_foreach(names, i, v) {
		if (i == 5) {
			ms_buf_addf(b, " and %zu more",
				    json_array_size(names) - 5);
			break;
		}
		ms_buf_addf(b, "%s%s", i ? ", " : "", json_string_value(v));
	}
}

/* The one line an interrupted apply ends with: what it left undone. */
static int interrupted_error(struct run *r)
{
	struct ms_buf b = MS_BUF_INIT;
	size_t n = json_array_size(r->not_started);
	size_t k = json_array_size(r->abandoned);
	int err;

	ms_buf_adds(&b, "interrupted: ");
	if (n) {
		ms_buf_addf(&b, "%zu change%s not started (", n,
			    n == 1 ? "" : "s");
		name_list(&b, r->not_started);
		ms_buf_adds(&b, ")");
	}
	if (k) {
		ms_buf_addf(&b, "%s%zu wait%s abandoned (", n ? "; " : "", k,
			    k == 1 ? "" : "s");
		name_list(&b, r->abandoned);
		ms_buf_adds(&b, ": going on in AWS)");
	}
	if (!n && !k)
		ms_buf_adds(&b, "every change had finished");
	if (r->failed)
		ms_buf_addf(&b, "; %d failed", r->failed);
	ms_buf_adds(&b, "; the state holds what was done and is committed: "
			"run the command again to finish");
	err = ms_error_code(MS_EINTERRUPTED, "%s", b.ptr);
	ms_buf_release(&b);
	return err;
}

/*
 * What the plan learnt about the state itself, written first: resources
 * it moved to their new names, intents it resolved (objects it found are
 * recorded; null: nothing was there, or nothing of ours) and objects that
 * are gone.
 */
static int save_adopted(struct run *r)
{
	const char *name;
	json_t *v;

	size_t i;

	/* resources renamed in the stack, their objects kept */
	json_object_foreach(json_object_get(r->plan, "moved"), name, v)
		if (ms_engine_rename(r->e, name, json_string_value(v)))
			return -1;

	json_object_foreach(json_object_get(r->plan, "adopted"), name, v) {
		if (!json_is_null(v) &&
		    ms_state_put_resource(r->e->state, name, v))
			return -1;
		json_object_del(r->journal, name);
	}
	/* objects deleted outside mlstack leave the state */
	json_array_foreach(json_object_get(r->plan, "gone"), i, v) {
		int err = ms_state_remove_resource(r->e->state,
						   json_string_value(v));

		if (err && err != MS_ENOTFOUND)
			return -1;
	}
	return put_journal(r);
}

int ms_engine_apply(struct ms_engine *e, const json_t *plan)
{
	struct ms_walk_ops ops = {
		.prepare = prepare,
		.run = run_job,
		.launch = launch,
		.done = done,
		.flush = flush,
		.progress = walk_progress,
		.heartbeat = 10,
	};
	struct run r;
	char *head = NULL;
	const char *name, *want;
	json_t *c, *v, *own = NULL;
	size_t i;
	int err = -1;

	/* what the state check read is of no use here: apply reads anew */
	json_decref(e->checked);
	e->checked = NULL;
	memset(&r, 0, sizeof(r));
	r.e = e;
	r.plan = (json_t *)plan;
	r.values = json_object();
	r.not_started = json_array();
	r.abandoned = json_array();
	r.launching = json_array();
	r.unwritten = json_object();
	/* the lookups as the plan found them */
	if (json_is_object(json_object_get(plan, "lookups")))
		json_object_update(e->lookups,
				   json_object_get(plan, "lookups"));
	/* the stack's own version: other stacks' commits leave it alone */
	if (ms_state_version(e->state, &head))
		goto done;
	want = json_string_value(json_object_get(plan, "state_version"));
	if (!want || strcmp(want, head)) {
		err = ms_error_code(MS_ESTALE,
				    "saved plan is stale: it was made against "
				    "state %.12s of stack \"%s\", which is now "
				    "at %.12s; run 'mlstack plan' again",
				    want && *want ? want : "(empty)",
				    e->stack->name, *head ? head : "(empty)");
		goto done;
	}
	if (strcmp(json_string_value(json_object_get(plan, "stack")),
		   e->stack->name)) {
		ms_error("the plan is for stack \"%s\", not \"%s\"",
			 json_string_value(json_object_get(plan, "stack")),
			 e->stack->name);
		goto done;
	}
	if (ms_engine_session(e, &e->aws) || !e->aws)
		goto done;
	/* a plan from a file: its secrets read again first */
	if (json_object_get(plan, "sensitive_digest") ||
	    json_array_size(json_object_get(plan, "sensitive_variables"))) {
		json_t *stored = NULL;

		bool failed;

		r.plan = own = ms_json_copy(plan);
		failed = ms_state_resources(e->state, &stored) ||
			 ms_plan_restore_secrets(e, own, stored);
		json_decref(stored);
		if (failed)
			goto done;
		plan = own;
	}
	if (ms_state_journal(e->state, &r.journal) || save_adopted(&r))
		goto done;

	/* values of untouched resources, for references */
	if (ms_state_resources(e->state, &r.stored))
		goto done;
	json_object_foreach(r.stored, name, v)
		json_object_set(r.values, name,
				json_object_get(v, "attributes"));

	r.jobs = ms_calloc(
		2 * json_array_size(json_object_get(plan, "changes")) + 1,
		sizeof(*r.jobs));
	ms_graph_new(&r.g);
	json_array_foreach(json_object_get(plan, "changes"), i, c) {
		struct job *j = &r.jobs[r.n];
		const char *type =
			json_string_value(json_object_get(c, "type"));
		const char *of =
			json_string_value(json_object_get(c, "deposed_of"));
		int action = ms_action_parse(
			json_string_value(json_object_get(c, "action")));

		j->change = c;
		j->name = json_string_value(json_object_get(c, "name"));
		j->action = (enum ms_action)action;
		j->t = ms_provider_find(type ? type : "");
		j->before = json_object_get(c, "before");
		j->resource = of ? of : j->name;
		j->deposed = of != NULL;
		if (!j->name || action < 0 || !j->t ||
		    ms_graph_find(r.g, j->name) >= 0) {
			ms_error("saved plan: change %zu is malformed", i);
			goto done;
		}
		j->cbd = j->action == MS_ACTION_REPLACE &&
			 json_is_true(
				 json_object_get(c, "create_before_destroy"));
		ms_graph_add(r.g, j->name);
		r.n++;
		if (!j->cbd)
			continue;
		/* the old object's deletion, as its own job */
		r.jobs[r.n] = *j;
		j = &r.jobs[r.n];
		j->own_name = ms_asprintf("%s~deposed", j->resource);
		j->name = j->own_name;
		j->action = MS_ACTION_DELETE;
		j->deposed = true;
		j->cbd = false;
		ms_graph_add(r.g, j->name);
		r.n++;
	}
	link(&r);
	if (ms_graph_check(r.g, NULL))
		goto done;

	ms_graph_walk(r.g, false, e->parallelism, &ops, &r);
	err = finish(&r);
	if (!err && ms_interrupted())
		err = interrupted_error(&r);
	else if (!err && r.failed)
		err = ms_error("%d resource%s failed", r.failed,
			       r.failed == 1 ? "" : "s");
	if (!err)
		ms_render_summary(
			stdout, json_is_true(json_object_get(plan, "destroy")),
			r.added, r.changed, r.destroyed);
done:
	for (i = 0; i < r.n; i++) {
		free(r.jobs[i].own_name);
		json_decref(r.jobs[i].desired);
		json_decref(r.jobs[i].result);
	}
	free(r.jobs);
	ms_graph_free(r.g);
	json_decref(r.values);
	json_decref(r.not_started);
	json_decref(r.abandoned);
	json_decref(r.launching);
	json_decref(r.unwritten);
	json_decref(r.journal);
	json_decref(r.stored);
	json_decref(own);
	free(head);
	return err;
}
