/*
 * render_diff.c - the difference between two values of an attribute, as
 * Terraform prints it: nested values as indented blocks, only what
 * changed marked, the rest folded.
 *
 * One walk over (before, after) both diffs and prints: at each level the
 * schema (a "shape": map, object, list of objects with an identity key,
 * policy document, folder manifest) and the values' own kinds decide how
 * the pair prints; equal parts fold into "# (N unchanged ... hidden)".
 * List elements are matched by the schema's identity key where it has
 * one, else by a longest common subsequence of equal elements, so an
 * element inserted or removed does not mark everything after it.
 *
 * Secrets never print: a part the mask marks, or a hidden marker, prints
 * as "(sensitive)" whether it changed or not, and nothing under it is
 * walked.
 */
#include "util/common.h"
#include "engine/render_diff.h"
#include "engine/expr.h"
#include "engine/sensitive.h"
#include "providers/provider.h"
#include "util/json.h"

#include <ctype.h>

#define GREEN  "\033[32m"
#define YELLOW "\033[33m"
#define RED    "\033[31m"
#define RESET  "\033[0m"

/* Nested lines sit this much further in than their block's key. */
#define STEP 4
/* A longest common subsequence is looked for in at most this many cells. */
#define LCS_CELLS (1u << 20)
/* Keys of a folder manifest listed for each kind of change. */
#define MANIFEST_SHOWN 5

static const char forces_text[] = " # forces replacement";

struct out {
	struct ms_buf *b;
	unsigned flags;
	/*
	 * Hidden parts count as changed: the plan says the attribute
	 * changed, and nothing else in it did.
	 */
	bool markers_differ;
};

/* What the schema says of a value. */
enum shape_kind {
	SH_ANY,      /* no schema: the value's own kind decides */
	SH_MAP,      /* string keys, printed quoted: "elements" */
	SH_OBJECT,   /* fixed attributes (nested) */
	SH_LIST,     /* elements; of objects when nested is set */
	SH_JSON,     /* a policy document: jsonencode(...) */
	SH_POLICIES, /* a map of policy documents */
	SH_MANIFEST, /* a folder's manifest: counts and sizes */
};

struct shape {
	enum shape_kind kind;
	/* SH_OBJECT: its attributes; SH_LIST: its elements' (or NULL) */
	const struct ms_attr *nested;
	const char *identity; /* SH_LIST: the attribute naming an element */
	const char *show;     /* SH_OBJECT: an attribute shown unchanged */
	bool in_json;         /* inside jsonencode(): no string is parsed */
};

/* What a value is, for printing. */
enum view_kind {
	V_NONE,      /* absent */
	V_SENSITIVE, /* hidden */
	V_UNKNOWN,   /* known after apply */
	V_SCALAR,    /* a string on one line, a number, a bool, null */
	V_TEXT,      /* a string of several lines */
	V_MANIFEST,  /* a folder's manifest */
	V_OBJECT,
	V_LIST,
	V_JSON, /* a JSON document: held as text, or a policy document */
};

struct view {
	enum view_kind kind;
	const json_t *v; /* V_JSON: the document (parsed when it was text) */
	json_t *parsed;  /* owned */
};

static void put_change(struct out *o, int indent, const struct shape *s,
		       const json_t *b, const json_t *a, const json_t *bm,
		       const json_t *am, const char *suffix,
		       const char *comment);
static void put_full(struct out *o, int indent, const struct shape *s,
		     const json_t *v, const json_t *mask, const char *sign,
		     const char *suffix, const char *comment);

/* Lines */

static const char *sign_color(const char *sign)
{
	if (strlen(sign) > 1)
		return RED; /* -/+ and +/- */
	switch (sign[0]) {
	case '+':
		return GREEN;
	case '-':
		return RED;
	case '~':
		return YELLOW;
	default:
		return NULL;
	}
}

/* n spaces ("%*s" without a format: lines are many) */
static void pad(struct ms_buf *b, int n)
{
	static const char spaces[] = "                                ";

	for (; n > 0; n -= (int)sizeof(spaces) - 1)
		ms_buf_add(b, spaces,
			   n < (int)sizeof(spaces) - 1 ? (size_t)n :
							 sizeof(spaces) - 1);
}

/* text, then spaces up to width, then " = " (what "%-*s = " prints) */
static void put_name(struct ms_buf *b, const char *text, size_t len, int width)
{
	ms_buf_add(b, text, len);
	pad(b, width - (int)len);
	ms_buf_add(b, " = ", 3);
}

static void line_start(struct out *o, int indent, const char *sign)
{
	const char *color = (o->flags & MS_DIFF_COLOR) ? sign_color(sign) :
							 NULL;

	if (!(o->flags & MS_DIFF_SIGN_FIRST))
		pad(o->b, indent);
	if (color) {
		ms_buf_adds(o->b, color);
		ms_buf_adds(o->b, sign);
		ms_buf_adds(o->b, RESET);
	} else {
		ms_buf_adds(o->b, sign);
	}
	if (o->flags & MS_DIFF_SIGN_FIRST)
		pad(o->b, indent);
	ms_buf_addch(o->b, ' ');
}

void ms_diff_line(struct ms_buf *out, int indent, const char *sign,
		  unsigned flags, const char *fmt, ...)
{
	struct out o = { out, flags, false };
	va_list ap;

	line_start(&o, indent, sign);
	va_start(ap, fmt);
	ms_buf_vaddf(out, fmt, ap);
	va_end(ap);
	ms_buf_addch(out, '\n');
}

void ms_diff_hidden_line(struct ms_buf *out, size_t n, bool elements,
			 int indent, unsigned flags)
{
	if (n)
		ms_diff_line(out, indent, " ", flags,
			     "# (%zu unchanged %s%s hidden)", n,
			     elements ? "element" : "attribute",
			     n == 1 ? "" : "s");
}

static void tail(struct out *o, const char *suffix, const char *comment)
{
	if (suffix)
		ms_buf_adds(o->b, suffix);
	if (comment)
		ms_buf_adds(o->b, comment);
}

/* Shapes */

static const struct ms_attr *nested_attr(const struct ms_attr *list,
					 const char *name)
{
	for (; list && list->name; list++)
		if (!strcmp(list->name, name))
			return list;
	return NULL;
}

static struct shape shape_of(const struct ms_attr *a, bool in_json)
{
	struct shape s = { SH_ANY, NULL, NULL, NULL, in_json };

	if (!a)
		return s;
	if (a->flags & MS_ATTR_MANIFEST)
		s.kind = SH_MANIFEST;
	else if (a->flags & MS_ATTR_POLICIES)
		s.kind = SH_POLICIES;
	else if (a->flags & MS_ATTR_POLICY)
		s.kind = SH_JSON;
	else if (a->type == MS_ATTR_MAP)
		s.kind = SH_MAP;
	else if (a->type == MS_ATTR_OBJECT && a->nested) {
		s.kind = SH_OBJECT;
		s.nested = a->nested;
	} else if (a->type == MS_ATTR_LIST) {
		s.kind = SH_LIST;
		s.nested = a->nested;
		s.identity = a->nested ? a->identity : NULL;
	}
	return s;
}

static struct shape member_shape(const struct shape *s, const char *key)
{
	struct shape m = { SH_ANY, NULL, NULL, NULL, s->in_json };

	if (s->kind == SH_OBJECT)
		return shape_of(nested_attr(s->nested, key), s->in_json);
	if (s->kind == SH_POLICIES)
		m.kind = SH_JSON;
	return m;
}

static struct shape element_shape(const struct shape *s)
{
	struct shape m = { SH_ANY, NULL, NULL, NULL, s->in_json };

	if (s->kind == SH_LIST && s->nested) {
		m.kind = SH_OBJECT;
		m.nested = s->nested;
		m.show = s->identity;
	}
	return m;
}

/* Views */

static bool hidden(const json_t *v, const json_t *mask)
{
	return json_is_true(mask) || ms_is_sensitive_marker(v);
}

/* A JSON object or array held as text, parsed; NULL when s is not one. */
static json_t *json_text(const char *s)
{
	const char *p = s;

	while (isspace((unsigned char)*p))
		p++;
	if (*p != '{' && *p != '[')
		return NULL;
	return json_loads(s, 0, NULL);
}

static void view_init(struct view *w, const struct shape *s, const json_t *v,
		      const json_t *mask)
{
	w->kind = V_SCALAR;
	w->v = v;
	w->parsed = NULL;
	if (!v)
		w->kind = V_NONE;
	else if (hidden(v, mask))
		w->kind = V_SENSITIVE;
	else if (ms_is_unknown(v))
		w->kind = V_UNKNOWN;
	else if (s->kind == SH_MANIFEST && json_is_object(v))
		w->kind = V_MANIFEST;
	else if (json_is_string(v)) {
		if (!s->in_json && (s->kind == SH_ANY || s->kind == SH_JSON) &&
		    (w->parsed = json_text(json_string_value(v)))) {
			w->kind = V_JSON;
			w->v = w->parsed;
		} else if (strchr(json_string_value(v), '\n')) {
			w->kind = V_TEXT;
		}
	} else if (json_is_object(v)) {
		w->kind = s->kind == SH_JSON ? V_JSON : V_OBJECT;
	} else if (json_is_array(v)) {
		w->kind = s->kind == SH_JSON ? V_JSON : V_LIST;
	}
}

static void view_release(struct view *w)
{
	json_decref(w->parsed);
}

/* Kinds that diff against each other (else: a change of type). */
static enum view_kind family(enum view_kind k)
{
	return k == V_TEXT ? V_SCALAR : k;
}

static bool multi_line(const struct view *w)
{
	switch (w->kind) {
	case V_TEXT:
		return true;
	case V_OBJECT:
	case V_JSON:
		return json_is_object(w->v) ? json_object_size(w->v) > 0 :
					      json_array_size(w->v) > 0;
	case V_LIST:
		return json_array_size(w->v) > 0;
	default:
		return false;
	}
}

/* Values */

static const json_t *mask_get(const json_t *mask, const char *key)
{
	return json_is_object(mask) ? json_object_get(mask, key) : NULL;
}

static const json_t *mask_at(const json_t *mask, size_t i)
{
	return json_is_array(mask) ? json_array_get(mask, i) : NULL;
}

/* A member's value; null reads as absent. */
static const json_t *member(const json_t *v, const char *key)
{
	const json_t *x = json_object_get(v, key);

	return json_is_null(x) ? NULL : x;
}

static bool same_deep(const json_t *b, const json_t *a, const json_t *bm,
		      const json_t *am)
{
	const char *key;
	json_t *x;
	size_t i;

	if (hidden(b, bm) || hidden(a, am))
		return false;
	if (json_is_object(b) && json_is_object(a)) {
		if (json_object_size(b) != json_object_size(a))
			return false;
		json_object_foreach((json_t *)b, key, x)
			if (!json_object_get(a, key) ||
			    !same_deep(x, json_object_get(a, key),
				       mask_get(bm, key), mask_get(am, key)))
				return false;
		return true;
	}
	if (json_is_array(b) && json_is_array(a)) {
		if (json_array_size(b) != json_array_size(a))
			return false;
		json_array_foreach(b, i, x)
			if (!same_deep(x, json_array_get(a, i), mask_at(bm, i),
				       mask_at(am, i)))
				return false;
		return true;
	}
	return json_equal(b, a);
}

/*
 * Whether b and a print as unchanged: equal, nothing unknown, and (when
 * hidden parts count as changed) nothing hidden.
 */
static bool same(const struct out *o, const json_t *b, const json_t *a,
		 const json_t *bm, const json_t *am)
{
	if (!b || !a)
		return !b && !a;
	if (ms_has_unknown(b) || ms_has_unknown(a))
		return false;
	if (o->markers_differ)
		return same_deep(b, a, bm, am);
	return json_equal(b, a);
}

/*
 * A string as json_dumps writes it: quoted, and for plain ASCII text (the
 * most of it) without the detour through jansson; the rest is left to
 * jansson, escapes and all. Nothing when jansson cannot write it.
 */
static bool put_json_string(struct ms_buf *b, const char *s, size_t len)
{
	json_t *v;
	char *t;
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\')
			break;
	}
	if (i == len) {
		ms_buf_addch(b, '"');
		ms_buf_add(b, s, len);
		ms_buf_addch(b, '"');
		return true;
	}
	v = json_stringn(s, len);
	t = v ? json_dumps(v, JSON_ENCODE_ANY) : NULL;
	if (t)
		ms_buf_adds(b, t);
	free(t);
	json_decref(v);
	return t != NULL;
}

static void put_scalar(struct out *o, const json_t *v)
{
	char *s;

	if (!v || json_is_null(v)) {
		ms_buf_adds(o->b, "null");
	} else if (json_is_string(v)) {
		if (!put_json_string(o->b, json_string_value(v),
				     json_string_length(v)))
			ms_buf_adds(o->b, "\"\"");
	} else if (ms_json_scalar_text(o->b, v) < 0) {
		s = ms_json_compact(v);
		ms_buf_adds(o->b, s ? s : "");
		free(s);
	}
}

static bool identifier(const char *key)
{
	const char *p = key;

	if (!isalpha((unsigned char)*p) && *p != '_')
		return false;
	for (; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '_' && *p != '-')
			return false;
	return true;
}

/* A key as printed: quoted in maps, bare where it can be elsewhere. */
static void key_text(struct ms_buf *b, const char *key, bool quoted)
{
	if (!quoted && identifier(key)) {
		ms_buf_adds(b, key);
		return;
	}
	if (!put_json_string(b, key, strlen(key))) {
		ms_buf_addch(b, '"');
		ms_buf_adds(b, key);
		ms_buf_addch(b, '"');
	}
}

static bool quoted_keys(const struct shape *s)
{
	return s->kind == SH_MAP || s->kind == SH_POLICIES;
}

/* The keys of b and a with a value (not null), sorted (ms_json_keys). */
static const char **member_keys(const json_t *b, const json_t *a, size_t *n)
{
	return ms_json_keys(b, a, true, n);
}

static int keys_width(const char *const *keys, bool quoted)
{
	struct ms_buf t = MS_BUF_INIT;
	size_t i;
	int w = 0;

	for (i = 0; keys[i]; i++) {
		ms_buf_reset(&t);
		key_text(&t, keys[i], quoted);
		if ((int)t.len > w)
			w = (int)t.len;
	}
	ms_buf_release(&t);
	return w;
}

static void put_key(struct out *o, const char *key, bool quoted, int width)
{
	struct ms_buf t = MS_BUF_INIT;

	key_text(&t, key, quoted);
	put_name(o->b, t.ptr, t.len, width);
	ms_buf_release(&t);
}

/* Folder manifests ("<etag> <bytes>" by object key) */

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

/*
 * What a manifest change moves, each kind on a line of its own below the
 * attribute's: the objects added, changed and removed, with their sizes
 * (after's, before's for removals) and the first keys of each, in key
 * order. Each line starts with "\n": the attribute's own line is the
 * caller's to end.
 */
static void manifest_lines(struct out *o, int indent, const json_t *before,
			   const json_t *after)
{
	static const char *const words[] = { "objects", "changed", "removed" };
	static const char *const signs[] = { "+", "~", "-" };
	json_t *keys[3] = { json_array(), json_array(), json_array() }, *v;
	double bytes[3] = { 0, 0, 0 };
	const char *key;
	size_t i, k;

	if (!json_is_object(before) || ms_has_unknown(before))
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
		size_t n = json_array_size(keys[k]);

		keys[k] = ms_json_sorted_set(keys[k]);
		if (!n) {
			json_decref(keys[k]);
			continue;
		}
		ms_buf_addch(o->b, '\n');
		line_start(o, indent + STEP, signs[k]);
		ms_buf_addf(o->b, "%zu %s (", n,
			    k == 0 && n == 1 ? "object" : words[k]);
		bytes_text(o->b, bytes[k]);
		ms_buf_addch(o->b, ')');
		for (i = 0; i < n && i < MANIFEST_SHOWN; i++) {
			ms_buf_addch(o->b, '\n');
			line_start(o, indent + 2 * STEP, signs[k]);
			ms_buf_adds(o->b, json_string_value(
						  json_array_get(keys[k], i)));
		}
		if (n > MANIFEST_SHOWN) {
			ms_buf_addch(o->b, '\n');
			line_start(o, indent + 2 * STEP, " ");
			ms_buf_addf(o->b, "# (%zu more)", n - MANIFEST_SHOWN);
		}
		json_decref(keys[k]);
	}
}

/* Alignment of two sequences */

/* One step: before index, after index; -1 where that side has none. */
struct step {
	long b, a;
};

struct steps {
	struct step *v;
	size_t n, alloc;
};

static void step_add(struct steps *s, long b, long a)
{
	if (s->n == s->alloc) {
		s->alloc = s->alloc ? 2 * s->alloc : 16;
		s->v = ms_realloc(s->v, s->alloc * sizeof(*s->v));
	}
	s->v[s->n].b = b;
	s->v[s->n].a = a;
	s->n++;
}

/* One line of a string. */
struct line {
	const char *p;
	size_t len;
};

struct seq {
	size_t n, m;
	bool (*eq)(const struct seq *q, size_t i, size_t j);
	/* in a gap: whether before i and after j change into each other */
	bool (*pairs)(const struct seq *q, size_t i, size_t j);
	const struct out *o;
	const json_t *b, *a, *bm, *am; /* lists */
	const struct line *lb, *la;    /* lines */
};

static bool elements_eq(const struct seq *q, size_t i, size_t j)
{
	return same(q->o, json_array_get(q->b, i), json_array_get(q->a, j),
		    mask_at(q->bm, i), mask_at(q->am, j));
}

static bool plain_object(const json_t *v)
{
	return json_is_object(v) && !ms_is_unknown(v) &&
	       !ms_is_sensitive_marker(v);
}

static bool objects_pair(const struct seq *q, size_t i, size_t j)
{
	return plain_object(json_array_get(q->b, i)) &&
	       plain_object(json_array_get(q->a, j));
}

static bool lines_eq(const struct seq *q, size_t i, size_t j)
{
	return q->lb[i].len == q->la[j].len &&
	       !memcmp(q->lb[i].p, q->la[j].p, q->lb[i].len);
}

/*
 * The pairs (i, j) of a longest common subsequence of q's two sides, in
 * order, into pairs. Equal heads and tails are taken first; what is left
 * between them is searched only when it fits LCS_CELLS (else nothing in
 * it is common: the plan stays readable, if longer).
 */
static void common(struct steps *pairs, const struct seq *q)
{
	size_t n = q->n, m = q->m, p = 0, t = 0, nn, mm, i, j;
	uint32_t *L;

	while (p < n && p < m && q->eq(q, p, p))
		p++;
	while (t < n - p && t < m - p && q->eq(q, n - 1 - t, m - 1 - t))
		t++;
	for (i = 0; i < p; i++)
		step_add(pairs, (long)i, (long)i);
	nn = n - p - t;
	mm = m - p - t;
	if (nn && mm && nn <= LCS_CELLS / mm) {
		L = ms_calloc((nn + 1) * (mm + 1), sizeof(*L));
#define AT(x, y) L[(x) * (mm + 1) + (y)]
		for (i = nn; i-- > 0;)
			for (j = mm; j-- > 0;)
				AT(i, j) = q->eq(q, p + i, p + j) ?
						   AT(i + 1, j + 1) + 1 :
					   AT(i + 1, j) >= AT(i, j + 1) ?
						   AT(i + 1, j) :
						   AT(i, j + 1);
		i = j = 0;
		while (i < nn && j < mm) {
			if (AT(i, j) == AT(i + 1, j + 1) + 1 &&
			    q->eq(q, p + i, p + j)) {
				step_add(pairs, (long)(p + i), (long)(p + j));
				i++;
				j++;
			} else if (AT(i + 1, j) >= AT(i, j + 1)) {
				i++;
			} else {
				j++;
			}
		}
#undef AT
		free(L);
	}
	for (i = 0; i < t; i++)
		step_add(pairs, (long)(n - t + i), (long)(m - t + i));
}

/*
 * The steps from q's before to its after: between two common elements,
 * what before had is removed and what after has is added, except that
 * elements that pair (two objects) change into each other in place.
 */
static void align_seq(struct steps *st, const struct seq *q)
{
	struct steps pairs = { NULL, 0, 0 };
	size_t k, bi = 0, ai = 0;

	common(&pairs, q);
	for (k = 0; k <= pairs.n; k++) {
		size_t mb = k < pairs.n ? (size_t)pairs.v[k].b : q->n;
		size_t ma = k < pairs.n ? (size_t)pairs.v[k].a : q->m;

		while (bi < mb) {
			if (q->pairs && ai < ma && q->pairs(q, bi, ai)) {
				step_add(st, (long)bi++, (long)ai++);
				continue;
			}
			step_add(st, (long)bi++, -1);
		}
		while (ai < ma)
			step_add(st, -1, (long)ai++);
		if (k < pairs.n)
			step_add(st, (long)bi++, (long)ai++);
	}
	free(pairs.v);
}

/* The identity of element v (a string), or NULL. */
static const char *identity_of(const json_t *v, const char *key)
{
	return plain_object(v) ? json_string_value(json_object_get(v, key)) :
				 NULL;
}

/* name -> index of each element of list; NULL when one has none or twice. */
static json_t *identities(const json_t *list, const char *key)
{
	json_t *ids = json_object(), *v;
	size_t i;

	json_array_foreach(list, i, v) {
		const char *id = identity_of(v, key);

		if (!id || json_object_get(ids, id)) {
			json_decref(ids);
			return NULL;
		}
		json_object_set_new(ids, id, json_integer((json_int_t)i));
	}
	return ids;
}

/*
 * Elements matched by their identity: a matched pair changes in place,
 * the rest are added or removed where they stand. Refused (false) when an
 * element has no identity or shares it, or when the matched elements
 * changed order (the plain alignment shows that).
 */
static bool align_identity(struct steps *st, const json_t *b, const json_t *a,
			   const char *key)
{
	json_t *ib = identities(b, key), *ia = identities(a, key);
	size_t n = json_array_size(b), m = json_array_size(a), j, next = 0;
	long *match = NULL, last = -1;
	bool ok = ib && ia;

	if (ok) {
		match = ms_calloc(m ? m : 1, sizeof(*match));
		for (j = 0; j < m && ok; j++) {
			json_t *i = json_object_get(
				ib, identity_of(json_array_get(a, j), key));

			match[j] = i ? (long)json_integer_value(i) : -1;
			if (match[j] >= 0 && match[j] < last)
				ok = false;
			if (match[j] >= 0)
				last = match[j];
		}
	}
	for (j = 0; ok && j <= m; j++) {
		size_t upto = n, k;

		/* removals before the next matched element come first */
		for (k = j; k < m; k++)
			if (match[k] >= 0) {
				upto = (size_t)match[k];
				break;
			}
		for (; next < upto; next++)
			if (!json_object_get(
				    ia,
				    identity_of(json_array_get(b, next), key)))
				step_add(st, (long)next, -1);
		if (j == m)
			break;
		if (match[j] >= 0) {
			step_add(st, match[j], (long)j);
			next = (size_t)match[j] + 1;
		} else {
			step_add(st, -1, (long)j);
		}
	}
	free(match);
	json_decref(ib);
	json_decref(ia);
	return ok;
}

static void align_lists(struct steps *st, const struct out *o,
			const struct shape *s, const json_t *b, const json_t *a,
			const json_t *bm, const json_t *am)
{
	struct seq q = { json_array_size(b),
			 json_array_size(a),
			 elements_eq,
			 objects_pair,
			 o,
			 b,
			 a,
			 bm,
			 am,
			 NULL,
			 NULL };

	if (s->identity && align_identity(st, b, a, s->identity))
		return;
	align_seq(st, &q);
}

/* Whole values (created, destroyed or shown unchanged) */

static void object_full(struct out *o, int indent, const struct shape *s,
			const json_t *v, const json_t *mask, const char *sign,
			const char *suffix, const char *comment)
{
	size_t i, n;
	const char **keys = member_keys(v, NULL, &n);
	bool quoted = quoted_keys(s);
	int width = keys_width(keys, quoted);

	if (!n) {
		ms_buf_adds(o->b, "{}");
		tail(o, suffix, comment);
		free(keys);
		return;
	}
	ms_buf_addch(o->b, '{');
	tail(o, NULL, comment);
	ms_buf_addch(o->b, '\n');
	for (i = 0; i < n; i++) {
		const char *key = keys[i];
		struct shape ms = member_shape(s, key);

		line_start(o, indent + STEP, sign);
		put_key(o, key, quoted, width);
		put_full(o, indent + STEP, &ms, member(v, key),
			 mask_get(mask, key), sign, NULL, NULL);
		ms_buf_addch(o->b, '\n');
	}
	line_start(o, indent, " ");
	ms_buf_addch(o->b, '}');
	tail(o, suffix, NULL);
	free(keys);
}

static void list_full(struct out *o, int indent, const struct shape *s,
		      const json_t *v, const json_t *mask, const char *sign,
		      const char *suffix, const char *comment)
{
	struct shape es = element_shape(s);
	json_t *x;
	size_t i;

	if (!json_array_size(v)) {
		ms_buf_adds(o->b, "[]");
		tail(o, suffix, comment);
		return;
	}
	ms_buf_addch(o->b, '[');
	tail(o, NULL, comment);
	ms_buf_addch(o->b, '\n');
	json_array_foreach(v, i, x) {
		line_start(o, indent + STEP, sign);
		put_full(o, indent + STEP, &es, x, mask_at(mask, i), sign, NULL,
			 NULL);
		ms_buf_adds(o->b, ",\n");
	}
	line_start(o, indent, " ");
	ms_buf_addch(o->b, ']');
	tail(o, suffix, NULL);
}

/* The lines of s: split at "\n", a final newline ending the last one. */
static struct line *split_lines(const char *s, size_t *n)
{
	struct line *v = NULL;
	size_t alloc = 0;
	const char *nl;

	*n = 0;
	for (;;) {
		nl = strchr(s, '\n');
		if (!nl && !*s && *n)
			break;
		if (*n == alloc) {
			alloc = alloc ? 2 * alloc : 8;
			v = ms_realloc(v, alloc * sizeof(*v));
		}
		v[*n].p = s;
		v[*n].len = nl ? (size_t)(nl - s) : strlen(s);
		(*n)++;
		if (!nl)
			break;
		s = nl + 1;
	}
	return v;
}

/*
 * One line of a string as it is, but for control characters, escaped as
 * JSON escapes them: a value must not drive the terminal.
 */
static void put_line(struct out *o, const struct line *l)
{
	size_t i;

	for (i = 0; i < l->len; i++) {
		unsigned char c = (unsigned char)l->p[i];

		if ((c < 0x20 && c != '\t') || c == 0x7f)
			ms_buf_addf(o->b, "\\u%04x", c);
		else
			ms_buf_addch(o->b, (char)c);
	}
}

/* A string of several lines, as a heredoc; a line diff when b is set. */
static void put_text(struct out *o, int indent, const char *b, const char *a,
		     const char *suffix, const char *comment)
{
	struct steps st = { NULL, 0, 0 };
	struct line *lb = NULL, *la;
	size_t nb = 0, na, i;

	la = split_lines(a, &na);
	ms_buf_adds(o->b, "<<-EOT");
	tail(o, NULL, comment);
	ms_buf_addch(o->b, '\n');
	if (b) {
		struct seq q = { 0 };

		lb = split_lines(b, &nb);
		q.n = nb;
		q.m = na;
		q.eq = lines_eq;
		q.lb = lb;
		q.la = la;
		align_seq(&st, &q);
		for (i = 0; i < st.n; i++) {
			const struct line *l = st.v[i].a < 0 ? &lb[st.v[i].b] :
							       &la[st.v[i].a];

			line_start(o, indent + STEP,
				   st.v[i].b < 0 ? "+" :
				   st.v[i].a < 0 ? "-" :
						   " ");
			put_line(o, l);
			ms_buf_addch(o->b, '\n');
		}
	} else {
		for (i = 0; i < na; i++) {
			line_start(o, indent + STEP, " ");
			put_line(o, &la[i]);
			ms_buf_addch(o->b, '\n');
		}
	}
	line_start(o, indent, " ");
	ms_buf_adds(o->b, "EOT");
	tail(o, suffix, NULL);
	free(st.v);
	free(lb);
	free(la);
}

static const struct shape json_inner = { SH_ANY, NULL, NULL, NULL, true };

/* A JSON document whole: jsonencode(...), its lines unmarked but inside. */
static void json_full(struct out *o, int indent, const struct view *w,
		      const json_t *mask, const char *sign, const char *suffix,
		      const char *comment)
{
	if (!multi_line(w)) {
		ms_buf_adds(o->b, json_is_object(w->v) ? "jsonencode({})" :
							 "jsonencode([])");
		tail(o, suffix, comment);
		return;
	}
	ms_buf_adds(o->b, "jsonencode(");
	tail(o, NULL, comment);
	ms_buf_addch(o->b, '\n');
	line_start(o, indent + STEP, " ");
	put_full(o, indent + STEP, &json_inner, w->v, w->parsed ? NULL : mask,
		 sign, NULL, NULL);
	ms_buf_addch(o->b, '\n');
	line_start(o, indent, " ");
	ms_buf_addch(o->b, ')');
	tail(o, suffix, NULL);
}

static void put_view(struct out *o, int indent, const struct shape *s,
		     const struct view *w, const json_t *mask, const char *sign,
		     const char *suffix, const char *comment)
{
	switch (w->kind) {
	case V_NONE:
	case V_SCALAR:
		put_scalar(o, w->v);
		tail(o, suffix, comment);
		break;
	case V_SENSITIVE:
		ms_buf_adds(o->b, "(sensitive)");
		tail(o, suffix, comment);
		break;
	case V_UNKNOWN:
		ms_buf_adds(o->b, "(known after apply)");
		tail(o, suffix, comment);
		break;
	case V_MANIFEST:
		manifest_text(o->b, w->v);
		tail(o, suffix, comment);
		if (!strcmp(sign, "+"))
			manifest_lines(o, indent, NULL, w->v);
		break;
	case V_TEXT:
		put_text(o, indent, NULL, json_string_value(w->v), suffix,
			 comment);
		break;
	case V_OBJECT:
		object_full(o, indent, s, w->v, mask, sign, suffix, comment);
		break;
	case V_LIST:
		list_full(o, indent, s, w->v, mask, sign, suffix, comment);
		break;
	case V_JSON:
		json_full(o, indent, w, mask, sign, suffix, comment);
		break;
	}
}

static void put_full(struct out *o, int indent, const struct shape *s,
		     const json_t *v, const json_t *mask, const char *sign,
		     const char *suffix, const char *comment)
{
	struct view w;

	view_init(&w, s, v, mask);
	put_view(o, indent, s, &w, mask, sign, suffix, comment);
	view_release(&w);
}

/* Changes */

static void object_change(struct out *o, int indent, const struct shape *s,
			  const json_t *b, const json_t *a, const json_t *bm,
			  const json_t *am, const char *suffix,
			  const char *comment)
{
	size_t i, n, unchanged = 0;
	const char **keys = member_keys(b, a, &n);
	bool quoted = quoted_keys(s);
	int width = keys_width(keys, quoted);

	ms_buf_addch(o->b, '{');
	tail(o, NULL, comment);
	ms_buf_addch(o->b, '\n');
	for (i = 0; i < n; i++) {
		const char *key = keys[i];
		struct shape ms = member_shape(s, key);
		const json_t *x = member(b, key), *y = member(a, key);
		const json_t *xm = mask_get(bm, key), *ym = mask_get(am, key);

		if (x && y && same(o, x, y, xm, ym) &&
		    !(s->show && !strcmp(s->show, key))) {
			unchanged++;
			continue;
		}
		line_start(o, indent + STEP,
			   !x                    ? "+" :
			   !y                    ? "-" :
			   same(o, x, y, xm, ym) ? " " :
						   "~");
		put_key(o, key, quoted, width);
		if (!x)
			put_full(o, indent + STEP, &ms, y, ym, "+", NULL, NULL);
		else if (!y)
			/* Terraform's "-> null" on a map's entries only */
			put_full(o, indent + STEP, &ms, x, xm, "-",
				 quoted ? " -> null" : NULL, NULL);
		else if (same(o, x, y, xm, ym))
			put_full(o, indent + STEP, &ms, y, ym, " ", NULL, NULL);
		else
			put_change(o, indent + STEP, &ms, x, y, xm, ym, NULL,
				   NULL);
		ms_buf_addch(o->b, '\n');
	}
	ms_diff_hidden_line(o->b, unchanged, quoted, indent + STEP, o->flags);
	line_start(o, indent, " ");
	ms_buf_addch(o->b, '}');
	tail(o, suffix, NULL);
	free(keys);
}

static void element_line(struct out *o, int indent, const struct shape *es,
			 const struct step *st, char act, const json_t *b,
			 const json_t *a, const json_t *bm, const json_t *am)
{
	const json_t *x = st->b >= 0 ? json_array_get(b, (size_t)st->b) : NULL;
	const json_t *y = st->a >= 0 ? json_array_get(a, (size_t)st->a) : NULL;
	const json_t *xm = st->b >= 0 ? mask_at(bm, (size_t)st->b) : NULL;
	const json_t *ym = st->a >= 0 ? mask_at(am, (size_t)st->a) : NULL;
	char sign[2] = { act, '\0' };

	line_start(o, indent + STEP, sign);
	if (act == '-')
		put_full(o, indent + STEP, es, x, xm, "-", NULL, NULL);
	else if (act == '~')
		put_change(o, indent + STEP, es, x, y, xm, ym, NULL, NULL);
	else
		put_full(o, indent + STEP, es, y, ym, sign, NULL, NULL);
	ms_buf_adds(o->b, ",\n");
}

/*
 * A list's changed elements. A list of scalars or of JSON shows each
 * change with the elements either side of it, for where it is (as
 * Terraform does); a list of the schema's objects shows only what
 * changed.
 */
static void list_change(struct out *o, int indent, const struct shape *s,
			const json_t *b, const json_t *a, const json_t *bm,
			const json_t *am, const char *suffix,
			const char *comment)
{
	struct shape es = element_shape(s);
	struct steps st = { NULL, 0, 0 };
	bool context = !(s->kind == SH_LIST && s->nested), next = false;
	size_t i, unchanged = 0, last = 0;

	align_lists(&st, o, s, b, a, bm, am);
	ms_buf_addch(o->b, '[');
	tail(o, NULL, comment);
	ms_buf_addch(o->b, '\n');
	for (i = 0; i < st.n; i++) {
		const struct step *p = &st.v[i];
		char act = p->b < 0 ? '+' :
			   p->a < 0 ? '-' :
			   same(o, json_array_get(b, (size_t)p->b),
				json_array_get(a, (size_t)p->a),
				mask_at(bm, (size_t)p->b),
				mask_at(am, (size_t)p->a)) ?
				      ' ' :
				      '~';

		if (act == ' ' && !next) {
			unchanged++;
			last = i;
			continue;
		}
		next = false;
		if (context) {
			ms_diff_hidden_line(o->b, unchanged ? unchanged - 1 : 0,
					    true, indent + STEP, o->flags);
			if (unchanged)
				element_line(o, indent, &es, &st.v[last], ' ',
					     b, a, bm, am);
			unchanged = 0;
			next = act != ' ';
		}
		element_line(o, indent, &es, p, act, b, a, bm, am);
	}
	ms_diff_hidden_line(o->b, unchanged, true, indent + STEP, o->flags);
	line_start(o, indent, " ");
	ms_buf_addch(o->b, ']');
	tail(o, suffix, NULL);
	free(st.v);
}

/* Two JSON documents: jsonencode( the structural diff ). */
static void json_change(struct out *o, int indent, const struct view *vb,
			const struct view *va, const json_t *bm,
			const json_t *am, const char *suffix,
			const char *comment)
{
	if (json_equal(vb->v, va->v)) {
		/* the same document, written otherwise */
		const char *note = comment ? " # whitespace changes force "
					     "replacement" :
					     " # whitespace changes";

		if (!multi_line(va)) {
			json_full(o, indent, va, NULL, " ", suffix, note);
			return;
		}
		ms_buf_adds(o->b, "jsonencode(");
		ms_buf_adds(o->b, note);
		ms_buf_addch(o->b, '\n');
		line_start(o, indent + STEP, " ");
		put_full(o, indent + STEP, &json_inner, va->v, NULL, " ", NULL,
			 NULL);
	} else {
		ms_buf_adds(o->b, "jsonencode(");
		tail(o, NULL, comment);
		ms_buf_addch(o->b, '\n');
		line_start(o, indent + STEP, "~");
		put_change(o, indent + STEP, &json_inner, vb->v, va->v,
			   vb->parsed ? NULL : bm, va->parsed ? NULL : am, NULL,
			   NULL);
	}
	ms_buf_addch(o->b, '\n');
	line_start(o, indent, " ");
	ms_buf_addch(o->b, ')');
	tail(o, suffix, NULL);
}

static void put_change(struct out *o, int indent, const struct shape *s,
		       const json_t *b, const json_t *a, const json_t *bm,
		       const json_t *am, const char *suffix,
		       const char *comment)
{
	struct view vb, va;

	view_init(&vb, s, b, bm);
	view_init(&va, s, a, am);
	if (vb.kind == V_SENSITIVE || va.kind == V_SENSITIVE) {
		ms_buf_adds(o->b, "(sensitive)");
		tail(o, suffix, comment);
	} else if (vb.kind == V_NONE) {
		put_view(o, indent, s, &va, am, "+", suffix, comment);
	} else if (va.kind == V_NONE) {
		put_view(o, indent, s, &vb, bm, "-", " -> null", comment);
	} else if (va.kind == V_UNKNOWN && vb.kind == V_UNKNOWN) {
		ms_buf_adds(o->b, "(known after apply)");
		tail(o, suffix, comment);
	} else if (va.kind == V_UNKNOWN) {
		put_view(o, indent, s, &vb, bm, "-", " -> (known after apply)",
			 comment);
	} else if (family(vb.kind) != family(va.kind) || vb.kind == V_UNKNOWN) {
		/* a change of type: the old value out, the new one in */
		bool first = multi_line(&vb);

		put_view(o, indent, s, &vb, bm, "-", NULL,
			 first ? comment : NULL);
		ms_buf_adds(o->b, " -> ");
		put_view(o, indent, s, &va, am, "+", suffix,
			 first ? NULL : comment);
	} else {
		switch (va.kind) {
		case V_TEXT:
		case V_SCALAR:
			if ((vb.kind == V_TEXT || va.kind == V_TEXT) &&
			    json_is_string(b) && json_is_string(a)) {
				put_text(o, indent, json_string_value(b),
					 json_string_value(a), suffix, comment);
				break;
			}
			put_scalar(o, b);
			ms_buf_adds(o->b, " -> ");
			put_scalar(o, a);
			tail(o, suffix, comment);
			break;
		case V_MANIFEST:
			manifest_text(o->b, b);
			ms_buf_adds(o->b, " -> ");
			manifest_text(o->b, a);
			tail(o, suffix, comment);
			manifest_lines(o, indent, b, a);
			break;
		case V_OBJECT:
			object_change(o, indent, s, b, a, bm, am, suffix,
				      comment);
			break;
		case V_LIST:
			list_change(o, indent, s, b, a, bm, am, suffix,
				    comment);
			break;
		case V_JSON:
			json_change(o, indent, &vb, &va, bm, am, suffix,
				    comment);
			break;
		default:
			put_scalar(o, a);
			tail(o, suffix, comment);
			break;
		}
	}
	view_release(&vb);
	view_release(&va);
}

/* The sensitive parts of v, attribute name of type, by its schema alone. */
static json_t *schema_mask(const char *type, const char *name, const json_t *v)
{
	json_t *attrs, *mask, *m;

	if (!v)
		return NULL;
	attrs = json_object();
	json_object_set(attrs, name, (json_t *)v);
	mask = ms_sensitive_mask(type, attrs, NULL);
	m = json_incref(json_object_get(mask, name));
	json_decref(mask);
	json_decref(attrs);
	return m;
}

void ms_diff_attr_lines(struct ms_buf *out, const struct ms_diff_attr *a,
			enum ms_action action, int indent, int width,
			unsigned flags)
{
	const struct ms_resource_type *t =
		a->schema || !a->type ? NULL : ms_provider_find(a->type);
	const struct ms_attr *sa = a->schema ? a->schema :
				   t         ? ms_provider_attr(t, a->name) :
					       NULL;
	struct shape s = shape_of(sa, false);
	struct out o = { out, flags, false };
	const json_t *b = json_is_null(a->before) ? NULL : a->before;
	const json_t *y = json_is_null(a->after) ? NULL : a->after;
	const json_t *bm = a->before_mask, *am = a->after_mask;
	const char *comment = a->forces ? forces_text : NULL;
	json_t *own_bm = NULL, *own_am = NULL;

	if (action == MS_ACTION_CREATE)
		b = NULL;
	else if (action == MS_ACTION_DELETE)
		y = NULL;
	if (!b && !y)
		return;
	/* without the caller's masks, the schema's still hide what it marks */
	if (!bm)
		bm = own_bm = schema_mask(a->type, a->name, b);
	if (!am)
		am = own_am = schema_mask(a->type, a->name, y);
	if (!b) {
		line_start(&o, indent, "+");
		put_name(out, a->name, strlen(a->name), width);
		put_full(&o, indent, &s, y, am, "+", NULL, comment);
	} else if (!y) {
		line_start(&o, indent, "-");
		put_name(out, a->name, strlen(a->name), width);
		put_full(&o, indent, &s, b, bm, "-", " -> null", comment);
	} else if (same(&o, b, y, bm, am) && !a->changed) {
		line_start(&o, indent, " ");
		put_name(out, a->name, strlen(a->name), width);
		put_full(&o, indent, &s, y, am, " ", NULL, comment);
	} else {
		/* changed, yet equal: only what is hidden can differ */
		o.markers_differ = same(&o, b, y, bm, am);
		line_start(&o, indent, "~");
		put_name(out, a->name, strlen(a->name), width);
		put_change(&o, indent, &s, b, y, bm, am, NULL, comment);
	}
	ms_buf_addch(out, '\n');
	json_decref(own_bm);
	json_decref(own_am);
}

void ms_diff_value_text(struct ms_buf *out, const char *type, const char *attr,
			const json_t *v)
{
	static const char marker[] = "{\"" MS_SENSITIVE_KEY "\":true}";
	const struct ms_resource_type *t = type ? ms_provider_find(type) : NULL;
	const struct ms_attr *a = t ? ms_provider_attr(t, attr) : NULL;
	const char *p, *s;
	char *text;

	if (!v) {
		ms_buf_adds(out, "null");
	} else if ((a && (a->flags & MS_ATTR_SENSITIVE)) ||
		   ms_is_sensitive_marker(v)) {
		ms_buf_adds(out, "(sensitive)");
	} else if (ms_has_unknown(v)) {
		ms_buf_adds(out, "(known after apply)");
	} else if (a && (a->flags & MS_ATTR_MANIFEST) && json_is_object(v)) {
		manifest_text(out, v);
	} else {
		/* compact JSON, each hidden part printed as (sensitive) */
		s = text = ms_json_compact(v);
		while (s && (p = strstr(s, marker))) {
			ms_buf_add(out, s, (size_t)(p - s));
			ms_buf_adds(out, "(sensitive)");
			s = p + sizeof(marker) - 1;
		}
		ms_buf_adds(out, s ? s : "");
		free(text);
	}
}
