/*
 * state.c - `mlstack state list | show NAME`: inspect the state.
 */
#include "util/common.h"
#include "cmd/cmd.h"
#include "engine/render.h"

int cmd_state(struct cmd_opts *o)
{
	struct ms_engine *e = NULL;
	json_t *v = NULL, *x;
	size_t i;
	int rc = 1;

	if (!o->n_args || (strcmp(o->args[0], "list") &&
			   strcmp(o->args[0], "show")))
		return cmd_fail("usage: mlstack state list | state show NAME");
	if (!strcmp(o->args[0], "show") && o->n_args != 2)
		return cmd_fail("usage: mlstack state show NAME");
	if (cmd_open(&e, o))
		return 1;
	if (!strcmp(o->args[0], "list")) {
		if (ms_engine_state_list(e, &v)) {
			cmd_fail("%s", ms_error_last());
			goto done;
		}
		if (o->json)
			cmd_print_json(v);
		else
			json_array_foreach(v, i, x)
				printf("%s\n", json_string_value(x));
	} else {
		if (ms_engine_state_get(e, o->args[1], &v)) {
			cmd_fail("%s", ms_error_last());
			goto done;
		}
		if (o->json)
			cmd_print_json(v);
		else
			ms_render_resource(stdout, o->args[1], v);
	}
	rc = 0;
done:
	json_decref(v);
	ms_engine_free(e);
	return rc;
}
