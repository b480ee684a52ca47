/*
 * bucket.c - aws_s3_bucket: an S3 bucket, its versioning, its public access
 * block (on by default) and its tags, over REST-XML.
 */
#include "util/common.h"
#include "providers/provider.h"
#include "providers/aws/aws.h"

static const struct ms_attr schema[] = {
	{ "bucket", MS_ATTR_STRING, MS_ATTR_REQUIRED | MS_ATTR_FORCE_NEW, NULL,
	  NULL, "the bucket's name" },
	{ "force_destroy", MS_ATTR_BOOL, 0, "false", NULL,
	  "empty the bucket (all objects and versions) before deleting it" },
	{ "versioning", MS_ATTR_BOOL, 0, "false", NULL,
	  "keep every version of every object" },
	{ "block_public_access", MS_ATTR_BOOL, 0, "true", NULL,
	  "turn on all four settings of the public access block" },
	{ "tags", MS_ATTR_MAP, 0, "{}", NULL, "tags" },
	{ "arn", MS_ATTR_STRING, MS_ATTR_COMPUTED, NULL, NULL, "the ARN" },
	{ "id", MS_ATTR_STRING, MS_ATTR_COMPUTED, NULL, NULL, "the bucket name" },
	{ "name", MS_ATTR_STRING, MS_ATTR_COMPUTED, NULL, NULL, "the bucket name" },
	{ "region", MS_ATTR_STRING, MS_ATTR_COMPUTED, NULL, NULL, "its region" },
	{ NULL, 0, 0, NULL, NULL, NULL },
};

const struct ms_resource_type ms_aws_s3_bucket = {
	.name = "aws_s3_bucket",
	.schema = schema,
	.id_attr = "bucket",
};
