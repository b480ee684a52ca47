/*
 * stack_schema.c - values against attribute schemas: type checks and the
 * conversions Terraform users expect (a number where a string is wanted
 * becomes its text, "3600" where a number is wanted becomes 3600), and
 * timeout durations.
 *
 * Problems are collected, never returned one at a time: the loader wants
 * every one of them, each at its own line. A value holding references is
 * checked only as far as its shape is known now; the plan checks again
 * after evaluation.
 */
#include "util/common.h"
#include "engine/stack.h"
#include "engine/expr.h"
#include "providers/provider.h"

#include <ctype.h>
#include <math.h>

struct checker {
	const json_t *raw;
	json_t *problems;
	bool failed;
};

static void report(struct checker *k, const char *rel, const char *at,
		   const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void report(struct checker *k, const char *rel, const char *at,
		   const char *fmt, ...)
{
	struct ms_buf b = MS_BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	ms_buf_vaddf(&b, fmt, ap);
	va_end(ap);
	json_array_append_new(k->problems,
			      json_pack("{s:s, s:s, s:s}", "path", rel, "at",
					at, "message", b.ptr));
	ms_buf_release(&b);
	k->failed = true;
}

static const char *expected(enum ms_attr_type t)
{
	switch (t) {
	case MS_ATTR_STRING:
		return "a string";
	case MS_ATTR_NUMBER:
		return "a number";
	case MS_ATTR_BOOL:
		return "a bool";
	case MS_ATTR_LIST:
		return "a list";
	default:
		return "a map";
	}
}

/* What was given, for "expected X, got Y": strings are quoted. */
static void got(struct ms_buf *b, const json_t *v)
{
	const char *s = json_string_value(v);

	if (!s)
		ms_buf_adds(b, ms_expr_kind(v));
	else if (strlen(s) > 60)
		ms_buf_addf(b, "\"%.57s...\"", s);
	else
		ms_buf_addf(b, "\"%s\"", s);
}

static void mismatch(struct checker *k, const char *rel, const char *label,
		     enum ms_attr_type t, const json_t *v)
{
	struct ms_buf b = MS_BUF_INIT;

	got(&b, v);
	report(k, rel, "value", "attribute \"%s\": expected %s, got %s", label,
	       expected(t), b.ptr);
	ms_buf_release(&b);
}

static json_t *to_string(struct checker *k, const json_t *v, const char *rel)
{
	struct ms_buf b = MS_BUF_INIT;
	const json_t *raw = k->raw ? json_object_get(k->raw, rel) : NULL;
	json_t *s;

	if (json_is_number(v) && json_is_string(raw))
		return json_string(json_string_value(raw));
	ms_expr_text(&b, v);
	s = json_stringn(b.ptr, b.len);
	ms_buf_release(&b);
	return s;
}

static json_t *to_number(const char *s)
{
	long long ll;
	double d;
	char *end;

	/* decimal only: strtod would also take "0x10", "inf" and " 1" */
	if (!*s || strspn(s, "+-0123456789.eE") != strlen(s))
		return NULL;
	errno = 0;
	ll = strtoll(s, &end, 10);
	if (!errno && !*end)
		return json_integer(ll);
	errno = 0;
	d = strtod(s, &end);
	if (errno || *end || !isfinite(d))
		return NULL;
	return json_real(d);
}

static void join(struct ms_buf *out, const char *label, const char *key)
{
	ms_buf_reset(out);
	if (*label)
		ms_buf_addf(out, "%s.%s", label, key);
	else
		ms_buf_adds(out, key);
}

static json_t *check(struct checker *k, const struct ms_attr *a,
		     const json_t *v, const char *label, struct ms_buf *rel);

/* A scalar where a string is wanted (list elements, map values). */
static json_t *check_text(struct checker *k, const json_t *v, const char *label,
			  struct ms_buf *rel)
{
	if (json_is_string(v) || ms_is_unknown(v))
		return json_deep_copy(v);
	if (json_is_number(v) || json_is_boolean(v))
		return to_string(k, v, rel->ptr);
	mismatch(k, rel->ptr, label, MS_ATTR_STRING, v);
	return NULL;
}

static json_t *check_object(struct checker *k, const struct ms_attr *schema,
			    const json_t *v, const char *label,
			    struct ms_buf *rel)
{
	struct ms_buf name = MS_BUF_INIT, hint = MS_BUF_INIT;
	const char **names = NULL;
	const struct ms_attr *a;
	json_t *res = json_object(), *item, *c;
	const char *key, *best;
	size_t n = 0, base = rel->len;
	bool ok = true;

	for (a = schema; a->name; a++)
		n++;
	names = ms_calloc(n + 1, sizeof(*names));
	n = 0;
	for (a = schema; a->name; a++)
		if (!(a->flags & MS_ATTR_COMPUTED))
			names[n++] = a->name;

	json_object_foreach((json_t *)v, key, item) {
		rel->len = base;
		rel->ptr[base] = '\0';
		ms_buf_addf(rel, ".%s", key);
		join(&name, label, key);
		for (a = schema; a->name && strcmp(a->name, key); a++)
			;
		if (!a->name) {
			ms_buf_reset(&hint);
			best = ms_did_you_mean(key, names);
			if (best && *label)
				ms_buf_addf(&hint, " (did you mean \"%s.%s\"?)",
					    label, best);
			else if (best)
				ms_buf_addf(&hint, " (did you mean \"%s\"?)",
					    best);
			report(k, rel->ptr, "key", "unknown attribute \"%s\"%s",
			       name.ptr, hint.ptr);
			ok = false;
			continue;
		}
		if (a->flags & MS_ATTR_COMPUTED) {
			report(k, rel->ptr, "key",
			       "attribute \"%s\" is computed by AWS and cannot "
			       "be set",
			       name.ptr);
			ok = false;
			continue;
		}
		if (json_is_null(item) && !(a->flags & MS_ATTR_REQUIRED))
			continue; /* null means "not set": the default */
		c = check(k, a, item, name.ptr, rel);
		if (!c)
			ok = false;
		else
			json_object_set_new(res, key, c);
	}
	rel->len = base;
	rel->ptr[base] = '\0';
	for (a = schema; a->name; a++) {
		if (!(a->flags & MS_ATTR_REQUIRED) ||
		    json_object_get(v, a->name))
			continue;
		join(&name, label, a->name);
		report(k, rel->ptr, "key", "missing required attribute \"%s\"",
		       name.ptr);
		ok = false;
	}
	free(names);
	ms_buf_release(&name);
	ms_buf_release(&hint);
	if (!ok) {
		json_decref(res);
		return NULL;
	}
	return res;
}

static json_t *check_list(struct checker *k, const struct ms_attr *a,
			  const json_t *v, const char *label,
			  struct ms_buf *rel)
{
	struct ms_buf name = MS_BUF_INIT;
	json_t *res = json_array(), *item, *c;
	size_t i, base = rel->len;
	bool ok = true;

	json_array_foreach(v, i, item) {
		rel->len = base;
		rel->ptr[base] = '\0';
		ms_buf_addf(rel, "[%zu]", i);
		ms_buf_reset(&name);
		ms_buf_addf(&name, "%s[%zu]", label, i);
		c = NULL;
		if (ms_is_unknown(item) ||
		    (json_is_string(item) &&
		     ms_expr_is_ref(json_string_value(item))))
			c = json_deep_copy(item);
		else if (a->nested && json_is_object(item))
			c = check_object(k, a->nested, item, name.ptr, rel);
		else if (a->nested)
			mismatch(k, rel->ptr, name.ptr, MS_ATTR_OBJECT, item);
		else
			c = check_text(k, item, name.ptr, rel);
		if (!c)
			ok = false;
		else
			json_array_append_new(res, c);
	}
	rel->len = base;
	rel->ptr[base] = '\0';
	ms_buf_release(&name);
	if (!ok) {
		json_decref(res);
		return NULL;
	}
	return res;
}

static json_t *check_map(struct checker *k, const json_t *v, const char *label,
			 struct ms_buf *rel)
{
	struct ms_buf name = MS_BUF_INIT;
	json_t *res = json_object(), *item, *c;
	const char *key;
	size_t base = rel->len;
	bool ok = true;

	json_object_foreach((json_t *)v, key, item) {
		rel->len = base;
		rel->ptr[base] = '\0';
		ms_buf_addf(rel, ".%s", key);
		join(&name, label, key);
		c = check_text(k, item, name.ptr, rel);
		if (!c)
			ok = false;
		else
			json_object_set_new(res, key, c);
	}
	rel->len = base;
	rel->ptr[base] = '\0';
	ms_buf_release(&name);
	if (!ok) {
		json_decref(res);
		return NULL;
	}
	return res;
}

static json_t *check(struct checker *k, const struct ms_attr *a,
		     const json_t *v, const char *label, struct ms_buf *rel)
{
	const char *s = json_string_value(v);
	json_t *n;

	if (ms_is_unknown(v) || (s && ms_expr_is_ref(s)))
		return json_deep_copy(v);
	switch (a->type) {
	case MS_ATTR_STRING:
		if (json_is_string(v))
			return json_deep_copy(v);
		if (json_is_number(v) || json_is_boolean(v))
			return to_string(k, v, rel->ptr);
		break;
	case MS_ATTR_NUMBER:
		if (json_is_number(v) || (s && ms_expr_has_ref(s)))
			return json_deep_copy(v);
		if (s && (n = to_number(s)))
			return n;
		break;
	case MS_ATTR_BOOL:
		if (json_is_boolean(v) || (s && ms_expr_has_ref(s)))
			return json_deep_copy(v);
		if (s && !strcmp(s, "true"))
			return json_true();
		if (s && !strcmp(s, "false"))
			return json_false();
		break;
	case MS_ATTR_LIST:
		if (json_is_array(v))
			return check_list(k, a, v, label, rel);
		break;
	case MS_ATTR_MAP:
		if (json_is_object(v))
			return check_map(k, v, label, rel);
		break;
	case MS_ATTR_OBJECT:
		if (json_is_object(v) && a->nested)
			return check_object(k, a->nested, v, label, rel);
		if (json_is_object(v))
			return json_deep_copy(v);
		break;
	case MS_ATTR_JSON:
		return json_deep_copy(v);
	}
	mismatch(k, rel->ptr, label, a->type, v);
	return NULL;
}

int ms_stack_check_value(json_t **out, const struct ms_attr *attr,
			 const json_t *value, const char *label,
			 const json_t *raw, json_t *problems)
{
	struct checker k = { raw, problems, false };
	struct ms_buf rel = MS_BUF_INIT;
	json_t *res;

	*out = NULL;
	res = check(&k, attr, value, label, &rel);
	ms_buf_release(&rel);
	if (!res || k.failed) {
		json_decref(res);
		return -1;
	}
	*out = res;
	return 0;
}

int ms_stack_parse_duration(long *out, const json_t *value)
{
	static const char units[] = "hms";
	static const long scale[] = { 3600, 60, 1 };
	const char *s = json_string_value(value), *p;
	const char *next_unit = units;
	long total = 0, n;
	char *end;

	*out = 0;
	if (json_is_integer(value) && json_integer_value(value) >= 0 &&
	    json_integer_value(value) <= 100L * 24 * 3600) {
		*out = (long)json_integer_value(value);
		return 0;
	}
	if (!s)
		return ms_error("expected a duration such as \"90s\", \"20m\" "
				"or \"1h30m\", got %s",
				ms_expr_kind(value));
	if (!*s)
		goto bad;
	if (ms_parse_uint(s, &n) == 0) {
		if (n > 100L * 24 * 3600)
			goto bad;
		*out = n;
		return 0;
	}
	for (p = s; *p;) {
		const char *u;

		if (!isdigit((unsigned char)*p))
			goto bad;
		errno = 0;
		n = strtol(p, &end, 10);
		if (errno || n > 100L * 24 * 3600 || !*end)
			goto bad;
		u = strchr(next_unit, *end);
		if (!u || !*u)
			goto bad;
		total += n * scale[u - units];
		next_unit = u + 1;
		p = end + 1;
	}
	if (total > 100L * 24 * 3600)
		goto bad;
	*out = total;
	return 0;
bad:
	return ms_error("invalid duration \"%s\" (expected seconds or a "
			"duration such as \"90s\", \"20m\" or \"1h30m\")",
			s);
}
