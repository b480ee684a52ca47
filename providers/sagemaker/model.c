/*
 * model.c - aws_sagemaker_model: a SageMaker model (an inference image,
 * its model artifact and environment, and the role it runs as), over
 * JSON 1.1.
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
	  "the inference image (an ECR image URI)" },
	{ "model_data_url", MS_ATTR_STRING, 0, NULL, NULL,
	  "S3 URL of the model artifact (model.tar.gz)" },
	{ "environment", MS_ATTR_MAP, 0, NULL, NULL,
	  "environment variables of the container" },
	{ NULL, 0, 0, NULL, NULL, NULL },
};

static const struct ms_attr schema[] = {
	{ "name", MS_ATTR_STRING, MS_ATTR_OPTIONAL_COMPUTED | MS_ATTR_FORCE_NEW,
	  NULL, NULL,
	  "the model's name (default: <stack>-<resource>-<hash of the spec>)" },
	{ "execution_role_arn", MS_ATTR_STRING,
	  MS_ATTR_REQUIRED | MS_ATTR_FORCE_NEW, NULL, NULL,
	  "the IAM role SageMaker assumes to run the model" },
	{ "primary_container", MS_ATTR_OBJECT,
	  MS_ATTR_REQUIRED | MS_ATTR_FORCE_NEW, NULL, container_schema,
	  "the container that serves the model" },
	{ "tags", MS_ATTR_MAP, MS_ATTR_TAGS, "{}", NULL,
	  "tags (with the stack's default tags and its owner mark)" },
	{ "arn", MS_ATTR_STRING, MS_ATTR_COMPUTED, NULL, NULL, "the ARN" },
	{ "id", MS_ATTR_STRING, MS_ATTR_COMPUTED, NULL, NULL,
	  "the model's name" },
	{ NULL, 0, 0, NULL, NULL, NULL },
};

/* The attributes a user sets, in the order of the schema. */
static const char *const settable[] = {
	"name",
	"execution_role_arn",
	"primary_container",
	"tags",
};

/*
 * Canonical container: no nulls, environment values strings, an empty
 * environment or model_data_url dropped (SageMaker answers {} and "" for
 * what was never set).
 */
static void container_normalize(json_t *c)
{
	json_t *v, *env;
	const char *key;
	void *tmp;

	if (!json_is_object(c))
		return;
	json_object_foreach_safe(c, tmp, key, v)
		if (json_is_null(v))
			json_object_del(c, key);
	env = json_object_get(c, "environment");
	ms_sagemaker_strings_normalize(env);
	if (json_is_object(env) && !json_object_size(env))
		json_object_del(c, "environment");
	v = json_object_get(c, "model_data_url");
	if (json_is_string(v) && !json_string_length(v))
		json_object_del(c, "model_data_url");
}

int ms_sagemaker_model_normalize(json_t *attrs)
{
	container_normalize(json_object_get(attrs, "primary_container"));
	ms_sagemaker_strings_normalize(json_object_get(attrs, "tags"));
	return 0;
}

int ms_sagemaker_model_request(json_t **out, const json_t *attrs)
{
	const char *name = ms_sagemaker_str(attrs, "name", NULL);
	const char *role = ms_sagemaker_str(attrs, "execution_role_arn", NULL);
	const json_t *c = json_object_get(attrs, "primary_container");
	const json_t *env, *tags = json_object_get(attrs, "tags");
	const char *image, *url;
	json_t *body, *container;

	*out = NULL;
	if (!name)
		return ms_error("aws_sagemaker_model: no name");
	if (!role)
		return ms_error("model '%s': no execution_role_arn", name);
	image = ms_sagemaker_str(c, "image", NULL);
	if (!image)
		return ms_error("model '%s': primary_container: no image",
				name);
	container = json_pack("{s:s}", "Image", image);
	url = ms_sagemaker_str(c, "model_data_url", NULL);
	if (url && *url)
		json_object_set_new(container, "ModelDataUrl",
				    json_string(url));
	env = json_object_get(c, "environment");
	if (json_object_size(env))
		json_object_set(container, "Environment", (json_t *)env);
	body = json_pack("{s:s, s:s, s:o}", "ModelName", name,
			 "ExecutionRoleArn", role, "PrimaryContainer",
			 container);
	if (json_object_size(tags))
		json_object_set_new(body, "Tags", ms_sagemaker_tags_list(tags));
	*out = body;
	return 0;
}

int ms_sagemaker_model_attrs(json_t **out, const json_t *described,
			     const json_t *tags)
{
	const char *name = ms_sagemaker_str(described, "ModelName", NULL);
	const char *role =
		ms_sagemaker_str(described, "ExecutionRoleArn", NULL);
	const json_t *pc = json_object_get(described, "PrimaryContainer");
	const char *url;
	json_t *o, *c;

	*out = NULL;
	if (!name)
		return ms_error("DescribeModel: no ModelName in the answer");
	o = json_object();
	json_object_set_new(o, "name", json_string(name));
	json_object_set_new(o, "id", json_string(name));
	json_object_set_new(
		o, "arn",
		json_string(ms_sagemaker_str(described, "ModelArn", "")));
	if (role)
		json_object_set_new(o, "execution_role_arn", json_string(role));
	if (json_is_object(pc)) {
		c = json_object();
		json_object_set_new(
			c, "image",
			json_string(ms_sagemaker_str(pc, "Image", "")));
		url = ms_sagemaker_str(pc, "ModelDataUrl", NULL);
		if (url)
			json_object_set_new(c, "model_data_url",
					    json_string(url));
		if (json_is_object(json_object_get(pc, "Environment")))
			json_object_set_new(c, "environment",
					    json_deep_copy(json_object_get(
						    pc, "Environment")));
		json_object_set_new(o, "primary_container", c);
	}
	json_object_set_new(o, "tags",
			    tags ? json_deep_copy(tags) : json_object());
	ms_sagemaker_model_normalize(o);
	*out = o;
	return 0;
}

static int model_read(struct ms_call *call, const json_t *prior, json_t **out)
{
	const char *name = ms_sagemaker_name(prior);
	json_t *described = NULL, *tags = NULL;
	int err;

	*out = NULL;
	if (!name)
		return ms_error("aws_sagemaker_model: no name in the prior "
				"state");
	err = ms_sagemaker_describe(&described, call->aws, "DescribeModel",
				    "ModelName", name);
	if (err || !described)
		goto done;
	err = ms_sagemaker_tags_read(
		&tags, call->aws, ms_sagemaker_str(described, "ModelArn", ""));
	if (err)
		goto done;
	err = ms_sagemaker_model_attrs(out, described, tags);
done:
	json_decref(described);
	json_decref(tags);
	return err;
}

static const char *const compared[][2] = {
	{ "execution_role_arn", "differs" },
	{ "primary_container", "differs" },
};

static const struct ms_sagemaker_immutable model = {
	.noun = "model",
	.a_noun = "a model",
	.create = "CreateModel",
	.describe = "DescribeModel",
	.name_key = "ModelName",
	.arn_key = "ModelArn",
	.compared = compared,
	.n_compared = MS_ARRAY_SIZE(compared),
	.settable = settable,
	.n_settable = MS_ARRAY_SIZE(settable),
	.request = ms_sagemaker_model_request,
	.attrs = ms_sagemaker_model_attrs,
	.normalize = ms_sagemaker_model_normalize,
};

/* A name taken by the model desired adopts it (a retried CreateModel). */
static int model_create(struct ms_call *call, const json_t *desired,
			json_t **out)
{
	return ms_sagemaker_immutable_create(out, call, &model, desired);
}

/* Only tags change in place; everything else forces a new model. */
static int model_update(struct ms_call *call, const json_t *prior,
			const json_t *desired, json_t **out)
{
	return ms_sagemaker_immutable_update(out, call, &model, prior, desired);
}

static int model_delete(struct ms_call *call, const json_t *prior)
{
	const char *name = ms_sagemaker_name(prior);

	if (!name)
		return ms_error("aws_sagemaker_model: no name in the prior "
				"state");
	return ms_sagemaker_delete(NULL, call->aws, "DeleteModel", "ModelName",
				   name);
}

const struct ms_resource_type ms_aws_sagemaker_model = {
	.name = "aws_sagemaker_model",
	.schema = schema,
	.id_attr = "name",
	.auto_name = "name",
	.create_before_destroy = true,
	.read = model_read,
	.create = model_create,
	.update = model_update,
	.delete = model_delete,
	.normalize = ms_sagemaker_model_normalize,
};
