/*
 * s3.h - what the S3 resource types share: one REST-XML request to a
 * bucket, request bodies built with libxml2 (so every value is escaped),
 * answers parsed back, and the Content-MD5 that S3 demands on its
 * configuration calls; and the calls the types share (emptying a
 * bucket, when a bucket was made).
 */
#ifndef MS_S3_H
#define MS_S3_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <libxml/tree.h>

#include "providers/files.h"
#include "providers/provider.h"
#include "util/buf.h"

struct ms_aws;
struct ms_aws_response;

#define MS_S3_XMLNS   "http://s3.amazonaws.com/doc/2006-03-01/"
#define MS_S3_MD5_LEN 25 /* base64 of 16 bytes, and the NUL */

/* out = base64 of the MD5 of data (the Content-MD5 header's value). */
int ms_s3_content_md5(char *out, const void *data, size_t len);

/*
 * One request to bucket (path style, "/<bucket>"): query is the encoded
 * subresource and parameters ("versioning", "versions&max-keys=1000") or
 * NULL; body, when not NULL, is sent as application/xml with its
 * Content-MD5. region signs the request (NULL: the client's). res must be
 * initialised; it is reset first, so one response serves several calls.
 * Returns what ms_aws_send returns.
 */
int ms_s3_send(struct ms_aws_response *res, struct ms_aws *aws,
	       const char *region, const char *operation, const char *method,
	       const char *bucket, const char *query,
	       const struct ms_buf *body);

/* *out = the parsed XML of an answer's body; xmlFreeDoc it. */
int ms_s3_parse(xmlDoc **out, const struct ms_aws_response *res,
		const char *operation);

/* <CreateBucketConfiguration><LocationConstraint>region</...> */
int ms_s3_location_xml(struct ms_buf *out, const char *region);
/* <VersioningConfiguration><Status>Enabled|Suspended</Status> */
int ms_s3_versioning_xml(struct ms_buf *out, bool enabled);
/* <PublicAccessBlockConfiguration> with all four settings set to on */
int ms_s3_public_access_block_xml(struct ms_buf *out, bool on);

/*
 * <Tagging><TagSet><Tag><Key/><Value/></Tag>...: tags is an object of
 * string values, written in key order. -1 with ms_error() on a value that
 * is not a string.
 */
int ms_s3_tagging_xml(struct ms_buf *out, const json_t *tags);
/* *out = the object of a GetBucketTagging answer's tags. */
int ms_s3_tagging_parse(json_t **out, xmlDoc *doc);

/*
 * <Delete><Quiet>true</Quiet><Object><Key/>[<VersionId/>]</Object>...:
 * objects is an array of {"Key": ..., "VersionId": ...} (VersionId
 * optional), at most 1000 of them.
 */
int ms_s3_delete_xml(struct ms_buf *out, const json_t *objects);

/*
 * Delete every object version and delete marker of bucket (signed for
 * region), a page of at most 1000 at a time, reporting progress on call.
 * A key S3 keeps is an error naming it.
 */
int ms_s3_empty(struct ms_call *call, const char *region, const char *bucket);
/*
 * *out = when bucket was made (S3's CreationDate, seconds since the
 * epoch; ListBuckets with the name as prefix), or -1 when it is not
 * listed.
 */
int ms_s3_creation_time(double *out, struct ms_aws *aws, const char *bucket);

/*
 * 2026-11-29T02:40:00.000Z (a listing's) or Sun, 29 Nov 2026 02:40:00 GMT
 * (an HTTP header's) as whole seconds since the epoch; -1 if unreadable.
 */
double ms_s3_date(const char *text);

/* ---- listing (s3.c) ------------------------------------------------------- */

/* One object of a listing, as ListObjectsV2 gives it. */
struct ms_s3_listed {
	const char *key;  /* the full key */
	const char *etag; /* without its quotes */
	uint64_t size;
	const char *storage_class; /* "STANDARD" when not given */
	double modified;           /* LastModified, seconds since the epoch */
};

/* Which keys a walk lists, and where it ended. */
struct ms_s3_walk {
	const char *prefix;      /* the keys that start with it ("": all) */
	const char *start_after; /* NULL: from the first one */
	size_t max_pages;        /* 0: every page */
	bool more;               /* set when max_pages ended it, keys left */
};

/*
 * The keys of bucket that w says, in key order (ListObjectsV2, paged by
 * its continuation token, ms_kit_page_size(1000) a page): each(o,
 * payload) for each; a nonzero return from each stops the walk, which
 * returns it. A token answered twice is an error, not an endless loop.
 * MS_ENOTFOUND when the bucket does not exist.
 */
int ms_s3_list_walk(struct ms_aws *aws, const char *bucket,
		    struct ms_s3_walk *w,
		    int (*each)(const struct ms_s3_listed *o, void *payload),
		    void *payload);
/* {"etag", "size", "storage_class", "modified"} of a listed object. */
json_t *ms_s3_listed_attrs(const struct ms_s3_listed *o);
/*
 * Every object under prefix: *out is an object key (below prefix) ->
 * ms_s3_listed_attrs; keys whose rest fails the filters are left out.
 * MS_ENOTFOUND when the bucket does not exist.
 */
int ms_s3_list(json_t **out, struct ms_aws *aws, const char *bucket,
	       const char *prefix, const json_t *include,
	       const json_t *exclude);

/* ---- objects: the local side (local.c) ----------------------------------- */

#define MS_S3_ETAG_LEN MS_FILE_ETAG_LEN

/* The parts of a multipart upload of size bytes (0: one PUT). */
size_t ms_s3_parts(uint64_t size, uint64_t part_size);
/* "<hex MD5 of the concatenated part MD5s>-<parts>" */
int ms_s3_multipart_etag(char *out, const unsigned char *part_md5s,
			 size_t parts);
/*
 * The ETag S3 gives f uploaded with part_size (ms_s3_parts). A file that
 * changes while it is read is an error.
 */
int ms_s3_hash_file(char *etag, const struct ms_file *f, uint64_t part_size);

/*
 * ms_s3_hash_file for every file of files whose etag is still empty,
 * threads at a time; the first error (the others stop).
 */
int ms_s3_hash_files(struct ms_file *files, size_t n, uint64_t part_size,
		     int threads);
/*
 * The MD5 of part (0-based; 0 also for a file below the part size) of f
 * as a hash in this process computed it, when f's size and modification
 * time are those it had then; false otherwise.
 */
bool ms_s3_memo_md5(unsigned char md5[16], const struct ms_file *f,
		    uint64_t part_size, size_t part);

/* A manifest entry, "<etag> <bytes>", and back (-1 when malformed). */
char *ms_s3_entry(const char *etag, uint64_t size);
int ms_s3_entry_parse(const char *entry, char *etag, uint64_t *size);
/* Set attrs' object_count, total_bytes and digest from a manifest. */
void ms_s3_manifest_totals(json_t *attrs, const json_t *manifest);

/* ---- objects: the S3 side (transfer.c) ------------------------------------ */

/* "/<bucket>/<key>", encoded as S3 paths are ('/' kept). */
void ms_s3_object_path(struct ms_buf *out, const char *bucket, const char *key);

/*
 * One request on the object key of bucket ("/bucket/key"), with headers
 * (NULL-terminated, may be NULL) and a body (may be NULL). res is reset
 * first. Returns what ms_aws_send returns.
 */
int ms_s3_object_send(struct ms_aws_response *res, struct ms_aws *aws,
		      const char *operation, const char *method,
		      const char *bucket, const char *key, const char *query,
		      const char *const *headers, const void *body,
		      size_t body_len);

/* How objects are written: what PutObject and CreateMultipartUpload send. */
struct ms_s3_put {
	const char *storage_class;   /* NULL: S3's default */
	const char *sse;             /* "AES256" or NULL */
	const char *cache_control;   /* or NULL */
	const json_t *metadata;      /* x-amz-meta-*, or NULL */
	const json_t *tags;          /* x-amz-tagging, or NULL */
	const json_t *content_types; /* extension -> type, or NULL */
	const char *content_type;    /* all of them, or NULL: guessed */
	uint64_t part_size;          /* multipart from this size */
	int parallelism;             /* requests at once */
};

/* The Content-Type of key: by its extension in types, else a known one. */
const char *ms_s3_content_type(const char *key, const json_t *types);

/*
 * The headers o writes an object with (Content-MD5 when md5 is not
 * NULL): *list, NULL-terminated, points into store; free(*list).
 */
void ms_s3_put_headers(struct ms_buf *store, const char ***list,
		       const struct ms_s3_put *o, const char *key,
		       const char *md5);
/* PutObject of len bytes, with o's headers and the Content-MD5. */
int ms_s3_put_bytes(struct ms_call *call, const char *bucket, const char *key,
		    const void *data, size_t len, const struct ms_s3_put *o);

/*
 * One upload: the local file, under S3 key, which must still hash to the
 * ETag the plan saw (etag), else it is an error and nothing of it is
 * completed.
 */
struct ms_s3_upload {
	const struct ms_file *file;
	const char *key;  /* the full S3 key */
	const char *etag; /* expected */
	bool done;        /* set when it arrived */
};

/*
 * Upload files to bucket, o->parallelism requests at once: a PUT each
 * below o->part_size, multipart above it with parts in parallel, every
 * body with its Content-MD5, progress reported on call. On failure the
 * first error is returned, the others stop, multipart uploads begun are
 * aborted, and done says what arrived.
 */
int ms_s3_upload(struct ms_call *call, const char *bucket,
		 struct ms_s3_upload *files, size_t n,
		 const struct ms_s3_put *o);

/* Delete keys (full S3 keys, an array), DeleteObjects of 1000 at a time. */
int ms_s3_delete_keys(struct ms_call *call, const char *bucket,
		      const json_t *keys);

/*
 * Abort the multipart uploads left open under prefix (a killed upload),
 * those of keys in keys (an object of full key -> anything) only.
 */
int ms_s3_abort_uploads(struct ms_call *call, const char *bucket,
			const char *prefix, const json_t *keys);

/*
 * The cost of stored objects, for the cost hooks of aws_s3_objects and
 * aws_s3_object: attrs' number bytes (its total size) in attrs'
 * storage_class, by the GB-month (GB of 2^30 bytes, as S3 bills them).
 */
void ms_s3_storage_cost(struct ms_cost *out, const struct ms_cost_env *env,
			const json_t *attrs, const char *bytes,
			const char *what);

#endif
