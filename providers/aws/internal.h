/*
 * internal.h - the AWS client's insides, shared by the files of
 * providers/aws and its unit tests; providers use aws.h only.
 *
 * Everything that decides something (where credentials and endpoints come
 * from, what an error answer says, whether to retry, how long to wait) is
 * a plain function here, so that it can be tested without a network.
 */
#ifndef MS_AWS_INTERNAL_H
#define MS_AWS_INTERNAL_H

#include <pthread.h>
#include <curl/curl.h>

#include "providers/aws/aws.h"

/* mlstack's default number of attempts per request (first try included). */
#define MS_AWS_DEFAULT_MAX_ATTEMPTS 5
/* Backoff cap in seconds (standard retry mode). */
#define MS_AWS_MAX_BACKOFF 20.0
/* Response bodies above this are refused (a corrupt or hostile answer). */
#define MS_AWS_MAX_BODY    (64u << 20)
#define MS_AWS_MAX_HEADERS (1u << 20)
#define MS_AWS_USER_AGENT  "mlstack/0.1"

/*
 * Resolved credentials. The strings are the struct's own; release wipes
 * them (OPENSSL_cleanse) before freeing. source says where they came from
 * ("environment", "/root/.aws/credentials [dev]") and is not secret.
 */
struct ms_aws_credentials {
	char *access_key_id;
	char *secret_access_key;
	char *session_token; /* NULL for long-term keys */
	char *source;
};

void ms_aws_credentials_release(struct ms_aws_credentials *c);

/*
 * The SDKs' chain: AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY /
 * AWS_SESSION_TOKEN; then the profile (AWS_PROFILE, else "default") in
 * the shared credentials file (AWS_SHARED_CREDENTIALS_FILE, else
 * ~/.aws/credentials, section [name]); then its credential_process; then
 * the config file (AWS_CONFIG_FILE, else ~/.aws/config, section
 * [profile name] or [default]). Returns 0, or -1 with ms_error() saying
 * where it looked.
 */
int ms_aws_credentials_resolve(struct ms_aws_credentials *out);

/*
 * The region: explicit (when not NULL or ""), AWS_REGION,
 * AWS_DEFAULT_REGION, then the profile's "region" in the config file.
 * *out is NULL (and 0 returned) when none is set anywhere; -1 with
 * ms_error() for a malformed region name.
 */
int ms_aws_region_resolve(char **out, const char *explicit_region);

/* Run a credential_process command and parse its JSON (Version 1). */
int ms_aws_credential_process(struct ms_aws_credentials *out,
			      const char *command, const char *profile);

/*
 * Where a service's requests go. url is scheme://host[:port] with no path;
 * base_path is "" or the path of a custom endpoint URL ("/prefix"), to be
 * put before every request path; host is the Host header value (port
 * only when not the scheme's default). signing_region is the region to
 * sign with.
 */
struct ms_aws_endpoint {
	char *url;
	char *base_path;
	char *host;
	char *signing_region;
	int custom; /* from AWS_ENDPOINT_URL[_<SERVICE>] */
};

/*
 * Default endpoint of service (signing name) in region, unless
 * AWS_ENDPOINT_URL_<SERVICE_ID> or AWS_ENDPOINT_URL says otherwise (both
 * ignored when AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true). IAM is always
 * signed for us-east-1 in the aws partition, custom endpoint or not.
 * Returns 0 or -1 with ms_error() (bad URL).
 */
int ms_aws_endpoint_resolve(struct ms_aws_endpoint *out, const char *service,
			    const char *region);
void ms_aws_endpoint_release(struct ms_aws_endpoint *ep);
/* The environment variable that overrides service's endpoint; static. */
const char *ms_aws_endpoint_env(const char *service, char *buf, size_t size);
/* The wire protocol of a service: "query", "ec2", "rest-xml", "json",
 * "rest-json"; static string. */
const char *ms_aws_service_protocol(const char *service);

/*
 * The AWS error in an answer: code, message and request id from the body
 * (Query ErrorResponse, EC2 Response/Errors, S3 Error, JSON __type /
 * code, rest-json x-amzn-ErrorType header) or, for answers without one
 * (HEAD, HTML pages, empty bodies), from the status ("NotFound" for 404,
 * "Forbidden" for 403 ...). headers is the raw header block (may be
 * NULL). *code is always set; *message and *request_id may be NULL. All
 * three are the caller's. Returns 0.
 */
int ms_aws_parse_error(char **code, char **message, char **request_id,
		       const char *protocol, long status, const char *headers,
		       const char *body, size_t len);

/* The value of a header in a raw "Name: value\r\n" block (case-insensitive
 * name), trimmed; NULL when absent. The caller frees it. */
char *ms_aws_header_value(const char *headers, const char *name);

/* Retry classes. */
enum {
	MS_AWS_RETRY_NO = 0,
	MS_AWS_RETRY_TRANSIENT,
	MS_AWS_RETRY_THROTTLE,
};

/* The retry class of an HTTP answer with that status and error code. */
int ms_aws_retry_class(long status, const char *code);
/* The retry class of a transport failure (a CURLcode). */
int ms_aws_retry_transport(int curl_code);

/*
 * Full-jitter backoff before attempt+1, after attempt (1-based) failed:
 * r * min(base * 2^(attempt-1), MS_AWS_MAX_BACKOFF) seconds, r in [0,1).
 */
double ms_aws_backoff(int attempt, double base, double r);

/* Form-encode a Query request: Action, Version, then params. */
int ms_aws_query_encode(struct ms_buf *out, const char *action,
			const char *version, const json_t *params);

/*
 * The answer of a 2xx response of the JSON protocols: *out is its JSON
 * object (the caller's), {} for an empty or blank body. Anything else is
 * an error naming operation and the HTTP status.
 */
int ms_aws_json_parse(json_t **out, const struct ms_aws_response *res,
		      const char *operation);

/* Parse an XML answer (no network, no external entities, no DTD). */
xmlDoc *ms_aws_xml_parse(const char *body, size_t len);

/* Retry quota (token bucket) of the standard retry mode. */
#define MS_AWS_QUOTA_CAPACITY     500
#define MS_AWS_RETRY_COST         5
#define MS_AWS_TIMEOUT_RETRY_COST 10

struct ms_aws {
	struct ms_aws_credentials creds;
	char *region;
	int max_attempts;
	double retry_base; /* seconds; MLSTACK_RETRY_BASE */
	char *ca_bundle;   /* AWS_CA_BUNDLE */

	CURLSH *share;
	pthread_mutex_t share_locks[CURL_LOCK_DATA_LAST];

	pthread_mutex_t pool_lock; /* guards pool, npool, quota */
	CURL **pool;
	size_t npool, pool_alloc;
	int quota;
};

#endif
