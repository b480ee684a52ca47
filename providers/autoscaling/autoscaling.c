/*
 * autoscaling.c - the Application Auto Scaling service layer.
 */
#include "util/common.h"
#include "providers/autoscaling/autoscaling.h"

int ms_autoscaling_call(json_t **out, struct ms_aws_error *error,
			struct ms_aws *aws, const char *operation,
			const json_t *body)
{
	return ms_aws_json_call(out, error, aws, "application-autoscaling",
				"AnyScaleFrontendService", operation, body);
}

const char *ms_autoscaling_namespace_of(const char *resource_id)
{
	static const char *const forms[][2] = {
		{ "endpoint/", "sagemaker" },
		{ "inference-component/", "sagemaker" },
		{ "function:", "lambda" },
		{ "service/", "ecs" },
		{ "table/", "dynamodb" },
		{ "cluster:", "rds" },
	};
	size_t i;

	for (i = 0; resource_id && i < MS_ARRAY_SIZE(forms); i++)
		if (!strncmp(resource_id, forms[i][0], strlen(forms[i][0])))
			return forms[i][1];
	return NULL;
}

int ms_autoscaling_target(json_t **out, struct ms_aws *aws,
			  const char *namespace, const char *resource_id,
			  const char *dimension)
{
	json_t *body, *answer = NULL, *t;
	size_t i;
	int err;

	*out = NULL;
	body = json_pack("{s:s, s:[s]}", "ServiceNamespace", namespace,
			 "ResourceIds", resource_id);
	if (dimension)
		json_object_set_new(body, "ScalableDimension",
				    json_string(dimension));
	err = ms_autoscaling_call(&answer, NULL, aws, "DescribeScalableTargets",
				  body);
	json_array_foreach(
		err ? NULL : json_object_get(answer, "ScalableTargets"), i, t)
		if (!strcmp(ms_kit_str(t, "ResourceId", ""), resource_id) &&
		    !*out)
			*out = json_incref(t);
	json_decref(body);
	json_decref(answer);
	return err;
}

json_t *ms_autoscaling_tags(const json_t *map)
{
	return json_deep_copy(map);
}
