/*
 * s3.c - the S3 service layer: REST-XML plumbing, and the calls the S3
 * resource types share (emptying a bucket, when a bucket was made,
 * listing the keys under a prefix).
 *
 * Bodies are built as libxml2 trees and serialised, never pasted together
 * from strings: tag values and object keys are user data and may hold
 * '<' or '&'. Answers are parsed without network access or entity
 * expansion.
 */
#include "util/common.h"
#include "providers/aws/aws.h"
#include "providers/s3/s3.h"
#include "providers/kit.h"

#include <libxml/parser.h>
#include <openssl/evp.h>
#include <time.h>

int ms_s3_content_md5(char *out, const void *data, size_t len)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int md_len = 0;

	out[0] = '\0';
	if (!EVP_Digest(data, len, md, &md_len, EVP_md5(), NULL) ||
	    md_len != 16)
		return ms_error("content-md5: MD5 is not available");
	EVP_EncodeBlock((unsigned char *)out, md, (int)md_len);
	return 0;
}

int ms_s3_send(struct ms_aws_response *res, struct ms_aws *aws,
	       const char *region, const char *operation, const char *method,
	       const char *bucket, const char *query, const struct ms_buf *body)
{
	struct ms_buf path = MS_BUF_INIT, md5_header = MS_BUF_INIT;
	const char *headers[3] = { NULL, NULL, NULL };
	struct ms_aws_request req;
	char md5[MS_S3_MD5_LEN];
	int err;

	ms_aws_response_release(res);
	ms_aws_response_init(res);
	ms_buf_addch(&path, '/');
	ms_aws_uri_encode(&path, bucket, strlen(bucket), 0);

	memset(&req, 0, sizeof(req));
	req.service = "s3";
	req.operation = operation;
	req.method = method;
	req.path = path.ptr;
	req.query = query;
	req.region = region;
	if (body) {
		err = ms_s3_content_md5(md5, body->ptr, body->len);
		if (err)
			goto done;
		ms_buf_addf(&md5_header, "Content-MD5: %s", md5);
		headers[0] = "Content-Type: application/xml";
		headers[1] = md5_header.ptr;
		req.headers = headers;
		req.body = body->ptr;
		req.body_len = body->len;
	}
	err = ms_aws_send(aws, &req, res);
done:
	ms_buf_release(&path);
	ms_buf_release(&md5_header);
	return err;
}

int ms_s3_parse(xmlDoc **out, const struct ms_aws_response *res,
		const char *operation)
{
	*out = NULL;
	if (!res->body.len)
		return ms_error("%s: empty answer", operation);
	*out = xmlReadMemory(res->body.ptr, (int)res->body.len, NULL, NULL,
			     XML_PARSE_NONET | XML_PARSE_NOERROR |
				     XML_PARSE_NOWARNING);
	if (!*out || !xmlDocGetRootElement(*out)) {
		if (*out)
			xmlFreeDoc(*out);
		*out = NULL;
		return ms_error("%s: the answer is not XML", operation);
	}
	return 0;
}

/* A document whose root element, in S3's namespace, is name. */
static xmlDoc *doc_new(const char *name, xmlNode **root)
{
	xmlDoc *doc = xmlNewDoc(BAD_CAST "1.0");

	*root = xmlNewNode(NULL, BAD_CAST name);
	xmlSetNs(*root, xmlNewNs(*root, BAD_CAST MS_S3_XMLNS, NULL));
	xmlDocSetRootElement(doc, *root);
	return doc;
}

/* Serialise doc into out and free it. */
static int doc_dump(struct ms_buf *out, xmlDoc *doc)
{
	xmlChar *mem = NULL;
	int len = 0, err = 0;

	xmlDocDumpMemoryEnc(doc, &mem, &len, "UTF-8");
	if (!mem || len < 0)
		err = ms_error("s3: cannot serialise a request body");
	else
		ms_buf_add(out, mem, (size_t)len);
	xmlFree(mem);
	xmlFreeDoc(doc);
	return err;
}

/* A child element holding text; libxml2 escapes it. */
static void add_text(xmlNode *parent, const char *name, const char *text)
{
	xmlNewTextChild(parent, NULL, BAD_CAST name, BAD_CAST text);
}

int ms_s3_location_xml(struct ms_buf *out, const char *region)
{
	xmlNode *root;
	xmlDoc *doc = doc_new("CreateBucketConfiguration", &root);

	add_text(root, "LocationConstraint", region);
	return doc_dump(out, doc);
}

int ms_s3_versioning_xml(struct ms_buf *out, bool enabled)
{
	xmlNode *root;
	xmlDoc *doc = doc_new("VersioningConfiguration", &root);

	add_text(root, "Status", enabled ? "Enabled" : "Suspended");
	return doc_dump(out, doc);
}

int ms_s3_public_access_block_xml(struct ms_buf *out, bool on)
{
	static const char *const settings[] = {
		"BlockPublicAcls",
		"IgnorePublicAcls",
		"BlockPublicPolicy",
		"RestrictPublicBuckets",
	};
	xmlNode *root;
	xmlDoc *doc = doc_new("PublicAccessBlockConfiguration", &root);
	size_t i;

	for (i = 0; i < MS_ARRAY_SIZE(settings); i++)
		add_text(root, settings[i], on ? "true" : "false");
	return doc_dump(out, doc);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int ms_s3_tagging_xml(struct ms_buf *out, const json_t *tags)
{
	xmlNode *root, *set, *tag;
	xmlDoc *doc = doc_new("Tagging", &root);
	const char **keys, *key;
	json_t *value;
	size_t i = 0, n = json_object_size(tags);
	int err = 0;

	keys = ms_calloc(n ? n : 1, sizeof(*keys));
	json_object_foreach((json_t *)tags, key, value) {
		if (!json_is_string(value)) {
			err = ms_error("tags: the value of '%s' is not a "
				       "string",
				       key);
			goto done;
		}
		keys[i++] = key;
	}
	qsort(keys, n, sizeof(*keys), cmp_str);
	set = xmlNewChild(root, NULL, BAD_CAST "TagSet", NULL);
	for (i = 0; i < n; i++) {
		tag = xmlNewChild(set, NULL, BAD_CAST "Tag", NULL);
		add_text(tag, "Key", keys[i]);
		add_text(tag, "Value",
			 json_string_value(json_object_get(tags, keys[i])));
	}
done:
	free(keys);
	if (err) {
		xmlFreeDoc(doc);
		return err;
	}
	return doc_dump(out, doc);
}

int ms_s3_tagging_parse(json_t **out, xmlDoc *doc)
{
	xmlNode *tag;
	char *key, *value;

	*out = json_object();
	for (tag = ms_xml_find(xmlDocGetRootElement(doc), "TagSet/Tag"); tag;
	     tag = ms_xml_next(tag, "Tag")) {
		key = ms_xml_text(tag, "Key");
		value = ms_xml_text(tag, "Value");
		if (key)
			json_object_set_new(*out, key,
					    json_string(value ? value : ""));
		free(key);
		free(value);
	}
	return 0;
}

int ms_s3_delete_xml(struct ms_buf *out, const json_t *objects)
{
	xmlNode *root, *obj;
	xmlDoc *doc;
	const char *key, *version;
	json_t *item;
	size_t i;

	if (json_array_size(objects) > 1000)
		return ms_error("DeleteObjects: more than 1000 objects");
	doc = doc_new("Delete", &root);
	add_text(root, "Quiet", "true");
	json_array_foreach(objects, i, item) {
		key = json_string_value(json_object_get(item, "Key"));
		version = json_string_value(json_object_get(item, "VersionId"));
		if (!key)
			continue;
		obj = xmlNewChild(root, NULL, BAD_CAST "Object", NULL);
		add_text(obj, "Key", key);
		if (version)
			add_text(obj, "VersionId", version);
	}
	return doc_dump(out, doc);
}

/* ---- calls the S3 types share --------------------------------------------- */

/* Collect the Version or DeleteMarker entries of a listing page. */
static void collect(json_t *objects, xmlNode *root, const char *kind)
{
	xmlNode *n;
	char *key, *version;
	json_t *o;

	for (n = ms_xml_find(root, kind); n; n = ms_xml_next(n, kind)) {
		key = ms_xml_text(n, "Key");
		version = ms_xml_text(n, "VersionId");
		if (key) {
			o = json_object();
			json_object_set_new(o, "Key", json_string(key));
			if (version)
				json_object_set_new(o, "VersionId",
						    json_string(version));
			json_array_append_new(objects, o);
		}
		free(key);
		free(version);
	}
}

/*
 * Delete every object version and delete marker, a page of at most 1000
 * at a time. Each round lists from the start, since the previous page is
 * gone; a page that comes back unchanged means S3 kept something, and
 * stops the loop rather than spinning. ListObjectVersions also lists the
 * objects of a bucket that never had versioning (version "null").
 */
int ms_s3_empty(struct ms_call *call, const char *region, const char *bucket)
{
	struct ms_aws_response res;
	json_t *objects = NULL, *last = NULL;
	struct ms_buf body = MS_BUF_INIT;
	xmlDoc *doc = NULL;
	xmlNode *root, *error;
	char *key = NULL, *code = NULL, *msg = NULL;
	size_t deleted = 0;
	int err = 0;

	ms_aws_response_init(&res);
	for (;;) {
		err = ms_s3_send(&res, call->aws, region, "ListObjectVersions",
				 "GET", bucket, "versions&max-keys=1000", NULL);
		if (err)
			goto done;
		err = ms_s3_parse(&doc, &res, "ListObjectVersions");
		if (err)
			goto done;
		root = xmlDocGetRootElement(doc);
		json_decref(objects);
		objects = json_array();
		collect(objects, root, "Version");
		collect(objects, root, "DeleteMarker");
		xmlFreeDoc(doc);
		doc = NULL;
		if (!json_array_size(objects))
			break;
		if (last && json_equal(json_array_get(last, 0),
				       json_array_get(objects, 0))) {
			err = ms_error(
				"bucket '%s': '%s' is still listed "
				"after it was deleted",
				bucket,
				json_string_value(json_object_get(
					json_array_get(objects, 0), "Key")));
			goto done;
		}

		ms_buf_reset(&body);
		err = ms_s3_delete_xml(&body, objects);
		if (err)
			goto done;
		err = ms_s3_send(&res, call->aws, region, "DeleteObjects",
				 "POST", bucket, "delete", &body);
		if (err)
			goto done;
		/* 200 even when some keys failed: look for <Error> */
		err = ms_s3_parse(&doc, &res, "DeleteObjects");
		if (err)
			goto done;
		error = ms_xml_find(xmlDocGetRootElement(doc), "Error");
		if (error) {
			key = ms_xml_text(error, "Key");
			code = ms_xml_text(error, "Code");
			msg = ms_xml_text(error, "Message");
			err = ms_error("bucket '%s': cannot delete '%s': "
				       "%s: %s",
				       bucket, key ? key : "?",
				       code ? code : "?", msg ? msg : "");
			goto done;
		}
		xmlFreeDoc(doc);
		doc = NULL;
		deleted += json_array_size(objects);
		ms_call_progress(call,
				 "emptying bucket '%s': %zu object "
				 "versions deleted",
				 bucket, deleted);
		json_decref(last);
		last = objects;
		objects = NULL;
	}
done:
	if (doc)
		xmlFreeDoc(doc);
	ms_buf_release(&body);
	json_decref(objects);
	json_decref(last);
	free(key);
	free(code);
	free(msg);
	ms_aws_response_release(&res);
	return err;
}

double ms_s3_date(const char *text)
{
	const char *comma = text ? strchr(text, ',') : NULL;
	struct tm tm;
	const char *rest;

	memset(&tm, 0, sizeof(tm));
	/* month names in English: mlstack never leaves the C locale */
	if (comma)
		rest = strptime(comma + 1, " %d %b %Y %H:%M:%S", &tm);
	else
		rest = text ? strptime(text, "%Y-%m-%dT%H:%M:%S", &tm) : NULL;
	return rest ? (double)timegm(&tm) : -1;
}

int ms_s3_creation_time(double *out, struct ms_aws *aws, const char *bucket)
{
	struct ms_aws_response res;
	struct ms_buf query = MS_BUF_INIT;
	xmlDoc *doc = NULL;
	xmlNode *n;
	char *found, *date;
	int err;

	*out = -1;
	ms_aws_response_init(&res);
	ms_buf_adds(&query, "prefix=");
	ms_aws_uri_encode(&query, bucket, strlen(bucket), 1);
	err = ms_s3_send(&res, aws, NULL, "ListBuckets", "GET", "", query.ptr,
			 NULL);
	if (!err)
		err = ms_s3_parse(&doc, &res, "ListBuckets");
	for (n = err ? NULL :
		       ms_xml_find(xmlDocGetRootElement(doc), "Buckets/Bucket");
	     n; n = ms_xml_next(n, "Bucket")) {
		found = ms_xml_text(n, "Name");
		date = ms_xml_text(n, "CreationDate");
		if (found && !strcmp(found, bucket))
			*out = ms_s3_date(date);
		free(found);
		free(date);
	}
	if (doc)
		xmlFreeDoc(doc);
	ms_buf_release(&query);
	ms_aws_response_release(&res);
	return err;
}

/* ---- listing -------------------------------------------------------------- */

static char *unquote(char *etag)
{
	size_t n = etag ? strlen(etag) : 0;

	if (n >= 2 && etag[0] == '"' && etag[n - 1] == '"') {
		memmove(etag, etag + 1, n - 2);
		etag[n - 2] = '\0';
	}
	return etag;
}

/* each() for every Contents entry of a page; its first nonzero return. */
static int walk_page(xmlNode *root,
		     int (*each)(const struct ms_s3_listed *o, void *payload),
		     void *payload)
{
	struct ms_s3_listed o;
	xmlNode *n;
	int stop = 0;

	for (n = ms_xml_find(root, "Contents"); n && !stop;
	     n = ms_xml_next(n, "Contents")) {
		char *key = ms_xml_text(n, "Key");
		char *etag = unquote(ms_xml_text(n, "ETag"));
		char *size = ms_xml_text(n, "Size");
		char *cls = ms_xml_text(n, "StorageClass");
		char *modified = ms_xml_text(n, "LastModified");

		if (key) {
			o.key = key;
			o.etag = etag ? etag : "";
			o.size = strtoull(size ? size : "0", NULL, 10);
			o.storage_class = cls ? cls : "STANDARD";
			o.modified = ms_s3_date(modified);
			stop = each(&o, payload);
		}
		free(modified);
		free(key);
		free(etag);
		free(size);
		free(cls);
	}
	return stop;
}

int ms_s3_list_walk(struct ms_aws *aws, const char *bucket,
		    struct ms_s3_walk *w,
		    int (*each)(const struct ms_s3_listed *o, void *payload),
		    void *payload)
{
	struct ms_aws_response res;
	struct ms_buf query = MS_BUF_INIT;
	char *token = NULL, *last = NULL, *truncated;
	xmlDoc *doc = NULL;
	size_t pages = 0;
	int err = 0;

	w->more = false;
	ms_aws_response_init(&res);
	do {
		if (w->max_pages && pages == w->max_pages) {
			w->more = true;
			break;
		}
		ms_buf_reset(&query);
		if (token) {
			ms_buf_adds(&query, "continuation-token=");
			ms_aws_uri_encode(&query, token, strlen(token), 0);
			ms_buf_addch(&query, '&');
		}
		ms_buf_addf(&query, "list-type=2&max-keys=%d&prefix=",
			    ms_kit_page_size(1000));
		ms_aws_uri_encode(&query, w->prefix, strlen(w->prefix), 0);
		if (w->start_after && *w->start_after) {
			ms_buf_adds(&query, "&start-after=");
			ms_aws_uri_encode(&query, w->start_after,
					  strlen(w->start_after), 0);
		}
		free(last);
		last = token;
		token = NULL;
		err = ms_s3_send(&res, aws, NULL, "ListObjectsV2", "GET",
				 bucket, query.ptr, NULL);
		if (err && res.error_code &&
		    !strcmp(res.error_code, "NoSuchBucket"))
			err = MS_ENOTFOUND;
		if (!err)
			err = ms_s3_parse(&doc, &res, "ListObjectsV2");
		if (err)
			break;
		pages++;
		err = walk_page(xmlDocGetRootElement(doc), each, payload);
		truncated =
			ms_xml_text(xmlDocGetRootElement(doc), "IsTruncated");
		if (!err && truncated && !strcmp(truncated, "true"))
			token = ms_xml_text(xmlDocGetRootElement(doc),
					    "NextContinuationToken");
		free(truncated);
		xmlFreeDoc(doc);
		doc = NULL;
		if (token && last && !strcmp(token, last))
			err = ms_error("ListObjectsV2: bucket '%s': the same "
				       "continuation token twice",
				       bucket);
	} while (!err && token);
	free(token);
	free(last);
	ms_buf_release(&query);
	ms_aws_response_release(&res);
	return err;
}

json_t *ms_s3_listed_attrs(const struct ms_s3_listed *o)
{
	return json_pack("{s:s, s:I, s:s, s:f}", "etag", o->etag, "size",
			 (json_int_t)o->size, "storage_class", o->storage_class,
			 "modified", o->modified);
}

struct below {
	json_t *out;
	size_t plen;
	const json_t *include, *exclude;
};

static int add_below(const struct ms_s3_listed *o, void *payload)
{
	struct below *b = payload;
	const char *rest = o->key + b->plen;

	/* the prefix's own key ("dogs/", a folder's marker) is not below it */
	if (strlen(o->key) > b->plen &&
	    ms_files_filter(rest, b->include, b->exclude))
		json_object_set_new(b->out, rest, ms_s3_listed_attrs(o));
	return 0;
}

int ms_s3_list(json_t **out, struct ms_aws *aws, const char *bucket,
	       const char *prefix, const json_t *include, const json_t *exclude)
{
	struct ms_s3_walk w = { prefix, NULL, 0, false };
	struct below b = { json_object(), strlen(prefix), include, exclude };
	int err = ms_s3_list_walk(aws, bucket, &w, add_below, &b);

	*out = NULL;
	if (err)
		json_decref(b.out);
	else
		*out = b.out;
	return err;
}

void ms_s3_storage_cost(struct ms_cost *out, const struct ms_cost_env *env,
			const json_t *attrs, const char *bytes,
			const char *what)
{
	const json_t *v = json_object_get(attrs, "storage_class");
	const char *class = json_is_string(v) ? json_string_value(v) :
						"STANDARD";
	double n = ms_cost_number(out, attrs, bytes, 0);
	char line[160];

	if (n < 0)
		return;
	snprintf(line, sizeof(line), "%s (%s)", what, class);
	ms_cost_add(out, env, "s3.storage", class, line,
		    n / (1024.0 * 1024 * 1024), n / (1024.0 * 1024 * 1024));
}
