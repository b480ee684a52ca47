/*
 * endpoint.c - aws_sagemaker_endpoint: a real-time inference endpoint
 * serving an endpoint config.
 *
 * The endpoint is the one mutable object of the hosting chain: a new
 * config is rolled out in place with UpdateEndpoint, and the endpoint
 * keeps serving the old one until the new one is InService. Every create
 * and update waits for InService (the EndpointInService waiter), every
 * delete until the endpoint is gone (EndpointDeleted). An endpoint that
 * was made but never became usable is handed back with the error, so
 * that the engine records it (tainted) rather than losing track of it.
 */
#include "util/common.h"
#include "providers/provider.h"
#include "providers/autoscaling/autoscaling.h"
#include "providers/sagemaker/sagemaker.h"
#include "util/json.h"

static const struct ms_attr schema[] = {
	{ "name", MS_ATTR_STRING, MS_ATTR_REQUIRED | MS_ATTR_FORCE_NEW, NULL,
	  NULL, "the endpoint's name", "EndpointName" },
	{ "endpoint_config_name", MS_ATTR_STRING, MS_ATTR_REQUIRED, NULL, NULL,
	  "the endpoint config to serve (a change rolls it out in place)",
	  "EndpointConfigName" },
	{ "tags", MS_ATTR_MAP, MS_ATTR_TAGS, "{}", NULL,
	  "tags (with the stack's default tags and its owner mark)", "Tags" },
	{ "arn", MS_ATTR_STRING, MS_ATTR_COMPUTED, NULL, NULL, "the ARN",
	  "|EndpointArn" },
	{ "status", MS_ATTR_STRING, MS_ATTR_COMPUTED, NULL, NULL,
	  "EndpointStatus when last read (InService)", "|EndpointStatus" },
	{ "id", MS_ATTR_STRING, MS_ATTR_COMPUTED, NULL, NULL,
	  "the endpoint's name" },
	{ "variants", MS_ATTR_LIST, MS_ATTR_COMPUTED, NULL, NULL,
	  "the names of the variants it serves" },
	{ "scaling_variants", MS_ATTR_LIST, MS_ATTR_COMPUTED, NULL, NULL,
	  "those that scale (registered with Application Auto Scaling)" },
	{ MS_SAGEMAKER_LISTED_TIME, MS_ATTR_JSON,
	  MS_ATTR_COMPUTED | MS_ATTR_INTERNAL, NULL, NULL,
	  "LastModifiedTime when last read, for refresh by listing",
	  "|LastModifiedTime" },
	{ NULL },
};

/* botocore EndpointInService: DescribeEndpoint every 30 s, 120 times. */
static const char *const in_service[] = { "InService", NULL };
/* UpdateRollbackFailed is terminal too; waiting on it would be in vain */
static const char *const in_service_failure[] = {
	"Failed",
	"UpdateRollbackFailed",
	NULL,
};
/* botocore EndpointDeleted: every 30 s, 60 times; gone is success. */
static const char *const deleted_failure[] = { "Failed", NULL };
/* Any state in which SageMaker accepts an update or a delete. */
static const char *const settled[] = {
	"InService", "Failed", "OutOfService", "UpdateRollbackFailed", NULL,
};
static const char *const no_states[] = { NULL };

#define IN_SERVICE_DELAY    30.0
#define IN_SERVICE_ATTEMPTS 120
#define DELETED_DELAY       30.0
#define DELETED_ATTEMPTS    60

/* Append the scalable target id of an endpoint's variant to ids. */
static void add_variant_id(json_t *ids, const char *endpoint,
			   const char *variant)
{
	char *rid = ms_asprintf("endpoint/%s/variant/%s", endpoint,
				variant ? variant : "");

	json_array_append_new(ids, json_string(rid));
	free(rid);
}

static int wait_in_service(struct ms_sagemaker_object *e)
{
	return ms_sagemaker_wait(e, in_service, in_service_failure,
				 MS_AWS_WAIT_FAILURE, IN_SERVICE_DELAY,
				 IN_SERVICE_ATTEMPTS);
}

/*
 * Describe the endpoint and wait until SageMaker accepts an update or a
 * delete (a terminal state); MS_ENOTFOUND when it is gone (the message
 * says so when gone_is_error). Deleting counts as settled: a delete is
 * under way.
 */
static int settle(struct ms_sagemaker_object *e, const char *next,
		  bool gone_is_error)
{
	const char *status;
	int err;

	err = ms_sagemaker_object_describe(e);
	status = ms_sagemaker_object_status(e);
	if (!err && *status && strcmp(status, "Deleting") &&
	    !ms_str_in(status, settled)) {
		ms_call_progress(e->call, "waiting for %s to finish before %s",
				 status, next);
		err = ms_sagemaker_wait(e, settled, no_states,
					MS_AWS_WAIT_SUCCESS, IN_SERVICE_DELAY,
					IN_SERVICE_ATTEMPTS);
	}
	if (!err && !e->poll.last)
		err = gone_is_error ?
			      ms_error_code(MS_ENOTFOUND, "%s no longer exists",
					    e->what) :
			      MS_ENOTFOUND;
	return err;
}

/* variant name -> instance type of an endpoint config; NULL: unreadable */
static json_t *variant_types(struct ms_aws *aws, const char *config)
{
	json_t *answer = NULL, *v, *out;
	size_t i;

	if (ms_sagemaker_describe(&answer, aws, "DescribeEndpointConfig",
				  "EndpointConfigName", config) ||
	    !answer) {
		ms_error_clear();
		json_decref(answer);
		return NULL;
	}
	out = json_object();
	json_array_foreach(json_object_get(answer, "ProductionVariants"), i, v)
		json_object_set_new(
			out, ms_kit_str(v, "VariantName", ""),
			json_string(ms_kit_str(v, "InstanceType", "")));
	json_decref(answer);
	return out;
}

/*
 * The variants of the endpoint that scale (registered with Application
 * Auto Scaling) and that the update from config have to want would drop
 * or move to another instance type, which SageMaker refuses while they
 * scale: *detach, their resource ids. *retain: some variant that scales
 * stays as it is, so the update keeps the instance counts auto scaling
 * reached (RetainAllVariantProperties).
 */
static int scaling_in_the_way(json_t **detach, bool *retain,
			      struct ms_call *call, const char *endpoint,
			      const json_t *variants, const char *have,
			      const char *want)
{
	json_t *old = variant_types(call->aws, have);
	json_t *new = variant_types(call->aws, want);
	json_t *ids = json_array(), *registered = NULL, *v;
	const char *name, *id;
	size_t i;
	int err;

	*detach = json_array();
	*retain = false;
	/* the variants it serves: the old config's, else the endpoint's */
	if (old)
		json_object_foreach(old, name, v)
			add_variant_id(ids, endpoint, name);
	else
		json_array_foreach(variants, i, v)
			add_variant_id(ids, endpoint,
				       ms_kit_str(v, "VariantName", ""));
	err = ms_autoscaling_registered(&registered, call->aws, "sagemaker",
					ids);
	json_array_foreach(err ? NULL : registered, i, v) {
		id = json_string_value(v);
		name = strrchr(id, '/') + 1;
		if (old && new &&json_object_get(new, name) &&
		    json_equal(json_object_get(new, name),
			       json_object_get(old, name)))
			*retain = true;
		else
			json_array_append(*detach, v);
	}
	json_decref(old);
	json_decref(new);
	json_decref(ids);
	json_decref(registered);
	return err;
}

/*
 * A new endpoint_config_name is rolled out with UpdateEndpoint and waited
 * for until InService; the endpoint serves the old config meanwhile. If
 * SageMaker rolls the update back (the endpoint comes back InService on
 * the old config, with a FailureReason), that is an error. On any error
 * after the endpoint was read, *out holds what it looks like now, so the
 * state keeps the config it really serves.
 */
static int endpoint_update(struct ms_call *call, const json_t *prior,
			   const json_t *desired, json_t **out)
{
	const char *want = ms_kit_str(desired, "endpoint_config_name", NULL);
	const char *have = ms_kit_str(prior, "endpoint_config_name", "");
	const char *arn = ms_kit_str(prior, "arn", NULL), *now, *reason;
	struct ms_aws_error error = MS_AWS_ERROR_INIT;
	struct ms_sagemaker_object e;
	json_t *body = NULL, *detach = NULL, *saved = NULL;
	bool retain = false;
	int err = 0;

	*out = NULL;
	ms_sagemaker_object_init(&e, call, ms_kit_name(call, prior));
	if (want && strcmp(want, have)) {
		err = settle(&e, "updating", true);
		if (err)
			goto done;
		/*
		 * An earlier update that outlived its wait (a timeout) may
		 * have rolled the config out meanwhile: a second UpdateEndpoint
		 * would redeploy every instance for nothing.
		 */
		now = ms_kit_str(e.poll.last, "EndpointConfigName", "");
		if (!strcmp(now, want) &&
		    !strcmp(ms_sagemaker_object_status(&e), "InService"))
			goto rolled_out;
		err = scaling_in_the_way(&detach, &retain, call, e.name,
					 json_object_get(e.poll.last,
							 "ProductionVariants"),
					 have, want);
		if (!err && json_array_size(detach)) {
			ms_call_progress(
				call,
				"taking auto scaling off %zu variant(s) "
				"for the update: SageMaker refuses to "
				"change the instance type of a "
				"variant that scales",
				json_array_size(detach));
			err = ms_autoscaling_detach(&saved, call->aws,
						    "sagemaker", detach);
		}
		if (err)
			goto done;
		ms_call_progress(call, "updating to endpoint config '%s'",
				 want);
		body = json_pack("{s:s, s:s}", "EndpointName", e.name,
				 "EndpointConfigName", want);
		/* the instance counts auto scaling reached stay */
		if (retain)
			json_object_set_new(body, "RetainAllVariantProperties",
					    json_true());
		err = ms_sagemaker_call(NULL, &error, call->aws,
					"UpdateEndpoint", body);
		if (err && ms_aws_error_is(&error, "ValidationException",
					   "in-progress"))
			err = ms_sagemaker_resume(&e, "Updating", want);
		if (!err && !e.poll.last)
			err = ms_error_code(MS_ENOTFOUND, "%s no longer exists",
					    e.what);
		if (!err)
			err = wait_in_service(&e);
		if (err)
			goto done;
		now = ms_kit_str(e.poll.last, "EndpointConfigName", "");
		if (strcmp(now, want)) {
			reason = ms_kit_str(e.poll.last, "FailureReason",
					    "AWS gave no reason");
			err = ms_error("%s: the update to endpoint config '%s' "
				       "was rolled back (it serves '%s'): %s",
				       e.what, want, now, reason);
			goto done;
		}
	rolled_out:
		if (!arn)
			arn = ms_kit_str(e.poll.last, "EndpointArn", NULL);
	}
	if (!arn || !*arn) {
		err = ms_error("%s: no ARN in the prior state", e.what);
		goto done;
	}
	err = ms_sagemaker_tags_update(call->aws, arn,
				       json_object_get(prior, "tags"),
				       json_object_get(desired, "tags"));
done:
	/* auto scaling back on, whatever became of the update */
	if (json_array_size(saved)) {
		int again = ms_autoscaling_attach(call->aws, saved);

		if (again && !err)
			err = ms_error("%s: auto scaling could not be put back "
				       "after the update: %s",
				       e.what, ms_error_last());
		else if (!again)
			ms_call_progress(call,
					 "auto scaling put back on %zu "
					 "variant(s)",
					 json_array_size(saved));
	}
	if (!err || e.poll.last)
		*out = ms_sagemaker_object_attrs(
			&e, prior,
			json_object_get(err ? prior : desired, "tags"), arn);
	ms_aws_error_release(&error);
	json_decref(body);
	json_decref(detach);
	json_decref(saved);
	ms_sagemaker_object_release(&e);
	return err;
}

/* Take auto scaling off every variant of the endpoint, for good. */
static int unscale(struct ms_call *call, struct ms_sagemaker_object *e)
{
	json_t *ids = json_array(), *registered = NULL, *saved = NULL, *v;
	size_t i;
	int err;

	json_array_foreach(json_object_get(e->poll.last, "ProductionVariants"),
			   i, v)
		add_variant_id(ids, e->name, ms_kit_str(v, "VariantName", ""));
	err = ms_autoscaling_registered(&registered, call->aws, "sagemaker",
					ids);
	if (!err && json_array_size(registered)) {
		ms_call_progress(call,
				 "deregistering %zu variant(s) from auto "
				 "scaling first",
				 json_array_size(registered));
		err = ms_autoscaling_detach(&saved, call->aws, "sagemaker",
					    registered);
	}
	json_decref(ids);
	json_decref(registered);
	json_decref(saved);
	return err;
}

static int endpoint_delete(struct ms_call *call, const json_t *prior)
{
	struct ms_aws_error error = MS_AWS_ERROR_INIT;
	struct ms_sagemaker_object e;
	json_t *body = NULL;
	bool was_failed;
	int err;

	ms_sagemaker_object_init(&e, call, ms_kit_name(call, prior));
	err = settle(&e, "deleting", false);
	if (err)
		goto done;
	/* a Failed endpoint may still say so right after the delete */
	was_failed = !strcmp(ms_sagemaker_object_status(&e), "Failed");
	/* SageMaker keeps an endpoint whose variants still scale */
	err = unscale(call, &e);
	if (err)
		goto done;
	if (strcmp(ms_sagemaker_object_status(&e), "Deleting")) {
		body = json_pack("{s:s}", "EndpointName", e.name);
		err = ms_sagemaker_call(NULL, &error, call->aws,
					"DeleteEndpoint", body);
		if (err && ms_sagemaker_not_found(&error))
			err = MS_ENOTFOUND;
		else if (err && ms_aws_error_is(&error, "ValidationException",
						"in-progress"))
			err = ms_sagemaker_resume(&e, "Deleting", NULL);
		if (!err && !e.poll.last)
			err = MS_ENOTFOUND;
		if (err)
			goto done;
	}
	err = ms_sagemaker_wait(&e, no_states,
				was_failed ? no_states : deleted_failure,
				MS_AWS_WAIT_SUCCESS, DELETED_DELAY,
				DELETED_ATTEMPTS);
done:
	if (err == MS_ENOTFOUND) {
		ms_error_clear();
		err = 0; /* gone: what a delete wants */
	}
	ms_aws_error_release(&error);
	json_decref(body);
	ms_sagemaker_object_release(&e);
	return err;
}

/* The variants' names, from a DescribeEndpoint answer. */
static void endpoint_answer(json_t *attrs, const json_t *answer)
{
	json_t *names = json_array(), *v;
	size_t i;

	json_array_foreach(json_object_get(answer, "ProductionVariants"), i, v)
		json_array_append_new(
			names, json_string(ms_kit_str(v, "VariantName", "")));
	json_object_set_new(attrs, "variants", names);
}

/* The endpoint, and which of its variants scale. */
static int endpoint_read(struct ms_call *call, const json_t *prior,
			 json_t **out)
{
	json_t *ids = json_array(), *registered = NULL, *v, *names;
	const char *name;
	size_t i;
	int err = ms_sagemaker_read(call, prior, out);

	name = *out ? ms_kit_str(*out, "name", NULL) : NULL;
	json_array_foreach(name ? json_object_get(*out, "variants") : NULL, i,
			   v)
		add_variant_id(ids, name, json_string_value(v));
	if (!err && name)
		err = ms_autoscaling_registered(&registered, call->aws,
						"sagemaker", ids);
	if (!err && name) {
		names = json_array();
		json_array_foreach(registered, i, v)
			json_array_append_new(
				names,
				json_string(strrchr(json_string_value(v), '/') +
					    1));
		json_object_set_new(*out, "scaling_variants", names);
	}
	json_decref(ids);
	json_decref(registered);
	return err;
}

/* Whether two lists of strings hold the same strings. */
static bool same_set(const json_t *a, const json_t *b)
{
	json_t *x = json_deep_copy(a), *y = json_deep_copy(b);
	bool same;

	ms_kit_sorted_set(x);
	ms_kit_sorted_set(y);
	same = json_equal(x, y);
	json_decref(x);
	json_decref(y);
	return same;
}

/*
 * For refresh by listing: which variants of each endpoint found scale,
 * asked of Application Auto Scaling for many endpoints a call. The
 * variants themselves change only with the config, which moves the
 * endpoint's LastModifiedTime.
 */
static int endpoint_many(struct ms_call *call, json_t *found)
{
	json_t *ids = json_array(), *registered = NULL, *v, *live, *names;
	const char *name;
	size_t i;
	int err;

	json_object_foreach(found, name, live)
		json_array_foreach(json_object_get(live, "variants"), i, v)
			add_variant_id(ids, ms_kit_str(live, "name", ""),
				       json_string_value(v));
	err = ms_autoscaling_registered(&registered, call->aws, "sagemaker",
					ids);
	json_object_foreach(err ? NULL : found, name, live) {
		char *prefix = ms_asprintf("endpoint/%s/variant/",
					   ms_kit_str(live, "name", ""));

		names = json_array();
		json_array_foreach(registered, i, v)
			if (!strncmp(json_string_value(v), prefix,
				     strlen(prefix)))
				json_array_append_new(
					names,
					json_string(json_string_value(v) +
						    strlen(prefix)));
		/* the order AWS lists them in is no change */
		if (!same_set(names, json_object_get(live, "scaling_variants")))
			json_object_set(live, "scaling_variants", names);
		json_decref(names);
		free(prefix);
	}
	json_decref(ids);
	json_decref(registered);
	return err;
}

/*
 * The plan says what an update does besides UpdateEndpoint when the
 * endpoint's variants scale.
 */
static char *endpoint_update_note(const json_t *before, const json_t *after)
{
	json_t *scaling = json_object_get(before, "scaling_variants");
	char *list, *note;

	if (!json_array_size(scaling) ||
	    json_equal(json_object_get(before, "endpoint_config_name"),
		       json_object_get(after, "endpoint_config_name")))
		return NULL;
	list = ms_json_compact(scaling);
	note = ms_asprintf(
		"variants %s scale: a variant whose instance type changes has "
		"its auto scaling (policies and target) taken off before the "
		"update and put back after it, as SageMaker requires; "
		"otherwise the update keeps the instance counts auto scaling "
		"reached",
		list);
	free(list);
	return note;
}

static const char *const compared[] = { "endpoint_config_name", NULL };

static const struct ms_sagemaker_kind kind = {
	.noun = "endpoint",
	.object = "Endpoint",
	.status = "EndpointStatus",
	.wait = wait_in_service,
	.compared = compared,
	.list = "ListEndpoints",
	.list_key = "Endpoints",
	.tag_type = "sagemaker:endpoint",
	.many = endpoint_many,
	.answer = endpoint_answer,
};

/*
 * Each production variant of the config it serves: its instance type by
 * the hour, times its initial instance count, or, when an auto scaling
 * target of the stack scales the variant, from its minimum to its
 * maximum capacity. The config and the target are other resources of
 * the stack, found through env.
 */
static int endpoint_cost(struct ms_cost *out, const json_t *attrs,
			 const struct ms_cost_env *env)
{
	const char *name = json_string_value(json_object_get(attrs, "name"));
	const char *config_name = json_string_value(
		json_object_get(attrs, "endpoint_config_name"));
	const json_t *config, *variants, *v, *target;
	char what[192], *id;
	size_t i;

	config = env->related(env, "endpoint_config_name",
			      "aws_sagemaker_endpoint_configuration", "name");
	if (!config) {
		if (config_name)
			ms_cost_unknown(out,
					"endpoint config %s is not in the "
					"stack",
					config_name);
		else
			ms_cost_unknown(out, "its endpoint config is not in "
					     "the stack");
		return 0;
	}
	variants = json_object_get(config, "production_variants");
	if (!json_is_array(variants)) {
		ms_cost_unknown(out, "the production variants of its config "
				     "are not known");
		return 0;
	}
	json_array_foreach(variants, i, v) {
		const char *type = ms_cost_string(out, v, "instance_type");
		const char *variant =
			json_string_value(json_object_get(v, "variant_name"));
		double count =
			ms_cost_number(out, v, "initial_instance_count", 1);
		double lo = count, hi = count;

		if (!type || count < 0)
			continue;
		if (name && variant) {
			id = ms_asprintf("endpoint/%s/variant/%s", name,
					 variant);
			target = env->find(env, "aws_appautoscaling_target",
					   "resource_id", id);
			free(id);
			if (target) {
				lo = ms_cost_number(out, target, "min_capacity",
						    count);
				hi = ms_cost_number(out, target, "max_capacity",
						    count);
				if (lo < 0 || hi < 0)
					continue;
			}
		}
		snprintf(what, sizeof(what),
			 "hosting instances %s (variant %s)", type,
			 variant ? variant : "?");
		ms_cost_add(out, env, "sagemaker.hosting", type, what, lo, hi);
	}
	return 0;
}

const struct ms_resource_type ms_aws_sagemaker_endpoint = {
	.name = "aws_sagemaker_endpoint",
	.schema = schema,
	.id_attr = "name",
	.name_min = 1,
	.name_max = 63,
	.name_chars = "a-zA-Z0-9-",
	.name_ends = "a-zA-Z0-9",
	.kind = &kind,
	.read_many = ms_sagemaker_read_many,
	.read = endpoint_read,
	.create = ms_sagemaker_create,
	.update = endpoint_update,
	.delete = endpoint_delete,
	.update_note = endpoint_update_note,
	.cost = endpoint_cost,
};
