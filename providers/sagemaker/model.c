/*
 * model.c - aws_sagemaker_model: a SageMaker model (an inference image,
 * its model artifact and environment, and the role it runs as).
 *
 * A model cannot be changed once made, so every attribute but tags forces
 * a new one. Left without a name, it is named after a hash of its spec
 * (the engine's auto_name), and replaced create-before-destroy: the new
 * model exists before the endpoint config that uses it moves over, and
 * the old one goes last.
 */
#include "util/common.h"
#include "providers/provider.h"
#include "providers/sagemaker/sagemaker.h"

static const struct ms_attr container_schema[] = {
	{ "image", MS_ATTR_STRING, MS_ATTR_REQUIRED, NULL, NULL,
	  "the inference image (an ECR image URI)", "Image" },
	{ "model_data_url", MS_ATTR_STRING, 0, NULL, NULL,
	  "S3 URL of the model artifact (model.tar.gz)", "ModelDataUrl" },
	{ "environment", MS_ATTR_MAP, MS_ATTR_SENSITIVE, NULL, NULL,
	  "environment variables of the container (sensitive: never printed)",
	  "Environment" },
	{ NULL },
};

static const struct ms_attr schema[] = {
	{ "name", MS_ATTR_STRING, MS_ATTR_OPTIONAL_COMPUTED | MS_ATTR_FORCE_NEW,
	  NULL, NULL, "the model's name (default: `<stack>-<resource>-<hash>`)",
	  "ModelName" },
	{ "execution_role_arn", MS_ATTR_STRING,
	  MS_ATTR_REQUIRED | MS_ATTR_FORCE_NEW | MS_ATTR_ARN, NULL, NULL,
	  "the IAM role SageMaker assumes to run the model",
	  "ExecutionRoleArn" },
	{ "primary_container", MS_ATTR_OBJECT,
	  MS_ATTR_REQUIRED | MS_ATTR_FORCE_NEW, NULL, container_schema,
	  "the container that serves the model", "PrimaryContainer" },
	{ "tags", MS_ATTR_MAP, MS_ATTR_TAGS, "{}", NULL,
	  "tags (with the stack's default tags and its owner mark)", "Tags" },
	{ "arn", MS_ATTR_STRING, MS_ATTR_COMPUTED, NULL, NULL, "the ARN",
	  "|ModelArn" },
	{ "id", MS_ATTR_STRING, MS_ATTR_COMPUTED, NULL, NULL,
	  "the model's name" },
	{ MS_SAGEMAKER_LISTED_TIME, MS_ATTR_JSON,
	  MS_ATTR_COMPUTED | MS_ATTR_INTERNAL, NULL, NULL,
	  "CreationTime when last read, for refresh by listing",
	  "|CreationTime" },
	{ NULL },
};

/*
 * Canonical container: environment values strings, an empty environment
 * or model_data_url dropped (SageMaker answers {} and "" for what was
 * never set).
 */
static int model_normalize(json_t *attrs)
{
	json_t *c = json_object_get(attrs, "primary_container"), *v;
	const char *key;
	void *tmp;

	ms_kit_strings(json_object_get(attrs, "tags"));
	if (!json_is_object(c))
		return 0;
	ms_kit_strings(json_object_get(c, "environment"));
	json_object_foreach_safe(c, tmp, key, v)
		if (json_is_null(v) ||
		    (json_is_string(v) && !json_string_length(v)) ||
		    (json_is_object(v) && !json_object_size(v)))
			json_object_del(c, key);
	return 0;
}

static const char *const compared[] = { "execution_role_arn",
					"primary_container", NULL };

static const struct ms_sagemaker_kind kind = {
	.noun = "model",
	.object = "Model",
	.compared = compared,
	.list = "ListModels",
	.list_key = "Models",
	.tag_type = "sagemaker:model",
};

const struct ms_resource_type ms_aws_sagemaker_model = {
	.name = "aws_sagemaker_model",
	.schema = schema,
	.id_attr = "name",
	.name_min = 1,
	.name_max = 63,
	.name_chars = "a-zA-Z0-9-",
	.name_ends = "a-zA-Z0-9",
	.auto_name = "name",
	.create_before_destroy = true,
	.kind = &kind,
	.read_many = ms_sagemaker_read_many,
	.read = ms_sagemaker_read,
	.create = ms_sagemaker_create,
	.update = ms_sagemaker_update_tags,
	.delete = ms_sagemaker_delete,
	.normalize = model_normalize,
	/* free: the endpoint that serves it is priced */
	.cost = ms_cost_free,
};
