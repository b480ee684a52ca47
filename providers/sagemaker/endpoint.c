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
#include "providers/sagemaker/sagemaker.h"

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
	    !ms_sagemaker_in(status, settled)) {
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
	json_t *body = NULL;
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
		ms_call_progress(call, "updating to endpoint config '%s'",
				 want);
		body = json_pack("{s:s, s:s}", "EndpointName", e.name,
				 "EndpointConfigName", want);
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
	if (!err || e.poll.last)
		*out = ms_sagemaker_object_attrs(
			&e, prior,
			json_object_get(err ? prior : desired, "tags"), arn);
	ms_aws_error_release(&error);
	json_decref(body);
	ms_sagemaker_object_release(&e);
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

static const char *const compared[] = { "endpoint_config_name", NULL };

static const struct ms_sagemaker_kind kind = {
	.noun = "endpoint",
	.object = "Endpoint",
	.status = "EndpointStatus",
	.wait = wait_in_service,
	.compared = compared,
};

const struct ms_resource_type ms_aws_sagemaker_endpoint = {
	.name = "aws_sagemaker_endpoint",
	.schema = schema,
	.id_attr = "name",
	.name_min = 1,
	.name_max = 63,
	.name_chars = "a-zA-Z0-9-",
	.kind = &kind,
	.read = ms_sagemaker_read,
	.create = ms_sagemaker_create,
	.update = endpoint_update,
	.delete = endpoint_delete,
};
