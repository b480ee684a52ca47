/*
 * lint.c - the lint driver: evaluate the stack offline, run every service
 * group's rules on every resource, place each finding in the stack file.
 *
 * Rules see what the stack asks for, not what AWS holds: each resource's
 * properties are evaluated as a plan would for a new object, with no AWS
 * call (engine->offline), defaults filled, and everything AWS computes
 * unknown. A rule that cannot tell (an unknown value) stays silent, so a
 * finding is always about a value the stack itself sets or leaves to a
 * default. plan runs the same, so its warnings are lint's findings.
 */
#include "util/common.h"
#include "util/json.h"
#include "engine/internal.h"
#include "engine/lint_internal.h"
#include "engine/expr.h"

static const struct ms_lint_group *const groups[] = {
	&ms_lint_ec2,
	&ms_lint_iam,
	&ms_lint_s3,
	&ms_lint_sagemaker,
};

static const char *const severity_names[] = {
	[MS_LINT_LOW] = "low",
	[MS_LINT_MEDIUM] = "medium",
	[MS_LINT_HIGH] = "high",
	[MS_LINT_CRITICAL] = "critical",
};

const char *ms_lint_severity_name(enum ms_lint_severity s)
{
	return (size_t)s < MS_ARRAY_SIZE(severity_names) ? severity_names[s] :
							   "?";
}

int ms_lint_severity_parse(const char *word)
{
	size_t i;

	for (i = 0; word && i < MS_ARRAY_SIZE(severity_names); i++)
		if (!strcmp(word, severity_names[i]))
			return (int)i;
	return -1;
}

const struct ms_lint_rule *ms_lint_rule_at(size_t i)
{
	const struct ms_lint_rule *r;
	size_t g;

	for (g = 0; g < MS_ARRAY_SIZE(groups); g++)
		for (r = groups[g]->rules; r->id; r++)
			if (!i--)
				return r;
	return NULL;
}

const struct ms_lint_rule *ms_lint_rule_find(const char *id)
{
	const struct ms_lint_rule *r;
	size_t g;

	for (g = 0; id && g < MS_ARRAY_SIZE(groups); g++)
		for (r = groups[g]->rules; r->id; r++)
			if (!strcmp(r->id, id))
				return r;
	return NULL;
}

bool ms_lint_rule_applies(const struct ms_lint_rule *rule, const char *type)
{
	const char *p = rule->types;
	size_t n = strlen(type);

	while ((p = strstr(p, type))) {
		if ((p == rule->types || p[-1] == ' ') &&
		    (p[n] == ' ' || !p[n]))
			return true;
		p += n;
	}
	return false;
}

/* Values */

const json_t *ms_lint_get(const json_t *obj, const char *key)
{
	const json_t *v = json_is_object(obj) && !ms_is_unknown(obj) ?
				  json_object_get(obj, key) :
				  NULL;

	return v && !ms_is_unknown(v) ? v : NULL;
}

const char *ms_lint_str(const json_t *obj, const char *key)
{
	return json_string_value(ms_lint_get(obj, key));
}

int ms_lint_bool(const json_t *obj, const char *key)
{
	const json_t *v = ms_lint_get(obj, key);

	return json_is_boolean(v) ? json_is_true(v) : -1;
}

bool ms_lint_number(const json_t *obj, const char *key, double *out)
{
	const json_t *v = ms_lint_get(obj, key);

	if (!json_is_number(v))
		return false;
	*out = json_number_value(v);
	return true;
}

bool ms_lint_written(const struct ms_lint_res *r, const char *attr)
{
	const json_t *v = r->r->properties;
	const char *p = attr, *dot;
	char *key;

	while (v && *p) {
		dot = strchr(p, '.');
		key = dot ? ms_strndup(p, (size_t)(dot - p)) : ms_strdup(p);
		v = json_is_object(v) ? json_object_get(v, key) : NULL;
		free(key);
		p = dot ? dot + 1 : p + strlen(p);
	}
	return v && !json_is_null(v);
}

/* Findings */

/*
 * The length of the longest leading part of at ("a.b[2].c") that the
 * stack file writes in props, 0 when it writes none of it.
 */
static size_t written(const json_t *props, const char *at)
{
	const json_t *v = props;
	const char *p = at;
	size_t len = 0;

	while (*p) {
		const char *end;
		char *key;

		if (*p == '[') {
			char *stop;
			unsigned long i = strtoul(p + 1, &stop, 10);

			if (*stop != ']' || !json_is_array(v) ||
			    !(v = json_array_get(v, i)))
				break;
			end = stop + 1;
		} else {
			for (end = p + (*p == '.');
			     *end && *end != '.' && *end != '['; end++)
				;
			key = ms_strndup(p + (*p == '.'),
					 (size_t)(end - p - (*p == '.')));
			v = json_is_object(v) ? json_object_get(v, key) : NULL;
			free(key);
			if (!v)
				break;
		}
		p = end;
		len = (size_t)(p - at);
	}
	return len;
}

/*
 * The key mark of the deepest part of at that the stack file writes, or
 * of the resource itself when it writes none of it. The file is read
 * again for marks only when a finding names a part it writes.
 */
static void position(const struct ms_stack *s, const struct ms_resource *r,
		     const char *at, int *line, int *col)
{
	struct ms_buf p = MS_BUF_INIT;
	size_t base, len = at ? written(r->properties, at) : 0;

	*line = r->line;
	*col = r->col;
	if (!len)
		return;
	ms_buf_addf(&p, "resources.%s.properties", r->name);
	base = p.len;
	ms_buf_addf(&p, "%s%.*s", *at == '[' ? "" : ".", (int)len, at);
	/* the nearest mark below the properties (read on first need) */
	if (!ms_stack_mark_under(s, p.ptr, base + 1, line, col)) {
		*line = r->line;
		*col = r->col;
	}
	ms_buf_release(&p);
}

/*
 * A rule's words as JSON strings, made at its first finding and shared by
 * its others (thousands of resources may break one rule).
 */
struct ms_lint_texts {
	const struct ms_lint_rule *rule;
	json_t *id, *severity, *title, *checkov, *fix;
};

static const struct ms_lint_texts *texts_of(struct ms_lint *L,
					    const struct ms_lint_rule *def)
{
	struct ms_lint_texts *t;
	size_t i;

	for (i = 0; i < L->n_texts; i++)
		if (L->texts[i].rule == def)
			return &L->texts[i];
	L->texts = ms_realloc(L->texts, (L->n_texts + 1) * sizeof(*L->texts));
	t = &L->texts[L->n_texts++];
	t->rule = def;
	t->id = json_string_nocheck(def->id);
	t->severity = json_string_nocheck(ms_lint_severity_name(def->severity));
	t->title = json_string_nocheck(def->title);
	t->checkov = def->checkov ? json_string_nocheck(def->checkov) : NULL;
	t->fix = json_string_nocheck(def->fix);
	return t;
}

static void texts_release(struct ms_lint *L)
{
	size_t i;

	for (i = 0; i < L->n_texts; i++) {
		json_decref(L->texts[i].id);
		json_decref(L->texts[i].severity);
		json_decref(L->texts[i].title);
		json_decref(L->texts[i].checkov);
		json_decref(L->texts[i].fix);
	}
	free(L->texts);
	L->texts = NULL;
	L->n_texts = 0;
	json_decref(L->file);
	L->file = NULL;
}

void ms_lint_report(struct ms_lint *L, const struct ms_lint_res *r,
		    const char *rule, const char *at, const char *fix,
		    json_t *suggestion, const char *fmt, ...)
{
	/* the rules' text and the stack's names are UTF-8: _nocheck */
	const struct ms_lint_rule *def = ms_lint_rule_find(rule);
	const struct ms_lint_texts *t;
	struct ms_buf msg = MS_BUF_INIT;
	json_t *f, *why;
	va_list ap;
	int line, col;

	if (!def) { /* a rule file names a rule it does not list */
		json_decref(suggestion);
		return;
	}
	va_start(ap, fmt);
	ms_buf_vaddf(&msg, fmt, ap);
	va_end(ap);
	position(L->stack, r->r, at, &line, &col);
	t = texts_of(L, def);
	/* the path as given (-f), which need not be UTF-8 */
	if (!L->file)
		L->file = json_string(L->stack->file);
	f = json_object();
	json_object_set_nocheck(f, "rule", t->id);
	json_object_set_nocheck(f, "severity", t->severity);
	json_object_set_nocheck(f, "title", t->title);
	if (t->checkov)
		json_object_set_nocheck(f, "checkov", t->checkov);
	json_object_set_new_nocheck(f, "resource",
				    json_string_nocheck(r->r->name));
	json_object_set_new_nocheck(f, "type", json_string_nocheck(r->r->type));
	if (at)
		json_object_set_new_nocheck(f, "attribute",
					    json_string_nocheck(at));
	json_object_set(f, "file", L->file);
	json_object_set_new_nocheck(f, "line", json_integer(line));
	json_object_set_new_nocheck(f, "column", json_integer(col));
	json_object_set_new_nocheck(f, "message",
				    json_stringn_nocheck(msg.ptr, msg.len));
	if (fix)
		json_object_set_new_nocheck(f, "fix", json_string_nocheck(fix));
	else
		json_object_set_nocheck(f, "fix", t->fix);
	if (suggestion)
		json_object_set_new_nocheck(f, "suggestion", suggestion);
	why = json_object_get(r->r->lint_ignore, def->id);
	if (json_is_string(why))
		json_object_set_nocheck(f, "suppressed", why);
	json_array_append_new(L->findings, f);
	ms_buf_release(&msg);
}

/* A finding's place in the order: by position, then by its words. */
struct sort_key {
	json_int_t line, column;
	const char *words[3]; /* rule, resource, message */
	json_t *finding;
};

static int cmp_finding(const void *a, const void *b)
{
	const struct sort_key *x = a, *y = b;
	size_t i;
	int c;

	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	if (x->column != y->column)
		return x->column < y->column ? -1 : 1;
	for (i = 0; i < MS_ARRAY_SIZE(x->words); i++)
		if ((c = strcmp(x->words[i], y->words[i])))
			return c;
	return 0;
}

static json_t *sorted(json_t *findings)
{
	static const char *const words[] = { "rule", "resource", "message" };
	size_t i, w, n = json_array_size(findings);
	struct sort_key *k = ms_calloc(n + 1, sizeof(*k));
	json_t *out = json_array();
	bool in_order = true;

	for (i = 0; i < n; i++) {
		json_t *f = json_array_get(findings, i);

		k[i].line = json_integer_value(json_object_get(f, "line"));
		k[i].column = json_integer_value(json_object_get(f, "column"));
		for (w = 0; w < MS_ARRAY_SIZE(words); w++)
			k[i].words[w] =
				json_string_value(json_object_get(f, words[w]));
		k[i].finding = f;
		in_order &= !i || cmp_finding(&k[i - 1], &k[i]) <= 0;
	}
	/* the rules run resource by resource: mostly in order already */
	if (!in_order)
		qsort(k, n, sizeof(*k), cmp_finding);
	for (i = 0; i < n; i++)
		json_array_append(out, k[i].finding);
	free(k);
	json_decref(findings);
	return out;
}

/* Evaluation */

/* What AWS computes is unknown, as for an object not made yet. */
static void fill_computed(const struct ms_resource_type *t, json_t *after)
{
	const struct ms_attr *a;

	for (a = t->schema; a->name; a++)
		if ((a->flags &
		     (MS_ATTR_COMPUTED | MS_ATTR_OPTIONAL_COMPUTED)) &&
		    !json_object_get(after, a->name))
			json_object_set_new(after, a->name, ms_unknown_new());
}

/* r's desired attributes, offline; *out new. */
static int desired(struct ms_engine *e, const struct ms_resource *r,
		   const json_t *values, json_t **out)
{
	const struct ms_resource_type *t = ms_provider_find(r->type);
	json_t *props = NULL, *after = NULL;
	char *where = NULL;
	int err;

	*out = NULL;
	if (!t)
		return ms_error("resource \"%s\": unknown type \"%s\"", r->name,
				r->type);
	err = ms_engine_eval_properties(e, &props, NULL, r->name, r->properties,
					e->stack->variables, values);
	if (!err && ms_engine_desired(&after, t, e->stack->name, r->name, props,
				      e->stack->tags, NULL, &where))
		err = ms_engine_fail_at(e, NULL, r->name, where);
	if (!err && ms_engine_local(e, t, after, NULL, NULL))
		err = ms_error("resource \"%s\": %s", r->name, ms_error_last());
	if (!err) {
		fill_computed(t, after);
		*out = after;
		after = NULL;
	}
	free(where);
	json_decref(props);
	json_decref(after);
	return err;
}

int ms_engine_lint(struct ms_engine *e, json_t **out)
{
	struct ms_lint L = { e->stack, NULL, 0, json_array() };
	json_t *values = json_object();
	const struct ms_resource *r;
	size_t *order = NULL, i, g, n = e->stack->n_resources;
	bool was = e->offline;
	int err = -1;

	*out = NULL;
	e->offline = true;
	L.res = ms_calloc(n + 1, sizeof(*L.res));
	for (i = 0; i < n; i++)
		L.res[i].r = &e->stack->resources[i];
	L.n = n;
	if (ms_graph_order(e->graph, &order))
		goto done;
	for (i = 0; i < n; i++) {
		r = &e->stack->resources[order[i]];
		if (desired(e, r, values, &L.res[order[i]].attrs))
			goto done;
		json_object_set_nocheck(values, r->name, L.res[order[i]].attrs);
	}
	for (i = 0; i < n; i++)
		for (g = 0; g < MS_ARRAY_SIZE(groups); g++)
			groups[g]->check(&L, &L.res[i]);
	*out = sorted(L.findings);
	L.findings = NULL;
	err = 0;
done:
	e->offline = was;
	for (g = 0; g < MS_ARRAY_SIZE(groups); g++)
		if (groups[g]->release)
			groups[g]->release(&L);
	for (i = 0; i < n; i++)
		json_decref(L.res[i].attrs);
	free(L.res);
	free(order);
	/* the values, with each resource's: a plan waits for the lint's end */
	ms_json_release_later(values);
	json_decref(L.findings);
	texts_release(&L);
	return err;
}
