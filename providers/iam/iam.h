/*
 * iam.h - the IAM service layer: Query calls answered as JSON (so that the
 * kit maps them like any other), "not found", paged lists, tags, and
 * policy documents in the canonical form that diffs compare.
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

#include "providers/aws/aws.h"
#include "providers/kit.h"

#define MS_IAM_VERSION "2010-05-08"

/*
 * One IAM call. params is a JSON request (lists and structures are
 * flattened as the Query protocol spells them); *out (when out is not
 * NULL) is the answer's <ActionResult> as JSON ({} when it has none).
 * error (may be NULL) says which AWS error a failure was.
 */
int ms_iam_call(json_t **out, struct ms_aws_error *error, struct ms_aws *aws,
		const char *action, const json_t *params);

/* Whether a failure said the entity does not exist (NoSuchEntity). */
bool ms_iam_not_found(const struct ms_aws_error *error);

/*
 * Every page of a Marker-paged list action: *out = the items under key
 * of every answer, in order. NoSuchEntity passes up as the failure it is.
 */
int ms_iam_list(json_t **out, struct ms_aws_error *error, struct ms_aws *aws,
		const char *action, const json_t *params, const char *key);
/*
 * The same, stopping after max_pages pages (0: every page), as a bulk
 * read's lists do (struct ms_call's list_pages).
 */
int ms_iam_list_upto(json_t **out, struct ms_aws_error *error,
		     struct ms_aws *aws, const char *action,
		     const json_t *params, const char *key, size_t max_pages);

/*
 * Bring the tags of entity (kind "Role": TagRole, UntagRole; named by
 * name_key = name) from have to want.
 */
int ms_iam_tags_update(struct ms_aws *aws, const char *kind,
		       const char *name_key, const char *name,
		       const json_t *have, const json_t *want);

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

#endif
