/*
 * lint_s3.c - the S3 rules: a bucket whose public access block is off,
 * a bucket without versioning.
 *
 * Encryption has no rule: since January 2023 S3 encrypts every object
 * it stores (SSE-S3, AES-256) and no bucket setting turns that off, so
 * no stack can leave a bucket unencrypted (docs/lint.md).
 */
#include "util/common.h"
#include "engine/lint_internal.h"

#define BUCKET "aws_s3_bucket"

static const struct ms_lint_rule rules[] = {
	{ "MLS-S3-001", BUCKET, MS_LINT_HIGH,
	  "bucket without its public access block",
	  "without the block a bucket policy or an ACL can make the "
	  "bucket's objects (the dataset, the model artifacts) readable by "
	  "anyone on the internet, by mistake or by a compromised role",
	  "block_public_access: true (the default)", "CKV2_AWS_6" },
	{ "MLS-S3-002", BUCKET, MS_LINT_MEDIUM, "bucket without versioning",
	  "an object overwritten or deleted (a dataset re-uploaded by "
	  "mistake, a model artifact replaced) is gone for good; with "
	  "versioning the previous version stays and can be restored",
	  "versioning: true", "CKV_AWS_21" },
	{ NULL },
};

static void check(struct ms_lint *L, const struct ms_lint_res *r)
{
	if (strcmp(r->r->type, BUCKET))
		return;
	if (ms_lint_bool(r->attrs, "block_public_access") == 0)
		ms_lint_report(L, r, "MLS-S3-001", "block_public_access", NULL,
			       NULL,
			       "its public access block is off: a policy or "
			       "an ACL can make it public");
	if (ms_lint_bool(r->attrs, "versioning") == 0)
		ms_lint_report(L, r, "MLS-S3-002", "versioning", NULL, NULL,
			       "versioning is %s: an overwritten or deleted "
			       "object cannot be restored",
			       ms_lint_written(r, "versioning") ? "off" :
								  "off (the "
								  "default)");
}

const struct ms_lint_group ms_lint_s3 = { rules, check };
