/*
 * errors.c - what an AWS error answer says, and whether to try again.
 *
 * The error body is recognised by what it is, not by what the service
 * should send: emulators and proxies answer JSON services with XML
 * (signature and permission errors) and unimplemented calls with HTML,
 * and the answer must still become a clear error, never a success. The
 * retry rules are the SDKs' "standard" mode.
 */
#include "util/common.h"
#include "providers/aws/internal.h"

#include <strings.h>
#include <libxml/parser.h>

/* Standard mode's throttling codes (botocore retries/standard.py). */
static const char *const throttle_codes[] = {
	"Throttling",
	"ThrottlingException",
	"ThrottledException",
	"RequestThrottledException",
	"TooManyRequestsException",
	"ProvisionedThroughputExceededException",
	"TransactionInProgressException",
	"RequestLimitExceeded",
	"BandwidthLimitExceeded",
	"LimitExceededException",
	"RequestThrottled",
	"SlowDown",
	"PriorRequestNotComplete",
	"EC2ThrottledException",
};

static const char *const transient_codes[] = {
	"RequestTimeout",
	"RequestTimeoutException",
	"PriorRequestNotComplete",
};

static int in_list(const char *code, const char *const *list, size_t n)
{
	size_t i;

	if (!code)
		return 0;
	for (i = 0; i < n; i++)
		if (!strcmp(code, list[i]))
			return 1;
	return 0;
}

int ms_aws_retry_class(long status, const char *code)
{
	if (status >= 200 && status < 300)
		return MS_AWS_RETRY_NO;
	if (in_list(code, throttle_codes, MS_ARRAY_SIZE(throttle_codes)) ||
	    status == 429)
		return MS_AWS_RETRY_THROTTLE;
	if (in_list(code, transient_codes, MS_ARRAY_SIZE(transient_codes)) ||
	    status == 500 || status == 502 || status == 503 || status == 504)
		return MS_AWS_RETRY_TRANSIENT;
	return MS_AWS_RETRY_NO;
}

int ms_aws_retry_transport(int curl_code)
{
	switch (curl_code) {
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_CONNECT:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
		return MS_AWS_RETRY_TRANSIENT;
	default:
		return MS_AWS_RETRY_NO;
	}
}

double ms_aws_backoff(int attempt, double base, double r)
{
	double cap = base;
	int i;

	for (i = 1; i < attempt && cap < MS_AWS_MAX_BACKOFF; i++)
		cap *= 2;
	if (cap > MS_AWS_MAX_BACKOFF)
		cap = MS_AWS_MAX_BACKOFF;
	if (r < 0)
		r = 0;
	return r * cap;
}

char *ms_aws_header_value(const char *headers, const char *name)
{
	size_t n = strlen(name);
	const char *p = headers;

	while (p && *p) {
		const char *eol = strchr(p, '\n');
		const char *e = eol ? eol : p + strlen(p);

		if ((size_t)(e - p) > n && !strncasecmp(p, name, n) &&
		    p[n] == ':') {
			const char *v = p + n + 1;

			while (v < e && (*v == ' ' || *v == '\t'))
				v++;
			while (e > v &&
			       (e[-1] == '\r' || e[-1] == ' ' || e[-1] == '\t'))
				e--;
			return ms_strndup(v, (size_t)(e - v));
		}
		p = eol ? eol + 1 : NULL;
	}
	return NULL;
}

/* "aws.protocoltests#FooError:http://..." -> "FooError" */
static char *clean_code(const char *s)
{
	const char *colon = strchr(s, ':'), *hash;
	size_t n = colon ? (size_t)(colon - s) : strlen(s);
	char *c = ms_strndup(s, n);

	hash = strrchr(c, '#');
	if (hash) {
		char *t = ms_strdup(hash + 1);

		free(c);
		c = t;
	}
	return c;
}

static const char *status_code_name(long status)
{
	switch (status) {
	case 301:
		return "PermanentRedirect";
	case 304:
		return "NotModified";
	case 307:
		return "TemporaryRedirect";
	case 400:
		return "BadRequest";
	case 401:
		return "Unauthorized";
	case 403:
		return "Forbidden";
	case 404:
		return "NotFound";
	case 405:
		return "MethodNotAllowed";
	case 409:
		return "Conflict";
	case 411:
		return "LengthRequired";
	case 412:
		return "PreconditionFailed";
	case 413:
		return "RequestEntityTooLarge";
	case 416:
		return "InvalidRange";
	case 429:
		return "TooManyRequests";
	case 500:
		return "InternalServerError";
	case 501:
		return "NotImplemented";
	case 502:
		return "BadGateway";
	case 503:
		return "ServiceUnavailable";
	case 504:
		return "GatewayTimeout";
	default:
		return NULL;
	}
}

/* Printable one-line excerpt of untrusted text, at most max bytes. */
static char *excerpt(const char *s, size_t len, size_t max)
{
	struct ms_buf b = MS_BUF_INIT;
	size_t i;
	int space = 0;

	for (i = 0; i < len && b.len < max; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c == 0x7f) {
			space = b.len > 0;
			continue;
		}
		if (space)
			ms_buf_addch(&b, ' ');
		space = 0;
		ms_buf_addch(&b, (char)c);
	}
	if (i < len)
		ms_buf_adds(&b, "...");
	return ms_buf_detach(&b, NULL);
}

static int starts_with_ci(const char *s, const char *end, const char *prefix)
{
	size_t n = strlen(prefix);

	return (size_t)(end - s) >= n && !strncasecmp(s, prefix, n);
}

static char *html_message(const char *body, size_t len)
{
	const char *end = body + len, *t = NULL, *te = NULL, *p;
	char *title = NULL, *msg;

	for (p = body; p + 7 <= end; p++)
		if (!strncasecmp(p, "<title>", 7)) {
			t = p + 7;
			break;
		}
	for (p = t; t && p + 8 <= end; p++)
		if (!strncasecmp(p, "</title>", 8)) {
			te = p;
			break;
		}
	if (t && te)
		title = excerpt(t, (size_t)(te - t), 120);
	msg = ms_asprintf("the endpoint answered with an HTML page%s%s%s, "
			  "not an AWS answer (is this operation implemented "
			  "there?)",
			  title ? " (\"" : "", title ? title : "",
			  title ? "\")" : "");
	free(title);
	return msg;
}

static void parse_xml_error(char **code, char **message, char **request_id,
			    const char *body, size_t len)
{
	xmlDoc *doc = ms_aws_xml_parse(body, len);
	xmlNode *root = doc ? xmlDocGetRootElement(doc) : NULL;
	const char *name = root ? (const char *)root->name : "";
	xmlNode *err = NULL;

	/* Query: ErrorResponse/Error; EC2: Response/Errors/Error; S3: Error;
	 * moto's auth errors: ErrorResponse/Errors/Error */
	if (!strcmp(name, "Error"))
		err = root;
	else if (!strcmp(name, "ErrorResponse") || !strcmp(name, "Response"))
		err = ms_xml_find(root, "Error");
	if (!err && root &&
	    (!strcmp(name, "ErrorResponse") || !strcmp(name, "Response")))
		err = ms_xml_find(root, "Errors/Error");
	if (err) {
		*code = ms_xml_text(err, "Code");
		*message = ms_xml_text(err, "Message");
		if (!*request_id) {
			*request_id = ms_xml_text(err, "RequestId");
			if (!*request_id)
				*request_id = ms_xml_text(root, "RequestId");
			if (!*request_id)
				*request_id = ms_xml_text(root, "RequestID");
		}
		if (*code && !**code) {
			free(*code);
			*code = NULL;
		}
	} else {
		*message =
			doc ? ms_asprintf("unexpected XML answer <%s>", name) :
			      NULL;
	}
	if (doc)
		xmlFreeDoc(doc);
}

static void parse_json_error(char **code, char **message, const char *body,
			     size_t len)
{
	json_t *doc = json_loadb(body, len, 0, NULL);
	const char *c = NULL, *m = NULL;

	if (!json_is_object(doc)) {
		json_decref(doc);
		return;
	}
	c = json_string_value(json_object_get(doc, "__type"));
	if (!c)
		c = json_string_value(json_object_get(doc, "code"));
	if (!c)
		c = json_string_value(json_object_get(doc, "Code"));
	m = json_string_value(json_object_get(doc, "message"));
	if (!m)
		m = json_string_value(json_object_get(doc, "Message"));
	if (!m)
		m = json_string_value(json_object_get(doc, "errorMessage"));
	if (c && *c)
		*code = clean_code(c);
	if (m)
		*message = ms_strdup(m);
	json_decref(doc);
}

int ms_aws_parse_error(char **code, char **message, char **request_id,
		       const char *protocol, long status, const char *headers,
		       const char *body, size_t len)
{
	const char *p = body ? body : "", *end = p + (body ? len : 0);
	char *errtype = NULL;
	int rest_json = protocol && !strcmp(protocol, "rest-json");

	*code = *message = *request_id = NULL;
	*request_id = ms_aws_header_value(headers, "x-amzn-RequestId");
	if (!*request_id)
		*request_id = ms_aws_header_value(headers, "x-amz-request-id");
	errtype = ms_aws_header_value(headers, "x-amzn-ErrorType");
	if (errtype && (!*errtype || !strcmp(errtype, ":"))) {
		free(errtype);
		errtype = NULL;
	}
	if (rest_json && errtype)
		*code = clean_code(errtype);

	if ((size_t)(end - p) >= 3 && !memcmp(p, "\xef\xbb\xbf", 3))
		p += 3;
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
		p++;
	if (p < end && *p == '{') {
		char *c = NULL;

		parse_json_error(&c, message, p, (size_t)(end - p));
		if (!*code)
			*code = c;
		else
			free(c);
	} else if (starts_with_ci(p, end, "<!doctype html") ||
		   starts_with_ci(p, end, "<html")) {
		*message = html_message(p, (size_t)(end - p));
	} else if (p < end && *p == '<') {
		char *c = NULL;

		parse_xml_error(&c, message, request_id, p, (size_t)(end - p));
		if (!*code)
			*code = c;
		else
			free(c);
	} else if (p < end) {
		*message = excerpt(p, (size_t)(end - p), 200);
	}
	if (!*code && errtype)
		*code = clean_code(errtype);
	if (!*code) {
		const char *name = status_code_name(status);

		*code = name ? ms_strdup(name) : ms_asprintf("HTTP%ld", status);
	}
	if (*message && !**message) {
		free(*message);
		*message = NULL;
	}
	free(errtype);
	return 0;
}

void ms_aws_error_release(struct ms_aws_error *e)
{
	if (!e)
		return;
	free(e->code);
	free(e->message);
	e->code = NULL;
	e->message = NULL;
	e->status = 0;
}

bool ms_aws_error_is(const struct ms_aws_error *e, const char *code,
		     const char *message_part)
{
	if (!e || !e->code || strcmp(e->code, code))
		return false;
	if (!message_part)
		return true;
	return e->message && strstr(e->message, message_part);
}

void ms_aws_error_from(struct ms_aws_error *e,
		       const struct ms_aws_response *res)
{
	if (!e)
		return;
	ms_aws_error_release(e);
	e->status = res->status;
	e->code = res->error_code ? ms_strdup(res->error_code) : NULL;
	e->message = res->error_message ? ms_strdup(res->error_message) : NULL;
}
