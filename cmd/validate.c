/*
 * validate.c - `mlstack validate`: parse and check the stack offline.
 */
#include "util/common.h"
#include "cmd/cmd.h"

int cmd_validate(struct cmd_opts *o)
{
	struct ms_engine *e = NULL;

	o->offline = true; /* no state read, none made */
	if (cmd_open(&e, o))
		return 1;
	printf("The stack is valid. It declares %zu resource%s.\n",
	       ms_engine_resource_count(e),
	       ms_engine_resource_count(e) == 1 ? "" : "s");
	ms_engine_end(e);
	return 0;
}
