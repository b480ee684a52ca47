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
#include <libxml/tree.h>

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

#endif
