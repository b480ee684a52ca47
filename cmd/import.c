/*
 * import.c - `mlstack import NAME ID`: take an object that exists in AWS
 * under the management of resource NAME, which the stack declares. The
 * object is read, not changed: the next plan shows what apply would bring
 * in line (its owner mark among it).
 */
#include "util/common.h"
#include "cmd/cmd.h"

int cmd_import(struct cmd_opts *o)
{
	struct ms_engine *e = NULL;
	json_t *v = NULL;
	int rc = 1;

	if (o->n_args != 2)
		return cmd_fail("usage: mlstack import NAME ID");
	o->will_lock = true;
	if (cmd_open(&e, o))
		return 1;
	if (ms_engine_lock(e, "import")) {
		cmd_fail("%s", ms_error_last());
		goto done;
	}
	if (ms_engine_import(e, o->args[0], o->args[1], &v)) {
		rc = cmd_unlock(e, cmd_fail("%s", ms_error_last()));
		goto done;
	}
	printf("%s: imported %s.\n", o->args[0], o->args[1]);
	printf("Run 'mlstack plan' to see what apply would change.\n");
	rc = cmd_unlock(e, 0);
done:
	json_decref(v);
	ms_engine_free(e);
	return rc;
}
