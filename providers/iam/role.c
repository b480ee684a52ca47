/*
 * role.c - aws_iam_role: an IAM role, its trust policy, attached managed
 * policies, inline policies and tags, over the Query protocol.
 */
#include "util/common.h"
#include "providers/provider.h"
#include "providers/aws/aws.h"

static const struct ms_attr schema[] = {
	{ "name", MS_ATTR_STRING, MS_ATTR_REQUIRED | MS_ATTR_FORCE_NEW, NULL,
	  NULL, "the role's name" },
	{ "assume_role_policy", MS_ATTR_JSON, MS_ATTR_REQUIRED, NULL, NULL,
	  "the trust policy (a YAML/JSON object or a JSON string)" },
	{ "path", MS_ATTR_STRING, MS_ATTR_FORCE_NEW, "\"/\"", NULL, "the path" },
	{ "description", MS_ATTR_STRING, 0, "\"\"", NULL, "a description" },
	{ "max_session_duration", MS_ATTR_NUMBER, 0, "3600", NULL,
	  "maximum session length in seconds" },
	{ "managed_policy_arns", MS_ATTR_LIST, 0, "[]", NULL,
	  "ARNs of managed policies attached to the role" },
	{ "inline_policies", MS_ATTR_JSON, 0, "{}", NULL,
	  "inline policies: name -> policy document" },
	{ "tags", MS_ATTR_MAP, 0, "{}", NULL, "tags" },
	{ "arn", MS_ATTR_STRING, MS_ATTR_COMPUTED, NULL, NULL, "the ARN" },
	{ "id", MS_ATTR_STRING, MS_ATTR_COMPUTED, NULL, NULL, "the role name" },
	{ "unique_id", MS_ATTR_STRING, MS_ATTR_COMPUTED, NULL, NULL,
	  "the stable role id (AROA...)" },
	{ NULL, 0, 0, NULL, NULL, NULL },
};

const struct ms_resource_type ms_aws_iam_role = {
	.name = "aws_iam_role",
	.schema = schema,
	.id_attr = "name",
};
