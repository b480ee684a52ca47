/*
 * lambda.h - the Lambda service layer (REST-JSON): calls on a function's
 * paths, the deterministic zip of its code, and the waits of Lambda's
 * own waiters (FunctionActiveV2, FunctionUpdatedV2).
 */
#ifndef MS_LAMBDA_H
#define MS_LAMBDA_H

#include <jansson.h>

#include "providers/aws/aws.h"
#include "providers/kit.h"
#include "util/buf.h"

/*
 * One call on function (a name or an ARN, encoded here) at
 * "/<version>/functions/<function><suffix>" (suffix "" or "/aliases/x");
 * query (encoded) and body may be NULL. function NULL: "/<version>/functions".
 */
int ms_lambda_call(json_t **out, struct ms_aws_error *error, struct ms_aws *aws,
		   const char *operation, const char *method,
		   const char *version, const char *function,
		   const char *suffix, const char *query, const json_t *body);

/*
 * The zip of a folder (every file, sorted, with fixed times and modes:
 * 0755 when executable, else 0644) or of one file, so that the same
 * sources give the same bytes on every machine. *sha256 (45 bytes) is the
 * base64 of its SHA-256, Lambda's CodeSha256.
 */
int ms_lambda_zip(struct ms_buf *out, char sha256[45], const char *path);

/*
 * Wait until function's State is Active and its LastUpdateStatus
 * Successful (Lambda's FunctionActiveV2 and FunctionUpdatedV2: GetFunction
 * every second, 300 times); a Failed one fails with its reason.
 */
int ms_lambda_wait(struct ms_call *call, const char *function);

/*
 * Whether function fn carries the owner mark of call's stack (any of its
 * resources): what lives under it (an alias, a provisioned concurrency
 * config, which have no tags of their own) is then this stack's.
 */
int ms_lambda_stack_owns(struct ms_call *call, const char *fn, bool *ours);

/*
 * "<function>:<qualifier>" of attrs (function_name and key), or parsed
 * back from an id: *fn and *qualifier are the caller's. -1 with ms_error()
 * when neither is there.
 */
int ms_lambda_qualified(const json_t *attrs, const char *key, char **fn,
			char **qualifier);

#endif
