/*
 * common.c - helpers every command shares: errors, opening the engine,
 * confirmation, saved plans.
 */
#include "util/common.h"
#include "cmd/cmd.h"
#include "engine/render.h"
#include "util/interrupt.h"
#include "util/json.h"

#include <poll.h>
#include <unistd.h>

int cmd_fail(const char *fmt, ...)
{
	va_list ap;

	fputs("Error: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 1;
}

int cmd_open(struct ms_engine **out, const struct cmd_opts *o)
{
	struct ms_engine_opts eo = { 0 };
	json_t *diags = NULL, *d;
	size_t i;

	eo.file = o->file;
	eo.state_dir = o->state_dir;
	eo.vars = o->vars;
	eo.parallelism = o->parallelism;
	eo.color = o->color;
	eo.skip_state = o->skip_state;
	eo.state_remote = o->state_remote;
	eo.will_lock = o->will_lock;
	eo.lock_timeout = o->lock_timeout;
	eo.offline = o->offline;
	eo.no_state = o->offline;
	if (!ms_engine_open(out, &eo, &diags)) {
		json_decref(diags);
		if (ms_engine_state_note(*out))
			fprintf(stderr, "Note: %s.\n",
				ms_engine_state_note(*out));
		if (ms_engine_remote_note(*out))
			fprintf(stderr, "Note: %s.\n",
				ms_engine_remote_note(*out));
		return 0;
	}
	if (json_array_size(diags)) {
		json_array_foreach(diags, i, d)
			fprintf(stderr, "%s\n", json_string_value(d));
	} else {
		cmd_fail("%s", ms_error_last());
	}
	json_decref(diags);
	return -1;
}

int cmd_unlock(struct ms_engine *e, int rc)
{
	if (e && ms_engine_unlock(e))
		return cmd_fail("%s", ms_error_last());
	return rc;
}

int cmd_confirm(const char *question, const char *operation, const char *flag)
{
	struct pollfd in = { 0, POLLIN, 0 };
	char line[64];

	if (!isatty(0)) {
		cmd_fail("%s needs confirmation, and stdin is not a terminal: "
			 "run it with %s",
			 operation, flag);
		return -1;
	}
	printf("\n%s\n  Only 'yes' will be accepted to approve.\n\n"
	       "  Enter a value: ",
	       question);
	fflush(stdout);
	/* an interrupt at the prompt cancels, as it would at any other time */
	while (!ms_interrupted() && poll(&in, 1, 100) == 0)
		;
	if (ms_interrupted() || !fgets(line, sizeof(line), stdin) ||
	    strcmp(line, "yes\n")) {
		cmd_fail("%s cancelled", operation);
		return -1;
	}
	return 0;
}

int cmd_read_plan(json_t **out, const char *path)
{
	if (ms_json_load_file(out, path, 0))
		return ms_error("plan file %s", ms_error_last());
	if (ms_plan_check(*out)) {
		json_decref(*out);
		*out = NULL;
		return ms_error(
			"plan file \"%s\": not a valid mlstack plan: %s", path,
			ms_error_last());
	}
	return 0;
}

void cmd_print_json(const json_t *v)
{
	json_dumpf(v, stdout,
		   JSON_INDENT(2) | JSON_SORT_KEYS | JSON_ENCODE_ANY);
	fputc('\n', stdout);
}

void cmd_drop(json_t *v)
{
#ifdef __SANITIZE_ADDRESS__
	json_decref(v);
#else
	(void)v;
#endif
}

void cmd_print_plan(const struct cmd_opts *o, const json_t *plan)
{
	json_t *tf;

	if (o->json) {
		tf = ms_render_plan_json(plan);
		if (json_object_get(plan, "offline"))
			json_object_set(tf, "offline",
					json_object_get(plan, "offline"));
		cmd_print_json(tf);
		json_decref(tf);
	} else if (cmd_flag(o, "markdown")) {
		ms_render_plan_markdown(stdout, plan);
	} else {
		ms_render_plan(stdout, plan);
	}
}

int cmd_plan_apply(struct ms_engine *e, const struct cmd_opts *o, bool destroy)
{
	struct ms_plan_opts po = { destroy, true, !destroy };
	json_t *plan = NULL;
	int rc = 1;

	po.refresh = !cmd_opt(o, "refresh") || cmd_flag(o, "refresh");
	if (ms_engine_plan(e, &po, &plan)) {
		cmd_fail("%s", ms_error_last());
		goto done;
	}
	ms_render_plan(stdout, plan);
	if (!ms_plan_needs_apply(plan)) {
		if (destroy)
			printf("Destroy complete! Resources: 0 destroyed.\n");
		rc = 0;
		goto done;
	}
	if (!cmd_flag(o, "auto-approve") &&
	    cmd_confirm(destroy ? "Do you really want to destroy all "
				  "resources?" :
				  "Do you want to perform these actions?",
			destroy ? "destroy" : "apply", "-auto-approve"))
		goto done;
	printf("\n");
	fflush(stdout);
	if (ms_engine_apply(e, plan)) {
		cmd_fail("%s", ms_error_last());
		goto done;
	}
	rc = 0;
done:
	json_decref(plan);
	return rc;
}
