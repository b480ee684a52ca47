/*
 * transfer.c - objects moving between a folder and S3: uploading files
 * in parallel (one PUT each, or a multipart upload with parts in
 * parallel), deleting in batches, aborting uploads left open. Listing a
 * prefix is in s3.c, with the service's other shared calls.
 *
 * An upload is a list of units (a small file, or one part of a large
 * one) that worker threads take in order. Every body is read, hashed and
 * sent with its Content-MD5, so S3 refuses a body that changed on the
 * way; and a file must still hash to the ETag the plan saw, so a file
 * changed since the plan (or while it is read) fails instead of storing
 * what nobody reviewed. A multipart upload is completed only when its
 * parts add up to that ETag; otherwise it is aborted.
 */
#include "util/common.h"
#include "providers/provider.h"
#include "providers/aws/aws.h"
#include "providers/aws/sigv4.h"
#include "providers/s3/s3.h"
#include "util/json.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define PROGRESS_EVERY 2.0 /* seconds between progress lines */

void ms_s3_object_path(struct ms_buf *out, const char *bucket, const char *key)
{
	ms_buf_addch(out, '/');
	ms_aws_uri_encode(out, bucket, strlen(bucket), 0);
	ms_buf_addch(out, '/');
	ms_aws_uri_encode(out, key, strlen(key), 1);
}

int ms_s3_object_send(struct ms_aws_response *res, struct ms_aws *aws,
		      const char *operation, const char *method,
		      const char *bucket, const char *key, const char *query,
		      const char *const *headers, const void *body,
		      size_t body_len)
{
	struct ms_buf path = MS_BUF_INIT;
	struct ms_aws_request req;
	int err;

	ms_aws_response_release(res);
	ms_aws_response_init(res);
	ms_s3_object_path(&path, bucket, key);
	memset(&req, 0, sizeof(req));
	req.service = "s3";
	req.operation = operation;
	req.method = method;
	req.path = path.ptr;
	req.query = query;
	req.headers = headers;
	req.body = body;
	req.body_len = body_len;
	err = ms_aws_send(aws, &req, res);
	ms_buf_release(&path);
	return err;
}

/* ---- content types -------------------------------------------------------- */

const char *ms_s3_content_type(const char *key, const json_t *types)
{
	static const char *const known[][2] = {
		{ "jpg", "image/jpeg" },
		{ "jpeg", "image/jpeg" },
		{ "png", "image/png" },
		{ "gif", "image/gif" },
		{ "bmp", "image/bmp" },
		{ "tif", "image/tiff" },
		{ "tiff", "image/tiff" },
		{ "webp", "image/webp" },
		{ "svg", "image/svg+xml" },
		{ "txt", "text/plain" },
		{ "csv", "text/csv" },
		{ "tsv", "text/tab-separated-values" },
		{ "html", "text/html" },
		{ "md", "text/markdown" },
		{ "json", "application/json" },
		{ "jsonl", "application/jsonl" },
		{ "yaml", "application/yaml" },
		{ "yml", "application/yaml" },
		{ "xml", "application/xml" },
		{ "py", "text/x-python" },
		{ "zip", "application/zip" },
		{ "gz", "application/gzip" },
		{ "tar", "application/x-tar" },
		{ "pdf", "application/pdf" },
		{ "parquet", "application/vnd.apache.parquet" },
		{ "wav", "audio/wav" },
		{ "mp3", "audio/mpeg" },
		{ "mp4", "video/mp4" },
	};
	const char *dot = strrchr(key, '.'), *slash = strrchr(key, '/');
	json_t *t;
	size_t i;

	if (!dot || (slash && dot < slash))
		return NULL;
	t = json_object_get(types, dot + 1);
	if (!t)
		t = json_object_get(types, dot);
	if (json_is_string(t))
		return json_string_value(t);
	for (i = 0; i < MS_ARRAY_SIZE(known); i++)
		if (!strcasecmp(dot + 1, known[i][0]))
			return known[i][1];
	return NULL;
}

void ms_s3_put_headers(struct ms_buf *store, const char ***list,
		       const struct ms_s3_put *o, const char *key,
		       const char *md5)
{
	const char *type = o->content_type ?
				   o->content_type :
				   ms_s3_content_type(key, o->content_types);
	const char *name;
	json_t *v;
	size_t n = 0, i, at[32];

	ms_buf_reset(store);
#define HEADER(...)                                      \
	do {                                             \
		if (n < MS_ARRAY_SIZE(at)) {             \
			at[n++] = store->len;            \
			ms_buf_addf(store, __VA_ARGS__); \
			ms_buf_addch(store, '\0');       \
		}                                        \
	} while (0)
	/*
	 * A body with its MD5, over TLS, is sent unsigned, as the SDKs send
	 * streamed uploads: no SHA-256 pass over every byte
	 */
	if (md5) {
		HEADER("Content-MD5: %s", md5);
		HEADER("x-amz-content-sha256: UNSIGNED-PAYLOAD");
	}
	if (type)
		HEADER("Content-Type: %s", type);
	if (o->storage_class)
		HEADER("x-amz-storage-class: %s", o->storage_class);
	if (o->sse)
		HEADER("x-amz-server-side-encryption: %s", o->sse);
	if (o->cache_control)
		HEADER("Cache-Control: %s", o->cache_control);
	json_object_foreach((json_t *)o->metadata, name, v)
		if (json_is_string(v))
			HEADER("x-amz-meta-%s: %s", name, json_string_value(v));
	if (json_object_size(o->tags)) {
		struct ms_buf t = MS_BUF_INIT;
		json_t *keys = json_array(), *k;

		json_object_foreach((json_t *)o->tags, name, v)
			json_array_append_new(keys, json_string(name));
		keys = ms_json_sorted_set(keys);
		json_array_foreach(keys, i, k) {
			const char *tk = json_string_value(k);
			const char *tv =
				json_string_value(json_object_get(o->tags, tk));

			if (t.len)
				ms_buf_addch(&t, '&');
			ms_aws_uri_encode(&t, tk, strlen(tk), 0);
			ms_buf_addch(&t, '=');
			ms_aws_uri_encode(&t, tv ? tv : "", tv ? strlen(tv) : 0,
					  0);
		}
		HEADER("x-amz-tagging: %s", t.ptr);
		ms_buf_release(&t);
		json_decref(keys);
	}
#undef HEADER
	*list = ms_calloc(n + 1, sizeof(**list));
	for (i = 0; i < n; i++)
		(*list)[i] = store->ptr + at[i];
}

int ms_s3_put_bytes(struct ms_call *call, const char *bucket, const char *key,
		    const void *data, size_t len, const struct ms_s3_put *o)
{
	struct ms_aws_response res;
	struct ms_buf store = MS_BUF_INIT;
	const char **headers = NULL;
	char b64[MS_S3_MD5_LEN];
	int err;

	err = ms_s3_content_md5(b64, data, len);
	if (err)
		return err;
	ms_aws_response_init(&res);
	ms_s3_put_headers(&store, &headers, o, key, b64);
	err = ms_s3_object_send(&res, call->aws, "PutObject", "PUT", bucket,
				key, NULL, headers, data, len);
	free(headers);
	ms_buf_release(&store);
	ms_aws_response_release(&res);
	return err;
}

/* ---- uploads -------------------------------------------------------------- */

/* A large file's multipart upload, shared by the workers of its parts. */
struct multi {
	pthread_mutex_t lock;
	char *upload_id;
	unsigned char *md5s; /* 16 bytes a part */
	char **etags;        /* what S3 answered for each part */
	size_t parts, left;
	bool failed, completed;
};

struct unit {
	size_t file; /* index into the uploads */
	size_t part; /* 0: the whole file in one PUT; else 1.. */
};

struct transfer {
	struct ms_call *call;
	const char *bucket;
	const struct ms_s3_put *o;
	struct ms_s3_upload *files;
	struct multi *multi; /* one per file (parts 0: unused) */
	struct unit *units;
	size_t n_units, next;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int running;
	bool stop;
	char *error; /* the first one */
	int code;
	uint64_t bytes_total, bytes_done;
	size_t files_done;
};

static void fail(struct transfer *t, int code)
{
	pthread_mutex_lock(&t->lock);
	if (!t->error) {
		t->error = ms_strdup(ms_error_last());
		t->code = code;
	}
	t->stop = true;
	pthread_mutex_unlock(&t->lock);
}

static void progressed(struct transfer *t, uint64_t bytes, bool file_done)
{
	pthread_mutex_lock(&t->lock);
	t->bytes_done += bytes;
	if (file_done)
		t->files_done++;
	pthread_mutex_unlock(&t->lock);
}

/*
 * Read len bytes at off of f into buf, checking that the file is still
 * the one the plan saw (size, modification time) before and after.
 */
static int read_span(const struct ms_file *f, uint64_t off, void *buf,
		     size_t len)
{
	struct stat before, after;
	size_t got = 0;
	ssize_t r;
	int fd = open(f->path, O_RDONLY | O_CLOEXEC), err = 0;

	if (fd < 0 || fstat(fd, &before)) {
		err = ms_error("cannot read '%s': %s", f->path,
			       strerror(errno));
		goto done;
	}
	if ((uint64_t)before.st_size != f->size ||
	    (int64_t)before.st_mtim.tv_sec * 1000000000 +
			    before.st_mtim.tv_nsec !=
		    f->mtime_ns) {
		err = ms_error("'%s' changed since the plan; plan again",
			       f->path);
		goto done;
	}
	while (got < len) {
		r = pread(fd, (char *)buf + got, len - got, (off_t)(off + got));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			err = ms_error("cannot read '%s': %s", f->path,
				       r < 0 ? strerror(errno) :
					       "it got shorter");
			goto done;
		}
		got += (size_t)r;
	}
	if (fstat(fd, &after) || after.st_size != before.st_size ||
	    after.st_mtim.tv_sec != before.st_mtim.tv_sec ||
	    after.st_mtim.tv_nsec != before.st_mtim.tv_nsec)
		err = ms_error("'%s' changed while it was uploaded", f->path);
done:
	if (fd >= 0)
		close(fd);
	return err;
}

/*
 * The MD5 of part of f, read into data: the one the plan's hash computed
 * when this run made it (S3 then checks the bytes against it), else
 * computed now.
 */
static int md5_of(unsigned char *md, char *b64, const struct ms_file *f,
		  uint64_t part_size, size_t part, const void *data, size_t len)
{
	unsigned int n = 0;

	if (!ms_s3_memo_md5(md, f, part_size, part) &&
	    (!EVP_Digest(data, len, md, &n, EVP_md5(), NULL) || n != 16))
		return ms_error("MD5 is not available");
	EVP_EncodeBlock((unsigned char *)b64, md, 16);
	return 0;
}

/* A small file: one PUT. */
static int put_whole(struct transfer *t, struct ms_s3_upload *u, void *buf)
{
	struct ms_aws_response res;
	struct ms_buf store = MS_BUF_INIT;
	const char **headers = NULL;
	unsigned char md[16];
	char b64[MS_S3_MD5_LEN], hex[33];
	int err;

	err = read_span(u->file, 0, buf, (size_t)u->file->size);
	if (!err)
		err = md5_of(md, b64, u->file, t->o->part_size, 0, buf,
			     (size_t)u->file->size);
	if (err)
		return err;
	ms_sigv4_hex(hex, md, 16);
	if (strcmp(hex, u->etag))
		return ms_error("'%s' changed since the plan; plan again",
				u->file->path);
	ms_aws_response_init(&res);
	ms_s3_put_headers(&store, &headers, t->o, u->key, b64);
	err = ms_s3_object_send(&res, t->call->aws, "PutObject", "PUT",
				t->bucket, u->key, NULL, headers, buf,
				(size_t)u->file->size);
	free(headers);
	ms_buf_release(&store);
	ms_aws_response_release(&res);
	if (err)
		return ms_error("uploading '%s': %s", u->key, ms_error_last());
	return 0;
}

static int create_multipart(struct transfer *t, struct ms_s3_upload *u,
			    char **upload_id)
{
	struct ms_aws_response res;
	struct ms_buf store = MS_BUF_INIT;
	const char **headers = NULL;
	xmlDoc *doc = NULL;
	int err;

	ms_aws_response_init(&res);
	ms_s3_put_headers(&store, &headers, t->o, u->key, NULL);
	err = ms_s3_object_send(&res, t->call->aws, "CreateMultipartUpload",
				"POST", t->bucket, u->key, "uploads", headers,
				NULL, 0);
	if (!err)
		err = ms_s3_parse(&doc, &res, "CreateMultipartUpload");
	if (!err) {
		*upload_id = ms_xml_text(xmlDocGetRootElement(doc), "UploadId");
		if (!*upload_id)
			err = ms_error("CreateMultipartUpload: no UploadId "
				       "in the answer");
	}
	if (doc)
		xmlFreeDoc(doc);
	free(headers);
	ms_buf_release(&store);
	ms_aws_response_release(&res);
	return err;
}

static int abort_multipart(struct ms_aws *aws, const char *bucket,
			   const char *key, const char *upload_id)
{
	struct ms_aws_response res;
	struct ms_buf query = MS_BUF_INIT;
	int err;

	ms_aws_response_init(&res);
	ms_buf_adds(&query, "uploadId=");
	ms_aws_uri_encode(&query, upload_id, strlen(upload_id), 0);
	err = ms_s3_object_send(&res, aws, "AbortMultipartUpload", "DELETE",
				bucket, key, query.ptr, NULL, NULL, 0);
	if (err && res.error_code && !strcmp(res.error_code, "NoSuchUpload"))
		err = 0;
	ms_buf_release(&query);
	ms_aws_response_release(&res);
	return err;
}

/* All parts are in: check the whole against the plan, then complete. */
static int complete_multipart(struct transfer *t, struct ms_s3_upload *u,
			      struct multi *m)
{
	struct ms_aws_response res;
	struct ms_buf body = MS_BUF_INIT, query = MS_BUF_INIT;
	char etag[MS_S3_ETAG_LEN], num[24];
	xmlDoc *doc;
	xmlNode *root, *part;
	size_t i;
	int err;

	err = ms_s3_multipart_etag(etag, m->md5s, m->parts);
	if (err)
		return err;
	if (strcmp(etag, u->etag))
		return ms_error("'%s' changed since the plan; plan again",
				u->file->path);
	doc = xmlNewDoc(BAD_CAST "1.0");
	root = xmlNewNode(NULL, BAD_CAST "CompleteMultipartUpload");
	xmlSetNs(root, xmlNewNs(root, BAD_CAST MS_S3_XMLNS, NULL));
	xmlDocSetRootElement(doc, root);
	for (i = 0; i < m->parts; i++) {
		part = xmlNewChild(root, NULL, BAD_CAST "Part", NULL);
		snprintf(num, sizeof(num), "%zu", i + 1);
		xmlNewTextChild(part, NULL, BAD_CAST "PartNumber",
				BAD_CAST num);
		xmlNewTextChild(part, NULL, BAD_CAST "ETag",
				BAD_CAST m->etags[i]);
	}
	{
		xmlChar *mem = NULL;
		int len = 0;

		xmlDocDumpMemoryEnc(doc, &mem, &len, "UTF-8");
		if (mem && len > 0)
			ms_buf_add(&body, mem, (size_t)len);
		xmlFree(mem);
		xmlFreeDoc(doc);
	}
	ms_buf_adds(&query, "uploadId=");
	ms_aws_uri_encode(&query, m->upload_id, strlen(m->upload_id), 0);
	ms_aws_response_init(&res);
	{
		const char *headers[] = { "Content-Type: application/xml",
					  NULL };

		err = ms_s3_object_send(&res, t->call->aws,
					"CompleteMultipartUpload", "POST",
					t->bucket, u->key, query.ptr, headers,
					body.ptr, body.len);
	}
	/* a 200 answer may still be an error */
	if (!err && res.body.len) {
		doc = NULL;
		err = ms_s3_parse(&doc, &res, "CompleteMultipartUpload");
		root = doc ? xmlDocGetRootElement(doc) : NULL;
		if (!err && root && !xmlStrcmp(root->name, BAD_CAST "Error")) {
			char *code = ms_xml_text(root, "Code");
			char *msg = ms_xml_text(root, "Message");

			err = ms_error("CompleteMultipartUpload: %s: %s",
				       code ? code : "?", msg ? msg : "");
			free(code);
			free(msg);
		}
		if (doc)
			xmlFreeDoc(doc);
	}
	ms_buf_release(&body);
	ms_buf_release(&query);
	ms_aws_response_release(&res);
	return err;
}

/* One part of a large file. */
static int put_part(struct transfer *t, size_t fi, size_t part, void *buf)
{
	struct ms_s3_upload *u = &t->files[fi];
	struct multi *m = &t->multi[fi];
	uint64_t off = (uint64_t)(part - 1) * t->o->part_size;
	size_t len = (size_t)(u->file->size - off < t->o->part_size ?
				      u->file->size - off :
				      t->o->part_size);
	struct ms_aws_response res;
	struct ms_buf query = MS_BUF_INIT, md5h = MS_BUF_INIT;
	const char *headers[3] = { NULL,
				   "x-amz-content-sha256: UNSIGNED-PAYLOAD",
				   NULL };
	unsigned char md[16];
	char b64[MS_S3_MD5_LEN], *etag = NULL, *id;
	bool last;
	int err = 0;

	pthread_mutex_lock(&m->lock);
	if (!m->upload_id && !m->failed)
		err = create_multipart(t, u, &m->upload_id);
	if (err)
		m->failed = true;
	id = m->failed ? NULL : ms_strdup(m->upload_id);
	pthread_mutex_unlock(&m->lock);
	if (err)
		return ms_error("uploading '%s': %s", u->key, ms_error_last());
	if (!id)
		return 0; /* another part failed; its error is reported */

	err = read_span(u->file, off, buf, len);
	if (!err)
		err = md5_of(md, b64, u->file, t->o->part_size, part - 1, buf,
			     len);
	if (!err) {
		ms_buf_addf(&query, "partNumber=%zu&uploadId=", part);
		ms_aws_uri_encode(&query, id, strlen(id), 0);
		ms_buf_addf(&md5h, "Content-MD5: %s", b64);
		headers[0] = md5h.ptr;
		ms_aws_response_init(&res);
		err = ms_s3_object_send(&res, t->call->aws, "UploadPart", "PUT",
					t->bucket, u->key, query.ptr, headers,
					buf, len);
		if (err)
			err = ms_error("uploading '%s' (part %zu): %s", u->key,
				       part, ms_error_last());
		else if (ms_aws_response_header(&res, "ETag", &etag))
			err = ms_error("UploadPart: no ETag in the answer");
		ms_aws_response_release(&res);
	}

	pthread_mutex_lock(&m->lock);
	if (!err) {
		memcpy(m->md5s + 16 * (part - 1), md, 16);
		m->etags[part - 1] = etag;
		etag = NULL;
	} else {
		m->failed = true;
	}
	m->left--;
	last = !m->left && !m->failed;
	if (last) {
		err = complete_multipart(t, u, m);
		if (err)
			m->failed = true;
		else
			m->completed = true;
	}
	pthread_mutex_unlock(&m->lock);
	free(etag);
	free(id);
	ms_buf_release(&query);
	ms_buf_release(&md5h);
	if (!err)
		progressed(t, len, last);
	if (!err && last)
		u->done = true;
	return err;
}

static void *worker(void *payload)
{
	struct transfer *t = payload;
	void *buf = NULL;
	size_t cap = 0, need;
	struct unit u;
	int err;

	for (;;) {
		pthread_mutex_lock(&t->lock);
		if (t->stop || t->next == t->n_units) {
			pthread_mutex_unlock(&t->lock);
			break;
		}
		u = t->units[t->next++];
		pthread_mutex_unlock(&t->lock);
		/* as big as the largest body it sent: small files, small memory */
		need = u.part ? (size_t)t->o->part_size :
				(size_t)t->files[u.file].file->size;
		if (need + 1 > cap) {
			cap = need + 1;
			free(buf);
			buf = ms_malloc(cap);
		}
		if (u.part) {
			err = put_part(t, u.file, u.part, buf);
		} else {
			err = put_whole(t, &t->files[u.file], buf);
			if (!err) {
				t->files[u.file].done = true;
				progressed(t, t->files[u.file].file->size,
					   true);
			}
		}
		if (err)
			fail(t, err);
	}
	free(buf);
	pthread_mutex_lock(&t->lock);
	t->running--;
	pthread_cond_broadcast(&t->cond);
	pthread_mutex_unlock(&t->lock);
	return NULL;
}

static void report(struct transfer *t, size_t n, double started)
{
	struct ms_buf left = MS_BUF_INIT;
	double secs = ms_now() - started;
	double rate = secs > 0 ? (double)t->bytes_done / secs : 0;
	double mib = 1024.0 * 1024.0;

	if (rate > 0)
		ms_aws_duration(
			&left, (double)(t->bytes_total - t->bytes_done) / rate);
	ms_call_progress(t->call,
			 "uploading: %zu/%zu files, %.1f/%.1f MiB, %.1f MiB/s, "
			 "%s left",
			 t->files_done, n, (double)t->bytes_done / mib,
			 (double)t->bytes_total / mib, rate / mib,
			 left.len ? left.ptr : "?");
	ms_buf_release(&left);
}

int ms_s3_upload(struct ms_call *call, const char *bucket,
		 struct ms_s3_upload *files, size_t n,
		 const struct ms_s3_put *o)
{
	struct transfer t;
	pthread_t *threads;
	size_t i, k, parts, nthreads;
	double started = ms_now(), last = started;
	int err = 0;

	if (!n)
		return 0;
	memset(&t, 0, sizeof(t));
	t.call = call;
	t.bucket = bucket;
	t.o = o;
	t.files = files;
	t.multi = ms_calloc(n, sizeof(*t.multi));
	for (i = 0; i < n; i++) {
		parts = ms_s3_parts(files[i].file->size, o->part_size);
		t.n_units += parts ? parts : 1;
		t.bytes_total += files[i].file->size;
	}
	t.units = ms_calloc(t.n_units, sizeof(*t.units));
	for (i = 0, k = 0; i < n; i++) {
		struct multi *m = &t.multi[i];

		files[i].done = false;
		parts = ms_s3_parts(files[i].file->size, o->part_size);
		pthread_mutex_init(&m->lock, NULL);
		if (parts) {
			m->parts = m->left = parts;
			m->md5s = ms_calloc(parts, 16);
			m->etags = ms_calloc(parts, sizeof(*m->etags));
		}
		if (!parts)
			t.units[k++] = (struct unit){ i, 0 };
		for (parts = 1; parts <= m->parts; parts++)
			t.units[k++] = (struct unit){ i, parts };
	}
	pthread_mutex_init(&t.lock, NULL);
	pthread_cond_init(&t.cond, NULL);

	nthreads = o->parallelism > 0 ? (size_t)o->parallelism : 1;
	if (nthreads > t.n_units)
		nthreads = t.n_units;
	threads = ms_calloc(nthreads, sizeof(*threads));
	pthread_mutex_lock(&t.lock);
	for (i = 0; i < nthreads; i++)
		if (!pthread_create(&threads[i], NULL, worker, &t))
			t.running++;
	if (!t.running) {
		t.error = ms_strdup("uploading: cannot start a thread");
		t.code = -1;
	}
	while (t.running) {
		struct timespec until;

		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += 1;
		pthread_cond_timedwait(&t.cond, &t.lock, &until);
		if (t.running && ms_now() - last >= PROGRESS_EVERY) {
			last = ms_now();
			report(&t, n, started);
		}
	}
	pthread_mutex_unlock(&t.lock);
	for (i = 0; i < nthreads; i++)
		if (threads[i])
			pthread_join(threads[i], NULL);
	free(threads);
	report(&t, n, started);

	for (i = 0; i < n; i++) {
		struct multi *m = &t.multi[i];

		/* begun and never completed: nothing of it may stay */
		if (m->upload_id && !m->completed &&
		    abort_multipart(call->aws, bucket, files[i].key,
				    m->upload_id))
			ms_log(MS_LOG_INFO, "s3",
			       "aborting the upload of '%s': %s", files[i].key,
			       ms_error_last());
		for (k = 0; k < m->parts; k++)
			free(m->etags[k]);
		free(m->etags);
		free(m->md5s);
		free(m->upload_id);
		pthread_mutex_destroy(&m->lock);
	}
	if (t.error)
		err = ms_error_code(t.code < 0 ? t.code : -1, "%s", t.error);
	free(t.error);
	free(t.multi);
	free(t.units);
	pthread_mutex_destroy(&t.lock);
	pthread_cond_destroy(&t.cond);
	return err;
}

/* ---- deletes and leftovers ------------------------------------------------ */

int ms_s3_delete_keys(struct ms_call *call, const char *bucket,
		      const json_t *keys)
{
	struct ms_aws_response res;
	struct ms_buf body = MS_BUF_INIT;
	json_t *batch = json_array(), *k;
	xmlDoc *doc = NULL;
	xmlNode *error;
	size_t i, done = 0, n = json_array_size(keys);
	int err = 0;

	ms_aws_response_init(&res);
	json_array_foreach(keys, i, k) {
		json_array_append_new(batch, json_pack("{s:O}", "Key", k));
		if (json_array_size(batch) < 1000 && i + 1 < n)
			continue;
		ms_buf_reset(&body);
		err = ms_s3_delete_xml(&body, batch);
		if (!err)
			err = ms_s3_send(&res, call->aws, NULL, "DeleteObjects",
					 "POST", bucket, "delete", &body);
		if (!err)
			err = ms_s3_parse(&doc, &res, "DeleteObjects");
		if (err)
			break;
		error = ms_xml_find(xmlDocGetRootElement(doc), "Error");
		if (error) {
			char *key = ms_xml_text(error, "Key");
			char *code = ms_xml_text(error, "Code");

			err = ms_error("cannot delete '%s': %s",
				       key ? key : "?", code ? code : "?");
			free(key);
			free(code);
			break;
		}
		xmlFreeDoc(doc);
		doc = NULL;
		done += json_array_size(batch);
		json_array_clear(batch);
		ms_call_progress(call, "deleted %zu/%zu objects", done, n);
	}
	if (doc)
		xmlFreeDoc(doc);
	json_decref(batch);
	ms_buf_release(&body);
	ms_aws_response_release(&res);
	return err;
}

int ms_s3_abort_uploads(struct ms_call *call, const char *bucket,
			const char *prefix, const json_t *keys)
{
	struct ms_aws_response res;
	struct ms_buf query = MS_BUF_INIT;
	xmlDoc *doc = NULL;
	xmlNode *n;
	json_t *open = json_array(), *u;
	size_t i;
	int err;

	ms_aws_response_init(&res);
	ms_buf_adds(&query, "prefix=");
	ms_aws_uri_encode(&query, prefix, strlen(prefix), 0);
	ms_buf_adds(&query, "&uploads");
	err = ms_s3_send(&res, call->aws, NULL, "ListMultipartUploads", "GET",
			 bucket, query.ptr, NULL);
	if (!err)
		err = ms_s3_parse(&doc, &res, "ListMultipartUploads");
	for (n = err ? NULL : ms_xml_find(xmlDocGetRootElement(doc), "Upload");
	     n; n = ms_xml_next(n, "Upload")) {
		char *key = ms_xml_text(n, "Key");
		char *id = ms_xml_text(n, "UploadId");

		if (key && id && json_object_get(keys, key))
			json_array_append_new(open,
					      json_pack("{s:s, s:s}", "key",
							key, "id", id));
		free(key);
		free(id);
	}
	if (doc)
		xmlFreeDoc(doc);
	json_array_foreach(open, i, u) {
		if (err)
			break;
		err = abort_multipart(
			call->aws, bucket,
			json_string_value(json_object_get(u, "key")),
			json_string_value(json_object_get(u, "id")));
	}
	if (!err && json_array_size(open))
		ms_call_progress(call, "aborted %zu unfinished uploads",
				 json_array_size(open));
	json_decref(open);
	ms_buf_release(&query);
	ms_aws_response_release(&res);
	return err;
}
