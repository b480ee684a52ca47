/*
 * version.c - `mlstack version` (and mlstack -version).
 */
#include "util/common.h"
#include "cmd/cmd.h"

int cmd_version(struct cmd_opts *o)
{
	if (o->n_args)
		return cmd_fail("usage: mlstack version");
	printf("mlstack %s\n", MS_VERSION);
	return 0;
}
