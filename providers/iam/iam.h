/*
 * iam.h - what the IAM resource types share: Query calls that can tell
 * one AWS error code from another, and policy documents in the canonical
 * form that diffs compare.
 *
 * A policy document is canonical when it is a JSON object whose keys are
 * sorted at every depth. Values are never rewritten: a one-element list
 * and a scalar ("Action": ["s3:*"] and "Action": "s3:*") stay different,
 * because IAM keeps them as written.
 */
#ifndef MS_IAM_H
#define MS_IAM_H

#include <jansson.h>
#include <stdbool.h>
#include <libxml/tree.h>

struct ms_aws;

#define MS_IAM_VERSION "2010-05-08"

/*
 * One IAM Query call. *out (when out is not NULL) is the parsed answer,
 * the caller's to xmlFreeDoc. Returns 0, or the negative code of
 * ms_aws_query with ms_error() set; ms_iam_failed_with() then tells the
 * AWS error code.
 */
int ms_iam_query(xmlDoc **out, struct ms_aws *aws, const char *action,
		 const json_t *params);

/*
 * Whether the last failure on this thread was action answering the AWS
 * error code (ms_aws_query reports "<Action>: <Code>: <message> ...").
 */
bool ms_iam_failed_with(const char *action, const char *code);

/*
 * *out = the canonical form of doc: an object (copied with keys sorted at
 * every depth) or a JSON string holding one (parsed). Anything else that is
 * not a string is copied as it is (an unknown value, say), so normalizing
 * never loses a value. -1 with ms_error() on a string that is not a JSON
 * object; what names the attribute for the message.
 */
int ms_iam_policy_canonical(json_t **out, const json_t *doc, const char *what);

/*
 * *out = the compact JSON text IAM is sent (sorted keys, no spaces);
 * the caller frees it with free().
 */
int ms_iam_policy_text(char **out, const json_t *doc, const char *what);

/*
 * *out = the canonical object of a policy document as IAM returns it:
 * URL-encoded (RFC 3986) JSON text.
 */
int ms_iam_policy_decode(json_t **out, const char *encoded, const char *what);

/*
 * Sort the strings of list in place and drop duplicates; other values
 * (unknowns) keep their order after the strings.
 */
void ms_iam_strings_normalize(json_t *list);

/*
 * Make every tag value a string (YAML gives numbers and booleans for
 * "version: 1"); IAM and S3 hold strings only. Other values are left alone.
 */
void ms_iam_tags_normalize(json_t *tags);

#endif
