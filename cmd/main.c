/*
 * main.c - the mlstack command line: options, then one command,
 * dispatched through the table below to cmd/<command>.c.
 *
 * The table is the one place that says what each command takes: its
 * usage, and its options beyond the global ones. An option a command does
 * not take is refused before the command runs, so that a flag typed in
 * the wrong place (output -auto-approve) is never silently ignored.
 *
 * Options take one or two dashes (-auto-approve, --auto-approve) and a
 * value after '=' or as the next argument, as Terraform users type them;
 * they may come before or after the command. Only cmd/ prints errors and
 * decides the exit code.
 */
#include "util/common.h"
#include "cmd/cmd.h"
#include "engine/render.h"
#include "engine/stack.h"
#include "util/file.h"
#include "util/json.h"

#include <unistd.h>

/*
 * jemalloc's settings, read at its start (the Makefile links it into the
 * release binary; elsewhere an unused string): one arena for every
 * thread, so that what one thread frees another reuses. With one per
 * thread the largest bench's peak moved from 197 to 206 MiB between runs
 * of one binary; with one, 194-196 MiB, in the same time.
 */
const char *malloc_conf = "narenas:1";

const struct cmd_option cmd_global_options[] = {
	{ "f", true, "-f FILE", "the stack file (default mlstack.yaml)" },
	{ "C", true, "-C DIR", "change to DIR first" },
	{ "state-dir", true, "-state-dir DIR",
	  "the state directory (default .mlstack/ beside the stack)" },
	{ "var", true, "-var NAME=VALUE",
	  "set a variable, over its default; repeatable" },
	{ "no-color", false, "-no-color", "no colours (also NO_COLOR=1)" },
	{ "v", false, "-v", "more diagnostics on stderr" },
	{ "vv", false, "-vv",
	  "debug diagnostics (MLSTACK_TRACE=aws traces AWS calls)" },
	{ "help", false, "-h, -help", "show this help" },
	{ "h", false },
	{ NULL },
};

/* Without a command: mlstack -version. */
const struct cmd_option cmd_top_options[] = {
	{ "version", false, "-version", "print the version" },
	{ NULL },
};

static const struct cmd_option no_options[] = { { NULL } };

#define PARALLELISM                                                     \
	{                                                               \
		"parallelism", true, "-parallelism N",                  \
			"at most N AWS operations at once (default 10)" \
	}
#define REFRESH                                                      \
	{                                                            \
		"refresh", true, "-refresh=false",                   \
			"plan against the state without reading AWS" \
	}
#define MARKDOWN                                                              \
	{                                                                     \
		"markdown", false, "-markdown",                               \
			"a pull-request comment in Markdown, instead of text" \
	}
#define AUTO_APPROVE                                    \
	{                                               \
		"auto-approve", false, "-auto-approve", \
			"do not ask for \"yes\""        \
	}
#define STATE_REMOTE                                               \
	{                                                          \
		"state-remote", true, "-state-remote URL",         \
			"the git remote of the state (\"\": none)" \
	}
#define LOCK_TIMEOUT                                                  \
	{                                                             \
		"lock-timeout", true, "-lock-timeout DURATION",       \
			"wait this long for a lock held (default 0s)" \
	}

static const struct cmd_option plan_options[] = {
	{ "out", true, "-out FILE",
	  "save the plan; mlstack apply FILE applies exactly it" },
	{ "detailed-exitcode", false, "-detailed-exitcode",
	  "exit 2 when there are changes, 0 when none" },
	{ "destroy", false, "-destroy", "plan what destroy would do" },
	REFRESH,
	PARALLELISM,
	{ "json", false, "-json",
	  "Terraform's JSON plan representation, instead of text" },
	MARKDOWN,
	STATE_REMOTE,
	{ NULL },
};

static const struct cmd_option apply_options[] = {
	AUTO_APPROVE, REFRESH,      PARALLELISM,
	STATE_REMOTE, LOCK_TIMEOUT, { NULL },
};

#define JSON                                                   \
	{                                                      \
		"json", false, "-json", "JSON instead of text" \
	}

static const struct cmd_option json_options[] = {
	JSON,
	{ NULL },
};

/* the commands that read the state, and only read it */
static const struct cmd_option read_options[] = {
	JSON,
	STATE_REMOTE,
	{ NULL },
};

static const struct cmd_option state_options[] = {
	JSON,
	STATE_REMOTE,
	LOCK_TIMEOUT,
	{ NULL },
};

static const struct cmd_option import_options[] = {
	STATE_REMOTE,
	LOCK_TIMEOUT,
	{ NULL },
};

static const struct cmd_option diff_options[] = {
	{ "detailed-exitcode", false, "-detailed-exitcode",
	  "exit 2 when there are changes, 0 when none" },
	{ "json", false, "-json",
	  "Terraform's JSON plan representation, instead of text" },
	MARKDOWN,
	{ NULL },
};

static const struct cmd_option show_options[] = {
	JSON,
	MARKDOWN,
	STATE_REMOTE,
	{ NULL },
};

static const struct cmd_option lint_options[] = {
	{ "json", false, "-json", "the findings as JSON, instead of text" },
	{ "sarif", false, "-sarif",
	  "the findings as SARIF 2.1.0, for code scanning" },
	{ "fail-on", true, "-fail-on SEVERITY",
	  "exit 3 on a finding this severe or more: low (default), medium, "
	  "high, critical, or none" },
	{ "rules", false, "-rules", "list the rules (with -json: as JSON)" },
	{ NULL },
};

static const struct cmd_option force_unlock_options[] = {
	{ "force", false, "-force", "do not ask for \"yes\"" },
	STATE_REMOTE,
	{ NULL },
};

const struct cmd_command cmd_commands[] = {
	{ "validate", cmd_validate, "",
	  "check the stack file offline: syntax, types, references, cycles",
	  no_options },
	{ "lint", cmd_lint, "",
	  "security checks of the stack, offline: policies, buckets, "
	  "notebooks, endpoints, hosts",
	  lint_options },
	{ "plan", cmd_plan, "", "show what apply would change", plan_options },
	{ "apply", cmd_apply, "[PLANFILE]",
	  "plan and apply (asks for \"yes\"), or apply a saved plan",
	  apply_options },
	{ "destroy", cmd_destroy, "",
	  "delete everything the state holds, in reverse dependency order",
	  apply_options },
	{ "output", cmd_output, "[NAME]",
	  "the stack's outputs, or the raw value of one", read_options },
	{ "show", cmd_show, "[PLANFILE]",
	  "render a saved plan, or every resource in the state", show_options },
	{ "state", cmd_state,
	  "list | show NAME | rm NAME... | mv FROM TO | pull | push",
	  "inspect the state, edit it without touching AWS, share it",
	  state_options },
	{ "import", cmd_import, "NAME ID",
	  "adopt an existing AWS object as resource NAME", import_options },
	{ "schema", cmd_schema, "[TYPE]",
	  "the resource types, and what one takes and gives", json_options },
	{ "graph", cmd_graph, "", "the dependency graph as Graphviz DOT",
	  no_options },
	{ "history", cmd_history, "",
	  "the state's history: who applied what, when", read_options },
	{ "cost", cmd_cost, "",
	  "what the applied stack costs by the hour, and what destroy saves",
	  read_options },
	{ "diff", cmd_diff, "[REV[..REV] | REV...REV | REV REV]",
	  "how the stack changes between git revisions, offline",
	  diff_options },
	{ "force-unlock", cmd_force_unlock, "",
	  "remove the lock a process that died left behind",
	  force_unlock_options },
	{ "help", cmd_help, "[COMMAND]", "how to use mlstack, or one command",
	  no_options },
	{ "version", cmd_version, "", "the version of mlstack", no_options },
	{ NULL },
};

static const struct cmd_option *in(const struct cmd_option *list,
				   const char *name)
{
	for (; list->name; list++)
		if (!strcmp(list->name, name))
			return list;
	return NULL;
}

/* The option name as any command knows it, for splitting argv. */
static const struct cmd_option *known(const char *name)
{
	const struct cmd_command *c;
	const struct cmd_option *opt;

	if ((opt = in(cmd_global_options, name)) ||
	    (opt = in(cmd_top_options, name)))
		return opt;
	for (c = cmd_commands; c->name; c++)
		if ((opt = in(c->options, name)))
			return opt;
	return NULL;
}

const struct cmd_command *cmd_find(const char *name)
{
	const struct cmd_command *c;

	for (c = cmd_commands; c->name; c++)
		if (!strcmp(c->name, name))
			return c;
	return NULL;
}

int cmd_unknown(const char *name)
{
	const char *names[MS_ARRAY_SIZE(cmd_commands)], *near;
	size_t n;

	for (n = 0; cmd_commands[n].name; n++)
		names[n] = cmd_commands[n].name;
	names[n] = NULL;
	near = ms_did_you_mean(name, names);
	if (near)
		return cmd_fail("unknown command \"%s\" (did you mean \"%s\"?)",
				name, near);
	return cmd_fail("unknown command \"%s\" (see mlstack -help)", name);
}

/*
 * Refuse an option c does not take (c NULL: no command given): one line,
 * with a "did you mean" among the options it does take.
 */
static int check_option(const struct cmd_command *c, const char *name)
{
	const struct cmd_option *own = c ? c->options : cmd_top_options, *opt;
	const char *names[64], *near;
	size_t n = 0;

	if (in(own, name) || in(cmd_global_options, name))
		return 0;
	if (known(name) && c)
		return cmd_fail("command \"%s\" does not take option \"-%s\" "
				"(see mlstack %s -h)",
				c->name, name, c->name);
	if (known(name))
		return cmd_fail("option \"-%s\" goes with a command (see "
				"mlstack -help)",
				name);
	for (opt = own; opt->name && n < 32; opt++)
		names[n++] = opt->name;
	for (opt = cmd_global_options; opt->name && n < 63; opt++)
		names[n++] = opt->name;
	names[n] = NULL;
	near = ms_did_you_mean(name, names);
	if (near)
		return cmd_fail(
			"unknown option \"-%s\" (did you mean \"-%s\"?)", name,
			near);
	if (c)
		return cmd_fail("unknown option \"-%s\" (see mlstack %s -h)",
				name, c->name);
	return cmd_fail("unknown option \"-%s\" (see mlstack -help)", name);
}

/* The first option typed before the command that no command knows. */
static const char *unknown_before(const json_t *given)
{
	const json_t *opt;
	const char *name;
	size_t i;

	json_array_foreach(given, i, opt) {
		name = json_string_value(json_array_get(opt, 0));
		if (json_is_true(json_array_get(opt, 1)) && !known(name))
			return name;
	}
	return NULL;
}

const char *cmd_opt(const struct cmd_opts *o, const char *name)
{
	json_t *v = json_object_get(o->flags, name);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

bool cmd_flag(const struct cmd_opts *o, const char *name)
{
	json_t *v = json_object_get(o->flags, name);

	if (json_is_string(v))
		return strcmp(json_string_value(v), "false") != 0;
	return json_is_true(v);
}

/*
 * Split argv into the command, its arguments and options (o->flags, and
 * -var into o->vars). given lists the options in the order typed, each as
 * [name, whether it came before the command], for the checks once the
 * command is known. An option no command knows is kept as a flag, to be
 * refused then.
 */
static int parse(struct cmd_opts *o, int argc, char **argv,
		 const char **command, json_t *given)
{
	const struct cmd_option *opt;
	int i;

	for (i = 1; i < argc; i++) {
		const char *arg = argv[i], *eq;
		char *name;
		const char *value = NULL;

		if (arg[0] != '-' || !arg[1]) {
			if (!*command)
				*command = arg;
			else
				o->args[o->n_args++] = arg;
			continue;
		}
		arg += arg[1] == '-' ? 2 : 1;
		eq = strchr(arg, '=');
		name = eq ? ms_strndup(arg, (size_t)(eq - arg)) :
			    ms_strdup(arg);
		opt = known(name);
		json_array_append_new(given,
				      json_pack("[sb]", name, !*command));
		if (eq) {
			value = eq + 1;
		} else if (opt && opt->value) {
			if (i + 1 >= argc) {
				cmd_fail("option \"-%s\" needs a value", name);
				free(name);
				return -1;
			}
			value = argv[++i];
		}
		if (!strcmp(name, "var")) {
			const char *sep = strchr(value, '=');
			char *key;

			if (!sep || sep == value) {
				cmd_fail("-var \"%s\": expected NAME=VALUE",
					 value);
				free(name);
				return -1;
			}
			key = ms_strndup(value, (size_t)(sep - value));
			json_object_set_new(o->vars, key, json_string(sep + 1));
			free(key);
		} else {
			json_object_set_new(o->flags, name,
					    value ? json_string(value) :
						    json_true());
		}
		free(name);
	}
	return 0;
}

int main(int argc, char **argv)
{
	const struct cmd_command *c = NULL;
	struct cmd_opts o;
	const char *command = NULL, *v;
	json_t *given = json_array(), *opt;
	size_t i;
	int rc = 1;
	long n;

	ms_json_init();
	memset(&o, 0, sizeof(o));
	o.vars = json_object();
	o.flags = json_object();
	o.args = ms_calloc((size_t)argc + 1, sizeof(*o.args));
	if (parse(&o, argc, argv, &command, given))
		goto done;
	ms_log_init(cmd_flag(&o, "vv") ? MS_LOG_DEBUG :
		    cmd_flag(&o, "v")  ? MS_LOG_INFO :
					 MS_LOG_ERROR);
	if (command && !(c = cmd_find(command))) {
		/* "-stat-dir x plan": the option went wrong first */
		v = unknown_before(given);
		rc = v ? check_option(NULL, v) : cmd_unknown(command);
		goto done;
	}
	if (cmd_flag(&o, "help") || cmd_flag(&o, "h")) {
		cmd_usage(stdout, c);
		rc = 0;
		goto done;
	}
	json_array_foreach(given, i, opt)
		if (check_option(c, json_string_value(json_array_get(opt, 0))))
			goto done;
	if (!c && cmd_flag(&o, "version")) {
		rc = cmd_version(&o);
		goto done;
	}
	if (!c) {
		cmd_usage(stderr, NULL);
		goto done;
	}
	if ((v = cmd_opt(&o, "C")) && chdir(v)) {
		ms_file_error(v, errno);
		rc = cmd_fail("-C %s", ms_error_last());
		goto done;
	}
	o.file = cmd_opt(&o, "f") ? cmd_opt(&o, "f") : "mlstack.yaml";
	o.state_dir = cmd_opt(&o, "state-dir");
	o.state_remote = cmd_opt(&o, "state-remote");
	if ((v = cmd_opt(&o, "lock-timeout"))) {
		json_t *d = json_string(v);

		if (ms_stack_parse_duration(&n, d)) {
			rc = cmd_fail("-lock-timeout \"%s\": %s", v,
				      ms_error_last());
			json_decref(d);
			goto done;
		}
		json_decref(d);
		o.lock_timeout = (double)n;
	}
	o.json = cmd_flag(&o, "json");
	if (o.json && cmd_flag(&o, "markdown")) {
		rc = cmd_fail("-json and -markdown are two renderings: choose "
			      "one");
		goto done;
	}
	o.color = !cmd_flag(&o, "no-color") && !getenv("NO_COLOR") && isatty(1);
	ms_render_color(o.color);
	o.parallelism = 10;
	if ((v = cmd_opt(&o, "parallelism"))) {
		if (ms_parse_uint(v, &n) || n < 1 || n > 256) {
			rc = cmd_fail("-parallelism \"%s\": expected a number "
				      "from 1 to 256",
				      v);
			goto done;
		}
		o.parallelism = (int)n;
	}
	rc = c->fn(&o);
done:
	json_decref(given);
	json_decref(o.vars);
	json_decref(o.flags);
	free(o.args);
	return rc;
}
