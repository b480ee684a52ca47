/*
 * target.c - aws_appautoscaling_target: a resource registered with
 * Application Auto Scaling (an endpoint variant's instance count, a Lambda
 * alias's provisioned concurrency) and the capacity range it may take.
 *
 * RegisterScalableTarget creates and updates alike. A resource already
 * registered is taken over only when its target carries this stack's
 * owner mark in its tags. The object is named by its resource id.
 *
 * Refresh reads many targets at once (target_read_many): one
 * DescribeScalableTargets a namespace and 50 resource ids, then one
 * ListTagsForResource a target found, as its own read makes (no call
 * gives the tags of many targets), -parallelism at a time. A target not
 * in the answer is read alone (docs/refresh.md).
 */
#include "util/common.h"
#include "providers/provider.h"
#include "providers/autoscaling/autoscaling.h"

static const struct ms_attr schema[] = {
	{ "service_namespace", MS_ATTR_STRING,
	  MS_ATTR_REQUIRED | MS_ATTR_FORCE_NEW, NULL, NULL,
	  "the service (\"sagemaker\", \"lambda\")", "ServiceNamespace" },
	{ "resource_id", MS_ATTR_STRING, MS_ATTR_REQUIRED | MS_ATTR_FORCE_NEW,
	  NULL, NULL, "what scales (\"endpoint/<name>/variant/<variant>\")",
	  "ResourceId" },
	{ "scalable_dimension", MS_ATTR_STRING,
	  MS_ATTR_REQUIRED | MS_ATTR_FORCE_NEW, NULL, NULL,
	  "what of it (\"sagemaker:variant:DesiredInstanceCount\")",
	  "ScalableDimension" },
	{ "min_capacity", MS_ATTR_NUMBER, MS_ATTR_REQUIRED, NULL, NULL,
	  "the least capacity", "MinCapacity" },
	{ "max_capacity", MS_ATTR_NUMBER, MS_ATTR_REQUIRED, NULL, NULL,
	  "the most capacity", "MaxCapacity" },
	{ "role_arn", MS_ATTR_STRING,
	  MS_ATTR_OPTIONAL_COMPUTED | MS_ATTR_FORCE_NEW | MS_ATTR_ARN, NULL,
	  NULL, "the role it scales with (default: the service-linked role)",
	  "RoleARN" },
	{ "tags", MS_ATTR_MAP, MS_ATTR_TAGS, "{}", NULL,
	  "tags (with the stack's default tags and its owner mark)", "Tags|" },
	{ "arn", MS_ATTR_STRING, MS_ATTR_COMPUTED, NULL, NULL, "the ARN",
	  "|ScalableTargetARN" },
	{ "id", MS_ATTR_STRING, MS_ATTR_COMPUTED, NULL, NULL,
	  "the resource id" },
	{ NULL },
};

static int list_tags(json_t **out, struct ms_call *call, const char *arn)
{
	json_t *body = json_pack("{s:s}", "ResourceARN", arn), *answer = NULL;
	int err = ms_autoscaling_call(&answer, NULL, call->aws,
				      "ListTagsForResource", body);

	*out = err ? NULL : json_deep_copy(json_object_get(answer, "Tags"));
	if (!err && !*out)
		*out = json_object();
	json_decref(body);
	json_decref(answer);
	return err;
}

/* The namespace of attrs, said or read from the resource id. */
static const char *namespace_of(const json_t *attrs)
{
	return ms_kit_str(attrs, "service_namespace",
			  ms_autoscaling_namespace_of(
				  ms_kit_str(attrs, "resource_id", NULL)));
}

/*
 * The attributes of the target DescribeScalableTargets answered as live,
 * with its tags (a call of their own): what read answers for it.
 */
static int target_attrs(json_t **out, struct ms_call *call, const json_t *live)
{
	json_t *tags = NULL;
	int err = list_tags(&tags, call,
			    ms_kit_str(live, "ScalableTargetARN", ""));

	*out = NULL;
	if (!err)
		err = ms_kit_attrs(out, call->type, live, tags);
	json_decref(tags);
	return err;
}

static int target_read(struct ms_call *call, const json_t *prior, json_t **out)
{
	const char *ns = namespace_of(prior);
	const char *id = ms_kit_str(prior, "resource_id", NULL);
	json_t *live = NULL;
	int err;

	*out = NULL;
	if (!id || !ns)
		return ms_error("'%s' is not a resource id Application Auto "
				"Scaling knows",
				id ? id : "");
	err = ms_autoscaling_target(&live, call->aws, ns, id,
				    ms_kit_str(prior, "scalable_dimension",
					       NULL));
	if (!err && live)
		err = target_attrs(out, call, live);
	json_decref(live);
	return err;
}

/* DescribeScalableTargets' largest page. */
#define TARGETS_PAGE 50

/* What tells a target from any other: namespace, resource id, dimension. */
static char *target_key(const char *ns, const char *id, const char *dimension)
{
	return ms_asprintf("%s\n%s\n%s", ns ? ns : "", id ? id : "",
			   dimension ? dimension : "");
}

/* The targets found by a refresh of many, each read with its tags. */
struct found {
	struct ms_call *call;
	const char **names;
	const json_t **items;
	json_t **live; /* NULL: left to its own read */
};

static int read_found(size_t i, void *payload)
{
	struct found *f = payload;

	/* deregistered since, or refused: its own read says which */
	if (target_attrs(&f->live[i], f->call, f->items[i]))
		ms_error_clear();
	return 0;
}

/*
 * Refresh of many targets (docs/refresh.md): the targets of a namespace
 * are asked for 50 resource ids a DescribeScalableTargets, with their
 * dimension when all of them have the same, and each one found has its
 * tags read as its own read would, -parallelism at a time. One the
 * answer does not hold, or whose tags cannot be read, is left to its own
 * read: absence from a bulk answer is not taken for gone.
 */
static int target_read_many(struct ms_call *call, const json_t *priors,
			    json_t **out)
{
	json_t *wanted = json_object(), *found = json_object();
	json_t *items = NULL, *prior, *item, *fields;
	size_t n = json_object_size(priors) + 1, k = 0, i;
	struct found f = { call, ms_calloc(n, sizeof(*f.names)),
			   ms_calloc(n, sizeof(*f.items)),
			   ms_calloc(n, sizeof(*f.live)) };
	const char *name, *id, *dimension;
	char *key;
	int err;

	*out = NULL;
	json_object_foreach((json_t *)priors, name, prior) {
		id = ms_kit_str(prior, "resource_id", NULL);
		dimension = ms_kit_str(prior, "scalable_dimension", NULL);
		if (!namespace_of(prior) || !id || !dimension)
			continue;
		fields = json_pack("{s:s}", "ScalableDimension", dimension);
		ms_autoscaling_want(wanted, namespace_of(prior), id, fields);
		json_decref(fields);
	}
	err = ms_autoscaling_describe_many(&items, call->aws,
					   "DescribeScalableTargets",
					   "ResourceIds", "ScalableTargets",
					   TARGETS_PAGE, wanted);
	if (err)
		goto done;
	json_array_foreach(items, i, item) {
		key = target_key(ms_kit_str(item, "ServiceNamespace", NULL),
				 ms_kit_str(item, "ResourceId", NULL),
				 ms_kit_str(item, "ScalableDimension", NULL));
		if (!json_object_get(found, key))
			json_object_set(found, key, item);
		free(key);
	}
	json_object_foreach((json_t *)priors, name, prior) {
		key = target_key(namespace_of(prior),
				 ms_kit_str(prior, "resource_id", NULL),
				 ms_kit_str(prior, "scalable_dimension", NULL));
		if ((item = json_object_get(found, key))) {
			f.names[k] = name;
			f.items[k++] = item;
		}
		free(key);
	}
	ms_kit_parallel(k, call->parallelism, read_found, &f);
	*out = json_object();
	for (i = 0; i < k; i++)
		if (f.live[i])
			json_object_set_new(*out, f.names[i], f.live[i]);
done:
	free(f.names);
	free(f.items);
	free(f.live);
	json_decref(wanted);
	json_decref(found);
	json_decref(items);
	return err;
}

static int tags_update(struct ms_call *call, const char *arn,
		       const json_t *have, const json_t *want)
{
	json_t *gone = json_array(), *body, *v;
	const char *key;
	int err = 0;

	json_object_foreach((json_t *)have, key, v)
		if (!json_object_get(want, key))
			json_array_append_new(gone, json_string(key));
	if (json_array_size(gone)) {
		body = json_pack("{s:s, s:O}", "ResourceARN", arn, "TagKeys",
				 gone);
		err = ms_autoscaling_call(NULL, NULL, call->aws,
					  "UntagResource", body);
		json_decref(body);
	}
	if (!err && !json_equal(have, want) && json_object_size(want)) {
		body = json_pack("{s:s, s:O}", "ResourceARN", arn, "Tags",
				 want);
		err = ms_autoscaling_call(NULL, NULL, call->aws, "TagResource",
					  body);
		json_decref(body);
	}
	json_decref(gone);
	return err;
}

static int register_target(struct ms_call *call, const json_t *desired,
			   json_t **out)
{
	json_t *body = NULL, *answer = NULL;
	int err = ms_kit_request(&body, call->type->schema, desired,
				 ms_autoscaling_tags);

	*out = NULL;
	if (!err)
		err = ms_autoscaling_call(&answer, NULL, call->aws,
					  "RegisterScalableTarget", body);
	if (!err) {
		*out = ms_kit_attrs_from(call->type, desired);
		json_object_set(*out, "arn",
				json_object_get(answer, "ScalableTargetARN"));
	}
	json_decref(body);
	json_decref(answer);
	return err;
}

static int target_create(struct ms_call *call, const json_t *desired,
			 json_t **out)
{
	json_t *have = NULL;
	char what[400];
	int err;

	*out = NULL;
	err = target_read(call, desired, &have);
	if (!err && have &&
	    !ms_call_owns(call, json_object_get(have, "tags"))) {
		snprintf(what, sizeof(what), "scalable target '%s'",
			 ms_kit_str(desired, "resource_id", ""));
		err = ms_call_taken(call, what,
				    ms_kit_str(desired, "resource_id", ""));
	}
	if (!err)
		err = register_target(call, desired, out);
	/* an existing target keeps its tags through a register */
	if (!err && have)
		err = tags_update(call, ms_kit_str(*out, "arn", ""),
				  json_object_get(have, "tags"),
				  json_object_get(desired, "tags"));
	json_decref(have);
	return err;
}

static int target_update(struct ms_call *call, const json_t *prior,
			 const json_t *desired, json_t **out)
{
	int err = register_target(call, desired, out);

	if (!err && !json_is_string(json_object_get(*out, "arn")))
		json_object_set(*out, "arn", json_object_get(prior, "arn"));
	if (!err)
		err = tags_update(call, ms_kit_str(*out, "arn", ""),
				  json_object_get(prior, "tags"),
				  json_object_get(desired, "tags"));
	return err;
}

static int target_delete(struct ms_call *call, const json_t *prior)
{
	struct ms_aws_error error = MS_AWS_ERROR_INIT;
	json_t *body = json_pack("{s:s?, s:s?, s:s?}", "ServiceNamespace",
				 namespace_of(prior), "ResourceId",
				 ms_kit_str(prior, "resource_id", NULL),
				 "ScalableDimension",
				 ms_kit_str(prior, "scalable_dimension", NULL));
	int err = ms_autoscaling_call(NULL, &error, call->aws,
				      "DeregisterScalableTarget", body);

	if (err && ms_aws_error_is(&error, "ObjectNotFoundException", NULL)) {
		ms_error_clear();
		err = 0;
	}
	ms_aws_error_release(&error);
	json_decref(body);
	return err;
}

static int target_normalize(json_t *attrs)
{
	int err = ms_kit_check_number(attrs, "min_capacity", "min_capacity", 0,
				      INFINITY, true);

	if (!err)
		err = ms_kit_check_number(attrs, "max_capacity", "max_capacity",
					  0, INFINITY, true);
	ms_kit_strings(json_object_get(attrs, "tags"));
	return err;
}

const struct ms_resource_type ms_aws_appautoscaling_target = {
	.name = "aws_appautoscaling_target",
	.schema = schema,
	.id_attr = "resource_id",
	.read = target_read,
	.read_many = target_read_many,
	.create = target_create,
	.update = target_update,
	.delete = target_delete,
	.normalize = target_normalize,
	/* free: the endpoint or function it scales is priced with its range */
	.cost = ms_cost_free,
};
