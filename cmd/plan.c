/*
 * plan.c - `mlstack plan`: refresh, diff, show; optionally save the plan.
 */
#include "util/common.h"
#include "cmd/cmd.h"
#include "engine/render.h"
#include "util/file.h"

int cmd_plan(struct cmd_opts *o)
{
	struct ms_plan_opts po = { false, true, true };
	struct ms_engine *e = NULL;
	json_t *plan = NULL;
	const char *out = cmd_opt(o, "out");
	int rc = 1;

	if (cmd_open(&e, o))
		return 1;
	po.refresh = !cmd_opt(o, "refresh") || cmd_flag(o, "refresh");
	po.destroy = cmd_flag(o, "destroy");
	po.lint = !po.destroy;
	if (ms_engine_plan(e, &po, &plan)) {
		cmd_fail("%s", ms_error_last());
		goto done;
	}
	cmd_print_plan(o, plan);
	if (out) {
		if (ms_plan_save(plan, out)) {
			cmd_fail("%s", ms_error_last());
			goto done;
		}
		if (!o->json && !cmd_flag(o, "markdown"))
			printf("\nSaved the plan to: %s\nTo perform exactly "
			       "these actions, run: mlstack apply %s\n",
			       out, out);
	}
	rc = cmd_flag(o, "detailed-exitcode") && ms_plan_has_changes(plan) ? 2 :
									     0;
done:
	cmd_drop(plan);
	ms_engine_end(e);
	return rc;
}
