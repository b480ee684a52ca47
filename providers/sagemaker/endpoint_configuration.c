/*
 * endpoint_configuration.c - aws_sagemaker_endpoint_configuration: the
 * production variants an endpoint serves (which model, on which instance
 * type, how many instances, what share of the traffic).
 *
 * Like a model, an endpoint config cannot be changed once made: a new
 * spec is a new config under a new auto-generated name, created before
 * the old one is deleted, and the endpoint is updated in place to it.
 * SageMaker lets a config in use be deleted (the endpoint keeps running
 * on it); the engine deletes the old one only after the endpoint moved.
 * The order of the variants is kept as written; it is what SageMaker
 * keeps and shows.
 */
#include "util/common.h"
#include "providers/provider.h"
#include "providers/sagemaker/sagemaker.h"

static const struct ms_attr variant_schema[] = {
	{ "variant_name", MS_ATTR_STRING, MS_ATTR_REQUIRED, NULL, NULL,
	  "the variant's name (\"AllTraffic\")", "VariantName" },
	{ "model_name", MS_ATTR_STRING, MS_ATTR_REQUIRED, NULL, NULL,
	  "the model it serves", "ModelName" },
	{ "instance_type", MS_ATTR_STRING, MS_ATTR_REQUIRED, NULL, NULL,
	  "the instance type (ml.m5.large)", "InstanceType" },
	{ "initial_instance_count", MS_ATTR_NUMBER, 0, "1", NULL,
	  "instances to start with", "InitialInstanceCount" },
	{ "initial_variant_weight", MS_ATTR_NUMBER, 0, "1", NULL,
	  "its share of the traffic, relative to the other variants",
	  "InitialVariantWeight" },
	{ NULL },
};

static const struct ms_attr schema[] = {
	{ "name", MS_ATTR_STRING, MS_ATTR_OPTIONAL_COMPUTED | MS_ATTR_FORCE_NEW,
	  NULL, NULL,
	  "the config's name (default: `<stack>-<resource>-<hash>`)",
	  "EndpointConfigName" },
	{ "production_variants", MS_ATTR_LIST,
	  MS_ATTR_REQUIRED | MS_ATTR_FORCE_NEW, NULL, variant_schema,
	  "the models to serve, one variant each (1 to 10)",
	  "ProductionVariants", "variant_name" },
	{ "kms_key_arn", MS_ATTR_STRING, MS_ATTR_FORCE_NEW, NULL, NULL,
	  "the KMS key that encrypts the endpoint's storage volumes "
	  "(default: SageMaker's own)",
	  "KmsKeyId" },
	{ "tags", MS_ATTR_MAP, MS_ATTR_TAGS, "{}", NULL,
	  "tags (with the stack's default tags and its owner mark)", "Tags" },
	{ "arn", MS_ATTR_STRING, MS_ATTR_COMPUTED, NULL, NULL, "the ARN",
	  "|EndpointConfigArn" },
	{ "id", MS_ATTR_STRING, MS_ATTR_COMPUTED, NULL, NULL,
	  "the config's name" },
	{ MS_SAGEMAKER_LISTED_TIME, MS_ATTR_JSON,
	  MS_ATTR_COMPUTED | MS_ATTR_INTERNAL, NULL, NULL,
	  "CreationTime when last read, for refresh by listing",
	  "|CreationTime" },
	{ NULL },
};

#define MAX_VARIANTS 10

/* Variants with their defaults filled, numbers canonical and checked. */
static int config_normalize(json_t *attrs)
{
	json_t *list = json_object_get(attrs, "production_variants"), *v, *x;
	const char *key;
	char where[96];
	void *tmp;
	size_t i;
	int err = 0;

	ms_kit_strings(json_object_get(attrs, "tags"));
	if (json_is_null(json_object_get(attrs, "kms_key_arn")))
		json_object_del(attrs, "kms_key_arn");
	if (!json_is_array(list))
		return 0;
	if (!json_array_size(list) || json_array_size(list) > MAX_VARIANTS)
		return ms_error("production_variants: expected 1 to %d "
				"variants, got %zu",
				MAX_VARIANTS, json_array_size(list));
	json_array_foreach(list, i, v) {
		if (!json_is_object(v))
			continue;
		json_object_foreach_safe(v, tmp, key, x)
			if (json_is_null(x))
				json_object_del(v, key);
		if (!json_object_get(v, "initial_instance_count"))
			json_object_set_new(v, "initial_instance_count",
					    json_integer(1));
		if (!json_object_get(v, "initial_variant_weight"))
			json_object_set_new(v, "initial_variant_weight",
					    json_integer(1));
		snprintf(where, sizeof(where),
			 "production_variants[%zu].initial_instance_count", i);
		err = ms_kit_check_number(v, "initial_instance_count", where, 1,
					  INFINITY, true);
		snprintf(where, sizeof(where),
			 "production_variants[%zu].initial_variant_weight", i);
		if (!err)
			err = ms_kit_check_number(v, "initial_variant_weight",
						  where, 0, INFINITY, false);
		if (err)
			return err;
	}
	return 0;
}

static const char *const compared[] = { "production_variants", NULL };

static const struct ms_sagemaker_kind kind = {
	.noun = "endpoint config",
	.object = "EndpointConfig",
	.compared = compared,
	.list = "ListEndpointConfigs",
	.list_key = "EndpointConfigs",
	.tag_type = "sagemaker:endpoint-config",
};

const struct ms_resource_type ms_aws_sagemaker_endpoint_configuration = {
	.name = "aws_sagemaker_endpoint_configuration",
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
	.normalize = config_normalize,
	/* free: the endpoint that serves it is priced */
	.cost = ms_cost_free,
};
