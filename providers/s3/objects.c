/*
 * objects.c - aws_s3_objects: a local folder synced under an S3 prefix,
 * as one resource (a dataset of thousands of files).
 *
 * The plan compares manifests: the folder's (each file's ETag as S3 will
 * give it, from a hash cache kept in the state, so an unchanged folder is
 * not read again) with the prefix's (one ListObjectsV2 page per 1000
 * objects; no object is read). Apply uploads what differs and deletes what
 * the folder no longer has. A failed or killed apply leaves what arrived:
 * the next plan lists it and uploads only the rest.
 *
 * The object is the prefix, named "s3://<bucket>/<prefix>": a create
 * refuses a prefix that already holds objects (someone else's data), and
 * the recovery of a killed create claims one whose objects all arrived
 * after the create began.
 *
 * Refresh lists the folders of a bucket together (objects_read_many): one
 * walk through the keys of them all, split per folder (docs/refresh.md).
 */
#include "util/common.h"
#include "providers/provider.h"
#include "providers/aws/aws.h"
#include "providers/s3/s3.h"
#include "providers/kit.h"

#define PART_SIZE_DEFAULT "8388608"
#define PART_SIZE_MIN     (5u << 20) /* S3's smallest part but the last */
#define PART_SIZE_MAX     ((uint64_t)5 << 30) /* S3's largest part */
#define CLAIM_SKEW        60.0
#define HASH_THREADS      4 /* files hashed at once at plan time */

static const struct ms_attr schema[] = {
	{ "bucket", MS_ATTR_STRING, MS_ATTR_REQUIRED | MS_ATTR_FORCE_NEW, NULL,
	  NULL, "the bucket" },
	{ "prefix", MS_ATTR_STRING, MS_ATTR_FORCE_NEW, "\"\"", NULL,
	  "the key prefix the folder goes under (\"dogs\" is \"dogs/\")" },
	{ "source", MS_ATTR_STRING, MS_ATTR_REQUIRED | MS_ATTR_INPUT, NULL,
	  NULL, "the local folder, relative to the stack file" },
	{ "include", MS_ATTR_LIST, MS_ATTR_INPUT, "[]", NULL,
	  "globs of the files to upload (none: all)" },
	{ "exclude", MS_ATTR_LIST, MS_ATTR_INPUT, "[]", NULL,
	  "globs of the files not to upload" },
	{ "content_types", MS_ATTR_MAP, 0, "{}", NULL,
	  "Content-Type by file extension (\"npy\": ...); others guessed" },
	{ "storage_class", MS_ATTR_STRING, 0, "\"STANDARD\"", NULL,
	  "the objects' storage class" },
	{ "server_side_encryption", MS_ATTR_STRING, 0, NULL, NULL,
	  "\"AES256\" (SSE-S3)" },
	{ "delete_removed", MS_ATTR_BOOL, 0, "true", NULL,
	  "delete objects under the prefix that the folder does not have" },
	{ "part_size", MS_ATTR_NUMBER, MS_ATTR_INPUT, PART_SIZE_DEFAULT, NULL,
	  "files this big or bigger go in parts of this size (bytes)" },
	{ "parallelism", MS_ATTR_NUMBER, 0, "0", NULL,
	  "requests at once (0: the apply's -parallelism)" },
	{ "objects", MS_ATTR_MAP,
	  MS_ATTR_COMPUTED | MS_ATTR_LOCAL | MS_ATTR_MANIFEST, NULL, NULL,
	  "the manifest: path below the prefix -> \"<etag> <bytes>\"" },
	{ "object_count", MS_ATTR_NUMBER, MS_ATTR_COMPUTED | MS_ATTR_LOCAL,
	  NULL, NULL, "the number of objects" },
	{ "total_bytes", MS_ATTR_NUMBER, MS_ATTR_COMPUTED | MS_ATTR_LOCAL, NULL,
	  NULL, "their total size" },
	{ "digest", MS_ATTR_STRING, MS_ATTR_COMPUTED | MS_ATTR_LOCAL, NULL,
	  NULL, "SHA-256 of the manifest: changes when any file does" },
	{ "s3_uri", MS_ATTR_STRING, MS_ATTR_COMPUTED | MS_ATTR_LOCAL, NULL,
	  NULL, "s3://<bucket>/<prefix>/, for a training channel" },
	{ "id", MS_ATTR_STRING, MS_ATTR_COMPUTED, NULL, NULL, "the s3_uri" },
	{ "cache", MS_ATTR_MAP, MS_ATTR_COMPUTED | MS_ATTR_INTERNAL, NULL, NULL,
	  "path -> \"<bytes> <mtime ns> <etag>\": hashes not to compute again" },
	{ NULL, 0, 0, NULL, NULL, NULL },
};

/* "dogs" -> "dogs/"; "" stays "" (the whole bucket). */
static char *folder_prefix(const char *prefix)
{
	size_t n = strlen(prefix);

	while (n && prefix[0] == '/') {
		prefix++;
		n--;
	}
	if (!n || prefix[n - 1] == '/')
		return ms_strdup(prefix);
	return ms_asprintf("%s/", prefix);
}

static char *uri_of(const char *bucket, const char *prefix)
{
	return ms_asprintf("s3://%s/%s", bucket, prefix);
}

/* Bucket and prefix of attrs, or parsed from an id "s3://b/p". */
static int where(const json_t *attrs, char **bucket, char **prefix)
{
	const char *b = ms_kit_str(attrs, "bucket", NULL);
	const char *id = ms_kit_str(attrs, "id", NULL), *slash;

	if (b) {
		*bucket = ms_strdup(b);
		*prefix = folder_prefix(ms_kit_str(attrs, "prefix", ""));
		return 0;
	}
	if (!id || strncmp(id, "s3://", 5) || !id[5])
		return ms_error("'%s' is not an S3 prefix (s3://BUCKET/PREFIX)",
				id ? id : "");
	slash = strchr(id + 5, '/');
	*bucket = slash ? ms_strndup(id + 5, (size_t)(slash - id - 5)) :
			  ms_strdup(id + 5);
	*prefix = folder_prefix(slash ? slash + 1 : "");
	return 0;
}

/*
 * The part size; PART_SIZE_MAX + 1 for any larger one, which
 * objects_local refuses (converting 1e300 to an integer is undefined).
 */
static uint64_t part_size_of(const json_t *attrs)
{
	json_t *v = json_object_get(attrs, "part_size");
	double d = json_number_value(v);

	if (!json_is_number(v) || d < 1)
		return (uint64_t)strtoull(PART_SIZE_DEFAULT, NULL, 10);
	return d > (double)PART_SIZE_MAX ? PART_SIZE_MAX + 1 : (uint64_t)d;
}

/* ---- the local side ------------------------------------------------------- */

/*
 * The folder's files, each with its ETag: from stored's cache when its
 * size and modification time (and the part size) are unchanged, else read.
 */
static int local_files(struct ms_file **out, size_t *n, const char *dir,
		       const json_t *attrs, const json_t *stored)
{
	uint64_t part_size = part_size_of(attrs);
	json_t *cache = part_size == part_size_of(stored) ?
				json_object_get(stored, "cache") :
				NULL;
	char *root = ms_files_path(dir, attrs, "source", "."), *want;
	size_t i;
	int err;

	err = ms_files_scan(out, n, root, json_object_get(attrs, "include"),
			    json_object_get(attrs, "exclude"));
	for (i = 0; !err && i < *n; i++) {
		struct ms_file *f = &(*out)[i];
		const char *have = ms_kit_str(cache, f->key, NULL);
		size_t len;

		want = ms_asprintf("%llu %lld ", (unsigned long long)f->size,
				   (long long)f->mtime_ns);
		len = strlen(want);
		if (have && !strncmp(have, want, len) &&
		    strlen(have + len) < MS_S3_ETAG_LEN && have[len])
			memcpy(f->etag, have + len, strlen(have + len) + 1);
		free(want);
	}
	/* the rest are read, a few at a time */
	if (!err)
		err = ms_s3_hash_files(*out, *n, part_size, HASH_THREADS);
	free(root);
	if (err) {
		ms_files_free(*out, *n);
		*out = NULL;
		*n = 0;
	}
	return err;
}

static int objects_local(const char *dir, json_t *desired, const json_t *stored)
{
	struct ms_file *files = NULL;
	json_t *manifest, *cache;
	const char *bucket = ms_kit_str(desired, "bucket", NULL);
	char *prefix, *uri, *entry;
	size_t i, n = 0;
	uint64_t part_size = part_size_of(desired);
	int err;

	if (bucket && ms_kit_str(desired, "prefix", NULL)) {
		prefix = folder_prefix(ms_kit_str(desired, "prefix", ""));
		uri = uri_of(bucket, prefix);
		json_object_set_new(desired, "s3_uri", json_string(uri));
		free(uri);
		free(prefix);
	}
	if (ms_kit_str(desired, "server_side_encryption", NULL) &&
	    strcmp(ms_kit_str(desired, "server_side_encryption", ""), "AES256"))
		return ms_error("server_side_encryption: only \"AES256\": with "
				"KMS, S3's ETag is not the content's MD5 and "
				"a plan could not compare content");
	if (part_size < PART_SIZE_MIN)
		return ms_error("part_size: %llu is below S3's smallest part "
				"(%u bytes)",
				(unsigned long long)part_size, PART_SIZE_MIN);
	if (part_size > PART_SIZE_MAX)
		return ms_error("part_size: more than S3's largest part "
				"(%llu bytes)",
				(unsigned long long)PART_SIZE_MAX);
	err = local_files(&files, &n, dir, desired, stored);
	if (err)
		return err;
	manifest = json_object();
	cache = json_object();
	for (i = 0; i < n; i++) {
		entry = ms_s3_entry(files[i].etag, files[i].size);
		json_object_set_new(manifest, files[i].key, json_string(entry));
		free(entry);
		entry = ms_asprintf("%llu %lld %s",
				    (unsigned long long)files[i].size,
				    (long long)files[i].mtime_ns,
				    files[i].etag);
		json_object_set_new(cache, files[i].key, json_string(entry));
		free(entry);
	}
	ms_s3_manifest_totals(desired, manifest);
	json_object_set_new(desired, "objects", manifest);
	json_object_set_new(desired, "cache", cache);
	ms_files_free(files, n);
	return 0;
}

/* ---- the S3 side ---------------------------------------------------------- */

static int cmp_key(const void *a, const void *b)
{
	return strcmp(((const struct ms_file *)a)->key,
		      ((const struct ms_file *)b)->key);
}

/* A listing as a manifest ("<etag> <bytes>" by key). */
static json_t *manifest_of(const json_t *listing)
{
	json_t *m = json_object(), *o;
	const char *key;
	char *entry;

	json_object_foreach((json_t *)listing, key, o) {
		entry = ms_s3_entry(ms_kit_str(o, "etag", ""),
				    (uint64_t)json_integer_value(
					    json_object_get(o, "size")));
		json_object_set_new(m, key, json_string(entry));
		free(entry);
	}
	return m;
}

static int list_prefix(json_t **out, struct ms_call *call, const char *bucket,
		       const char *prefix, const json_t *attrs, bool *no_bucket)
{
	int err;

	*no_bucket = false;
	(void)attrs; /* the prefix mirrors the filtered folder: all of it */
	err = ms_s3_list(out, call->aws, bucket, prefix, NULL, NULL);
	if (err == MS_ENOTFOUND) {
		ms_error_clear();
		*no_bucket = true;
		return 0;
	}
	return err;
}

/*
 * The live value: prior's settings, the listing's manifest. With
 * delete_removed off, only the objects prior recorded are ours to compare.
 * The storage class shows the first object in another class, so a plan
 * sees it drift.
 */
static json_t *live_attrs(const json_t *prior, const json_t *listing,
			  const char *bucket, const char *prefix)
{
	json_t *live = json_deep_copy(prior), *manifest, *o, *mine;
	const char *key, *cls = ms_kit_str(prior, "storage_class", NULL);
	bool keep_all =
		!json_is_false(json_object_get(prior, "delete_removed"));
	char *uri = uri_of(bucket, prefix);
	const struct ms_attr *a;
	void *tmp;

	manifest = manifest_of(listing);
	mine = json_object_get(prior, "objects");
	if (!keep_all && json_is_object(mine))
		json_object_foreach_safe(manifest, tmp, key, o)
			if (!json_object_get(mine, key))
				json_object_del(manifest, key);
	json_object_foreach((json_t *)listing, key, o) {
		const char *have = ms_kit_str(o, "storage_class", "STANDARD");

		if (json_object_get(manifest, key) && cls &&
		    strcmp(have, cls)) {
			json_object_set_new(live, "storage_class",
					    json_string(have));
			break;
		}
	}
	/* an import or a recovery knows no settings: the defaults */
	for (a = schema; a->name; a++)
		if (a->default_json && !json_object_get(live, a->name))
			json_object_set_new(live, a->name,
					    json_loads(a->default_json,
						       JSON_DECODE_ANY, NULL));
	json_object_set_new(live, "bucket", json_string(bucket));
	json_object_set_new(live, "prefix", json_string(prefix));
	ms_s3_manifest_totals(live, manifest);
	json_object_set_new(live, "objects", manifest);
	json_object_set_new(live, "s3_uri", json_string(uri));
	json_object_set_new(live, "id", json_string(uri));
	free(uri);
	return live;
}

/* What a read answers from the prefix's listing; NULL: no such object. */
static json_t *live_of(const json_t *prior, const json_t *listing,
		       const char *bucket, const char *prefix)
{
	/* an import or a recovery finds nothing: no such object */
	if (!json_object_size(listing) && !json_object_get(prior, "objects"))
		return NULL;
	return live_attrs(prior, listing, bucket, prefix);
}

static int objects_read(struct ms_call *call, const json_t *prior, json_t **out)
{
	json_t *listing = NULL;
	char *bucket = NULL, *prefix = NULL;
	bool no_bucket;
	int err;

	*out = NULL;
	err = where(prior, &bucket, &prefix);
	if (!err)
		err = list_prefix(&listing, call, bucket, prefix, prior,
				  &no_bucket);
	if (!err && !no_bucket)
		*out = live_of(prior, listing, bucket, prefix);
	json_decref(listing);
	free(bucket);
	free(prefix);
	return err;
}

/* ---- refresh by listing --------------------------------------------------- */

/* A folder of the bucket being walked, and its keys found so far. */
struct dataset {
	const char *name;    /* the resource's */
	const json_t *prior; /* its stored attributes */
	char *bucket, *prefix;
	json_t *listing; /* key below the prefix -> ms_s3_listed_attrs */
	bool passed;     /* the walk went past its last key */
};

struct walk {
	struct dataset *d;
	size_t n;
};

/* Each listed key to the folders it is under; stop past all of them. */
static int split_listed(const struct ms_s3_listed *o, void *payload)
{
	struct walk *w = payload;
	size_t i, len, passed = 0;

	for (i = 0; i < w->n; i++) {
		struct dataset *d = &w->d[i];

		len = strlen(d->prefix);
		/* the prefix's own key ("dogs/") is not below it */
		if (!strncmp(o->key, d->prefix, len) && o->key[len])
			json_object_set_new(d->listing, o->key + len,
					    ms_s3_listed_attrs(o));
		else if (strncmp(o->key, d->prefix, len) &&
			 strcmp(o->key, d->prefix) > 0)
			d->passed = true;
		passed += d->passed;
	}
	return passed == w->n;
}

static int cmp_prefix(const void *a, const void *b)
{
	const struct dataset *x = a, *y = b;
	int c = strcmp(x->bucket, y->bucket);

	return c ? c : strcmp(x->prefix, y->prefix);
}

/* The pages a folder's read would list: those of its last known size. */
static size_t pages_of(const json_t *prior)
{
	size_t page = (size_t)ms_kit_page_size(1000);
	size_t n = json_object_size(json_object_get(prior, "objects"));

	return n > page ? (n + page - 1) / page : 1;
}

/*
 * One walk through the folders d[0..n) of one bucket, sorted by prefix:
 * under their longest common prefix, from the first one's first key to
 * the last one's last, and at most as many pages as their reads would
 * list on their own and one more (to see past the last key), so that
 * other keys between them cost no more than those reads. A folder the
 * walk went past (or a walk that reached the end) is settled into out;
 * one it did not finish is left out, and read.
 */
static int walk_folders(struct ms_call *call, struct dataset *d, size_t n,
			json_t *out)
{
	struct walk w = { d, n };
	struct ms_s3_walk sw = { NULL, NULL, 0, false };
	const char *first = d[0].prefix, *last = d[n - 1].prefix;
	char *common, *after = NULL;
	size_t i, len = 0;
	json_t *live;
	int err;

	while (first[len] && first[len] == last[len])
		len++;
	common = ms_strndup(first, len);
	if (*first)
		after = ms_strndup(first, strlen(first) - 1);
	sw.max_pages = 1;
	for (i = 0; i < n; i++)
		sw.max_pages += pages_of(d[i].prior);
	sw.prefix = common;
	sw.start_after = after;
	err = ms_s3_list_walk(call->aws, d[0].bucket, &sw, split_listed, &w);
	if (err > 0)
		err = 0;
	/* no bucket: each read would find no such object */
	if (err == MS_ENOTFOUND) {
		ms_error_clear();
		for (i = 0; i < n; i++)
			json_object_set_new(out, d[i].name, json_null());
		err = 0;
		goto done;
	}
	for (i = 0; !err && i < n; i++) {
		if (sw.more && !d[i].passed)
			continue;
		live = live_of(d[i].prior, d[i].listing, d[i].bucket,
			       d[i].prefix);
		json_object_set_new(out, d[i].name, live ? live : json_null());
	}
done:
	free(common);
	free(after);
	return err;
}

/*
 * The folders of a bucket share its listing: what each read would have
 * listed is split out of one walk through the keys of them all.
 */
static int objects_read_many(struct ms_call *call, const json_t *priors,
			     json_t **out)
{
	struct dataset *d = ms_calloc(json_object_size(priors) + 1, sizeof(*d));
	const char *name;
	json_t *prior;
	size_t i, start, n = 0;
	int err = 0;

	*out = json_object();
	json_object_foreach((json_t *)priors, name, prior) {
		if (where(prior, &d[n].bucket, &d[n].prefix)) {
			ms_error_clear();
			continue;
		}
		d[n].name = name;
		d[n].prior = prior;
		d[n].listing = json_object();
		n++;
	}
	qsort(d, n, sizeof(*d), cmp_prefix);
	for (start = 0, i = 1; !err && start < n; i++)
		if (i == n || strcmp(d[i].bucket, d[start].bucket)) {
			err = walk_folders(call, d + start, i - start, *out);
			start = i;
		}
	for (i = 0; i < n; i++) {
		free(d[i].bucket);
		free(d[i].prefix);
		json_decref(d[i].listing);
	}
	free(d);
	if (err) {
		json_decref(*out);
		*out = NULL;
	}
	return err;
}

/*
 * Make S3 hold desired's manifest under the prefix, from have (the
 * listing): upload what differs (everything when how it is stored
 * changed), delete what the folder lost. *out: the manifest S3 holds
 * afterwards, as far as this call knows, even when it fails.
 */
static int sync(struct ms_call *call, const json_t *prior,
		const json_t *desired, const json_t *listing, json_t **out)
{
	const json_t *want = json_object_get(desired, "objects");
	json_t *have = manifest_of(listing), *result, *gone, *keys, *v;
	struct ms_file *files = NULL;
	struct ms_s3_upload *ups = NULL;
	struct ms_s3_put put;
	char *bucket = NULL, *prefix = NULL, *root = NULL;
	const char *key;
	size_t i, n = 0, n_up = 0;
	bool all = false;
	int err, derr;

	static const char *const how[] = { "storage_class",
					   "server_side_encryption",
					   "content_types" };

	/* (an object found by a recovery or an import has no settings) */
	for (i = 0; json_object_get(prior, "source") && i < MS_ARRAY_SIZE(how);
	     i++) {
		json_t *was = json_object_get(prior, how[i]);
		json_t *now = json_object_get(desired, how[i]);

		if ((was || now) && !json_equal(was, now))
			all = true;
	}
	err = where(desired, &bucket, &prefix);
	if (!err) {
		root = ms_files_path(call->dir, desired, "source", ".");
		err = ms_files_scan(&files, &n, root,
				    json_object_get(desired, "include"),
				    json_object_get(desired, "exclude"));
	}
	result = json_deep_copy(have);
	*out = result;
	if (err)
		goto done;

	ups = ms_calloc(n ? n : 1, sizeof(*ups));
	keys = json_object();
	json_object_foreach((json_t *)want, key, v) {
		const char *entry = json_string_value(v);
		struct ms_file probe = { .key = (char *)key }, *f;

		if (!all && json_equal(json_object_get(have, key), v))
			continue;
		f = n ? bsearch(&probe, files, n, sizeof(*files), cmp_key) :
			NULL;
		/* the plan's ETag and size: the file must still have them */
		if (!f || ms_s3_entry_parse(entry, f->etag, &f->size)) {
			err = ms_error("'%s/%s' is gone since the plan; plan "
				       "again",
				       root, key);
			break;
		}
		ups[n_up].file = f;
		ups[n_up].key = ms_asprintf("%s%s", prefix, key);
		ups[n_up].etag = f->etag;
		json_object_set_new(keys, ups[n_up].key, json_true());
		n_up++;
	}
	if (!err && n_up)
		err = ms_s3_abort_uploads(call, bucket, prefix, keys);
	json_decref(keys);
	if (!err) {
		memset(&put, 0, sizeof(put));
		put.storage_class = ms_kit_str(desired, "storage_class", NULL);
		put.sse = ms_kit_str(desired, "server_side_encryption", NULL);
		put.content_types = json_object_get(desired, "content_types");
		put.part_size = part_size_of(desired);
		put.parallelism = (int)json_integer_value(
			json_object_get(desired, "parallelism"));
		if (put.parallelism <= 0)
			put.parallelism = call->parallelism;
		err = ms_s3_upload(call, bucket, ups, n_up, &put);
	}
	for (i = 0; i < n_up; i++)
		if (ups[i].done)
			json_object_set(
				result, ups[i].key + strlen(prefix),
				json_object_get(want,
						ups[i].key + strlen(prefix)));

	gone = json_array();
	if (!json_is_false(json_object_get(desired, "delete_removed")))
		json_object_foreach(have, key, v)
			if (!json_object_get(want, key)) {
				char *full = ms_asprintf("%s%s", prefix, key);

				json_array_append_new(gone, json_string(full));
				free(full);
			}
	if (!err && json_array_size(gone)) {
		derr = ms_s3_delete_keys(call, bucket, gone);
		if (derr)
			err = derr;
		else
			json_array_foreach(gone, i, v)
				json_object_del(result, json_string_value(v) +
								strlen(prefix));
	}
	json_decref(gone);
	for (i = 0; i < n_up; i++)
		free((char *)ups[i].key);
done:
	free(ups);
	ms_files_free(files, n);
	json_decref(have);
	free(root);
	free(bucket);
	free(prefix);
	return err;
}

/* The attributes after a sync that left result in S3. */
static json_t *synced_attrs(const json_t *desired, json_t *result)
{
	json_t *out = json_deep_copy(desired);
	const json_t *want = json_object_get(desired, "objects");
	const char *key;
	json_t *v;

	/* with delete_removed off, what the folder lost is not ours */
	if (json_is_false(json_object_get(desired, "delete_removed")))
		json_object_foreach((json_t *)result, key, v)
			if (!json_object_get(want, key))
				json_object_del(result, key);
	ms_s3_manifest_totals(out, result);
	json_object_set_new(out, "objects", result);
	json_object_set(out, "id", json_object_get(desired, "s3_uri"));
	return out;
}

static int objects_sync(struct ms_call *call, const json_t *prior,
			const json_t *desired, bool fresh, json_t **out)
{
	json_t *listing = NULL, *result = NULL;
	char *bucket = NULL, *prefix = NULL;
	bool no_bucket = false;
	int err;

	*out = NULL;
	err = where(desired, &bucket, &prefix);
	if (!err)
		err = list_prefix(&listing, call, bucket, prefix, desired,
				  &no_bucket);
	if (!err && no_bucket)
		err = ms_error("bucket '%s' does not exist", bucket);
	if (!err && fresh && json_object_size(listing)) {
		char *what =
			ms_asprintf("S3 prefix '%s' (it holds %zu objects)",
				    ms_kit_str(desired, "s3_uri", ""),
				    json_object_size(listing));

		err = ms_call_taken(call, what,
				    ms_kit_str(desired, "s3_uri", ""));
		free(what);
	}
	if (!err) {
		err = sync(call, prior, desired, listing, &result);
		*out = synced_attrs(desired, result);
	}
	json_decref(listing);
	free(bucket);
	free(prefix);
	return err;
}

static int objects_create(struct ms_call *call, const json_t *desired,
			  json_t **out)
{
	return objects_sync(call, NULL, desired, true, out);
}

static int objects_update(struct ms_call *call, const json_t *prior,
			  const json_t *desired, json_t **out)
{
	return objects_sync(call, prior, desired, false, out);
}

static int objects_delete(struct ms_call *call, const json_t *prior)
{
	json_t *listing = NULL, *gone, *o, *keys = json_object();
	char *bucket = NULL, *prefix = NULL;
	const json_t *mine = json_object_get(prior, "objects");
	bool all = !json_is_false(json_object_get(prior, "delete_removed"));
	bool no_bucket;
	const char *key;
	int err;

	err = where(prior, &bucket, &prefix);
	if (!err)
		err = list_prefix(&listing, call, bucket, prefix, prior,
				  &no_bucket);
	if (err || no_bucket)
		goto done;
	gone = json_array();
	/* with delete_removed off, what is not ours stays */
	json_object_foreach(listing, key, o) {
		char *full;

		if (!all && !json_object_get(mine, key))
			continue;
		full = ms_asprintf("%s%s", prefix, key);
		json_object_set_new(keys, full, json_true());
		json_array_append_new(gone, json_string(full));
		free(full);
	}
	err = ms_s3_abort_uploads(call, bucket, prefix, keys);
	if (!err)
		err = ms_s3_delete_keys(call, bucket, gone);
	json_decref(gone);
done:
	json_decref(keys);
	json_decref(listing);
	free(bucket);
	free(prefix);
	return err;
}

/*
 * A prefix found by the recovery of a killed create is the create's when
 * every object under it arrived after the create began.
 */
static int objects_claim(struct ms_call *call, const json_t *live, double since,
			 bool *ours)
{
	json_t *listing = NULL, *o;
	char *bucket = NULL, *prefix = NULL;
	const char *key;
	bool no_bucket;
	int err;

	*ours = false;
	err = where(live, &bucket, &prefix);
	if (!err)
		err = list_prefix(&listing, call, bucket, prefix, live,
				  &no_bucket);
	if (!err && !no_bucket && json_object_size(listing)) {
		*ours = true;
		json_object_foreach(listing, key, o)
			if (json_number_value(json_object_get(o, "modified")) <
			    since - CLAIM_SKEW)
				*ours = false;
	}
	json_decref(listing);
	free(bucket);
	free(prefix);
	return err;
}

/* The prefix as S3 keys hold it: "dogs" is "dogs/". */
static int objects_normalize(json_t *attrs)
{
	char *prefix;

	if (!json_is_string(json_object_get(attrs, "prefix")))
		return 0;
	prefix = folder_prefix(ms_kit_str(attrs, "prefix", ""));
	json_object_set_new(attrs, "prefix", json_string(prefix));
	free(prefix);
	return 0;
}

/* Terraform has no resource for a folder synced to S3: one of mlstack's */
static const struct ms_tf_type tf = {
	.type = "mlstack_s3_objects",
	.provider = "mlstack",
};

/* What the uploaded data takes, by the GB-month; requests are not priced. */
static int objects_cost(struct ms_cost *out, const json_t *attrs,
			const struct ms_cost_env *env)
{
	ms_s3_storage_cost(out, env, attrs, "total_bytes",
			   "S3 storage of the objects");
	return 0;
}

const struct ms_resource_type ms_aws_s3_objects = {
	.name = "aws_s3_objects",
	.data_note = "the uploaded objects are deleted from the bucket",
	.schema = schema,
	.id_attr = "s3_uri",
	.read = objects_read,
	.read_many = objects_read_many,
	.create = objects_create,
	.update = objects_update,
	.delete = objects_delete,
	.normalize = objects_normalize,
	.claim = objects_claim,
	.local = objects_local,
	.resumable = true,
	.terraform = &tf,
	.cost = objects_cost,
};
