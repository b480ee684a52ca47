/*
 * destroy.c - `mlstack destroy`: delete everything the state holds, in
 * reverse dependency order, to stop the costs.
 */
#include "util/common.h"
#include "cmd/cmd.h"
#include "util/interrupt.h"

int cmd_destroy(struct cmd_opts *o)
{
	struct ms_engine *e = NULL;
	int rc;

	ms_interrupt_watch();
	o->will_lock = true;
	if (cmd_open(&e, o))
		return 1;
	if (ms_engine_lock(e, "destroy"))
		rc = cmd_fail("%s", ms_error_last());
	else
		rc = cmd_unlock(e, cmd_plan_apply(e, o, true));
	ms_engine_free(e);
	return rc;
}
