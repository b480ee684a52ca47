/*
 * expr.c - ${...} references: parsing, listing and evaluation.
 *
 * A string is parsed into parts (literal text and references) each time
 * it is looked at, except while a stack is loaded: the loader looks at
 * every template several times, so the parts are kept by the string's
 * text (the same text parses the same way: nothing goes stale) until it
 * is done (ms_expr_cache_hold, ms_expr_cache_drop). Kept past the load,
 * they held 15 MB of a 16,000-resource plan's peak. The grammar is deliberately tiny: a path NAME(.NAME | [N] |
 * ["KEY"])*, with NAME of letters, digits, "_" and "-", so that resource
 * names such as "data-bucket" work, or a call of one of the few functions
 * on paths, merge(PATH, PATH...), file("PATH") (or file(PATH): a
 * reference to a string). No operators.
 */
#include "util/common.h"
#include "engine/expr.h"
#include "util/json.h"

#include <ctype.h>
#include <pthread.h>

#define SYNTAX_HINT "expected NAME.ATTRIBUTE[.KEY|[N]...]"

static json_t *must(json_t *v)
{
	if (!v)
		ms_die_oom();
	return v;
}

static json_t *shared_unknown;
static pthread_once_t unknown_once = PTHREAD_ONCE_INIT;

static void unknown_init(void)
{
	shared_unknown = must(json_object());
	json_object_set_new(shared_unknown, MS_UNKNOWN_KEY, json_true());
}

/*
 * One value for every unknown, shared (a plan of thousands of resources
 * holds tens of thousands of them): never changed, only replaced.
 */
json_t *ms_unknown_new(void)
{
	pthread_once(&unknown_once, unknown_init);
	return json_incref(shared_unknown);
}

bool ms_is_unknown(const json_t *v)
{
	return json_is_object(v) && json_object_size(v) == 1 &&
	       json_object_get(v, MS_UNKNOWN_KEY);
}

bool ms_has_unknown(const json_t *v)
{
	const char *key;
	json_t *item;
	size_t i;

	if (ms_is_unknown(v))
		return true;
	if (json_is_object(v)) {
		json_object_foreach((json_t *)v, key, item)
			if (ms_has_unknown(item))
				return true;
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, item)
			if (ms_has_unknown(item))
				return true;
	}
	return false;
}

const char *ms_expr_kind(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_STRING:
		return "a string";
	case JSON_INTEGER:
	case JSON_REAL:
		return "a number";
	case JSON_TRUE:
	case JSON_FALSE:
		return "a bool";
	case JSON_ARRAY:
		return "a list";
	case JSON_OBJECT:
		return ms_is_unknown(v) ? "an unknown value" : "a map";
	default:
		return "null";
	}
}

int ms_expr_text(struct ms_buf *out, const json_t *v)
{
	switch (ms_json_scalar_text(out, v)) {
	case 0:
		return 0;
	case 1:
		return ms_error("cannot interpolate null into a string");
	default:
		return ms_error("cannot interpolate %s into a string",
				ms_expr_kind(v));
	}
}

/* A new string of the bytes [p, q). */
static json_t *span(const char *p, const char *q)
{
	return must(json_stringn(p, (size_t)(q - p)));
}

static bool is_name_char(char c)
{
	return isalnum((unsigned char)c) || c == '_' || c == '-';
}

static json_t *parse_inner(const char *s, size_t len);

/* The functions a reference may call. */
static const char *const functions[] = { "merge", "file", NULL };

/*
 * "NAME(ARG, ARG...)" at s: {call, args, text} with each argument a path,
 * or NULL on a syntax error. name is the part before "(".
 */
static json_t *parse_call(const char *s, size_t len, const char *name_end)
{
	const char *p = name_end + 1, *end = s + len, *a, *b, *comma;
	json_t *call, *args = must(json_array()), *arg;
	size_t i;

	for (i = 0; functions[i]; i++)
		if (strlen(functions[i]) == (size_t)(name_end - s) &&
		    !memcmp(functions[i], s, (size_t)(name_end - s)))
			break;
	if (!functions[i] || end[-1] != ')')
		goto fail;
	end--;
	while (p < end) {
		comma = memchr(p, ',', (size_t)(end - p));
		b = comma ? comma : end;
		for (a = p; a < b && isspace((unsigned char)*a); a++)
			;
		while (b > a && isspace((unsigned char)b[-1]))
			b--;
		/* a literal: file("keys/id.pub") */
		if (b - a >= 2 && *a == '"' && b[-1] == '"' &&
		    !memchr(a + 1, '"', (size_t)(b - a - 2))) {
			arg = must(json_object());
			json_object_set_new(arg, "literal", span(a + 1, b - 1));
		} else {
			arg = a < b ? parse_inner(a, (size_t)(b - a)) : NULL;
		}
		if (!arg || json_object_get(arg, "call")) {
			json_decref(arg);
			goto fail;
		}
		json_array_append_new(args, arg);
		p = comma ? comma + 1 : end;
	}
	if (!json_array_size(args))
		goto fail;
	call = must(json_object());
	json_object_set_new(call, "call", span(s, name_end));
	json_object_set_new(call, "args", args);
	json_object_set_new(call, "text", must(json_stringn(s, len)));
	return call;
fail:
	json_decref(args);
	return NULL;
}

/*
 * Parse the inside of one "${...}" (spaces trimmed) into {root, path,
 * text}, or a call into {call, args, text}. Returns NULL on a syntax
 * error; the caller words the message.
 */
static json_t *parse_inner(const char *s, size_t len)
{
	const char *p = s, *end = s + len, *q;
	json_t *ref = NULL, *path = must(json_array());
	char num[16];
	long n;

	for (q = p; q < end && is_name_char(*q); q++)
		;
	if (q == p)
		goto fail;
	if (q < end && *q == '(') {
		json_decref(path);
		return parse_call(s, len, q);
	}
	ref = must(json_object());
	json_object_set_new(ref, "root", span(p, q));
	p = q;
	while (p < end) {
		if (*p == '.') {
			for (q = ++p; q < end && is_name_char(*q); q++)
				;
			if (q == p)
				goto fail;
			json_array_append_new(path, span(p, q));
			p = q;
		} else if (*p == '[' && p + 1 < end && p[1] == '"') {
			for (q = p += 2; q < end && *q != '"'; q++)
				;
			if (q + 1 >= end || q[1] != ']')
				goto fail;
			json_array_append_new(path, span(p, q));
			p = q + 2;
		} else if (*p == '[') {
			for (q = ++p; q < end && isdigit((unsigned char)*q);
			     q++)
				;
			if (q == p || q >= end || *q != ']' ||
			    (size_t)(q - p) >= sizeof(num))
				goto fail;
			memcpy(num, p, (size_t)(q - p));
			num[q - p] = '\0';
			if (ms_parse_uint(num, &n) < 0)
				goto fail;
			json_array_append_new(path, must(json_integer(n)));
			p = q + 1;
		} else {
			goto fail;
		}
	}
	/* a root alone, or an index right after it, names nothing */
	if (!json_is_string(json_array_get(path, 0)))
		goto fail;
	json_object_set_new(ref, "path", path);
	json_object_set_new(ref, "text", must(json_stringn(s, len)));
	return ref;
fail:
	json_decref(path);
	json_decref(ref);
	return NULL;
}

/*
 * Split s into parts: JSON strings (literal text, "$${" already turned
 * into "${") and reference objects. Returns 0 or -1 with ms_error().
 */
static int parse_parts(json_t **out, const char *s)
{
	struct ms_buf lit = MS_BUF_INIT;
	json_t *parts = must(json_array());
	const char *p = s, *open, *close, *a, *b;
	json_t *ref;
	int err = 0;

	*out = NULL;
	while (*p) {
		if (p[0] == '$' && p[1] == '$' && p[2] == '{') {
			ms_buf_adds(&lit, "${");
			p += 3;
			continue;
		}
		if (!(p[0] == '$' && p[1] == '{')) {
			ms_buf_addch(&lit, *p++);
			continue;
		}
		open = p;
		close = strchr(open + 2, '}');
		if (!close) {
			err = ms_error("unclosed \"${\" in \"%s\"", s);
			goto done;
		}
		for (a = open + 2; a < close && isspace((unsigned char)*a); a++)
			;
		for (b = close; b > a && isspace((unsigned char)b[-1]); b--)
			;
		if (a == b) {
			err = ms_error("empty reference \"${}\" in \"%s\"", s);
			goto done;
		}
		ref = parse_inner(a, (size_t)(b - a));
		if (!ref) {
			err = ms_error("invalid reference \"${%.*s}\": %s",
				       (int)(b - a), a, SYNTAX_HINT);
			goto done;
		}
		if (lit.len) {
			json_array_append_new(parts,
					      span(lit.ptr, lit.ptr + lit.len));
			ms_buf_reset(&lit);
		}
		json_array_append_new(parts, ref);
		p = close + 1;
	}
	if (lit.len || !json_array_size(parts))
		json_array_append_new(parts, span(lit.ptr, lit.ptr + lit.len));
	*out = parts;
	parts = NULL;
done:
	ms_buf_release(&lit);
	json_decref(parts);
	return err;
}

/*
 * The templates parsed while held: text -> parts, never changed once in.
 * In shards by the text's hash, each under its own lock, so that the
 * loader's threads seldom wait for one another.
 */
#define SHARDS 16

static struct {
	pthread_mutex_t lock; /* holds, and the shards' making and dropping */
	int holds;
	struct shard {
		pthread_mutex_t lock;
		json_t *parts;
	} shards[SHARDS];
} parsed = { .lock = PTHREAD_MUTEX_INITIALIZER };

static pthread_once_t shards_once = PTHREAD_ONCE_INIT;

static void shards_init(void)
{
	size_t i;

	for (i = 0; i < SHARDS; i++)
		pthread_mutex_init(&parsed.shards[i].lock, NULL);
}

void ms_expr_cache_hold(void)
{
	size_t i;

	pthread_once(&shards_once, shards_init);
	pthread_mutex_lock(&parsed.lock);
	if (!parsed.holds)
		for (i = 0; i < SHARDS; i++) {
			pthread_mutex_lock(&parsed.shards[i].lock);
			parsed.shards[i].parts = must(json_object());
			pthread_mutex_unlock(&parsed.shards[i].lock);
		}
	__atomic_fetch_add(&parsed.holds, 1, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&parsed.lock);
}

void ms_expr_cache_drop(void)
{
	json_t *all;
	size_t i;

	pthread_mutex_lock(&parsed.lock);
	if (parsed.holds &&
	    __atomic_sub_fetch(&parsed.holds, 1, __ATOMIC_RELEASE) == 0) {
		all = must(json_array());
		for (i = 0; i < SHARDS; i++) {
			pthread_mutex_lock(&parsed.shards[i].lock);
			json_array_append_new(all, parsed.shards[i].parts);
			parsed.shards[i].parts = NULL;
			pthread_mutex_unlock(&parsed.shards[i].lock);
		}
		ms_json_release_later(all);
	}
	pthread_mutex_unlock(&parsed.lock);
}

/* parse_parts' answer, kept while the cache is held: *out is a new
 * reference to parts that every caller only reads */
static int parse_template(json_t **out, const char *s)
{
	struct shard *sh;
	json_t *parts = NULL;
	uint32_t h = 2166136261u; /* FNV-1a */
	const char *c;
	bool held;
	int err;

	/* not held (past the load, the lint and the plan): no lock */
	if (!__atomic_load_n(&parsed.holds, __ATOMIC_ACQUIRE))
		return parse_parts(out, s);
	for (c = s; *c; c++)
		h = (h ^ (unsigned char)*c) * 16777619u;
	sh = &parsed.shards[h % SHARDS];
	pthread_mutex_lock(&sh->lock);
	held = sh->parts != NULL;
	if (held)
		parts = json_incref(json_object_get(sh->parts, s));
	pthread_mutex_unlock(&sh->lock);
	if ((*out = parts))
		return 0;
	if ((err = parse_parts(out, s)) < 0 || !held)
		return err;
	pthread_mutex_lock(&sh->lock);
	if (sh->parts)
		json_object_set_nocheck(sh->parts, s, *out);
	pthread_mutex_unlock(&sh->lock);
	return 0;
}

bool ms_expr_is_ref(const char *s)
{
	json_t *parts = NULL;
	bool is;

	if (!strstr(s, "${") || parse_template(&parts, s) < 0)
		return false;
	is = json_array_size(parts) == 1 &&
	     json_is_object(json_array_get(parts, 0));
	json_decref(parts);
	return is;
}

bool ms_expr_has_ref(const char *s)
{
	json_t *parts = NULL, *part;
	bool has = false;
	size_t i;

	if (!strstr(s, "${"))
		return false;
	if (parse_template(&parts, s) < 0)
		return true;
	json_array_foreach(parts, i, part)
		if (json_is_object(part))
			has = true;
	json_decref(parts);
	return has;
}

bool ms_expr_in(const json_t *v)
{
	const char *key;
	json_t *item;
	size_t i;

	if (json_is_string(v))
		return strstr(json_string_value(v), "${") != NULL;
	json_object_foreach((json_t *)(json_is_object(v) ? v : NULL), key, item)
		if (ms_expr_in(item))
			return true;
	json_array_foreach((json_t *)(json_is_array(v) ? v : NULL), i, item)
		if (ms_expr_in(item))
			return true;
	return false;
}

int ms_expr_refs(const json_t *value, json_t **out)
{
	json_t *parts = NULL, *part, *item;
	const char *key;
	size_t i;
	int err = 0;

	if (!*out)
		*out = must(json_array());
	if (json_is_string(value)) {
		if (!strstr(json_string_value(value), "${"))
			return 0;
		err = parse_template(&parts, json_string_value(value));
		json_array_foreach(parts, i, part)
			if (json_object_get(part, "call")) {
				json_t *arg;
				size_t k;

				json_array_foreach(
					json_object_get(part, "args"), k, arg)
					if (!json_object_get(arg, "literal"))
						json_array_append(*out, arg);
			} else if (json_is_object(part))
				json_array_append(*out, part);
		json_decref(parts);
	} else if (json_is_object(value)) {
		json_object_foreach((json_t *)value, key, item)
			if ((err = ms_expr_refs(item, out)) < 0)
				break;
	} else if (json_is_array(value)) {
		json_array_foreach(value, i, item)
			if ((err = ms_expr_refs(item, out)) < 0)
				break;
	}
	return err;
}

/* Walk path[1..] from v (stolen); *out is the value reached. */
static int walk(json_t **out, json_t *v, const json_t *path)
{
	json_t *step, *next;
	size_t i, n;
	int err = 0;

	*out = NULL;
	for (i = 1; i < json_array_size(path) && !ms_is_unknown(v); i++) {
		step = json_array_get(path, i);
		if (json_is_string(step)) {
			const char *k = json_string_value(step);

			if (!json_is_object(v)) {
				err = ms_error("cannot read key \"%s\" of %s",
					       k, ms_expr_kind(v));
				goto done;
			}
			next = json_object_get(v, k);
			if (!next) {
				err = ms_error("no key \"%s\"", k);
				goto done;
			}
		} else {
			n = (size_t)json_integer_value(step);
			if (!json_is_array(v)) {
				err = ms_error("cannot read index [%zu] of %s",
					       n, ms_expr_kind(v));
				goto done;
			}
			if (n >= json_array_size(v)) {
				err = ms_error("index [%zu] out of range (the "
					       "list has %zu elements)",
					       n, json_array_size(v));
				goto done;
			}
			next = json_array_get(v, n);
		}
		json_incref(next);
		json_decref(v);
		v = next;
	}
	*out = v;
	v = NULL;
done:
	json_decref(v);
	return err;
}

static int eval_ref(json_t **out, const json_t *ref, ms_expr_resolve_fn resolve,
		    void *payload);

/*
 * file(PATH): the text of a file, PATH a literal or a reference to a
 * string; read by the resolver (root "file()"), which knows where the
 * stack file is.
 */
static int eval_file(json_t **out, const json_t *call,
		     ms_expr_resolve_fn resolve, void *payload)
{
	const char *text = json_string_value(json_object_get(call, "text"));
	json_t *args = json_object_get(call, "args"), *arg, *v = NULL;
	int err;

	*out = NULL;
	if (json_array_size(args) != 1)
		return ms_error("\"${%s}\": file takes one path", text);
	arg = json_array_get(args, 0);
	if (json_object_get(arg, "literal"))
		v = json_incref(json_object_get(arg, "literal"));
	else if ((err = eval_ref(&v, arg, resolve, payload)))
		return err;
	if (ms_is_unknown(v)) {
		*out = v;
		return 0;
	}
	if (!json_is_string(v)) {
		err = ms_error("\"${%s}\": the path is %s, not a string", text,
			       ms_expr_kind(v));
		json_decref(v);
		return err;
	}
	ms_error_clear();
	err = resolve("file()", json_string_value(v), out, payload);
	json_decref(v);
	if (err || !*out)
		return ms_error("\"${%s}\": %s", text,
				*ms_error_last() ? ms_error_last() :
						   "cannot be read");
	return 0;
}

/*
 * merge(MAP, MAP...): one map of all their keys, a later map's value
 * winning; unknown when any of them is.
 */
static int eval_call(json_t **out, const json_t *call,
		     ms_expr_resolve_fn resolve, void *payload)
{
	const char *text = json_string_value(json_object_get(call, "text"));
	json_t *merged, *arg, *v = NULL;
	bool unknown = false;
	size_t i;
	int err = 0;

	*out = NULL;
	if (!strcmp(json_string_value(json_object_get(call, "call")), "file"))
		return eval_file(out, call, resolve, payload);
	merged = must(json_object());
	json_array_foreach(json_object_get(call, "args"), i, arg) {
		if (json_object_get(arg, "literal")) {
			err = ms_error("\"${%s}\": argument %zu of merge is "
				       "a string, not a map",
				       text, i + 1);
			break;
		}
		err = eval_ref(&v, arg, resolve, payload);
		if (err)
			break;
		if (ms_is_unknown(v)) {
			unknown = true;
		} else if (!json_is_object(v) || ms_has_unknown(v)) {
			if (ms_has_unknown(v)) {
				unknown = true;
			} else {
				err = ms_error("\"${%s}\": argument %zu of "
					       "merge is %s, not a map",
					       text, i + 1, ms_expr_kind(v));
				break;
			}
		} else {
			json_object_update(merged, v);
		}
		json_decref(v);
		v = NULL;
	}
	json_decref(v);
	if (err) {
		json_decref(merged);
		return err;
	}
	if (unknown) {
		json_decref(merged);
		merged = ms_unknown_new();
	}
	*out = merged;
	return 0;
}

/* The value of one reference object: resolved, then walked. */
static int eval_ref(json_t **out, const json_t *ref, ms_expr_resolve_fn resolve,
		    void *payload)
{
	const json_t *path = json_object_get(ref, "path");
	const char *text = json_string_value(json_object_get(ref, "text"));
	json_t *v = NULL;

	if (json_object_get(ref, "call"))
		return eval_call(out, ref, resolve, payload);
	*out = NULL;
	ms_error_clear();
	if (resolve(json_string_value(json_object_get(ref, "root")),
		    json_string_value(json_array_get(path, 0)), &v,
		    payload) < 0 ||
	    !v) {
		json_decref(v);
		if (!*ms_error_last())
			ms_error("cannot be resolved");
		return ms_error("reference \"${%s}\": %s", text,
				ms_error_last());
	}
	if (walk(out, v, path) < 0)
		return ms_error("reference \"${%s}\": %s", text,
				ms_error_last());
	return 0;
}

static int eval_string(json_t **out, const char *s, ms_expr_resolve_fn resolve,
		       void *payload)
{
	struct ms_buf b = MS_BUF_INIT;
	json_t *parts = NULL, *part, *v = NULL;
	bool unknown = false;
	size_t i;
	int err;

	*out = NULL;
	if ((err = parse_template(&parts, s)) < 0)
		goto done;
	part = json_array_get(parts, 0);
	if (json_array_size(parts) == 1 && json_is_object(part)) {
		err = eval_ref(out, part, resolve, payload);
		goto done;
	}
	json_array_foreach(parts, i, part) {
		if (json_is_string(part)) {
			ms_buf_add(&b, json_string_value(part),
				   json_string_length(part));
			continue;
		}
		if ((err = eval_ref(&v, part, resolve, payload)) < 0)
			goto done;
		if (ms_is_unknown(v)) {
			/* still evaluate the rest: their errors matter */
			unknown = true;
		} else if (ms_expr_text(&b, v) < 0) {
			err = ms_error("reference \"${%s}\": %s",
				       json_string_value(
					       json_object_get(part, "text")),
				       ms_error_last());
			goto done;
		}
		json_decref(v);
		v = NULL;
	}
	*out = unknown ? ms_unknown_new() : must(json_stringn(b.ptr, b.len));
done:
	json_decref(v);
	json_decref(parts);
	ms_buf_release(&b);
	return err;
}

int ms_expr_eval(json_t **out, const json_t *value, ms_expr_resolve_fn resolve,
		 void *payload)
{
	json_t *res = NULL, *item, *v = NULL;
	const char *key;
	size_t i;
	int err = 0;

	*out = NULL;
	if (ms_is_unknown(value)) {
		*out = ms_unknown_new();
		return 0;
	}
	switch (json_typeof(value)) {
	case JSON_STRING:
		return eval_string(out, json_string_value(value), resolve,
				   payload);
	case JSON_OBJECT:
		res = must(json_object());
		json_object_foreach((json_t *)value, key, item) {
			err = ms_expr_eval(&v, item, resolve, payload);
			if (err < 0)
				goto done;
			json_object_set_new(res, key, v);
		}
		break;
	case JSON_ARRAY:
		res = must(json_array());
		json_array_foreach(value, i, item) {
			err = ms_expr_eval(&v, item, resolve, payload);
			if (err < 0)
				goto done;
			json_array_append_new(res, v);
		}
		break;
	default:
		res = must(ms_json_copy(value));
		break;
	}
	*out = res;
	res = NULL;
done:
	json_decref(res);
	return err;
}
