/*
 * main.c - the mlstack command line: global options, then one command,
 * dispatched through the table below to cmd/<command>.c.
 *
 * Options take one or two dashes (-auto-approve, --auto-approve) and a
 * value after '=' or as the next argument, as Terraform users type them.
 * Only cmd/ prints errors and decides the exit code.
 */
#include "util/common.h"
#include "cmd/cmd.h"
#include "engine/render.h"
#include "util/json.h"

#include <unistd.h>

struct command {
	const char *name;
	int (*fn)(struct cmd_opts *o);
	const char *usage;
};

static const struct command commands[] = {
	{ "validate", cmd_validate, "check the stack file offline" },
	{ "plan", cmd_plan,
	  "show what apply would change [-out FILE] "
	  "[-detailed-exitcode] [-json] [-refresh=false] [-destroy]" },
	{ "apply", cmd_apply, "make it so [PLANFILE] [-auto-approve]" },
	{ "destroy", cmd_destroy,
	  "delete everything the state holds "
	  "[-auto-approve]" },
	{ "output", cmd_output, "stack outputs [NAME]" },
	{ "show", cmd_show,
	  "render a saved plan or the current state "
	  "[PLANFILE]" },
	{ "state", cmd_state,
	  "inspect and edit the state: list | show NAME "
	  "| rm NAME... | mv FROM TO" },
	{ "import", cmd_import, "manage an existing AWS object: NAME ID" },
	{ "schema", cmd_schema,
	  "the resource types and what they take [TYPE] [-json]" },
	{ "graph", cmd_graph, "the dependency graph as Graphviz DOT" },
	{ "history", cmd_history, "the state's history: who applied what" },
	{ "force-unlock", cmd_force_unlock, "remove a stale state lock" },
};

/* Options that take a value; every other option is a flag. */
static const char *const valued[] = {
	"f", "C", "state-dir", "var", "out", "parallelism", "refresh", NULL,
};

/* Every option mlstack knows, for "unknown option" errors. */
static const char *const known[] = {
	"f",
	"C",
	"state-dir",
	"var",
	"out",
	"parallelism",
	"refresh",
	"no-color",
	"json",
	"v",
	"vv",
	"auto-approve",
	"detailed-exitcode",
	"help",
	"h",
	"version",
	"destroy",
	NULL,
};

static bool listed(const char *const *list, const char *name)
{
	for (; *list; list++)
		if (!strcmp(*list, name))
			return true;
	return false;
}

static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: mlstack [-f STACK.yaml] [-C DIR] [-state-dir DIR] "
		   "[-var NAME=VALUE] [-no-color] [-json] [-v] COMMAND "
		   "[options]\n\ncommands:\n");
	for (i = 0; i < MS_ARRAY_SIZE(commands); i++)
		fprintf(f, "  %-13s %s\n", commands[i].name, commands[i].usage);
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

static int parse(struct cmd_opts *o, int argc, char **argv,
		 const char **command)
{
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
		if (!listed(known, name)) {
			cmd_fail("unknown option \"%s\" (see mlstack -help)",
				 argv[i]);
			free(name);
			return -1;
		}
		if (eq) {
			value = eq + 1;
		} else if (listed(valued, name)) {
			if (i + 1 >= argc) {
				cmd_fail("option \"%s\" needs a value",
					 argv[i]);
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
	struct cmd_opts o;
	const char *command = NULL, *v;
	size_t i;
	int rc = 1;
	long n;

	ms_json_init();
	memset(&o, 0, sizeof(o));
	o.vars = json_object();
	o.flags = json_object();
	o.args = ms_calloc((size_t)argc + 1, sizeof(*o.args));
	if (parse(&o, argc, argv, &command))
		goto done;
	ms_log_init(cmd_flag(&o, "vv") ? MS_LOG_DEBUG :
		    cmd_flag(&o, "v")  ? MS_LOG_INFO :
					 MS_LOG_ERROR);
	if (cmd_flag(&o, "help") || cmd_flag(&o, "h")) {
		usage(stdout);
		rc = 0;
		goto done;
	}
	if (cmd_flag(&o, "version")) {
		printf("mlstack 0.1.0\n");
		rc = 0;
		goto done;
	}
	if (!command) {
		usage(stderr);
		goto done;
	}
	if ((v = cmd_opt(&o, "C")) && chdir(v)) {
		rc = cmd_fail("-C \"%s\": %s", v, strerror(errno));
		goto done;
	}
	o.file = cmd_opt(&o, "f") ? cmd_opt(&o, "f") : "mlstack.yaml";
	o.state_dir = cmd_opt(&o, "state-dir");
	o.json = cmd_flag(&o, "json");
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
	for (i = 0; i < MS_ARRAY_SIZE(commands); i++) {
		if (!strcmp(commands[i].name, command)) {
			rc = commands[i].fn(&o);
			goto done;
		}
	}
	rc = cmd_fail("unknown command \"%s\" (see mlstack -help)", command);
done:
	json_decref(o.vars);
	json_decref(o.flags);
	free(o.args);
	return rc;
}
