/*
 * force_unlock.c - `mlstack force-unlock`: remove a lock left behind by a
 * process that died.
 */
#include "util/common.h"
#include "cmd/cmd.h"

int cmd_force_unlock(struct cmd_opts *o)
{
	struct ms_engine *e = NULL;
	int err;

	o->skip_state = true;
	if (cmd_open(&e, o))
		return 1;
	err = ms_engine_force_unlock(e);
	ms_engine_free(e);
	if (err == MS_ENOTFOUND) {
		printf("The state was not locked.\n");
		return 0;
	}
	if (err)
		return cmd_fail("%s", ms_error_last());
	printf("The state has been unlocked.\n");
	return 0;
}
