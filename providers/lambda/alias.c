/*
 * alias.c - aws_lambda_alias: a name for a version of a function ("live"
 * on version 3), optionally sending a share of the traffic to another
 * version.
 *
 * Aliases carry no tags: one found under the name is this stack's when
 * its function carries this stack's owner mark. The object is
 * "<function>:<alias>".
 */
#include "util/common.h"
#include "providers/provider.h"
#include "providers/lambda/lambda.h"

#define API "2015-03-31"

static const struct ms_attr schema[] = {
	{ "name", MS_ATTR_STRING, MS_ATTR_REQUIRED | MS_ATTR_FORCE_NEW, NULL,
	  NULL, "the alias (not all digits)", "Name" },
	{ "function_name", MS_ATTR_STRING, MS_ATTR_REQUIRED | MS_ATTR_FORCE_NEW,
	  NULL, NULL, "the function" },
	{ "function_version", MS_ATTR_STRING, MS_ATTR_REQUIRED, NULL, NULL,
	  "the version it names", "FunctionVersion" },
	{ "description", MS_ATTR_STRING, 0, "\"\"", NULL, "a description",
	  "Description" },
	{ "routing_weights", MS_ATTR_JSON, 0, "{}", NULL,
	  "other versions and the share of traffic each gets (0 to 1)" },
	{ "arn", MS_ATTR_STRING, MS_ATTR_COMPUTED, NULL, NULL, "the ARN",
	  "|AliasArn" },
	{ "invoke_arn", MS_ATTR_STRING, MS_ATTR_COMPUTED, NULL, NULL,
	  "the ARN API Gateway invokes it by" },
	{ "qualified_name", MS_ATTR_STRING, MS_ATTR_COMPUTED, NULL, NULL,
	  "<function>:<alias>" },
	{ "id", MS_ATTR_STRING, MS_ATTR_COMPUTED, NULL, NULL,
	  "<function>:<alias>" },
	{ NULL },
};

static json_t *body_of(const json_t *attrs, bool create)
{
	json_t *body =
		json_pack("{s:s?, s:s?, s:{s:O}}", "FunctionVersion",
			  ms_kit_str(attrs, "function_version", NULL),
			  "Description", ms_kit_str(attrs, "description", ""),
			  "RoutingConfig", "AdditionalVersionWeights",
			  json_object_get(attrs, "routing_weights") ?
				  json_object_get(attrs, "routing_weights") :
				  json_object());

	if (create)
		json_object_set_new(body, "Name",
				    json_string(ms_kit_str(attrs, "name", "")));
	return body;
}

/* The attributes of an AliasConfiguration answer. */
static json_t *attrs_of(struct ms_call *call, const char *fn,
			const json_t *answer)
{
	json_t *o = json_object(), *w;
	char *s;

	json_object_set_new(o, "name",
			    json_string(ms_kit_str(answer, "Name", "")));
	json_object_set_new(o, "function_name", json_string(fn));
	json_object_set_new(
		o, "function_version",
		json_string(ms_kit_str(answer, "FunctionVersion", "")));
	json_object_set_new(o, "description",
			    json_string(ms_kit_str(answer, "Description", "")));
	w = json_object_get(json_object_get(answer, "RoutingConfig"),
			    "AdditionalVersionWeights");
	json_object_set_new(o, "routing_weights",
			    json_is_object(w) ? json_deep_copy(w) :
						json_object());
	json_object_set_new(o, "arn",
			    json_string(ms_kit_str(answer, "AliasArn", "")));
	s = ms_asprintf("arn:aws:apigateway:%s:lambda:path/%s/functions/%s/"
			"invocations",
			ms_provider_session_region(call->aws), API,
			ms_kit_str(answer, "AliasArn", ""));
	json_object_set_new(o, "invoke_arn", json_string(s));
	free(s);
	s = ms_asprintf("%s:%s", fn, ms_kit_str(answer, "Name", ""));
	json_object_set_new(o, "qualified_name", json_string(s));
	json_object_set_new(o, "id", json_string(s));
	free(s);
	return o;
}

static int get_alias(json_t **out, struct ms_call *call, const char *fn,
		     const char *name)
{
	struct ms_aws_error error = MS_AWS_ERROR_INIT;
	json_t *answer = NULL;
	char *suffix = ms_asprintf("/aliases/%s", name);
	int err;

	*out = NULL;
	err = ms_lambda_call(&answer, &error, call->aws, "GetAlias", "GET", API,
			     fn, suffix, NULL, NULL);
	if (!err)
		*out = attrs_of(call, fn, answer);
	if (err && ms_aws_error_is(&error, "ResourceNotFoundException", NULL)) {
		ms_error_clear();
		err = 0;
	}
	ms_aws_error_release(&error);
	json_decref(answer);
	free(suffix);
	return err;
}

static int alias_read(struct ms_call *call, const json_t *prior, json_t **out)
{
	char *fn = NULL, *name = NULL;
	int err = ms_lambda_qualified(prior, "name", &fn, &name);

	*out = NULL;
	if (!err)
		err = get_alias(out, call, fn, name);
	free(fn);
	free(name);
	return err;
}

static int update(struct ms_call *call, const json_t *desired, json_t **out)
{
	const char *fn = ms_kit_str(desired, "function_name", "");
	const char *name = ms_kit_str(desired, "name", "");
	json_t *body = body_of(desired, false), *answer = NULL;
	char *suffix = ms_asprintf("/aliases/%s", name);
	int err = ms_lambda_call(&answer, NULL, call->aws, "UpdateAlias", "PUT",
				 API, fn, suffix, NULL, body);

	*out = err ? NULL : attrs_of(call, fn, answer);
	json_decref(body);
	json_decref(answer);
	free(suffix);
	return err;
}

static int alias_create(struct ms_call *call, const json_t *desired,
			json_t **out)
{
	struct ms_aws_error error = MS_AWS_ERROR_INIT;
	const char *fn = ms_kit_str(desired, "function_name", "");
	json_t *body = body_of(desired, true), *answer = NULL;
	char what[300], *id;
	bool ours = false;
	int err;

	*out = NULL;
	err = ms_lambda_call(&answer, &error, call->aws, "CreateAlias", "POST",
			     API, fn, "/aliases", NULL, body);
	if (!err) {
		*out = attrs_of(call, fn, answer);
	} else if (ms_aws_error_is(&error, "ResourceConflictException", NULL)) {
		ms_error_clear();
		err = ms_lambda_stack_owns(call, fn, &ours);
		id = ms_asprintf("%s:%s", fn, ms_kit_str(desired, "name", ""));
		snprintf(what, sizeof(what), "alias '%s'", id);
		if (!err && !ours)
			err = ms_call_taken(call, what, id);
		free(id);
		if (!err)
			err = update(call, desired, out);
	}
	ms_aws_error_release(&error);
	json_decref(body);
	json_decref(answer);
	return err;
}

static int alias_update(struct ms_call *call, const json_t *prior,
			const json_t *desired, json_t **out)
{
	return update(call, desired, out);
}

static int alias_delete(struct ms_call *call, const json_t *prior)
{
	struct ms_aws_error error = MS_AWS_ERROR_INIT;
	char *fn = NULL, *name = NULL, *suffix = NULL;
	int err = ms_lambda_qualified(prior, "name", &fn, &name);

	if (!err) {
		suffix = ms_asprintf("/aliases/%s", name);
		err = ms_lambda_call(NULL, &error, call->aws, "DeleteAlias",
				     "DELETE", API, fn, suffix, NULL, NULL);
	}
	if (err && ms_aws_error_is(&error, "ResourceNotFoundException", NULL)) {
		ms_error_clear();
		err = 0;
	}
	ms_aws_error_release(&error);
	free(fn);
	free(name);
	free(suffix);
	return err;
}

static int alias_claim(struct ms_call *call, const json_t *live, double since,
		       bool *ours)
{
	return ms_lambda_stack_owns(call, ms_kit_str(live, "function_name", ""),
				    ours);
}

/* The object's name from its parts; weights as numbers. */
static int alias_normalize(json_t *attrs)
{
	const char *fn = ms_kit_str(attrs, "function_name", NULL);
	const char *name = ms_kit_str(attrs, "name", NULL);
	json_t *w = json_object_get(attrs, "routing_weights"), *v;
	const char *key;
	char *s;

	if (fn && name) {
		s = ms_asprintf("%s:%s", fn, name);
		json_object_set_new(attrs, "qualified_name", json_string(s));
		free(s);
	}
	if (json_is_object(w))
		json_object_foreach(w, key, v)
			json_object_set_new(w, key, ms_kit_number(v));
	return 0;
}

/* Terraform: the weights in a routing_config block */
static const struct ms_tf_attr tf_attrs[] = {
	{ "routing_weights", "routing_config", MS_TF_WRAP,
	  "additional_version_weights" },
	{ NULL },
};

static const struct ms_tf_type tf = { .attrs = tf_attrs };

const struct ms_resource_type ms_aws_lambda_alias = {
	.name = "aws_lambda_alias",
	.schema = schema,
	.id_attr = "qualified_name",
	.read = alias_read,
	.create = alias_create,
	.update = alias_update,
	.delete = alias_delete,
	.normalize = alias_normalize,
	.claim = alias_claim,
	.terraform = &tf,
	.cost = ms_cost_free,
};
