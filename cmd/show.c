/*
 * show.c - `mlstack show [PLANFILE]`: a saved plan, or the current state.
 */
#include "util/common.h"
#include "cmd/cmd.h"
#include "engine/render.h"

static int show_plan(struct cmd_opts *o)
{
	json_t *plan = NULL;

	if (cmd_read_plan(&plan, o->args[0]))
		return cmd_fail("%s", ms_error_last());
	cmd_print_plan(o, plan);

	json_decref(plan);
	return 0;
}

int cmd_show(struct cmd_opts *o)
{
	struct ms_engine *e = NULL;
	json_t *names = NULL, *all = NULL, *v, *r;
	size_t i;
	int rc = 1;

	if (o->n_args)
		return show_plan(o);
	if (cmd_open(&e, o))
		goto done;
	all = json_object();
	if (ms_engine_state_list(e, &names)) {
		cmd_fail("%s", ms_error_last());
		goto done;
	}
	json_array_foreach(names, i, v) {
		if (ms_engine_state_get(e, json_string_value(v), &r)) {
			cmd_fail("%s", ms_error_last());
			goto done;
		}
		if (o->json) {
			json_object_set_new(all, json_string_value(v), r);
		} else {
			ms_render_resource(stdout, json_string_value(v), r);
			printf("\n");
			json_decref(r);
		}
	}
	if (o->json)
		cmd_print_json(all);
	else if (!json_array_size(names))
		printf("The state is empty.\n");
	rc = 0;
done:
	json_decref(names);
	json_decref(all);
	ms_engine_end(e);
	return rc;
}
