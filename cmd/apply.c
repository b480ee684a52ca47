/*
 * apply.c - `mlstack apply [PLANFILE]`: apply a saved plan exactly, or
 * plan and apply in one go (asking for "yes" unless -auto-approve).
 */
#include "util/common.h"
#include "cmd/cmd.h"
#include "util/interrupt.h"

int cmd_apply(struct cmd_opts *o)
{
	struct ms_engine *e = NULL;
	json_t *plan = NULL;
	int rc = 1;

	ms_interrupt_watch();
	if (o->n_args > 1)
		return cmd_fail("apply takes at most one plan file");
	if (o->n_args && cmd_read_plan(&plan, o->args[0]))
		return cmd_fail("%s", ms_error_last());
	o->will_lock = true;
	if (cmd_open(&e, o))
		goto done;
	if (ms_engine_lock(e, "apply")) {
		cmd_fail("%s", ms_error_last());
		goto done;
	}
	if (!plan)
		rc = cmd_plan_apply(e, o, false);
	else if (ms_engine_apply(e, plan))
		cmd_fail("%s", ms_error_last());
	else
		rc = 0;
	rc = cmd_unlock(e, rc);
done:
	json_decref(plan);
	ms_engine_free(e);
	return rc;
}
