/*
 * output.c - `mlstack output [NAME]`: the outputs of the last apply.
 */
#include "util/common.h"
#include "cmd/cmd.h"
#include "util/json.h"

static bool listed(const json_t *names, const char *name)
{
	json_t *v;
	size_t i;

	json_array_foreach(names, i, v)
		if (!strcmp(json_string_value(v), name))
			return true;
	return false;
}

int cmd_output(struct cmd_opts *o)
{
	struct ms_engine *e = NULL;
	json_t *outputs = NULL, *secret = NULL, *v;
	const char *key;
	char *s;
	int rc = 1;

	if (cmd_open(&e, o))
		return 1;
	if (ms_engine_outputs(e, &outputs, &secret)) {
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
	} else {
		/* all of them: secrets hidden; asked for by name: shown */
		json_object_foreach(outputs, key, v) {
			if (listed(secret, key))
				json_object_set_new(outputs, key,
						    json_string("(sensitive)"));
		}
		if (o->json)
			cmd_print_json(outputs);
		json_object_foreach(outputs, key, v) {
			if (o->json)
				break;
			s = listed(secret, key) ? ms_strdup("(sensitive)") :
						  ms_json_compact(v);
			printf("%s = %s\n", key, s);
			free(s);
		}
	}
	rc = 0;
done:
	json_decref(outputs);
	json_decref(secret);
	ms_engine_free(e);
	return rc;
}
