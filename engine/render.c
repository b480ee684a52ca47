/*
 * render.c - text views of plans and state.
 *
 * A plan prints as Terraform's does: a block per resource, each changed
 * attribute diffed by render_diff.c (nested values as indented blocks,
 * only what changed marked), the unchanged ones folded. Stored resources
 * (show, state show) print each value as compact JSON on one line.
 * Sensitive values print as "(sensitive)" and unknown ones as
 * "(known after apply)", everywhere.
 */
#include "util/common.h"
#include "engine/engine.h"
#include "engine/render.h"
#include "engine/render_diff.h"
#include "engine/expr.h"
#include "engine/sensitive.h"
#include "providers/provider.h"
#include "util/json.h"

#include <pthread.h>

/* threads share values here: jansson's reference counts must be atomic */
#ifndef JANSSON_THREAD_SAFE_REFCOUNT
#error "jansson without thread-safe reference counting"
#endif

static bool color;

bool ms_render_color(bool on)
{
	bool was = color;

	color = on;
	return was;
}

static const char *paint(const char *code)
{
	return color ? code : "";
}

#define GREEN  "\033[32m"
#define RED    "\033[31m"
#define YELLOW "\033[33m"
#define BOLD   "\033[1m"
#define RESET  "\033[0m"

/* The column of the sign of a resource's attribute lines. */
#define ATTR_INDENT 6

unsigned ms_render_flags(const char *type, const char *attr)
{
	const struct ms_resource_type *t = ms_provider_find(type ? type : "");
	const struct ms_attr *a = t ? ms_provider_attr(t, attr) : NULL;

	return a ? a->flags : 0;
}

static bool in_list(const json_t *list, const char *s)
{
	json_t *v;
	size_t i;

	json_array_foreach(list, i, v)
		if (json_is_string(v) && !strcmp(json_string_value(v), s))
			return true;
	return false;
}

static size_t key_width(const json_t *a, const json_t *b)
{
	const char *key;
	json_t *v;
	size_t w = 0;

	json_object_foreach((json_t *)a, key, v)
		if (strlen(key) > w)
			w = strlen(key);
	json_object_foreach((json_t *)b, key, v)
		if (strlen(key) > w)
			w = strlen(key);
	return w;
}

enum ms_action ms_render_action(const json_t *c)
{
	int a = ms_action_parse(
		json_string_value(json_object_get(c, "action")));

	return a < 0 ? MS_ACTION_NOOP : (enum ms_action)a;
}

/*
 * The attribute lines of a resource going from before to after: every
 * attribute of a create or a delete, else those named in changed (and,
 * for a replacement, those that become unknown), then how many others
 * are folded.
 */
static void attr_lines(struct ms_buf *out, const char *type,
		       const json_t *before, const json_t *after,
		       const json_t *changed, const json_t *forces,
		       const json_t *marked, enum ms_action action,
		       unsigned flags)
{
	const struct ms_resource_type *t = ms_provider_find(type ? type : "");
	json_t *bmask = ms_sensitive_mask(type, before, marked);
	json_t *amask = ms_sensitive_mask(type, after, marked);
	const struct ms_attr **sa; /* each key's schema */
	const char **keys;
	unsigned *fl; /* each key's schema flags */
	size_t i, n, w = 0, unchanged = 0;

	if (!json_is_object(before) || action == MS_ACTION_CREATE)
		before = NULL;
	if (!json_is_object(after) || action == MS_ACTION_DELETE)
		after = NULL;
	keys = ms_json_keys(before, after, false, &n);
	sa = ms_calloc(n + 1, sizeof(*sa));
	fl = ms_calloc(n + 1, sizeof(*fl));
	for (i = 0; i < n; i++) {
		sa[i] = t ? ms_provider_attr(t, keys[i]) : NULL;
		fl[i] = sa[i] ? sa[i]->flags : 0;
		if (!(fl[i] & MS_ATTR_INTERNAL) && strlen(keys[i]) > w)
			w = strlen(keys[i]);
	}

	for (i = 0; i < n; i++) {
		const char *k = keys[i];
		struct ms_diff_attr a = { type, k, sa[i] };

		a.before = json_object_get(before, k);
		a.after = json_object_get(after, k);
		if (json_is_null(a.before))
			a.before = NULL;
		if (json_is_null(a.after))
			a.after = NULL;
		if ((fl[i] & MS_ATTR_INTERNAL) || (!a.before && !a.after))
			continue;
		a.changed = in_list(changed, k);
		if (action != MS_ACTION_CREATE && action != MS_ACTION_DELETE &&
		    !a.changed &&
		    !(action == MS_ACTION_REPLACE && a.before && a.after &&
		      ms_has_unknown(a.after) && !ms_has_unknown(a.before))) {
			unchanged++;
			continue;
		}
		/* false, not NULL: the masks are the schema's already */
		a.before_mask = json_object_get(bmask, k);
		a.after_mask = json_object_get(amask, k);
		if (!a.before_mask)
			a.before_mask = json_false();
		if (!a.after_mask)
			a.after_mask = json_false();
		a.forces = in_list(forces, k);
		ms_diff_attr_lines(out, &a, action, ATTR_INDENT, (int)w, flags);
	}
	ms_diff_hidden_line(out, unchanged, false, ATTR_INDENT, flags);
	free(sa);
	free(fl);
	free(keys);
	json_decref(bmask);
	json_decref(amask);
}

static void header(struct ms_buf *out, const json_t *c, enum ms_action action,
		   unsigned flags)
{
	const char *name = json_string_value(json_object_get(c, "name"));
	const char *type = json_string_value(json_object_get(c, "type"));
	const struct ms_resource_type *t = type ? ms_provider_find(type) : NULL;

	if (action == MS_ACTION_CREATE) {
		ms_diff_line(out, 0, " ", flags, "# %s will be created", name);
		ms_render_change_cost(out, c, flags);
		ms_diff_line(out, 2, "+", flags, "resource \"%s\" \"%s\" {",
			     type, name);
	} else if (action == MS_ACTION_UPDATE) {
		json_t *marked = json_object_get(c, "sensitive");
		/* the note sees no secret it could repeat */
		json_t *before = ms_sensitive_hidden(
			type, json_object_get(c, "before"), marked);
		json_t *after = ms_sensitive_hidden(
			type, json_object_get(c, "after"), marked);
		char *note = t && t->update_note ?
				     t->update_note(before, after) :
				     NULL;

		ms_diff_line(out, 0, " ", flags,
			     "# %s will be updated in place", name);
		if (note)
			ms_diff_line(out, 0, " ", flags, "# (%s)", note);
		free(note);
		json_decref(before);
		json_decref(after);
		ms_render_change_cost(out, c, flags);
		ms_diff_line(out, 2, "~", flags, "resource \"%s\" \"%s\" {",
			     type, name);
	} else if (action == MS_ACTION_REPLACE) {
		bool cbd = json_is_true(
			json_object_get(c, "create_before_destroy"));

		if (json_is_true(json_object_get(c, "tainted")))
			ms_diff_line(out, 0, " ", flags,
				     "# %s is tainted, so must be replaced",
				     name);
		else
			ms_diff_line(out, 0, " ", flags,
				     "# %s must be replaced", name);
		if (cbd)
			ms_diff_line(out, 0, " ", flags,
				     "# (the new object is created first; the "
				     "old one is destroyed once everything "
				     "that refers to it has moved)");
		ms_render_change_cost(out, c, flags);
		ms_diff_line(out, 0, cbd ? "+/-" : "-/+", flags,
			     "resource \"%s\" \"%s\" {", type, name);
	} else if (json_object_get(c, "deposed_of")) {
		ms_diff_line(
			out, 0, " ", flags,
			"# %s (deposed object) will be destroyed",
			json_string_value(json_object_get(c, "deposed_of")));
		ms_render_change_cost(out, c, flags);
		ms_diff_line(out, 2, "-", flags, "resource \"%s\" \"%s\" {",
			     type, name);
	} else {
		ms_diff_line(out, 0, " ", flags, "# %s will be destroyed",
			     name);
		if (t && t->delete_note)
			ms_diff_line(out, 0, " ", flags, "# (%s)",
				     t->delete_note);
		ms_render_change_cost(out, c, flags);
		ms_diff_line(out, 2, "-", flags, "resource \"%s\" \"%s\" {",
			     type, name);
	}
}

void ms_render_change(struct ms_buf *out, const json_t *c, unsigned flags)
{
	enum ms_action action = ms_render_action(c);

	if (action == MS_ACTION_NOOP)
		return;
	header(out, c, action, flags);
	attr_lines(out, json_string_value(json_object_get(c, "type")),
		   json_object_get(c, "before"), json_object_get(c, "after"),
		   json_object_get(c, "changed"), json_object_get(c, "forces"),
		   json_object_get(c, "sensitive"), action, flags);
	ms_diff_line(out, 2, " ", flags, "}");
}

void ms_render_drift(struct ms_buf *out, const json_t *d, unsigned flags)
{
	const char *name = json_string_value(json_object_get(d, "name"));
	const char *type = json_string_value(json_object_get(d, "type"));

	if (json_is_true(json_object_get(d, "deleted"))) {
		ms_diff_line(out, 0, " ", flags,
			     "# %s has been deleted outside of mlstack", name);
		ms_diff_line(out, 2, "-", flags, "resource \"%s\" \"%s\"", type,
			     name);
		return;
	}
	ms_diff_line(out, 0, " ", flags, "# %s has changed outside of mlstack",
		     name);
	ms_diff_line(out, 2, "~", flags, "resource \"%s\" \"%s\" {", type,
		     name);
	attr_lines(out, type, json_object_get(d, "before"),
		   json_object_get(d, "after"), json_object_get(d, "changed"),
		   NULL, json_object_get(d, "sensitive"), MS_ACTION_UPDATE,
		   flags);
	ms_diff_line(out, 2, " ", flags, "}");
}

static unsigned diff_flags(void)
{
	return color ? MS_DIFF_COLOR : 0;
}

static void drift_lines(FILE *f, const json_t *plan)
{
	struct ms_buf out = MS_BUF_INIT;
	json_t *d;
	size_t i;

	if (!json_array_size(json_object_get(plan, "drift")))
		return;
	fprintf(f, "%sObjects have changed outside of mlstack%s\n\n",
		paint(BOLD), paint(RESET));
	json_array_foreach(json_object_get(plan, "drift"), i, d) {
		ms_buf_reset(&out);
		ms_render_drift(&out, d, diff_flags());
		fprintf(f, "%s\n", out.ptr);
	}
	ms_buf_release(&out);
}

static void moved_lines(FILE *f, const json_t *plan)
{
	const char *from;
	json_t *to;

	json_object_foreach(json_object_get(plan, "moved"), from, to)
		fprintf(f, "  # %s has moved to %s\n\n", from,
			json_string_value(to));
}

/* What the lookups found (data:), read at plan time. */
static void lookup_lines(FILE *f, const json_t *plan)
{
	const char *name;
	json_t *v;

	if (!json_object_size(json_object_get(plan, "lookups")))
		return;
	fprintf(f, "Lookups read:\n");
	json_object_foreach(json_object_get(plan, "lookups"), name, v) {
		if (json_is_string(json_object_get(v, "id")))
			fprintf(f, "  <= data.%s (id = %s)\n", name,
				json_string_value(json_object_get(v, "id")));
		else
			fprintf(f, "  <= data.%s\n", name);
	}
	fprintf(f, "\n");
}

/*
 * A rule's first findings are shown, one a line; the rest are counted,
 * so that a rule many resources break does not bury the others (nor the
 * actions) and each rule broken is seen.
 */
#define WARNINGS_PER_RULE 5

/*
 * The plan's lint findings (docs/lint.md), before its actions, as the
 * Markdown plan has them at the top; they change neither what apply does
 * nor plan's exit code, and the summary stays the last line.
 */
static void warning_lines(FILE *f, struct ms_buf *b, const json_t *lint)
{
	struct {
		const char *rule;
		size_t n;
	} *rules = NULL;
	const json_t *x;
	const char *rule;
	size_t i, r, n_rules = 0;

	if (!json_array_size(lint))
		return;
	fprintf(f,
		"%sWarnings:%s %zu lint finding%s (mlstack lint tells "
		"more; lint: {ignore: {RULE: \"why\"}} on a resource "
		"suppresses one)\n",
		paint(YELLOW), paint(RESET), json_array_size(lint),
		json_array_size(lint) == 1 ? "" : "s");
	json_array_foreach(lint, i, x) {
		rule = json_string_value(json_object_get(x, "rule"));
		rule = rule ? rule : "";
		for (r = 0; r < n_rules && strcmp(rules[r].rule, rule); r++)
			;
		if (r == n_rules) {
			rules = ms_realloc(rules, ++n_rules * sizeof(*rules));
			rules[r].rule = rule;
			rules[r].n = 0;
		}
		if (++rules[r].n > WARNINGS_PER_RULE)
			continue;
		ms_buf_reset(b);
		ms_render_finding(b, x);
		fprintf(f, "  %s\n", b->ptr);
	}
	for (r = 0; r < n_rules; r++)
		if (rules[r].n > WARNINGS_PER_RULE)
			fprintf(f,
				"  and %zu more %s finding%s (mlstack lint "
				"lists them all)\n",
				rules[r].n - WARNINGS_PER_RULE, rules[r].rule,
				rules[r].n - WARNINGS_PER_RULE == 1 ? "" : "s");
	fputc('\n', f);
	free(rules);
}

/* Below this many changes one thread renders them all. */
#define SPLIT_AT 256

/* changes [from, to) into texts[0, to - from) (no-ops stay empty) */
struct render_part {
	const json_t *changes;
	size_t from, to;
	struct ms_buf *texts;
	pthread_t thread;
	bool threaded;
};

static void *render_part(void *arg)
{
	const struct render_part *p = arg;
	const json_t *c;
	size_t i;

	for (i = p->from; i < p->to; i++) {
		c = json_array_get(p->changes, i);
		if (ms_render_action(c) != MS_ACTION_NOOP)
			ms_render_change(&p->texts[i - p->from], c,
					 diff_flags());
	}
	return NULL;
}

/*
 * The second half of many changes is rendered on a second thread while
 * this one renders the first and prints it change by change (rendering
 * was a fifth of a large plan's time, and reads the plan only); only
 * the second half's text is held until it is printed. The text is the
 * same either way. p->from: where the second half starts (n: none).
 */
static void second_half_start(struct render_part *p, const json_t *changes)
{
	size_t i, n = json_array_size(changes);

	p->changes = changes;
	p->from = n >= SPLIT_AT ? n / 2 : n;
	p->to = n;
	p->texts = ms_calloc(p->to - p->from + 1, sizeof(*p->texts));
	for (i = 0; i < p->to - p->from; i++)
		ms_buf_init(&p->texts[i], 0);
	p->threaded = p->from < n &&
		      !pthread_create(&p->thread, NULL, render_part, p);
	if (!p->threaded)
		p->from = n;
}

/* change i's text: rendered now into b, or the second half's */
static const struct ms_buf *change_text(struct render_part *p, size_t i,
					struct ms_buf *b)
{
	if (i < p->from) {
		ms_buf_reset(b);
		ms_render_change(b, json_array_get(p->changes, i),
				 diff_flags());
		return b;
	}
	if (p->threaded) {
		pthread_join(p->thread, NULL);
		p->threaded = false;
	}
	return &p->texts[i - p->from];
}

static void second_half_end(struct render_part *p)
{
	size_t i;

	if (p->threaded)
		pthread_join(p->thread, NULL);
	for (i = 0; i < p->to - p->from; i++)
		ms_buf_release(&p->texts[i]);
	free(p->texts);
}

void ms_render_plan(FILE *f, const json_t *plan)
{
	struct ms_buf out = MS_BUF_INIT, one = MS_BUF_INIT;
	const struct ms_buf *text;
	struct render_part second;
	json_t *offline = json_object_get(plan, "offline");
	json_t *changes = json_object_get(plan, "changes");
	int add = 0, change = 0, destroy = 0;
	bool any = false;
	json_t *c;
	size_t i;

	if (offline)
		fprintf(f,
			"Offline: the stack file at %s against %s. No AWS "
			"call was made; computed values are as the state "
			"records them.\n\n",
			json_string_value(json_object_get(offline, "from")),
			json_string_value(json_object_get(offline, "to")));
	drift_lines(f, plan);
	moved_lines(f, plan);
	lookup_lines(f, plan);
	warning_lines(f, &out, json_object_get(plan, "lint"));
	second_half_start(&second, changes);
	json_array_foreach(changes, i, c) {
		enum ms_action action = ms_render_action(c);

		if (action == MS_ACTION_NOOP)
			continue;
		if (!any)
			fprintf(f, offline ? "Applied after the older "
					     "revision, the newer would "
					     "perform the following "
					     "actions:\n\n" :
					     "mlstack will perform the "
					     "following actions:\n\n");
		any = true;
		text = change_text(&second, i, &one);
		fwrite(text->ptr, 1, text->len, f);
		fputc('\n', f);
		if (text != &one)
			ms_buf_release(&second.texts[i - second.from]);
		if (action == MS_ACTION_CREATE)
			add++;
		else if (action == MS_ACTION_UPDATE)
			change++;
		else if (action == MS_ACTION_DELETE)
			destroy++;
		else {
			add++;
			destroy++;
		}
	}
	second_half_end(&second);
	if (!any && offline)
		fprintf(f, "No changes between the two revisions.\n");
	else if (!any)
		fprintf(f, "No changes. Your infrastructure matches the "
			   "configuration.\n");
	else
		ms_render_plan_cost(f, plan, diff_flags());
	if (any)
		fprintf(f, "%s%s:%s %d to add, %d to change, %d to destroy.\n",
			paint(BOLD), offline ? "Diff" : "Plan", paint(RESET),
			add, change, destroy);
	ms_buf_release(&one);
	ms_buf_release(&out);
}

void ms_render_event(FILE *f, const char *name, const char *text)
{
	fprintf(f, "%s%s:%s %s\n", paint(BOLD), name, paint(RESET), text);
	fflush(f);
}

void ms_render_failure(FILE *f, const char *name, const char *error)
{
	fprintf(f, "%sError:%s %s: %s\n", paint(RED), paint(RESET), name,
		error && *error ? error : "failed");
	fflush(f);
}

void ms_render_summary(FILE *f, bool destroy, int added, int changed,
		       int destroyed)
{
	if (destroy)
		fprintf(f, "%sDestroy complete!%s Resources: %d destroyed.\n",
			paint(GREEN), paint(RESET), destroyed);
	else
		fprintf(f,
			"%sApply complete!%s Resources: %d added, %d "
			"changed, %d destroyed.\n",
			paint(GREEN), paint(RESET), added, changed, destroyed);
}

const char *ms_render_duration(double seconds)
{
	static char buf[32];
	long s = (long)seconds;

	if (s >= 3600)
		snprintf(buf, sizeof(buf), "%ldh%ldm%lds", s / 3600,
			 (s % 3600) / 60, s % 60);
	else if (s >= 60)
		snprintf(buf, sizeof(buf), "%ldm%lds", s / 60, s % 60);
	else
		snprintf(buf, sizeof(buf), "%lds", s);
	return buf;
}

void ms_render_resource(FILE *f, const char *name, const json_t *stored)
{
	const char *type = json_string_value(json_object_get(stored, "type"));
	json_t *attrs =
		ms_sensitive_hidden(type, json_object_get(stored, "attributes"),
				    json_object_get(stored, "sensitive"));
	json_t *keys = json_array(), *v;
	const char *key;
	size_t i, w;

	fprintf(f, "# %s:%s\nresource \"%s\" \"%s\" {\n", name,
		json_is_true(json_object_get(stored, "tainted")) ?
			" (tainted)" :
			"",
		type ? type : "", name);
	json_object_foreach(attrs, key, v)
		json_array_append_new(keys, json_string(key));
	keys = ms_json_sorted_set(keys);
	w = key_width(attrs, NULL);
	json_array_foreach(keys, i, v) {
		struct ms_buf line = MS_BUF_INIT;
		const char *k = json_string_value(v);

		if (ms_render_flags(type, k) & MS_ATTR_INTERNAL)
			continue;
		ms_diff_value_text(&line, type, k, json_object_get(attrs, k));
		fprintf(f, "    %-*s = %s\n", (int)w, k, line.ptr);
		ms_buf_release(&line);
	}
	fprintf(f, "}\n");
	json_array_foreach(json_object_get(stored, "deposed"), i, v)
		fprintf(f, "# deposed, to be destroyed: %s\n",
			json_string_value(json_object_get(v, "id")) ?
				json_string_value(json_object_get(v, "id")) :
				"(no id)");
	json_decref(keys);
	json_decref(attrs);
}
