/*
 * fuzz_aws_error.c - AWS error answers: what a failed call says (code,
 * message, request id from a Query, EC2 or S3 XML error, a JSON __type
 * or code, the x-amzn-ErrorType header, an HTML page or plain text) and
 * whether it is retried.
 *
 * The input is an answer as it comes off the wire, more or less:
 *
 *   PROTOCOL STATUS\n      (query, ec2, rest-xml, json, rest-json)
 *   Name: value\r\n ...    headers, up to an empty line
 *   body
 *
 * An input without that first line is a body alone, with no protocol
 * and status 0.
 */
#include "util/common.h"
#include "providers/aws/internal.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_setup();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size, *nl, *blank;
	char line[64] = "", protocol[16] = "", *headers = NULL;
	char *code, *message, *rid, *v;
	struct ms_aws_error e = MS_AWS_ERROR_INIT;
	struct ms_aws_response res;
	long status = 0;

	nl = memchr(p, '\n', size);
	if (nl && (size_t)(nl - p) < sizeof(line))
		memcpy(line, p, (size_t)(nl - p));
	if (sscanf(line, "%15[a-z-] %ld", protocol, &status) == 2) {
		p = nl + 1;
		blank = memmem(p, (size_t)(end - p), "\r\n\r\n", 4);
		if (end - p >= 2 && !memcmp(p, "\r\n", 2)) {
			headers = ms_strdup(""); /* none */
			p += 2;
		} else if (blank) {
			headers = ms_strndup(p, (size_t)(blank + 2 - p));
			p = blank + 4;
		}
	} else {
		protocol[0] = '\0';
		status = 0;
	}
	ms_aws_parse_error(&code, &message, &rid, *protocol ? protocol : NULL,
			   status, headers, p, (size_t)(end - p));
	ms_aws_retry_class(status, code);

	/* as ms_aws_send leaves it for the callers that branch on it */
	ms_aws_response_init(&res);
	res.status = status;
	res.error_code = code;
	res.error_message = message;
	res.request_id = rid;
	if (headers)
		ms_buf_adds(&res.headers, headers);
	if (!ms_aws_response_header(&res, "x-amzn-RequestId", &v))
		free(v);
	ms_aws_error_from(&e, &res);
	ms_aws_error_is(&e, "ValidationException", "Could not find");
	ms_aws_error_release(&e);
	ms_aws_response_release(&res);
	free(headers);
	ms_error_clear();
	return 0;
}
