/*
 * help.c - `mlstack help [COMMAND]`, and the usage texts that -h and
 * -help print, all drawn from the command table of main.c.
 */
#include "util/common.h"
#include "cmd/cmd.h"

#include <ctype.h>

/* The width of the options' column: the longest shown, 20 at least. */
static int column(int width, const struct cmd_option *opt)
{
	for (; opt->name; opt++)
		if (opt->shown && (int)strlen(opt->shown) + 1 > width)
			width = (int)strlen(opt->shown) + 1;
	return width;
}

static void options(FILE *f, const char *title, const struct cmd_option *opt,
		    int width)
{
	if (title)
		fprintf(f, "\n%s:\n", title);
	for (; opt->name; opt++)
		if (opt->shown)
			fprintf(f, "  %-*s %s\n", width, opt->shown, opt->help);
}

void cmd_usage(FILE *f, const struct cmd_command *c)
{
	const struct cmd_command *x;
	int width;

	if (!c) {
		fprintf(f, "Usage: mlstack [options] COMMAND [options] "
			   "[arguments]\n\nCommands:\n");
		for (x = cmd_commands; x->name; x++)
			fprintf(f, "  %-13s %s\n", x->name, x->purpose);
		width = column(column(20, cmd_global_options), cmd_top_options);
		options(f, "Global options (every command takes them)",
			cmd_global_options, width);
		options(f, NULL, cmd_top_options, width);
		fprintf(f,
			"\n\"mlstack help COMMAND\" or \"mlstack COMMAND -h\" "
			"shows what a command takes.\nOptions take one or "
			"two dashes (-out, --out), and a value after \"=\"\n"
			"or as the next argument.\n");
		return;
	}
	fprintf(f, "Usage: mlstack %s [options]%s%s\n\n  %c%s.\n", c->name,
		*c->args ? " " : "", c->args,
		toupper((unsigned char)*c->purpose), c->purpose + 1);
	width = column(column(20, cmd_global_options), c->options);
	if (c->options->name)
		options(f, "Options", c->options, width);
	options(f, "Global options", cmd_global_options, width);
}

int cmd_help(struct cmd_opts *o)
{
	const struct cmd_command *c = NULL;

	if (o->n_args > 1)
		return cmd_fail("usage: mlstack help [COMMAND]");
	if (o->n_args && !(c = cmd_find(o->args[0])))
		return cmd_unknown(o->args[0]);
	cmd_usage(stdout, c);
	return 0;
}
