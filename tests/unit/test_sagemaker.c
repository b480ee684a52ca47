/*
 * test_sagemaker.c - the pure parts of the SageMaker provider and of the
 * waiter: request bodies built from attributes, Describe answers read back
 * into attributes (a round trip must give what the stack holds, or every
 * plan would show a change), "not found" detection, tags, and the waiter
 * driven by a fake poll. Nothing here talks to AWS.
 */
#include "util/common.h"

#include <setjmp.h>
#include <cmocka.h>

#include "providers/provider.h"
#include "providers/aws/aws.h"
#include "providers/sagemaker/sagemaker.h"

static json_t *parse(const char *text)
{
	json_error_t jerr;
	json_t *v = json_loads(text, JSON_DECODE_ANY, &jerr);

	if (!v)
		fail_msg("bad test JSON: %s: %s", text, jerr.text);
	return v;
}

/* got equals want exactly: 1 and 1.0 differ, as they do in a diff. */
static void assert_json(const json_t *got, const char *want_text)
{
	json_t *want = parse(want_text);
	char *g = json_dumps(got,
			     JSON_COMPACT | JSON_ENCODE_ANY | JSON_SORT_KEYS);
	char *w = json_dumps(want,
			     JSON_COMPACT | JSON_ENCODE_ANY | JSON_SORT_KEYS);

	if (!json_equal(got, want))
		fail_msg("got  %s\nwant %s", g, w);
	free(g);
	free(w);
	json_decref(want);
}

static void assert_error(const char *part)
{
	if (!strstr(ms_error_last(), part))
		fail_msg("error \"%s\" does not say \"%s\"", ms_error_last(),
			 part);
}

/* desired as the engine hands it over: defaults applied, normalized. */
static json_t *desired(const char *type, const char *text)
{
	const struct ms_resource_type *t = ms_provider_find(type);
	json_t *d = parse(text);

	assert_non_null(t);
	assert_int_equal(t->normalize ? t->normalize(d) : 0, 0);
	return d;
}

/* The kit's mapping, through a type's schema, as its create and read use it */
static int request(const char *type, json_t **out, const json_t *attrs)
{
	return ms_kit_request(out, ms_provider_find(type)->schema, attrs,
			      ms_kit_tags_list);
}

static int attrs_of(const char *type, json_t **out, const json_t *answer,
		    const json_t *tags)
{
	return ms_kit_attrs(out, ms_provider_find(type), answer, tags);
}

static int normalize(const char *type, json_t *attrs)
{
	return ms_provider_find(type)->normalize(attrs);
}

static int update_request(const char *type, json_t **out, json_t **changed,
			  const json_t *prior, const json_t *desired)
{
	return ms_kit_update_request(out, changed, ms_provider_find(type),
				     prior, desired);
}

static void test_registered(void **state)
{
	static const char *const types[] = {
		"aws_sagemaker_model",
		"aws_sagemaker_endpoint_configuration",
		"aws_sagemaker_endpoint",
		"aws_sagemaker_notebook_instance",
	};
	const struct ms_resource_type *t;
	size_t i;

	(void)state;
	for (i = 0; i < MS_ARRAY_SIZE(types); i++) {
		t = ms_provider_find(types[i]);
		if (!t)
			fail_msg("%s is not registered", types[i]);
		assert_string_equal(t->id_attr, "name");
		assert_non_null(ms_provider_attr(t, "tags"));
		assert_non_null(ms_provider_attr(t, "arn"));
	}
	/* immutable objects: auto-named, replaced create-before-destroy */
	t = ms_provider_find("aws_sagemaker_model");
	assert_string_equal(t->auto_name, "name");
	assert_true(t->create_before_destroy);
	assert_true(ms_provider_attr(t, "name")->flags & MS_ATTR_FORCE_NEW);
	t = ms_provider_find("aws_sagemaker_endpoint_configuration");
	assert_string_equal(t->auto_name, "name");
	assert_true(t->create_before_destroy);
	/* the endpoint moves to a new config in place */
	t = ms_provider_find("aws_sagemaker_endpoint");
	assert_null(t->auto_name);
	assert_false(ms_provider_attr(t, "endpoint_config_name")->flags &
		     MS_ATTR_FORCE_NEW);
	t = ms_provider_find("aws_sagemaker_notebook_instance");
	assert_false(ms_provider_attr(t, "instance_type")->flags &
		     MS_ATTR_FORCE_NEW);
	assert_true(ms_provider_attr(t, "direct_internet_access")->flags &
		    MS_ATTR_FORCE_NEW);
}

static void test_not_found(void **state)
{
	static const struct {
		const char *name, *code, *message;
		bool not_found;
	} cases[] = {
		{ "model", "ValidationException",
		  "Could not find model \"arn:aws:sagemaker:us-east-1:1:"
		  "model/m\".",
		  true },
		{ "endpoint", "ValidationException",
		  "Could not find endpoint \"e\".", true },
		{ "notebook (moto)", "ValidationException", "RecordNotFound",
		  true },
		{ "notebook (AWS)", "ValidationException",
		  "Notebook Instance arn:aws:sagemaker:x does not exist",
		  true },
		{ "tuning job", "ResourceNotFound",
		  "Amazon SageMaker can't find a tuning job", true },
		{ "in progress", "ValidationException",
		  "Cannot update in-progress endpoint", false },
		{ "duplicate", "ValidationException",
		  "Cannot create already existing endpoint \"arn:x\".", false },
		{ "throttled", "ThrottlingException", "Rate exceeded", false },
		{ "transport", NULL, NULL, false },
	};
	struct ms_aws_error e;
	size_t i;

	(void)state;
	for (i = 0; i < MS_ARRAY_SIZE(cases); i++) {
		e.status = 400;
		e.code = (char *)cases[i].code;
		e.message = (char *)cases[i].message;
		if (ms_sagemaker_not_found(&e) != cases[i].not_found)
			fail_msg("%s: not_found should be %d", cases[i].name,
				 cases[i].not_found);
	}
	assert_false(ms_sagemaker_not_found(NULL));
	e.code = "ValidationException";
	e.message = "Cannot update in-progress endpoint";
	assert_true(ms_aws_error_is(&e, "ValidationException", NULL));
	assert_true(ms_aws_error_is(&e, "ValidationException", "in-progress"));
	assert_false(ms_aws_error_is(&e, "ValidationException", "not there"));
	assert_false(ms_aws_error_is(&e, "ResourceInUse", NULL));
}

static void test_tags(void **state)
{
	json_t *tags = parse("{\"b\": \"2\", \"a\": \"1\"}"), *list, *map;

	(void)state;
	list = ms_kit_tags_list(tags);
	assert_json(list, "[{\"Key\": \"a\", \"Value\": \"1\"},"
			  " {\"Key\": \"b\", \"Value\": \"2\"}]");
	/* a key AddTags appended twice (moto): the last one wins */
	json_array_append_new(list,
			      parse("{\"Key\": \"a\", \"Value\": \"3\"}"));
	map = ms_kit_tags_map(list);
	assert_json(map, "{\"a\": \"3\", \"b\": \"2\"}");
	json_decref(map);
	json_decref(list);
	json_decref(tags);

	list = ms_kit_tags_list(NULL);
	assert_json(list, "[]");
	json_decref(list);

	tags = parse("{\"n\": 1, \"r\": 1.5, \"w\": 2.0, \"t\": true, "
		     "\"s\": \"x\", \"big\": 1e308}");
	ms_kit_strings(tags);
	assert_json(tags, "{\"n\": \"1\", \"r\": \"1.5\", \"w\": \"2\", "
			  "\"t\": \"true\", \"s\": \"x\", "
			  "\"big\": \"1e308\"}");
	json_decref(tags);
}

static void test_number(void **state)
{
	static const struct {
		const char *in, *want;
	} cases[] = {
		{ "1.0", "1" }, { "1", "1" },         { "0.5", "0.5" },
		{ "0.0", "0" }, { "\"x\"", "\"x\"" },
		/* past any integer: kept as they are (an answer's
		 * hyperparameter once made this undefined behaviour) */
		{ "1e308", "1e308" }, { "-1e19", "-1e19" },
		{ "1e15", "1e15" },
	};
	json_t *in, *out;
	size_t i;

	(void)state;
	for (i = 0; i < MS_ARRAY_SIZE(cases); i++) {
		in = parse(cases[i].in);
		out = ms_kit_number(in);
		assert_json(out, cases[i].want);
		json_decref(out);
		json_decref(in);
	}
}

#define ROLE  "arn:aws:iam::123456789012:role/sm"
#define IMAGE "683313688378.dkr.ecr.us-east-1.amazonaws.com/xgb:1.7-1"

static void test_model_request(void **state)
{
	json_t *d, *body = NULL;

	(void)state;
	d = desired("aws_sagemaker_model",
		    "{\"name\": \"m-1\", \"execution_role_arn\": \"" ROLE "\","
		    " \"primary_container\": {\"image\": \"" IMAGE "\","
		    " \"model_data_url\": \"s3://b/model.tar.gz\","
		    " \"environment\": {\"THREADS\": 4}},"
		    " \"tags\": {\"v\": 1}}");
	assert_int_equal(request("aws_sagemaker_model", &body, d), 0);
	assert_json(body, "{\"ModelName\": \"m-1\","
			  " \"ExecutionRoleArn\": \"" ROLE "\","
			  " \"PrimaryContainer\": {\"Image\": \"" IMAGE "\","
			  " \"ModelDataUrl\": \"s3://b/model.tar.gz\","
			  " \"Environment\": {\"THREADS\": \"4\"}},"
			  " \"Tags\": [{\"Key\": \"v\", \"Value\": \"1\"}]}");
	json_decref(body);
	json_decref(d);

	/* nothing optional: no empty Environment, no Tags */
	d = desired("aws_sagemaker_model",
		    "{\"name\": \"m\", \"execution_role_arn\": \"" ROLE "\","
		    " \"primary_container\": {\"image\": \"i\","
		    " \"environment\": {}}, \"tags\": {}}");
	assert_int_equal(request("aws_sagemaker_model", &body, d), 0);
	assert_json(body, "{\"ModelName\": \"m\", \"ExecutionRoleArn\": \"" ROLE
			  "\", \"PrimaryContainer\": {\"Image\": \"i\"}}");
	json_decref(body);
	json_decref(d);

	d = parse("{\"name\": \"m\", \"execution_role_arn\": \"" ROLE "\","
		  " \"primary_container\": {}}");
	assert_int_equal(request("aws_sagemaker_model", &body, d), -1);
	assert_null(body);
	assert_error("no primary_container");
	json_decref(d);
}

static void test_model_attrs(void **state)
{
	json_t *d, *answer, *tags, *attrs = NULL;

	(void)state;
	d = desired("aws_sagemaker_model",
		    "{\"name\": \"m\", \"execution_role_arn\": \"" ROLE "\","
		    " \"primary_container\": {\"image\": \"" IMAGE "\","
		    " \"environment\": {\"A\": 1}}, \"tags\": {\"v\": 2}}");
	/* AWS-only fields (Mode, Containers, VpcConfig ...) are ignored */
	answer = parse("{\"ModelName\": \"m\", \"ModelArn\": "
		       "\"arn:aws:sagemaker:us-east-1:123456789012:model/m\","
		       " \"ExecutionRoleArn\": \"" ROLE "\","
		       " \"PrimaryContainer\": {\"Image\": \"" IMAGE "\","
		       " \"Mode\": \"SingleModel\","
		       " \"Environment\": {\"A\": \"1\"}},"
		       " \"Containers\": [], \"VpcConfig\": {},"
		       " \"EnableNetworkIsolation\": false,"
		       " \"CreationTime\": 1529870369.986}");
	tags = parse("{\"v\": \"2\"}");
	assert_int_equal(attrs_of("aws_sagemaker_model", &attrs, answer, tags),
			 0);
	assert_json(attrs,
		    "{\"name\": \"m\", \"id\": \"m\", \"arn\": "
		    "\"arn:aws:sagemaker:us-east-1:123456789012:model/m\","
		    " \"execution_role_arn\": \"" ROLE "\","
		    " \"primary_container\": {\"image\": \"" IMAGE "\","
		    " \"environment\": {\"A\": \"1\"}},"
		    " \"listed_time\": 1529870369.986,"
		    " \"tags\": {\"v\": \"2\"}}");
	/* every settable attribute comes back as the stack has it */
	assert_true(json_equal(json_object_get(attrs, "primary_container"),
			       json_object_get(d, "primary_container")));
	assert_true(json_equal(json_object_get(attrs, "tags"),
			       json_object_get(d, "tags")));
	json_decref(attrs);
	json_decref(answer);
	json_decref(tags);
	json_decref(d);

	/* an empty Environment is what was never set */
	answer = parse("{\"ModelName\": \"m\", \"ModelArn\": \"a\","
		       " \"PrimaryContainer\": {\"Image\": \"i\","
		       " \"Environment\": {}}}");
	assert_int_equal(attrs_of("aws_sagemaker_model", &attrs, answer, NULL),
			 0);
	assert_json(json_object_get(attrs, "primary_container"),
		    "{\"image\": \"i\"}");
	assert_json(json_object_get(attrs, "tags"), "{}");
	json_decref(attrs);
	json_decref(answer);

	answer = parse("{\"ModelArn\": \"a\"}");
	assert_int_equal(attrs_of("aws_sagemaker_model", &attrs, answer, NULL),
			 -1);
	assert_error("no ModelName in the answer");
	json_decref(answer);
}

static void test_endpoint_config_normalize(void **state)
{
	static const struct {
		const char *name, *in, *want, *error;
	} cases[] = {
		{ "defaults filled, order kept",
		  "[{\"variant_name\": \"b\", \"model_name\": \"m\","
		  " \"instance_type\": \"ml.m5.large\"},"
		  " {\"variant_name\": \"a\", \"model_name\": \"n\","
		  " \"instance_type\": \"ml.t2.medium\","
		  " \"initial_variant_weight\": 0.5}]",
		  "[{\"variant_name\": \"b\", \"model_name\": \"m\","
		  " \"instance_type\": \"ml.m5.large\","
		  " \"initial_instance_count\": 1,"
		  " \"initial_variant_weight\": 1},"
		  " {\"variant_name\": \"a\", \"model_name\": \"n\","
		  " \"instance_type\": \"ml.t2.medium\","
		  " \"initial_instance_count\": 1,"
		  " \"initial_variant_weight\": 0.5}]",
		  NULL },
		{ "whole reals become integers, nulls go",
		  "[{\"variant_name\": \"v\", \"model_name\": \"m\","
		  " \"instance_type\": \"t\", \"initial_instance_count\": 2.0,"
		  " \"initial_variant_weight\": 1.0, \"x\": null}]",
		  "[{\"variant_name\": \"v\", \"model_name\": \"m\","
		  " \"instance_type\": \"t\", \"initial_instance_count\": 2,"
		  " \"initial_variant_weight\": 1}]",
		  NULL },
		{ "fractional count",
		  "[{\"variant_name\": \"v\", \"initial_instance_count\": 1.5}]",
		  NULL,
		  "production_variants[0].initial_instance_count: expected a "
		  "whole number of at least 1" },
		{ "no instance",
		  "[{\"variant_name\": \"v\", \"initial_instance_count\": 0}]",
		  NULL, "initial_instance_count" },
		{ "negative weight",
		  "[{\"variant_name\": \"v\", \"initial_variant_weight\": -1}]",
		  NULL,
		  "initial_variant_weight: expected a number of at least 0" },
		{ "no variant", "[]", NULL,
		  "production_variants: expected 1 to 10 variants, got 0" },
	};
	json_t *attrs;
	size_t i;
	int err;

	(void)state;
	for (i = 0; i < MS_ARRAY_SIZE(cases); i++) {
		attrs = json_pack("{s:o}", "production_variants",
				  parse(cases[i].in));
		err = normalize("aws_sagemaker_endpoint_configuration", attrs);
		if (cases[i].error) {
			if (!err)
				fail_msg("%s: no error", cases[i].name);
			assert_error(cases[i].error);
		} else {
			if (err)
				fail_msg("%s: %s", cases[i].name,
					 ms_error_last());
			assert_json(json_object_get(attrs,
						    "production_variants"),
				    cases[i].want);
		}
		json_decref(attrs);
	}
}

static void test_endpoint_config_round_trip(void **state)
{
	json_t *d, *body = NULL, *answer, *attrs = NULL, *v;
	size_t i;

	(void)state;
	d = desired("aws_sagemaker_endpoint_configuration",
		    "{\"name\": \"c-1\", \"production_variants\": ["
		    " {\"variant_name\": \"AllTraffic\", \"model_name\": \"m\","
		    " \"instance_type\": \"ml.m5.large\"},"
		    " {\"variant_name\": \"Canary\", \"model_name\": \"n\","
		    " \"instance_type\": \"ml.t2.medium\","
		    " \"initial_variant_weight\": 0.25}],"
		    " \"tags\": {\"team\": \"ml\"}}");
	assert_int_equal(
		request("aws_sagemaker_endpoint_configuration", &body, d), 0);
	assert_json(
		body,
		"{\"EndpointConfigName\": \"c-1\", \"ProductionVariants\": ["
		" {\"VariantName\": \"AllTraffic\", \"ModelName\": \"m\","
		" \"InstanceType\": \"ml.m5.large\","
		" \"InitialInstanceCount\": 1, \"InitialVariantWeight\": 1},"
		" {\"VariantName\": \"Canary\", \"ModelName\": \"n\","
		" \"InstanceType\": \"ml.t2.medium\","
		" \"InitialInstanceCount\": 1,"
		" \"InitialVariantWeight\": 0.25}],"
		" \"Tags\": [{\"Key\": \"team\", \"Value\": \"ml\"}]}");

	/* SageMaker's answer: weights as floats, extra fields */
	answer = json_pack("{s:s, s:s, s:O, s:{}, s:f}", "EndpointConfigName",
			   "c-1", "EndpointConfigArn",
			   "arn:aws:sagemaker:us-east-1:1:endpoint-config/c-1",
			   "ProductionVariants",
			   json_object_get(body, "ProductionVariants"),
			   "DataCaptureConfig", "CreationTime", 1.5);
	json_array_foreach(json_object_get(answer, "ProductionVariants"), i,
			   v) {
		json_object_set_new(v, "InitialVariantWeight",
				    json_real(json_number_value(json_object_get(
					    v, "InitialVariantWeight"))));
		json_object_set_new(v, "VolumeSizeInGB", json_integer(4));
	}
	assert_int_equal(attrs_of("aws_sagemaker_endpoint_configuration",
				  &attrs, answer, json_object_get(d, "tags")),
			 0);
	assert_true(json_equal(json_object_get(attrs, "production_variants"),
			       json_object_get(d, "production_variants")));
	assert_json(json_object_get(attrs, "arn"),
		    "\"arn:aws:sagemaker:us-east-1:1:endpoint-config/c-1\"");
	assert_json(json_object_get(attrs, "id"), "\"c-1\"");
	json_decref(attrs);
	json_decref(answer);
	json_decref(body);
	json_decref(d);

	d = parse("{\"name\": \"c\", \"production_variants\": ["
		  " {\"variant_name\": \"v\", \"instance_type\": \"t\"}]}");
	assert_int_equal(
		request("aws_sagemaker_endpoint_configuration", &body, d), -1);
	assert_error("no production_variants[0].model_name");
	json_decref(d);
}

static void test_endpoint(void **state)
{
	json_t *d, *body = NULL, *answer, *attrs = NULL;

	(void)state;
	d = desired("aws_sagemaker_endpoint",
		    "{\"name\": \"e\", \"endpoint_config_name\": \"c-1\","
		    " \"tags\": {\"a\": \"b\"}}");
	assert_int_equal(request("aws_sagemaker_endpoint", &body, d), 0);
	assert_json(body, "{\"EndpointName\": \"e\", \"EndpointConfigName\":"
			  " \"c-1\", \"Tags\": [{\"Key\": \"a\", \"Value\": "
			  "\"b\"}]}");
	answer = parse("{\"EndpointName\": \"e\", \"EndpointArn\": \"arn:e\","
		       " \"EndpointConfigName\": \"c-1\","
		       " \"EndpointStatus\": \"Failed\","
		       " \"FailureReason\": \"no capacity\","
		       " \"ProductionVariants\": [{\"VariantName\": \"v\","
		       " \"CurrentWeight\": 1.0}],"
		       " \"CreationTime\": 1.0, \"LastModifiedTime\": 2.0}");
	assert_int_equal(attrs_of("aws_sagemaker_endpoint", &attrs, answer,
				  json_object_get(d, "tags")),
			 0);
	assert_json(attrs,
		    "{\"name\": \"e\", \"id\": \"e\", \"arn\": "
		    "\"arn:e\", \"endpoint_config_name\": \"c-1\","
		    " \"status\": \"Failed\", \"tags\": {\"a\": \"b\"},"
		    " \"listed_time\": 2.0}");
	json_decref(attrs);
	json_decref(answer);
	json_decref(body);
	json_decref(d);
}

static void test_notebook_request(void **state)
{
	json_t *d, *body = NULL;

	(void)state;
	d = desired("aws_sagemaker_notebook_instance",
		    "{\"name\": \"nb\", \"instance_type\": \"ml.t3.medium\","
		    " \"role_arn\": \"" ROLE "\", \"volume_size\": 5,"
		    " \"direct_internet_access\": true,"
		    " \"root_access\": false, \"tags\": {}}");
	assert_int_equal(request("aws_sagemaker_notebook_instance", &body, d),
			 0);
	assert_json(body, "{\"NotebookInstanceName\": \"nb\","
			  " \"InstanceType\": \"ml.t3.medium\","
			  " \"RoleArn\": \"" ROLE "\", \"VolumeSizeInGB\": 5,"
			  " \"DirectInternetAccess\": \"Enabled\","
			  " \"RootAccess\": \"Disabled\"}");
	json_decref(body);
	json_decref(d);

	d = desired("aws_sagemaker_notebook_instance",
		    "{\"name\": \"nb\", \"instance_type\": \"ml.t3.medium\","
		    " \"role_arn\": \"" ROLE "\", \"volume_size\": 50.0,"
		    " \"lifecycle_config_name\": \"lcc\","
		    " \"direct_internet_access\": false,"
		    " \"tags\": {\"k\": 1}}");
	assert_int_equal(request("aws_sagemaker_notebook_instance", &body, d),
			 0);
	assert_json(body, "{\"NotebookInstanceName\": \"nb\","
			  " \"InstanceType\": \"ml.t3.medium\","
			  " \"RoleArn\": \"" ROLE "\", \"VolumeSizeInGB\": 50,"
			  " \"LifecycleConfigName\": \"lcc\","
			  " \"DirectInternetAccess\": \"Disabled\","
			  " \"RootAccess\": \"Enabled\","
			  " \"Tags\": [{\"Key\": \"k\", \"Value\": \"1\"}]}");
	json_decref(body);
	json_decref(d);

	d = parse("{\"name\": \"nb\", \"instance_type\": \"t\","
		  " \"role_arn\": \"r\", \"volume_size\": 4}");
	assert_int_equal(normalize("aws_sagemaker_notebook_instance", d), -1);
	assert_error("volume_size: expected a whole number from 5 to 16384");
	json_decref(d);
}

static void test_notebook_update_request(void **state)
{
	static const struct {
		const char *name, *prior, *desired, *body, *changed;
	} cases[] = {
		{ "nothing but tags",
		  "{\"name\": \"nb\", \"instance_type\": \"a\","
		  " \"role_arn\": \"r\", \"volume_size\": 5,"
		  " \"root_access\": true, \"tags\": {}}",
		  "{\"name\": \"nb\", \"instance_type\": \"a\","
		  " \"role_arn\": \"r\", \"volume_size\": 5.0,"
		  " \"root_access\": true, \"tags\": {\"x\": \"y\"}}",
		  "{\"NotebookInstanceName\": \"nb\"}", "[]" },
		{ "type, size and root access",
		  "{\"id\": \"nb\", \"name\": \"nb\", \"instance_type\": \"a\","
		  " \"role_arn\": \"r\", \"volume_size\": 5,"
		  " \"root_access\": true}",
		  "{\"name\": \"nb\", \"instance_type\": \"b\","
		  " \"role_arn\": \"r\", \"volume_size\": 20,"
		  " \"root_access\": false}",
		  "{\"NotebookInstanceName\": \"nb\", \"InstanceType\": \"b\","
		  " \"VolumeSizeInGB\": 20, \"RootAccess\": \"Disabled\"}",
		  "[\"instance_type\", \"volume_size\", \"root_access\"]" },
		{ "role and a new lifecycle config",
		  "{\"name\": \"nb\", \"instance_type\": \"a\","
		  " \"role_arn\": \"r\"}",
		  "{\"name\": \"nb\", \"instance_type\": \"a\","
		  " \"role_arn\": \"s\", \"lifecycle_config_name\": \"l\"}",
		  "{\"NotebookInstanceName\": \"nb\", \"RoleArn\": \"s\","
		  " \"LifecycleConfigName\": \"l\"}",
		  "[\"role_arn\", \"lifecycle_config_name\"]" },
	};
	json_t *prior, *want, *body, *changed;
	size_t i;

	(void)state;
	for (i = 0; i < MS_ARRAY_SIZE(cases); i++) {
		prior = parse(cases[i].prior);
		want = parse(cases[i].desired);
		if (update_request("aws_sagemaker_notebook_instance", &body,
				   &changed, prior, want))
			fail_msg("%s: %s", cases[i].name, ms_error_last());
		assert_json(body, cases[i].body);
		assert_json(changed, cases[i].changed);
		json_decref(body);
		json_decref(changed);
		json_decref(prior);
		json_decref(want);
	}
}

static void test_notebook_attrs(void **state)
{
	json_t *d, *answer, *attrs = NULL;
	const char *key;
	json_t *v;

	(void)state;
	d = desired("aws_sagemaker_notebook_instance",
		    "{\"name\": \"nb\", \"instance_type\": \"ml.t3.medium\","
		    " \"role_arn\": \"" ROLE "\", \"volume_size\": 5,"
		    " \"direct_internet_access\": true, \"root_access\": true,"
		    " \"tags\": {\"k\": \"v\"}}");
	/* moto leaves RootAccess out: SageMaker's default, Enabled */
	answer = parse("{\"NotebookInstanceArn\": \"arn:nb\","
		       " \"NotebookInstanceName\": \"nb\","
		       " \"NotebookInstanceStatus\": \"InService\","
		       " \"Url\": \"nb.notebook.us-east-1.sagemaker.aws\","
		       " \"InstanceType\": \"ml.t3.medium\","
		       " \"RoleArn\": \"" ROLE "\", \"VolumeSizeInGB\": 5,"
		       " \"DirectInternetAccess\": \"Enabled\","
		       " \"PlatformIdentifier\": \"notebook-al2-v3\","
		       " \"CreationTime\": 1.0}");
	assert_int_equal(attrs_of("aws_sagemaker_notebook_instance", &attrs,
				  answer, json_object_get(d, "tags")),
			 0);
	assert_json(attrs, "{\"name\": \"nb\", \"id\": \"nb\","
			   " \"arn\": \"arn:nb\", \"status\": \"InService\","
			   " \"url\": \"nb.notebook.us-east-1.sagemaker.aws\","
			   " \"instance_type\": \"ml.t3.medium\","
			   " \"role_arn\": \"" ROLE "\", \"volume_size\": 5,"
			   " \"direct_internet_access\": true,"
			   " \"root_access\": true, \"tags\": {\"k\": \"v\"}}");
	json_object_foreach(d, key, v)
		if (!json_equal(v, json_object_get(attrs, key)))
			fail_msg("%s reads back differently", key);
	json_decref(attrs);
	json_decref(answer);

	answer = parse("{\"NotebookInstanceName\": \"nb\","
		       " \"NotebookInstanceStatus\": \"Stopped\","
		       " \"RootAccess\": \"Disabled\","
		       " \"DirectInternetAccess\": \"Disabled\","
		       " \"NotebookInstanceLifecycleConfigName\": \"lcc\"}");
	assert_int_equal(attrs_of("aws_sagemaker_notebook_instance", &attrs,
				  answer, NULL),
			 0);
	assert_json(json_object_get(attrs, "root_access"), "false");
	assert_json(json_object_get(attrs, "direct_internet_access"), "false");
	assert_json(json_object_get(attrs, "lifecycle_config_name"), "\"lcc\"");
	json_decref(attrs);
	json_decref(answer);
	json_decref(d);
}

static void test_duration(void **state)
{
	static const struct {
		double seconds;
		const char *want;
	} cases[] = {
		{ 0, "0s" },        { 45, "45s" },      { 0.5, "0.5s" },
		{ 60, "1m0s" },     { 1200, "20m0s" },  { 190, "3m10s" },
		{ 3600, "1h0m0s" }, { 3723, "1h2m3s" }, { -1, "0s" },
	};
	struct ms_buf b = MS_BUF_INIT;
	size_t i;

	(void)state;
	for (i = 0; i < MS_ARRAY_SIZE(cases); i++) {
		ms_buf_reset(&b);
		ms_aws_duration(&b, cases[i].seconds);
		assert_string_equal(b.ptr, cases[i].want);
	}
	ms_buf_release(&b);
}

static const char *const in_service[] = { "InService", NULL };
static const char *const failed[] = { "Failed", NULL };
static const char *const retryable[] = { "ThrottlingException", NULL };

static void test_wait_classify(void **state)
{
	struct ms_aws_waiter w = { 0 };

	(void)state;
	w.success = in_service;
	w.failure = failed;
	w.gone = MS_AWS_WAIT_FAILURE;
	assert_int_equal(ms_aws_wait_classify(&w, "InService"),
			 MS_AWS_WAIT_SUCCESS);
	assert_int_equal(ms_aws_wait_classify(&w, "Failed"),
			 MS_AWS_WAIT_FAILURE);
	assert_int_equal(ms_aws_wait_classify(&w, "Creating"),
			 MS_AWS_WAIT_RETRY);
	assert_int_equal(ms_aws_wait_classify(&w, NULL), MS_AWS_WAIT_FAILURE);
	w.gone = MS_AWS_WAIT_SUCCESS;
	assert_int_equal(ms_aws_wait_classify(&w, NULL), MS_AWS_WAIT_SUCCESS);
}

/* A scripted poll: one step per call; the last step repeats. */
struct step {
	const char *status; /* NULL: gone */
	const char *reason;
	const char *error; /* an AWS error code: the poll fails */
};

struct script {
	const struct step *steps;
	size_t n, next, calls;
};

static int fake_poll(struct ms_aws_wait_poll *out, void *payload)
{
	struct script *s = payload;
	const struct step *st = &s->steps[s->next < s->n ? s->next : s->n - 1];

	s->calls++;
	if (s->next < s->n)
		s->next++;
	if (st->error) {
		out->error_code = ms_strdup(st->error);
		return ms_error("DescribeEndpoint: %s: slow down", st->error);
	}
	out->status = st->status ? ms_strdup(st->status) : NULL;
	out->reason = st->reason ? ms_strdup(st->reason) : NULL;
	return 0;
}

static void record(struct ms_call *call, const char *message, void *payload)
{
	struct ms_buf *b = payload;

	ms_buf_addf(b, "%s|", message);
}

static void test_wait(void **state)
{
	static const struct step creating_then_ok[] = {
		{ "Creating", NULL, NULL },
		{ "Creating", NULL, NULL },
		{ "InService", NULL, NULL },
	};
	static const struct step creating_then_failed[] = {
		{ "Creating", NULL, NULL },
		{ "Failed", "the image could not be pulled", NULL },
	};
	static const struct step throttled[] = {
		{ NULL, NULL, "ThrottlingException" },
		{ "InService", NULL, NULL },
	};
	static const struct step denied[] = {
		{ NULL, NULL, "AccessDeniedException" },
	};
	static const struct step forever[] = { { "Creating", NULL, NULL } };
	static const struct step deleting[] = {
		{ "Deleting", NULL, NULL },
		{ NULL, NULL, NULL },
	};
	static const struct {
		const char *name;
		const struct step *steps;
		size_t n;
		enum ms_aws_wait_state gone;
		double timeout;
		int rc;
		const char *progress, *error, *last;
	} cases[] = {
		{ "in service", creating_then_ok, 3, MS_AWS_WAIT_FAILURE, 0, 0,
		  "status: Creating|status: InService|", NULL, "InService" },
		{ "failed", creating_then_failed, 2, MS_AWS_WAIT_FAILURE, 0, -1,
		  "status: Creating|status: Failed|",
		  "endpoint 'e': Failed: the image could not be pulled",
		  "Failed" },
		{ "throttled, then fine", throttled, 2, MS_AWS_WAIT_FAILURE, 0,
		  0, "status: InService|", NULL, "InService" },
		{ "other errors stop the wait", denied, 1, MS_AWS_WAIT_FAILURE,
		  0, -1, "", "DescribeEndpoint: AccessDeniedException", NULL },
		{ "timeout", forever, 1, MS_AWS_WAIT_FAILURE, 0.05, MS_ETIMEOUT,
		  "status: Creating|",
		  "endpoint 'e': still Creating after 0.05s (timeout)",
		  "Creating" },
		{ "gone is success", deleting, 2, MS_AWS_WAIT_SUCCESS, 0, 0,
		  "status: Deleting|", NULL, NULL },
		{ "gone is failure", deleting, 2, MS_AWS_WAIT_FAILURE, 0,
		  MS_ENOTFOUND, "status: Deleting|",
		  "endpoint 'e': no longer exists", NULL },
	};
	struct ms_aws_waiter w = { 0 };
	struct ms_buf progress = MS_BUF_INIT;
	struct ms_call call = { 0 };
	struct script s;
	char *last;
	size_t i;
	int rc;

	(void)state;
	setenv("MLSTACK_WAIT_DELAY", "0.001", 1);
	w.what = "endpoint 'e'";
	w.delay = 30;
	w.max_attempts = 120;
	w.success = in_service;
	w.failure = failed;
	w.retryable = retryable;
	call.progress = record;
	call.payload = &progress;
	for (i = 0; i < MS_ARRAY_SIZE(cases); i++) {
		memset(&s, 0, sizeof(s));
		s.steps = cases[i].steps;
		s.n = cases[i].n;
		w.gone = cases[i].gone;
		call.timeout = cases[i].timeout;
		ms_buf_reset(&progress);
		ms_error_clear();
		rc = ms_aws_wait(&last, &call, &w, fake_poll, &s);
		if (rc != cases[i].rc)
			fail_msg("%s: returned %d, want %d (%s)", cases[i].name,
				 rc, cases[i].rc, ms_error_last());
		assert_string_equal(progress.ptr, cases[i].progress);
		if (cases[i].error)
			assert_error(cases[i].error);
		if (cases[i].last)
			assert_string_equal(last, cases[i].last);
		else
			assert_null(last);
		free(last);
	}
	ms_buf_release(&progress);

	/* the delay override must be a number */
	setenv("MLSTACK_WAIT_DELAY", "soon", 1);
	memset(&s, 0, sizeof(s));
	s.steps = forever;
	s.n = 1;
	assert_int_equal(ms_aws_wait(NULL, NULL, &w, fake_poll, &s), -1);
	assert_error("MLSTACK_WAIT_DELAY: 'soon' is not a number");
	assert_int_equal(s.calls, 0);
	unsetenv("MLSTACK_WAIT_DELAY");
}

/* started: several waits of one action share the action's deadline. */
static void test_wait_shared_deadline(void **state)
{
	static const struct step forever[] = { { "Stopping", NULL, NULL } };
	struct ms_aws_waiter w = { 0 };
	struct ms_call call = { 0 };
	struct script s = { forever, 1, 0, 0 };
	double t0;
	int rc;

	(void)state;
	setenv("MLSTACK_WAIT_DELAY", "0.001", 1);
	w.what = "notebook instance 'nb'";
	w.delay = 30;
	w.max_attempts = 60;
	w.success = in_service;
	w.failure = failed;
	w.started = ms_now() - 10; /* the action began 10 s ago */
	call.timeout = 5;
	t0 = ms_now();
	rc = ms_aws_wait(NULL, &call, &w, fake_poll, &s);
	assert_int_equal(rc, MS_ETIMEOUT);
	assert_true(ms_now() - t0 < 1);
	assert_int_equal(s.calls, 1); /* polled once, at the deadline */
	assert_error("notebook instance 'nb': still Stopping after 5s "
		     "(timeout)");
	unsetenv("MLSTACK_WAIT_DELAY");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_registered),
		cmocka_unit_test(test_not_found),
		cmocka_unit_test(test_tags),
		cmocka_unit_test(test_number),
		cmocka_unit_test(test_model_request),
		cmocka_unit_test(test_model_attrs),
		cmocka_unit_test(test_endpoint_config_normalize),
		cmocka_unit_test(test_endpoint_config_round_trip),
		cmocka_unit_test(test_endpoint),
		cmocka_unit_test(test_notebook_request),
		cmocka_unit_test(test_notebook_update_request),
		cmocka_unit_test(test_notebook_attrs),
		cmocka_unit_test(test_duration),
		cmocka_unit_test(test_wait_classify),
		cmocka_unit_test(test_wait),
		cmocka_unit_test(test_wait_shared_deadline),
	};

	return cmocka_run_group_tests_name("sagemaker", tests, NULL, NULL);
}
