/*
 * apply.c - run a plan: a parallel ready-set walk over its changes.
 *
 * Provider calls run on worker threads; everything that touches the state
 * directory or the terminal runs on this thread, in prepare() (journal the
 * intent of a create, evaluate the resource's configuration against what
 * has been applied so far) and done() (write the resource's file at once,
 * report). A failed change skips what depends on it and nothing else.
 */
#include "util/common.h"
#include "engine/internal.h"
#include "engine/expr.h"
#include "engine/render.h"
#include "util/json.h"

struct job {
	json_t *change;   /* borrowed from the plan */
	const struct ms_resource_type *t;
	const char *name;
	const char *action;
	json_t *desired;  /* evaluated in prepare */
	json_t *result;   /* new attributes, from run */
	bool old_deleted; /* replace: the old object is gone */
	double started;
};

struct run {
	struct ms_engine *e;
	struct ms_graph *g;
	struct job *jobs;
	size_t n;
	json_t *values;   /* name -> attributes as applied so far */
	json_t *journal;
	json_t *plan;
	int added, changed, destroyed, failed;
};

static const char *verb(const char *action, int tense)
{
	static const char *const words[][3] = {
		{ "create", "Creating...", "Creation complete" },
		{ "update", "Modifying...", "Modifications complete" },
		{ "replace", "Replacing...", "Replacement complete" },
		{ "delete", "Destroying...", "Destruction complete" },
	};
	size_t i;

	for (i = 0; i < MS_ARRAY_SIZE(words); i++)
		if (!strcmp(words[i][0], action))
			return words[i][tense];
	return action;
}

static int put_journal(struct run *r)
{
	return ms_state_put_journal(r->e->state, r->journal);
}

static int prepare(size_t node, void *payload)
{
	struct run *r = payload;
	struct job *j = &r->jobs[node];
	json_t *props = NULL;
	int err;

	if (!strcmp(j->action, "noop"))
		return 1;
	if (strcmp(j->action, "delete")) {
		err = ms_engine_eval(r->e, &props,
				     json_object_get(j->change, "config"),
				     json_object_get(r->plan, "variables"),
				     r->values);
		if (!err)
			err = ms_engine_desired(&j->desired, j->t, props,
						json_object_get(r->plan, "tags"));
		json_decref(props);
		if (err)
			return ms_error("resource \"%s\": %s", j->name,
					ms_error_last());
	}
	if (!strcmp(j->action, "create") || !strcmp(j->action, "replace")) {
		json_t *intent = json_object();
		json_t *idv = json_object_get(j->desired, j->t->id_attr);

		json_object_set_new(intent, "type", json_string(j->t->name));
		json_object_set(intent, "id_value", idv ? idv : json_null());
		json_object_set(intent, "dependencies",
				json_object_get(j->change, "dependencies"));
		json_object_set_new(intent, "action", json_string(j->action));
		json_object_set_new(r->journal, j->name, intent);
		if (put_journal(r))
			return -1;
	}
	j->started = ms_now();
	ms_render_event(stderr, j->name, verb(j->action, 1));
	return 0;
}

static void progress(struct ms_call *call, const char *message, void *payload)
{
	struct run *r = payload;
	size_t i;

	for (i = 0; i < r->n; i++)
		if (r->jobs[i].name == call->name)
			ms_graph_report(r->g, i, message);
}

static double timeout_for(const struct job *j, const char *which)
{
	json_t *t = json_object_get(json_object_get(j->change, "timeouts"),
				    which);

	return json_is_number(t) ? json_number_value(t) : 0;
}

static int run_job(size_t node, void *payload)
{
	struct run *r = payload;
	struct job *j = &r->jobs[node];
	struct ms_call call = { 0 };
	json_t *before = json_object_get(j->change, "before");
	bool cbd = json_is_true(json_object_get(j->change,
						"create_before_destroy"));

	call.aws = r->e->aws;
	call.name = j->name;
	call.progress = progress;
	call.payload = r;

	if (!strcmp(j->action, "create")) {
		call.timeout = timeout_for(j, "create");
		return j->t->create(&call, j->desired, &j->result);
	}
	if (!strcmp(j->action, "update")) {
		call.timeout = timeout_for(j, "update");
		return j->t->update(&call, before, j->desired, &j->result);
	}
	if (!strcmp(j->action, "delete")) {
		call.timeout = timeout_for(j, "delete");
		return j->t->delete(&call, before);
	}
	/* replace */
	if (!cbd) {
		call.timeout = timeout_for(j, "delete");
		if (j->t->delete(&call, before))
			return -1;
		j->old_deleted = true;
	}
	call.timeout = timeout_for(j, "create");
	if (j->t->create(&call, j->desired, &j->result))
		return -1;
	if (cbd) {
		call.timeout = timeout_for(j, "delete");
		if (j->t->delete(&call, before))
			return -1;
		j->old_deleted = true;
	}
	return 0;
}

static json_t *stored_value(const struct job *j)
{
	json_t *v = json_object();

	json_object_set_new(v, "type", json_string(j->t->name));
	json_object_set(v, "id", json_object_get(j->result, "id"));
	json_object_set(v, "attributes", j->result);
	json_object_set(v, "dependencies",
			json_object_get(j->change, "dependencies"));
	return v;
}

static void done(size_t node, enum ms_walk_result result, const char *error,
		 void *payload)
{
	struct run *r = payload;
	struct job *j = &r->jobs[node];
	const char *id;
	char line[256];
	int err = 0;

	if (result == MS_WALK_SKIPPED) {
		r->failed++;
		ms_render_failure(stderr, j->name,
				  "skipped: something it depends on failed");
		return;
	}
	if (!strcmp(j->action, "noop")) {
		json_object_set(r->values, j->name,
				json_object_get(j->change, "before"));
		return;
	}
	if (result == MS_WALK_FAILED) {
		r->failed++;
		if (j->old_deleted && !j->result)
			err = ms_state_remove_resource(r->e->state, j->name);
		/* a create's intent stays journaled: it may have happened */
		ms_render_failure(stderr, j->name, error);
		if (err)
			ms_render_failure(stderr, j->name, ms_error_last());
		return;
	}
	if (!strcmp(j->action, "delete")) {
		err = ms_state_remove_resource(r->e->state, j->name);
		r->destroyed++;
	} else {
		json_t *v = stored_value(j);

		err = ms_state_put_resource(r->e->state, j->name, v);
		json_decref(v);
		json_object_set(r->values, j->name, j->result);
		if (!strcmp(j->action, "create"))
			r->added++;
		else if (!strcmp(j->action, "update"))
			r->changed++;
		else {
			r->added++;
			r->destroyed++;
		}
	}
	if (!err && json_object_get(r->journal, j->name)) {
		json_object_del(r->journal, j->name);
		err = put_journal(r);
	}
	if (err) {
		r->failed++;
		ms_render_failure(stderr, j->name, ms_error_last());
		return;
	}
	id = json_string_value(json_object_get(j->result, "id"));
	if (id)
		snprintf(line, sizeof(line), "%s after %.0fs [id=%s]",
			 verb(j->action, 2), ms_now() - j->started, id);
	else
		snprintf(line, sizeof(line), "%s after %.0fs",
			 verb(j->action, 2), ms_now() - j->started);
	ms_render_event(stderr, j->name, line);
}

static void walk_progress(size_t node, const char *message, double elapsed,
			  void *payload)
{
	struct run *r = payload;
	struct job *j = &r->jobs[node];
	char line[600];
	const char *still = !strcmp(j->action, "delete") ? "destroying" :
			    !strcmp(j->action, "update") ? "modifying" :
							   "creating";

	if (message)
		snprintf(line, sizeof(line), "%s [%s elapsed]", message,
			 ms_render_duration(elapsed));
	else
		snprintf(line, sizeof(line), "Still %s... [%s elapsed]", still,
			 ms_render_duration(elapsed));
	ms_render_event(stderr, j->name, line);
}

/*
 * Edges between changes: a create/update/replace waits for what it refers
 * to; a delete goes before the deletion (or replacement) of what the
 * deleted resource depended on.
 */
static void link(struct run *r)
{
	size_t i, k;
	json_t *d;

	for (i = 0; i < r->n; i++) {
		const char *action = r->jobs[i].action;

		json_array_foreach(json_object_get(r->jobs[i].change,
						   "dependencies"), k, d) {
			long to = ms_graph_find(r->g, json_string_value(d));

			if (to < 0)
				continue;
			if (strcmp(action, "delete"))
				ms_graph_depend(r->g, i, (size_t)to);
			else if (!strcmp(r->jobs[to].action, "delete") ||
				 !strcmp(r->jobs[to].action, "replace"))
				ms_graph_depend(r->g, (size_t)to, i);
		}
	}
}

static int finish(struct run *r)
{
	json_t *meta = NULL, *outputs = NULL, *raw;
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
					   json_object_get(r->plan, "variables"),
					   r->values) ||
			    ms_has_unknown(val)) {
				json_decref(val);
				continue; /* its resource failed */
			}
			json_object_set_new(outputs, key, val);
		}
	}
	json_object_set_new(meta, "stack", json_string(r->e->stack->name));
	json_object_set_new(meta, "serial",
			    json_integer(json_integer_value(
						 json_object_get(meta, "serial")) + 1));
	json_object_set(meta, "stack_digest",
			json_object_get(r->plan, "stack_digest"));
	json_object_set(meta, "outputs", outputs);
	if (ms_state_put_meta(r->e->state, meta))
		goto done;
	ms_buf_addf(&msg, "%s %s: +%d ~%d -%d%s",
		    json_is_true(json_object_get(r->plan, "destroy")) ?
			    "destroy" : "apply",
		    r->e->stack->name, r->added, r->changed, r->destroyed,
		    r->failed ? " (with failures)" : "");
	err = ms_state_commit(r->e->state, msg.ptr, NULL);
done:
	json_decref(meta);
	json_decref(outputs);
	ms_buf_release(&msg);
	return err;
}

/*
 * Intents the plan resolved: objects it found are written to the state
 * first (null: nothing was there), and their intents dropped.
 */
static int save_adopted(struct run *r)
{
	const char *name;
	json_t *v;

	json_object_foreach(json_object_get(r->plan, "adopted"), name, v) {
		if (!json_is_null(v) &&
		    ms_state_put_resource(r->e->state, name, v))
			return -1;
		json_object_del(r->journal, name);
	}
	return put_journal(r);
}

int ms_engine_apply(struct ms_engine *e, const json_t *plan)
{
	struct ms_walk_ops ops = { prepare, run_job, done, walk_progress, 10 };
	struct run r;
	char *head = NULL;
	const char *name, *want;
	json_t *c, *stored = NULL, *v;
	size_t i;
	int err = -1;

	memset(&r, 0, sizeof(r));
	r.e = e;
	r.plan = (json_t *)plan;
	r.values = json_object();
	if (ms_state_head(e->state, &head))
		goto done;
	want = json_string_value(json_object_get(plan, "state_commit"));
	if (!want || strcmp(want, head)) {
		err = ms_error_code(MS_ESTALE,
				    "saved plan is stale: it was made against "
				    "state %.12s, the state is now at %.12s; "
				    "run 'mlstack plan' again",
				    want && *want ? want : "(empty)",
				    *head ? head : "(empty)");
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
	if (ms_state_journal(e->state, &r.journal) || save_adopted(&r))
		goto done;

	/* values of untouched resources, for references */
	if (ms_state_resources(e->state, &stored))
		goto done;
	json_object_foreach(stored, name, v)
		json_object_set(r.values, name, json_object_get(v, "attributes"));

	r.n = json_array_size(json_object_get(plan, "changes"));
	r.jobs = ms_calloc(r.n + 1, sizeof(*r.jobs));
	ms_graph_new(&r.g);
	json_array_foreach(json_object_get(plan, "changes"), i, c) {
		struct job *j = &r.jobs[i];
		const char *type = json_string_value(json_object_get(c, "type"));

		j->change = c;
		j->name = json_string_value(json_object_get(c, "name"));
		j->action = json_string_value(json_object_get(c, "action"));
		j->t = ms_provider_find(type ? type : "");
		if (!j->name || !j->action || !j->t) {
			ms_error("saved plan: change %zu is malformed", i);
			goto done;
		}
		ms_graph_add(r.g, j->name);
	}
	link(&r);
	if (ms_graph_check(r.g, NULL))
		goto done;

	ms_graph_walk(r.g, false, e->parallelism, &ops, &r);
	err = finish(&r);
	if (!err && r.failed)
		err = ms_error("%d resource%s failed", r.failed,
			       r.failed == 1 ? "" : "s");
	if (!err)
		ms_render_summary(stdout, json_is_true(json_object_get(plan,
								 "destroy")),
				  r.added, r.changed, r.destroyed);
done:
	for (i = 0; i < r.n; i++) {
		json_decref(r.jobs[i].desired);
		json_decref(r.jobs[i].result);
	}
	free(r.jobs);
	ms_graph_free(r.g);
	json_decref(r.values);
	json_decref(r.journal);
	json_decref(stored);
	free(head);
	return err;
}
