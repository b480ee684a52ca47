/*
 * state.c - `mlstack state list | show NAME | rm NAME... | mv FROM TO`:
 * inspect the state, and edit it without touching AWS.
 */
#include "util/common.h"
#include "cmd/cmd.h"
#include "engine/render.h"

#define USAGE                                                   \
	"usage: mlstack state list | show NAME | rm NAME... | " \
	"mv FROM TO"

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
		return cmd_fail("%s", ms_error_last());
	if (!rm) {
		printf("Moved %s to %s.\n", o->args[1], o->args[2]);
		return 0;
	}
	for (i = 1; i < o->n_args; i++)
		printf("Removed %s (its object is left in AWS).\n", o->args[i]);
	return 0;
}

int cmd_state(struct cmd_opts *o)
{
	struct ms_engine *e = NULL;
	const char *sub = o->n_args ? o->args[0] : "";
	int rc;

	if ((!strcmp(sub, "list") && o->n_args == 1) ||
	    (!strcmp(sub, "show") && o->n_args == 2) ||
	    (!strcmp(sub, "rm") && o->n_args >= 2) ||
	    (!strcmp(sub, "mv") && o->n_args == 3))
		;
	else
		return cmd_fail(USAGE);
	if (cmd_open(&e, o))
		return 1;
	if (!strcmp(sub, "list"))
		rc = list(e, o);
	else if (!strcmp(sub, "show"))
		rc = show(e, o);
	else
		rc = edit(e, o);
	ms_engine_free(e);
	return rc;
}
