/*
 * history.c - `mlstack history`: the state's git log.
 */
#include "util/common.h"
#include "cmd/cmd.h"

int cmd_history(struct cmd_opts *o)
{
	struct ms_engine *e = NULL;
	json_t *h = NULL, *c;
	size_t i;
	int rc = 1;

	if (cmd_open(&e, o))
		return 1;
	if (ms_engine_history(e, &h)) {
		cmd_fail("%s", ms_error_last());
		goto done;
	}
	if (o->json)
		cmd_print_json(h);
	else
		json_array_foreach(h, i, c)
			printf("%.12s  %s  %s  %s\n",
			       json_string_value(json_object_get(c, "commit")),
			       json_string_value(json_object_get(c, "time")),
			       json_string_value(json_object_get(c, "author")),
			       json_string_value(
				       json_object_get(c, "message")));
	if (!o->json && !json_array_size(h))
		printf("No history yet: nothing has been applied.\n");
	rc = 0;
done:
	json_decref(h);
	ms_engine_free(e);
	return rc;
}
