/*
 * engine.c - opening a stack and its state, evaluation of stack values,
 * and the read-only views cmd/ asks for (state, outputs, history, graph).
 *
 * The AWS session is opened lazily: validate, graph, state and history
 * work without credentials.
 */
#include "util/common.h"
#include "engine/internal.h"
#include "engine/sensitive.h"
#include "engine/expr.h"
#include "util/file.h"
#include "util/interrupt.h"
#include "util/json.h"
#include "util/map.h"
#include "util/sha256.h"

#include <errno.h>
#include <libgen.h>

static json_t *diag(json_t **diags, const struct ms_stack *s, const char *path,
		    const char *msg)
{
	int line = 0, col = 0;
	char *text;

	if (!*diags)
		*diags = json_array();
	ms_stack_mark(s, path, &line, &col);
	text = ms_asprintf("%s:%d:%d: %s", s->file, line, col, msg);
	json_array_append_new(*diags, json_string(text));
	free(text);
	return *diags;
}

/* The resources a lookup refers to, through other lookups too. */
static void lookup_deps(const struct ms_engine *e, const char *name,
			json_t *names, int depth)
{
	const struct ms_resource *l = ms_stack_lookup(e->stack, name);
	json_t *refs = NULL, *v;
	const char *root;
	size_t i;

	if (!l || depth > 16)
		return;
	ms_expr_refs(l->properties, &refs);
	json_array_foreach(refs, i, v) {
		root = json_string_value(json_object_get(v, "root"));
		if (root && ms_stack_resource(e->stack, root))
			json_array_append(names, json_object_get(v, "root"));
		else if (root && !strcmp(root, "data"))
			lookup_deps(e,
				    json_string_value(json_array_get(
					    json_object_get(v, "path"), 0)),
				    names, depth + 1);
	}
	json_decref(refs);
}

json_t *ms_engine_resource_deps(const struct ms_engine *e,
				const struct ms_resource *r)
{
	json_t *names = json_array(), *v;
	size_t i;

	/* what the loader found its properties refer to */
	json_array_extend(names, r->refers);
	json_array_foreach(r->refers_data, i, v)
		lookup_deps(e, json_string_value(v), names, 0);
	json_array_foreach(r->depends_on, i, v)
		json_array_append(names, v);
	return ms_json_sorted_set(names);
}

static int build_graph(struct ms_engine *e, json_t **diags)
{
	size_t i, j, bad;
	json_t *deps, *v;

	ms_graph_new(&e->graph);
	for (i = 0; i < e->stack->n_resources; i++)
		ms_graph_add(e->graph, e->stack->resources[i].name);
	for (i = 0; i < e->stack->n_resources; i++) {
		deps = ms_engine_resource_deps(e, &e->stack->resources[i]);
		json_array_foreach(deps, j, v) {
			long to = ms_graph_find(e->graph, json_string_value(v));

			if (to >= 0)
				ms_graph_depend(e->graph, i, (size_t)to);
		}
		json_decref(deps);
	}
	if (ms_graph_check(e->graph, &bad)) {
		char *path = ms_asprintf("resources.%s",
					 ms_graph_name(e->graph, bad));

		diag(diags, e->stack, path, ms_error_last());
		free(path);
		return -1;
	}
	return 0;
}

/*
 * The physical name a resource gives its object, when it is known offline
 * (a literal, or made of variables and the stack's name); NULL otherwise.
 * A new reference.
 */
static json_t *offline_id(struct ms_engine *e, const struct ms_resource *r,
			  const char **attr)
{
	const struct ms_resource_type *t = ms_provider_find(r->type);
	json_t *raw, *refs = NULL, *ref, *v = NULL;
	const char *root;
	size_t i;

	*attr = NULL;
	if (!t || !t->id_attr)
		return NULL;
	raw = json_object_get(r->properties, t->id_attr);
	if (json_is_string(raw) && !strchr(json_string_value(raw), '$')) {
		*attr = t->id_attr; /* a literal: no template to evaluate */
		return json_incref(raw);
	}
	if (!raw || ms_expr_refs(raw, &refs)) {
		ms_error_clear();
		json_decref(refs);
		return NULL;
	}
	json_array_foreach(refs, i, ref) {
		root = json_string_value(json_object_get(ref, "root"));
		if (!root || (strcmp(root, "var") && strcmp(root, "stack"))) {
			json_decref(refs);
			return NULL;
		}
	}
	json_decref(refs);
	if (ms_engine_eval(e, &v, raw, e->stack->variables, NULL) ||
	    !json_is_string(v)) {
		ms_error_clear();
		json_decref(v);
		return NULL;
	}
	*attr = t->id_attr;
	return v;
}

struct ms_named_type {
	const char *type;
	struct ms_map ids;
};

bool ms_named_add(struct ms_named *s, const char *type, const char *id,
		  size_t index, size_t *first)
{
	size_t i;

	for (i = 0; i < s->n && strcmp(s->types[i].type, type); i++)
		;
	if (i == s->n) {
		s->types = ms_realloc(s->types, (s->n + 1) * sizeof(*s->types));
		s->types[i].type = type;
		ms_map_init(&s->types[i].ids);
		s->n++;
	}
	if (ms_map_get(&s->types[i].ids, id, first))
		return false;
	ms_map_add(&s->types[i].ids, id, index);
	return true;
}

void ms_named_release(struct ms_named *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		ms_map_release(&s->types[i].ids);
	free(s->types);
	s->types = NULL;
	s->n = 0;
}

/*
 * Two resources of one type naming the same object would each adopt the
 * other's and flip it on every apply: a located error on the second.
 */
static int check_unique_ids(struct ms_engine *e, json_t **diags)
{
	struct ms_named seen = { NULL, 0 };
	json_t *ids = json_array(), *v; /* the ids seen holds */
	const char *attr;
	char *path, *msg;
	size_t i, first;
	int err = 0;

	for (i = 0; i < e->stack->n_resources; i++) {
		const struct ms_resource *r = &e->stack->resources[i];

		/* the loader checked the name against the type's rule */
		v = offline_id(e, r, &attr);
		if (!v)
			continue;
		json_array_append_new(ids, v);
		if (!ms_named_add(&seen, r->type, json_string_value(v), i,
				  &first)) {
			path = ms_asprintf("resources.%s.properties.%s",
					   r->name, attr);
			msg = ms_asprintf("resource \"%s\": %s \"%s\" is also "
					  "the %s of resource \"%s\"; one "
					  "object cannot be managed by two "
					  "resources",
					  r->name, attr, json_string_value(v),
					  attr,
					  e->stack->resources[first].name);
			diag(diags, e->stack, path, msg);
			free(msg);
			free(path);
			err = -1;
		}
	}
	ms_named_release(&seen);
	json_decref(ids);
	return err;
}

/* The stack file, from the disk or through o->read. */
static int load_stack(struct ms_engine *e, const struct ms_engine_opts *o,
		      json_t **diags)
{
	char *data = NULL;
	size_t len = 0;
	int err;

	if (!o->read)
		return ms_stack_load(&e->stack, o->file, o->vars, diags);
	if (o->read(o->read_ctx, o->file, &data, &len)) {
		if (diags) {
			if (!*diags)
				*diags = json_array();
			json_array_append_new(*diags,
					      json_string(ms_error_last()));
		}
		return -1;
	}
	err = ms_stack_load_buffer(&e->stack, o->file, data, len, o->vars,
				   diags);
	free(data);
	return err;
}

/*
 * The remote: -state-remote (a path from the current directory), else
 * the stack file's (a path from the stack file's directory); "" is none.
 */
static int set_remote(struct ms_engine *e, const struct ms_engine_opts *o)
{
	const char *url = o->state_remote ? o->state_remote :
					    e->stack->state_remote;
	char *full, *joined = NULL;
	int err;

	if (!url || !*url)
		return 0;
	if (o->state_remote && ms_state_check_remote_url(url, false))
		return ms_error("-state-remote: %s", ms_error_last());
	if (!o->state_remote && ms_state_remote_is_local(url) &&
	    url[0] != '/' && strncmp(url, "file://", 7)) {
		joined = ms_asprintf("%s/%s", e->stack_dir, url);
		/* as the user knows it, in messages: no "./../" */
		full = realpath(joined, NULL);
		if (!full) {
			full = joined;
			joined = NULL;
		}
		free(joined);
	} else {
		full = ms_strdup(url);
	}
	err = ms_state_set_remote(e->state, full);
	free(full);
	if (!err)
		e->remote = true;
	return err;
}

int ms_engine_open(struct ms_engine **out, const struct ms_engine_opts *o,
		   json_t **diags)
{
	struct ms_engine *e = ms_calloc(1, sizeof(*e));
	char *dir = NULL, *copy = NULL;
	bool loaded;
	int err = -1;

	*out = NULL;
	e->parallelism = o->parallelism > 0 ? o->parallelism : 10;
	e->color = o->color;
	e->adopted = json_object();
	e->lookups = json_object();
	e->resolving = json_object();
	e->read = o->read;
	e->read_ctx = o->read_ctx;
	e->offline = o->offline || o->read;
	if (!o->no_state)
		ms_state_warm(); /* while the stack is read */
	/* the graph's references are the loader's templates again */
	ms_expr_cache_hold();
	loaded = !load_stack(e, o, diags);
	ms_state_warm_wait(); /* ended before anything may exit (state.h) */
	if (!loaded) {
		ms_expr_cache_drop();
		goto done;
	}
	copy = ms_strdup(o->file);
	e->stack_dir = ms_strdup(dirname(copy));
	free(copy);
	copy = NULL;
	loaded = !build_graph(e, diags) && !check_unique_ids(e, diags);
	ms_expr_cache_drop();
	if (!loaded)
		goto done;
	if (o->no_state) {
		*out = e;
		e = NULL;
		err = 0;
		goto done;
	}
	if (o->state_dir) {
		dir = ms_strdup(o->state_dir);
	} else {
		copy = ms_strdup(o->file);
		dir = ms_asprintf("%s/.mlstack", dirname(copy));
	}
	if (ms_state_open(&e->state, dir, e->stack->name))
		goto done;
	e->state_dir = dir;
	dir = NULL;
	e->lock_timeout = o->lock_timeout;
	if (set_remote(e, o))
		goto done;
	if (!o->skip_state && ms_engine_prepare_state(e))
		goto done;
	if (!o->skip_state && !o->will_lock && ms_engine_sync(e))
		goto done;
	*out = e;
	e = NULL;
	err = 0;
done:
	free(dir);
	free(copy);
	ms_engine_free(e);
	return err;
}

void ms_engine_end(struct ms_engine *e)
{
#ifdef __SANITIZE_ADDRESS__
	ms_engine_free(e);
#else
	/* the model of 10,000 resources took 45 ms to free piece by piece */
	if (!e)
		return;
	ms_state_free(e->state);
	e->state = NULL;
	if (e->aws)
		ms_provider_session_free(e->aws);
	e->aws = NULL;
#endif
}

void ms_engine_free(struct ms_engine *e)
{
	if (!e)
		return;
	ms_state_free(e->state);
	ms_stack_free(e->stack);
	ms_graph_free(e->graph);
	if (e->aws)
		ms_provider_session_free(e->aws);
	free(e->account_id);
	json_decref(e->lookups);
	json_decref(e->resolving);
	free(e->stack_dir);
	free(e->state_dir);
	free(e->state_note);
	free(e->remote_note);
	json_decref(e->adopted);
	json_decref(e->checked);
	free(e);
}

const char *ms_engine_stack_name(const struct ms_engine *e)
{
	return e->stack->name;
}

size_t ms_engine_resource_count(const struct ms_engine *e)
{
	return e->stack->n_resources;
}

int ms_engine_session(struct ms_engine *e, struct ms_aws **out)
{
	/* out may be &e->aws itself */
	if (e->offline)
		return ms_error("offline: no AWS call is made here");
	if (!e->aws && ms_provider_session_new(&e->aws, e->stack->region))
		return -1;
	*out = e->aws;
	return 0;
}

/*
 * Whether to try a held lock again: while the lock timeout lasts, after
 * a pause of a second or so (jittered, so that waiters spread out).
 */
static bool wait_again(double deadline)
{
	double left = deadline - ms_now(), pause;
	unsigned char r = 0;
	char hex[3];

	if (left <= 0 || ms_interrupted())
		return false;
	if (!ms_random_hex(hex, 1))
		r = (unsigned char)strtoul(hex, NULL, 16);
	pause = 0.5 + r / 255.0;
	if (ms_interruptible_sleep(pause < left ? pause : left))
		return false;
	ms_error_clear();
	return true;
}

int ms_engine_lock(struct ms_engine *e, const char *operation)
{
	double deadline = ms_now() + e->lock_timeout;
	char *why;
	int err;

	while ((err = ms_state_lock(e->state, operation)) == MS_ELOCKED &&
	       wait_again(deadline))
		;
	if (err)
		return err;
	if (e->remote) {
		while ((err = ms_state_remote_lock(e->state, operation)) ==
			       MS_ELOCKED &&
		       wait_again(deadline))
			;
	}
	if (!err)
		err = ms_engine_after_lock(e);
	if (err) {
		why = ms_strdup(ms_error_last());
		ms_state_remote_unlock(e->state);
		ms_state_unlock(e->state);
		ms_error_code(err, "%s", why);
		free(why);
		return err;
	}
	e->locked = true;
	return 0;
}

/*
 * Push under the lock. Someone may have pushed meanwhile: commits of
 * other stacks (their own locks) are put under ours by a pull, and the
 * push tried again; a change of this stack is refused by the pull, and
 * the push's own message says what happened. Someone may be pushing
 * this very moment (the remote's branch is locked, or the server refused
 * and nothing new is there to pull): the push is tried again a little
 * later, for a few seconds.
 */
#define PUSH_TRIES      8
#define PUSH_FIRST_WAIT 0.05 /* seconds, doubled after each busy try */

static int push_locked(struct ms_engine *e)
{
	struct ms_state_sync s;
	double wait = PUSH_FIRST_WAIT;
	char *lost = NULL;
	int err, tries;

	for (tries = 0; tries < PUSH_TRIES; tries++) {
		err = ms_state_push(e->state, NULL);
		if (err != MS_ESTALE)
			break;
		free(lost);
		lost = ms_strdup(ms_error_last());
		if (ms_state_pull(e->state, &s) ||
		    (s.kind != MS_SYNC_REPLAYED && s.kind != MS_SYNC_AHEAD)) {
			ms_log(MS_LOG_INFO, "state", "not pulled again: %s",
			       ms_error_last());
			break;
		}
		if (s.kind == MS_SYNC_REPLAYED) {
			ms_log(MS_LOG_INFO, "state",
			       "put %zu commit(s) on top of %zu pushed "
			       "meanwhile",
			       s.ahead, s.pulled);
			continue;
		}
		if (tries + 1 == PUSH_TRIES)
			break;
		/* nothing new on the remote: another push holds it */
		ms_log(MS_LOG_INFO, "state",
		       "the remote is busy (%s): pushing again in %.0f ms",
		       lost, wait * 1000);
		ms_sleep(wait);
		wait *= 2;
	}
	if (err == MS_ESTALE)
		ms_error_code(MS_ESTALE, "%s", lost);
	free(lost);
	return err;
}

int ms_engine_unlock(struct ms_engine *e)
{
	struct ms_buf why = MS_BUF_INIT;
	int err = 0, rc;

	if (!e->locked)
		return 0;
	e->locked = false;
	if (e->remote) {
		if ((err = push_locked(e)))
			ms_buf_adds(&why, ms_error_last());
		if (ms_state_remote_unlock(e->state)) {
			ms_buf_addf(&why, "%s%s", why.len ? "; " : "",
				    ms_error_last());
			err = err ? err : -1;
		}
	}
	if (ms_state_unlock(e->state)) {
		ms_buf_addf(&why, "%s%s", why.len ? "; " : "", ms_error_last());
		err = err ? err : -1;
	}
	rc = err ? ms_error_code(err, "%s", why.ptr) : 0;
	ms_buf_release(&why);
	return rc;
}

const char *ms_engine_remote(const struct ms_engine *e)
{
	return ms_state_remote(e->state);
}

/* The state's answer as the engine says it. */
static void sync_out(struct ms_engine_sync *out, const struct ms_state_sync *s)
{
	static const enum ms_engine_sync_kind kinds[] = {
		[MS_SYNC_EMPTY] = MS_ENGINE_SYNC_EMPTY,
		[MS_SYNC_CURRENT] = MS_ENGINE_SYNC_CURRENT,
		[MS_SYNC_PULLED] = MS_ENGINE_SYNC_PULLED,
		[MS_SYNC_REPLAYED] = MS_ENGINE_SYNC_REPLAYED,
		[MS_SYNC_AHEAD] = MS_ENGINE_SYNC_AHEAD,
		[MS_SYNC_PUSHED] = MS_ENGINE_SYNC_PUSHED,
	};

	if (!out)
		return;
	out->kind = kinds[s->kind];
	out->pulled = s->pulled;
	out->ahead = s->ahead;
	memcpy(out->head, s->head, sizeof(out->head));
}

int ms_engine_pull(struct ms_engine *e, struct ms_engine_sync *out)
{
	struct ms_state_sync s;
	int err;

	memset(&s, 0, sizeof(s));
	if (!e->remote) {
		err = ms_state_pull(e->state, &s); /* says there is none */
	} else if (!(err = ms_state_lock(e->state, "state pull"))) {
		err = ms_state_pull(e->state, &s);
		if (ms_state_unlock(e->state) && !err)
			err = -1;
	}
	if (!err)
		sync_out(out, &s);
	return err;
}

int ms_engine_push(struct ms_engine *e, struct ms_engine_sync *out)
{
	struct ms_state_sync s;
	int err;

	memset(&s, 0, sizeof(s));
	err = ms_state_push(e->state, &s);
	if (!err)
		sync_out(out, &s);
	return err;
}

int ms_engine_force_unlock(struct ms_engine *e)
{
	int err = ms_state_force_unlock(e->state), remote;

	if (err && err != MS_ENOTFOUND)
		return err;
	if (!e->remote)
		return err;
	remote = ms_state_remote_force_unlock(e->state);
	if (remote && remote != MS_ENOTFOUND)
		return remote;
	return err == MS_ENOTFOUND && remote == MS_ENOTFOUND ? MS_ENOTFOUND : 0;
}

int ms_engine_lock_info(struct ms_engine *e, json_t **out)
{
	json_t *list = json_array(), *info = NULL;
	int err;

	*out = NULL;
	err = ms_state_lock_info(e->state, &info);
	if (!err) {
		json_object_set_new(info, "where", json_string("local"));
		json_array_append_new(list, info);
	} else if (err != MS_ENOTFOUND) {
		json_decref(list);
		return err;
	}
	if (e->remote) {
		info = NULL;
		err = ms_state_remote_lock_info(e->state, &info);
		if (!err) {
			json_object_set_new(
				info, "where",
				json_string(ms_state_remote(e->state)));
			json_array_append_new(list, info);
		} else if (err != MS_ENOTFOUND) {
			json_decref(list);
			return err;
		}
	}
	if (!json_array_size(list)) {
		json_decref(list);
		return ms_error_code(MS_ENOTFOUND, "state '%s' is not locked",
				     e->stack->name);
	}
	*out = list;
	return 0;
}

void ms_engine_call(struct ms_call *call, struct ms_engine *e,
		    const struct ms_resource_type *t, const char *name)
{
	memset(call, 0, sizeof(*call));
	call->aws = e->aws;
	call->name = name;
	call->stack = e->stack->name;
	call->type = t;
	call->parallelism = e->parallelism;
	call->dir = e->stack_dir;
}

/*
 * Offline, files are not read: a folder's local attributes are as the
 * state records them while what they are read from (its inputs) is the
 * same, and unknown otherwise.
 */
static int offline_local(const struct ms_resource_type *t, json_t *desired,
			 const json_t *stored)
{
	const struct ms_attr *a;
	bool same = stored != NULL;

	for (a = t->schema; same && a->name; a++) {
		json_t *want = json_object_get(desired, a->name);
		json_t *had = json_object_get(stored, a->name);

		if ((a->flags & MS_ATTR_INPUT) && (want || had) &&
		    !(want && had && json_equal(want, had)))
			same = false;
	}
	for (a = t->schema; a->name; a++) {
		json_t *v = json_object_get(stored, a->name);

		if (a->flags & (MS_ATTR_LOCAL | MS_ATTR_INTERNAL))
			json_object_set_new(desired, a->name,
					    same && v ? json_incref(v) :
							ms_unknown_new());
	}
	return 0;
}

int ms_engine_local(struct ms_engine *e, const struct ms_resource_type *t,
		    json_t *desired, const json_t *stored,
		    const json_t *planned)
{
	const struct ms_attr *a;
	bool known = planned != NULL;
	json_t *seen, *v;
	const char *key;
	int err;

	if (!t->local)
		return 0;
	if (e->offline)
		return offline_local(t, desired, stored);
	for (a = t->schema; known && a->name; a++)
		if ((a->flags & (MS_ATTR_LOCAL | MS_ATTR_INTERNAL)) &&
		    (!json_object_get(planned, a->name) ||
		     ms_has_unknown(json_object_get(planned, a->name))))
			known = false;
	if (known) {
		for (a = t->schema; a->name; a++)
			if (a->flags & (MS_ATTR_LOCAL | MS_ATTR_INTERNAL))
				json_object_set(desired, a->name,
						json_object_get(planned,
								a->name));
		return 0;
	}
	/* the files it reads are known (else nothing it computes is) */
	known = true;
	for (a = t->schema; a->name; a++)
		if ((a->flags & MS_ATTR_INPUT) &&
		    ms_has_unknown(json_object_get(desired, a->name)))
			known = false;
	/* the hook sees what is known; what it leaves out stays unknown */
	seen = json_object();
	json_object_foreach(desired, key, v)
		if (!ms_has_unknown(v))
			json_object_set(seen, key, v);
	err = known ? t->local(e->stack_dir, seen, stored) : 0;
	for (a = t->schema; !err && a->name; a++) {
		if (!(a->flags & (MS_ATTR_LOCAL | MS_ATTR_INTERNAL)))
			continue;
		v = json_object_get(seen, a->name);
		json_object_set_new(desired, a->name,
				    v && known ? json_incref(v) :
						 ms_unknown_new());
	}
	json_decref(seen);
	return err;
}

int ms_engine_read_id(json_t **out, struct ms_call *call, const char *id)
{
	json_t *prior = json_object();
	int err;

	json_object_set_new(prior, "id", json_string(id));
	json_object_set_new(prior, call->type->id_attr, json_string(id));
	err = call->type->read(call, prior, out);
	json_decref(prior);
	return err;
}

bool ms_engine_computed(const struct ms_resource_type *t, const char *name)
{
	const struct ms_attr *a = ms_provider_attr(t, name);

	return a && (a->flags & MS_ATTR_COMPUTED);
}

struct eval_ctx {
	struct ms_engine *e;
	const json_t *vars;
	const json_t *values;
};

#define FILE_MAX (1 << 20) /* file(): a key, a script, not a dataset */

/* file(PATH): the text of PATH, relative to the stack file. */
static int read_file(json_t **out, struct ms_engine *e, const char *path)
{
	struct ms_buf text = MS_BUF_INIT;
	char *full;
	int err = 0;

	*out = NULL;
	full = path[0] == '/' ? ms_strdup(path) :
				ms_asprintf("%s/%s", e->stack_dir, path);
	if (e->read) {
		char *data = NULL;
		size_t len = 0;

		if (!(err = e->read(e->read_ctx, full, &data, &len))) {
			if (len > FILE_MAX)
				err = ms_error("\"%s\": over %d bytes (file() "
					       "is for keys and scripts)",
					       full, FILE_MAX);
			else if (!(*out = json_stringn(data, len)))
				err = ms_error("\"%s\": not UTF-8 text", full);
		}
		free(data);
		free(full);
		return err;
	}
	err = ms_file_read(&text, full, FILE_MAX);
	if (!err && text.len > FILE_MAX)
		err = ms_error("\"%s\": over %d bytes (file() is for keys and "
			       "scripts)",
			       full, FILE_MAX);
	else if (!err && !(*out = json_stringn(text.ptr, text.len)))
		err = ms_error("\"%s\": not UTF-8 text", full);
	free(full);
	ms_buf_release(&text);
	return err;
}

static int resolve(const char *root, const char *first, json_t **out,
		   void *payload);

/*
 * ${data.NAME...}: what the lookup found, read once per run (at plan
 * time, or at apply when its properties were not known before), its
 * properties evaluated like a resource's. Unknown while they are.
 */
static int read_lookup(json_t **out, struct eval_ctx *c, const char *name)
{
	struct ms_engine *e = c->e;
	const struct ms_resource *l = ms_stack_lookup(e->stack, name);
	const struct ms_resource_type *t;
	const struct ms_attr *a;
	struct ms_call call;
	json_t *props = NULL, *v = NULL;
	char *label;
	int err;

	*out = NULL;
	if ((v = json_object_get(e->lookups, name))) {
		*out = json_incref(v);
		return 0;
	}
	if (!l || !(t = ms_lookup_find(l->type)))
		return ms_error("no lookup \"%s\"", name);
	if (json_object_get(e->resolving, name))
		return ms_error("lookup \"%s\" refers to itself", name);
	json_object_set_new(e->resolving, name, json_true());
	err = ms_expr_eval(&props, l->properties, resolve, c);
	json_object_del(e->resolving, name);
	if (err)
		return err;
	if (ms_has_unknown(props) || e->offline) {
		/* offline: what a lookup finds is known at plan */
		json_decref(props);
		*out = ms_unknown_new();
		return 0;
	}
	for (a = t->schema; a->name; a++)
		if (a->default_json && !(a->flags & MS_ATTR_COMPUTED) &&
		    !json_object_get(props, a->name))
			json_object_set_new(props, a->name, ms_attr_default(a));
	err = ms_engine_session(e, &e->aws);
	label = ms_asprintf("data.%s", name);
	if (!err) {
		ms_engine_call(&call, e, t, label);
		err = t->read(&call, props, &v);
	}
	if (!err && !v)
		err = ms_error("found nothing");
	if (err) {
		int line, col;
		char *path = ms_asprintf("data.%s", name);

		ms_stack_mark(e->stack, path, &line, &col);
		free(path);
		err = ms_error("%s:%d:%d: lookup \"%s\" (%s): %s",
			       e->stack->file, line, col, name, t->name,
			       ms_error_last());
	} else {
		json_object_set(e->lookups, name, v);
		*out = v;
		v = NULL;
	}
	free(label);
	json_decref(props);
	json_decref(v);
	return err;
}

static int resolve(const char *root, const char *first, json_t **out,
		   void *payload)
{
	struct eval_ctx *c = payload;
	json_t *v;

	if (!strcmp(root, "file()"))
		return read_file(out, c->e, first);
	if (!strcmp(root, "data"))
		return read_lookup(out, c, first);

	if (!strcmp(root, "var")) {
		v = json_object_get(c->vars, first);
		if (!v)
			return ms_error("no variable \"%s\"", first);
		*out = json_incref(v);
		return 0;
	}
	if (!strcmp(root, "stack")) {
		if (strcmp(first, "name"))
			return ms_error("stack has no \"%s\"", first);
		*out = json_string(c->e->stack->name);
		return 0;
	}
	if (!strcmp(root, "aws") && c->e->offline) {
		/* offline: the stack's region, and no account to ask */
		*out = !strcmp(first, "region") && c->e->stack->region ?
			       json_string(c->e->stack->region) :
			       ms_unknown_new();
		return 0;
	}
	if (!strcmp(root, "aws")) {
		struct ms_aws *aws = NULL;

		if (ms_engine_session(c->e, &aws))
			return -1;
		if (!strcmp(first, "region")) {
			*out = json_string(ms_provider_session_region(aws));
			return 0;
		}
		if (strcmp(first, "account_id"))
			return ms_error("aws has no \"%s\"", first);
		if (!c->e->account_id &&
		    ms_provider_account_id(aws, &c->e->account_id))
			return -1;
		*out = json_string(c->e->account_id);
		return 0;
	}
	v = json_object_get(c->values, root);
	if (!v)
		return ms_error("resource \"%s\" has no value yet", root);
	if (ms_is_unknown(v)) {
		*out = ms_unknown_new();
		return 0;
	}
	v = json_object_get(v, first);
	*out = v ? json_incref(v) : json_null();
	return 0;
}

int ms_engine_eval(struct ms_engine *e, json_t **out, const json_t *raw,
		   const json_t *vars, const json_t *values)
{
	struct eval_ctx c = { e, vars, values };

	return ms_expr_eval(out, raw, resolve, &c);
}

int ms_engine_fail_at(const struct ms_engine *e, const char *digest,
		      const char *resource, const char *at)
{
	int line = 0, col = 0;
	char *path;

	if (at)
		path = ms_asprintf("resources.%s.properties%s%s", resource,
				   *at == '[' ? "" : ".", at);
	else
		path = ms_asprintf("resources.%s", resource);
	if (!digest || !strcmp(digest, e->stack->digest)) {
		if (at)
			ms_stack_value_mark(e->stack, path, &line, &col);
		else
			ms_stack_mark(e->stack, path, &line, &col);
	}
	free(path);
	if (line > 0)
		return ms_error("%s:%d:%d: resource \"%s\": %s", e->stack->file,
				line, col, resource, ms_error_last());
	return ms_error("resource \"%s\": %s", resource, ms_error_last());
}

/* Evaluate raw, a value at path; *out NULL and path at the fault on error. */
static int eval_at(struct eval_ctx *c, json_t **out, const json_t *raw,
		   struct ms_buf *path)
{
	json_t *res, *item, *v = NULL;
	const char *key;
	size_t i, base = path->len;

	*out = NULL;
	if (ms_is_unknown(raw) || !(json_is_object(raw) || json_is_array(raw)))
		return ms_expr_eval(out, raw, resolve, c);
	res = json_is_object(raw) ? json_object() : json_array();
	json_object_foreach((json_t *)(json_is_object(raw) ? raw : NULL), key,
			    item) {
		if (!ms_expr_in(item)) {
			/*
			 * the value as written, shared: what evaluation
			 * returns is only read (ms_engine_desired copies it
			 * first); its keys are UTF-8 already
			 */
			json_object_set_nocheck(res, key, item);
			continue;
		}
		if (base)
			ms_buf_addch(path, '.');
		ms_buf_adds(path, key);
		if (eval_at(c, &v, item, path) < 0)
			goto fail;
		json_object_set_new_nocheck(res, key, v);
		ms_buf_truncate(path, base);
	}
	json_array_foreach((json_t *)(json_is_array(raw) ? raw : NULL), i,
			   item) {
		if (!ms_expr_in(item)) {
			json_array_append(res, item);
			continue;
		}
		ms_buf_addch(path, '[');
		ms_buf_addu(path, i);
		ms_buf_addch(path, ']');
		if (eval_at(c, &v, item, path) < 0)
			goto fail;
		json_array_append_new(res, v);
		ms_buf_truncate(path, base);
	}
	*out = res;
	return 0;
fail:
	json_decref(res);
	return -1;
}

int ms_engine_eval_properties(struct ms_engine *e, json_t **out,
			      const char *digest, const char *resource,
			      const json_t *props, const json_t *vars,
			      const json_t *values)
{
	struct eval_ctx c = { e, vars, values };
	struct ms_buf path = MS_BUF_INIT;
	int err;

	err = eval_at(&c, out, props, &path);
	if (err)
		err = ms_engine_fail_at(e, digest, resource,
					path.len ? path.ptr : NULL);
	ms_buf_release(&path);
	return err;
}

bool ms_engine_cbd(const struct ms_resource_type *t, bool configured)
{
	return configured || t->create_before_destroy;
}

/* A type without a rule of its own: SageMaker's 63 characters. */
#define AUTO_NAME_MAX 63

/* "<stack>-<resource>-<8 hex of the hash of text>", fitted to t's rule. */
static char *hashed_name(const struct ms_resource_type *t, const char *stack,
			 const char *name, const char *text)
{
	char hex[65], *prefix, *out, *p;
	size_t room;

	if (ms_sha256_hex(hex, text, strlen(text)))
		return NULL;
	prefix = ms_asprintf("%s-%s", stack, name);
	for (p = prefix; *p; p++)
		if (t->name_chars && !ms_provider_char_in(t->name_chars, *p))
			*p = '-';
	room = (t->name_max ? t->name_max : AUTO_NAME_MAX) - 9;
	if (strlen(prefix) > room)
		prefix[room] = '\0';
	out = ms_asprintf("%s-%.8s", prefix, hex);
	free(prefix);
	return out;
}

/* Whether stored attributes hold d's spec (tags and the name aside). */
static bool same_spec(const json_t *d, const json_t *attrs, const char *skip)
{
	const char *key;
	json_t *v;

	json_object_foreach((json_t *)d, key, v)
		if (strcmp(key, "tags") && strcmp(key, skip) &&
		    !json_equal(v, json_object_get(attrs, key)))
			return false;
	return true;
}

/*
 * The name of an immutable object or a job the user left unnamed: a hash
 * of its spec. stored (may be NULL) is what the state holds for the
 * resource: its object keeps its name while the spec is the same, and a
 * tainted one (a failed run) is followed by a new name, since SageMaker
 * never takes a name twice.
 */
static int auto_name(json_t *d, const struct ms_resource_type *t,
		     const char *stack, const char *name, const json_t *stored)
{
	const json_t *attrs = json_object_get(stored, "attributes");
	const char *old =
		json_string_value(json_object_get(attrs, t->auto_name));
	json_t *spec;
	char *text, *salted, *chosen;

	if (!t->auto_name || json_object_get(d, t->auto_name))
		return 0;
	spec = ms_json_copy(d);
	json_object_del(spec, "tags");
	if (ms_has_unknown(spec)) {
		json_decref(spec);
		json_object_set_new(d, t->auto_name, ms_unknown_new());
		return 0;
	}
	text = ms_json_compact(spec);
	json_decref(spec);
	chosen = hashed_name(t, stack, name, text);
	if (chosen && old && json_is_true(json_object_get(stored, "tainted")) &&
	    !strcmp(chosen, old)) {
		salted = ms_asprintf("%s\n%s", text, old);
		free(chosen);
		chosen = hashed_name(t, stack, name, salted);
		free(salted);
	} else if (chosen && old && strcmp(chosen, old) &&
		   !json_is_true(json_object_get(stored, "tainted")) &&
		   same_spec(d, attrs, t->auto_name)) {
		free(chosen);
		chosen = ms_strdup(old);
	}
	free(text);
	if (!chosen)
		return -1;
	json_object_set_new(d, t->auto_name, json_string(chosen));
	free(chosen);
	return 0;
}

/*
 * The defaults of nested attributes, in the objects and lists of objects
 * of d, so that desired values compare with what AWS answers (which
 * holds them). Unknowns are left alone.
 */
static void nested_defaults(json_t *d, const struct ms_attr *schema)
{
	const struct ms_attr *a;
	json_t *v, *item;
	size_t i;

	if (!json_is_object(d) || ms_is_unknown(d))
		return;
	for (a = schema; a && a->name; a++) {
		v = json_object_get(d, a->name);
		if (!v && a->default_json && !(a->flags & MS_ATTR_COMPUTED)) {
			v = ms_attr_default(a);
			json_object_set_new_nocheck(d, a->name, v);
		}
		if (!a->nested)
			continue;
		if (json_is_object(v))
			nested_defaults(v, a->nested);
		json_array_foreach(json_is_array(v) ? v : NULL, i, item)
			nested_defaults(item, a->nested);
	}
}

int ms_engine_desired(json_t **out, const struct ms_resource_type *t,
		      const char *stack, const char *name, const json_t *props,
		      const json_t *stack_tags, const json_t *stored,
		      char **where)
{
	/*
	 * Every key and name here is the schema's or was read as UTF-8
	 * already (the stack file, the state): jansson's _nocheck calls, in
	 * the loop every resource of every plan goes through.
	 */
	json_t *d = ms_json_copy(props), *known, *v, *x, *pr;
	const struct ms_attr *a;
	const char *key;
	void *tmp;
	size_t i;
	int err = 0;

	if (where)
		*where = NULL;

	/* types again, now that references are resolved */
	json_object_foreach_safe(d, tmp, key, v) {
		const struct ms_attr *attr = ms_provider_attr(t, key);
		json_t *problems, *conv = NULL;

		if (!attr || ms_has_unknown(v))
			continue;
		problems = json_array();
		if (ms_stack_check_value(&conv, attr, v, key, NULL, problems)) {
			pr = json_array_get(problems, 0);
			err = ms_error("%s", json_string_value(json_object_get(
						     pr, "message")));
			if (where)
				*where = ms_asprintf(
					"%s%s", key,
					json_string_value(
						json_object_get(pr, "path")));
			json_decref(problems);
			json_decref(d);
			return err;
		}
		json_decref(problems);
		json_object_set_new_nocheck(d, key, conv);
	}
	for (a = t->schema; a->name; a++) {
		if (a->flags & MS_ATTR_COMPUTED)
			continue;
		if (a->default_json && !json_object_get(d, a->name))
			json_object_set_new_nocheck(d, a->name,
						    ms_attr_default(a));
		if (a->flags & MS_ATTR_TAGS) {
			json_t *merged = stack_tags ? ms_json_copy(stack_tags) :
						      json_object();
			json_t *own = json_object_get(d, a->name);

			if (json_is_object(own))
				json_object_update(merged, own);
			else if (own && ms_is_unknown(own))
				json_object_set_nocheck(merged, MS_UNKNOWN_KEY,
							json_true());
			/* the owner mark: this stack made it, for this resource */
			json_object_set_new_nocheck(merged, MS_OWNER_STACK_TAG,
						    json_string_nocheck(stack));
			json_object_set_new_nocheck(merged,
						    MS_OWNER_RESOURCE_TAG,
						    json_string_nocheck(name));
			json_object_set_new_nocheck(d, a->name, merged);
		}
	}
	for (a = t->schema; a->name; a++) {
		if (!a->nested)
			continue;
		v = json_object_get(d, a->name);
		if (json_is_object(v))
			nested_defaults(v, a->nested);
		else if (json_is_array(v))
			json_array_foreach(v, i, x)
				nested_defaults(x, a->nested);
	}
	/* a null means "not set": drop it, the default already applied */
	json_object_foreach_safe(d, tmp, key, v)
		if (json_is_null(v))
			json_object_del(d, key);

	/* normalise only what is known; unknowns stay as they are */
	if (t->normalize) {
		known = json_object();
		json_object_foreach(d, key, v)
			if (!ms_has_unknown(v))
				json_object_set_nocheck(known, key, v);
		err = t->normalize(known);
		json_object_update(d, known);
		json_decref(known);
		if (err && where)
			*where = ms_stack_message_path(t, ms_error_last());
	}
	if (!err)
		err = auto_name(d, t, stack, name, stored);
	v = t->id_attr ? json_object_get(d, t->id_attr) : NULL;
	if (!err && json_is_string(v)) {
		err = ms_provider_check_name(t, json_string_value(v));
		if (err && where)
			*where = ms_strdup(t->id_attr);
	}
	if (err) {
		json_decref(d);
		return err;
	}
	*out = d;
	return 0;
}

int ms_engine_state_list(struct ms_engine *e, json_t **out)
{
	json_t *all = NULL, *names, *v;
	const char *key;

	if (ms_engine_stored(e, &all))
		return -1;
	names = json_array();
	json_object_foreach(all, key, v)
		json_array_append_new(names, json_string(key));
	json_decref(all);
	*out = names;
	return 0;
}

/* A stored value as shown to the user: its secrets hidden. */
static json_t *hidden_stored(const json_t *stored)
{
	const char *type = json_string_value(json_object_get(stored, "type"));
	json_t *marks = json_object_get(stored, "sensitive");
	json_t *out = json_copy((json_t *)stored), *list, *d;
	size_t i;

	json_object_set_new(
		out, "attributes",
		ms_sensitive_hidden(type, json_object_get(stored, "attributes"),
				    marks));
	if (json_is_array(json_object_get(stored, "deposed"))) {
		list = json_array();
		json_array_foreach(json_object_get(stored, "deposed"), i, d)
			json_array_append_new(list, ms_sensitive_hidden(type, d,
									marks));
		json_object_set_new(out, "deposed", list);
	}
	return out;
}

int ms_engine_state_get(struct ms_engine *e, const char *name, json_t **out)
{
	json_t *v = NULL;
	/* its own file only: show reads each resource in turn */
	int err = ms_state_resource(e->state, name, &v);

	if (err == MS_ENOTFOUND)
		return ms_error_code(MS_ENOTFOUND,
				     "resource \"%s\" is not in the state",
				     name);
	if (err)
		return -1;
	*out = hidden_stored(v);
	json_decref(v);
	return 0;
}

int ms_engine_outputs(struct ms_engine *e, json_t **out, json_t **sensitive)
{
	json_t *meta = NULL, *o;

	if (ms_state_meta(e->state, &meta))
		return -1;
	o = json_object_get(meta, "outputs");
	*out = o ? json_incref(o) : json_object();
	o = json_object_get(meta, "sensitive_outputs");
	*sensitive = o ? json_incref(o) : json_array();
	json_decref(meta);
	return 0;
}

int ms_engine_history(struct ms_engine *e, json_t **out)
{
	return ms_state_history(e->state, out);
}

int ms_engine_graph_dot(struct ms_engine *e, char **out)
{
	*out = ms_graph_dot(e->graph);
	return 0;
}
