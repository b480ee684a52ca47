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
 *
 * Refresh reads many objects at once (object_read_many): a bucket's
 * listing gives each object's ETag, size, storage class and time, and an
 * object listed as the state recorded it (its settings change only by a
 * rewrite, which moves the time) needs only its tags read
 * (docs/refresh.md).
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
	{ "last_modified", MS_ATTR_NUMBER, MS_ATTR_COMPUTED | MS_ATTR_INTERNAL,
	  NULL, NULL,
	  "Last-Modified (seconds) when S3 held what is recorded, for refresh "
	  "by listing" },
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
	json_t *when;
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
	/*
	 * The stored time, which a write records anew: an internal attribute
	 * the plan leaves unknown makes apply compute them all again (and
	 * hash the source again)
	 */
	when = json_object_get(stored, "last_modified");
	json_object_set(desired, "last_modified", when ? when : json_null());
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
	if (err && res.status == 404)
		err = MS_ENOTFOUND;
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

/* The attributes that name the object. */
static void identify(json_t *attrs, const char *bucket, const char *key)
{
	char *uri = ms_asprintf("s3://%s/%s", bucket, key);

	json_object_set_new(attrs, "bucket", json_string(bucket));
	json_object_set_new(attrs, "key", json_string(key));
	json_object_set_new(attrs, "s3_uri", json_string(uri));
	json_object_set_new(attrs, "id", json_string(uri));
	free(uri);
}

/* *out: the live attributes (prior's settings kept), NULL when gone. */
static int head(json_t **out, struct ms_call *call, const json_t *prior,
		const char *bucket, const char *key)
{
	struct ms_aws_response res;
	json_t *live, *tags = NULL;
	char *etag, *size, *modified;
	double when;
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
	identify(live, bucket, key);
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
	json_object_del(live, "last_modified");
	modified = header(&res, "Last-Modified");
	when = ms_s3_date(modified);
	if (when >= 0)
		json_object_set_new(live, "last_modified",
				    json_integer((json_int_t)when));
	free(modified);
	set_header(live, "content_type", &res, "Content-Type");
	set_header(live, "cache_control", &res, "Cache-Control");
	set_header(live, "server_side_encryption", &res,
		   "x-amz-server-side-encryption");
	set_header(live, "version_id", &res, "x-amz-version-id");
	json_object_set_new(live, "storage_class", json_string("STANDARD"));
	set_header(live, "storage_class", &res, "x-amz-storage-class");
	json_object_set_new(live, "metadata", metadata_of(&res));
	json_object_set_new(live, "tags", tags);
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

/* ---- refresh by listing --------------------------------------------------- */

/* An object the listing showed unchanged: its tags are read next. */
struct settle {
	const char *name;    /* the resource's */
	const json_t *prior; /* its stored attributes */
	char *bucket, *key;
	json_t *tags; /* NULL: gone since the listing */
};

struct settling {
	struct ms_call *call;
	struct settle *list;
	size_t n, cap;
	const json_t *keys; /* one bucket's: key -> {name -> prior} */
	const char *bucket, *last;
};

/*
 * Whether the listing shows the object as prior recorded it: the same
 * ETag, size and storage class, and the time S3 held what is recorded
 * (to the second, as S3 gives it). Content type, cache control, metadata
 * and encryption change only by a rewrite, which moves the time.
 */
static bool unchanged(const json_t *prior, const struct ms_s3_listed *o)
{
	json_t *size = json_object_get(prior, "size");
	json_t *when = json_object_get(prior, "last_modified");

	return json_is_number(when) && o->modified >= 0 &&
	       json_number_value(when) == o->modified && json_is_number(size) &&
	       json_number_value(size) == (double)o->size &&
	       !strcmp(ms_kit_str(prior, "etag", ""), o->etag) &&
	       !strcmp(ms_kit_str(prior, "storage_class", ""),
		       o->storage_class);
}

static int take_listed(const struct ms_s3_listed *o, void *payload)
{
	struct settling *s = payload;
	json_t *names = json_object_get(s->keys, o->key), *prior;
	const char *name;

	if (strcmp(o->key, s->last) > 0)
		return 1; /* past every key wanted */
	json_object_foreach(names, name, prior) {
		if (!unchanged(prior, o))
			continue;
		if (s->n == s->cap) {
			s->cap = s->cap ? 2 * s->cap : 16;
			s->list =
				ms_realloc(s->list, s->cap * sizeof(*s->list));
		}
		s->list[s->n++] = (struct settle){ name, prior,
						   ms_strdup(s->bucket),
						   ms_strdup(o->key), NULL };
	}
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/*
 * One walk through the bucket's keys (keys: key -> {name -> prior}): under
 * their longest common prefix, from the first of them to the last, and
 * at most a page for each key, the request its HEAD would have cost (a
 * walk through other keys in between stops there: what it did not reach
 * is read one by one).
 */
static int walk_bucket(struct settling *s, const char *bucket,
		       const json_t *keys)
{
	size_t i, n = json_object_size(keys), common, first;
	const char **sorted = ms_calloc(n ? n : 1, sizeof(*sorted));
	struct ms_s3_walk w = { NULL, NULL, n, false };
	char *prefix, *after;
	const char *key;
	json_t *v;
	int err;

	i = 0;
	json_object_foreach((json_t *)keys, key, v)
		sorted[i++] = key;
	qsort(sorted, n, sizeof(*sorted), cmp_str);
	for (common = 0;
	     sorted[0][common] && sorted[0][common] == sorted[n - 1][common];
	     common++)
		;
	prefix = ms_strndup(sorted[0], common);
	/* the first key is the first one after this */
	first = strlen(sorted[0]);
	after = ms_strndup(sorted[0], first ? first - 1 : 0);
	w.prefix = prefix;
	w.start_after = after;
	s->keys = keys;
	s->bucket = bucket;
	s->last = sorted[n - 1];
	err = ms_s3_list_walk(s->call->aws, bucket, &w, take_listed, s);
	if (err > 0)
		err = 0;
	/* no bucket, no object: each read says so */
	if (err == MS_ENOTFOUND) {
		ms_error_clear();
		err = 0;
	}
	free(prefix);
	free(after);
	free(sorted);
	return err;
}

static int read_tags(size_t i, void *payload)
{
	struct settling *s = payload;
	struct settle *o = &s->list[i];
	int err = get_tags(&o->tags, s->call, o->bucket, o->key);

	/* deleted since the listing: its read says so */
	if (err == MS_ENOTFOUND) {
		ms_error_clear();
		err = 0;
	}
	return err;
}

/*
 * Settled by a listing: the stored attributes with the tags S3 holds
 * (GetObjectTagging; no list gives them), which is what a HEAD would
 * add to them; objects listed otherwise, or not listed, are left out.
 */
static int object_read_many(struct ms_call *call, const json_t *priors,
			    json_t **out)
{
	struct settling s;
	json_t *buckets = json_object(), *keys, *prior, *live;
	const char *name, *bucket;
	char *b, *k;
	size_t i;
	int err = 0;

	*out = NULL;
	memset(&s, 0, sizeof(s));
	s.call = call;
	/* recorded without its time (by an older mlstack): read it */
	json_object_foreach((json_t *)priors, name, prior) {
		if (!json_is_number(json_object_get(prior, "last_modified")) ||
		    where(prior, &b, &k)) {
			ms_error_clear();
			continue;
		}
		keys = json_object_get(buckets, b);
		if (!keys) {
			keys = json_object();
			json_object_set_new(buckets, b, keys);
		}
		if (!json_object_get(keys, k))
			json_object_set_new(keys, k, json_object());
		json_object_set(json_object_get(keys, k), name, prior);
		free(b);
		free(k);
	}
	json_object_foreach(buckets, bucket, keys) {
		err = walk_bucket(&s, bucket, keys);
		if (err)
			goto done;
	}
	err = ms_kit_parallel(s.n, call->parallelism, read_tags, &s);
	if (err)
		goto done;
	*out = json_object();
	for (i = 0; i < s.n; i++) {
		if (!s.list[i].tags)
			continue;
		live = json_deep_copy(s.list[i].prior);
		identify(live, s.list[i].bucket, s.list[i].key);
		json_object_set(live, "tags", s.list[i].tags);
		json_object_set_new(*out, s.list[i].name, live);
	}
done:
	for (i = 0; i < s.n; i++) {
		free(s.list[i].bucket);
		free(s.list[i].key);
		json_decref(s.list[i].tags);
	}
	free(s.list);
	json_decref(buckets);
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

/*
 * The attributes after a write: desired's, and what S3 says. Its time is
 * recorded only when S3 holds every setting as recorded, since refresh
 * by listing takes them as they are while the time stays.
 */
static int written(json_t **out, struct ms_call *call, const json_t *desired,
		   const char *bucket, const char *key)
{
	static const char *const unset[] = { "cache_control",
					     "server_side_encryption" };
	static const char *const held[] = {
		"etag",          "size",          "content_type",
		"metadata",      "cache_control", "server_side_encryption",
		"storage_class",
	};
	json_t *live = NULL, *a, *b;
	bool same = true;
	size_t i;
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
	/* what the stack leaves unset is S3's to choose (SSE-S3 by default) */
	for (i = 0; i < MS_ARRAY_SIZE(unset); i++)
		if (!json_object_get(*out, unset[i]) &&
		    json_object_get(live, unset[i]))
			json_object_set(*out, unset[i],
					json_object_get(live, unset[i]));
	for (i = 0; i < MS_ARRAY_SIZE(held); i++) {
		a = json_object_get(*out, held[i]);
		b = json_object_get(live, held[i]);
		if (a != b && !json_equal(a, b))
			same = false;
	}
	json_object_del(*out, "last_modified");
	if (same && json_object_get(live, "last_modified"))
		json_object_set(*out, "last_modified",
				json_object_get(live, "last_modified"));
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
	.read_many = object_read_many,
	.create = object_create,
	.update = object_update,
	.delete = object_delete,
	.normalize = object_normalize,
	.local = object_local,
	.cost = object_cost,
};
