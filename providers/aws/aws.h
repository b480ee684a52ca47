/*
 * aws.h - the AWS client every provider shares: credentials, region,
 * endpoints, SigV4, HTTPS through libcurl with retries, and the wire
 * protocols (Query, REST-XML; JSON 1.1 and REST-JSON later).
 *
 * A client is made once and shared by all workers; it is thread-safe.
 * Connections are kept alive in a pool of curl handles. Credentials never
 * leave this module except inside the Authorization header.
 */
#ifndef MS_AWS_H
#define MS_AWS_H

#include <jansson.h>
#include <stddef.h>
#include <libxml/tree.h>

#include "util/buf.h"

struct ms_aws;

struct ms_aws_config {
	const char *region;   /* NULL: AWS_REGION, AWS_DEFAULT_REGION, profile */
	int max_attempts;     /* 0: AWS_MAX_ATTEMPTS, else 5 (mlstack's
				 default; the SDKs' standard mode has 3) */
};

/*
 * A client: resolves credentials (see docs/aws-client.md), the region and
 * the retry settings once. cfg may be NULL. Returns 0, or -1 with
 * ms_error() (no credentials, no region, bad settings). *out is the
 * caller's (ms_aws_free; NULL is fine).
 */
int ms_aws_new(struct ms_aws **out, const struct ms_aws_config *cfg);
void ms_aws_free(struct ms_aws *aws);
/* The client's region; borrowed. */
const char *ms_aws_region(const struct ms_aws *aws);

/* One HTTP request. Everything is borrowed for the duration of the call. */
struct ms_aws_request {
	const char *service;   /* signing name: "s3", "iam", "sts" ... */
	const char *operation; /* for messages and traces: "CreateBucket" */
	const char *method;    /* "GET", "PUT" ... */
	const char *path;      /* wire path, already URI-encoded; "/" if NULL */
	const char *query;     /* encoded "a=b&c=d" or NULL */
	const char *const *headers; /* "Name: value" ..., NULL-terminated */
	const void *body;
	size_t body_len;
	const char *region;    /* signing region; NULL: the client's */
};

struct ms_aws_response {
	long status;
	struct ms_buf body;
	char *request_id;
	char *error_code;    /* AWS error code on failure ("NoSuchEntity") */
	char *error_message;
	struct ms_buf headers; /* raw "name: value\r\n" lines */
};

void ms_aws_response_init(struct ms_aws_response *res);
void ms_aws_response_release(struct ms_aws_response *res);
/* A response header's value (case-insensitive name); *out is the caller's. */
int ms_aws_response_header(const struct ms_aws_response *res,
			   const char *name, char **out);

/*
 * Sign, send, retry (throttling, 5xx, resets, timeouts) and parse errors.
 * Returns 0 on a 2xx answer; otherwise -1 with ms_error() set to
 * "<Operation>: <Code>: <message> (request id <id>)" and res->error_code
 * filled so the caller can branch on it (res->status too). A transport
 * failure leaves error_code NULL.
 */
int ms_aws_send(struct ms_aws *aws, const struct ms_aws_request *req,
		struct ms_aws_response *res);

/*
 * Query protocol (IAM, STS). params is a flat JSON object of already
 * flattened names ("Tags.member.1.Key") to string values; *out is the
 * parsed XML answer (xmlFreeDoc it). Same errors as ms_aws_send.
 */
int ms_aws_query(struct ms_aws *aws, const char *service,
		 const char *version, const char *action,
		 const json_t *params, xmlDoc **out);

/*
 * Flatten a JSON list into Query params as the Query protocol does:
 * prefix.member.N for N from 1; an object element becomes
 * prefix.member.N.<Key> (keys sorted), nested lists .member.M again; an
 * empty list becomes "prefix" = "". Numbers and booleans are stringified,
 * nulls skipped.
 */
void ms_aws_query_list(json_t *params, const char *prefix,
		       const json_t *list);
/*
 * Tags (an object of key -> value) as Query params: prefix.member.N.Key
 * and prefix.member.N.Value, keys sorted. A list of {Key, Value} objects
 * is taken as it is.
 */
void ms_aws_query_tags(json_t *params, const char *prefix,
		       const json_t *tags);

/*
 * The text of the first element reached by a '/'-separated path of local
 * names below node (namespaces ignored), e.g. "GetRoleResult/Role/Arn";
 * NULL when absent. *out (when found) is the caller's.
 */
char *ms_xml_text(xmlNode *node, const char *path);
/* The element reached by path, or NULL; borrowed. */
xmlNode *ms_xml_find(xmlNode *node, const char *path);
/* The next sibling element named name after node (for <member> lists). */
xmlNode *ms_xml_next(xmlNode *node, const char *name);

/* URI-encode (unreserved kept; '/' too when keep_slash). */
void ms_aws_uri_encode(struct ms_buf *out, const char *s, size_t len,
		       int keep_slash);
/* Decode %XX (IAM policy documents come back URL-encoded). */
char *ms_aws_uri_decode(const char *s);

#endif
