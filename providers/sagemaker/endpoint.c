/*
 * endpoint.c - aws_sagemaker_endpoint: a real-time inference endpoint
 * serving an endpoint config, over JSON 1.1.
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
#include "providers/sagemaker/sagemaker.h"

static const struct ms_attr schema[] = {
	{ "name", MS_ATTR_STRING, MS_ATTR_REQUIRED | MS_ATTR_FORCE_NEW, NULL,
	  NULL, "the endpoint's name" },
	{ "endpoint_config_name", MS_ATTR_STRING, MS_ATTR_REQUIRED, NULL, NULL,
	  "the endpoint config to serve (a change rolls it out in place)" },
	{ "tags", MS_ATTR_MAP, MS_ATTR_TAGS, "{}", NULL,
	  "tags (with the stack's default tags and its owner mark)" },
	{ "arn", MS_ATTR_STRING, MS_ATTR_COMPUTED, NULL, NULL, "the ARN" },
	{ "status", MS_ATTR_STRING, MS_ATTR_COMPUTED, NULL, NULL,
	  "EndpointStatus when last read (InService)" },
	{ "id", MS_ATTR_STRING, MS_ATTR_COMPUTED, NULL, NULL,
	  "the endpoint's name" },
	{ NULL, 0, 0, NULL, NULL, NULL },
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

static void endpoint_init(struct ms_sagemaker_object *e, struct ms_call *call,
			  const char *name)
{
	ms_sagemaker_object_init(e, call, "endpoint", name, "DescribeEndpoint",
				 "EndpointName", "EndpointStatus");
}

static int wait_in_service(struct ms_sagemaker_object *e)
{
	return ms_sagemaker_wait(e, in_service, in_service_failure,
				 MS_AWS_WAIT_FAILURE, IN_SERVICE_DELAY,
				 IN_SERVICE_ATTEMPTS);
}

int ms_sagemaker_endpoint_request(json_t **out, const json_t *attrs)
{
	const char *name = ms_sagemaker_str(attrs, "name", NULL);
	const char *config =
		ms_sagemaker_str(attrs, "endpoint_config_name", NULL);
	const json_t *tags = json_object_get(attrs, "tags");

	*out = NULL;
	if (!name)
		return ms_error("aws_sagemaker_endpoint: no name");
	if (!config)
		return ms_error("endpoint '%s': no endpoint_config_name", name);
	*out = json_pack("{s:s, s:s}", "EndpointName", name,
			 "EndpointConfigName", config);
	if (json_object_size(tags))
		json_object_set_new(*out, "Tags", ms_sagemaker_tags_list(tags));
	return 0;
}

int ms_sagemaker_endpoint_attrs(json_t **out, const json_t *described,
				const json_t *tags)
{
	const char *name = ms_sagemaker_str(described, "EndpointName", NULL);
	const char *config =
		ms_sagemaker_str(described, "EndpointConfigName", NULL);
	const char *status =
		ms_sagemaker_str(described, "EndpointStatus", NULL);
	json_t *o;

	*out = NULL;
	if (!name)
		return ms_error("DescribeEndpoint: no EndpointName in the "
				"answer");
	o = json_object();
	json_object_set_new(o, "name", json_string(name));
	json_object_set_new(o, "id", json_string(name));
	json_object_set_new(
		o, "arn",
		json_string(ms_sagemaker_str(described, "EndpointArn", "")));
	if (config)
		json_object_set_new(o, "endpoint_config_name",
				    json_string(config));
	if (status)
		json_object_set_new(o, "status", json_string(status));
	json_object_set_new(o, "tags",
			    tags ? json_deep_copy(tags) : json_object());
	ms_sagemaker_strings_normalize(json_object_get(o, "tags"));
	*out = o;
	return 0;
}

/*
 * The attributes of the endpoint after a create or update: as last
 * described when there is an answer, else base's (the desired or prior
 * attributes) with the ARN. tags are what the call left in place: a read
 * right after AddTags could miss them.
 */
static json_t *endpoint_result(const struct ms_sagemaker_object *e,
			       const json_t *base, const json_t *tags,
			       const char *arn)
{
	json_t *o = NULL, *v;

	if (e->poll.last &&
	    !ms_sagemaker_endpoint_attrs(&o, e->poll.last, tags))
		return o;
	o = json_object();
	json_object_set_new(o, "name", json_string(e->name));
	json_object_set_new(o, "id", json_string(e->name));
	json_object_set_new(o, "arn", json_string(arn ? arn : ""));
	v = json_object_get(base, "endpoint_config_name");
	if (v)
		json_object_set(o, "endpoint_config_name", v);
	v = json_object_get(base, "status");
	if (v)
		json_object_set(o, "status", v);
	json_object_set_new(o, "tags",
			    tags ? json_deep_copy(tags) : json_object());
	ms_sagemaker_strings_normalize(json_object_get(o, "tags"));
	return o;
}

static int endpoint_read(struct ms_call *call, const json_t *prior,
			 json_t **out)
{
	const char *name = ms_sagemaker_name(prior);
	json_t *described = NULL, *tags = NULL;
	int err;

	*out = NULL;
	if (!name)
		return ms_error("aws_sagemaker_endpoint: no name in the prior "
				"state");
	err = ms_sagemaker_describe(&described, call->aws, "DescribeEndpoint",
				    "EndpointName", name);
	if (err || !described)
		goto done;
	err = ms_sagemaker_tags_read(&tags, call->aws,
				     ms_sagemaker_str(described, "EndpointArn",
						      ""));
	if (err)
		goto done;
	err = ms_sagemaker_endpoint_attrs(out, described, tags);
done:
	json_decref(described);
	json_decref(tags);
	return err;
}

/*
 * CreateEndpoint said the name is taken. A retried CreateEndpoint whose
 * first answer was lost is told so about the endpoint it made itself: an
 * endpoint there with this resource's owner mark, on the desired config,
 * is adopted (its tags brought in
 * line), and the caller waits for it as for one it made. One on another
 * config is not ours to take. e->poll.last is left as described.
 */
static int endpoint_adopt(struct ms_sagemaker_object *e, const json_t *desired)
{
	const char *want =
		ms_sagemaker_str(desired, "endpoint_config_name", "");
	const char *have;
	json_t *tags;
	int err;

	err = ms_sagemaker_describe(&e->poll.last, e->call->aws,
				    "DescribeEndpoint", "EndpointName",
				    e->name);
	if (err)
		return err;
	if (!e->poll.last)
		return ms_error("%s: CreateEndpoint says it exists, "
				"DescribeEndpoint that it does not",
				e->what);
	err = ms_sagemaker_owned(
		e->call, e->what,
		ms_sagemaker_str(e->poll.last, "EndpointArn", ""), e->name);
	if (err)
		return err;
	have = ms_sagemaker_str(e->poll.last, "EndpointConfigName", "");
	if (strcmp(have, want))
		return ms_error("%s: the name is taken by a different endpoint "
				"(it serves endpoint config '%s', not '%s'): "
				"give this one another name, or delete that "
				"one",
				e->what, have, want);
	ms_call_progress(e->call, "adopting the endpoint made by an earlier "
				  "attempt");
	tags = json_deep_copy(json_object_get(desired, "tags"));
	if (!tags)
		tags = json_object();
	ms_sagemaker_strings_normalize(tags);
	err = ms_sagemaker_tags_set(
		e->call->aws, ms_sagemaker_str(e->poll.last, "EndpointArn", ""),
		tags);
	json_decref(tags);
	return err;
}

/* CreateEndpoint, then wait for InService (see ms_sagemaker_create_wait). */
static int endpoint_create(struct ms_call *call, const json_t *desired,
			   json_t **out)
{
	static const struct ms_sagemaker_create how = {
		.operation = "CreateEndpoint",
		.taken = "already exist",
		.arn_key = "EndpointArn",
		.adopt = endpoint_adopt,
		.wait = wait_in_service,
		.result = endpoint_result,
	};
	struct ms_sagemaker_object e;
	json_t *body = NULL;
	int err;

	*out = NULL;
	err = ms_sagemaker_endpoint_request(&body, desired);
	if (err)
		return err;
	endpoint_init(&e, call, ms_sagemaker_str(desired, "name", ""));
	err = ms_sagemaker_create_wait(out, &e, &how, body, desired);
	json_decref(body);
	ms_sagemaker_object_release(&e);
	return err;
}

/*
 * SageMaker refused a call on the endpoint as "in-progress". A retried
 * call whose first answer was lost is refused so for the very change it
 * started, so the endpoint is described: when its status is status (and,
 * with config, it is rolling out that config), or it is gone, the change
 * is under way and 0 is returned for the caller to wait as usual;
 * otherwise the refusal stands. e->poll.last is the answer (NULL: gone).
 */
static int resume(struct ms_sagemaker_object *e, const char *status,
		  const char *config)
{
	char *refusal = ms_strdup(ms_error_last());
	const json_t *pending;
	int err;

	ms_error_clear();
	json_decref(e->poll.last);
	e->poll.last = NULL;
	err = ms_sagemaker_describe(&e->poll.last, e->call->aws,
				    "DescribeEndpoint", "EndpointName",
				    e->name);
	if (err || !e->poll.last)
		goto done;
	pending = json_object_get(e->poll.last, "PendingDeploymentSummary");
	if (strcmp(ms_sagemaker_str(e->poll.last, "EndpointStatus", ""),
		   status) ||
	    (config &&
	     strcmp(ms_sagemaker_str(pending, "EndpointConfigName", ""),
		    config))) {
		err = ms_error("%s", refusal);
		goto done;
	}
	ms_call_progress(e->call, "%s: already under way", status);
done:
	free(refusal);
	return err;
}

static bool is_settled(const char *status)
{
	size_t i;

	for (i = 0; settled[i]; i++)
		if (!strcmp(status, settled[i]))
			return true;
	return false;
}

/*
 * Wait until SageMaker accepts an update or a delete (a terminal state);
 * *gone when the endpoint went meanwhile. Deleting counts as settled for
 * a delete: it is under way.
 */
static int settle(struct ms_sagemaker_object *e, const char *status,
		  const char *next, bool *gone)
{
	int err;

	*gone = false;
	if (!status || !strcmp(status, "Deleting") || is_settled(status))
		return 0;
	ms_call_progress(e->call, "waiting for %s to finish before %s", status,
			 next);
	err = ms_sagemaker_wait(e, settled, no_states, MS_AWS_WAIT_SUCCESS,
				IN_SERVICE_DELAY, IN_SERVICE_ATTEMPTS);
	if (!err && !e->poll.last)
		*gone = true;
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
	const char *name = ms_sagemaker_name(prior);
	const char *want =
		ms_sagemaker_str(desired, "endpoint_config_name", NULL);
	const char *have = ms_sagemaker_str(prior, "endpoint_config_name", "");
	const char *arn = ms_sagemaker_str(prior, "arn", NULL);
	const char *status, *now, *reason;
	struct ms_aws_error error = MS_AWS_ERROR_INIT;
	json_t *body = NULL;
	struct ms_sagemaker_object e;
	bool gone = false;
	int err = 0;

	*out = NULL;
	if (!name)
		return ms_error("aws_sagemaker_endpoint: no name in the prior "
				"state");
	endpoint_init(&e, call, name);
	if (want && strcmp(want, have)) {
		err = ms_sagemaker_describe(&e.poll.last, call->aws,
					    "DescribeEndpoint", "EndpointName",
					    name);
		if (!err && !e.poll.last)
			err = ms_error_code(MS_ENOTFOUND,
					    "endpoint '%s' no "
					    "longer exists",
					    name);
		if (err)
			goto done;
		status = ms_sagemaker_str(e.poll.last, "EndpointStatus", NULL);
		err = settle(&e, status, "updating", &gone);
		if (!err && gone)
			err = ms_error_code(MS_ENOTFOUND,
					    "endpoint '%s' no "
					    "longer exists",
					    name);
		if (err)
			goto done;
		/*
		 * An earlier update that outlived its wait (a timeout) may
		 * have rolled the config out meanwhile: a second UpdateEndpoint
		 * would redeploy every instance for nothing.
		 */
		now = ms_sagemaker_str(e.poll.last, "EndpointConfigName", "");
		if (!strcmp(now, want) &&
		    !strcmp(ms_sagemaker_str(e.poll.last, "EndpointStatus", ""),
			    "InService"))
			goto rolled_out;
		ms_call_progress(call, "updating to endpoint config '%s'",
				 want);
		body = json_pack("{s:s, s:s}", "EndpointName", name,
				 "EndpointConfigName", want);
		err = ms_sagemaker_call(NULL, &error, call->aws,
					"UpdateEndpoint", body);
		if (err && ms_aws_error_is(&error, "ValidationException",
					   "in-progress"))
			err = resume(&e, "Updating", want);
		if (err)
			goto done;
		if (!e.poll.last) {
			err = ms_error_code(MS_ENOTFOUND,
					    "endpoint '%s' no "
					    "longer exists",
					    name);
			goto done;
		}
		err = wait_in_service(&e);
		if (err)
			goto done;
		now = ms_sagemaker_str(e.poll.last, "EndpointConfigName", "");
		if (strcmp(now, want)) {
			reason = ms_sagemaker_str(e.poll.last, "FailureReason",
						  NULL);
			err = ms_error("endpoint '%s': the update to endpoint "
				       "config '%s' was rolled back (it serves "
				       "'%s'): %s",
				       name, want, now,
				       reason ? reason : "AWS gave no reason");
			goto done;
		}
	rolled_out:
		if (!arn)
			arn = ms_sagemaker_str(e.poll.last, "EndpointArn",
					       NULL);
	}
	if (!arn || !*arn) {
		err = ms_error("endpoint '%s': no ARN in the prior state",
			       name);
		goto done;
	}
	err = ms_sagemaker_tags_update(call->aws, arn,
				       json_object_get(prior, "tags"),
				       json_object_get(desired, "tags"));
done:
	if (!err)
		*out = endpoint_result(&e, prior,
				       json_object_get(desired, "tags"), arn);
	else if (e.poll.last)
		*out = endpoint_result(&e, prior,
				       json_object_get(prior, "tags"), arn);
	ms_aws_error_release(&error);
	json_decref(body);
	ms_sagemaker_object_release(&e);
	return err;
}

static int endpoint_delete(struct ms_call *call, const json_t *prior)
{
	struct ms_aws_error error = MS_AWS_ERROR_INIT;
	const char *name = ms_sagemaker_name(prior);
	const char *status;
	json_t *body = NULL;
	struct ms_sagemaker_object e;
	bool gone = false, was_failed;
	int err;

	if (!name)
		return ms_error("aws_sagemaker_endpoint: no name in the prior "
				"state");
	endpoint_init(&e, call, name);
	body = json_pack("{s:s}", "EndpointName", name);
	err = ms_sagemaker_describe(&e.poll.last, call->aws, "DescribeEndpoint",
				    "EndpointName", name);
	if (err || !e.poll.last)
		goto done;
	status = ms_sagemaker_str(e.poll.last, "EndpointStatus", NULL);
	err = settle(&e, status, "deleting", &gone);
	if (err || gone)
		goto done;
	status = ms_sagemaker_str(e.poll.last, "EndpointStatus", "");
	/* a Failed endpoint may still say so right after the delete */
	was_failed = !strcmp(status, "Failed");
	if (strcmp(status, "Deleting")) {
		err = ms_sagemaker_call(NULL, &error, call->aws,
					"DeleteEndpoint", body);
		if (err && ms_sagemaker_not_found(&error)) {
			ms_error_clear();
			err = 0;
			goto done;
		}
		if (err && ms_aws_error_is(&error, "ValidationException",
					   "in-progress")) {
			err = resume(&e, "Deleting", NULL);
			if (err || !e.poll.last)
				goto done;
		}
		if (err)
			goto done;
	}
	err = ms_sagemaker_wait(&e, no_states,
				was_failed ? no_states : deleted_failure,
				MS_AWS_WAIT_SUCCESS, DELETED_DELAY,
				DELETED_ATTEMPTS);
done:
	ms_aws_error_release(&error);
	json_decref(body);
	ms_sagemaker_object_release(&e);
	return err;
}

const struct ms_resource_type ms_aws_sagemaker_endpoint = {
	.name = "aws_sagemaker_endpoint",
	.schema = schema,
	.id_attr = "name",
	.read = endpoint_read,
	.create = endpoint_create,
	.update = endpoint_update,
	.delete = endpoint_delete,
	.normalize = NULL,
};
