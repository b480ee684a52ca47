/*
 * iam.c - the IAM service layer: Query calls answered as JSON, errors,
 * paged lists, tags, and canonical policy documents.
 *
 * Policy documents are compared as canonical objects, never as text: IAM
 * returns them URL-encoded and with its own spacing, and a user writes them
 * as YAML or as a JSON string, so text equality would show false diffs.
 */
#include "util/common.h"
#include "util/json.h"
#include "providers/aws/aws.h"
#include "providers/iam/iam.h"
#include "providers/kit.h"

int ms_iam_call(json_t **out, struct ms_aws_error *error, struct ms_aws *aws,
		const char *action, const json_t *params)
{
	xmlDoc *doc = NULL;
	xmlNode *result;
	char path[96];
	int err;

	if (out)
		*out = NULL;
	err = ms_aws_query_call(&doc, error, aws, "iam", MS_IAM_VERSION, action,
				params);
	if (!err && out) {
		snprintf(path, sizeof(path), "%sResult", action);
		result = ms_xml_find(xmlDocGetRootElement(doc), path);
		*out = result ? ms_xml_json(result) : json_object();
		if (!json_is_object(*out)) {
			json_decref(*out);
			*out = json_object();
		}
	}
	if (doc)
		xmlFreeDoc(doc);
	return err;
}

bool ms_iam_not_found(const struct ms_aws_error *error)
{
	return ms_aws_error_is(error, "NoSuchEntity", NULL);
}

int ms_iam_list(json_t **out, struct ms_aws_error *error, struct ms_aws *aws,
		const char *action, const json_t *params, const char *key)
{
	return ms_iam_list_upto(out, error, aws, action, params, key, 0);
}

int ms_iam_list_upto(json_t **out, struct ms_aws_error *error,
		     struct ms_aws *aws, const char *action,
		     const json_t *params, const char *key, size_t max_pages)
{
	json_t *all = json_array(), *page = NULL, *p = json_deep_copy(params);
	const char *marker;
	size_t pages = 0;
	int err = 0;

	*out = NULL;
	for (;;) {
		json_decref(page);
		err = ms_iam_call(&page, error, aws, action, p);
		if (err)
			break;
		if (json_is_array(json_object_get(page, key)))
			json_array_extend(all, json_object_get(page, key));
		marker = ms_kit_str(page, "Marker", "");
		if (strcmp(ms_kit_str(page, "IsTruncated", ""), "true") ||
		    !*marker || ++pages == max_pages)
			break;
		if (json_equal(json_object_get(p, "Marker"),
			       json_object_get(page, "Marker"))) {
			err = ms_error("%s: the same Marker twice", action);
			break;
		}
		json_object_set(p, "Marker", json_object_get(page, "Marker"));
	}
	if (!err) {
		*out = all;
		all = NULL;
	}
	json_decref(all);
	json_decref(page);
	json_decref(p);
	return err;
}

int ms_iam_tags_update(struct ms_aws *aws, const char *kind,
		       const char *name_key, const char *name,
		       const json_t *have, const json_t *want)
{
	json_t *changed = json_object(), *removed = json_array(), *p = NULL;
	json_t *value;
	const char *key;
	char action[64];
	int err = 0;

	json_object_foreach((json_t *)want, key, value)
		if (!json_equal(json_object_get(have, key), value))
			json_object_set(changed, key, value);
	json_object_foreach((json_t *)have, key, value)
		if (!json_object_get(want, key))
			json_array_append_new(removed, json_string(key));
	if (json_object_size(changed)) {
		p = json_pack("{s:s, s:o}", name_key, name, "Tags",
			      ms_kit_tags_list(changed));
		snprintf(action, sizeof(action), "Tag%s", kind);
		err = ms_iam_call(NULL, NULL, aws, action, p);
	}
	if (!err && json_array_size(removed)) {
		json_decref(p);
		p = json_pack("{s:s, s:O}", name_key, name, "TagKeys", removed);
		snprintf(action, sizeof(action), "Untag%s", kind);
		err = ms_iam_call(NULL, NULL, aws, action, p);
	}
	json_decref(p);
	json_decref(changed);
	json_decref(removed);
	return err;
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
	int line, col;

	*out = NULL;
	if (!json_is_string(doc)) {
		*out = sorted_copy(doc);
		return 0;
	}
	text = json_string_value(doc);
	parsed = json_loadb(text, json_string_length(doc),
			    JSON_REJECT_DUPLICATES, &jerr);
	if (!parsed) {
		ms_json_error_mark(&jerr, &line, &col);
		return ms_error("%s: not valid JSON: %s (line %d, column %d)",
				what, jerr.text, line, col);
	}
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
