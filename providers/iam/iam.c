/*
 * iam.c - helpers shared by the IAM resource types: Query calls, error
 * codes, and canonical policy documents.
 *
 * Policy documents are compared as canonical objects, never as text: IAM
 * returns them URL-encoded and with its own spacing, and a user writes them
 * as YAML or as a JSON string, so text equality would show false diffs.
 */
#include "util/common.h"
#include "providers/aws/aws.h"
#include "providers/iam/iam.h"

int ms_iam_query(xmlDoc **out, struct ms_aws *aws, const char *action,
		 const json_t *params)
{
	xmlDoc *doc = NULL;
	int err;

	if (out)
		*out = NULL;
	err = ms_aws_query(aws, "iam", MS_IAM_VERSION, action, params, &doc);
	if (!err && out) {
		*out = doc;
		doc = NULL;
	}
	if (doc)
		xmlFreeDoc(doc);
	return err;
}

bool ms_iam_failed_with(const char *action, const char *code)
{
	const char *msg = ms_error_last();
	size_t n = strlen(action), m = strlen(code);

	if (strncmp(msg, action, n) || strncmp(msg + n, ": ", 2))
		return false;
	msg += n + 2;
	return !strncmp(msg, code, m) && (msg[m] == ':' || msg[m] == '\0');
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* A copy of v with the keys of every object sorted. */
static json_t *sorted_copy(const json_t *v)
{
	json_t *out;
	const char **keys;
	const char *key;
	json_t *item;
	size_t i, n;

	if (json_is_array(v)) {
		out = json_array();
		json_array_foreach(v, i, item)
			json_array_append_new(out, sorted_copy(item));
		return out;
	}
	if (!json_is_object(v))
		return json_deep_copy(v);

	n = json_object_size(v);
	keys = ms_calloc(n ? n : 1, sizeof(*keys));
	i = 0;
	json_object_foreach((json_t *)v, key, item)
		keys[i++] = key;
	qsort(keys, n, sizeof(*keys), cmp_str);
	out = json_object();
	for (i = 0; i < n; i++)
		json_object_set_new(out, keys[i],
				    sorted_copy(json_object_get(v, keys[i])));
	free(keys);
	return out;
}

int ms_iam_policy_canonical(json_t **out, const json_t *doc, const char *what)
{
	json_t *parsed = NULL;
	json_error_t jerr;
	const char *text;

	*out = NULL;
	if (!json_is_string(doc)) {
		*out = sorted_copy(doc);
		return 0;
	}
	text = json_string_value(doc);
	parsed = json_loadb(text, json_string_length(doc),
			    JSON_REJECT_DUPLICATES, &jerr);
	if (!parsed)
		return ms_error("%s: not valid JSON: %s (line %d, column %d)",
				what, jerr.text, jerr.line, jerr.column);
	if (!json_is_object(parsed)) {
		json_decref(parsed);
		return ms_error("%s: a policy document must be a JSON object",
				what);
	}
	*out = sorted_copy(parsed);
	json_decref(parsed);
	return 0;
}

int ms_iam_policy_text(char **out, const json_t *doc, const char *what)
{
	json_t *canon = NULL;
	int err;

	*out = NULL;
	err = ms_iam_policy_canonical(&canon, doc, what);
	if (err)
		goto done;
	if (!json_is_object(canon)) {
		err = ms_error("%s: a policy document must be a JSON object",
			       what);
		goto done;
	}
	*out = json_dumps(canon, JSON_COMPACT | JSON_SORT_KEYS);
	if (!*out)
		err = ms_error("%s: cannot encode the policy document", what);
done:
	json_decref(canon);
	return err;
}

int ms_iam_policy_decode(json_t **out, const char *encoded, const char *what)
{
	json_t *text = NULL;
	char *raw = NULL;
	int err;

	*out = NULL;
	raw = ms_aws_uri_decode(encoded);
	if (!raw)
		return ms_error("%s: cannot decode the policy document", what);
	text = json_string(raw);
	if (!text) {
		err = ms_error("%s: the policy document is not UTF-8", what);
		goto done;
	}
	err = ms_iam_policy_canonical(out, text, what);
done:
	json_decref(text);
	free(raw);
	return err;
}

static int cmp_json_str(const void *a, const void *b)
{
	return strcmp(json_string_value(*(json_t *const *)a),
		      json_string_value(*(json_t *const *)b));
}

void ms_iam_strings_normalize(json_t *list)
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

void ms_iam_tags_normalize(json_t *tags)
{
	const char *key;
	json_t *value;
	char *text;

	if (!json_is_object(tags))
		return;
	json_object_foreach(tags, key, value) {
		if (!json_is_number(value) && !json_is_boolean(value))
			continue;
		text = json_dumps(value, JSON_ENCODE_ANY | JSON_COMPACT);
		if (text)
			json_object_set_new(tags, key, json_string(text));
		free(text);
	}
}
