/*
 * object.c - aws_s3_object: one S3 object, from a local file or inline
 * content, with its content type, cache control, metadata, encryption,
 * storage class and tags.
 *
 * Its content is compared by ETag: the plan computes what S3 will answer
 * for the file (an MD5, or the multipart ETag above 8 MiB) and refresh
 * reads S3's with one HEAD. The object is named "s3://<bucket>/<key>"; a
 * key already holding an object is taken over only when that object
 * carries this stack's owner mark in its tags.
 */
#include "util/common.h"
#include "providers/files.h"
#include "providers/provider.h"
#include "providers/aws/aws.h"
#include "providers/aws/sigv4.h"
#include "providers/s3/s3.h"
#include "providers/kit.h"

#include <ctype.h>
#include <errno.h>
#include <openssl/evp.h>
#include <strings.h>
#include <sys/stat.h>

#define PART_SIZE ((uint64_t)8 << 20)

static const struct ms_attr schema[] = {
	{ "bucket", MS_ATTR_STRING, MS_ATTR_REQUIRED | MS_ATTR_FORCE_NEW, NULL,
	  NULL, "the bucket" },
	{ "key", MS_ATTR_STRING, MS_ATTR_REQUIRED | MS_ATTR_FORCE_NEW, NULL,
	  NULL, "the object's key" },
	{ "source", MS_ATTR_STRING, MS_ATTR_INPUT, NULL, NULL,
	  "a local file, relative to the stack file (or content)" },
	{ "content", MS_ATTR_STRING, MS_ATTR_INPUT, NULL, NULL,
	  "the object's content, inline (or source)" },
	{ "content_type", MS_ATTR_STRING, MS_ATTR_OPTIONAL_COMPUTED, NULL, NULL,
	  "its Content-Type (guessed from the key's extension)" },
	{ "cache_control", MS_ATTR_STRING, 0, NULL, NULL, "its Cache-Control" },
	{ "metadata", MS_ATTR_MAP, 0, "{}", NULL,
	  "user metadata (x-amz-meta-*; names in lower case)" },
	{ "server_side_encryption", MS_ATTR_STRING, 0, NULL, NULL,
	  "\"AES256\" (SSE-S3)" },
	{ "storage_class", MS_ATTR_STRING, 0, "\"STANDARD\"", NULL,
	  "its storage class" },
	{ "tags", MS_ATTR_MAP, MS_ATTR_TAGS, "{}", NULL,
	  "tags (with the stack's default tags and its owner mark)" },
	{ "etag", MS_ATTR_STRING, MS_ATTR_COMPUTED | MS_ATTR_LOCAL, NULL, NULL,
	  "the ETag of the content (known in the plan)" },
	{ "size", MS_ATTR_NUMBER, MS_ATTR_COMPUTED | MS_ATTR_LOCAL, NULL, NULL,
	  "its size in bytes" },
	{ "s3_uri", MS_ATTR_STRING, MS_ATTR_COMPUTED | MS_ATTR_LOCAL, NULL,
	  NULL, "s3://<bucket>/<key>" },
	{ "version_id", MS_ATTR_STRING, MS_ATTR_COMPUTED, NULL, NULL,
	  "the version S3 gave it (versioned buckets)" },
	{ "id", MS_ATTR_STRING, MS_ATTR_COMPUTED, NULL, NULL, "the s3_uri" },
	{ "cache", MS_ATTR_STRING, MS_ATTR_COMPUTED | MS_ATTR_INTERNAL, NULL,
	  NULL, "\"<bytes> <mtime ns> <etag>\" of the source" },
	{ NULL, 0, 0, NULL, NULL, NULL },
};

/* Bucket and key of attrs, or parsed from an id "s3://b/k". */
static int where(const json_t *attrs, char **bucket, char **key)
{
	const char *b = ms_kit_str(attrs, "bucket", NULL);
	const char *k = ms_kit_str(attrs, "key", NULL);
	const char *id = ms_kit_str(attrs, "id", NULL), *slash;

	if (b && k) {
		*bucket = ms_strdup(b);
		*key = ms_strdup(k);
		return 0;
	}
	slash = id && !strncmp(id, "s3://", 5) ? strchr(id + 5, '/') : NULL;
	if (!slash || slash == id + 5 || !slash[1])
		return ms_error("'%s' is not an S3 object (s3://BUCKET/KEY)",
				id ? id : "");
	*bucket = ms_strndup(id + 5, (size_t)(slash - id - 5));
	*key = ms_strdup(slash + 1);
	return 0;
}

/* The source file as ms_s3_file (its ETag not filled). */
static int source_file(struct ms_file *f, const char *path)
{
	struct stat st;

	memset(f, 0, sizeof(*f));
	if (stat(path, &st))
		return ms_error("source '%s': %s", path, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return ms_error("source '%s': not a file", path);
	f->key = (char *)"";
	f->path = (char *)path;
	f->size = (uint64_t)st.st_size;
	f->mtime_ns =
		(int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
	return 0;
}

static int object_local(const char *dir, json_t *desired, const json_t *stored)
{
	const char *content = ms_kit_str(desired, "content", NULL);
	const char *sse = ms_kit_str(desired, "server_side_encryption", NULL);
	const char *have = ms_kit_str(stored, "cache", NULL);
	char *path = ms_files_path(dir, desired, "source", NULL), *uri, *cache;
	unsigned char md[EVP_MAX_MD_SIZE];
	char etag[MS_S3_ETAG_LEN];
	struct ms_file f;
	size_t len;
	int err = 0;

	if (!path == !content) {
		free(path);
		return ms_error("give one of source (a file) and content");
	}
	if (sse && strcmp(sse, "AES256")) {
		free(path);
		return ms_error("server_side_encryption: only \"AES256\": with "
				"KMS, S3's ETag is not the content's MD5 and "
				"a plan could not compare content");
	}
	if (ms_kit_str(desired, "bucket", NULL) &&
	    ms_kit_str(desired, "key", NULL)) {
		uri = ms_asprintf("s3://%s/%s",
				  ms_kit_str(desired, "bucket", ""),
				  ms_kit_str(desired, "key", ""));
		json_object_set_new(desired, "s3_uri", json_string(uri));
		free(uri);
	}
	if (content) {
		unsigned int n = 0;

		len = strlen(content);
		if (!EVP_Digest(content, len, md, &n, EVP_md5(), NULL) ||
		    n != 16)
			return ms_error("etag: MD5 is not available");
		ms_sigv4_hex(etag, md, 16);
		json_object_set_new(desired, "etag", json_string(etag));
		json_object_set_new(desired, "size",
				    json_integer((json_int_t)len));
		return 0;
	}
	err = source_file(&f, path);
	if (!err) {
		cache = ms_asprintf("%llu %lld ", (unsigned long long)f.size,
				    (long long)f.mtime_ns);
		len = strlen(cache);
		if (have && !strncmp(have, cache, len) &&
		    strlen(have + len) < MS_S3_ETAG_LEN && have[len])
			memcpy(etag, have + len, strlen(have + len) + 1);
		else
			err = ms_s3_hash_file(etag, &f, PART_SIZE);
		free(cache);
	}
	if (!err) {
		cache = ms_asprintf("%llu %lld %s", (unsigned long long)f.size,
				    (long long)f.mtime_ns, etag);
		json_object_set_new(desired, "cache", json_string(cache));
		free(cache);
		json_object_set_new(desired, "etag", json_string(etag));
		json_object_set_new(desired, "size",
				    json_integer((json_int_t)f.size));
	}
	free(path);
	return err;
}

/* ---- S3 ------------------------------------------------------------------- */

static char *header(const struct ms_aws_response *res, const char *name)
{
	char *v = NULL;

	ms_aws_response_header(res, name, &v);
	return v;
}

static void set_header(json_t *attrs, const char *attr,
		       const struct ms_aws_response *res, const char *name)
{
	char *v = header(res, name);

	if (v)
		json_object_set_new(attrs, attr, json_string(v));
	free(v);
}

/* x-amz-meta-* headers of an answer, as a map. */
static json_t *metadata_of(const struct ms_aws_response *res)
{
	json_t *m = json_object();
	const char *line = res->headers.ptr, *end, *colon;
	static const char pre[] = "x-amz-meta-";

	while (line && *line) {
		end = strstr(line, "\r\n");
		if (!end)
			end = line + strlen(line);
		colon = memchr(line, ':', (size_t)(end - line));
		if (colon && !strncasecmp(line, pre, sizeof(pre) - 1)) {
			char *name = ms_strndup(line + sizeof(pre) - 1,
						(size_t)(colon - line) -
							(sizeof(pre) - 1));
			const char *v = colon + 1;
			char *p;

			while (*v == ' ')
				v++;
			for (p = name; *p; p++)
				*p = (char)tolower((unsigned char)*p);
			json_object_set_new(m, name,
					    json_stringn(v, (size_t)(end - v)));
			free(name);
		}
		line = *end ? end + 2 : end;
	}
	return m;
}

static int get_tags(json_t **out, struct ms_call *call, const char *bucket,
		    const char *key)
{
	struct ms_aws_response res;
	xmlDoc *doc = NULL;
	int err;

	*out = NULL;
	ms_aws_response_init(&res);
	err = ms_s3_object_send(&res, call->aws, "GetObjectTagging", "GET",
				bucket, key, "tagging", NULL, NULL, 0);
	if (!err)
		err = ms_s3_parse(&doc, &res, "GetObjectTagging");
	if (!err)
		err = ms_s3_tagging_parse(out, doc);
	if (doc)
		xmlFreeDoc(doc);
	ms_aws_response_release(&res);
	return err;
}

static int put_tags(struct ms_call *call, const char *bucket, const char *key,
		    const json_t *tags)
{
	struct ms_aws_response res;
	struct ms_buf body = MS_BUF_INIT;
	const char *headers[3] = { "Content-Type: application/xml", NULL,
				   NULL };
	char md5[MS_S3_MD5_LEN], *h = NULL;
	int err;

	ms_aws_response_init(&res);
	err = ms_s3_tagging_xml(&body, tags);
	if (!err)
		err = ms_s3_content_md5(md5, body.ptr, body.len);
	if (!err) {
		h = ms_asprintf("Content-MD5: %s", md5);
		headers[1] = h;
		err = ms_s3_object_send(&res, call->aws, "PutObjectTagging",
					"PUT", bucket, key, "tagging", headers,
					body.ptr, body.len);
	}
	free(h);
	ms_buf_release(&body);
	ms_aws_response_release(&res);
	return err;
}

/* *out: the live attributes (prior's settings kept), NULL when gone. */
static int head(json_t **out, struct ms_call *call, const json_t *prior,
		const char *bucket, const char *key)
{
	struct ms_aws_response res;
	json_t *live, *tags = NULL;
	char *etag, *size, *uri;
	int err;

	*out = NULL;
	ms_aws_response_init(&res);
	err = ms_s3_object_send(&res, call->aws, "HeadObject", "HEAD", bucket,
				key, NULL, NULL, NULL, 0);
	if (err && res.status == 404) {
		ms_aws_response_release(&res);
		return 0;
	}
	if (!err)
		err = get_tags(&tags, call, bucket, key);
	if (err) {
		ms_aws_response_release(&res);
		return err;
	}
	live = json_deep_copy(prior);
	json_object_set_new(live, "bucket", json_string(bucket));
	json_object_set_new(live, "key", json_string(key));
	etag = header(&res, "ETag");
	size = header(&res, "Content-Length");
	if (etag && etag[0] == '"' && strlen(etag) >= 2) {
		memmove(etag, etag + 1, strlen(etag) - 2);
		etag[strlen(etag) - 2] = '\0';
	}
	json_object_set_new(live, "etag", json_string(etag ? etag : ""));
	json_object_set_new(live, "size",
			    json_integer(size ? strtoll(size, NULL, 10) : 0));
	free(etag);
	free(size);
	json_object_del(live, "content_type");
	json_object_del(live, "cache_control");
	json_object_del(live, "server_side_encryption");
	json_object_del(live, "version_id");
	set_header(live, "content_type", &res, "Content-Type");
	set_header(live, "cache_control", &res, "Cache-Control");
	set_header(live, "server_side_encryption", &res,
		   "x-amz-server-side-encryption");
	set_header(live, "version_id", &res, "x-amz-version-id");
	json_object_set_new(live, "storage_class", json_string("STANDARD"));
	set_header(live, "storage_class", &res, "x-amz-storage-class");
	json_object_set_new(live, "metadata", metadata_of(&res));
	json_object_set_new(live, "tags", tags);
	uri = ms_asprintf("s3://%s/%s", bucket, key);
	json_object_set_new(live, "s3_uri", json_string(uri));
	json_object_set_new(live, "id", json_string(uri));
	free(uri);
	ms_aws_response_release(&res);
	*out = live;
	return 0;
}

static int object_read(struct ms_call *call, const json_t *prior, json_t **out)
{
	char *bucket = NULL, *key = NULL;
	int err = where(prior, &bucket, &key);

	*out = NULL;
	if (!err)
		err = head(out, call, prior, bucket, key);
	free(bucket);
	free(key);
	return err;
}

/* Write desired's content and settings to the object. */
static int put(struct ms_call *call, const json_t *desired, const char *bucket,
	       const char *key)
{
	const char *content = ms_kit_str(desired, "content", NULL);
	struct ms_s3_put o;
	struct ms_s3_upload up;
	struct ms_file f;
	char *path;
	int err;

	memset(&o, 0, sizeof(o));
	o.storage_class = ms_kit_str(desired, "storage_class", NULL);
	o.sse = ms_kit_str(desired, "server_side_encryption", NULL);
	o.cache_control = ms_kit_str(desired, "cache_control", NULL);
	o.content_type = ms_kit_str(desired, "content_type", NULL);
	o.metadata = json_object_get(desired, "metadata");
	o.tags = json_object_get(desired, "tags");
	o.part_size = PART_SIZE;
	o.parallelism = call->parallelism;
	if (content)
		return ms_s3_put_bytes(call, bucket, key, content,
				       strlen(content), &o);
	path = ms_files_path(call->dir, desired, "source", NULL);
	err = source_file(&f, path);
	if (!err) {
		memset(&up, 0, sizeof(up));
		up.file = &f;
		up.key = key;
		up.etag = ms_kit_str(desired, "etag", "");
		f.key = (char *)key;
		err = ms_s3_upload(call, bucket, &up, 1, &o);
	}
	free(path);
	return err;
}

/* The attributes after a write: desired's, and what S3 says. */
static int written(json_t **out, struct ms_call *call, const json_t *desired,
		   const char *bucket, const char *key)
{
	json_t *live = NULL;
	int err = head(&live, call, desired, bucket, key);

	if (!err && !live)
		err = ms_error("s3://%s/%s: not found after it was written",
			       bucket, key);
	if (err)
		return err;
	*out = json_deep_copy(desired);
	json_object_set(*out, "id", json_object_get(live, "id"));
	json_object_set(*out, "version_id",
			json_object_get(live, "version_id"));
	json_object_set(*out, "content_type",
			json_object_get(live, "content_type"));
	json_decref(live);
	return 0;
}

static int object_create(struct ms_call *call, const json_t *desired,
			 json_t **out)
{
	char *bucket = NULL, *key = NULL, *uri, *what;
	json_t *live = NULL;
	int err = where(desired, &bucket, &key);

	*out = NULL;
	if (!err)
		err = head(&live, call, desired, bucket, key);
	if (!err && live &&
	    !ms_call_owns(call, json_object_get(live, "tags"))) {
		uri = ms_asprintf("s3://%s/%s", bucket, key);
		what = ms_asprintf("S3 object '%s'", uri);
		err = ms_call_taken(call, what, uri);
		free(what);
		free(uri);
	}
	json_decref(live);
	if (!err)
		err = put(call, desired, bucket, key);
	if (!err)
		err = written(out, call, desired, bucket, key);
	free(bucket);
	free(key);
	return err;
}

static int object_update(struct ms_call *call, const json_t *prior,
			 const json_t *desired, json_t **out)
{
	static const char *const content[] = {
		"etag",     "content_type",           "cache_control",
		"metadata", "server_side_encryption", "storage_class",
	};
	char *bucket = NULL, *key = NULL;
	bool rewrite = false;
	size_t i;
	int err = where(desired, &bucket, &key);

	*out = NULL;
	for (i = 0; i < MS_ARRAY_SIZE(content); i++) {
		json_t *want = json_object_get(desired, content[i]);

		if (want &&
		    !json_equal(want, json_object_get(prior, content[i])))
			rewrite = true;
	}
	if (!err && rewrite)
		err = put(call, desired, bucket, key);
	else if (!err && !json_equal(json_object_get(prior, "tags"),
				     json_object_get(desired, "tags")))
		err = put_tags(call, bucket, key,
			       json_object_get(desired, "tags"));
	if (!err)
		err = written(out, call, desired, bucket, key);
	free(bucket);
	free(key);
	return err;
}

static int object_delete(struct ms_call *call, const json_t *prior)
{
	struct ms_aws_response res;
	char *bucket = NULL, *key = NULL;
	int err = where(prior, &bucket, &key);

	ms_aws_response_init(&res);
	if (!err)
		err = ms_s3_object_send(&res, call->aws, "DeleteObject",
					"DELETE", bucket, key, NULL, NULL, NULL,
					0);
	if (err &&
	    (res.status == 404 ||
	     (res.error_code && !strcmp(res.error_code, "NoSuchBucket"))))
		err = 0;
	ms_aws_response_release(&res);
	free(bucket);
	free(key);
	return err;
}

/* Metadata names as S3 gives them back: in lower case. */
static int object_normalize(json_t *attrs)
{
	json_t *m = json_object_get(attrs, "metadata"), *lower, *v;
	const char *name;
	char *low, *p;

	if (!json_is_object(m))
		return 0;
	lower = json_object();
	json_object_foreach(m, name, v) {
		low = ms_strdup(name);
		for (p = low; *p; p++)
			*p = (char)tolower((unsigned char)*p);
		json_object_set(lower, low, v);
		free(low);
	}
	json_object_set_new(attrs, "metadata", lower);
	return 0;
}

/* What the uploaded data takes, by the GB-month; requests are not priced. */
static int object_cost(struct ms_cost *out, const json_t *attrs,
		       const struct ms_cost_env *env)
{
	ms_s3_storage_cost(out, env, attrs, "size", "S3 storage of the object");
	return 0;
}

const struct ms_resource_type ms_aws_s3_object = {
	.name = "aws_s3_object",
	.data_note = "the object's data is deleted",
	.schema = schema,
	.id_attr = "s3_uri",
	.read = object_read,
	.create = object_create,
	.update = object_update,
	.delete = object_delete,
	.normalize = object_normalize,
	.local = object_local,
	.cost = object_cost,
};
