/*
 * stack.c - the stack file: read it, parse it (yaml.c), check it against
 * the provider schemas, and keep the source mark of every value.
 *
 * Checking never stops at the first problem: every diagnostic is collected
 * with its position, sorted by position and handed back, as a compiler
 * does, so that one run shows everything to fix. The model keeps property
 * and output values as written (references unevaluated, types converted);
 * only variables, region and tags are final once loaded, since they may
 * refer to nothing but variables.
 */
#include "util/common.h"
#include "util/json.h"
#include "util/sha256.h"
#include "util/file.h"
#include "util/map.h"
#include "engine/stack.h"
#include "engine/expr.h"
#include "engine/lint.h"
#include "engine/yaml.h"
#include "providers/provider.h"
#include "state/state.h"

#include <ctype.h>
#include <pthread.h>
#include <sched.h>
#include <unistd.h>

#define KEY_MARK   0
#define VALUE_MARK 2

/* What stack.c keeps beside the model (struct ms_stack's cache). */
struct ms_stack_cache {
	struct ms_map index; /* resource name -> its place in resources */
	/*
	 * The file's text while stack->marks holds those of the sections
	 * and their entries only (a shallow parse): the others are read
	 * from it when one is first wanted, under lock.
	 */
	char *text;
	size_t len;
	pthread_mutex_t lock;
};

static const char *const top_keys[] = {
	"stack",     "region",  "tags",  "variables", "data",
	"resources", "outputs", "state", NULL,
};
static const char *const state_keys[] = { "remote", NULL };
static const char *const lookup_keys[] = { "type", "properties", NULL };
static const char *const resource_keys[] = {
	"type",     "properties", "depends_on", "lifecycle",
	"timeouts", "lint",       NULL,
};
static const char *const lint_keys[] = { "ignore", NULL };
static const char *const lifecycle_keys[] = {
	"prevent_destroy",
	"create_before_destroy",
	"ignore_changes",
	NULL,
};
static const char *const timeout_keys[] = {
	"create",
	"update",
	"delete",
	NULL,
};
static const char *const variable_keys[] = {
	"default", "description", "type", "sensitive", NULL,
};
static const char *const variable_types[] = {
	"string", "number", "bool", "list", "map", "any", NULL,
};
static const char *const aws_attrs[] = { "account_id", "region", NULL };
static const char *const stack_attrs[] = { "name", NULL };

struct loader {
	const char *file;
	json_t *diags; /* [line, col, seq, message] */
	size_t seq;
	struct ms_yaml_doc doc;
	struct ms_stack *stack;
	const json_t *vars;   /* -var overrides, or NULL */
	json_t *declared;     /* every declared variable name -> true */
	json_t *types;        /* resource name -> type, for known types */
	json_t *found;        /* where load_entry adds to types (a part's) */
	json_t *lookup_types; /* lookup name -> type, for known types */
	const char *data;     /* the text being loaded (borrowed) */
	size_t len;
	const char **raw_keys; /* doc.raw's keys, sorted (raw_under) */
	size_t n_raw_keys;
	bool suppress; /* a reference failed for a reported cause */
	size_t n_yaml; /* the first diagnostics, the reader's */
	/*
	 * The loader whose doc holds the marks (itself, or the one a part of
	 * the resources was split from), and the lock they are read under
	 * while the parts run (NULL before and after).
	 */
	struct loader *main;
	pthread_mutex_t *marks_lock;
};

/* Diagnostics */

static int int_at(const json_t *array, size_t i)
{
	return (int)json_integer_value(json_array_get(array, i));
}

static const char *str_of(const json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

/*
 * The mark of path or of its nearest ancestor that has one, no shorter
 * than floor bytes: whether one was found (*line and *col untouched
 * when not).
 */
static bool mark_under(const json_t *marks, const char *path, size_t floor,
		       int which, int *line, int *col)
{
	struct ms_buf p = MS_BUF_INIT;
	json_t *m;
	char *dot, *bracket;
	size_t len;

	if (!marks || !path)
		return false;
	ms_buf_adds(&p, path);
	for (;;) {
		if ((m = json_object_get(marks, p.ptr)) || p.len <= floor)
			break;
		dot = strrchr(p.ptr, '.');
		bracket = strrchr(p.ptr, '[');
		if (!dot || (bracket && bracket > dot))
			dot = bracket;
		len = dot ? (size_t)(dot - p.ptr) : 0;
		if (len < floor)
			break;
		ms_buf_truncate(&p, len);
	}
	if (m) {
		*line = int_at(m, which);
		*col = int_at(m, which + 1);
	}
	ms_buf_release(&p);
	return m != NULL;
}

static void find_mark(const json_t *marks, const char *path, int which,
		      int *line, int *col)
{
	*line = *col = 0;
	mark_under(marks, path, 0, which, line, col);
}

/*
 * The marks to find path's in: the shallow parse's when it has path
 * itself, else all of them (the file is read again, once: a problem is
 * being said).
 */
static const json_t *loader_marks(struct loader *L, const char *path)
{
	if (L->doc.shallow && path && !json_object_get(L->doc.marks, path)) {
		json_decref(L->doc.marks);
		L->doc.marks = ms_yaml_marks(L->data, L->len);
		L->doc.shallow = false;
	}
	return L->doc.marks;
}

static void add_diag(struct loader *L, int line, int col, const char *msg)
{
	json_array_append_new(L->diags, json_pack("[iiIs]", line, col,
						  (json_int_t)L->seq++, msg));
}

/* find_mark in the main loader's marks, under their lock if any. */
static void mark_at(struct loader *L, const char *path, int which, int *line,
		    int *col)
{
	struct loader *M = L->main;

	if (M->marks_lock)
		pthread_mutex_lock(M->marks_lock);
	find_mark(loader_marks(M, path), path, which, line, col);
	if (M->marks_lock)
		pthread_mutex_unlock(M->marks_lock);
}

static void vdiag(struct loader *L, const char *path, int which,
		  const char *fmt, va_list ap)
{
	struct ms_buf b = MS_BUF_INIT;
	int line, col;

	mark_at(L, path, which, &line, &col);
	if (line < 1) /* line 0 is for the file itself (flush_diags) */
		line = col = 1;
	ms_buf_vaddf(&b, fmt, ap);
	add_diag(L, line, col, b.ptr);
	ms_buf_release(&b);
}

static void diag_key(struct loader *L, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void diag_value(struct loader *L, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* A problem with a key (unknown, missing ...): points at the key. */
static void diag_key(struct loader *L, const char *path, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vdiag(L, path, KEY_MARK, fmt, ap);
	va_end(ap);
}

/* A problem with a value (type, reference ...): points at the value. */
static void diag_value(struct loader *L, const char *path, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vdiag(L, path, VALUE_MARK, fmt, ap);
	va_end(ap);
}

static int cmp_diag(const void *a, const void *b)
{
	const json_t *x = *(const json_t *const *)a;
	const json_t *y = *(const json_t *const *)b;
	json_int_t d;
	size_t i;

	for (i = 0; i < 3; i++) {
		d = json_integer_value(json_array_get(x, i)) -
		    json_integer_value(json_array_get(y, i));
		if (d)
			return d < 0 ? -1 : 1;
	}
	return 0;
}

/*
 * Sort by position and append "file:line:col: message" lines to out; a
 * problem with the file itself (line 0) names the file in its message.
 */
static void flush_diags(struct loader *L, json_t *out)
{
	size_t i, n = json_array_size(L->diags);
	json_t **v = ms_calloc(n, sizeof(*v));
	json_t *seen = json_object();
	const char *msg;
	char *key;
	int line, col;

	for (i = 0; i < n; i++)
		v[i] = json_array_get(L->diags, i);
	qsort(v, n, sizeof(*v), cmp_diag);
	for (i = 0; i < n; i++) {
		line = int_at(v[i], 0);
		col = int_at(v[i], 1);
		msg = json_string_value(json_array_get(v[i], 3));
		/* a value the reader refused (a tag) has said its problem */
		if (i && line == int_at(v[i - 1], 0) &&
		    col == int_at(v[i - 1], 1) &&
		    (size_t)int_at(v[i - 1], 2) < L->n_yaml &&
		    (size_t)int_at(v[i], 2) >= L->n_yaml) {
			v[i] = v[i - 1];
			continue;
		}
		/* two checks may find one problem: it is said once */
		key = ms_asprintf("%d:%d:%s", line, col, msg);
		if (json_object_get(seen, key)) {
			free(key);
			continue;
		}
		json_object_set_new(seen, key, json_true());
		free(key);
		if (line > 0)
			json_array_append_new(out, json_sprintf("%s:%d:%d: %s",
								L->file, line,
								col, msg));
		else
			json_array_append_new(out, json_string(msg));
	}
	json_decref(seen);
	free(v);
}

/* Did you mean */

static size_t distance(const char *a, const char *b)
{
	size_t n = strlen(a), m = strlen(b), i, j, best;
	size_t *prev2, *prev, *cur, *t;

	if (n > 256 || m > 256)
		return (size_t)-1;
	prev2 = ms_calloc(m + 1, sizeof(size_t));
	prev = ms_calloc(m + 1, sizeof(size_t));
	cur = ms_calloc(m + 1, sizeof(size_t));
	for (j = 0; j <= m; j++)
		prev[j] = j;
	for (i = 1; i <= n; i++) {
		cur[0] = i;
		for (j = 1; j <= m; j++) {
			int ca = tolower((unsigned char)a[i - 1]);
			int cb = tolower((unsigned char)b[j - 1]);
			size_t cost = ca != cb;

			best = prev[j] + 1;
			if (cur[j - 1] + 1 < best)
				best = cur[j - 1] + 1;
			if (prev[j - 1] + cost < best)
				best = prev[j - 1] + cost;
			/* a transposition of two neighbours counts once */
			if (i > 1 && j > 1 &&
			    ca == tolower((unsigned char)b[j - 2]) &&
			    tolower((unsigned char)a[i - 2]) == cb &&
			    prev2[j - 2] + 1 < best)
				best = prev2[j - 2] + 1;
			cur[j] = best;
		}
		t = prev2;
		prev2 = prev;
		prev = cur;
		cur = t;
	}
	best = prev[m];
	free(prev2);
	free(prev);
	free(cur);
	return best;
}

const char *ms_did_you_mean(const char *word, const char *const *candidates)
{
	const char *best = NULL;
	size_t len = strlen(word), limit;
	size_t best_d = (size_t)-1, d, i;

	/* short words are near too much: one edit there, more in long ones */
	limit = len < 6 ? 1 : len / 3 > 2 ? len / 3 : 2;
	for (i = 0; candidates && candidates[i]; i++) {
		d = distance(word, candidates[i]);
		if (d > limit || d >= len || d >= strlen(candidates[i]))
			continue;
		if (d < best_d) {
			best_d = d;
			best = candidates[i];
		}
	}
	return best;
}

/* " (did you mean "x"?)" or "", into b. */
static const char *hint(struct ms_buf *b, const char *word,
			const char *const *candidates)
{
	const char *best = ms_did_you_mean(word, candidates);

	ms_buf_reset(b);
	if (best)
		ms_buf_addf(b, " (did you mean \"%s\"?)", best);
	return b->ptr;
}

/* The keys of obj as a NULL-terminated array (borrowed strings). */
static const char **keys_of(const json_t *obj)
{
	const char **k = ms_calloc(json_object_size(obj) + 1, sizeof(*k));
	const char *key;
	json_t *v;
	size_t n = 0;

	json_object_foreach((json_t *)obj, key, v)
		k[n++] = key;
	return k;
}

static const char **attr_names(const struct ms_resource_type *t)
{
	const struct ms_attr *a;
	const char **k;
	size_t n = 0;

	for (a = t->schema; a->name; a++)
		n++;
	k = ms_calloc(n + 1, sizeof(*k));
	n = 0;
	for (a = t->schema; a->name; a++)
		k[n++] = a->name;
	return k;
}

static const char **type_names(bool lookups)
{
	const struct ms_resource_type *const *all = lookups ? ms_lookup_all() :
							      ms_provider_all();
	const char **k;
	size_t n = 0;

	while (all[n])
		n++;
	k = ms_calloc(n + 1, sizeof(*k));
	for (n = 0; all[n]; n++)
		k[n] = all[n]->name;
	return k;
}

/* Small checks */

static bool is_name(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_' && *s != '-')
			return false;
	return true;
}

/* [a-z0-9-]+: stack names and regions */
static bool is_lower_name(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!islower((unsigned char)*s) &&
		    !isdigit((unsigned char)*s) && *s != '-')
			return false;
	return true;
}

static bool is_in(const char *word, const char *const *list)
{
	for (; *list; list++)
		if (!strcmp(word, *list))
			return true;
	return false;
}

/* Report every key of obj not in allowed; prefix starts the message. */
static void check_keys(struct loader *L, const json_t *obj, const char *path,
		       const char *const *allowed, const char *prefix,
		       const char *noun)
{
	struct ms_buf p = MS_BUF_INIT, h = MS_BUF_INIT;
	const char *key;
	json_t *v;

	json_object_foreach((json_t *)obj, key, v) {
		if (is_in(key, allowed))
			continue;
		ms_buf_reset(&p);
		if (*path)
			ms_buf_addf(&p, "%s.%s", path, key);
		else
			ms_buf_adds(&p, key);
		diag_key(L, p.ptr, "%sunknown %s \"%s\"%s", prefix, noun, key,
			 hint(&h, key, allowed));
	}
	ms_buf_release(&p);
	ms_buf_release(&h);
}

/* A bool, or "true"/"false"; -1 otherwise. */
static int get_bool(const json_t *v, bool *out)
{
	const char *s = json_string_value(v);

	if (json_is_boolean(v))
		*out = json_is_true(v);
	else if (s && !strcmp(s, "true"))
		*out = true;
	else if (s && !strcmp(s, "false"))
		*out = false;
	else
		return -1;
	return 0;
}

/*
 * The resolver for values fixed at load time (region, tags): variables
 * and the stack's name only.
 */
static int resolve_static(const char *root, const char *first, json_t **out,
			  void *payload)
{
	struct loader *L = payload;
	struct ms_buf h = MS_BUF_INIT;
	const char **names;
	json_t *v;
	int err = 0;

	*out = NULL;
	if (!strcmp(root, "var")) {
		v = json_object_get(L->stack->variables, first);
		if (v) {
			*out = json_incref(v);
		} else if (json_object_get(L->declared, first)) {
			L->suppress = true; /* its own problem is reported */
			err = ms_error("variable \"%s\" has no value", first);
		} else {
			names = keys_of(L->declared);
			err = ms_error("no variable \"%s\"%s", first,
				       hint(&h, first, names));
			free(names);
		}
	} else if (!strcmp(root, "stack") && !strcmp(first, "name")) {
		if (L->stack->name) {
			*out = json_string(L->stack->name);
		} else {
			L->suppress = true;
			err = ms_error("the stack has no valid name");
		}
	} else {
		err = ms_error("only variables and stack.name can be used "
			       "here");
	}
	ms_buf_release(&h);
	return err;
}

/* Variables */

static const char *kind_of_type(const char *type)
{
	if (!strcmp(type, "string"))
		return "a string";
	if (!strcmp(type, "number"))
		return "a number";
	if (!strcmp(type, "bool"))
		return "a bool";
	if (!strcmp(type, "list"))
		return "a list";
	if (!strcmp(type, "map"))
		return "a map";
	return NULL;
}

/* The variable type a value has ("string" ...), or NULL for null. */
static const char *type_of(const json_t *v)
{
	if (json_is_string(v))
		return "string";
	if (json_is_number(v))
		return "number";
	if (json_is_boolean(v))
		return "bool";
	if (json_is_array(v))
		return "list";
	if (json_is_object(v))
		return "map";
	return NULL;
}

/* Whether v fits type, converting scalars to text for "string". */
static json_t *fit_type(const json_t *v, const char *type)
{
	struct ms_buf b = MS_BUF_INIT;
	json_t *res;

	if (!strcmp(type, "any") || !strcmp(type, type_of(v) ? type_of(v) : ""))
		return ms_json_copy(v);
	if (strcmp(type, "string") ||
	    !(json_is_number(v) || json_is_boolean(v)))
		return NULL;
	ms_expr_text(&b, v);
	res = json_stringn(b.ptr, b.len);
	ms_buf_release(&b);
	return res;
}

/* A -var value (text) as the variable's type. */
static json_t *from_cli(const json_t *given, const char *type)
{
	const char *s = json_string_value(given);
	json_t *v, *res;

	if (!s || !strcmp(type, "string") || !strcmp(type, "any"))
		return ms_json_copy(given);
	v = json_loads(s, JSON_DECODE_ANY, NULL);
	res = v ? fit_type(v, type) : NULL;
	json_decref(v);
	return res;
}

static void load_variable(struct loader *L, const char *name, const json_t *def)
{
	struct ms_buf path = MS_BUF_INIT, p = MS_BUF_INIT, g = MS_BUF_INIT;
	struct ms_buf pre = MS_BUF_INIT;
	const json_t *dflt, *type_v, *desc, *given, *secret;
	json_t *refs = NULL, *value = NULL;
	const char *type = NULL;

	ms_buf_addf(&path, "variables.%s", name);
	ms_buf_addf(&pre, "variable \"%s\": ", name);
	json_object_set_new(L->declared, name, json_true());
	if (!is_name(name))
		diag_key(L, path.ptr,
			 "%sinvalid name (letters, digits, \"_\" and \"-\" "
			 "only)",
			 pre.ptr);
	if (!json_is_object(def)) {
		diag_value(L, path.ptr,
			   "%sexpected a map with \"default\" and "
			   "\"description\", got %s",
			   pre.ptr, ms_expr_kind(def));
		goto done;
	}
	check_keys(L, def, path.ptr, variable_keys, pre.ptr, "key");
	secret = json_object_get(def, "sensitive");
	if (secret && !json_is_boolean(secret)) {
		ms_buf_reset(&p);
		ms_buf_addf(&p, "%s.sensitive", path.ptr);
		diag_value(L, p.ptr,
			   "%ssensitive: expected true or false, got %s",
			   pre.ptr, ms_expr_kind(secret));
	} else if (json_is_true(secret)) {
		json_object_set_new(L->stack->sensitive, name, json_true());
	}
	desc = json_object_get(def, "description");
	if (desc && !json_is_string(desc) && !json_is_null(desc)) {
		ms_buf_reset(&p);
		ms_buf_addf(&p, "%s.description", path.ptr);
		diag_value(L, p.ptr, "%sdescription: expected a string, got %s",
			   pre.ptr, ms_expr_kind(desc));
	}
	type_v = json_object_get(def, "type");
	if (type_v && !json_is_null(type_v)) {
		ms_buf_reset(&p);
		ms_buf_addf(&p, "%s.type", path.ptr);
		if (!json_is_string(type_v) ||
		    !is_in(json_string_value(type_v), variable_types)) {
			ms_buf_reset(&g);
			if (json_is_string(type_v))
				ms_buf_addf(&g, "\"%s\"",
					    json_string_value(type_v));
			else
				ms_buf_adds(&g, ms_expr_kind(type_v));
			diag_value(L, p.ptr,
				   "%stype: expected one of \"string\", "
				   "\"number\", \"bool\", \"list\", \"map\", "
				   "\"any\", got %s",
				   pre.ptr, g.ptr);
			goto done;
		}
		type = json_string_value(type_v);
	}
	dflt = json_object_get(def, "default");
	if (json_is_null(dflt))
		dflt = NULL;
	if (dflt) {
		ms_buf_reset(&p);
		ms_buf_addf(&p, "%s.default", path.ptr);
		if (ms_expr_refs(dflt, &refs) < 0) {
			diag_value(L, p.ptr, "%sdefault: %s", pre.ptr,
				   ms_error_last());
			goto done;
		}
		if (json_array_size(refs)) {
			diag_value(L, p.ptr,
				   "%sa default cannot hold a reference "
				   "(\"${%s}\")",
				   pre.ptr,
				   json_string_value(json_object_get(
					   json_array_get(refs, 0), "text")));
			goto done;
		}
		if (type && !(value = fit_type(dflt, type))) {
			diag_value(L, p.ptr, "%sdefault: expected %s, got %s",
				   pre.ptr, kind_of_type(type),
				   ms_expr_kind(dflt));
			goto done;
		}
		if (!type)
			type = type_of(dflt);
	}
	given = L->vars ? json_object_get(L->vars, name) : NULL;
	if (given) {
		json_decref(value);
		value = from_cli(given, type ? type : "string");
		if (!value) {
			ms_buf_reset(&g);
			if (json_object_get(L->stack->sensitive, name))
				ms_buf_adds(&g, "(sensitive)");
			else if (json_is_string(given))
				ms_buf_addf(&g, "\"%s\"",
					    json_string_value(given));
			else
				ms_buf_adds(&g, ms_expr_kind(given));
			diag_key(L, path.ptr,
				 "%s-var value: expected %s, got %s", pre.ptr,
				 kind_of_type(type) ? kind_of_type(type) : "?",
				 g.ptr);
			goto done;
		}
	} else if (!value && dflt) {
		value = ms_json_copy(dflt);
	}
	if (!value) {
		diag_key(L, path.ptr,
			 "%sno value (give it a default, or pass "
			 "-var %s=VALUE)",
			 pre.ptr, name);
		goto done;
	}
	json_object_set(L->stack->variables, name, value);
done:
	json_decref(value);
	json_decref(refs);
	ms_buf_release(&path);
	ms_buf_release(&p);
	ms_buf_release(&g);
	ms_buf_release(&pre);
}

static void load_variables(struct loader *L, const json_t *node)
{
	struct ms_buf h = MS_BUF_INIT;
	const char **names;
	const char *key;
	json_t *v;

	if (node && !json_is_null(node) && !json_is_object(node))
		diag_value(L, "variables", "variables: expected a map, got %s",
			   ms_expr_kind(node));
	else if (node && json_is_object(node))
		json_object_foreach((json_t *)node, key, v)
			load_variable(L, key, v);
	if (!L->vars)
		return;
	names = keys_of(L->declared);
	json_object_foreach((json_t *)L->vars, key, v)
		if (!json_object_get(L->declared, key))
			diag_key(L, "variables",
				 "-var \"%s\": no variable \"%s\" is "
				 "declared%s",
				 key, key, hint(&h, key, names));
	free(names);
	ms_buf_release(&h);
}

/* Resources */

static int cmp_key(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/*
 * The raw-text entries of doc.raw under base, keyed relative to it. The
 * keys are sorted once, so that each resource finds its own by a binary
 * search rather than by a pass over every number in the file.
 */
static void raw_index(struct loader *L)
{
	const char *key;
	json_t *v;

	if (L->raw_keys)
		return;
	L->raw_keys = ms_calloc(json_object_size(L->doc.raw) + 1,
				sizeof(*L->raw_keys));
	json_object_foreach(L->doc.raw, key, v)
		L->raw_keys[L->n_raw_keys++] = key;
	qsort(L->raw_keys, L->n_raw_keys, sizeof(*L->raw_keys), cmp_key);
}

static json_t *raw_under(struct loader *L, const char *base)
{
	json_t *res = json_object();
	size_t n = strlen(base), lo = 0, hi, i;
	const char *key;

	raw_index(L);
	/* the first key not below base: the keys under it follow */
	hi = L->n_raw_keys;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(L->raw_keys[mid], base) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (i = lo; i < L->n_raw_keys && !strncmp(L->raw_keys[i], base, n);
	     i++) {
		key = L->raw_keys[i];
		if (key[n] == '.' || key[n] == '[')
			json_object_set(res, key + n,
					json_object_get(L->doc.raw, key));
	}
	return res;
}

/*
 * The resolver of what is known before any resource exists: variables
 * and the stack's name; anything else (a resource, a lookup, aws.*, a
 * file) is unknown, as a variable without a value is (its own problem is
 * reported).
 */
static int resolve_offline(const char *root, const char *first, json_t **out,
			   void *payload)
{
	struct loader *L = payload;
	json_t *v;

	if (!strcmp(root, "var") &&
	    (v = json_object_get(L->stack->variables, first)))
		*out = json_incref(v);
	else if (!strcmp(root, "stack") && !strcmp(first, "name") &&
		 L->stack->name)
		*out = json_string(L->stack->name);
	else
		*out = ms_unknown_new();
	return 0;
}

/*
 * v with its references to variables and the stack's name replaced by
 * their values, and the rest unknown. A value that cannot be evaluated
 * (a list interpolated into a string, a path a variable does not have)
 * is reported at path and taken as unknown.
 */
static json_t *offline(struct loader *L, const json_t *v, struct ms_buf *path,
		       const char *pre)
{
	json_t *res, *item, *e = NULL, *x;
	const char *key;
	size_t i, base = path->len;
	bool same = true;

	/*
	 * What holds no reference is shared, not copied: the result is only
	 * read (the type's rules see a copy of their own).
	 */
	if (!ms_expr_in(v))
		return json_incref((json_t *)v);
	if (json_is_string(v)) {
		if (!ms_expr_has_ref(json_string_value(v)))
			return json_incref((json_t *)v);
		if (ms_expr_eval(&e, v, resolve_offline, L) < 0) {
			diag_value(L, path->ptr, "%s%s", pre, ms_error_last());
			return ms_unknown_new();
		}
		return e;
	}
	if (json_is_object(v)) {
		res = json_object();
		json_object_foreach((json_t *)v, key, item) {
			ms_buf_addch(path, '.');
			ms_buf_adds(path, key);
			x = offline(L, item, path, pre);
			same &= x == item;
			json_object_set_new(res, key, x);
			ms_buf_truncate(path, base);
		}
		if (same) {
			json_decref(res);
			return json_incref((json_t *)v);
		}
		return res;
	}
	if (json_is_array(v)) {
		res = json_array();
		json_array_foreach(v, i, item) {
			ms_buf_addch(path, '[');
			ms_buf_addu(path, i);
			ms_buf_addch(path, ']');
			x = offline(L, item, path, pre);
			same &= x == item;
			json_array_append_new(res, x);
			ms_buf_truncate(path, base);
		}
		if (same) {
			json_decref(res);
			return json_incref((json_t *)v);
		}
		return res;
	}
	return json_incref((json_t *)v);
}

/*
 * The type's own rules (ranges, words, one of two attributes), which its
 * normalize hook keeps, run on the attributes known now with the
 * defaults, as the plan runs them. The hook's message names the
 * attribute first ("volume_size: ..."): it is said there, or else at the
 * resource; each attribute the hook refuses is said.
 */
static void check_type_rules(struct loader *L, const struct ms_resource_type *t,
			     const json_t *known, const char *base,
			     const char *rpath, const char *pre)
{
	struct ms_buf p = MS_BUF_INIT;
	json_t *attrs = json_object(), *work, *v;
	const struct ms_attr *a;
	const char *key, *msg;
	int err, tries;
	char *at;

	json_object_foreach((json_t *)known, key, v)
		if (!ms_has_unknown(v))
			json_object_set(attrs, key, v);
	for (a = t->schema; a->name; a++)
		if (a->default_json && !(a->flags & MS_ATTR_COMPUTED) &&
		    !json_object_get(known, a->name))
			json_object_set_new(attrs, a->name, ms_attr_default(a));
	/* the hook stops at a problem: again without that attribute */
	for (tries = 0; tries < 64; tries++) {
		work = ms_json_copy(attrs);
		err = t->normalize(work);
		json_decref(work);
		if (!err)
			break;
		msg = ms_error_last();
		at = ms_stack_message_path(t, msg);
		if (!at) {
			diag_key(L, rpath, "%s%s", pre, msg);
			break;
		}
		ms_buf_reset(&p);
		ms_buf_addf(&p, "%s.%s", base, at);
		diag_value(L, p.ptr, "%s%s", pre, msg);
		at[strcspn(at, ".[")] = '\0';
		json_object_del(attrs, at);
		free(at);
	}
	json_decref(attrs);
	ms_buf_release(&p);
}

char *ms_stack_message_path(const struct ms_resource_type *t, const char *msg)
{
	char *attr = ms_asprintf("%.*s", (int)strcspn(msg, ".[: "), msg);
	bool known = ms_provider_attr(t, attr) != NULL;

	free(attr);
	return known ? ms_asprintf("%.*s", (int)strcspn(msg, ": "), msg) : NULL;
}

static void load_properties(struct loader *L, struct ms_resource *r,
			    const struct ms_resource_type *t,
			    const json_t *props, const char *base,
			    const char *pre)
{
	struct ms_attr top = {
		"properties", MS_ATTR_OBJECT, 0, NULL, NULL, NULL
	};
	struct ms_buf p = MS_BUF_INIT, rpath = MS_BUF_INIT;
	json_t *problems = json_array(), *scratch = json_array(), *raw;
	json_t *res = NULL, *pr, *known;
	const char *v;
	size_t i;
	bool checked;

	top.nested = t->schema;
	raw = raw_under(L, base);
	ms_buf_addf(&rpath, "resources.%s", r->name);
	/*
	 * The model keeps the references; the rules see what is known now,
	 * which finds every problem the values as written have, and more.
	 */
	ms_buf_adds(&p, base);
	known = offline(L, props, &p, pre);
	ms_buf_reset(&p);
	checked = !ms_stack_check_value(&res, &top, known, "", raw, problems);
	if (checked && t->normalize)
		check_type_rules(L, t, res, base, rpath.ptr, pre);
	/* without a reference, what was checked is what the model keeps */
	if (known != props) {
		json_decref(res);
		checked = !ms_stack_check_value(&res, &top, props, "", raw,
						scratch);
	}
	if (checked) {
		json_decref(r->properties); /* props */
		r->properties = res;
		res = NULL;
	}
	json_decref(res);
	v = t->id_attr ? json_string_value(json_object_get(known, t->id_attr)) :
			 NULL;
	if (v && !ms_expr_has_ref(v) && ms_provider_check_name(t, v) < 0) {
		ms_buf_addf(&p, "%s.%s", base, t->id_attr);
		diag_value(L, p.ptr, "%s%s", pre, ms_error_last());
	}
	json_array_foreach(problems, i, pr) {
		const char *rel = str_of(pr, "path");
		const char *msg = str_of(pr, "message");
		bool at_key = !strcmp(str_of(pr, "at"), "key");

		ms_buf_reset(&p);
		ms_buf_addf(&p, "%s%s", base, rel);
		if (!*rel && at_key) /* missing attributes: at the resource */
			diag_key(L, rpath.ptr, "%s%s", pre, msg);
		else if (at_key)
			diag_key(L, p.ptr, "%s%s", pre, msg);
		else
			diag_value(L, p.ptr, "%s%s", pre, msg);
	}
	json_decref(problems);
	json_decref(scratch);
	json_decref(known);
	json_decref(raw);
	ms_buf_release(&p);
	ms_buf_release(&rpath);
}

static void load_lifecycle(struct loader *L, struct ms_resource *r,
			   const struct ms_resource_type *t, const json_t *lc,
			   const char *path, const char *pre)
{
	struct ms_buf p = MS_BUF_INIT, h = MS_BUF_INIT, lpre = MS_BUF_INIT;
	const char **names = NULL;
	const json_t *v, *item;
	const char *s;
	size_t i, cut;

	if (!json_is_object(lc)) {
		diag_value(L, path, "%slifecycle: expected a map, got %s", pre,
			   ms_expr_kind(lc));
		goto done;
	}
	ms_buf_addf(&lpre, "%slifecycle: ", pre);
	check_keys(L, lc, path, lifecycle_keys, lpre.ptr, "key");
	if ((v = json_object_get(lc, "prevent_destroy")) && !json_is_null(v) &&
	    get_bool(v, &r->prevent_destroy) < 0) {
		ms_buf_addf(&p, "%s.prevent_destroy", path);
		diag_value(L, p.ptr,
			   "%slifecycle.prevent_destroy: expected a bool, "
			   "got %s",
			   pre, ms_expr_kind(v));
	}
	if ((v = json_object_get(lc, "create_before_destroy")) &&
	    !json_is_null(v) && get_bool(v, &r->create_before_destroy) < 0) {
		ms_buf_reset(&p);
		ms_buf_addf(&p, "%s.create_before_destroy", path);
		diag_value(L, p.ptr,
			   "%slifecycle.create_before_destroy: expected a "
			   "bool, got %s",
			   pre, ms_expr_kind(v));
	}
	v = json_object_get(lc, "ignore_changes");
	if (!v || json_is_null(v))
		goto done;
	ms_buf_reset(&p);
	ms_buf_addf(&p, "%s.ignore_changes", path);
	if (!json_is_array(v)) {
		diag_value(L, p.ptr,
			   "%slifecycle.ignore_changes: expected a list of "
			   "attribute names, got %s",
			   pre, ms_expr_kind(v));
		goto done;
	}
	if (t)
		names = attr_names(t);
	cut = p.len;
	json_array_foreach(v, i, item) {
		ms_buf_truncate(&p, cut);
		ms_buf_addf(&p, "[%zu]", i);
		s = json_string_value(item);
		if (!s) {
			diag_value(L, p.ptr,
				   "%slifecycle.ignore_changes: expected an "
				   "attribute name, got %s",
				   pre, ms_expr_kind(item));
			continue;
		}
		json_array_append_new(r->ignore_changes, ms_json_copy(item));
		if (t && !ms_provider_attr(t, s) &&
		    !(strcspn(s, ".[") < strlen(s))) {
			diag_value(L, p.ptr,
				   "%slifecycle.ignore_changes: %s has no "
				   "attribute \"%s\"%s",
				   pre, t->name, s, hint(&h, s, names));
		}
	}
done:
	free(names);
	ms_buf_release(&p);
	ms_buf_release(&h);
	ms_buf_release(&lpre);
}

static void load_timeouts(struct loader *L, struct ms_resource *r,
			  const json_t *to, const char *path, const char *pre)
{
	struct ms_buf p = MS_BUF_INIT, tpre = MS_BUF_INIT;
	const char *key;
	json_t *v;
	long secs;

	if (!json_is_object(to)) {
		diag_value(L, path, "%stimeouts: expected a map, got %s", pre,
			   ms_expr_kind(to));
		goto done;
	}
	ms_buf_addf(&tpre, "%stimeouts: ", pre);
	check_keys(L, to, path, timeout_keys, tpre.ptr, "key");
	json_object_foreach((json_t *)to, key, v) {
		if (!is_in(key, timeout_keys) || json_is_null(v))
			continue;
		ms_buf_reset(&p);
		ms_buf_addf(&p, "%s.%s", path, key);
		if (ms_stack_parse_duration(&secs, v) < 0)
			diag_value(L, p.ptr, "%stimeouts.%s: %s", pre, key,
				   ms_error_last());
		else
			json_object_set_new(r->timeouts, key,
					    json_integer(secs));
	}
done:
	ms_buf_release(&p);
	ms_buf_release(&tpre);
}

/*
 * lint: {ignore: {RULE: "why"}}: findings of the rules named, on this
 * resource, are kept as suppressed. Each rule must exist and read the
 * resource's type (t NULL: not checked), each reason say something.
 */
static void load_lint(struct loader *L, struct ms_resource *r,
		      const struct ms_resource_type *t, const json_t *lint,
		      const char *path, const char *pre)
{
	struct ms_buf p = MS_BUF_INIT, h = MS_BUF_INIT, lpre = MS_BUF_INIT;
	const struct ms_lint_rule *rule;
	const char **ids = NULL;
	const json_t *ignore, *why;
	const char *key, *s;
	size_t n;

	if (!json_is_object(lint)) {
		diag_value(L, path,
			   "%slint: expected a map (such as {ignore: "
			   "{MLS-SM-001: \"why\"}}), got %s",
			   pre, ms_expr_kind(lint));
		goto done;
	}
	ms_buf_addf(&lpre, "%slint: ", pre);
	check_keys(L, lint, path, lint_keys, lpre.ptr, "key");
	ignore = json_object_get(lint, "ignore");
	if (!ignore || json_is_null(ignore))
		goto done;
	ms_buf_addf(&p, "%s.ignore", path);
	if (!json_is_object(ignore)) {
		diag_value(L, p.ptr,
			   "%slint.ignore: expected a map of rule ids to the "
			   "reasons they do not apply, got %s",
			   pre, ms_expr_kind(ignore));
		goto done;
	}
	for (n = 0; ms_lint_rule_at(n); n++)
		;
	ids = ms_calloc(n + 1, sizeof(*ids));
	for (n = 0; ms_lint_rule_at(n); n++)
		ids[n] = ms_lint_rule_at(n)->id;
	json_object_foreach((json_t *)ignore, key, why) {
		ms_buf_reset(&p);
		ms_buf_addf(&p, "%s.ignore.%s", path, key);
		rule = ms_lint_rule_find(key);
		s = json_string_value(why);
		if (!rule) {
			diag_key(L, p.ptr,
				 "%slint.ignore: unknown rule \"%s\"%s (see "
				 "mlstack lint -rules)",
				 pre, key, hint(&h, key, ids));
			continue;
		}
		if (t && !ms_lint_rule_applies(rule, t->name)) {
			diag_key(L, p.ptr,
				 "%slint.ignore: rule %s does not check %s "
				 "(it checks %s)",
				 pre, key, t->name, rule->types);
			continue;
		}
		if (!s || !*s || strspn(s, " \t\n") == strlen(s)) {
			diag_value(L, p.ptr,
				   "%slint.ignore.%s: expected the reason the "
				   "rule does not apply here (a non-empty "
				   "string), got %s",
				   pre, key,
				   !s  ? ms_expr_kind(why) :
				   !*s ? "an empty string" :
					 "a blank string");
			continue;
		}
		json_object_set(r->lint_ignore, key, (json_t *)why);
	}
done:
	free(ids);
	ms_buf_release(&p);
	ms_buf_release(&h);
	ms_buf_release(&lpre);
}

/* r: the entry's place in the model (its name is set here) */
static void load_entry(struct loader *L, struct ms_resource *r,
		       const char *name, const json_t *body, bool lookup)
{
	struct ms_buf path = MS_BUF_INIT, p = MS_BUF_INIT, pre = MS_BUF_INIT;
	struct ms_buf h = MS_BUF_INIT;
	const struct ms_resource_type *t = NULL;
	const json_t *type, *props, *deps, *v, *item;
	const char **names;
	size_t i;

	r->name = ms_strdup(name);
	r->properties = json_object();
	r->depends_on = json_array();
	r->ignore_changes = json_array();
	r->timeouts = json_object();
	r->lint_ignore = json_object();
	ms_buf_addf(&path, "%s.%s", lookup ? "data" : "resources", name);
	ms_buf_addf(&pre, "%s \"%s\": ", lookup ? "lookup" : "resource", name);
	mark_at(L, path.ptr, KEY_MARK, &r->line, &r->col);

	if (!is_name(name))
		diag_key(L, path.ptr,
			 "%sinvalid name (letters, digits, \"_\" and \"-\" "
			 "only)",
			 pre.ptr);
	else if (strlen(name) > MS_STATE_NAME_MAX)
		diag_key(L, path.ptr,
			 "%sthe name is %zu characters long; the state holds "
			 "names of at most %d",
			 pre.ptr, strlen(name), MS_STATE_NAME_MAX);
	else if (!strcmp(name, "var") || !strcmp(name, "aws") ||
		 !strcmp(name, "stack"))
		diag_key(L, path.ptr, "%sthe name \"%s\" is reserved", pre.ptr,
			 name);
	else if (!lookup && !strcmp(name, "data"))
		diag_key(
			L, path.ptr,
			"%sthe name \"data\" is reserved for lookups "
			"(${data.NAME.ATTR}): rename the resource (\"dataset\", "
			"\"data_bucket\")",
			pre.ptr);
	if (!json_is_object(body)) {
		diag_value(L, path.ptr,
			   "%sexpected a map with \"type\" and \"properties\", "
			   "got %s",
			   pre.ptr, ms_expr_kind(body));
		goto done;
	}
	check_keys(L, body, path.ptr, lookup ? lookup_keys : resource_keys,
		   pre.ptr, "key");

	type = json_object_get(body, "type");
	ms_buf_addf(&p, "%s.type", path.ptr);
	if (!type) {
		diag_key(L, path.ptr, "%smissing required key \"type\"",
			 pre.ptr);
	} else if (!json_is_string(type)) {
		diag_value(L, p.ptr, "%stype: expected a string, got %s",
			   pre.ptr, ms_expr_kind(type));
	} else {
		r->type = ms_strdup(json_string_value(type));
		t = lookup ? ms_lookup_find(r->type) :
			     ms_provider_find(r->type);
		if (t) {
			json_object_set_new(lookup ? L->lookup_types : L->found,
					    name, json_string(t->name));
		} else {
			names = type_names(lookup);
			diag_value(L, p.ptr, "%sunknown type \"%s\"%s", pre.ptr,
				   r->type, hint(&h, r->type, names));
			free(names);
		}
	}

	props = json_object_get(body, "properties");
	ms_buf_reset(&p);
	ms_buf_addf(&p, "%s.properties", path.ptr);
	if (props && !json_is_null(props) && !json_is_object(props)) {
		diag_value(L, p.ptr, "%sproperties: expected a map, got %s",
			   pre.ptr, ms_expr_kind(props));
	} else {
		/* shared with the parsed file, which nothing changes: the
		 * checked (converted) value replaces it */
		if (props && json_is_object(props)) {
			json_decref(r->properties);
			r->properties = json_incref((json_t *)props);
		}
		if (t)
			load_properties(L, r, t, r->properties, p.ptr, pre.ptr);
	}

	deps = json_object_get(body, "depends_on");
	ms_buf_reset(&p);
	ms_buf_addf(&p, "%s.depends_on", path.ptr);
	if (deps && !json_is_null(deps) && !json_is_array(deps)) {
		diag_value(L, p.ptr,
			   "%sdepends_on: expected a list of resource names, "
			   "got %s",
			   pre.ptr, ms_expr_kind(deps));
	} else if (deps) {
		json_array_foreach(deps, i, item) {
			if (json_is_string(item)) {
				json_array_append_new(r->depends_on,
						      ms_json_copy(item));
				continue;
			}
			ms_buf_reset(&p);
			ms_buf_addf(&p, "%s.depends_on[%zu]", path.ptr, i);
			diag_value(L, p.ptr,
				   "%sdepends_on: expected a resource name, "
				   "got %s",
				   pre.ptr, ms_expr_kind(item));
		}
	}

	if ((v = json_object_get(body, "lifecycle")) && !json_is_null(v)) {
		ms_buf_reset(&p);
		ms_buf_addf(&p, "%s.lifecycle", path.ptr);
		load_lifecycle(L, r, t, v, p.ptr, pre.ptr);
	}
	if ((v = json_object_get(body, "timeouts")) && !json_is_null(v)) {
		ms_buf_reset(&p);
		ms_buf_addf(&p, "%s.timeouts", path.ptr);
		load_timeouts(L, r, v, p.ptr, pre.ptr);
	}
	if ((v = json_object_get(body, "lint")) && !json_is_null(v) &&
	    !lookup) {
		ms_buf_reset(&p);
		ms_buf_addf(&p, "%s.lint", path.ptr);
		load_lint(L, r, t, v, p.ptr, pre.ptr);
	}
done:
	ms_buf_release(&path);
	ms_buf_release(&p);
	ms_buf_release(&pre);
	ms_buf_release(&h);
}

static void load_lookups(struct loader *L, const json_t *node)
{
	const char *key;
	json_t *v;

	if (!node || json_is_null(node))
		return;
	if (!json_is_object(node)) {
		diag_value(L, "data", "data: expected a map of lookups, got %s",
			   ms_expr_kind(node));
		return;
	}
	L->stack->lookups =
		ms_calloc(json_object_size(node), sizeof(struct ms_resource));
	json_object_foreach((json_t *)node, key, v)
		load_entry(L, &L->stack->lookups[L->stack->n_lookups++], key, v,
			   true);
}

/*
 * Many resources are checked on a few threads, each a run of them with a
 * loader of its own (its diagnostics, types found and suppress flag; the marks
 * are the main loader's, read under a lock), joined in order after: the
 * diagnostics numbered again as one loader would have, so that what is
 * said and its order do not depend on the split.
 */
#define PART_MIN  512 /* resources a thread is worth */
#define PARTS_MAX 4

typedef void part_fn(struct loader *L, size_t i, void *arg);

struct part {
	struct loader L;
	part_fn *fn;
	void *arg;
	size_t lo, hi;
	pthread_t thread;
	bool threaded;
};

static void *part_main(void *arg)
{
	struct part *P = arg;
	size_t i;

	for (i = P->lo; i < P->hi; i++)
		P->fn(&P->L, i, P->arg);
	return NULL;
}

/* The CPUs this process may run on (taskset, a container's cpuset). */
static long cpus_usable(void)
{
	cpu_set_t set;

	if (!sched_getaffinity(0, sizeof(set), &set))
		return CPU_COUNT(&set);
	return sysconf(_SC_NPROCESSORS_ONLN);
}

static size_t parts_for(size_t n)
{
	long cpus = cpus_usable();
	size_t k = n / PART_MIN;

	if (cpus > 0 && k > (size_t)cpus)
		k = (size_t)cpus;
	return k < 1 ? 1 : k > PARTS_MAX ? PARTS_MAX : k;
}

/* fn(L, i, arg) for each i below n, as if in order on L */
static void run_parts(struct loader *L, size_t n, part_fn *fn, void *arg)
{
	struct part parts[PARTS_MAX];
	pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	size_t k = parts_for(n), i, j;
	json_t *d;

	raw_index(L); /* shared by the parts, read only */
	for (i = 0; i < k; i++) {
		struct part *P = &parts[i];

		P->L = *L;
		P->L.diags = json_array();
		P->L.seq = 0;
		P->L.found = json_object();
		P->L.suppress = false;
		P->L.main = L;
		P->fn = fn;
		P->arg = arg;
		P->lo = n * i / k;
		P->hi = n * (i + 1) / k;
		P->threaded = false;
	}
	L->marks_lock = k > 1 ? &lock : NULL;
	for (i = 1; i < k; i++)
		parts[i].threaded = !pthread_create(&parts[i].thread, NULL,
						    part_main, &parts[i]);
	for (i = 0; i < k; i++)
		if (!parts[i].threaded)
			part_main(&parts[i]);
	for (i = 1; i < k; i++)
		if (parts[i].threaded)
			pthread_join(parts[i].thread, NULL);
	L->marks_lock = NULL;
	for (i = 0; i < k; i++) {
		json_array_foreach(parts[i].L.diags, j, d) {
			json_array_set_new(d, 2,
					   json_integer((json_int_t)L->seq++));
			json_array_append(L->diags, d);
		}
		json_decref(parts[i].L.diags);
		json_object_update(L->types, parts[i].L.found);
		json_decref(parts[i].L.found);
		L->suppress = parts[i].L.suppress;
	}
}

struct entries {
	const char **names;
	const json_t **bodies;
};

static void load_one(struct loader *L, size_t i, void *arg)
{
	struct entries *E = arg;

	load_entry(L, &L->stack->resources[i], E->names[i], E->bodies[i],
		   false);
}

static void load_resources(struct loader *L, const json_t *node)
{
	struct entries E;
	const char *key;
	json_t *v;
	size_t n, i = 0;

	if (!node) {
		diag_value(L, "", "missing required key \"resources\"");
		return;
	}
	if (json_is_null(node))
		return; /* "resources:" and nothing: a stack to empty */
	if (!json_is_object(node)) {
		diag_value(L, "resources", "resources: expected a map, got %s",
			   ms_expr_kind(node));
		return;
	}
	n = json_object_size(node);
	L->stack->resources = ms_calloc(n, sizeof(struct ms_resource));
	E.names = ms_calloc(n + 1, sizeof(*E.names));
	E.bodies = ms_calloc(n + 1, sizeof(*E.bodies));
	json_object_foreach((json_t *)node, key, v) {
		E.names[i] = key;
		E.bodies[i++] = v;
	}
	run_parts(L, n, load_one, &E);
	L->stack->n_resources = n;
	for (i = 0; i < n; i++)
		ms_map_add(&L->stack->cache->index, L->stack->resources[i].name,
			   i);
	free(E.names);
	free(E.bodies);
}

/* Region, tags, outputs */

static void load_region(struct loader *L, const json_t *node)
{
	json_t *v = NULL;
	const char *s;

	if (!node || json_is_null(node))
		return;
	L->suppress = false;
	if (ms_expr_eval(&v, node, resolve_static, L) < 0) {
		if (!L->suppress)
			diag_value(L, "region", "region: %s", ms_error_last());
		return;
	}
	s = json_string_value(v);
	if (!s) {
		diag_value(L, "region", "region: expected a string, got %s",
			   ms_expr_kind(v));
		goto done;
	}
	if (!is_lower_name(s)) {
		diag_value(L, "region",
			   "region: invalid region \"%s\" (such as "
			   "\"us-east-1\")",
			   s);
		goto done;
	}
	L->stack->region = ms_strdup(s);
done:
	json_decref(v);
}

/* state: {remote: URL}, the git remote the state is shared through */
static void load_state(struct loader *L, const json_t *node)
{
	const json_t *raw;
	json_t *v = NULL;
	const char *s;

	if (!node || json_is_null(node))
		return;
	if (!json_is_object(node)) {
		diag_value(L, "state",
			   "state: expected a map (such as {remote: URL}), "
			   "got %s",
			   ms_expr_kind(node));
		return;
	}
	check_keys(L, node, "state", state_keys, "state: ", "key");
	raw = json_object_get(node, "remote");
	if (!raw || json_is_null(raw))
		return;
	L->suppress = false;
	if (ms_expr_eval(&v, raw, resolve_static, L) < 0) {
		if (!L->suppress)
			diag_value(L, "state.remote", "state.remote: %s",
				   ms_error_last());
		return;
	}
	s = json_string_value(v);
	if (!s)
		diag_value(L, "state.remote",
			   "state.remote: expected a URL or a path, got %s",
			   ms_expr_kind(v));
	else if (ms_state_check_remote_url(s, true))
		diag_value(L, "state.remote", "state.remote: %s",
			   ms_error_last());
	else
		L->stack->state_remote = ms_strdup(s);
	json_decref(v);
}

static void load_tags(struct loader *L, const json_t *node)
{
	struct ms_buf p = MS_BUF_INIT, b = MS_BUF_INIT;
	const json_t *raw;
	const char *key;
	json_t *item, *v;

	if (!node || json_is_null(node))
		return;
	if (!json_is_object(node)) {
		diag_value(L, "tags", "tags: expected a map, got %s",
			   ms_expr_kind(node));
		return;
	}
	json_object_foreach((json_t *)node, key, item) {
		ms_buf_reset(&p);
		ms_buf_addf(&p, "tags.%s", key);
		L->suppress = false;
		if (ms_expr_eval(&v, item, resolve_static, L) < 0) {
			if (!L->suppress)
				diag_value(L, p.ptr, "tag \"%s\": %s", key,
					   ms_error_last());
			continue;
		}
		ms_buf_reset(&b);
		raw = json_object_get(L->doc.raw, p.ptr);
		if (json_is_string(raw) && json_is_number(item)) {
			json_object_set_new(L->stack->tags, key,
					    ms_json_copy(raw));
		} else if (json_is_null(v) || json_is_array(v) ||
			   json_is_object(v)) {
			diag_value(L, p.ptr,
				   "tag \"%s\": expected a string, got %s", key,
				   ms_expr_kind(v));
		} else {
			ms_expr_text(&b, v);
			json_object_set_new(L->stack->tags, key,
					    json_stringn(b.ptr, b.len));
		}
		json_decref(v);
	}
	ms_buf_release(&p);
	ms_buf_release(&b);
}

static void load_outputs(struct loader *L, const json_t *node)
{
	struct ms_buf p = MS_BUF_INIT;
	const char *key;
	json_t *v;

	if (!node || json_is_null(node))
		return;
	if (!json_is_object(node)) {
		diag_value(L, "outputs", "outputs: expected a map, got %s",
			   ms_expr_kind(node));
		return;
	}
	json_object_foreach((json_t *)node, key, v) {
		ms_buf_reset(&p);
		ms_buf_addf(&p, "outputs.%s", key);
		if (!is_name(key))
			diag_key(L, p.ptr,
				 "output \"%s\": invalid name (letters, "
				 "digits, \"_\" and \"-\" only)",
				 key);
		json_object_set_new(L->stack->outputs, key, ms_json_copy(v));
	}
	ms_buf_release(&p);
}

/* References and depends_on, once every name is known */

/*
 * A variable's value is known now: a path into it (var.list[3],
 * var.map.key) is followed now, and a step it cannot take reported.
 */
static void check_var_path(struct loader *L, const char *text, const char *path,
			   const char *pre)
{
	json_t *ref, *v = NULL;

	if (!strpbrk(text + strlen("var."), ".["))
		return;
	ref = json_sprintf("${%s}", text);
	L->suppress = false;
	if (ms_expr_eval(&v, ref, resolve_static, L) < 0 && !L->suppress)
		diag_value(L, path, "%s%s", pre, ms_error_last());
	json_decref(v);
	json_decref(ref);
}

static void check_ref(struct loader *L, const json_t *ref, const char *path,
		      const char *pre)
{
	struct ms_buf h = MS_BUF_INIT;
	const char *root = json_string_value(json_object_get(ref, "root"));
	const json_t *rpath = json_object_get(ref, "path");
	const char *first = json_string_value(json_array_get(rpath, 0));
	const char *text = json_string_value(json_object_get(ref, "text"));
	const struct ms_resource_type *t;
	const struct ms_attr *a;
	const char **names = NULL;
	const char *tname;

	if (!strcmp(root, "var")) {
		if (json_object_get(L->declared, first)) {
			check_var_path(L, text, path, pre);
			goto done;
		}
		names = keys_of(L->declared);
		diag_value(L, path,
			   "%sreference \"${%s}\": no variable \"%s\"%s", pre,
			   text, first, hint(&h, first, names));
	} else if (!strcmp(root, "data")) {
		const char *attr = json_string_value(json_array_get(rpath, 1));

		if (!ms_stack_lookup(L->stack, first)) {
			names = ms_calloc(L->stack->n_lookups + 1,
					  sizeof(*names));
			for (size_t i = 0; i < L->stack->n_lookups; i++)
				names[i] = L->stack->lookups[i].name;
			diag_value(L, path,
				   "%sreference \"${%s}\": no lookup \"%s\" "
				   "in data:%s",
				   pre, text, first, hint(&h, first, names));
		} else if ((tname = str_of(L->lookup_types, first))) {
			t = ms_lookup_find(tname);
			if (!attr || !ms_provider_attr(t, attr)) {
				names = attr_names(t);
				diag_value(L, path,
					   "%sreference \"${%s}\": lookup %s "
					   "has no attribute \"%s\"%s",
					   pre, text, t->name, attr ? attr : "",
					   hint(&h, attr ? attr : "", names));
			}
		}
	} else if (!strcmp(root, "aws") || !strcmp(root, "stack")) {
		const char *const *attrs = *root == 'a' ? aws_attrs :
							  stack_attrs;

		if (!is_in(first, attrs))
			diag_value(L, path,
				   "%sreference \"${%s}\": %s has no attribute "
				   "\"%s\"%s",
				   pre, text, root, first,
				   hint(&h, first, attrs));
	} else if (!ms_stack_resource(L->stack, root)) {
		names = ms_calloc(L->stack->n_resources + 1, sizeof(*names));
		for (size_t i = 0; i < L->stack->n_resources; i++)
			names[i] = L->stack->resources[i].name;
		diag_value(L, path,
			   "%sreference \"${%s}\": no resource \"%s\"%s", pre,
			   text, root, hint(&h, root, names));
	} else if ((tname = str_of(L->types, root))) {
		t = ms_provider_find(tname);
		a = ms_provider_attr(t, first);
		if (!a) {
			names = attr_names(t);
			diag_value(L, path,
				   "%sreference \"${%s}\": %s has no attribute "
				   "\"%s\"%s",
				   pre, text, t->name, first,
				   hint(&h, first, names));
		} else if (json_array_size(rpath) > 1 &&
			   (a->type == MS_ATTR_STRING ||
			    a->type == MS_ATTR_NUMBER ||
			    a->type == MS_ATTR_BOOL)) {
			diag_value(L, path,
				   "%sreference \"${%s}\": attribute \"%s\" of "
				   "%s is %s, with no keys or elements",
				   pre, text, first, t->name,
				   a->type == MS_ATTR_STRING ? "a string" :
				   a->type == MS_ATTR_NUMBER ? "a number" :
							       "a bool");
		}
	}
done:
	free(names);
	ms_buf_release(&h);
}

/* acc (or NULL) gets each reference found */
static void check_refs(struct loader *L, const json_t *v, struct ms_buf *path,
		       const char *pre, json_t *acc)
{
	json_t *refs = NULL, *item;
	size_t i, base = path->len;
	const char *key;

	if (json_is_string(v)) {
		if (!strstr(json_string_value(v), "${"))
			return;
		if (ms_expr_refs(v, &refs) < 0)
			diag_value(L, path->ptr, "%s%s", pre, ms_error_last());
		else
			json_array_foreach(refs, i, item)
				check_ref(L, item, path->ptr, pre);
		if (acc)
			json_array_extend(acc, refs);
		json_decref(refs);
	} else if (json_is_object(v)) {
		json_object_foreach((json_t *)v, key, item) {
			ms_buf_addch(path, '.');
			ms_buf_adds(path, key);
			check_refs(L, item, path, pre, acc);
			ms_buf_truncate(path, base);
		}
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, item) {
			ms_buf_addch(path, '[');
			ms_buf_addu(path, i);
			ms_buf_addch(path, ']');
			check_refs(L, item, path, pre, acc);
			ms_buf_truncate(path, base);
		}
	}
}

/* A resource's references and depends_on (names: every resource's) */
static void link_one(struct loader *L, size_t i, void *arg)
{
	struct ms_buf path = MS_BUF_INIT, pre = MS_BUF_INIT, h = MS_BUF_INIT;
	struct ms_resource *r = &L->stack->resources[i];
	const char *const *names = arg;
	const char *dep;
	json_t *refs = json_array(), *v, *root, *name;
	size_t j;

	ms_buf_addf(&pre, "resource \"%s\": ", r->name);
	ms_buf_addf(&path, "resources.%s.properties", r->name);
	check_refs(L, r->properties, &path, pre.ptr, refs);
	r->refers = json_array();
	json_array_foreach(refs, j, v) {
		root = json_object_get(v, "root");
		if (ms_stack_resource(L->stack, json_string_value(root)))
			json_array_append(r->refers, root);
		else if (!strcmp(json_string_value(root), "data") &&
			 (name = json_array_get(json_object_get(v, "path"),
						0))) {
			if (!r->refers_data)
				r->refers_data = json_array();
			json_array_append(r->refers_data, name);
		}
	}
	json_decref(refs);
	json_array_foreach(r->depends_on, j, v) {
		dep = json_string_value(v);
		ms_buf_reset(&path);
		ms_buf_addf(&path, "resources.%s.depends_on[%zu]", r->name, j);
		if (!strcmp(dep, r->name))
			diag_value(L, path.ptr,
				   "%sdepends_on: a resource cannot depend on "
				   "itself",
				   pre.ptr);
		else if (!ms_stack_resource(L->stack, dep))
			diag_value(L, path.ptr,
				   "%sdepends_on: no resource \"%s\"%s",
				   pre.ptr, dep, hint(&h, dep, names));
	}
	ms_buf_release(&path);
	ms_buf_release(&pre);
	ms_buf_release(&h);
}

static void check_links(struct loader *L)
{
	struct ms_buf path = MS_BUF_INIT, pre = MS_BUF_INIT;
	struct ms_resource *r;
	const char **names;
	const char *key;
	json_t *v;
	size_t i;

	names = ms_calloc(L->stack->n_resources + 1, sizeof(*names));
	for (i = 0; i < L->stack->n_resources; i++)
		names[i] = L->stack->resources[i].name;
	run_parts(L, L->stack->n_resources, link_one, names);
	for (i = 0; i < L->stack->n_lookups; i++) {
		r = &L->stack->lookups[i];
		ms_buf_reset(&pre);
		ms_buf_addf(&pre, "lookup \"%s\": ", r->name);
		ms_buf_reset(&path);
		ms_buf_addf(&path, "data.%s.properties", r->name);
		check_refs(L, r->properties, &path, pre.ptr, NULL);
	}
	json_object_foreach(L->stack->outputs, key, v) {
		ms_buf_reset(&pre);
		ms_buf_addf(&pre, "output \"%s\": ", key);
		ms_buf_reset(&path);
		ms_buf_addf(&path, "outputs.%s", key);
		check_refs(L, v, &path, pre.ptr, NULL);
	}
	free(names);
	ms_buf_release(&path);
	ms_buf_release(&pre);
}

/* Loading */

static int read_file(struct loader *L, const char *path, struct ms_buf *out)
{
	char *msg;

	if (ms_file_read(out, path, MS_STACK_MAX_BYTES)) {
		add_diag(L, 0, 0, ms_error_last());
		return -1;
	}
	if (out->len <= MS_STACK_MAX_BYTES)
		return 0;
	msg = ms_asprintf("file too large (more than %d bytes)",
			  MS_STACK_MAX_BYTES);
	add_diag(L, 1, 1, msg);
	free(msg);
	return -1;
}

static void load_root(struct loader *L)
{
	const json_t *root = L->doc.root, *name;

	if (!root) {
		add_diag(L, 1, 1,
			 "empty stack file (expected \"stack:\" and "
			 "\"resources:\")");
		return;
	}
	if (!json_is_object(root)) {
		diag_value(L, "",
			   "the stack file must be a map (with \"stack:\" and "
			   "\"resources:\"), got %s",
			   ms_expr_kind(root));
		return;
	}
	check_keys(L, root, "", top_keys, "", "top-level key");
	name = json_object_get(root, "stack");
	if (!name)
		diag_value(L, "", "missing required key \"stack\"");
	else if (!json_is_string(name))
		diag_value(L, "stack", "stack: expected a string, got %s",
			   ms_expr_kind(name));
	else if (!is_lower_name(json_string_value(name)))
		diag_value(L, "stack",
			   "stack: invalid name \"%s\" (lowercase letters, "
			   "digits and \"-\" only)",
			   json_string_value(name));
	else
		L->stack->name = ms_strdup(json_string_value(name));
	load_variables(L, json_object_get(root, "variables"));
	load_region(L, json_object_get(root, "region"));
	load_tags(L, json_object_get(root, "tags"));
	load_state(L, json_object_get(root, "state"));
	load_lookups(L, json_object_get(root, "data"));
	load_resources(L, json_object_get(root, "resources"));
	load_outputs(L, json_object_get(root, "outputs"));
	check_links(L);
}

/* The stack being loaded: an empty model named after file. */
static void loader_init(struct loader *L, const char *file, const json_t *vars)
{
	memset(L, 0, sizeof(*L));
	L->file = file;
	L->diags = json_array();
	L->vars = json_is_object(vars) ? vars : NULL;
	L->declared = json_object();
	L->types = json_object();
	L->found = L->types;
	L->lookup_types = json_object();
	L->main = L;
	L->stack = ms_calloc(1, sizeof(*L->stack));
	L->stack->file = ms_strdup(file);
	L->stack->cache = ms_calloc(1, sizeof(*L->stack->cache));
	ms_map_init(&L->stack->cache->index);
	pthread_mutex_init(&L->stack->cache->lock, NULL);
	L->stack->tags = json_object();
	L->stack->variables = json_object();
	L->stack->sensitive = json_object();
	L->stack->outputs = json_object();
}

/* The file's digest, hashed on a thread of its own beside the parse. */
struct digest {
	char *out;
	const char *data;
	size_t len;
	int rc;
	char *err; /* the message when rc < 0 */
};

static void *digest_main(void *arg)
{
	struct digest *d = arg;

	if ((d->rc = ms_sha256_hex(d->out, d->data, d->len)) < 0)
		d->err = ms_strdup(ms_error_last());
	return NULL;
}

static void parse_and_check(struct loader *L, const char *data, size_t len)
{
	struct digest dg = { L->stack->digest, data, len, 0, NULL };
	json_t *yd = json_array(), *d;
	pthread_t t;
	bool threaded;
	size_t i;

	ms_expr_cache_hold(); /* each template is looked at several times */
	threaded = !pthread_create(&t, NULL, digest_main, &dg);
	if (!threaded)
		digest_main(&dg);
	L->data = data;
	L->len = len;
	ms_yaml_parse_shallow(&L->doc, data, len, yd);
	if (threaded)
		pthread_join(t, NULL);
	if (dg.rc < 0) {
		add_diag(L, 1, 1, dg.err);
		free(dg.err);
		goto done;
	}
	json_array_foreach(yd, i, d)
		add_diag(L, (int)json_integer_value(json_array_get(d, 0)),
			 (int)json_integer_value(json_array_get(d, 1)),
			 json_string_value(json_array_get(d, 2)));
	L->n_yaml = L->seq;
	/* a broken or truncated tree would only add noise */
	if (!L->doc.complete)
		goto done;
	load_root(L);
done:
	ms_expr_cache_drop();
	json_decref(yd);
}

/* Hand over the model, or the diagnostics; release the rest. */
static int loader_finish(struct loader *L, struct ms_stack **out,
			 json_t **diags)
{
	json_t *local = NULL;
	int err = -1;

	if (!diags)
		diags = &local;
	if (!*diags)
		*diags = json_array();
	flush_diags(L, *diags);
	if (!json_array_size(L->diags)) {
		L->stack->marks = json_incref(L->doc.marks);
		if (L->doc.shallow) {
			L->stack->cache->text = ms_malloc(L->len + 1);
			memcpy(L->stack->cache->text, L->data, L->len);
			L->stack->cache->text[L->len] = '\0';
			L->stack->cache->len = L->len;
		}
		*out = L->stack;
		L->stack = NULL;
		err = 0;
	} else {
		ms_error("%s", json_string_value(json_array_get(*diags, 0)));
	}
	ms_stack_free(L->stack);
	/* the file's tree and the names' types, freed while the caller goes on */
	ms_json_release_later(json_pack("[o?o?o?o]", L->doc.root, L->doc.raw,
					L->types, L->diags));
	L->doc.root = L->doc.raw = NULL;
	ms_yaml_doc_release(&L->doc);
	json_decref(L->declared);
	json_decref(L->lookup_types);
	free(L->raw_keys);
	json_decref(local);
	return err;
}

int ms_stack_load(struct ms_stack **out, const char *path, const json_t *vars,
		  json_t **diags)
{
	struct loader L;
	struct ms_buf data = MS_BUF_INIT;
	int err;

	*out = NULL;
	loader_init(&L, path, vars);
	if (read_file(&L, path, &data) == 0)
		parse_and_check(&L, data.ptr, data.len);
	err = loader_finish(&L, out, diags);
	ms_buf_release(&data);
	return err;
}

int ms_stack_load_buffer(struct ms_stack **out, const char *file,
			 const char *data, size_t len, const json_t *vars,
			 json_t **diags)
{
	struct loader L;

	*out = NULL;
	loader_init(&L, file, vars);
	if (len > MS_STACK_MAX_BYTES) {
		char *msg = ms_asprintf("file too large (more than %d bytes)",
					MS_STACK_MAX_BYTES);

		add_diag(&L, 1, 1, msg);
		free(msg);
	} else {
		parse_and_check(&L, data, len);
	}
	return loader_finish(&L, out, diags);
}

void ms_stack_free(struct ms_stack *stack)
{
	size_t i;

	if (!stack)
		return;
	for (i = 0; i < stack->n_resources; i++) {
		struct ms_resource *r = &stack->resources[i];

		free(r->name);
		free(r->type);
		json_decref(r->properties);
		json_decref(r->depends_on);
		json_decref(r->ignore_changes);
		json_decref(r->timeouts);
		json_decref(r->lint_ignore);
		json_decref(r->refers);
		json_decref(r->refers_data);
	}
	free(stack->resources);
	for (i = 0; i < stack->n_lookups; i++) {
		struct ms_resource *r = &stack->lookups[i];

		free(r->name);
		free(r->type);
		json_decref(r->properties);
		json_decref(r->depends_on);
		json_decref(r->ignore_changes);
		json_decref(r->timeouts);
		json_decref(r->lint_ignore);
	}
	free(stack->lookups);
	if (stack->cache) {
		ms_map_release(&stack->cache->index);
		pthread_mutex_destroy(&stack->cache->lock);
		free(stack->cache->text);
		free(stack->cache);
	}
	free(stack->file);
	free(stack->name);
	free(stack->region);
	free(stack->state_remote);
	json_decref(stack->tags);
	json_decref(stack->variables);
	json_decref(stack->sensitive);
	json_decref(stack->outputs);
	json_decref(stack->marks);
	free(stack);
}

struct ms_resource *ms_stack_resource(const struct ms_stack *stack,
				      const char *name)
{
	size_t i;

	if (!name || !stack->cache ||
	    !ms_map_get(&stack->cache->index, name, &i))
		return NULL;
	return &stack->resources[i];
}

/*
 * mark_under in stack's marks, read whole first when path needs them;
 * under the stack's lock, which the marks are replaced under.
 */
static bool stack_mark(const struct ms_stack *cstack, const char *path,
		       size_t floor, int which, int *line, int *col)
{
	struct ms_stack *stack = (struct ms_stack *)cstack;
	struct ms_stack_cache *c = stack->cache;
	bool found;

	if (!c)
		return mark_under(stack->marks, path, floor, which, line, col);
	pthread_mutex_lock(&c->lock);
	if (c->text && path && !json_object_get(stack->marks, path)) {
		json_decref(stack->marks);
		stack->marks = ms_yaml_marks(c->text, c->len);
		free(c->text);
		c->text = NULL;
	}
	found = mark_under(stack->marks, path, floor, which, line, col);
	pthread_mutex_unlock(&c->lock);
	return found;
}

void ms_stack_mark(const struct ms_stack *stack, const char *path, int *line,
		   int *col)
{
	*line = *col = 0;
	stack_mark(stack, path, 0, KEY_MARK, line, col);
}

void ms_stack_value_mark(const struct ms_stack *stack, const char *path,
			 int *line, int *col)
{
	*line = *col = 0;
	stack_mark(stack, path, 0, VALUE_MARK, line, col);
}

bool ms_stack_mark_under(const struct ms_stack *stack, const char *path,
			 size_t floor, int *line, int *col)
{
	return stack_mark(stack, path, floor, KEY_MARK, line, col);
}

struct ms_resource *ms_stack_lookup(const struct ms_stack *stack,
				    const char *name)
{
	size_t i;

	for (i = 0; name && i < stack->n_lookups; i++)
		if (!strcmp(stack->lookups[i].name, name))
			return &stack->lookups[i];
	return NULL;
}
