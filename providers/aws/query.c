/*
 * query.c - the Query protocol (IAM, STS; EC2's dialect differs only in
 * how callers name list members): a form-encoded POST, an XML answer.
 *
 * Callers hand over a flat object of already flattened names; the
 * helpers below flatten lists and tags the way the Query serialiser of
 * the SDKs does (Name.member.N), so that every caller spells them alike.
 */
#include "util/common.h"
#include "providers/aws/internal.h"
#include "util/json.h"

int ms_aws_query_encode(struct ms_buf *out, const char *action,
			const char *version, const json_t *params)
{
	struct ms_buf val = MS_BUF_INIT;
	const char *key;
	json_t *v;
	int err = 0;

	ms_buf_adds(out, "Action=");
	ms_aws_uri_encode(out, action, strlen(action), 0);
	ms_buf_adds(out, "&Version=");
	ms_aws_uri_encode(out, version, strlen(version), 0);
	if (params && !json_is_object(params))
		return ms_error("%s: parameters must be a JSON object", action);
	json_object_foreach((json_t *)params, key, v) {
		int r;

		ms_buf_reset(&val);
		r = ms_json_scalar_text(&val, v);
		if (r > 0)
			continue;
		if (r < 0) {
			err = ms_error("%s: parameter '%s' is a list or an "
				       "object; flatten it first "
				       "(ms_aws_query_list)",
				       action, key);
			goto done;
		}
		ms_buf_addch(out, '&');
		ms_aws_uri_encode(out, key, strlen(key), 0);
		ms_buf_addch(out, '=');
		ms_aws_uri_encode(out, val.ptr, val.len, 0);
	}
done:
	ms_buf_release(&val);
	return err;
}

static void flatten(json_t *params, const char *name, const json_t *v);

static int key_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The keys of an object, sorted; the array is the caller's, the keys
 * are borrowed. */
static const char **sorted_keys(const json_t *obj, size_t *n)
{
	const char **keys = ms_calloc(json_object_size(obj) + 1, sizeof(*keys));
	const char *key;
	json_t *v;

	*n = 0;
	json_object_foreach((json_t *)obj, key, v)
		keys[(*n)++] = key;
	if (*n)
		qsort(keys, *n, sizeof(*keys), key_cmp);
	return keys;
}

static void flatten(json_t *params, const char *name, const json_t *v)
{
	struct ms_buf s = MS_BUF_INIT;
	size_t i, n;

	if (json_is_array(v)) {
		if (!json_array_size(v))
			json_object_set_new(params, name, json_string(""));
		for (i = 0; i < json_array_size(v); i++) {
			char *sub = ms_asprintf("%s.member.%zu", name, i + 1);

			flatten(params, sub, json_array_get(v, i));
			free(sub);
		}
	} else if (json_is_object(v)) {
		const char **keys = sorted_keys(v, &n);

		for (i = 0; i < n; i++) {
			char *sub = ms_asprintf("%s.%s", name, keys[i]);

			flatten(params, sub, json_object_get(v, keys[i]));
			free(sub);
		}
		free(keys);
	} else if (ms_json_scalar_text(&s, v) == 0) {
		json_object_set_new(params, name, json_stringn(s.ptr, s.len));
	}
	ms_buf_release(&s);
}

void ms_aws_query_list(json_t *params, const char *prefix, const json_t *list)
{
	if (list)
		flatten(params, prefix, list);
}

void ms_aws_query_tags(json_t *params, const char *prefix, const json_t *tags)
{
	const char **keys;
	size_t i, n;

	if (!json_is_object(tags)) {
		/* already a list of {Key, Value} */
		ms_aws_query_list(params, prefix, tags);
		return;
	}
	keys = sorted_keys(tags, &n);
	for (i = 0; i < n; i++) {
		char *k = ms_asprintf("%s.member.%zu.Key", prefix, i + 1);
		char *v = ms_asprintf("%s.member.%zu.Value", prefix, i + 1);
		struct ms_buf s = MS_BUF_INIT;

		json_object_set_new(params, k, json_string(keys[i]));
		if (ms_json_scalar_text(&s, json_object_get(tags, keys[i])) !=
		    0)
			ms_buf_reset(&s);
		json_object_set_new(params, v, json_stringn(s.ptr, s.len));
		ms_buf_release(&s);
		free(k);
		free(v);
	}
	free(keys);
}

int ms_aws_query(struct ms_aws *aws, const char *service, const char *version,
		 const char *action, const json_t *params, xmlDoc **out)
{
	return ms_aws_query_call(out, NULL, aws, service, version, action,
				 params);
}

int ms_aws_query_call(xmlDoc **out, struct ms_aws_error *error,
		      struct ms_aws *aws, const char *service,
		      const char *version, const char *action,
		      const json_t *params)
{
	static const char *const headers[] = {
		"Content-Type: application/x-www-form-urlencoded; "
		"charset=utf-8",
		NULL,
	};
	struct ms_aws_request req = { 0 };
	struct ms_aws_response res;
	struct ms_buf body = MS_BUF_INIT;
	json_t *flat = json_object(), *v;
	const char *key;
	xmlDoc *doc = NULL;
	xmlNode *root;
	char *want = NULL;
	int err;

	*out = NULL;
	ms_aws_error_release(error);
	ms_aws_response_init(&res);
	/* lists and structures as the SDKs' Query serialiser spells them */
	json_object_foreach((json_t *)params, key, v)
		flatten(flat, key, v);
	err = ms_aws_query_encode(&body, action, version, flat);
	if (err)
		goto done;
	req.service = service;
	req.operation = action;
	req.method = "POST";
	req.path = "/";
	req.headers = headers;
	req.body = body.ptr;
	req.body_len = body.len;
	err = ms_aws_send(aws, &req, &res);
	if (err) {
		ms_aws_error_from(error, &res);
		goto done;
	}
	doc = ms_aws_xml_parse(res.body.ptr, res.body.len);
	root = doc ? xmlDocGetRootElement(doc) : NULL;
	want = ms_asprintf("%sResponse", action);
	if (!root || strcmp((const char *)root->name, want)) {
		err = ms_error("%s: unexpected answer (HTTP %ld, %s%s%s)",
			       action, res.status,
			       root ? "root element <" : "not XML",
			       root ? (const char *)root->name : "",
			       root ? ">" : "");
		goto done;
	}
	*out = doc;
	doc = NULL;
done:
	if (doc)
		xmlFreeDoc(doc);
	free(want);
	json_decref(flat);
	ms_buf_release(&body);
	ms_aws_response_release(&res);
	return err;
}
