/*
 * state.c - `mlstack state list | show NAME | rm NAME... | mv FROM TO |
 * pull | push`: inspect the state, edit it without touching AWS, and
 * keep it in step with the git remote it is shared through.
 */
#include "util/common.h"
#include "cmd/cmd.h"
#include "engine/render.h"

#define USAGE                                                   \
	"usage: mlstack state list | show NAME | rm NAME... | " \
	"mv FROM TO | pull | push"

static int list(struct ms_engine *e, const struct cmd_opts *o)
{
	json_t *v = NULL, *x;
	size_t i;

	if (ms_engine_state_list(e, &v))
		return cmd_fail("%s", ms_error_last());
	if (o->json)
		cmd_print_json(v);
	else
		json_array_foreach(v, i, x)
			printf("%s\n", json_string_value(x));
	json_decref(v);
	return 0;
}

static int show(struct ms_engine *e, const struct cmd_opts *o)
{
	json_t *v = NULL;

	if (ms_engine_state_get(e, o->args[1], &v))
		return cmd_fail("%s", ms_error_last());
	if (o->json)
		cmd_print_json(v);
	else
		ms_render_resource(stdout, o->args[1], v);
	json_decref(v);
	return 0;
}

/* rm and mv: under the lock, one commit, AWS untouched */
static int edit(struct ms_engine *e, const struct cmd_opts *o)
{
	bool rm = !strcmp(o->args[0], "rm");
	int i;

	if (ms_engine_lock(e, rm ? "state rm" : "state mv"))
		return cmd_fail("%s", ms_error_last());
	if (rm ? ms_engine_state_rm(e, o->args + 1, (size_t)o->n_args - 1) :
		 ms_engine_state_mv(e, o->args[1], o->args[2]))
		return cmd_unlock(e, cmd_fail("%s", ms_error_last()));
	if (!rm) {
		printf("Moved %s to %s.\n", o->args[1], o->args[2]);
		return cmd_unlock(e, 0);
	}
	for (i = 1; i < o->n_args; i++)
		printf("Removed %s (its object is left in AWS).\n", o->args[i]);
	return cmd_unlock(e, 0);
}

static int no_remote(void)
{
	return cmd_fail("the state has no remote: set one with state: "
			"{remote: URL} in the stack file, or -state-remote "
			"URL");
}

/* pull: bring the local state in step with the remote's */
static int pull(struct ms_engine *e)
{
	const char *url = ms_engine_remote(e);
	struct ms_engine_sync s;

	if (!url)
		return no_remote();
	if (ms_engine_pull(e, &s))
		return cmd_fail("%s", ms_error_last());
	switch (s.kind) {
	case MS_ENGINE_SYNC_EMPTY:
		printf("The remote %s holds no state yet; nothing to pull.\n",
		       url);
		break;
	case MS_ENGINE_SYNC_CURRENT:
		printf("The state is up to date with %s.\n", url);
		break;
	case MS_ENGINE_SYNC_PULLED:
		printf("Pulled %zu commit(s) from %s; the state is at %.7s.\n",
		       s.pulled, url, s.head);
		break;
	case MS_ENGINE_SYNC_AHEAD:
		printf("The local state is %zu commit(s) ahead of %s; run "
		       "'mlstack state push' to send them.\n",
		       s.ahead, url);
		break;
	default:
		printf("Pulled %zu commit(s) of other stacks from %s and put "
		       "the local %zu on top (at %.7s); run 'mlstack state "
		       "push' to send them.\n",
		       s.pulled, url, s.ahead, s.head);
		break;
	}
	return 0;
}

/* push: under the lock, after a pull, as an apply would end */
static int push(struct ms_engine *e)
{
	const char *url = ms_engine_remote(e);
	struct ms_engine_sync s;

	if (!url)
		return no_remote();
	if (ms_engine_lock(e, "state push"))
		return cmd_fail("%s", ms_error_last());
	if (ms_engine_push(e, &s))
		return cmd_unlock(e, cmd_fail("%s", ms_error_last()));
	if (s.kind == MS_ENGINE_SYNC_PUSHED)
		printf("Pushed %zu commit(s) to %s; it is at %.7s.\n", s.ahead,
		       url, s.head);
	else if (!*s.head)
		printf("Nothing to push: the state has no commit yet.\n");
	else
		printf("The remote %s is up to date.\n", url);
	return cmd_unlock(e, 0);
}

int cmd_state(struct cmd_opts *o)
{
	struct ms_engine *e = NULL;
	const char *sub = o->n_args ? o->args[0] : "";
	int rc;

	if ((!strcmp(sub, "list") && o->n_args == 1) ||
	    (!strcmp(sub, "show") && o->n_args == 2) ||
	    (!strcmp(sub, "rm") && o->n_args >= 2) ||
	    (!strcmp(sub, "mv") && o->n_args == 3) ||
	    (!strcmp(sub, "pull") && o->n_args == 1) ||
	    (!strcmp(sub, "push") && o->n_args == 1))
		;
	else
		return cmd_fail(USAGE);
	/* edits and push lock (and pull then); pull does its own */
	o->will_lock = strcmp(sub, "list") && strcmp(sub, "show");
	if (cmd_open(&e, o))
		return 1;
	if (!strcmp(sub, "list"))
		rc = list(e, o);
	else if (!strcmp(sub, "show"))
		rc = show(e, o);
	else if (!strcmp(sub, "pull"))
		rc = pull(e);
	else if (!strcmp(sub, "push"))
		rc = push(e);
	else
		rc = edit(e, o);
	ms_engine_free(e);
	return rc;
}
