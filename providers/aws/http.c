/*
 * http.c - the AWS client: one per process, shared by every worker.
 * Signs, sends through libcurl, retries as the SDKs' standard mode, and
 * turns error answers into one-line messages.
 *
 * Connections: a CURL easy handle belongs to one thread at a time, so the
 * client keeps a mutex-protected free list of handles; a request takes
 * one and gives it back. All handles share one CURLSH (DNS and the
 * connection cache), so a connection opened by one worker is reused by
 * the next. TLS sessions are not shared: OpenSSL changes a session while
 * a handshake resumes it, so one session used by two threads at once is
 * a data race (ThreadSanitizer sees OPENSSL_sk_dup read what another
 * thread's OPENSSL_sk_free frees; later libcurl keeps sessions
 * serialized for that reason, Debian 12's 7.88 shares the object). Each
 * handle keeps its own session, resumed when its connection is made
 * again. Every attempt is signed afresh (new X-Amz-Date), and TLS
 * verification is never turned off: a private CA goes in AWS_CA_BUNDLE.
 */
#include "util/common.h"
#include "providers/aws/internal.h"
#include "providers/aws/sigv4.h"

#include <strings.h>
#include <time.h>
#include <libxml/parser.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#define CONNECT_TIMEOUT 10L /* seconds */
#define LOW_SPEED_TIME  60L /* abort when under 1 byte/s this long */
/*
 * Connections the shared pool keeps: at least one per worker (-parallelism
 * goes up to 256). libcurl's default of 5 closes a connection each time a
 * sixth is handed back, so more than 5 workers would reconnect for nearly
 * every request.
 */
#define MAX_CONNECTIONS 256L

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static CURLcode global_rc;

static void global_init(void)
{
	global_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
	xmlInitParser();
}

static void share_lock(CURL *h, curl_lock_data data, curl_lock_access access,
		       void *payload)
{
	struct ms_aws *aws = payload;

	pthread_mutex_lock(&aws->share_locks[data]);
}

static void share_unlock(CURL *h, curl_lock_data data, void *payload)
{
	struct ms_aws *aws = payload;

	pthread_mutex_unlock(&aws->share_locks[data]);
}

static int env_attempts(int *out)
{
	const char *v = getenv("AWS_MAX_ATTEMPTS");
	long n;

	*out = MS_AWS_DEFAULT_MAX_ATTEMPTS;
	if (!v || !*v)
		return 0;
	if (ms_parse_uint(v, &n) < 0 || n < 1 || n > 100)
		return ms_error("AWS_MAX_ATTEMPTS: '%s' is not a number "
				"from 1 to 100",
				v);
	*out = (int)n;
	return 0;
}

static int env_retry_base(double *out)
{
	const char *v = getenv("MLSTACK_RETRY_BASE");
	char *end;
	double d;

	*out = 1.0;
	if (!v || !*v)
		return 0;
	errno = 0;
	d = strtod(v, &end);
	if (errno || *end || !(d >= 0) || d > 60)
		return ms_error("MLSTACK_RETRY_BASE: '%s' is not a number of "
				"seconds from 0 to 60",
				v);
	*out = d;
	return 0;
}

int ms_aws_new(struct ms_aws **out, const struct ms_aws_config *cfg)
{
	struct ms_aws *aws;
	const char *ca;
	int err = 0;
	size_t i;

	*out = NULL;
	pthread_once(&global_once, global_init);
	if (global_rc != CURLE_OK)
		return ms_error("libcurl: %s", curl_easy_strerror(global_rc));
	aws = ms_calloc(1, sizeof(*aws));
	for (i = 0; i < MS_ARRAY_SIZE(aws->share_locks); i++)
		pthread_mutex_init(&aws->share_locks[i], NULL);
	pthread_mutex_init(&aws->pool_lock, NULL);
	aws->quota = MS_AWS_QUOTA_CAPACITY;

	err = ms_aws_credentials_resolve(&aws->creds);
	if (err)
		goto done;
	err = ms_aws_region_resolve(&aws->region, cfg ? cfg->region : NULL);
	if (err)
		goto done;
	if (!aws->region) {
		err = ms_error("no AWS region set (give region: in the stack, "
			       "or set AWS_REGION, AWS_DEFAULT_REGION or the "
			       "profile's region in the AWS config file)");
		goto done;
	}
	if (cfg && cfg->max_attempts > 0)
		aws->max_attempts = cfg->max_attempts;
	else if ((err = env_attempts(&aws->max_attempts)))
		goto done;
	err = env_retry_base(&aws->retry_base);
	if (err)
		goto done;
	ca = getenv("AWS_CA_BUNDLE");
	if (ca && *ca)
		aws->ca_bundle = ms_strdup(ca);

	aws->share = curl_share_init();
	if (!aws->share)
		ms_die_oom();
	curl_share_setopt(aws->share, CURLSHOPT_LOCKFUNC, share_lock);
	curl_share_setopt(aws->share, CURLSHOPT_UNLOCKFUNC, share_unlock);
	curl_share_setopt(aws->share, CURLSHOPT_USERDATA, aws);
	curl_share_setopt(aws->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
	curl_share_setopt(aws->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT);
	ms_log(MS_LOG_DEBUG, "aws",
	       "credentials from %s, region %s, %d attempts per request",
	       aws->creds.source, aws->region, aws->max_attempts);
done:
	if (err) {
		ms_aws_free(aws);
		return err;
	}
	*out = aws;
	return 0;
}

void ms_aws_free(struct ms_aws *aws)
{
	size_t i;

	if (!aws)
		return;
	for (i = 0; i < aws->npool; i++)
		curl_easy_cleanup(aws->pool[i]);
	free(aws->pool);
	if (aws->share)
		curl_share_cleanup(aws->share);
	for (i = 0; i < MS_ARRAY_SIZE(aws->share_locks); i++)
		pthread_mutex_destroy(&aws->share_locks[i]);
	pthread_mutex_destroy(&aws->pool_lock);
	ms_aws_credentials_release(&aws->creds);
	free(aws->region);
	free(aws->ca_bundle);
	free(aws);
}

const char *ms_aws_region(const struct ms_aws *aws)
{
	return aws ? aws->region : NULL;
}

static CURL *pool_get(struct ms_aws *aws)
{
	CURL *h = NULL;

	pthread_mutex_lock(&aws->pool_lock);
	if (aws->npool)
		h = aws->pool[--aws->npool];
	pthread_mutex_unlock(&aws->pool_lock);
	if (!h)
		h = curl_easy_init();
	if (!h)
		ms_die_oom();
	return h;
}

static void pool_put(struct ms_aws *aws, CURL *h)
{
	pthread_mutex_lock(&aws->pool_lock);
	if (aws->npool == aws->pool_alloc) {
		aws->pool_alloc = aws->pool_alloc ? aws->pool_alloc * 2 : 8;
		aws->pool = ms_realloc(aws->pool,
				       aws->pool_alloc * sizeof(*aws->pool));
	}
	aws->pool[aws->npool++] = h;
	pthread_mutex_unlock(&aws->pool_lock);
}

/* Take cost from the retry quota; 0 when the quota is spent. */
static int quota_take(struct ms_aws *aws, int cost)
{
	int ok;

	pthread_mutex_lock(&aws->pool_lock);
	ok = aws->quota >= cost;
	if (ok)
		aws->quota -= cost;
	pthread_mutex_unlock(&aws->pool_lock);
	return ok;
}

static void quota_refund(struct ms_aws *aws, int amount)
{
	pthread_mutex_lock(&aws->pool_lock);
	aws->quota += amount;
	if (aws->quota > MS_AWS_QUOTA_CAPACITY)
		aws->quota = MS_AWS_QUOTA_CAPACITY;
	pthread_mutex_unlock(&aws->pool_lock);
}

static double rand01(void)
{
	uint32_t r;

	if (RAND_bytes((unsigned char *)&r, sizeof(r)) != 1)
		return 0.5;
	return (double)r / 4294967296.0;
}

void ms_aws_response_init(struct ms_aws_response *res)
{
	memset(res, 0, sizeof(*res));
	ms_buf_init(&res->body, 0);
	ms_buf_init(&res->headers, 0);
}

static void response_clear_error(struct ms_aws_response *res)
{
	free(res->request_id);
	free(res->error_code);
	free(res->error_message);
	res->request_id = res->error_code = res->error_message = NULL;
}

void ms_aws_response_release(struct ms_aws_response *res)
{
	if (!res)
		return;
	response_clear_error(res);
	ms_buf_release(&res->body);
	ms_buf_release(&res->headers);
	ms_aws_response_init(res);
}

int ms_aws_response_header(const struct ms_aws_response *res, const char *name,
			   char **out)
{
	*out = ms_aws_header_value(res->headers.ptr, name);
	if (!*out)
		return ms_error_code(MS_ENOTFOUND,
				     "response has no '%s' header", name);
	return 0;
}

struct xfer {
	struct ms_aws_response *res;
	int too_big;
};

static size_t on_body(char *p, size_t size, size_t n, void *payload)
{
	struct xfer *x = payload;

	if (ms_buf_add(&x->res->body, p, size * n) < 0) {
		x->too_big = 1;
		return 0;
	}
	return size * n;
}

static size_t on_header(char *p, size_t size, size_t n, void *payload)
{
	struct xfer *x = payload;

	/* a status line starts the headers of a new (final) response */
	if (size * n >= 5 && !memcmp(p, "HTTP/", 5))
		ms_buf_reset(&x->res->headers);
	if (ms_buf_add(&x->res->headers, p, size * n) < 0) {
		x->too_big = 1;
		return 0;
	}
	return size * n;
}

static int has_header(const char *const *headers, const char *name)
{
	size_t n = strlen(name), i;

	for (i = 0; headers && headers[i]; i++)
		if (!strncasecmp(headers[i], name, n) && headers[i][n] == ':')
			return 1;
	return 0;
}

static void wipe_slist(struct curl_slist *l)
{
	struct curl_slist *p;

	for (p = l; p; p = p->next)
		OPENSSL_cleanse(p->data, strlen(p->data));
	curl_slist_free_all(l);
}

static struct curl_slist *append(struct curl_slist *l, const char *line)
{
	struct curl_slist *n = curl_slist_append(l, line);

	if (!n)
		ms_die_oom();
	return n;
}

/* Everything one request needs across its attempts. */
struct call {
	const struct ms_aws_request *req;
	const char *op;
	const char *protocol;
	struct ms_aws_endpoint ep;
	char *url;
	char *path;         /* as signed and sent: base path + req path */
	const char **lines; /* headers to sign */
	char *host_line;
	const char *content_type; /* a default, or NULL */
	unsigned flags;
};

static void trace_signing(const struct call *c,
			  const struct ms_sigv4_result *sig)
{
	struct ms_buf red = MS_BUF_INIT;

	if (!ms_log_enabled(MS_LOG_TRACE, "aws"))
		return;
	ms_sigv4_redact(&red, sig->canonical_request.ptr);
	ms_log_write("aws", "%s canonical request:\n%s", c->op, red.ptr);
	ms_log_write("aws", "%s string to sign:\n%s", c->op,
		     sig->string_to_sign.ptr);
	ms_buf_release(&red);
}

/*
 * One attempt: sign, perform. Returns the CURLcode; *too_big set when the
 * answer went past its cap. sign_err is set when signing failed.
 */
static CURLcode attempt_once(struct ms_aws *aws, CURL *h, struct call *c,
			     struct ms_aws_response *res, int *too_big,
			     char *errbuf, int *sign_err)
{
	const struct ms_aws_request *req = c->req;
	struct ms_sigv4_credentials creds = { aws->creds.access_key_id,
					      aws->creds.secret_access_key,
					      aws->creds.session_token };
	struct ms_sigv4_request sreq = { req->method, c->path,   req->query,
					 c->lines,    req->body, req->body_len };
	struct ms_sigv4_params p = { c->ep.signing_region, req->service, NULL,
				     c->flags };
	struct ms_sigv4_result sig;
	struct curl_slist *hl = NULL;
	struct ms_buf line = MS_BUF_INIT;
	struct xfer x = { res, 0 };
	char date[17];
	CURLcode rc = CURLE_OK;
	size_t i;

	*sign_err = 0;
	ms_sigv4_result_init(&sig);
	ms_sigv4_format_date(date, time(NULL));
	p.amz_date = date;
	if (ms_sigv4_sign(&sig, &sreq, &creds, &p) < 0) {
		*sign_err = 1;
		goto done;
	}
	trace_signing(c, &sig);

	for (i = 0; req->headers && req->headers[i]; i++) {
		const char *colon = strchr(req->headers[i], ':');
		const char *v = colon ? colon + 1 : "";

		while (*v == ' ' || *v == '\t')
			v++;
		ms_buf_reset(&line);
		if (colon && !*v) /* curl drops "Name:", sends "Name;" empty */
			ms_buf_addf(&line, "%.*s;",
				    (int)(colon - req->headers[i]),
				    req->headers[i]);
		else
			ms_buf_adds(&line, req->headers[i]);
		hl = append(hl, line.ptr);
	}
	if (c->host_line)
		hl = append(hl, c->host_line);
	if (c->content_type) {
		ms_buf_reset(&line);
		ms_buf_addf(&line, "Content-Type: %s", c->content_type);
		hl = append(hl, line.ptr);
	} else if (!has_header(req->headers, "content-type")) {
		hl = append(hl, "Content-Type:"); /* no curl default */
	}
	ms_buf_reset(&line);
	ms_buf_addf(&line, "X-Amz-Date: %s", sig.amz_date);
	hl = append(hl, line.ptr);
	if (creds.session_token && *creds.session_token) {
		ms_buf_reset(&line);
		ms_buf_addf(&line, "X-Amz-Security-Token: %s",
			    creds.session_token);
		hl = append(hl, line.ptr);
		OPENSSL_cleanse(line.ptr, line.len);
	}
	if (sig.content_sha256) {
		ms_buf_reset(&line);
		ms_buf_addf(&line, "x-amz-content-sha256: %s",
			    sig.payload_hash);
		hl = append(hl, line.ptr);
	}
	ms_buf_reset(&line);
	ms_buf_addf(&line, "Authorization: %s", sig.authorization.ptr);
	hl = append(hl, line.ptr);
	hl = append(hl, "Expect:");
	hl = append(hl, "Accept:");

	curl_easy_reset(h);
	curl_easy_setopt(h, CURLOPT_SHARE, aws->share);
	curl_easy_setopt(h, CURLOPT_MAXCONNECTS, MAX_CONNECTIONS);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_URL, c->url);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
	if (aws->ca_bundle)
		curl_easy_setopt(h, CURLOPT_CAINFO, aws->ca_bundle);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, CONNECT_TIMEOUT);
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, LOW_SPEED_TIME);
	curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(h, CURLOPT_USERAGENT, MS_AWS_USER_AGENT);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hl);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &x);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, &x);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	errbuf[0] = '\0';
	if (!strcmp(req->method, "GET")) {
		curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
	} else if (!strcmp(req->method, "HEAD")) {
		curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
	} else {
		if (strcmp(req->method, "POST"))
			curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, req->method);
		if (req->body_len || !strcmp(req->method, "POST") ||
		    !strcmp(req->method, "PUT") ||
		    !strcmp(req->method, "PATCH")) {
			/* sends Content-Length, never chunked */
			curl_easy_setopt(h, CURLOPT_POSTFIELDS,
					 req->body ? req->body : "");
			curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE,
					 (curl_off_t)req->body_len);
		}
	}

	rc = curl_easy_perform(h);
	*too_big = x.too_big;
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &res->status);
	/* nothing that points into this attempt stays in the handle */
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, NULL);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, NULL);
done:
	wipe_slist(hl);
	ms_buf_release(&line);
	ms_sigv4_result_release(&sig);
	return rc;
}

static void call_release(struct call *c)
{
	ms_aws_endpoint_release(&c->ep);
	free(c->url);
	free(c->path);
	free(c->lines);
	free(c->host_line);
}

static int call_prepare(struct ms_aws *aws, struct call *c,
			const struct ms_aws_request *req)
{
	const char *path = req->path && *req->path ? req->path : "/";
	const char *region = req->region ? req->region : aws->region;
	size_t n = 0, i;
	int err;

	memset(c, 0, sizeof(*c));
	c->req = req;
	c->op = req->operation ? req->operation : "request";
	c->protocol = ms_aws_service_protocol(req->service);
	if (!req->service || !req->method)
		return ms_error("%s: request without service or method", c->op);
	err = ms_aws_endpoint_resolve(&c->ep, req->service, region);
	if (err)
		return err;
	for (i = 0; req->headers && req->headers[i]; i++)
		if (strpbrk(req->headers[i], "\r\n"))
			return ms_error("%s: header with a line break", c->op);
	c->path = ms_asprintf("%s%s%s", c->ep.base_path,
			      path[0] == '/' ? "" : "/", path);
	c->url = ms_asprintf("%s%s%s%s", c->ep.url, c->path,
			     req->query && *req->query ? "?" : "",
			     req->query ? req->query : "");
	if (!strcmp(req->service, "s3"))
		c->flags = MS_SIGV4_S3;
	while (req->headers && req->headers[n])
		n++;
	c->lines = ms_calloc(n + 3, sizeof(*c->lines));
	for (i = 0; i < n; i++)
		c->lines[i] = req->headers[i];
	if (!has_header(req->headers, "host")) {
		c->host_line = ms_asprintf("Host: %s", c->ep.host);
		c->lines[n++] = c->host_line;
	}
	if (!has_header(req->headers, "content-type") && req->body_len) {
		c->content_type = "application/octet-stream";
		c->lines[n++] = "Content-Type: application/octet-stream";
	}
	c->lines[n] = NULL;
	return 0;
}

/*
 * Whether an error answer is a refusal for want of permission (a 403 with
 * the code of one; not a bad signature or expired keys, also 403s).
 */
static bool denied(const struct ms_aws_response *res)
{
	static const char *const codes[] = {
		"AccessDenied",
		"AccessDeniedException",
		"UnauthorizedOperation",
		NULL,
	};

	return res->status == 403 && ms_str_in(res->error_code, codes);
}

int ms_aws_send(struct ms_aws *aws, const struct ms_aws_request *req,
		struct ms_aws_response *res)
{
	struct call c;
	CURL *h = NULL;
	char errbuf[CURL_ERROR_SIZE];
	int attempt, cls = MS_AWS_RETRY_NO, taken = 0, err = 0;
	double t0;

	response_clear_error(res);
	err = call_prepare(aws, &c, req);
	if (err)
		goto done;
	if (!res->body.cap)
		res->body.cap = MS_AWS_MAX_BODY;
	if (!res->headers.cap)
		res->headers.cap = MS_AWS_MAX_HEADERS;
	h = pool_get(aws);
	for (attempt = 1;; attempt++) {
		int too_big = 0, sign_err = 0, cost = MS_AWS_RETRY_COST;
		CURLcode rc;
		double delay;

		response_clear_error(res);
		ms_buf_reset(&res->body);
		ms_buf_reset(&res->headers);
		res->status = 0;
		ms_log(MS_LOG_TRACE, "aws", "%s %s (%s, attempt %d of %d)",
		       req->method, c.url, c.op, attempt, aws->max_attempts);
		t0 = ms_now();
		rc = attempt_once(aws, h, &c, res, &too_big, errbuf, &sign_err);
		if (sign_err) {
			err = ms_error("%s: cannot sign: %s", c.op,
				       ms_error_last());
			goto done;
		}
		if (too_big) {
			err = ms_error("%s: answer larger than %zu bytes (%s)",
				       c.op, res->body.cap, c.url);
			goto done;
		}
		if (rc != CURLE_OK) {
			cls = ms_aws_retry_transport(rc);
			if (rc == CURLE_OPERATION_TIMEDOUT)
				cost = MS_AWS_TIMEOUT_RETRY_COST;
			err = ms_error("%s: %s (%s %s)", c.op,
				       errbuf[0] ? errbuf :
						   curl_easy_strerror(rc),
				       req->method, c.url);
			ms_log(MS_LOG_TRACE, "aws", "%s %s -> %s", req->method,
			       c.url, ms_error_last());
		} else {
			ms_log(MS_LOG_TRACE, "aws", "%s %s -> %ld (%.0f ms)",
			       req->method, c.url, res->status,
			       (ms_now() - t0) * 1000);
			if (res->status >= 200 && res->status < 300) {
				res->request_id = ms_aws_header_value(
					res->headers.ptr, "x-amzn-RequestId");
				if (!res->request_id)
					res->request_id = ms_aws_header_value(
						res->headers.ptr,
						"x-amz-request-id");
				quota_refund(aws, taken ? taken : 1);
				err = 0;
				goto done;
			}
			ms_aws_parse_error(&res->error_code,
					   &res->error_message,
					   &res->request_id, c.protocol,
					   res->status, res->headers.ptr,
					   res->body.ptr, res->body.len);
			cls = ms_aws_retry_class(res->status, res->error_code);
			if (res->error_message && res->request_id)
				err = ms_error("%s: %s: %s (request id %s)",
					       c.op, res->error_code,
					       res->error_message,
					       res->request_id);
			else if (res->error_message)
				err = ms_error("%s: %s: %s", c.op,
					       res->error_code,
					       res->error_message);
			else if (res->request_id)
				err = ms_error("%s: %s (request id %s)", c.op,
					       res->error_code,
					       res->request_id);
			else
				err = ms_error("%s: %s (HTTP %ld)", c.op,
					       res->error_code, res->status);
			if (denied(res))
				err = ms_error_code(MS_EDENIED, "%s",
						    ms_error_last());
		}
		if (cls == MS_AWS_RETRY_NO)
			goto done;
		if (attempt >= aws->max_attempts)
			goto gave_up;
		if (!quota_take(aws, cost)) {
			ms_log(MS_LOG_DEBUG, "aws",
			       "%s: retry quota spent, not retrying", c.op);
			goto gave_up;
		}
		taken += cost;
		delay = ms_aws_backoff(attempt, aws->retry_base, rand01());
		ms_log(MS_LOG_DEBUG, "aws",
		       "%s: %s; retrying in %.2fs (attempt %d of %d)", c.op,
		       res->error_code ? res->error_code : "transport error",
		       delay, attempt + 1, aws->max_attempts);
		ms_sleep(delay);
	}
gave_up:
	ms_log(MS_LOG_DEBUG, "aws", "%s: giving up after %d attempts", c.op,
	       attempt);
	if (cls == MS_AWS_RETRY_THROTTLE)
		err = ms_error_code(MS_ETHROTTLED, "%s", ms_error_last());
done:
	if (h)
		pool_put(aws, h);
	call_release(&c);
	return err;
}
