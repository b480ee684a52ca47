/*
 * sensitive.c - which parts of a resource's values are secrets, and the
 * same values with those parts hidden.
 *
 * A value is sensitive by the schema (MS_ATTR_SENSITIVE, at any depth: a
 * model container's environment), by its name (a map entry whose key reads
 * like a secret: DB_PASSWORD, api_token), or by its origin (an attribute
 * set from a variable declared sensitive: the plan lists those in the
 * change's "sensitive"). The mask has Terraform's *_sensitive shape: an
 * object of attribute -> true, or a nested object / array of masks, with
 * only what is sensitive in it. Hidden values become a marker object that
 * every rendering prints as "(sensitive)".
 */
#include "util/common.h"
#include "util/json.h"
#include "engine/internal.h"
#include "engine/sensitive.h"
#include "engine/expr.h"

#include <ctype.h>

static const char *const secret_words[] = {
	"password",   "passwd",     "secret",     "token",
	"apikey",     "api_key",    "api-key",    "private_key",
	"privatekey", "credential", "access_key", NULL,
};

bool ms_sensitive_name(const char *key)
{
	char lower[256];
	size_t i;

	for (i = 0; key[i] && i + 1 < sizeof(lower); i++)
		lower[i] = (char)tolower((unsigned char)key[i]);
	lower[i] = '\0';
	for (i = 0; secret_words[i]; i++)
		if (strstr(lower, secret_words[i]))
			return true;
	return false;
}

bool ms_sensitive_var_in(const json_t *value, const json_t *sensitive)
{
	json_t *refs = NULL, *ref;
	bool found = false;
	size_t i;

	if (!json_object_size(sensitive))
		return false;
	if (ms_expr_refs(value, &refs) < 0) {
		/* the refs found before the error are the caller's to free */
		json_decref(refs);
		ms_error_clear();
		return false;
	}
	json_array_foreach(refs, i, ref) {
		const char *root =
			json_string_value(json_object_get(ref, "root"));
		const char *first = json_string_value(
			json_array_get(json_object_get(ref, "path"), 0));

		if (root && first && !strcmp(root, "var") &&
		    json_object_get(sensitive, first))
			found = true;
	}
	json_decref(refs);
	return found;
}

json_t *ms_sensitive_marker(void)
{
	return json_pack("{sb}", MS_SENSITIVE_KEY, 1);
}

bool ms_is_sensitive_marker(const json_t *v)
{
	return json_is_object(v) && json_object_size(v) == 1 &&
	       json_is_true(json_object_get(v, MS_SENSITIVE_KEY));
}

/* The mask of one value of attribute a (NULL when nothing is sensitive). */
static json_t *value_mask(const struct ms_attr *a, const json_t *v);

static json_t *object_mask(const struct ms_attr *schema, const json_t *v,
			   const json_t *marked)
{
	const struct ms_attr *a;
	json_t *mask = json_object(), *m, *x;
	size_t i;

	if (!json_is_object(v))
		return mask;
	for (a = schema; a && a->name; a++) {
		x = json_object_get(v, a->name);
		if (!x)
			continue;
		m = NULL;
		json_array_foreach(marked, i, m)
			if (!strcmp(json_string_value(m), a->name))
				break;
		if (i < json_array_size(marked))
			m = json_true();
		else
			m = value_mask(a, x);
		if (m)
			json_object_set_new(mask, a->name, m);
	}
	return mask;
}

static json_t *value_mask(const struct ms_attr *a, const json_t *v)
{
	json_t *m, *x, *list;
	const char *key;
	bool any = false;
	size_t i;

	if (a->flags & MS_ATTR_SENSITIVE)
		return json_true();
	if (a->type == MS_ATTR_OBJECT && a->nested) {
		m = object_mask(a->nested, v, NULL);
		if (json_object_size(m))
			return m;
		json_decref(m);
		return NULL;
	}
	if (a->type == MS_ATTR_LIST && a->nested && json_is_array(v)) {
		list = json_array();
		json_array_foreach(v, i, x) {
			m = object_mask(a->nested, x, NULL);
			any |= json_object_size(m) > 0;
			json_array_append_new(list, json_object_size(m) ?
							    m :
							    (json_decref(m),
							     json_false()));
		}
		if (any)
			return list;
		json_decref(list);
		return NULL;
	}
	if (a->type == MS_ATTR_MAP && json_is_object(v)) {
		m = json_object();
		json_object_foreach((json_t *)v, key, x)
			if (ms_sensitive_name(key))
				json_object_set_new(m, key, json_true());
		if (json_object_size(m))
			return m;
		json_decref(m);
	}
	return NULL;
}

json_t *ms_sensitive_mask(const char *type, const json_t *attrs,
			  const json_t *marked)
{
	const struct ms_resource_type *t = ms_provider_find(type ? type : "");

	if (!json_is_object(attrs))
		return json_false();
	return object_mask(t ? t->schema : NULL, attrs, marked);
}

json_t *ms_sensitive_hide(const json_t *v, const json_t *mask)
{
	json_t *out, *x;
	const char *key;
	size_t i;

	if (!v)
		return NULL;
	if (json_is_true(mask))
		return ms_sensitive_marker();
	if (json_is_object(mask) && json_object_size(mask) &&
	    json_is_object(v)) {
		out = json_object();
		json_object_foreach((json_t *)v, key, x)
			json_object_set_new(
				out, key,
				ms_sensitive_hide(x,
						  json_object_get(mask, key)));
		return out;
	}
	if (json_is_array(mask) && json_is_array(v)) {
		out = json_array();
		json_array_foreach(v, i, x)
			json_array_append_new(
				out,
				ms_sensitive_hide(x, json_array_get(mask, i)));
		return out;
	}
	return ms_json_copy(v);
}

json_t *ms_sensitive_hidden(const char *type, const json_t *attrs,
			    const json_t *marked)
{
	json_t *mask = ms_sensitive_mask(type, attrs, marked);
	json_t *out = ms_sensitive_hide(attrs, mask);

	json_decref(mask);
	return out ? out : json_null();
}
