/*
 * diff.c - `mlstack diff [REV[..REV]]`: what changes between two revisions
 * of the stack file in the project's git repository, offline.
 *
 * No revision: HEAD against the working tree. One: that revision against
 * the working tree. A..B or two: A against B (an empty side is HEAD, as
 * git reads it). A...B: B against its common ancestor with A, what a pull
 * request from B into A does.
 */
#include "util/common.h"
#include "cmd/cmd.h"
#include "engine/render.h"
#include "util/git.h"

static int read_rev(void *ctx, const char *path, char **data, size_t *len)
{
	return ms_git_rev_read(ctx, path, data, len);
}

/* The engine of the stack file at r, or NULL when r has no such file. */
static int open_side(struct ms_engine **out, const struct cmd_opts *o,
		     struct ms_git_rev *r)
{
	struct ms_engine_opts eo = { 0 };
	json_t *diags = NULL, *d;
	char *data = NULL;
	size_t len, i;
	int err;

	*out = NULL;
	err = ms_git_rev_read(r, o->file, &data, &len);
	free(data);
	if (err == MS_ENOTFOUND)
		return 0;
	if (err)
		return cmd_fail("%s", ms_error_last());
	eo.file = o->file;
	eo.state_dir = o->state_dir;
	eo.vars = o->vars;
	eo.color = o->color;
	eo.skip_state = true;
	eo.read = read_rev;
	eo.read_ctx = r;
	if (!ms_engine_open(out, &eo, &diags)) {
		json_decref(diags);
		return 0;
	}
	fprintf(stderr, "Error: the stack file at %s:\n", ms_git_rev_label(r));
	json_array_foreach(diags, i, d)
		fprintf(stderr, "%s\n", json_string_value(d));
	if (!json_array_size(diags))
		fprintf(stderr, "%s\n", ms_error_last());
	json_decref(diags);
	return 1;
}

/*
 * from and to (NULL: the working tree) as the arguments say; *base is a
 * merge base to free (A...B), and *label its words.
 */
static int revisions(const struct cmd_opts *o, char **from, char **to,
		     char **label)
{
	const char *arg = o->n_args ? o->args[0] : NULL, *dots;
	size_t n;

	*from = *to = *label = NULL;
	if (o->n_args > 2)
		return cmd_fail("diff takes at most two revisions");
	if (o->n_args == 2) {
		*from = ms_strdup(o->args[0]);
		*to = ms_strdup(o->args[1]);
		return 0;
	}
	if (!arg) {
		*from = ms_strdup("HEAD");
		return 0;
	}
	if (!(dots = strstr(arg, ".."))) {
		*from = ms_strdup(arg);
		return 0;
	}
	n = (size_t)(dots - arg);
	*from = n ? ms_strndup(arg, n) : ms_strdup("HEAD");
	if (dots[2] == '.') {
		char *a = *from, *base;

		*to = dots[3] ? ms_strdup(dots + 3) : ms_strdup("HEAD");
		if (ms_git_merge_base(&base, o->file, a, *to)) {
			free(a);
			free(*to);
			*from = *to = NULL;
			return cmd_fail("%s", ms_error_last());
		}
		*label = ms_asprintf("the merge base of %s and %s", a, *to);
		free(a);
		*from = base;
		return 0;
	}
	*to = dots[2] ? ms_strdup(dots + 2) : ms_strdup("HEAD");
	return 0;
}

int cmd_diff(struct cmd_opts *o)
{
	struct ms_git_rev *rf = NULL, *rt = NULL;
	struct ms_engine *from = NULL, *to = NULL;
	char *a = NULL, *b = NULL, *base_label = NULL, *from_label = NULL;
	json_t *plan = NULL;
	int rc = 1;

	if (revisions(o, &a, &b, &base_label))
		return 1;
	if (ms_git_rev_open(&rf, o->file, a) ||
	    ms_git_rev_open(&rt, o->file, b)) {
		cmd_fail("%s", ms_error_last());
		goto done;
	}
	from_label = base_label ? ms_asprintf("%s (%s)", base_label,
					      ms_git_rev_label(rf)) :
				  ms_strdup(ms_git_rev_label(rf));
	if (open_side(&from, o, rf) || open_side(&to, o, rt))
		goto done;
	if (!from && !to) {
		cmd_fail("\"%s\": not in %s nor in %s", o->file, from_label,
			 ms_git_rev_label(rt));
		goto done;
	}
	if (ms_engine_diff(&plan, from, to, from_label, ms_git_rev_label(rt))) {
		cmd_fail("%s", ms_error_last());
		goto done;
	}
	cmd_print_plan(o, plan);
	rc = cmd_flag(o, "detailed-exitcode") && ms_plan_has_changes(plan) ? 2 :
									     0;
done:
	json_decref(plan);
	ms_engine_free(from);
	ms_engine_free(to);
	ms_git_rev_free(rf);
	ms_git_rev_free(rt);
	free(a);
	free(b);
	free(base_label);
	free(from_label);
	return rc;
}
