/*
 * sigv4.h - AWS Signature Version 4 (header-signed requests), step by step.
 *
 * Each step of the algorithm is a function of its own, so that tests can
 * hold every intermediate value against the published examples: canonical
 * URI, canonical query, canonical headers, canonical request, string to
 * sign, derived keys, signature, Authorization header. ms_sigv4_sign runs
 * them all.
 *
 * Nothing here does I/O or reads the clock: the caller passes the request
 * time, which keeps the steps pure and testable.
 */
#ifndef MS_SIGV4_H
#define MS_SIGV4_H

#include <stddef.h>
#include <time.h>

#include "util/buf.h"

/* Hex SHA-256 of an empty payload. */
#define MS_SIGV4_EMPTY_SHA256 \
	"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

/* Flags of struct ms_sigv4_params. */
#define MS_SIGV4_NO_NORMALIZE 0x01 /* keep "." "..", "//" in the path (S3) */
#define MS_SIGV4_NO_ENCODE \
	0x02                         /* path is signed as sent, not encoded
				      again (S3: disableDoubleEncoding) */
#define MS_SIGV4_CONTENT_SHA256 0x04 /* send and sign x-amz-content-sha256 */
#define MS_SIGV4_OMIT_TOKEN     0x08 /* the token is sent but not signed */
#define MS_SIGV4_S3 \
	(MS_SIGV4_NO_NORMALIZE | MS_SIGV4_NO_ENCODE | MS_SIGV4_CONTENT_SHA256)

struct ms_sigv4_credentials {
	const char *access_key_id;
	const char *secret_access_key;
	const char *session_token; /* NULL for long-term keys */
};

/*
 * What is signed. headers are "Name: value" (or "Name:value") lines,
 * NULL-terminated; a value may span lines (folded header). Host must be
 * among them. Any X-Amz-Date or Authorization line is ignored: the signer
 * sets those itself. An x-amz-content-sha256 line, when present, is taken
 * as the payload hash ("UNSIGNED-PAYLOAD" ...).
 */
struct ms_sigv4_request {
	const char *method;
	const char *path;  /* as sent on the wire; "" or NULL means "/" */
	const char *query; /* as sent, without '?'; NULL when none */
	const char *const *headers;
	const void *body;
	size_t body_len;
};

struct ms_sigv4_params {
	const char *region;
	const char *service;  /* the signing name: "iam", "s3" ... */
	const char *amz_date; /* "20150830T123600Z" */
	unsigned flags;       /* MS_SIGV4_* */
};

/* The derived keys (kDate ... kSigning); wiped by the signer after use. */
struct ms_sigv4_keys {
	unsigned char date[32];
	unsigned char region[32];
	unsigned char service[32];
	unsigned char signing[32];
};

/*
 * Everything ms_sigv4_sign computed. The header values are those to add
 * to the request as sent: X-Amz-Date, x-amz-content-sha256 (only when
 * content_sha256 is set) and Authorization. Nothing in here is secret:
 * canonical_request may hold the session token when it was signed, so
 * redact it before tracing (ms_sigv4_redact).
 */
struct ms_sigv4_result {
	char amz_date[17];
	char payload_hash[65];
	int content_sha256; /* add "x-amz-content-sha256: payload_hash" */
	struct ms_buf canonical_request;
	struct ms_buf signed_headers; /* "host;x-amz-date" */
	struct ms_buf string_to_sign;
	char signature[65];
	struct ms_buf authorization; /* the header's value */
};

void ms_sigv4_result_init(struct ms_sigv4_result *res);
void ms_sigv4_result_release(struct ms_sigv4_result *res);

/* "YYYYMMDDTHHMMSSZ" of t in UTC. */
void ms_sigv4_format_date(char out[17], time_t t);

/* Lower-case hex of n bytes; out holds 2n+1 chars. */
void ms_sigv4_hex(char *out, const unsigned char *in, size_t n);
/* Hex SHA-256 of data. */
void ms_sigv4_sha256_hex(char out[65], const void *data, size_t len);
/* HMAC-SHA256 of data under key. */
void ms_sigv4_hmac(unsigned char out[32], const void *key, size_t key_len,
		   const void *data, size_t len);

/*
 * Canonical URI of a wire path. Without MS_SIGV4_NO_NORMALIZE, dot segments
 * and empty segments are removed first (botocore's remove_dot_segments).
 * Without MS_SIGV4_NO_ENCODE, the path is then URI-encoded (unreserved and
 * '/' kept), so an already encoded path is encoded twice, as AWS expects
 * for every service but S3.
 */
void ms_sigv4_canonical_uri(struct ms_buf *out, const char *path,
			    unsigned flags);

/*
 * Canonical query: split on '&' and '=', decode, encode again with the
 * unreserved set, sort by name then value (duplicates kept), "k=" for an
 * empty value. query NULL or "" gives "".
 */
void ms_sigv4_canonical_query(struct ms_buf *out, const char *query);

/*
 * Canonical headers ("name:value\n" each, sorted) and the signed header
 * list ("a;b;c") of header lines: names lower-cased, values trimmed with
 * inner whitespace runs collapsed, repeated names joined with ',' in order.
 * Headers that proxies change (user-agent, expect, connection ...),
 * tracing headers (x-amzn-trace-id, traceparent, tracestate, baggage) and
 * accept are never signed. Returns 0, or -1 with ms_error() on a line
 * without ':'.
 */
int ms_sigv4_canonical_headers(struct ms_buf *out, struct ms_buf *signed_out,
			       const char *const *headers);

/*
 * The canonical request of req signed at p: x-amz-date (and, as flags and
 * credentials say, x-amz-security-token and x-amz-content-sha256) are added
 * to the headers. *payload_hash is set to the hex hash of the body (or
 * the x-amz-content-sha256 value given). token may be NULL.
 * Returns 0 or -1 with ms_error().
 */
int ms_sigv4_canonical_request(struct ms_buf *out, struct ms_buf *signed_out,
			       char payload_hash[65],
			       const struct ms_sigv4_request *req,
			       const struct ms_sigv4_params *p,
			       const char *token);

/* "AWS4-HMAC-SHA256\n<date>\n<scope>\n<hex sha256 of creq>". */
void ms_sigv4_string_to_sign(struct ms_buf *out, const char *amz_date,
			     const char *region, const char *service,
			     const char *canonical_request);

/* kDate = HMAC("AWS4" secret, yyyymmdd) ... kSigning = HMAC(kService,
 * "aws4_request"). date8 is the first 8 characters of the amz date. */
void ms_sigv4_derive_keys(struct ms_sigv4_keys *out, const char *secret,
			  const char *date8, const char *region,
			  const char *service);

/* Hex HMAC(kSigning, string_to_sign). */
void ms_sigv4_signature(char out[65], const unsigned char signing_key[32],
			const char *string_to_sign);

/* "AWS4-HMAC-SHA256 Credential=AK/scope, SignedHeaders=..., Signature=...". */
void ms_sigv4_authorization(struct ms_buf *out, const char *access_key_id,
			    const char *amz_date, const char *region,
			    const char *service, const char *signed_headers,
			    const char *signature);

/*
 * All steps: fills *out (initialised by the caller with
 * ms_sigv4_result_init, released with ms_sigv4_result_release).
 * The secret and the derived keys never leave this call; they are wiped.
 * Returns 0 or -1 with ms_error().
 */
int ms_sigv4_sign(struct ms_sigv4_result *out,
		  const struct ms_sigv4_request *req,
		  const struct ms_sigv4_credentials *creds,
		  const struct ms_sigv4_params *p);

/*
 * A copy of a canonical request fit for traces: the value of an
 * x-amz-security-token line is replaced by "(redacted)".
 */
void ms_sigv4_redact(struct ms_buf *out, const char *canonical_request);

#endif
