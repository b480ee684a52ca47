/*
 * cmd.h - what the command files share: parsed options and the few
 * helpers every command needs (open the engine, print errors, confirm).
 */
#ifndef MS_CMD_H
#define MS_CMD_H

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

#include "engine/engine.h"

struct cmd_opts {
	const char *file;      /* -f */
	const char *state_dir; /* --state-dir */
	json_t *vars;          /* -var NAME=VALUE */
	json_t *flags;         /* every other option: name -> value/true */
	const char **args;     /* positional arguments after the command */
	int n_args;
	bool json;
	bool color;
	bool skip_state; /* the command does not read the state */
	bool will_lock;  /* the command takes the lock (which pulls) */
	bool offline; /* no AWS call and no state at all (validate, lint, graph) */
	int parallelism;
	const char *state_remote; /* -state-remote, or NULL */
	double lock_timeout;      /* -lock-timeout, seconds */
};

#define MS_VERSION "0.1.0"

/* An option: -name, or -name VALUE (-name=VALUE) when it takes a value. */
struct cmd_option {
	const char *name;  /* without dashes: "out" */
	bool value;        /* takes a value */
	const char *shown; /* as usage shows it: "-out FILE"; NULL: not shown */
	const char *help;  /* one line */
};

/* A command, in the table of main.c. */
struct cmd_command {
	const char *name;
	int (*fn)(struct cmd_opts *o);
	const char *args;    /* what follows the options: "[PLANFILE]" */
	const char *purpose; /* one line */
	/* the options it takes beyond the global ones; ends with { NULL } */
	const struct cmd_option *options;
};

/* Every command, the table ending with { NULL }. */
extern const struct cmd_command cmd_commands[];
/* The options every command takes, the list ending with { NULL }. */
extern const struct cmd_option cmd_global_options[];
/* The options mlstack takes without a command (-version). */
extern const struct cmd_option cmd_top_options[];
/* The command called name, or NULL. */
const struct cmd_command *cmd_find(const char *name);
/*
 * Print "unknown command" for name, with a "did you mean" when a command
 * is near. Returns 1 (the exit code).
 */
int cmd_unknown(const char *name);
/* mlstack's usage (c NULL) or one command's, with its options. */
void cmd_usage(FILE *f, const struct cmd_command *c);

/* The value of option name, or NULL when not given. */
const char *cmd_opt(const struct cmd_opts *o, const char *name);
bool cmd_flag(const struct cmd_opts *o, const char *name);

/* Print one error line to stderr. Returns 1 (the exit code). */
int cmd_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Open the engine; stack problems are printed, one line each. */
int cmd_open(struct ms_engine **out, const struct cmd_opts *o);
/*
 * Release the lock (with a remote: push, then unlock); an error is
 * printed. Returns rc, or 1 when releasing failed.
 */
int cmd_unlock(struct ms_engine *e, int rc);
/*
 * Ask question and wait for "yes" on a terminal; -1 when not answered so.
 * Without a terminal it fails at once, telling to run operation with flag
 * ("-auto-approve"), the option that skips the question.
 */
int cmd_confirm(const char *question, const char *operation, const char *flag);
/*
 * Plan (everything's deletion when destroy), show it, ask unless
 * -auto-approve, apply. The caller holds the lock. Returns the exit code.
 */
int cmd_plan_apply(struct ms_engine *e, const struct cmd_opts *o, bool destroy);
/* Read a saved plan file. */
int cmd_read_plan(json_t **out, const char *path);
/* A plan on stdout as -json, -markdown or (by default) text ask. */
void cmd_print_plan(const struct cmd_opts *o, const json_t *plan);
/* Print a JSON value to stdout, indented. */
void cmd_print_json(const json_t *v);
/*
 * Let go of a value the command held to its end, as it returns to exit:
 * under AddressSanitizer it is freed (the leak check pairs every
 * allocation); otherwise the process's exit frees it all at once, where
 * freeing a 10,000-resource plan's values one by one took 5% of the run.
 */
void cmd_drop(json_t *v);

int cmd_validate(struct cmd_opts *o);
int cmd_lint(struct cmd_opts *o);
int cmd_plan(struct cmd_opts *o);
int cmd_apply(struct cmd_opts *o);
int cmd_destroy(struct cmd_opts *o);
int cmd_output(struct cmd_opts *o);
int cmd_show(struct cmd_opts *o);
int cmd_state(struct cmd_opts *o);
int cmd_graph(struct cmd_opts *o);
int cmd_history(struct cmd_opts *o);
int cmd_cost(struct cmd_opts *o);
int cmd_diff(struct cmd_opts *o);
int cmd_force_unlock(struct cmd_opts *o);
int cmd_import(struct cmd_opts *o);
int cmd_schema(struct cmd_opts *o);
int cmd_help(struct cmd_opts *o);
int cmd_version(struct cmd_opts *o);

#endif
