/*
 * render_markdown.c - a plan as a pull-request comment in GitHub's
 * Markdown: a summary table, warnings first, then each resource's diff
 * in a collapsible block, within the size a comment may have.
 *
 * Each resource's block is the text plan's, without colour, with the
 * sign of each line in its first column (`~` becoming `!`) so that a
 * ```diff fence colours it. A plan too long for one comment keeps its
 * summary and warnings and as many whole resources as fit; the first that
 * does not is cut at a line, and a note says what was left out.
 */
#include "util/common.h"
#include "engine/render.h"
#include "engine/render_diff.h"
#include "engine/sensitive.h"
#include "providers/provider.h"
#include "util/buf.h"
#include "util/json.h"

/* GitHub refuses a comment body over 65,536 characters. */
#define COMMENT_MAX 65536
/* kept for the closing note, fences and tags */
#define COMMENT_SLACK 1024

/* The columns of the summary, in order. */
enum { ADD, CHANGE, REPLACE, DESTROY, N_KINDS };

static int kind_of(enum ms_action a)
{
	switch (a) {
	case MS_ACTION_CREATE:
		return ADD;
	case MS_ACTION_UPDATE:
		return CHANGE;
	case MS_ACTION_REPLACE:
		return REPLACE;
	case MS_ACTION_DELETE:
		return DESTROY;
	default:
		return -1;
	}
}

/*
 * A block rendered with each sign in the first column (MS_DIFF_SIGN_FIRST):
 * "~" becomes "!", which a diff fence marks as changed.
 */
static void diff_lines(struct ms_buf *out, const char *text)
{
	const char *line = text, *end;

	while (line && *line) {
		size_t n;

		end = strchr(line, '\n');
		n = end ? (size_t)(end - line) : strlen(line);
		if (line[0] == '~') {
			ms_buf_addch(out, '!');
			ms_buf_add(out, line + 1, n - 1);
		} else {
			ms_buf_add(out, line, n);
		}
		ms_buf_addch(out, '\n');
		line = end ? end + 1 : NULL;
	}
}

/* A fence longer than any run of backticks in text. */
static void fence(struct ms_buf *out, const char *text)
{
	size_t run = 0, longest = 0, i;

	for (; *text; text++) {
		run = *text == '`' ? run + 1 : 0;
		if (run > longest)
			longest = run;
	}
	for (i = 0; i < (longest < 3 ? 3 : longest + 1); i++)
		ms_buf_addch(out, '`');
}

static const char *const verbs[] = {
	[ADD] = "will be created",
	[CHANGE] = "will be updated in place",
	[REPLACE] = "must be replaced",
	[DESTROY] = "will be destroyed",
};
static const char signs[] = {
	[ADD] = '+', [CHANGE] = '~', [REPLACE] = '!', [DESTROY] = '-'
};

/* One resource: <details> with its diff; summary says what happens. */
static void details(struct ms_buf *out, const char *summary, const char *text)
{
	struct ms_buf body = MS_BUF_INIT;

	diff_lines(&body, text);
	ms_buf_addf(out, "<details><summary>%s</summary>\n\n", summary);
	fence(out, body.ptr);
	ms_buf_adds(out, "diff\n");
	ms_buf_adds(out, body.ptr);
	fence(out, body.ptr);
	ms_buf_adds(out, "\n\n</details>\n\n");
	ms_buf_release(&body);
}

/* Why a warning is raised for change c, or NULL. */
static char *warning(const json_t *c, enum ms_action a)
{
	const char *name = json_string_value(json_object_get(c, "name"));
	const char *type = json_string_value(json_object_get(c, "type"));
	const struct ms_resource_type *t = ms_provider_find(type ? type : "");
	const char *loses = t ? t->data_note : NULL;
	const char *why = json_string_value(
		json_array_get(json_object_get(c, "forces"), 0));

	if (a == MS_ACTION_REPLACE && loses)
		return ms_asprintf("`%s` (%s) must be replaced%s%s%s: %s", name,
				   type, why ? " (`" : "", why ? why : "",
				   why ? "` changed)" : "", loses);
	if (a == MS_ACTION_DELETE && !json_object_get(c, "deposed_of"))
		return ms_asprintf("`%s` (%s) will be destroyed%s%s", name,
				   type, loses ? ": " : "", loses ? loses : "");
	return NULL;
}

/* Text for inline code: no backtick can end it early. */
static void code(struct ms_buf *out, const char *text)
{
	ms_buf_addch(out, '`');
	for (; *text; text++)
		ms_buf_addch(out, *text == '`' ? '\'' : *text);
	ms_buf_addch(out, '`');
}

/* Findings shown in a comment, and the length of a fix shown in full. */
#define LINT_SHOWN   10
#define LINT_FIX_MAX 160

/*
 * The plan's lint findings (docs/lint.md), in a warning block of their
 * own at the top, after what the plan deletes: what to review before
 * approving. The first few, each fix cut short, so that they leave room
 * for the diff.
 */
static void lint_block(struct ms_buf *out, const json_t *lint)
{
	const json_t *f;
	const char *fix;
	char *cut;
	size_t i, n;

	if (!json_array_size(lint))
		return;
	ms_buf_addf(out,
		    "> [!WARNING]\n> mlstack lint: %zu finding%s in the "
		    "stack (`lint: {ignore: {RULE: \"why\"}}` on a resource "
		    "suppresses one):\n>\n",
		    json_array_size(lint),
		    json_array_size(lint) == 1 ? "" : "s");
	json_array_foreach(lint, i, f) {
		char *at;

		if (i == LINT_SHOWN) {
			ms_buf_addf(out,
				    "> - and %zu more (`mlstack lint` lists "
				    "them all)\n",
				    json_array_size(lint) - LINT_SHOWN);
			break;
		}
		at = ms_asprintf(
			"%s:%d:%d",
			json_string_value(json_object_get(f, "file")),
			(int)json_integer_value(json_object_get(f, "line")),
			(int)json_integer_value(json_object_get(f, "column")));

		ms_buf_adds(out, "> - ");
		code(out, at);
		ms_buf_addf(out, " **%s** ",
			    json_string_value(json_object_get(f, "severity")));
		code(out, json_string_value(json_object_get(f, "rule")));
		ms_buf_adds(out, " ");
		code(out, json_string_value(json_object_get(f, "resource")));
		ms_buf_addf(out, ": %s",
			    json_string_value(json_object_get(f, "message")));
		if (json_object_get(f, "checkov"))
			ms_buf_addf(out, " (%s)",
				    json_string_value(
					    json_object_get(f, "checkov")));
		ms_buf_adds(out, ". Fix: ");
		fix = json_string_value(json_object_get(f, "fix"));
		n = LINT_FIX_MAX;
		/* cut between characters, not inside one */
		while (n && strlen(fix) > n &&
		       ((unsigned char)fix[n] & 0xC0) == 0x80)
			n--;
		cut = strlen(fix) > LINT_FIX_MAX ?
			      ms_asprintf("%.*s...", (int)n, fix) :
			      ms_strdup(fix);
		code(out, cut);
		ms_buf_addch(out, '\n');
		free(cut);
		free(at);
	}
	ms_buf_addch(out, '\n');
}

/* Add part when it fits within limit. */
static bool fits(struct ms_buf *out, const char *part, size_t limit)
{
	if (out->len + strlen(part) <= limit) {
		ms_buf_adds(out, part);
		return true;
	}
	return false;
}

/* The first lines of a block that fit, closed again; none may. */
static void cut(struct ms_buf *out, const char *summary, const char *text,
		size_t limit)
{
	struct ms_buf body = MS_BUF_INIT, part = MS_BUF_INIT;
	const char *line, *end;
	size_t room, kept = 0;

	diff_lines(&body, text);
	ms_buf_addf(&part, "<details><summary>%s (cut short)</summary>\n\n",
		    summary);
	fence(&part, body.ptr);
	ms_buf_adds(&part, "diff\n");
	room = limit > out->len + part.len + 32 ?
		       limit - out->len - part.len - 32 :
		       0;
	for (line = body.ptr; *line; line = end + 1) {
		end = strchr(line, '\n');
		if (kept + (size_t)(end - line) + 1 > room)
			break;
		kept += (size_t)(end - line) + 1;
	}
	if (kept) {
		ms_buf_add(&part, body.ptr, kept);
		fence(&part, body.ptr);
		ms_buf_adds(&part, "\n\n</details>\n\n");
		ms_buf_adds(out, part.ptr);
	}
	ms_buf_release(&body);
	ms_buf_release(&part);
}

struct row {
	const char *type;
	int n[N_KINDS];
};

static void summary_table(struct ms_buf *out, const json_t *changes)
{
	struct row *rows = NULL, total = { "**Total**", { 0 } };
	size_t n_rows = 0, i, r;
	json_t *c;
	int k;

	json_array_foreach(changes, i, c) {
		const char *type =
			json_string_value(json_object_get(c, "type"));

		if ((k = kind_of(ms_render_action(c))) < 0 || !type)
			continue;
		for (r = 0; r < n_rows && strcmp(rows[r].type, type); r++)
			;
		if (r == n_rows) {
			rows = ms_realloc(rows, (n_rows + 1) * sizeof(*rows));
			memset(&rows[n_rows], 0, sizeof(*rows));
			rows[n_rows++].type = type;
		}
		rows[r].n[k]++;
		total.n[k]++;
	}
	ms_buf_adds(out,
		    "| Resource type | Add | Change | Replace | Destroy |\n"
		    "|---|---:|---:|---:|---:|\n");
	for (r = 0; r <= n_rows; r++) {
		const struct row *row = r < n_rows ? &rows[r] : &total;

		ms_buf_addf(out, r < n_rows ? "| `%s` |" : "| %s |", row->type);
		for (k = 0; k < N_KINDS; k++)
			ms_buf_addf(out, " %d |", row->n[k]);
		ms_buf_addch(out, '\n');
	}
	ms_buf_addch(out, '\n');
	free(rows);
}

/* A change or drift entry's block, signs first: the caller frees it. */
static char *rendered(void (*fn)(struct ms_buf *, const json_t *, unsigned),
		      const json_t *v)
{
	struct ms_buf b = MS_BUF_INIT;

	fn(&b, v, MS_DIFF_SIGN_FIRST);
	return ms_buf_detach(&b, NULL);
}

void ms_render_plan_markdown(FILE *f, const json_t *plan)
{
	const json_t *offline = json_object_get(plan, "offline");
	json_t *changes = json_object_get(plan, "changes");
	json_t *drift = json_object_get(plan, "drift"), *c;
	struct ms_buf out = MS_BUF_INIT, warn = MS_BUF_INIT;
	size_t i, shown = 0, total = 0, limit = COMMENT_MAX - COMMENT_SLACK;
	int counts[N_KINDS] = { 0 }, k;

	json_array_foreach(changes, i, c)
		if ((k = kind_of(ms_render_action(c))) >= 0) {
			counts[k]++;
			total++;
		}
	if (offline)
		ms_buf_addf(&out,
			    "### mlstack diff: `%s`\n\n"
			    "> Offline: the stack file at %s against %s. No "
			    "AWS call was made; values AWS computes are as the "
			    "state records them.\n\n",
			    json_string_value(json_object_get(plan, "stack")),
			    json_string_value(json_object_get(offline, "from")),
			    json_string_value(json_object_get(offline, "to")));
	else
		ms_buf_addf(&out, "### mlstack plan: `%s`\n\n",
			    json_string_value(json_object_get(plan, "stack")));
	if (!total && !json_array_size(drift)) {
		lint_block(&out, json_object_get(plan, "lint"));
		ms_buf_adds(&out, offline ? "No changes between the two "
					    "revisions.\n" :
					    "No changes. Your infrastructure "
					    "matches the configuration.\n");
		goto done;
	}

	json_array_foreach(changes, i, c) {
		char *w = warning(c, ms_render_action(c));

		if (w)
			ms_buf_addf(&warn, "> - %s\n", w);
		free(w);
	}
	if (warn.len) {
		ms_buf_adds(&out, "> [!WARNING]\n> This plan deletes "
				  "objects:\n>\n");
		ms_buf_adds(&out, warn.ptr);
		ms_buf_addch(&out, '\n');
	}
	lint_block(&out, json_object_get(plan, "lint"));
	if (total)
		summary_table(&out, changes);
	ms_buf_addf(&out,
		    "**%s:** %d to add, %d to change, %d to replace, %d to "
		    "destroy.\n\n",
		    offline ? "Diff" : "Plan", counts[ADD], counts[CHANGE],
		    counts[REPLACE], counts[DESTROY]);
	if (total)
		ms_render_plan_cost_markdown(&out, plan);

	json_array_foreach(drift, i, c) {
		char *text = rendered(ms_render_drift, c);
		char *summary = ms_asprintf(
			"<code>~ %s</code> (%s) changed outside of mlstack",
			json_string_value(json_object_get(c, "name")),
			json_string_value(json_object_get(c, "type")));
		struct ms_buf one = MS_BUF_INIT;

		details(&one, summary, text ? text : "");
		if (!fits(&out, one.ptr, limit))
			limit = 0; /* drift does not fit: no resources either */
		ms_buf_release(&one);
		free(summary);
		free(text);
	}
	json_array_foreach(changes, i, c) {
		enum ms_action a = ms_render_action(c);
		char *text, *summary;
		struct ms_buf one = MS_BUF_INIT;
		bool ok;

		if ((k = kind_of(a)) < 0)
			continue;
		text = rendered(ms_render_change, c);
		summary = ms_asprintf(
			"<code>%c %s</code> (%s) %s", signs[k],
			json_string_value(json_object_get(c, "name")),
			json_string_value(json_object_get(c, "type")),
			verbs[k]);
		details(&one, summary, text ? text : "");
		ok = fits(&out, one.ptr, limit);
		/* the first resource alone is too long: its first lines */
		if (!ok && !shown)
			cut(&out, summary, text ? text : "", limit);
		ms_buf_release(&one);
		free(summary);
		free(text);
		if (!ok)
			break;
		shown++;
	}
	if (shown < total)
		ms_buf_addf(
			&out,
			"> [!NOTE]\n> %zu of %zu resources are not shown in "
			"full: "
			"the plan is longer than a comment may be. The "
			"whole plan is in the job's log (`mlstack show "
			"PLANFILE`).\n",
			total - shown, total);
done:
	fputs(out.ptr, f);
	ms_buf_release(&out);
	ms_buf_release(&warn);
}
