/*
 * force_unlock.c - `mlstack force-unlock [-force]`: remove a lock left
 * behind by a process that died. It names the holder and asks first, as
 * Terraform does, unless -force: breaking the lock of a command that is
 * still running lets two commands change the same resources at once.
 */
#include "util/common.h"
#include "cmd/cmd.h"

/*
 * "alice@build-7 (pid 41233, apply since ...)", from the lock file; for
 * the remote's lock, "on the remote URL" after it.
 */
static void holder_text(struct ms_buf *b, const json_t *info)
{
	const char *holder = json_string_value(json_object_get(info, "holder"));
	const char *op = json_string_value(json_object_get(info, "operation"));
	const char *since = json_string_value(json_object_get(info, "time"));
	const char *where = json_string_value(json_object_get(info, "where"));
	const json_t *pid = json_object_get(info, "pid");
	bool remote = where && strcmp(where, "local");

	if (!holder || !json_is_integer(pid))
		ms_buf_addf(b,
			    "an unknown holder (the lock %s is empty or "
			    "corrupt)",
			    remote ? "ref" : "file");
	else
		ms_buf_addf(b, "%s (pid %lld, %s since %s)", holder,
			    (long long)json_integer_value(pid),
			    op ? op : "unknown operation",
			    since ? since : "an unknown time");
	if (remote)
		ms_buf_addf(b, " on the remote %s", where);
}

int cmd_force_unlock(struct cmd_opts *o)
{
	struct ms_engine *e = NULL;
	struct ms_buf holder = MS_BUF_INIT;
	json_t *info = NULL, *lock;
	char *question = NULL;
	size_t i;
	int err, rc = 1;

	o->skip_state = true;
	if (o->n_args)
		return cmd_fail("usage: mlstack force-unlock [-force]");
	if (cmd_open(&e, o))
		return 1;
	err = ms_engine_lock_info(e, &info);
	if (!err) {
		json_array_foreach(info, i, lock) {
			if (i)
				ms_buf_adds(&holder,
					    "\n  and the lock held by ");
			holder_text(&holder, lock);
		}
		question = ms_asprintf(
			"Do you really want to force-unlock?\n"
			"  mlstack will remove the lock held by %s.\n"
			"  If that process is still running, two commands could "
			"change the same\n  resources at once.",
			holder.ptr);
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
	ms_buf_release(&holder);
	json_decref(info);
	ms_engine_free(e);
	return rc;
}
