/*
 * policy.c - aws_appautoscaling_policy: a target-tracking scaling policy
 * on a scalable target: keep a metric (an endpoint variant's invocations
 * per instance) near a target value, with cooldowns each way.
 *
 * PutScalingPolicy creates and updates alike. Policies have no tags: a
 * name already used on the resource is someone else's unless the
 * recovery of this stack's interrupted create finds it made after the
 * create began. The object is named by its policy name.
 *
 * Refresh reads many policies at once (policy_read_many): one
 * DescribeScalingPolicies a namespace and 50 policy names, every page
 * (10 policies a page at most), each answer matched to a policy by its
 * name, resource id and dimension. A policy not in the answer is read
 * alone (docs/refresh.md).
 */
#include "util/common.h"
#include "providers/provider.h"
#include "providers/autoscaling/autoscaling.h"

#define CLAIM_SKEW 60.0

static const struct ms_attr dimension_schema[] = {
	{ "name", MS_ATTR_STRING, MS_ATTR_REQUIRED, NULL, NULL,
	  "the dimension's name", "Name" },
	{ "value", MS_ATTR_STRING, MS_ATTR_REQUIRED, NULL, NULL, "its value",
	  "Value" },
	{ NULL },
};

static const struct ms_attr predefined_schema[] = {
	{ "predefined_metric_type", MS_ATTR_STRING, MS_ATTR_REQUIRED, NULL,
	  NULL, "SageMakerVariantInvocationsPerInstance ...",
	  "PredefinedMetricType" },
	{ "resource_label", MS_ATTR_STRING, 0, NULL, NULL,
	  "the resource label, for the metric types that need one",
	  "ResourceLabel" },
	{ NULL },
};

static const struct ms_attr customized_schema[] = {
	{ "metric_name", MS_ATTR_STRING, MS_ATTR_REQUIRED, NULL, NULL,
	  "the CloudWatch metric", "MetricName" },
	{ "namespace", MS_ATTR_STRING, MS_ATTR_REQUIRED, NULL, NULL,
	  "its namespace (\"AWS/SageMaker\")", "Namespace" },
	{ "statistic", MS_ATTR_STRING, MS_ATTR_REQUIRED, NULL, NULL,
	  "Average, Sum, Maximum ...", "Statistic" },
	{ "unit", MS_ATTR_STRING, 0, NULL, NULL, "its unit", "Unit" },
	{ "dimensions", MS_ATTR_LIST, 0, NULL, dimension_schema,
	  "its dimensions", "Dimensions", "name" },
	{ NULL },
};

static const struct ms_attr tracking_schema[] = {
	{ "target_value", MS_ATTR_NUMBER, MS_ATTR_REQUIRED, NULL, NULL,
	  "the value the metric is kept near", "TargetValue" },
	{ "predefined_metric_specification", MS_ATTR_OBJECT, 0, NULL,
	  predefined_schema, "a predefined metric (or a customized one)",
	  "PredefinedMetricSpecification" },
	{ "customized_metric_specification", MS_ATTR_OBJECT, 0, NULL,
	  customized_schema, "a CloudWatch metric of your own",
	  "CustomizedMetricSpecification" },
	{ "scale_in_cooldown", MS_ATTR_NUMBER, 0, NULL, NULL,
	  "seconds after a scale-in before the next one", "ScaleInCooldown" },
	{ "scale_out_cooldown", MS_ATTR_NUMBER, 0, NULL, NULL,
	  "seconds after a scale-out before the next one", "ScaleOutCooldown" },
	{ "disable_scale_in", MS_ATTR_BOOL, 0, "false", NULL, "never scale in",
	  "DisableScaleIn" },
	{ NULL },
};

static const struct ms_attr schema[] = {
	{ "name", MS_ATTR_STRING, MS_ATTR_REQUIRED | MS_ATTR_FORCE_NEW, NULL,
	  NULL, "the policy's name", "PolicyName" },
	{ "service_namespace", MS_ATTR_STRING,
	  MS_ATTR_REQUIRED | MS_ATTR_FORCE_NEW, NULL, NULL,
	  "the service (\"sagemaker\")", "ServiceNamespace" },
	{ "resource_id", MS_ATTR_STRING, MS_ATTR_REQUIRED | MS_ATTR_FORCE_NEW,
	  NULL, NULL, "the scalable target's resource id", "ResourceId" },
	{ "scalable_dimension", MS_ATTR_STRING,
	  MS_ATTR_REQUIRED | MS_ATTR_FORCE_NEW, NULL, NULL,
	  "the scalable target's dimension", "ScalableDimension" },
	{ "policy_type", MS_ATTR_STRING, 0, "\"TargetTrackingScaling\"", NULL,
	  "TargetTrackingScaling", "PolicyType" },
	{ "target_tracking_scaling_policy_configuration", MS_ATTR_OBJECT,
	  MS_ATTR_REQUIRED, NULL, tracking_schema,
	  "the metric, the target value and the cooldowns",
	  "TargetTrackingScalingPolicyConfiguration" },
	{ "arn", MS_ATTR_STRING, MS_ATTR_COMPUTED, NULL, NULL, "the ARN",
	  "|PolicyARN" },
	{ "id", MS_ATTR_STRING, MS_ATTR_COMPUTED, NULL, NULL,
	  "the policy's name" },
	{ NULL },
};

/*
 * The policy named in attrs: its name, namespace, resource and dimension,
 * from attrs or from an import's id
 * ("<namespace>/<resource id>/<dimension>/<name>"). The strings point
 * into attrs or into *buf (the caller frees it).
 */
struct where {
	const char *name, *ns, *resource, *dimension;
	char *buf;
};

static void where_of(struct where *w, const json_t *attrs)
{
	const char *id = ms_kit_str(attrs, "name", "");
	char *first, *last, *dim;

	memset(w, 0, sizeof(*w));
	w->name = id;
	w->ns = ms_kit_str(attrs, "service_namespace", NULL);
	w->resource = ms_kit_str(attrs, "resource_id", NULL);
	w->dimension = ms_kit_str(attrs, "scalable_dimension", NULL);
	if (w->ns || !strchr(id, '/'))
		return;
	/* namespace / resource id (holding '/') / dimension / name */
	w->buf = ms_strdup(id);
	first = strchr(w->buf, '/');
	last = strrchr(w->buf, '/');
	*first = '\0';
	*last = '\0';
	dim = strrchr(first + 1, '/');
	if (!dim)
		return;
	*dim = '\0';
	w->ns = w->buf;
	w->resource = first + 1;
	w->dimension = dim + 1;
	w->name = last + 1;
}

/*
 * *out = the policy as DescribeScalingPolicies answers it, or NULL. Without
 * a namespace (a recovery knows only the name), each namespace in turn.
 */
static int find(json_t **out, struct ms_call *call, const struct where *w)
{
	static const char *const spaces[] = { "sagemaker", "lambda", "ecs",
					      "dynamodb" };
	json_t *body, *answer = NULL, *p;
	size_t i, k;
	int err = 0;

	*out = NULL;
	for (k = 0; !err && !*out && k < MS_ARRAY_SIZE(spaces); k++) {
		if (w->ns && k)
			break;
		body = json_pack("{s:s, s:[s]}", "ServiceNamespace",
				 w->ns ? w->ns : spaces[k], "PolicyNames",
				 w->name);
		if (w->resource)
			json_object_set_new(body, "ResourceId",
					    json_string(w->resource));
		if (w->dimension)
			json_object_set_new(body, "ScalableDimension",
					    json_string(w->dimension));
		err = ms_autoscaling_pages(&answer, call->aws,
					   "DescribeScalingPolicies", body,
					   "ScalingPolicies");
		json_array_foreach(answer, i, p)
			if (!strcmp(ms_kit_str(p, "PolicyName", ""), w->name) &&
			    !*out)
				*out = json_incref(p);
		json_decref(body);
		json_decref(answer);
		answer = NULL;
	}
	return err;
}

/*
 * The attributes of the policy DescribeScalingPolicies answered as live:
 * what read answers for it.
 */
static int policy_attrs(json_t **out, struct ms_call *call, const json_t *live)
{
	int err = ms_kit_attrs(out, call->type, live, NULL);

	if (*out)
		json_object_del(*out, "tags");
	return err;
}

static int policy_read(struct ms_call *call, const json_t *prior, json_t **out)
{
	struct where w;
	json_t *live = NULL;
	int err;

	*out = NULL;
	where_of(&w, prior);
	err = find(&live, call, &w);
	if (!err && live)
		err = policy_attrs(out, call, live);
	json_decref(live);
	free(w.buf);
	return err;
}

/* DescribeScalingPolicies' largest page. */
#define POLICIES_PAGE 10

/*
 * What tells a policy from any other: its namespace, resource id,
 * dimension and name (a name is unique only on one target).
 */
static char *policy_key(const char *ns, const char *resource,
			const char *dimension, const char *name)
{
	return ms_asprintf("%s\n%s\n%s\n%s", ns ? ns : "",
			   resource ? resource : "", dimension ? dimension : "",
			   name ? name : "");
}

/*
 * Refresh of many policies (docs/refresh.md): the policies of a namespace
 * are asked for 50 names a DescribeScalingPolicies, with the resource id
 * (and dimension) when all of them are on the same target, and each
 * answer goes to the policy of its name, resource id and dimension. One
 * the answer does not hold is left to its own read: absence from a bulk
 * answer is not taken for gone. A policy whose target is not known (an
 * import's name alone) is read alone too.
 */
static int policy_read_many(struct ms_call *call, const json_t *priors,
			    json_t **out)
{
	json_t *wanted = json_object(), *found = json_object();
	json_t *items = NULL, *prior, *item, *fields, *live;
	struct where w;
	const char *name;
	char *key;
	size_t i;
	int err;

	*out = NULL;
	json_object_foreach((json_t *)priors, name, prior) {
		where_of(&w, prior);
		if (w.ns && w.resource && w.dimension && *w.name) {
			fields = json_pack("{s:s, s:s}", "ResourceId",
					   w.resource, "ScalableDimension",
					   w.dimension);
			ms_autoscaling_want(wanted, w.ns, w.name, fields);
			json_decref(fields);
		}
		free(w.buf);
	}
	err = ms_autoscaling_describe_many(&items, call->aws,
					   "DescribeScalingPolicies",
					   "PolicyNames", "ScalingPolicies",
					   POLICIES_PAGE, wanted);
	if (err)
		goto done;
	json_array_foreach(items, i, item) {
		key = policy_key(ms_kit_str(item, "ServiceNamespace", NULL),
				 ms_kit_str(item, "ResourceId", NULL),
				 ms_kit_str(item, "ScalableDimension", NULL),
				 ms_kit_str(item, "PolicyName", NULL));
		if (!json_object_get(found, key))
			json_object_set(found, key, item);
		free(key);
	}
	*out = json_object();
	json_object_foreach((json_t *)priors, name, prior) {
		where_of(&w, prior);
		key = policy_key(w.ns, w.resource, w.dimension, w.name);
		item = w.ns && w.resource && w.dimension ?
			       json_object_get(found, key) :
			       NULL;
		free(key);
		free(w.buf);
		if (!item)
			continue;
		/* an answer read cannot take: its own read says why */
		if (policy_attrs(&live, call, item)) {
			ms_error_clear();
			continue;
		}
		json_object_set_new(*out, name, live);
	}
done:
	json_decref(wanted);
	json_decref(found);
	json_decref(items);
	return err;
}

static int put(struct ms_call *call, const json_t *desired, json_t **out)
{
	json_t *body = NULL, *answer = NULL;
	int err = ms_kit_request(&body, call->type->schema, desired, NULL);

	*out = NULL;
	if (!err)
		err = ms_autoscaling_call(&answer, NULL, call->aws,
					  "PutScalingPolicy", body);
	if (!err) {
		*out = ms_kit_attrs_from(call->type, desired);
		json_object_del(*out, "tags");
		json_object_set(*out, "arn",
				json_object_get(answer, "PolicyARN"));
	}
	json_decref(body);
	json_decref(answer);
	return err;
}

static int policy_create(struct ms_call *call, const json_t *desired,
			 json_t **out)
{
	struct where w;
	json_t *have = NULL;
	char what[300];
	int err;

	*out = NULL;
	where_of(&w, desired);
	err = find(&have, call, &w);
	if (!err && have) {
		snprintf(what, sizeof(what), "scaling policy '%s' of '%s'",
			 w.name, w.resource ? w.resource : "?");
		err = ms_call_taken(call, what, w.name);
	}
	if (!err)
		err = put(call, desired, out);
	json_decref(have);
	free(w.buf);
	return err;
}

static int policy_update(struct ms_call *call, const json_t *prior,
			 const json_t *desired, json_t **out)
{
	return put(call, desired, out);
}

static int policy_delete(struct ms_call *call, const json_t *prior)
{
	struct ms_aws_error error = MS_AWS_ERROR_INIT;
	struct where w;
	json_t *body;
	int err;

	where_of(&w, prior);
	body = json_pack("{s:s, s:s?, s:s?, s:s?}", "PolicyName", w.name,
			 "ServiceNamespace", w.ns, "ResourceId", w.resource,
			 "ScalableDimension", w.dimension);
	err = ms_autoscaling_call(NULL, &error, call->aws,
				  "DeleteScalingPolicy", body);
	if (err && ms_aws_error_is(&error, "ObjectNotFoundException", NULL)) {
		ms_error_clear();
		err = 0;
	}
	ms_aws_error_release(&error);
	json_decref(body);
	free(w.buf);
	return err;
}

/* Found by a recovery: ours when made after the create began. */
static int policy_claim(struct ms_call *call, const json_t *live, double since,
			bool *ours)
{
	struct where w;
	json_t *have = NULL, *t;
	int err;

	*ours = false;
	where_of(&w, live);
	err = find(&have, call, &w);
	t = json_object_get(have, "CreationTime");
	if (!err && json_is_number(t))
		*ours = json_number_value(t) >= since - CLAIM_SKEW;
	json_decref(have);
	free(w.buf);
	return err;
}

static int policy_normalize(json_t *attrs)
{
	json_t *c = json_object_get(
		attrs, "target_tracking_scaling_policy_configuration");
	int err = 0;

	if (!json_is_object(c))
		return 0;
	err = ms_kit_check_number(c, "scale_in_cooldown", "scale_in_cooldown",
				  0, INFINITY, true);
	if (!err)
		err = ms_kit_check_number(c, "scale_out_cooldown",
					  "scale_out_cooldown", 0, INFINITY,
					  true);
	if (!err)
		err = ms_kit_check_number(c, "target_value", "target_value",
					  -INFINITY, INFINITY, false);
	if (!err && json_object_get(c, "predefined_metric_specification") &&
	    json_object_get(c, "customized_metric_specification"))
		err = ms_error("target_tracking_scaling_policy_configuration: "
			       "give a predefined or a customized metric, not "
			       "both");
	return err;
}

const struct ms_resource_type ms_aws_appautoscaling_policy = {
	.name = "aws_appautoscaling_policy",
	.schema = schema,
	.id_attr = "name",
	.read = policy_read,
	.read_many = policy_read_many,
	.create = policy_create,
	.update = policy_update,
	.delete = policy_delete,
	.normalize = policy_normalize,
	.claim = policy_claim,
	/* free: the endpoint or function it scales is priced with its range */
	.cost = ms_cost_free,
};
