/*
 * output.c - `mlstack output [NAME]`: the outputs of the last apply.
 */
#include "util/common.h"
#include "cmd/cmd.h"
#include "util/json.h"

int cmd_output(struct cmd_opts *o)
{
	struct ms_engine *e = NULL;
	json_t *outputs = NULL, *v;
	const char *key;
	char *s;
	int rc = 1;

	if (cmd_open(&e, o))
		return 1;
	if (ms_engine_outputs(e, &outputs)) {
		cmd_fail("%s", ms_error_last());
		goto done;
	}
	if (o->n_args) {
		v = json_object_get(outputs, o->args[0]);
		if (!v) {
			cmd_fail("output \"%s\": not found (outputs exist "
				 "after an apply)",
				 o->args[0]);
			goto done;
		}
		if (o->json) {
			cmd_print_json(v);
		} else if (json_is_string(v)) {
			printf("%s\n", json_string_value(v));
		} else {
			s = ms_json_compact(v);
			printf("%s\n", s);
			free(s);
		}
	} else if (o->json) {
		cmd_print_json(outputs);
	} else {
		json_object_foreach(outputs, key, v) {
			s = ms_json_compact(v);
			printf("%s = %s\n", key, s);
			free(s);
		}
	}
	rc = 0;
done:
	json_decref(outputs);
	ms_engine_free(e);
	return rc;
}
