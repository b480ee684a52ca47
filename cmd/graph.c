/*
 * graph.c - `mlstack graph`: the stack's dependency graph as DOT.
 */
#include "util/common.h"
#include "cmd/cmd.h"

int cmd_graph(struct cmd_opts *o)
{
	struct ms_engine *e = NULL;
	char *dot = NULL;

	o->offline = true; /* no state read, none made */
	if (cmd_open(&e, o))
		return 1;
	ms_engine_graph_dot(e, &dot);
	fputs(dot, stdout);
	free(dot);
	ms_engine_end(e);
	return 0;
}
