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
#include <stdbool.h>
#include <stddef.h>
#include <libxml/tree.h>

#include "util/buf.h"

struct ms_aws;
struct ms_call; /* providers/provider.h */

struct ms_aws_config {
	const char *region; /* NULL: AWS_REGION, AWS_DEFAULT_REGION, profile */
	int max_attempts;   /* 0: AWS_MAX_ATTEMPTS, else 5 (mlstack's
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
	const char *region; /* signing region; NULL: the client's */
};

struct ms_aws_response {
	long status;
	struct ms_buf body;
	char *request_id;
	char *error_code; /* AWS error code on failure ("NoSuchEntity") */
	char *error_message;
	struct ms_buf headers; /* raw "name: value\r\n" lines */
};

void ms_aws_response_init(struct ms_aws_response *res);
void ms_aws_response_release(struct ms_aws_response *res);
/* A response header's value (case-insensitive name); *out is the caller's. */
int ms_aws_response_header(const struct ms_aws_response *res, const char *name,
			   char **out);

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
 * The AWS error of a failed call, for callers that branch on it. status
 * is the HTTP status (0 when no answer came); code is AWS's error code
 * ("ValidationException") and message its message, both NULL on a
 * transport failure. The strings are the struct's own.
 */
struct ms_aws_error {
	long status;
	char *code;
	char *message;
};

#define MS_AWS_ERROR_INIT     \
	{                     \
		0, NULL, NULL \
	}

/* Free the strings of e and empty it; e may be NULL. */
void ms_aws_error_release(struct ms_aws_error *e);
/*
 * Whether e is the AWS error code, and (when message_part is not NULL)
 * its message holds message_part. False for a transport failure.
 */
bool ms_aws_error_is(const struct ms_aws_error *e, const char *code,
		     const char *message_part);
/* Fill e (may be NULL) from a failed response. */
void ms_aws_error_from(struct ms_aws_error *e,
		       const struct ms_aws_response *res);

/*
 * Query protocol (IAM, STS). params is a JSON object: scalars, and lists
 * and structures that are flattened as the SDKs' Query serialiser does
 * (Name.member.N, Name.Key); *out is the parsed XML answer (xmlFreeDoc
 * it). Same errors as ms_aws_send; error (may be NULL) says which AWS
 * error a failure was.
 */
int ms_aws_query_call(xmlDoc **out, struct ms_aws_error *error,
		      struct ms_aws *aws, const char *service,
		      const char *version, const char *action,
		      const json_t *params);
int ms_aws_query(struct ms_aws *aws, const char *service, const char *version,
		 const char *action, const json_t *params, xmlDoc **out);

/*
 * Flatten a JSON list into Query params as the Query protocol does:
 * prefix.member.N for N from 1; an object element becomes
 * prefix.member.N.<Key> (keys sorted), nested lists .member.M again; an
 * empty list becomes "prefix" = "". Numbers and booleans are stringified,
 * nulls skipped.
 */
void ms_aws_query_list(json_t *params, const char *prefix, const json_t *list);
/*
 * Tags (an object of key -> value) as Query params: prefix.member.N.Key
 * and prefix.member.N.Value, keys sorted. A list of {Key, Value} objects
 * is taken as it is.
 */
void ms_aws_query_tags(json_t *params, const char *prefix, const json_t *tags);

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
/*
 * An XML answer element as JSON, as the Query and EC2 parsers read it
 * without a model: an element of elements is an object (a name seen
 * twice: a list), one whose children are all <member> or <item> a list,
 * and a leaf its text. A new value.
 */
json_t *ms_xml_json(xmlNode *node);

/* URI-encode (unreserved kept; '/' too when keep_slash). */
void ms_aws_uri_encode(struct ms_buf *out, const char *s, size_t len,
		       int keep_slash);
/* Decode %XX (IAM policy documents come back URL-encoded). */
char *ms_aws_uri_decode(const char *s);

/*
 * JSON 1.1 protocol (SageMaker "SageMaker", Application Auto Scaling
 * "AnyScaleFrontendService"): POST / with Content-Type
 * application/x-amz-json-1.1 and X-Amz-Target <target_prefix>.<operation>.
 * body is a JSON object or NULL (sent as "{}"); borrowed. On success *out
 * (when out is not NULL) is the parsed answer, the caller's, and "{}" when
 * the answer is empty; a 2xx answer that is not a JSON object is an
 * error. Returns 0, or what ms_aws_send returns with ms_error() set to
 * "<Operation>: <Code>: <message> (request id <id>)".
 */
int ms_aws_json(struct ms_aws *aws, const char *service,
		const char *target_prefix, const char *operation,
		const json_t *body, json_t **out);

/*
 * ms_aws_json, and on failure *error (when not NULL) says which AWS error
 * it was. error is released first, so one struct serves several calls,
 * and is left empty on success. The message in ms_error() is the same as
 * ms_aws_json's.
 */
int ms_aws_json_call(json_t **out, struct ms_aws_error *error,
		     struct ms_aws *aws, const char *service,
		     const char *target_prefix, const char *operation,
		     const json_t *body);

/*
 * REST-JSON protocol (Lambda): the operation's method and path (already
 * URI-encoded: "/2015-03-31/functions/my%20fn"), an encoded query or
 * NULL, a JSON object body or none. *out is the answer ({} when empty).
 * Errors as ms_aws_json_call (the code from x-amzn-ErrorType).
 */
struct ms_aws_rest {
	const char *service;   /* signing name: "lambda" */
	const char *operation; /* "GetFunction", for messages */
	const char *method;
	const char *path;
	const char *query;
};

int ms_aws_rest_json_call(json_t **out, struct ms_aws_error *error,
			  struct ms_aws *aws, const struct ms_aws_rest *call,
			  const json_t *body);

/*
 * Waiting for a resource to reach a state, in the shape of the AWS SDK
 * waiters (botocore waiters-2.json): poll every delay seconds, at most
 * max_attempts times; a status in success ends the wait, a status in
 * failure fails it with the object's FailureReason; an AWS error code in
 * retryable is polled again, any other error fails the wait at once.
 */
enum ms_aws_wait_state {
	MS_AWS_WAIT_RETRY, /* keep polling */
	MS_AWS_WAIT_SUCCESS,
	MS_AWS_WAIT_FAILURE,
};

struct ms_aws_waiter {
	const char *what; /* "endpoint 'x'", first word of every message */
	double delay;     /* seconds between polls (MLSTACK_WAIT_DELAY
				overrides it) */
	int max_attempts; /* delay * max_attempts is the default deadline */
	const char *const *success;   /* statuses, NULL-terminated */
	const char *const *failure;   /* statuses, NULL-terminated */
	const char *const *retryable; /* AWS error codes, NULL-terminated;
					 may be NULL */
	enum ms_aws_wait_state gone;  /* what "the object is gone" means */
	double started; /* with call->timeout: ms_now() when the action
				began, so that several waits of one action
				share its deadline; 0: now */
};

/*
 * One poll's answer. The callback sets status (NULL: the object does not
 * exist) and reason (its FailureReason, or NULL), both malloc'd and taken
 * over by the waiter. A failed poll returns a negative code with ms_error()
 * set, and sets error_code (malloc'd) when AWS answered with an error.
 */
struct ms_aws_wait_poll {
	char *status;
	char *reason;
	char *error_code;
};

/*
 * The state a status (NULL: gone) puts waiter w in. Pure.
 */
enum ms_aws_wait_state ms_aws_wait_classify(const struct ms_aws_waiter *w,
					    const char *status);

/*
 * Poll until w's success or failure. Each change of status is reported
 * through ms_call_progress ("status: Creating"). The deadline is
 * call->timeout seconds (from w->started when given) when that is > 0,
 * else delay * max_attempts. *status (when status is not NULL) is the
 * last status seen, the caller's (NULL: gone or never read).
 * Returns 0 on success; -1 on a failure state ("endpoint 'x': Failed:
 * <reason>") or a gone object that is a failure; MS_ETIMEOUT past the
 * deadline ("endpoint 'x': still Creating after 20m0s (timeout)"); or
 * the poll's own error.
 */
int ms_aws_wait(char **status, struct ms_call *call,
		const struct ms_aws_waiter *w,
		int (*poll)(struct ms_aws_wait_poll *out, void *payload),
		void *payload);

/*
 * The seconds between polls: MLSTACK_WAIT_DELAY when set (seconds,
 * fractions allowed), else dflt. -1 with ms_error() on a malformed value.
 */
int ms_aws_wait_delay(double *out, double dflt);

/* "20m0s", "1h2m3s", "45s", "0.5s": a duration as messages print it. */
void ms_aws_duration(struct ms_buf *out, double seconds);

#endif
