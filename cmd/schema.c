/*
 * schema.c - `mlstack schema [TYPE] [-json]`: what each resource type
 * takes and gives, as the tables of its docs page or as JSON. Needs no
 * stack file.
 */
#include "util/common.h"
#include "cmd/cmd.h"
#include "engine/render.h"

int cmd_schema(struct cmd_opts *o)
{
	json_t *s = NULL, *t;
	size_t i;

	if (o->n_args > 1)
		return cmd_fail("usage: mlstack schema [TYPE] [-json]");
	if (ms_engine_schema(&s, o->n_args ? o->args[0] : NULL))
		return cmd_fail("%s", ms_error_last());
	if (o->json)
		cmd_print_json(s);
	else if (o->n_args)
		ms_render_schema(stdout, s);
	else
		json_array_foreach(s, i, t)
			printf("%s\n",
			       json_string_value(json_object_get(t, "type")));
	json_decref(s);
	return 0;
}
