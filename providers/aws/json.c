/*
 * json.c - the JSON 1.1 protocol (SageMaker, Application Auto Scaling):
 * every call is a POST to "/" naming its operation in X-Amz-Target, with
 * the input structure as the JSON body and the output structure as the
 * JSON answer.
 *
 * Signing, retries and error answers are ms_aws_send's; this file only
 * frames the request and checks the answer. An answer must be a JSON
 * object even when it says 2xx: an emulator or proxy that answers an
 * unknown operation with an HTML page must never pass for a success.
 */
#include "util/common.h"
#include "providers/aws/internal.h"

#define CONTENT_TYPE "Content-Type: application/x-amz-json-1.1"

int ms_aws_json_parse(json_t **out, const struct ms_aws_response *res,
		      const char *operation)
{
	json_error_t jerr;
	json_t *v;
	size_t i;

	*out = NULL;
	for (i = 0; i < res->body.len; i++)
		if (!strchr(" \t\r\n", res->body.ptr[i]))
			break;
	if (i == res->body.len) {
		*out = json_object();
		return 0;
	}
	v = json_loadb(res->body.ptr, res->body.len, 0, &jerr);
	if (!v)
		return ms_error("%s: the answer is not JSON (%s, HTTP %ld)",
				operation, jerr.text, res->status);
	if (!json_is_object(v)) {
		json_decref(v);
		return ms_error(
			"%s: the answer is not a JSON object (HTTP %ld)",
			operation, res->status);
	}
	*out = v;
	return 0;
}

/*
 * Send req with body (a JSON object, or none when NULL and empty_body is
 * not set), fill error on a failure, and give the answer's object: what
 * both JSON protocols do once their request is addressed.
 */
static int exchange(json_t **out, struct ms_aws_error *error,
		    struct ms_aws *aws, struct ms_aws_request *req,
		    const json_t *body, bool empty_body)
{
	struct ms_aws_response res;
	json_t *answer = NULL;
	char *text = NULL;
	int err;

	if (out)
		*out = NULL;
	ms_aws_error_release(error);
	ms_aws_response_init(&res);
	if (body && !json_is_object(body)) {
		err = ms_error("%s: the request body must be a JSON object",
			       req->operation);
		goto done;
	}
	if (body || empty_body) {
		text = body ? json_dumps(body, JSON_COMPACT) : ms_strdup("{}");
		if (!text) {
			err = ms_error("%s: cannot encode the request",
				       req->operation);
			goto done;
		}
		req->body = text;
		req->body_len = strlen(text);
	}
	err = ms_aws_send(aws, req, &res);
	if (err) {
		ms_aws_error_from(error, &res);
		goto done;
	}
	err = ms_aws_json_parse(&answer, &res, req->operation);
	if (!err && out) {
		*out = answer;
		answer = NULL;
	}
done:
	json_decref(answer);
	free(text);
	ms_aws_response_release(&res);
	return err;
}

int ms_aws_json_call(json_t **out, struct ms_aws_error *error,
		     struct ms_aws *aws, const char *service,
		     const char *target_prefix, const char *operation,
		     const json_t *body)
{
	struct ms_aws_request req;
	struct ms_buf target = MS_BUF_INIT;
	const char *headers[3];
	int err;

	ms_buf_addf(&target, "X-Amz-Target: %s.%s", target_prefix, operation);
	headers[0] = CONTENT_TYPE;
	headers[1] = target.ptr;
	headers[2] = NULL;
	memset(&req, 0, sizeof(req));
	req.service = service;
	req.operation = operation;
	req.method = "POST";
	req.path = "/";
	req.headers = headers;
	err = exchange(out, error, aws, &req, body, true);
	ms_buf_release(&target);
	return err;
}

int ms_aws_json(struct ms_aws *aws, const char *service,
		const char *target_prefix, const char *operation,
		const json_t *body, json_t **out)
{
	return ms_aws_json_call(out, NULL, aws, service, target_prefix,
				operation, body);
}

int ms_aws_rest_json_call(json_t **out, struct ms_aws_error *error,
			  struct ms_aws *aws, const struct ms_aws_rest *call,
			  const json_t *body)
{
	static const char *const headers[] = {
		"Content-Type: application/json",
		NULL,
	};
	struct ms_aws_request req;

	memset(&req, 0, sizeof(req));
	req.service = call->service;
	req.operation = call->operation;
	req.method = call->method;
	req.path = call->path;
	req.query = call->query;
	if (body)
		req.headers = headers;
	return exchange(out, error, aws, &req, body, false);
}
