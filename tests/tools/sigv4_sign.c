/*
 * sigv4_sign - mlstack's SigV4 signer on the command line, for tests that
 * hold it against another implementation (botocore).
 *
 * Reads one JSON object per line on stdin and prints one JSON object per
 * line on stdout, in the same order:
 *
 *   in:  {"method": "GET", "path": "/a%20b", "query": "x=1&y=",
 *         (or "url": "https://host/a%20b?x=1&y=" instead of path/query)
 *         "headers": [["Host", "example.com"], ["X-Foo", " a  b "]],
 *         "body": "<base64>", "service": "s3", "region": "us-east-1",
 *         "access_key": "AKID...", "secret": "...", "token": "..." | null,
 *         "timestamp": "20150830T123600Z" (or seconds since the epoch)}
 *   out: {"canonical_request": ..., "string_to_sign": ...,
 *         "signed_headers": ..., "signature": ..., "authorization": ...,
 *         "add_headers": [["X-Amz-Date", ...], ...]}
 *        or {"error": "..."} for a request the signer refused.
 *
 * The flags are those mlstack's client uses (providers/aws/http.c):
 * MS_SIGV4_S3 for service "s3", none otherwise; "flags" (an integer of
 * MS_SIGV4_* bits) overrides them. Header lines reach the signer as
 * "Name:value", the value byte for byte. The secret is never printed;
 * the canonical request holds the session token when it was signed, as
 * it does inside mlstack (these are test credentials).
 *
 * Exit status: 0 when every line was read (refused requests included),
 * 1 on a line that is not a request object.
 */
#include "util/common.h"
#include "providers/aws/sigv4.h"

#include <jansson.h>

static int b64val(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+' || c == '-')
		return 62;
	if (c == '/' || c == '_')
		return 63;
	return -1;
}

/* Decode base64 (standard or URL alphabet, padding optional). */
static int b64_decode(struct ms_buf *out, const char *s)
{
	unsigned acc = 0;
	int bits = 0;

	for (; *s && *s != '='; s++) {
		int v = b64val((unsigned char)*s);

		if (v < 0)
			return ms_error("body: not base64");
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			ms_buf_addch(out, (char)((acc >> bits) & 0xff));
		}
	}
	return 0;
}

static const char *get_str(const json_t *req, const char *key)
{
	return json_string_value(json_object_get(req, key));
}

/* Split "scheme://host[:port]/path?query" into path and query. */
static void split_url(char **path, char **query, const char *url)
{
	const char *p = strstr(url, "://");
	const char *q;

	p = p ? strchr(p + 3, '/') : url;
	if (!p)
		p = "";
	q = strchr(p, '?');
	*path = q ? ms_strndup(p, (size_t)(q - p)) : ms_strdup(p);
	*query = q ? ms_strdup(q + 1) : NULL;
}

static json_t *pair(const char *name, const char *value)
{
	return json_pack("[ss]", name, value);
}

/* Sign one request; returns the answer object (never NULL). */
static json_t *sign_one(const json_t *in)
{
	struct ms_sigv4_result res;
	struct ms_sigv4_credentials creds = { NULL, NULL, NULL };
	struct ms_sigv4_request req;
	struct ms_sigv4_params p;
	struct ms_buf body = MS_BUF_INIT;
	const json_t *hdrs = json_object_get(in, "headers");
	const json_t *ts = json_object_get(in, "timestamp");
	const json_t *flags = json_object_get(in, "flags");
	char **lines = NULL, *path = NULL, *query = NULL;
	char date[17];
	json_t *out = NULL, *add;
	size_t n = 0, i;

	memset(&req, 0, sizeof(req));
	memset(&p, 0, sizeof(p));
	ms_sigv4_result_init(&res);

	if (get_str(in, "url")) {
		split_url(&path, &query, get_str(in, "url"));
	} else {
		path = get_str(in, "path") ? ms_strdup(get_str(in, "path")) :
					     NULL;
		query = get_str(in, "query") ? ms_strdup(get_str(in, "query")) :
					       NULL;
	}
	if (get_str(in, "body") && b64_decode(&body, get_str(in, "body")))
		goto fail;
	if (json_is_array(hdrs)) {
		n = json_array_size(hdrs);
		lines = ms_calloc(n + 1, sizeof(*lines));
		for (i = 0; i < n; i++) {
			const json_t *h = json_array_get(hdrs, i);
			const char *name = json_string_value(json_array_get(h, 0));
			const char *value = json_string_value(json_array_get(h, 1));

			if (json_is_string(h))
				lines[i] = ms_strdup(json_string_value(h));
			else if (name && value)
				lines[i] = ms_asprintf("%s:%s", name, value);
			else
				lines[i] = ms_strdup("");
		}
	}
	if (json_is_integer(ts))
		ms_sigv4_format_date(date, (time_t)json_integer_value(ts));
	else
		snprintf(date, sizeof(date), "%s",
			 json_string_value(ts) ? json_string_value(ts) : "");

	req.method = get_str(in, "method") ? get_str(in, "method") : "GET";
	req.path = path;
	req.query = query;
	req.headers = (const char *const *)lines;
	req.body = body.ptr;
	req.body_len = body.len;
	creds.access_key_id = get_str(in, "access_key");
	creds.secret_access_key = get_str(in, "secret");
	creds.session_token = get_str(in, "token");
	p.region = get_str(in, "region");
	p.service = get_str(in, "service");
	p.amz_date = date;
	if (!creds.access_key_id || !creds.secret_access_key || !p.region ||
	    !p.service) {
		ms_error("access_key, secret, region and service are required");
		goto fail;
	}
	if (json_is_integer(flags))
		p.flags = (unsigned)json_integer_value(flags);
	else if (!strcmp(p.service, "s3"))
		p.flags = MS_SIGV4_S3;

	if (ms_sigv4_sign(&res, &req, &creds, &p) < 0)
		goto fail;
	add = json_array();
	json_array_append_new(add, pair("X-Amz-Date", res.amz_date));
	if (res.content_sha256)
		json_array_append_new(
			add, pair("x-amz-content-sha256", res.payload_hash));
	json_array_append_new(add, pair("Authorization",
					res.authorization.ptr));
	out = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:o}",
			"canonical_request", res.canonical_request.ptr,
			"string_to_sign", res.string_to_sign.ptr,
			"signed_headers", res.signed_headers.ptr,
			"signature", res.signature,
			"authorization", res.authorization.ptr,
			"payload_hash", res.payload_hash,
			"add_headers", add);
	if (out)
		goto done;
	ms_error("cannot encode the answer as JSON (not UTF-8?)");
fail:
	out = json_pack("{s:s}", "error", ms_error_last());
done:
	for (i = 0; lines && i < n; i++)
		free(lines[i]);
	free(lines);
	free(path);
	free(query);
	ms_buf_release(&body);
	ms_sigv4_result_release(&res);
	return out;
}

int main(void)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	long lineno = 0;
	int rc = 0;

	while ((len = getline(&line, &cap, stdin)) >= 0) {
		json_error_t jerr;
		json_t *in, *out;
		char *text;

		lineno++;
		if (len == 0 || (len == 1 && line[0] == '\n'))
			continue;
		in = json_loadb(line, (size_t)len, 0, &jerr);
		if (!json_is_object(in)) {
			fprintf(stderr, "sigv4_sign: line %ld: %s\n", lineno,
				in ? "not an object" : jerr.text);
			json_decref(in);
			rc = 1;
			break;
		}
		out = sign_one(in);
		text = json_dumps(out, JSON_COMPACT | JSON_ENSURE_ASCII);
		if (!text)
			ms_die_oom();
		puts(text);
		free(text);
		json_decref(out);
		json_decref(in);
	}
	free(line);
	if (fflush(stdout)) {
		perror("sigv4_sign: stdout");
		rc = 1;
	}
	return rc;
}
