/*
 * kit.c - the wire mapping of a schema, both ways, and canonical values.
 *
 * A wire string is parsed each time it is used: it is short, and keeping
 * it a string keeps a schema entry one readable line. "Not set" has one
 * form on each side: absent. An empty string, map or list in a request is
 * left out, and one in an answer is dropped, since AWS answers "" and {}
 * for what was never set.
 */
#include "util/common.h"
#include "providers/kit.h"
#include "providers/aws/aws.h"

#include <math.h>
#include <pthread.h>

/* The Resource Groups Tagging API: JSON 1.1, signed as "tagging". */
#define TAGGING_SERVICE "tagging"
#define TAGGING_TARGET  "ResourceGroupsTaggingAPI_20170126"
#define TAGGING_PAGE    100

struct wire {
	char request[64];     /* "" when the request has no such field */
	char answer[64];      /* "" when the answer has none */
	char on[32], off[32]; /* a boolean's words, or "" */
	bool text;            /* a number sent as its text ("Field:text") */
};

static void copy_part(char *out, size_t size, const char *s, size_t n)
{
	if (n >= size)
		n = size - 1;
	memcpy(out, s, n);
	out[n] = '\0';
}

static bool parse_wire(struct wire *w, const char *text)
{
	const char *bar, *colon, *slash, *end;

	memset(w, 0, sizeof(*w));
	if (!text)
		return false;
	colon = strchr(text, ':');
	end = colon ? colon : text + strlen(text);
	bar = memchr(text, '|', (size_t)(end - text));
	if (bar) {
		copy_part(w->request, sizeof(w->request), text,
			  (size_t)(bar - text));
		copy_part(w->answer, sizeof(w->answer), bar + 1,
			  (size_t)(end - bar - 1));
	} else {
		copy_part(w->request, sizeof(w->request), text,
			  (size_t)(end - text));
		memcpy(w->answer, w->request, sizeof(w->answer));
	}
	w->text = colon && !strcmp(colon, ":text");
	if (colon && (slash = strchr(colon, '/'))) {
		copy_part(w->on, sizeof(w->on), colon + 1,
			  (size_t)(slash - colon - 1));
		copy_part(w->off, sizeof(w->off), slash + 1, strlen(slash + 1));
	}
	return true;
}

/* The value at a dotted path ("ModelArtifacts.S3ModelArtifacts"). */
static json_t *get_path(const json_t *obj, const char *path)
{
	const char *dot;
	char part[64];

	while ((dot = strchr(path, '.'))) {
		copy_part(part, sizeof(part), path, (size_t)(dot - path));
		obj = json_object_get(obj, part);
		path = dot + 1;
	}
	return json_object_get(obj, path);
}

/* Set the value at a dotted path, making the objects on the way; steals v. */
static void set_path(json_t *obj, const char *path, json_t *v)
{
	const char *dot;
	char part[64];
	json_t *next;

	while ((dot = strchr(path, '.'))) {
		copy_part(part, sizeof(part), path, (size_t)(dot - path));
		next = json_object_get(obj, part);
		if (!json_is_object(next)) {
			next = json_object();
			json_object_set_new(obj, part, next);
		}
		obj = next;
		path = dot + 1;
	}
	json_object_set_new(obj, path, v);
}

static bool is_empty(const json_t *v)
{
	return !v || json_is_null(v) ||
	       (json_is_string(v) && !json_string_length(v)) ||
	       (json_is_object(v) && !json_object_size(v)) ||
	       (json_is_array(v) && !json_array_size(v));
}

void ms_kit_strings(json_t *map)
{
	const char *key;
	json_t *value, *n;
	char *text;

	if (!json_is_object(map))
		return;
	json_object_foreach(map, key, value) {
		if (!json_is_number(value) && !json_is_boolean(value))
			continue;
		n = ms_kit_number(value);
		text = json_dumps(n, JSON_ENCODE_ANY | JSON_COMPACT);
		json_decref(n);
		if (text)
			json_object_set_new(map, key, json_string(text));
		free(text);
	}
}

json_t *ms_kit_number(const json_t *v)
{
	double d;

	if (json_is_real(v)) {
		d = json_real_value(v);
		/* in range first: converting 1e308 to an integer is undefined */
		if (d > -1e15 && d < 1e15 && d == (double)(json_int_t)d)
			return json_integer((json_int_t)d);
	}
	return json_incref((json_t *)v);
}

int ms_kit_check_number(json_t *obj, const char *key, const char *where,
			double min, double max, bool whole)
{
	json_t *v = json_object_get(obj, key), *canon;
	double d;

	if (!json_is_number(v))
		return 0;
	canon = ms_kit_number(v);
	d = json_number_value(canon);
	if ((whole && !json_is_integer(canon)) || d < min || d > max) {
		json_decref(canon);
		if (isinf(max))
			return ms_error("%s: expected %s of at least %g", where,
					whole ? "a whole number" : "a number",
					min);
		return ms_error("%s: expected %s from %g to %g", where,
				whole ? "a whole number" : "a number", min,
				max);
	}
	json_object_set_new(obj, key, canon);
	return 0;
}

const char *ms_kit_str(const json_t *obj, const char *key, const char *dflt)
{
	const char *s = json_string_value(json_object_get(obj, key));

	return s ? s : dflt;
}

const char *ms_kit_field(char out[64], const struct ms_resource_type *t,
			 const char *attr, bool answer)
{
	const struct ms_attr *a = ms_provider_attr(t, attr);
	struct wire w;

	if (!a || !parse_wire(&w, a->wire))
		return NULL;
	memcpy(out, answer ? w.answer : w.request, 64);
	return *out ? out : NULL;
}

const char *ms_kit_name(const struct ms_call *call, const json_t *attrs)
{
	const char *id_attr = call && call->type ? call->type->id_attr : NULL;

	return ms_kit_str(attrs, "id",
			  id_attr ? ms_kit_str(attrs, id_attr, NULL) : NULL);
}

/* ---- attributes -> request -------------------------------------------- */

static int object_request(json_t **out, const struct ms_attr *schema,
			  const json_t *attrs, ms_kit_tags_fn tags,
			  const char *path);

/* One value of attribute a as its request field holds it; NULL: leave out */
static int value_request(json_t **out, const struct ms_attr *a,
			 const struct wire *w, const json_t *v,
			 const char *path)
{
	json_t *list, *item, *x;
	size_t i;
	int err;

	*out = NULL;
	/* an object is built field by field: its fields may have defaults */
	if (is_empty(v) && !(a->type == MS_ATTR_OBJECT && json_is_object(v)))
		return 0;
	switch (a->type) {
	case MS_ATTR_NUMBER:
		*out = ms_kit_number(v);
		if (w->text && json_is_number(*out)) {
			char *text = json_dumps(*out, JSON_ENCODE_ANY);

			json_decref(*out);
			*out = json_string(text ? text : "");
			free(text);
		}
		return 0;
	case MS_ATTR_BOOL:
		*out = *w->on ? json_string(json_is_true(v) ? w->on : w->off) :
				json_incref((json_t *)v);
		return 0;
	case MS_ATTR_MAP:
		*out = json_deep_copy(v);
		ms_kit_strings(*out);
		return 0;
	case MS_ATTR_OBJECT:
		err = object_request(out, a->nested, v, NULL, path);
		if (!err && !json_object_size(*out)) {
			json_decref(*out);
			*out = NULL;
		}
		return err;
	case MS_ATTR_LIST:
		if (!a->nested) {
			*out = json_incref((json_t *)v);
			return 0;
		}
		list = json_array();
		json_array_foreach(v, i, item) {
			char *at = ms_asprintf("%s[%zu]", path, i);

			err = object_request(&x, a->nested, item, NULL, at);
			free(at);
			if (err) {
				json_decref(list);
				return err;
			}
			json_array_append_new(list, x);
		}
		*out = list;
		return 0;
	default:
		*out = json_incref((json_t *)v);
		return 0;
	}
}

/* An attribute left out is sent with its default, as the state has it. */
static int default_request(json_t **out, const struct ms_attr *a,
			   const struct wire *w, const char *path)
{
	json_t *dflt = ms_attr_default(a);
	int err = value_request(out, a, w, dflt, path);

	json_decref(dflt);
	return err;
}

static int object_request(json_t **out, const struct ms_attr *schema,
			  const json_t *attrs, ms_kit_tags_fn tags,
			  const char *path)
{
	const struct ms_attr *a;
	struct wire w;
	json_t *body = json_object(), *v;
	char *at;
	int err = 0;

	*out = NULL;
	for (a = schema; a && a->name && !err; a++) {
		v = NULL;
		if (!parse_wire(&w, a->wire) || !*w.request ||
		    (a->flags & MS_ATTR_COMPUTED))
			continue;
		at = *path ? ms_asprintf("%s.%s", path, a->name) :
			     ms_strdup(a->name);
		if ((a->flags & MS_ATTR_REQUIRED) &&
		    is_empty(json_object_get(attrs, a->name)))
			err = ms_error("no %s", at);
		else if (a->flags & MS_ATTR_TAGS)
			v = tags && json_object_size(
					    json_object_get(attrs, a->name)) ?
				    tags(json_object_get(attrs, a->name)) :
				    NULL;
		else if (json_object_get(attrs, a->name) || !a->default_json)
			err = value_request(
				&v, a, &w, json_object_get(attrs, a->name), at);
		else
			err = default_request(&v, a, &w, at);
		if (!err && v)
			set_path(body, w.request, v);
		free(at);
	}
	if (err) {
		json_decref(body);
		return err;
	}
	*out = body;
	return 0;
}

int ms_kit_request(json_t **out, const struct ms_attr *schema,
		   const json_t *attrs, ms_kit_tags_fn tags)
{
	return object_request(out, schema, attrs, tags, "");
}

/* ---- answer -> attributes --------------------------------------------- */

static json_t *object_attrs(const struct ms_attr *schema, const json_t *answer);

/* The attribute value of an answer's field; NULL: not set */
static json_t *value_attrs(const struct ms_attr *a, const struct wire *w,
			   const json_t *v)
{
	json_t *list, *item, *x;
	size_t i;

	if (a->type == MS_ATTR_BOOL && *w->on && json_is_string(v))
		return json_boolean(strcmp(json_string_value(v), w->off) != 0);
	/* AWS leaves out what holds its default */
	if (is_empty(v))
		return a->default_json && a->type != MS_ATTR_MAP &&
				       a->type != MS_ATTR_LIST ?
			       ms_attr_default(a) :
			       NULL;
	switch (a->type) {
	case MS_ATTR_NUMBER:
		/* the Query protocols answer text */
		if (json_is_string(v)) {
			x = json_loads(json_string_value(v), JSON_DECODE_ANY,
				       NULL);
			list = json_is_number(x) ? ms_kit_number(x) : NULL;
			json_decref(x);
			if (list)
				return list;
		}
		return ms_kit_number(v);
	case MS_ATTR_BOOL:
		if (json_is_string(v))
			return json_boolean(
				!strcmp(json_string_value(v), "true"));
		return json_incref((json_t *)v);
	case MS_ATTR_MAP:
		x = json_deep_copy(v);
		ms_kit_strings(x);
		return x;
	case MS_ATTR_OBJECT:
		return json_is_object(v) ? object_attrs(a->nested, v) : NULL;
	case MS_ATTR_LIST:
		if (!a->nested)
			return json_deep_copy(v);
		list = json_array();
		json_array_foreach(v, i, item)
			json_array_append_new(
				list, json_is_object(item) ?
					      object_attrs(a->nested, item) :
					      json_object());
		return list;
	default:
		return json_deep_copy(v);
	}
}

static json_t *object_attrs(const struct ms_attr *schema, const json_t *answer)
{
	const struct ms_attr *a;
	struct wire w;
	json_t *o = json_object(), *v;

	for (a = schema; a && a->name; a++) {
		if (!parse_wire(&w, a->wire) || !*w.answer ||
		    (a->flags & MS_ATTR_TAGS))
			continue;
		v = value_attrs(a, &w, get_path(answer, w.answer));
		if (v)
			json_object_set_new(o, a->name, v);
	}
	return o;
}

int ms_kit_attrs(json_t **out, const struct ms_resource_type *t,
		 const json_t *answer, const json_t *tags)
{
	const struct ms_attr *a;
	json_t *o, *id;

	*out = NULL;
	o = object_attrs(t->schema, answer);
	id = json_object_get(o, t->id_attr);
	if (!json_is_string(id)) {
		a = ms_provider_attr(t, t->id_attr);
		json_decref(o);
		return ms_error("no %s in the answer",
				a && a->wire ? a->wire : t->id_attr);
	}
	json_object_set(o, "id", id);
	for (a = t->schema; a->name; a++)
		if (a->flags & MS_ATTR_TAGS) {
			json_object_set_new(o, a->name,
					    tags ? json_deep_copy(tags) :
						   json_object());
			ms_kit_strings(json_object_get(o, a->name));
		}
	if (t->normalize && t->normalize(o))
		ms_error_clear(); /* what AWS holds, even out of range */
	*out = o;
	return 0;
}

json_t *ms_kit_attrs_from(const struct ms_resource_type *t, const json_t *base)
{
	const struct ms_attr *a;
	json_t *o = json_object(), *v;

	for (a = t->schema; a->name; a++) {
		v = json_object_get(base, a->name);
		if (v)
			json_object_set_new(o, a->name, json_deep_copy(v));
		else if (a->flags & MS_ATTR_TAGS)
			json_object_set_new(o, a->name, json_object());
	}
	json_object_set(o, "id", json_object_get(base, t->id_attr));
	if (t->normalize && t->normalize(o))
		ms_error_clear();
	return o;
}

int ms_kit_update_request(json_t **out, json_t **changed,
			  const struct ms_resource_type *t, const json_t *prior,
			  const json_t *desired)
{
	const struct ms_attr *a;
	struct wire w;
	json_t *body = json_object(), *names = json_array(), *want, *v, *have;
	int err = 0;

	*out = NULL;
	*changed = NULL;
	for (a = t->schema; a->name && !err; a++) {
		if (!parse_wire(&w, a->wire) || !*w.request ||
		    (a->flags &
		     (MS_ATTR_COMPUTED | MS_ATTR_FORCE_NEW | MS_ATTR_TAGS)))
			continue;
		want = json_object_get(desired, a->name);
		if (!want)
			continue;
		/* compared as sent: 5 and 5.0, true and "Enabled" are one */
		err = value_request(&v, a, &w, want, a->name);
		if (!err)
			err = value_request(&have, a, &w,
					    json_object_get(prior, a->name),
					    a->name);
		if (!err && v && !json_equal(v, have)) {
			set_path(body, w.request, json_incref(v));
			json_array_append_new(names, json_string(a->name));
		}
		json_decref(v);
		json_decref(have);
	}
	if (!err && parse_wire(&w, ms_provider_attr(t, t->id_attr)->wire) &&
	    *w.request)
		json_object_set_new(
			body, w.request,
			json_string(
				ms_kit_str(prior, "id",
					   ms_kit_str(prior, t->id_attr, ""))));
	if (err) {
		json_decref(body);
		json_decref(names);
		return err;
	}
	*out = body;
	*changed = names;
	return 0;
}

/* ---- tags and sets ---------------------------------------------------- */

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

json_t *ms_kit_tags_list(const json_t *tags)
{
	json_t *list = json_array(), *value;
	const char **keys, *key;
	size_t i = 0, n = json_object_size(tags);

	if (!n)
		return list;
	keys = ms_calloc(n, sizeof(*keys));
	json_object_foreach((json_t *)tags, key, value)
		keys[i++] = key;
	qsort(keys, n, sizeof(*keys), cmp_str);
	for (i = 0; i < n; i++) {
		value = json_object_get(tags, keys[i]);
		json_array_append_new(list, json_pack("{s:s, s:O}", "Key",
						      keys[i], "Value", value));
	}
	free(keys);
	return list;
}

json_t *ms_kit_tags_map(const json_t *list)
{
	json_t *map = json_object(), *item;
	const char *key, *value;
	size_t i;

	json_array_foreach(list, i, item) {
		key = ms_kit_str(item, "Key", NULL);
		value = ms_kit_str(item, "Value", "");
		if (key)
			json_object_set_new(map, key, json_string(value));
	}
	return map;
}

static int cmp_json_str(const void *a, const void *b)
{
	return strcmp(json_string_value(*(json_t *const *)a),
		      json_string_value(*(json_t *const *)b));
}

void ms_kit_sorted_set(json_t *list)
{
	json_t **strs, **rest;
	size_t i, n, ns = 0, nr = 0;
	json_t *item;

	if (!json_is_array(list))
		return;
	n = json_array_size(list);
	strs = ms_calloc(n ? n : 1, sizeof(*strs));
	rest = ms_calloc(n ? n : 1, sizeof(*rest));
	json_array_foreach(list, i, item) {
		if (json_is_string(item))
			strs[ns++] = json_incref(item);
		else
			rest[nr++] = json_incref(item);
	}
	qsort(strs, ns, sizeof(*strs), cmp_json_str);
	json_array_clear(list);
	for (i = 0; i < ns; i++)
		json_array_append(list, strs[i]);
	for (i = 1; i < json_array_size(list);) {
		if (!strcmp(json_string_value(json_array_get(list, i)),
			    json_string_value(json_array_get(list, i - 1))))
			json_array_remove(list, i);
		else
			i++;
	}
	for (i = 0; i < ns; i++)
		json_decref(strs[i]);
	for (i = 0; i < nr; i++)
		json_array_append_new(list, rest[i]);
	free(strs);
	free(rest);
}

int ms_kit_page_size(int dflt)
{
	const char *v = getenv("MLSTACK_LIST_PAGE_SIZE");
	char *end;
	long n;

	if (!v || !*v)
		return dflt;
	n = strtol(v, &end, 10);
	return *end || n < 1 || n > dflt ? dflt : (int)n;
}

int ms_kit_json_pages(json_t **out, struct ms_aws *aws, const char *service,
		      const char *target, const char *op, json_t *body,
		      const char *key, const char *token_key)
{
	return ms_kit_json_pages_upto(out, aws, service, target, op, body, key,
				      token_key, 0, NULL);
}

int ms_kit_json_pages_upto(json_t **out, struct ms_aws *aws,
			   const char *service, const char *target,
			   const char *op, json_t *body, const char *key,
			   const char *token_key, size_t max_pages, bool *cut)
{
	json_t *items = json_array(), *answer = NULL, *page;
	const char *token;
	char *next = NULL;
	size_t pages = 0;
	int err = 0;

	*out = NULL;
	if (cut)
		*cut = false;
	for (;;) {
		if (next)
			json_object_set_new(body, token_key, json_string(next));
		json_decref(answer);
		answer = NULL;
		err = ms_aws_json_call(&answer, NULL, aws, service, target, op,
				       body);
		if (err)
			goto done;
		page = json_object_get(answer, key);
		if (json_is_array(page))
			json_array_extend(items, page);
		token = ms_kit_str(answer, token_key, NULL);
		if (!token || !*token)
			break;
		if (max_pages && ++pages == max_pages) {
			if (cut)
				*cut = true;
			break;
		}
		if (next && !strcmp(token, next)) {
			err = ms_error("%s: the same %s twice", op, token_key);
			goto done;
		}
		free(next);
		next = ms_strdup(token);
	}
	*out = items;
	items = NULL;
done:
	free(next);
	json_decref(items);
	json_decref(answer);
	return err;
}

int ms_kit_tagged(json_t **out, struct ms_aws *aws, const char *type,
		  size_t max_pages, bool *cut)
{
	json_t *items = NULL, *item, *body;
	size_t i;
	int err;

	*out = NULL;
	body = json_pack("{s:[s], s:i}", "ResourceTypeFilters", type,
			 "ResourcesPerPage", ms_kit_page_size(TAGGING_PAGE));
	err = ms_kit_json_pages_upto(&items, aws, TAGGING_SERVICE,
				     TAGGING_TARGET, "GetResources", body,
				     "ResourceTagMappingList",
				     "PaginationToken", max_pages, cut);
	json_decref(body);
	if (err)
		return err;
	*out = json_object();
	json_array_foreach(items, i, item)
		if (json_is_string(json_object_get(item, "ResourceARN")))
			json_object_set_new(
				*out, ms_kit_str(item, "ResourceARN", ""),
				ms_kit_tags_map(json_object_get(item, "Tags")));
	json_decref(items);
	return 0;
}

struct parallel {
	size_t n, next;
	int (*job)(size_t i, void *payload);
	void *payload;
	pthread_mutex_t lock;
	char *error; /* the first failure's message, and its code */
	int code;
};

static void *parallel_worker(void *arg)
{
	struct parallel *p = arg;
	size_t i;
	int err;

	for (;;) {
		pthread_mutex_lock(&p->lock);
		i = p->error ? p->n : p->next;
		if (i < p->n)
			p->next++;
		pthread_mutex_unlock(&p->lock);
		if (i == p->n)
			break;
		err = p->job(i, p->payload);
		pthread_mutex_lock(&p->lock);
		if (err && !p->error) {
			p->error = ms_strdup(ms_error_last());
			p->code = err;
		}
		pthread_mutex_unlock(&p->lock);
	}
	return NULL;
}

int ms_kit_parallel(size_t n, int threads, int (*job)(size_t i, void *payload),
		    void *payload)
{
	struct parallel p = { n,    0, job, payload, PTHREAD_MUTEX_INITIALIZER,
			      NULL, 0 };
	size_t i, started = 0, want = threads > 1 ? (size_t)threads : 1;
	pthread_t *tids;
	int err = 0;

	if (want > n)
		want = n ? n : 1;
	tids = ms_calloc(want, sizeof(*tids));
	for (i = 1; i < want; i++)
		if (!pthread_create(&tids[started], NULL, parallel_worker, &p))
			started++;
	parallel_worker(&p);
	for (i = 0; i < started; i++)
		pthread_join(tids[i], NULL);
	free(tids);
	if (p.error)
		err = ms_error_code(p.code < 0 ? p.code : -1, "%s", p.error);
	free(p.error);
	pthread_mutex_destroy(&p.lock);
	return err;
}
