/*
 * force_unlock.c - `mlstack force-unlock [-force]`: remove a lock left
 * behind by a process that died. It names the holder and asks first, as
 * Terraform does, unless -force: breaking the lock of a command that is
 * still running lets two commands change the same resources at once.
 */
#include "util/common.h"
#include "cmd/cmd.h"

/* "alice@build-7 (pid 41233, apply since ...)", from the lock file. */
static char *holder_text(const json_t *info)
{
	const char *holder = json_string_value(json_object_get(info, "holder"));
	const char *op = json_string_value(json_object_get(info, "operation"));
	const char *since = json_string_value(json_object_get(info, "time"));
	const json_t *pid = json_object_get(info, "pid");

	if (!holder || !json_is_integer(pid))
		return ms_strdup("an unknown holder (the lock file is empty "
				 "or corrupt)");
	return ms_asprintf("%s (pid %lld, %s since %s)", holder,
			   (long long)json_integer_value(pid),
			   op ? op : "unknown operation",
			   since ? since : "an unknown time");
}

int cmd_force_unlock(struct cmd_opts *o)
{
	struct ms_engine *e = NULL;
	json_t *info = NULL;
	char *holder = NULL, *question = NULL;
	int err, rc = 1;

	o->skip_state = true;
	if (o->n_args)
		return cmd_fail("usage: mlstack force-unlock [-force]");
	if (cmd_open(&e, o))
		return 1;
	err = ms_engine_lock_info(e, &info);
	if (!err) {
		holder = holder_text(info);
		question = ms_asprintf(
			"Do you really want to force-unlock?\n"
			"  mlstack will remove the lock held by %s.\n"
			"  If that process is still running, two commands could "
			"change the same\n  resources at once.",
			holder);
		if (!cmd_flag(o, "force") &&
		    cmd_confirm(question, "force-unlock", "-force"))
			goto done;
		err = ms_engine_force_unlock(e);
	}
	if (err == MS_ENOTFOUND) {
		printf("The state was not locked.\n");
	} else if (err) {
		cmd_fail("%s", ms_error_last());
		goto done;
	} else {
		printf("The state has been unlocked.\n");
	}
	rc = 0;
done:
	free(question);
	free(holder);
	json_decref(info);
	ms_engine_free(e);
	return rc;
}
