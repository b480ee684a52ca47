/*
 * state_check.c - the state, made ready before a command reads it: every
 * file checked up front, what an earlier run left uncommitted committed,
 * and another run's lock respected by reading its last commit.
 *
 * Checking everything first is what keeps a corrupt file from being
 * found halfway: a plan that skipped a broken stack.json said "No
 * changes", and apply found it only after it had changed AWS.
 */
#include "util/common.h"
#include "engine/internal.h"

#include <pthread.h>

/* What a state file's object must hold: key, JSON type, required. */
struct field {
	const char *key;
	int type; /* a json_type, or -1 for an array of strings */
	bool required;
};

#define STRINGS (-1)

static const struct field resource_fields[] = {
	{ "type", JSON_STRING, true }, { "attributes", JSON_OBJECT, true },
	{ "dependencies", STRINGS },   { "deposed", JSON_ARRAY },
	{ "sensitive", STRINGS },      { NULL },
};

static const struct field meta_fields[] = {
	{ "stack", JSON_STRING },         { "serial", JSON_INTEGER },
	{ "stack_digest", JSON_STRING },  { "outputs", JSON_OBJECT },
	{ "sensitive_outputs", STRINGS }, { NULL },
};

static const struct field intent_fields[] = {
	{ "type", JSON_STRING, true },
	{ "dependencies", STRINGS },
	{ "action", JSON_STRING },
	{ "at", JSON_INTEGER },
	{ NULL },
};

static bool strings(const json_t *v)
{
	json_t *x;
	size_t i;

	if (!json_is_array(v))
		return false;
	json_array_foreach(v, i, x)
		if (!json_is_string(x))
			return false;
	return true;
}

static const char *type_word(int type)
{
	switch (type) {
	case JSON_STRING:
		return "a string";
	case JSON_OBJECT:
		return "an object";
	case JSON_ARRAY:
		return "an array";
	case JSON_INTEGER:
		return "an integer";
	default:
		return "an array of strings";
	}
}

/*
 * file: the path for the message, or NULL for none (the caller asks again
 * with the path when there is a problem); what: "" or "NAME." inside a
 * file
 */
static int check_fields(const json_t *v, const struct field *fields,
			const char *file, const char *what)
{
	const struct field *f;

	if (!json_is_object(v) && !file)
		return -1;
	if (!json_is_object(v) && *what)
		return ms_error("state: %s: corrupt: %sis not an object", file,
				what);
	if (!json_is_object(v))
		return ms_error("state: %s: corrupt: not a JSON object", file);
	for (f = fields; f->key; f++) {
		json_t *x = json_object_get(v, f->key);

		if (!x && !f->required)
			continue;
		if (!x && !file)
			return -1;
		if (!x)
			return ms_error("state: %s: corrupt: %s\"%s\" is "
					"missing",
					file, what, f->key);
		if (f->type == STRINGS ? strings(x) :
					 (int)json_typeof(x) == f->type)
			continue;
		if (!file)
			return -1;
		return ms_error("state: %s: corrupt: %s\"%s\" is not %s", file,
				what, f->key, type_word(f->type));
	}
	return 0;
}

/* file: as for check_fields */
static int check_resource_in(const json_t *v, const char *file)
{
	const char *type;
	json_t *d;
	size_t i;

	if (check_fields(v, resource_fields, file, ""))
		return -1;
	type = json_string_value(json_object_get(v, "type"));
	if (!ms_provider_find(type))
		return file ? ms_error("state: %s: corrupt: unknown resource "
				       "type \"%s\"",
				       file, type) :
			      -1;
	json_array_foreach(json_object_get(v, "deposed"), i, d)
		if (!json_is_object(d))
			return file ? ms_error("state: %s: corrupt: "
					       "deposed[%zu] is not an object",
					       file, i) :
				      -1;
	return 0;
}

/* The path is made only for the message: 10,000 files are checked. */
static int check_resource(struct ms_engine *e, const char *name,
			  const json_t *v)
{
	char *file;
	int err;

	if (!check_resource_in(v, NULL))
		return 0;
	file = ms_asprintf("%s/%s/resources/%s.json", e->state_dir,
			   e->stack->name, name);
	err = check_resource_in(v, file);
	free(file);
	return err;
}

/* Read and check every file of the stack's state. */
static int check_files(struct ms_engine *e)
{
	json_t *meta = NULL, *journal = NULL, *all = NULL, *v;
	const char *name;
	char *file = NULL;
	int err = -1;

	if (ms_state_meta(e->state, &meta) ||
	    ms_state_journal(e->state, &journal) ||
	    ms_state_resources(e->state, &all))
		goto done;
	file = ms_asprintf("%s/%s/stack.json", e->state_dir, e->stack->name);
	if (check_fields(meta, meta_fields, file, ""))
		goto done;
	free(file);
	file = ms_asprintf("%s/%s/journal.json", e->state_dir, e->stack->name);
	json_object_foreach(journal, name, v) {
		char *what = ms_asprintf("intent \"%s\": ", name);
		int bad = check_fields(v, intent_fields, file, what);

		free(what);
		if (bad)
			goto done;
	}
	json_object_foreach(all, name, v)
		if (check_resource(e, name, v))
			goto done;
	json_decref(e->checked);
	e->checked = json_incref(all);
	err = 0;
done:
	if (err)
		ms_error("%s; restore it from the state's history (git -C %s "
			 "log -p %s) and run again",
			 ms_error_last(), e->state_dir, e->stack->name);
	free(file);
	json_decref(meta);
	json_decref(journal);
	json_decref(all);
	return err;
}

/* The commit of what a run that stopped before its commit wrote. */
static int commit_recovered(struct ms_engine *e)
{
	char *msg = ms_asprintf("recover %s: what a run that stopped before "
				"its commit wrote",
				e->stack->name);
	int err = ms_state_commit(e->state, msg, NULL);

	free(msg);
	return err;
}

/*
 * git's status of the working tree (what a stopped run left uncommitted)
 * on a thread of its own while the files are read and checked: the two
 * read the same files, and neither needs the other's answer. The reads
 * of the working tree do not use the repository, which the status does.
 */
struct status_run {
	struct ms_state *state;
	pthread_t thread;
	bool threaded;
	bool pending;
	int err;
	char *error; /* the thread's error message, when err */
};

static void *status_main(void *arg)
{
	struct status_run *s = arg;

	s->err = ms_state_uncommitted(s->state, &s->pending);
	if (s->err)
		s->error = ms_strdup(ms_error_last());
	return NULL;
}

static void status_start(struct status_run *s, struct ms_state *state)
{
	memset(s, 0, sizeof(*s));
	s->state = state;
	s->threaded = !pthread_create(&s->thread, NULL, status_main, s);
	if (!s->threaded)
		status_main(s);
}

/* The status's answer; its error is this thread's again. */
static int status_join(struct status_run *s)
{
	if (s->threaded)
		pthread_join(s->thread, NULL);
	s->threaded = false;
	if (s->err)
		ms_error("%s", s->error);
	free(s->error);
	s->error = NULL;
	return s->err ? -1 : 0;
}

/*
 * Commit what a run that stopped before its commit left in the working
 * tree (killed, out of disk, a second interrupt), under the lock.
 */
static int commit_leftovers(struct ms_engine *e, bool pending)
{
	int err;

	if (!pending)
		return 0;
	err = ms_state_lock(e->state, "recover");
	if (err == MS_ELOCKED)
		return 1; /* a run started meanwhile: it will */
	if (err)
		return -1;
	err = commit_recovered(e);
	if (ms_state_unlock(e->state) && !err)
		err = -1;
	return err;
}

int ms_engine_prepare_state(struct ms_engine *e)
{
	json_t *info = NULL;
	const char *holder, *op, *since;
	int err;

	err = ms_state_lock_info(e->state, &info);
	if (err && err != MS_ENOTFOUND)
		return -1;
	if (err == MS_ENOTFOUND) {
		struct status_run status;

		ms_error_clear();
		status_start(&status, e->state);
		if (check_files(e)) {
			char *msg = ms_strdup(ms_error_last());

			status_join(&status); /* the files' problem is said */
			ms_error("%s", msg);
			free(msg);
			return -1;
		}
		if (status_join(&status))
			return -1;
		err = commit_leftovers(e, status.pending);
		if (err <= 0)
			return err;
		if (ms_state_lock_info(e->state, &info))
			return -1;
	}
	/* another run holds the lock: read the state as it last committed */
	holder = json_string_value(json_object_get(info, "holder"));
	op = json_string_value(json_object_get(info, "operation"));
	since = json_string_value(json_object_get(info, "time"));
	free(e->state_note);
	e->state_note = ms_asprintf(
		"the state of stack \"%s\" is locked by %s (%s since %s); "
		"reading it as of its last commit",
		e->stack->name, holder ? holder : "an unknown holder",
		op ? op : "an unknown operation",
		since ? since :
			"an unknown "
			"time");
	json_decref(info);
	if (ms_state_use_snapshot(e->state))
		return -1;
	return check_files(e);
}

int ms_engine_stored(struct ms_engine *e, json_t **out)
{
	if (!e->checked)
		return ms_state_resources(e->state, out);
	*out = e->checked;
	e->checked = NULL;
	return 0;
}

const char *ms_engine_state_note(const struct ms_engine *e)
{
	return e->state_note;
}

const char *ms_engine_remote_note(const struct ms_engine *e)
{
	return e->remote_note;
}

/* Someone else holds the remote lock: what reading now means. */
static char *locked_note(struct ms_engine *e, const json_t *info)
{
	const char *holder = json_string_value(json_object_get(info, "holder"));
	const char *op = json_string_value(json_object_get(info, "operation"));
	const char *since = json_string_value(json_object_get(info, "time"));

	return ms_asprintf("the state of stack \"%s\" is locked on the remote "
			   "%s by %s (%s since %s); reading it as of its last "
			   "push",
			   e->stack->name, ms_state_remote(e->state),
			   holder ? holder : "an unknown holder",
			   op ? op : "an unknown operation",
			   since ? since : "an unknown time");
}

/* Pull; *changed tells whether the files changed. */
static int pull(struct ms_engine *e, bool *changed)
{
	struct ms_state_sync s;

	*changed = false;
	if (ms_state_pull(e->state, &s))
		return -1;
	*changed = s.kind == MS_SYNC_PULLED || s.kind == MS_SYNC_REPLAYED;
	free(e->remote_note);
	e->remote_note = NULL;
	if (s.locked_by && !e->locked)
		e->remote_note = locked_note(e, s.locked_by);
	else if (s.kind == MS_SYNC_AHEAD)
		e->remote_note = ms_asprintf(
			"the local state has %zu commit(s) that the remote %s "
			"does not have yet; the next apply pushes them, or run "
			"'mlstack state push'",
			s.ahead, ms_state_remote(e->state));
	else if (s.kind == MS_SYNC_REPLAYED)
		e->remote_note = ms_asprintf(
			"the remote %s had %zu new commit(s) of other stacks; "
			"the local %zu are now on top of them, to be pushed by "
			"the next apply, or run 'mlstack state push'",
			ms_state_remote(e->state), s.pulled, s.ahead);
	if (*changed)
		ms_log(MS_LOG_INFO, "state", "pulled %zu commit(s) from %s",
		       s.pulled, ms_state_remote(e->state));
	return 0;
}

int ms_engine_sync(struct ms_engine *e)
{
	bool changed;

	/* a run here holds the lock, and pulled: read its last commit */
	if (!e->remote || e->state_note)
		return 0;
	if (pull(e, &changed))
		return -1;
	return changed ? check_files(e) : 0;
}

int ms_engine_after_lock(struct ms_engine *e)
{
	bool changed = false, pulled = false, pending;

	if (e->state_note) {
		/* the run that held the lock when we opened is gone */
		ms_state_drop_snapshot(e->state);
		free(e->state_note);
		e->state_note = NULL;
		if (ms_state_uncommitted(e->state, &pending) ||
		    (pending && commit_recovered(e)))
			return -1;
		changed = true;
	}
	if (e->remote && pull(e, &pulled))
		return -1;
	return changed || pulled ? check_files(e) : 0;
}
