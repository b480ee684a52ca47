/*
 * endpoint_configuration.c - aws_sagemaker_endpoint_configuration: the
 * production variants an endpoint serves (which model, on which instance
 * type, how many instances, what share of the traffic), over JSON 1.1.
 *
 * Like a model, an endpoint config cannot be changed once made: a new
 * spec is a new config under a new auto-generated name, created before
 * the old one is deleted, and the endpoint is updated in place to it.
 * The order of the variants is kept as written; it is what SageMaker
 * keeps and shows.
 */
#include "util/common.h"
#include "providers/provider.h"
#include "providers/sagemaker/sagemaker.h"

static const struct ms_attr variant_schema[] = {
	{ "variant_name", MS_ATTR_STRING, MS_ATTR_REQUIRED, NULL, NULL,
	  "the variant's name (\"AllTraffic\")" },
	{ "model_name", MS_ATTR_STRING, MS_ATTR_REQUIRED, NULL, NULL,
	  "the model it serves" },
	{ "instance_type", MS_ATTR_STRING, MS_ATTR_REQUIRED, NULL, NULL,
	  "the instance type (ml.m5.large)" },
	{ "initial_instance_count", MS_ATTR_NUMBER, 0, "1", NULL,
	  "instances to start with" },
	{ "initial_variant_weight", MS_ATTR_NUMBER, 0, "1", NULL,
	  "its share of the traffic, relative to the other variants" },
	{ NULL, 0, 0, NULL, NULL, NULL },
};

static const struct ms_attr schema[] = {
	{ "name", MS_ATTR_STRING, MS_ATTR_OPTIONAL_COMPUTED | MS_ATTR_FORCE_NEW,
	  NULL, NULL,
	  "the config's name (default: <stack>-<resource>-<hash of the "
	  "spec>)" },
	{ "production_variants", MS_ATTR_LIST,
	  MS_ATTR_REQUIRED | MS_ATTR_FORCE_NEW, NULL, variant_schema,
	  "the models to serve, one variant each (1 to 10)" },
	{ "tags", MS_ATTR_MAP, MS_ATTR_TAGS, "{}", NULL,
	  "tags (with the stack's default tags and its owner mark)" },
	{ "arn", MS_ATTR_STRING, MS_ATTR_COMPUTED, NULL, NULL, "the ARN" },
	{ "id", MS_ATTR_STRING, MS_ATTR_COMPUTED, NULL, NULL,
	  "the config's name" },
	{ NULL, 0, 0, NULL, NULL, NULL },
};

static const char *const settable[] = {
	"name",
	"production_variants",
	"tags",
};

#define MAX_VARIANTS 10

/* A number attribute of variant i, defaulted, canonical and checked. */
static int variant_number(json_t *v, size_t i, const char *key, json_int_t dflt,
			  double min, bool whole)
{
	json_t *n = json_object_get(v, key), *canon;
	double d;

	if (!n || json_is_null(n)) {
		json_object_set_new(v, key, json_integer(dflt));
		return 0;
	}
	if (!json_is_number(n))
		return 0; /* an unknown, or a type the schema check reports */
	canon = ms_sagemaker_number(n);
	d = json_number_value(canon);
	if ((whole && !json_is_integer(canon)) || d < min) {
		json_decref(canon);
		return ms_error("production_variants[%zu].%s: expected %s of "
				"at least %g",
				i, key, whole ? "a whole number" : "a number",
				min);
	}
	json_object_set_new(v, key, canon);
	return 0;
}

int ms_sagemaker_endpoint_config_normalize(json_t *attrs)
{
	json_t *list = json_object_get(attrs, "production_variants"), *v, *x;
	const char *key;
	void *tmp;
	size_t i;
	int err;

	ms_sagemaker_strings_normalize(json_object_get(attrs, "tags"));
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
		err = variant_number(v, i, "initial_instance_count", 1, 1,
				     true);
		if (!err)
			err = variant_number(v, i, "initial_variant_weight", 1,
					     0, false);
		if (err)
			return err;
	}
	return 0;
}

int ms_sagemaker_endpoint_config_request(json_t **out, const json_t *attrs)
{
	const char *name = ms_sagemaker_str(attrs, "name", NULL);
	const json_t *list = json_object_get(attrs, "production_variants");
	const json_t *tags = json_object_get(attrs, "tags");
	json_t *copy = NULL, *variants = NULL, *body = NULL, *v, *w;
	static const char *const required[] = {
		"variant_name",
		"model_name",
		"instance_type",
	};
	size_t i, k;
	int err;

	*out = NULL;
	if (!name)
		return ms_error(
			"aws_sagemaker_endpoint_configuration: no name");
	if (!json_is_array(list))
		return ms_error("endpoint config '%s': no production_variants",
				name);
	/* defaults and checks, without touching the caller's attributes */
	copy = json_pack("{s:O}", "production_variants", list);
	err = ms_sagemaker_endpoint_config_normalize(copy);
	if (err)
		goto done;
	variants = json_array();
	json_array_foreach(json_object_get(copy, "production_variants"), i, v) {
		for (k = 0; k < MS_ARRAY_SIZE(required); k++)
			if (!ms_sagemaker_str(v, required[k], NULL)) {
				err = ms_error("endpoint config '%s': "
					       "production_variants[%zu]: no "
					       "%s",
					       name, i, required[k]);
				goto done;
			}
		w = json_pack("{s:s, s:s, s:s, s:O, s:O}", "VariantName",
			      ms_sagemaker_str(v, "variant_name", NULL),
			      "ModelName",
			      ms_sagemaker_str(v, "model_name", NULL),
			      "InstanceType",
			      ms_sagemaker_str(v, "instance_type", NULL),
			      "InitialInstanceCount",
			      json_object_get(v, "initial_instance_count"),
			      "InitialVariantWeight",
			      json_object_get(v, "initial_variant_weight"));
		json_array_append_new(variants, w);
	}
	body = json_pack("{s:s, s:O}", "EndpointConfigName", name,
			 "ProductionVariants", variants);
	if (json_object_size(tags))
		json_object_set_new(body, "Tags", ms_sagemaker_tags_list(tags));
	*out = body;
done:
	json_decref(copy);
	json_decref(variants);
	return err;
}

int ms_sagemaker_endpoint_config_attrs(json_t **out, const json_t *described,
				       const json_t *tags)
{
	const char *name =
		ms_sagemaker_str(described, "EndpointConfigName", NULL);
	static const char *const keys[][2] = {
		{ "VariantName", "variant_name" },
		{ "ModelName", "model_name" },
		{ "InstanceType", "instance_type" },
		{ "InitialInstanceCount", "initial_instance_count" },
		{ "InitialVariantWeight", "initial_variant_weight" },
	};
	json_t *o, *list, *v, *w, *x;
	size_t i, k;
	int err;

	*out = NULL;
	if (!name)
		return ms_error("DescribeEndpointConfig: no EndpointConfigName "
				"in the answer");
	o = json_object();
	json_object_set_new(o, "name", json_string(name));
	json_object_set_new(o, "id", json_string(name));
	json_object_set_new(o, "arn",
			    json_string(ms_sagemaker_str(
				    described, "EndpointConfigArn", "")));
	list = json_array();
	json_array_foreach(json_object_get(described, "ProductionVariants"), i,
			   v) {
		w = json_object();
		for (k = 0; k < MS_ARRAY_SIZE(keys); k++) {
			x = json_object_get(v, keys[k][0]);
			if (x && !json_is_null(x))
				json_object_set(w, keys[k][1], x);
		}
		json_array_append_new(list, w);
	}
	json_object_set_new(o, "production_variants", list);
	json_object_set_new(o, "tags",
			    tags ? json_deep_copy(tags) : json_object());
	err = ms_sagemaker_endpoint_config_normalize(o);
	if (err) {
		json_decref(o);
		return err;
	}
	*out = o;
	return 0;
}

static int config_read(struct ms_call *call, const json_t *prior, json_t **out)
{
	const char *name = ms_sagemaker_name(prior);
	json_t *described = NULL, *tags = NULL;
	int err;

	*out = NULL;
	if (!name)
		return ms_error("aws_sagemaker_endpoint_configuration: no name "
				"in the prior state");
	err = ms_sagemaker_describe(&described, call->aws,
				    "DescribeEndpointConfig",
				    "EndpointConfigName", name);
	if (err || !described)
		goto done;
	err = ms_sagemaker_tags_read(&tags, call->aws,
				     ms_sagemaker_str(described,
						      "EndpointConfigArn", ""));
	if (err)
		goto done;
	err = ms_sagemaker_endpoint_config_attrs(out, described, tags);
done:
	json_decref(described);
	json_decref(tags);
	return err;
}

static const char *const compared[][2] = {
	{ "production_variants", "differ" },
};

static const struct ms_sagemaker_immutable config = {
	.noun = "endpoint config",
	.a_noun = "an endpoint config",
	.create = "CreateEndpointConfig",
	.describe = "DescribeEndpointConfig",
	.name_key = "EndpointConfigName",
	.arn_key = "EndpointConfigArn",
	.compared = compared,
	.n_compared = MS_ARRAY_SIZE(compared),
	.settable = settable,
	.n_settable = MS_ARRAY_SIZE(settable),
	.request = ms_sagemaker_endpoint_config_request,
	.attrs = ms_sagemaker_endpoint_config_attrs,
	.normalize = ms_sagemaker_endpoint_config_normalize,
};

/*
 * As for a model, a name taken by a config with the variants desired
 * adopts it (a retried CreateEndpointConfig); any other is not ours.
 */
static int config_create(struct ms_call *call, const json_t *desired,
			 json_t **out)
{
	return ms_sagemaker_immutable_create(out, call, &config, desired);
}

/* Only tags change in place; everything else forces a new config. */
static int config_update(struct ms_call *call, const json_t *prior,
			 const json_t *desired, json_t **out)
{
	return ms_sagemaker_immutable_update(out, call, &config, prior,
					     desired);
}

/*
 * SageMaker lets a config in use by an endpoint be deleted (the endpoint
 * keeps running on it); the engine deletes the old config only after the
 * endpoint has moved to the new one.
 */
static int config_delete(struct ms_call *call, const json_t *prior)
{
	const char *name = ms_sagemaker_name(prior);

	if (!name)
		return ms_error("aws_sagemaker_endpoint_configuration: no name "
				"in the prior state");
	return ms_sagemaker_delete(NULL, call->aws, "DeleteEndpointConfig",
				   "EndpointConfigName", name);
}

const struct ms_resource_type ms_aws_sagemaker_endpoint_configuration = {
	.name = "aws_sagemaker_endpoint_configuration",
	.schema = schema,
	.id_attr = "name",
	.auto_name = "name",
	.create_before_destroy = true,
	.read = config_read,
	.create = config_create,
	.update = config_update,
	.delete = config_delete,
	.normalize = ms_sagemaker_endpoint_config_normalize,
};
