/*
 * destroy.c - `mlstack destroy`: delete everything the state holds, in
 * reverse dependency order, to stop the costs.
 */
#include "util/common.h"
#include "cmd/cmd.h"
#include "engine/render.h"

int cmd_destroy(struct cmd_opts *o)
{
	struct ms_plan_opts po = { true, true };
	struct ms_engine *e = NULL;
	json_t *plan = NULL;
	int rc = 1;

	if (cmd_open(&e, o))
		return 1;
	if (ms_engine_lock(e, "destroy")) {
		cmd_fail("%s", ms_error_last());
		goto done;
	}
	if (ms_engine_plan(e, &po, &plan)) {
		cmd_fail("%s", ms_error_last());
		goto done;
	}
	ms_render_plan(stdout, plan);
	if (!ms_plan_needs_apply(plan)) {
		printf("Destroy complete! Resources: 0 destroyed.\n");
		rc = 0;
		goto done;
	}
	if (!cmd_flag(o, "auto-approve") &&
	    cmd_confirm("Do you really want to destroy all resources?",
			"destroy"))
		goto done;
	printf("\n");
	fflush(stdout);
	if (ms_engine_apply(e, plan)) {
		cmd_fail("%s", ms_error_last());
		goto done;
	}
	rc = 0;
done:
	json_decref(plan);
	ms_engine_free(e);
	return rc;
}
