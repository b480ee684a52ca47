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
#include "util/json.h"
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
	if (*label) {
		ms_buf_adds(out, label);
		ms_buf_addch(out, '.');
	}
	ms_buf_adds(out, key);
}

static json_t *check(struct checker *k, const struct ms_attr *a,
		     const json_t *v, const char *label, struct ms_buf *rel);

/* Rules of values that AWS states (what a string must look like) */

static bool is_known_text(const char *s)
{
	return s && !ms_expr_has_ref(s);
}

/* Why s is not an ARN, or NULL when it is one. */
static const char *arn_problem(const char *s)
{
	static const char *const partitions[] = {
		"aws",       "aws-cn",    "aws-us-gov", "aws-iso", "aws-iso-b",
		"aws-iso-e", "aws-iso-f", "aws-eusc",   NULL,
	};
	const char *field[6], *p = s;
	size_t len[5], i, n;

	if (strncmp(s, "arn:", 4))
		return "an ARN begins with \"arn:\"";
	for (i = 0; i < 5; i++) {
		field[i] = p;
		p = strchr(p, ':');
		if (!p)
			return "expected six parts separated by ':'";
		len[i] = (size_t)(p - field[i]);
		p++;
	}
	field[5] = p;
	for (i = 0; partitions[i]; i++)
		if (len[1] == strlen(partitions[i]) &&
		    !strncmp(field[1], partitions[i], len[1]))
			break;
	if (!partitions[i])
		return "the partition is aws, aws-cn, aws-us-gov or one of "
		       "the isolated ones (aws-iso, aws-iso-b ...)";
	if (!len[2])
		return "the service is missing";
	for (n = 0; n < len[2] + len[3]; n++) {
		char c = n < len[2] ? field[2][n] : field[3][n - len[2]];

		if (!islower((unsigned char)c) && !isdigit((unsigned char)c) &&
		    c != '-')
			return "the service and the region are lowercase "
			       "letters, digits and '-'";
	}
	if (len[4] && !(len[4] == 3 && !strncmp(field[4], "aws", 3)) &&
	    (len[4] != 12 || strspn(field[4], "0123456789") < 12))
		return "the account is 12 digits (or \"aws\", or empty)";
	if (!*field[5])
		return "the resource is missing";
	return NULL;
}

static void check_arn(struct checker *k, const char *rel, const char *label,
		      const json_t *v)
{
	struct ms_buf b = MS_BUF_INIT;
	const char *s = json_string_value(v), *why;

	if (!is_known_text(s) || !(why = arn_problem(s)))
		return;
	got(&b, v);
	report(k, rel, "value",
	       "attribute \"%s\": %s is not an ARN "
	       "(arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE): %s",
	       label, b.ptr, why);
	ms_buf_release(&b);
}

/*
 * A JSON text given for a document: *out the parsed value, or NULL when
 * the text holds references (its shape is not known yet) or is not JSON
 * (reported, with jansson's position in the text).
 */
static json_t *parse_doc(struct checker *k, const char *rel, const char *label,
			 const char *s)
{
	json_error_t jerr;
	json_t *doc;

	if (!is_known_text(s))
		return NULL;
	doc = json_loads(s, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &jerr);
	if (!doc)
		report(k, rel, "value",
		       "attribute \"%s\": not valid JSON: %s (line %d, column "
		       "%d of the text)",
		       label, jerr.text, jerr.line, jerr.column);
	return doc;
}

/*
 * An IAM policy document: a map (or its JSON text) with "Statement", a
 * list of statements or one, and a "Version" IAM knows if any. Parts
 * still references are taken as they are.
 */
static void check_policy(struct checker *k, const json_t *v, const char *label,
			 struct ms_buf *rel)
{
	struct ms_buf b = MS_BUF_INIT, at = MS_BUF_INIT;
	const char *s = json_string_value(v), *version;
	json_t *doc = NULL, *st;
	bool text = s != NULL;

	if (ms_is_unknown(v) ||
	    (s && !(doc = parse_doc(k, rel->ptr, label, s))))
		goto done;
	if (!doc)
		doc = json_incref((json_t *)v);
	if (!json_is_object(doc)) {
		report(k, rel->ptr, "value",
		       "attribute \"%s\": a policy document is a map with "
		       "\"Statement\", got %s",
		       label, ms_expr_kind(doc));
		goto done;
	}
	st = json_object_get(doc, "Statement");
	ms_buf_addf(&at, "%s%s", rel->ptr, text ? "" : ".Statement");
	if (!st) {
		report(k, rel->ptr, "value",
		       "attribute \"%s\": a policy document needs "
		       "\"Statement\"",
		       label);
	} else if (!json_is_array(st) && !json_is_object(st) &&
		   !(json_is_string(st) &&
		     ms_expr_is_ref(json_string_value(st)))) {
		report(k, at.ptr, "value",
		       "attribute \"%s\": \"Statement\" is a list of "
		       "statements or one statement, got %s",
		       label, ms_expr_kind(st));
	}
	version = json_string_value(json_object_get(doc, "Version"));
	ms_buf_reset(&at);
	ms_buf_addf(&at, "%s%s", rel->ptr, text ? "" : ".Version");
	if (json_object_get(doc, "Version") &&
	    (!version ||
	     (is_known_text(version) && strcmp(version, "2012-10-17") &&
	      strcmp(version, "2008-10-17")))) {
		ms_buf_reset(&b);
		got(&b, json_object_get(doc, "Version"));
		report(k, at.ptr, "value",
		       "attribute \"%s\": \"Version\" is \"2012-10-17\" (or "
		       "the old \"2008-10-17\"), got %s",
		       label, b.ptr);
	}
done:
	json_decref(doc);
	ms_buf_release(&b);
	ms_buf_release(&at);
}

/* A map of names to policy documents, or its JSON text. */
static void check_policies(struct checker *k, const json_t *v,
			   const char *label, struct ms_buf *rel)
{
	struct ms_buf name = MS_BUF_INIT;
	const char *s = json_string_value(v), *key;
	json_t *map = NULL, *item;
	size_t base = rel->len;

	if (ms_is_unknown(v) ||
	    (s && !(map = parse_doc(k, rel->ptr, label, s))))
		goto done;
	if (!map)
		map = json_incref((json_t *)v);
	if (!json_is_object(map)) {
		report(k, rel->ptr, "value",
		       "attribute \"%s\": expected a map of names to policy "
		       "documents, got %s",
		       label, ms_expr_kind(map));
		goto done;
	}
	json_object_foreach(map, key, item) {
		join(&name, label, key);
		if (!s) {
			ms_buf_addch(rel, '.');
			ms_buf_adds(rel, key);
		}
		check_policy(k, item, name.ptr, rel);
		ms_buf_truncate(rel, base);
	}
done:
	json_decref(map);
	ms_buf_release(&name);
}

/* A scalar where a string is wanted (list elements, map values). */
static json_t *check_text(struct checker *k, const json_t *v, const char *label,
			  struct ms_buf *rel)
{
	if (json_is_string(v) || ms_is_unknown(v))
		return json_incref((json_t *)v);
	if (json_is_number(v) || json_is_boolean(v))
		return to_string(k, v, rel->ptr);
	mismatch(k, rel->ptr, label, MS_ATTR_STRING, v);
	return NULL;
}

/*
 * What a check of a list or map returns: v itself when every part of it
 * came back as it was (values are shared, never changed in place: whoever
 * changes one copies it first), else res; NULL (and res released) when v
 * was refused.
 */
static json_t *kept(json_t *res, const json_t *v, bool same)
{
	if (v && !same)
		return res;
	json_decref(res);
	return v ? json_incref((json_t *)v) : NULL;
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
	bool ok = true, same = true;

	for (a = schema; a->name; a++)
		n++;
	names = ms_calloc(n + 1, sizeof(*names));
	n = 0;
	for (a = schema; a->name; a++)
		if (!(a->flags & MS_ATTR_COMPUTED))
			names[n++] = a->name;

	json_object_foreach((json_t *)v, key, item) {
		ms_buf_truncate(rel, base);
		ms_buf_addch(rel, '.');
		ms_buf_adds(rel, key);
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
		if (json_is_null(item) && !(a->flags & MS_ATTR_REQUIRED)) {
			same = false;
			continue; /* null means "not set": the default */
		}
		c = check(k, a, item, name.ptr, rel);
		same &= c == item;
		if (!c)
			ok = false;
		else
			json_object_set_new(res, key, c);
	}
	ms_buf_truncate(rel, base);
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
	return ok ? kept(res, v, same) : kept(res, NULL, false);
}

static json_t *check_list(struct checker *k, const struct ms_attr *a,
			  const json_t *v, const char *label,
			  struct ms_buf *rel)
{
	struct ms_buf name = MS_BUF_INIT;
	json_t *res = json_array(), *item, *c;
	size_t i, base = rel->len;
	bool ok = true, same = true;

	json_array_foreach(v, i, item) {
		ms_buf_truncate(rel, base);
		ms_buf_addch(rel, '[');
		ms_buf_addu(rel, i);
		ms_buf_addch(rel, ']');
		ms_buf_reset(&name);
		ms_buf_addf(&name, "%s[%zu]", label, i);
		c = NULL;
		if (ms_is_unknown(item) ||
		    (json_is_string(item) &&
		     ms_expr_is_ref(json_string_value(item))))
			c = json_incref(item);
		else if (a->nested && json_is_object(item))
			c = check_object(k, a->nested, item, name.ptr, rel);
		else if (a->nested)
			mismatch(k, rel->ptr, name.ptr, MS_ATTR_OBJECT, item);
		else
			c = check_text(k, item, name.ptr, rel);
		if (c && (a->flags & MS_ATTR_ARN))
			check_arn(k, rel->ptr, name.ptr, c);
		same &= c == item;
		if (!c)
			ok = false;
		else
			json_array_append_new(res, c);
	}
	ms_buf_truncate(rel, base);
	ms_buf_release(&name);
	return ok ? kept(res, v, same) : kept(res, NULL, false);
}

static json_t *check_map(struct checker *k, const json_t *v, const char *label,
			 struct ms_buf *rel)
{
	struct ms_buf name = MS_BUF_INIT;
	json_t *res = json_object(), *item, *c;
	const char *key;
	size_t base = rel->len;
	bool ok = true, same = true;

	json_object_foreach((json_t *)v, key, item) {
		ms_buf_truncate(rel, base);
		ms_buf_addch(rel, '.');
		ms_buf_adds(rel, key);
		join(&name, label, key);
		c = check_text(k, item, name.ptr, rel);
		same &= c == item;
		if (!c)
			ok = false;
		else
			json_object_set_new(res, key, c);
	}
	ms_buf_truncate(rel, base);
	ms_buf_release(&name);
	return ok ? kept(res, v, same) : kept(res, NULL, false);
}

static json_t *check(struct checker *k, const struct ms_attr *a,
		     const json_t *v, const char *label, struct ms_buf *rel)
{
	const char *s = json_string_value(v);
	json_t *n;

	if (ms_is_unknown(v) || (s && ms_expr_is_ref(s)))
		return json_incref((json_t *)v);
	switch (a->type) {
	case MS_ATTR_STRING:
		if (json_is_string(v))
			n = json_incref((json_t *)v);
		else if (json_is_number(v) || json_is_boolean(v))
			n = to_string(k, v, rel->ptr);
		else
			break;
		if (a->flags & MS_ATTR_ARN)
			check_arn(k, rel->ptr, label, n);
		return n;
	case MS_ATTR_NUMBER:
		if (json_is_number(v) || (s && ms_expr_has_ref(s)))
			return json_incref((json_t *)v);
		if (s && (n = to_number(s)))
			return n;
		break;
	case MS_ATTR_BOOL:
		if (json_is_boolean(v) || (s && ms_expr_has_ref(s)))
			return json_incref((json_t *)v);
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
			return json_incref((json_t *)v);
		break;
	case MS_ATTR_JSON:
		if (a->flags & MS_ATTR_POLICY)
			check_policy(k, v, label, rel);
		else if (a->flags & MS_ATTR_POLICIES)
			check_policies(k, v, label, rel);
		return json_incref((json_t *)v);
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
