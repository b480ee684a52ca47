/*
 * render.c - text and JSON views of plans and state.
 *
 * Values print as compact JSON, which reads well for strings, lists and
 * the small maps (tags) these resources hold. Sensitive attributes print
 * as "(sensitive)" and unknown ones as "(known after apply)", everywhere.
 */
#include "util/common.h"
#include "engine/engine.h"
#include "engine/render.h"
#include "engine/expr.h"
#include "engine/sensitive.h"
#include "providers/provider.h"
#include "util/json.h"

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
#define YELLOW "\033[33m"
#define RED    "\033[31m"
#define BOLD   "\033[1m"
#define RESET  "\033[0m"

unsigned ms_render_flags(const char *type, const char *attr)
{
	const struct ms_resource_type *t = ms_provider_find(type ? type : "");
	const struct ms_attr *a = t ? ms_provider_attr(t, attr) : NULL;

	return a ? a->flags : 0;
}

static bool sensitive(const char *type, const char *attr)
{
	return ms_render_flags(type, attr) & MS_ATTR_SENSITIVE;
}

/* 512 B, 3.1 KiB, 1.08 GiB */
static void bytes_text(struct ms_buf *b, double n)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	size_t u = 0;

	while (n >= 1024 && u + 1 < MS_ARRAY_SIZE(units)) {
		n /= 1024;
		u++;
	}
	if (!u)
		ms_buf_addf(b, "%.0f B", n);
	else
		ms_buf_addf(b, "%.*f %s", n < 10 ? 2 : 1, n, units[u]);
}

/* The bytes of a manifest entry ("<etag> <bytes>"). */
static double entry_bytes(const json_t *v)
{
	const char *s = json_string_value(v), *sp = s ? strrchr(s, ' ') : NULL;

	return sp ? strtod(sp + 1, NULL) : 0;
}

/* "8351 objects (1.08 GiB)" */
static void manifest_text(struct ms_buf *b, const json_t *m)
{
	const char *key;
	json_t *v;
	double bytes = 0;

	json_object_foreach((json_t *)m, key, v)
		bytes += entry_bytes(v);
	ms_buf_addf(b, "%zu object%s (", json_object_size(m),
		    json_object_size(m) == 1 ? "" : "s");
	bytes_text(b, bytes);
	ms_buf_addch(b, ')');
}

#define MANIFEST_SHOWN 5 /* keys listed of each kind of change */

/*
 * What a manifest change moves: the objects added, changed and removed,
 * with their sizes (after's, before's for removals) and the first keys of
 * each, in key order.
 */
static void manifest_lines(FILE *f, const json_t *before, const json_t *after)
{
	static const char *const words[] = { "objects", "changed", "removed" };
	static const char signs[] = { '+', '~', '-' };
	const char *const colors[] = { GREEN, YELLOW, RED };
	json_t *keys[3] = { json_array(), json_array(), json_array() }, *v;
	double bytes[3] = { 0, 0, 0 };
	const char *key;
	size_t i, k;

	if (!json_is_object(before))
		before = NULL;
	if (!json_is_object(after) || ms_has_unknown(after))
		after = NULL;
	json_object_foreach((json_t *)after, key, v) {
		json_t *was = json_object_get(before, key);

		if (was && json_equal(was, v))
			continue;
		k = was ? 1 : 0;
		json_array_append_new(keys[k], json_string(key));
		bytes[k] += entry_bytes(v);
	}
	/* an unknown after removes nothing that is known yet */
	json_object_foreach((json_t *)(after ? before : NULL), key, v) {
		if (json_object_get(after, key))
			continue;
		json_array_append_new(keys[2], json_string(key));
		bytes[2] += entry_bytes(v);
	}
	for (k = 0; k < 3; k++) {
		struct ms_buf line = MS_BUF_INIT;
		size_t n = json_array_size(keys[k]);

		if (!n) {
			json_decref(keys[k]);
			continue;
		}
		keys[k] = ms_json_sorted_set(keys[k]);
		bytes_text(&line, bytes[k]);
		fprintf(f, "          %s%c%s %zu %s (%s)\n", paint(colors[k]),
			signs[k], paint(RESET), n,
			k == 0 && n == 1 ? "object" : words[k], line.ptr);
		for (i = 0; i < n && i < MANIFEST_SHOWN; i++)
			fprintf(f, "              %s%c%s %s\n",
				paint(colors[k]), signs[k], paint(RESET),
				json_string_value(json_array_get(keys[k], i)));
		if (n > MANIFEST_SHOWN)
			fprintf(f, "              # (%zu more)\n",
				n - MANIFEST_SHOWN);
		ms_buf_release(&line);
		json_decref(keys[k]);
	}
}

/* Compact JSON text, each hidden part printed as (sensitive). */
static void sensitive_text(struct ms_buf *b, const char *s)
{
	static const char marker[] = "{\"" MS_SENSITIVE_KEY "\":true}";
	const char *p;

	while ((p = strstr(s, marker))) {
		ms_buf_add(b, s, (size_t)(p - s));
		ms_buf_adds(b, "(sensitive)");
		s = p + sizeof(marker) - 1;
	}
	ms_buf_adds(b, s);
}

static void value_text(struct ms_buf *b, const char *type, const char *attr,
		       const json_t *v)
{
	char *s;

	if (!v) {
		ms_buf_adds(b, "null");
		return;
	}
	if (sensitive(type, attr) || ms_is_sensitive_marker(v)) {
		ms_buf_adds(b, "(sensitive)");
		return;
	}
	if (ms_has_unknown(v)) {
		ms_buf_adds(b, "(known after apply)");
		return;
	}
	if ((ms_render_flags(type, attr) & MS_ATTR_MANIFEST) &&
	    json_is_object(v)) {
		manifest_text(b, v);
		return;
	}
	s = ms_json_compact(v);
	sensitive_text(b, s);
	free(s);
}

static bool in_list(const json_t *list, const char *s)
{
	json_t *v;
	size_t i;

	json_array_foreach(list, i, v)
		if (!strcmp(json_string_value(v), s))
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

static void attr_lines(FILE *f, const json_t *c, enum ms_action action)
{
	const char *type = json_string_value(json_object_get(c, "type"));
	json_t *before = json_object_get(c, "before");
	json_t *after = json_object_get(c, "after");
	json_t *changed = json_object_get(c, "changed");
	json_t *forces = json_object_get(c, "forces");
	json_t *keys = json_array(), *v;
	const char *key;
	size_t i, w;

	if (action == MS_ACTION_DELETE)
		json_object_foreach(before, key, v)
			json_array_append_new(keys, json_string(key));
	else
		json_object_foreach(after, key, v)
			json_array_append_new(keys, json_string(key));
	keys = ms_json_sorted_set(keys);
	w = key_width(json_is_object(after) ? after : NULL,
		      json_is_object(before) ? before : NULL);

	json_array_foreach(keys, i, v) {
		struct ms_buf line = MS_BUF_INIT;
		const char *k = json_string_value(v);
		json_t *x = json_object_get(before, k);
		json_t *y = json_object_get(after, k);

		if (ms_render_flags(type, k) & MS_ATTR_INTERNAL) {
			continue;
		} else if (action == MS_ACTION_DELETE) {
			value_text(&line, type, k, x);
			fprintf(f, "      %s-%s %-*s = %s\n", paint(RED),
				paint(RESET), (int)w, k, line.ptr);
		} else if (action == MS_ACTION_CREATE) {
			value_text(&line, type, k, y);
			fprintf(f, "      %s+%s %-*s = %s\n", paint(GREEN),
				paint(RESET), (int)w, k, line.ptr);
			if (ms_render_flags(type, k) & MS_ATTR_MANIFEST)
				manifest_lines(f, NULL, y);
		} else if (in_list(changed, k) ||
			   (x && y && ms_has_unknown(y) && !ms_has_unknown(x) &&
			    action == MS_ACTION_REPLACE)) {
			if (x) {
				value_text(&line, type, k, x);
				ms_buf_adds(&line, " -> ");
			}
			value_text(&line, type, k, y);
			if (in_list(forces, k))
				ms_buf_adds(&line, " # forces replacement");
			fprintf(f, "      %s~%s %-*s = %s\n", paint(YELLOW),
				paint(RESET), (int)w, k, line.ptr);
			if (ms_render_flags(type, k) & MS_ATTR_MANIFEST)
				manifest_lines(f, x, y);
		}
		ms_buf_release(&line);
	}
	json_decref(keys);
}

static void header(FILE *f, const json_t *c, enum ms_action action)
{
	const char *name = json_string_value(json_object_get(c, "name"));
	const char *type = json_string_value(json_object_get(c, "type"));
	const struct ms_resource_type *t = type ? ms_provider_find(type) : NULL;

	if (action == MS_ACTION_CREATE) {
		fprintf(f, "  # %s will be created\n", name);
		fprintf(f, "  %s+%s resource \"%s\" \"%s\" {\n", paint(GREEN),
			paint(RESET), type, name);
	} else if (action == MS_ACTION_UPDATE) {
		char *note =
			t && t->update_note ?
				t->update_note(json_object_get(c, "before"),
					       json_object_get(c, "after")) :
				NULL;

		fprintf(f, "  # %s will be updated in place\n", name);
		if (note)
			fprintf(f, "  # (%s)\n", note);
		free(note);
		fprintf(f, "  %s~%s resource \"%s\" \"%s\" {\n", paint(YELLOW),
			paint(RESET), type, name);
	} else if (action == MS_ACTION_REPLACE) {
		bool cbd = json_is_true(
			json_object_get(c, "create_before_destroy"));

		if (json_is_true(json_object_get(c, "tainted")))
			fprintf(f, "  # %s is tainted, so must be replaced\n",
				name);
		else
			fprintf(f, "  # %s must be replaced\n", name);
		if (cbd)
			fprintf(f, "  # (the new object is created first; the "
				   "old one is destroyed once everything "
				   "that refers to it has moved)\n");
		fprintf(f, "%s%s%s resource \"%s\" \"%s\" {\n", paint(RED),
			cbd ? "+/-" : "-/+", paint(RESET), type, name);
	} else if (json_object_get(c, "deposed_of")) {
		fprintf(f, "  # %s (deposed object) will be destroyed\n",
			json_string_value(json_object_get(c, "deposed_of")));
		fprintf(f, "  %s-%s resource \"%s\" \"%s\" {\n", paint(RED),
			paint(RESET), type, name);
	} else {
		fprintf(f, "  # %s will be destroyed\n", name);
		if (t && t->delete_note)
			fprintf(f, "  # (%s)\n", t->delete_note);
		fprintf(f, "  %s-%s resource \"%s\" \"%s\" {\n", paint(RED),
			paint(RESET), type, name);
	}
}

void ms_render_drift(FILE *f, const json_t *d)
{
	const char *name = json_string_value(json_object_get(d, "name"));
	const char *type = json_string_value(json_object_get(d, "type"));
	json_t *v, *before, *after;
	size_t k;

	if (json_is_true(json_object_get(d, "deleted"))) {
		fprintf(f, "  # %s has been deleted outside of mlstack\n",
			name);
		fprintf(f, "  %s-%s resource \"%s\" \"%s\"\n", paint(RED),
			paint(RESET), type, name);
		return;
	}
	fprintf(f, "  # %s has changed outside of mlstack\n", name);
	fprintf(f, "  %s~%s resource \"%s\" \"%s\" {\n", paint(YELLOW),
		paint(RESET), type, name);
	before = ms_sensitive_hidden(type, json_object_get(d, "before"),
				     json_object_get(d, "sensitive"));
	after = ms_sensitive_hidden(type, json_object_get(d, "after"),
				    json_object_get(d, "sensitive"));
	json_array_foreach(json_object_get(d, "changed"), k, v) {
		struct ms_buf line = MS_BUF_INIT;
		const char *attr = json_string_value(v);

		value_text(&line, type, attr, json_object_get(before, attr));
		ms_buf_adds(&line, " -> ");
		value_text(&line, type, attr, json_object_get(after, attr));
		fprintf(f, "      %s~%s %s = %s\n", paint(YELLOW), paint(RESET),
			attr, line.ptr);
		if (ms_render_flags(type, attr) & MS_ATTR_MANIFEST)
			manifest_lines(
				f,
				json_object_get(json_object_get(d, "before"),
						attr),
				json_object_get(json_object_get(d, "after"),
						attr));
		ms_buf_release(&line);
	}
	json_decref(before);
	json_decref(after);
	fprintf(f, "    }\n");
}

static void drift_lines(FILE *f, const json_t *plan)
{
	json_t *d;
	size_t i;

	if (!json_array_size(json_object_get(plan, "drift")))
		return;
	fprintf(f, "%sObjects have changed outside of mlstack%s\n\n",
		paint(BOLD), paint(RESET));
	json_array_foreach(json_object_get(plan, "drift"), i, d) {
		ms_render_drift(f, d);
		fprintf(f, "\n");
	}
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

/* A change whose before and after have their sensitive parts hidden. */
static json_t *hidden_change(const json_t *c)
{
	const char *type = json_string_value(json_object_get(c, "type"));
	json_t *out = json_copy((json_t *)c);
	const char *which[] = { "before", "after" };
	size_t i;

	for (i = 0; i < 2; i++)
		if (json_is_object(json_object_get(c, which[i])))
			json_object_set_new(
				out, which[i],
				ms_sensitive_hidden(
					type, json_object_get(c, which[i]),
					json_object_get(c, "sensitive")));
	return out;
}

void ms_render_change(FILE *f, const json_t *c)
{
	enum ms_action action = ms_render_action(c);
	json_t *shown_c = hidden_change(c);

	header(f, shown_c, action);
	attr_lines(f, shown_c, action);
	json_decref(shown_c);
	fprintf(f, "    }\n");
}

void ms_render_plan(FILE *f, const json_t *plan)
{
	json_t *offline = json_object_get(plan, "offline");
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
	json_array_foreach(json_object_get(plan, "changes"), i, c) {
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
		ms_render_change(f, c);
		fprintf(f, "\n");
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
	if (!any && offline)
		fprintf(f, "No changes between the two revisions.\n");
	else if (!any)
		fprintf(f, "No changes. Your infrastructure matches the "
			   "configuration.\n");
	else
		fprintf(f, "%s%s:%s %d to add, %d to change, %d to destroy.\n",
			paint(BOLD), offline ? "Diff" : "Plan", paint(RESET),
			add, change, destroy);
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
		value_text(&line, type, k, json_object_get(attrs, k));
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
