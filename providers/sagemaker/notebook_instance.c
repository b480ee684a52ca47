/*
 * notebook_instance.c - aws_sagemaker_notebook_instance: a SageMaker
 * notebook instance (Jupyter).
 *
 * SageMaker changes a notebook's settings only while it is Stopped, so an
 * update of a running notebook is a sequence: stop, wait Stopped, update,
 * wait until it leaves Updating, start, wait InService, each step
 * reported as progress. A notebook it stopped is started again even when
 * the update fails. mlstack keeps a notebook running: the plan wants its
 * status InService (the local hook), so one found Stopped or Failed (by
 * hand, or by an update whose restart failed or whose run died) is
 * planned as a change that starts it; lifecycle.ignore_changes: [status]
 * keeps the status found, and an update then leaves a stopped notebook
 * stopped. Delete stops it first. Waits follow the SDK waiters
 * NotebookInstanceInService / Stopped / Deleted (every 30 s, 60 times);
 * the stack's timeout bounds the whole action, not each wait.
 */
#include "util/common.h"
#include "providers/provider.h"
#include "providers/sagemaker/sagemaker.h"

static const struct ms_attr schema[] = {
	{ "name", MS_ATTR_STRING, MS_ATTR_REQUIRED | MS_ATTR_FORCE_NEW, NULL,
	  NULL, "the notebook instance's name", "NotebookInstanceName" },
	{ "instance_type", MS_ATTR_STRING, MS_ATTR_REQUIRED, NULL, NULL,
	  "the instance type (ml.t3.medium)", "InstanceType" },
	{ "role_arn", MS_ATTR_STRING, MS_ATTR_REQUIRED | MS_ATTR_ARN, NULL,
	  NULL, "the IAM role the notebook runs as", "RoleArn" },
	{ "volume_size", MS_ATTR_NUMBER, 0, "5", NULL,
	  "size of the ML storage volume in GB (5 to 16384)",
	  "VolumeSizeInGB" },
	{ "lifecycle_config_name", MS_ATTR_STRING, 0, NULL, NULL,
	  "a notebook instance lifecycle configuration to run",
	  "LifecycleConfigName|NotebookInstanceLifecycleConfigName" },
	{ "direct_internet_access", MS_ATTR_BOOL, MS_ATTR_FORCE_NEW, "true",
	  NULL, "give the notebook internet access through SageMaker",
	  "DirectInternetAccess:Enabled/Disabled" },
	{ "root_access", MS_ATTR_BOOL, 0, "true", NULL,
	  "let notebook users become root", "RootAccess:Enabled/Disabled" },
	{ "kms_key_id", MS_ATTR_STRING, MS_ATTR_FORCE_NEW, NULL, NULL,
	  "the KMS key that encrypts its storage volume (default: "
	  "SageMaker's own)",
	  "KmsKeyId" },
	{ "subnet_id", MS_ATTR_STRING, MS_ATTR_FORCE_NEW, NULL, NULL,
	  "a VPC subnet to put it in (needed without direct internet "
	  "access)",
	  "SubnetId" },
	{ "security_groups", MS_ATTR_LIST, MS_ATTR_FORCE_NEW, NULL, NULL,
	  "its security groups (ids), with subnet_id",
	  "SecurityGroupIds|SecurityGroups" },
	{ "tags", MS_ATTR_MAP, MS_ATTR_TAGS, "{}", NULL,
	  "tags (with the stack's default tags and its owner mark)", "Tags" },
	{ "arn", MS_ATTR_STRING, MS_ATTR_COMPUTED, NULL, NULL, "the ARN",
	  "|NotebookInstanceArn" },
	{ "url", MS_ATTR_STRING, MS_ATTR_COMPUTED, NULL, NULL,
	  "the Jupyter URL (without https://)", "|Url" },
	{ "status", MS_ATTR_STRING, MS_ATTR_COMPUTED | MS_ATTR_LOCAL, NULL,
	  NULL,
	  "NotebookInstanceStatus; a plan starts a notebook not InService",
	  "|NotebookInstanceStatus" },
	{ MS_SAGEMAKER_LISTED_TIME, MS_ATTR_JSON,
	  MS_ATTR_COMPUTED | MS_ATTR_INTERNAL, NULL, NULL,
	  "LastModifiedTime when last read, for refresh by listing",
	  "|LastModifiedTime" },
	{ "id", MS_ATTR_STRING, MS_ATTR_COMPUTED, NULL, NULL,
	  "the notebook instance's name" },
	{ NULL },
};

#define WAIT_DELAY    30.0
#define WAIT_ATTEMPTS 60

static const char *const in_service[] = { "InService", NULL };
static const char *const stopped[] = { "Stopped", NULL };
static const char *const failed[] = { "Failed", NULL };
static const char *const settled[] = { "InService", "Stopped", "Failed", NULL };
static const char *const no_states[] = { NULL };

/* Every notebook wait follows the SDK waiters' pace. */
static int wait_for(struct ms_sagemaker_object *n, const char *const *success,
		    const char *const *failure, enum ms_aws_wait_state gone)
{
	return ms_sagemaker_wait(n, success, failure, gone, WAIT_DELAY,
				 WAIT_ATTEMPTS);
}

static int wait_in_service(struct ms_sagemaker_object *n)
{
	return wait_for(n, in_service, failed, MS_AWS_WAIT_FAILURE);
}

/*
 * A transition (Stop, Start, Update, Delete): operation with body, or
 * with {"NotebookInstanceName": name} when body is NULL. SageMaker
 * refuses one that finds the notebook in another state, and a retried
 * call whose first answer was lost finds it in the very transition it
 * started: "Status (Stopping) not in ([InService])". A refusal naming a
 * status in under_way is taken as the call made, and 0 returned for the
 * caller to wait as usual. A notebook that does not exist is
 * MS_ENOTFOUND.
 */
static int transition(struct ms_sagemaker_object *n, const char *operation,
		      const json_t *body, const char *const *under_way)
{
	struct ms_aws_error error = MS_AWS_ERROR_INIT;
	json_t *own = NULL;
	char *refusal;
	int err;

	if (!body)
		body = own = json_pack("{s:s}", n->name_key, n->name);
	err = ms_sagemaker_call(NULL, &error, n->call->aws, operation, body);
	if (err && ms_sagemaker_not_found(&error))
		err = MS_ENOTFOUND;
	for (; err && err != MS_ENOTFOUND && *under_way; under_way++) {
		refusal = ms_asprintf("Status (%s)", *under_way);
		if (ms_aws_error_is(&error, "ValidationException", refusal)) {
			ms_error_clear();
			ms_call_progress(n->call, "%s: already under way (%s)",
					 operation, *under_way);
			err = 0;
		}
		free(refusal);
	}
	ms_aws_error_release(&error);
	json_decref(own);
	return err;
}

/* What each transition's refused retry finds: under way, or done. */
static const char *const stop_under_way[] = { "Stopping", "Stopped", NULL };
static const char *const start_under_way[] = { "Pending", "InService", NULL };
/* Stopped too would hide a refusal of the update itself (a shrink) */
static const char *const update_under_way[] = { "Updating", NULL };
static const char *const delete_under_way[] = { "Deleting", NULL };

static int notebook_normalize(json_t *attrs)
{
	static const char *const optional[] = { "lifecycle_config_name",
						"kms_key_id", "subnet_id",
						"security_groups", NULL };
	const char *const *o;

	for (o = optional; *o; o++)
		if (json_is_null(json_object_get(attrs, *o)) ||
		    (json_is_array(json_object_get(attrs, *o)) &&
		     !json_array_size(json_object_get(attrs, *o))))
			json_object_del(attrs, *o);
	ms_kit_sorted_set(json_object_get(attrs, "security_groups"));
	ms_kit_strings(json_object_get(attrs, "tags"));
	return ms_kit_check_number(attrs, "volume_size", "volume_size", 5,
				   16384, true);
}

/*
 * Describe the notebook and wait out a transition (Pending, Stopping,
 * Updating ...) before next; MS_ENOTFOUND when it is gone.
 */
static int settle(struct ms_sagemaker_object *n, const char *next,
		  enum ms_aws_wait_state gone)
{
	const char *status;
	int err;

	err = ms_sagemaker_object_describe(n);
	status = ms_sagemaker_object_status(n);
	if (!err && *status && !ms_str_in(status, settled)) {
		ms_call_progress(n->call, "waiting for %s to finish before %s",
				 status, next);
		err = wait_for(n, settled, no_states, gone);
	}
	return !err && !n->poll.last ? MS_ENOTFOUND : err;
}

/* What StartNotebookInstance takes a notebook from. */
static const char *const startable[] = { "Stopped", "Failed", NULL };

/*
 * err, a failed step of an update that stopped a running notebook:
 * SageMaker leaves it Stopped (a refused update) or Failed, and nothing
 * would start it again but the next plan. It is started here, best
 * effort, and the error says whether that worked. Not after a timeout or
 * an interrupt (it is still in transition, and the run must end) nor
 * when it is gone. Returns err, its message extended.
 */
static int start_again(struct ms_sagemaker_object *n, int err)
{
	char *first, *second = NULL;
	int again;

	if (err == MS_ETIMEOUT || err == MS_EINTERRUPTED || err == MS_ENOTFOUND)
		return err;
	first = ms_strdup(ms_error_last());
	ms_error_clear();
	again = ms_sagemaker_object_describe(n);
	if (!again && (!n->poll.last ||
		       !ms_str_in(ms_sagemaker_object_status(n), startable))) {
		/* still running (the stop was refused), or gone */
		ms_error("%s", first);
		goto done;
	}
	if (!again) {
		ms_call_progress(n->call, "starting again after the failure");
		again = transition(n, "StartNotebookInstance", NULL,
				   start_under_way);
	}
	if (!again)
		again = wait_for(n, in_service, failed, MS_AWS_WAIT_FAILURE);
	if (!again) {
		ms_error("%s; started it again", first);
	} else {
		second = ms_strdup(ms_error_last());
		ms_error("%s; starting it again failed too (%s): the next "
			 "plan starts it",
			 first, second);
	}
done:
	free(first);
	free(second);
	return err;
}

/*
 * Bring the notebook to body's settings, when what names the changed
 * attributes (NULL: none), and then to InService when it was running or
 * start is set: stop it if running, UpdateNotebookInstance, wait until
 * it leaves Updating, start it.
 */
static int change(struct ms_sagemaker_object *n, const json_t *body,
		  const char *what, bool start)
{
	bool running;
	int err;

	err = settle(n, what ? "changing it" : "starting it",
		     MS_AWS_WAIT_FAILURE);
	if (err == MS_ENOTFOUND)
		err = ms_error_code(MS_ENOTFOUND, "%s no longer exists",
				    n->what);
	if (err)
		return err;
	running = !strcmp(ms_sagemaker_object_status(n), "InService");
	if (what && running) {
		ms_call_progress(n->call, "stopping to change %s", what);
		err = transition(n, "StopNotebookInstance", NULL,
				 stop_under_way);
		if (!err)
			err = wait_for(n, stopped, failed, MS_AWS_WAIT_FAILURE);
	}
	if (what && !err) {
		ms_call_progress(n->call, "updating %s", what);
		err = transition(n, "UpdateNotebookInstance", body,
				 update_under_way);
		if (!err)
			err = wait_for(n, stopped, failed, MS_AWS_WAIT_FAILURE);
	}
	if (err)
		return running ? start_again(n, err) : err;
	if ((!running && !start) ||
	    !strcmp(ms_sagemaker_object_status(n), "InService"))
		return 0;
	if (running)
		ms_call_progress(n->call, "starting again");
	else
		ms_call_progress(n->call, "starting (it is %s)",
				 ms_sagemaker_object_status(n));
	err = transition(n, "StartNotebookInstance", NULL, start_under_way);
	if (!err)
		err = wait_for(n, in_service, failed, MS_AWS_WAIT_FAILURE);
	return err;
}

/*
 * SageMaker grows a notebook's volume but never shrinks it: refused
 * before the notebook is stopped for an update that cannot happen.
 */
static int check_volume(const struct ms_sagemaker_object *n,
			const json_t *prior, const json_t *desired)
{
	json_t *have = json_object_get(prior, "volume_size");
	json_t *want = json_object_get(desired, "volume_size");

	if (!json_is_integer(have) || !json_is_integer(want) ||
	    json_integer_value(want) >= json_integer_value(have))
		return 0;
	return ms_error("%s: volume_size cannot go down from %lld to %lld GB: "
			"SageMaker grows a notebook's volume but never shrinks "
			"it (a smaller volume needs a new notebook, under a "
			"new name)",
			n->what, (long long)json_integer_value(have),
			(long long)json_integer_value(want));
}

/*
 * On an error after the notebook was read, *out holds what it looks like
 * now (stopped half-way, say), so that the state tells the truth.
 */
static int notebook_update(struct ms_call *call, const json_t *prior,
			   const json_t *desired, json_t **out)
{
	const char *arn = ms_kit_str(prior, "arn", NULL);
	json_t *body = NULL, *changed = NULL, *item;
	struct ms_buf what = MS_BUF_INIT;
	struct ms_sagemaker_object n;
	bool start;
	size_t i;
	int err;

	*out = NULL;
	ms_sagemaker_object_init(&n, call, ms_kit_name(call, prior));
	err = check_volume(&n, prior, desired);
	if (!err)
		err = ms_kit_update_request(&body, &changed, call->type, prior,
					    desired);
	if (err)
		goto done;
	json_array_foreach(changed, i, item)
		ms_buf_addf(&what, "%s%s", i ? ", " : "",
			    json_string_value(item));
	/* the plan wants it running (the local hook) and found it not */
	start = !strcmp(ms_kit_str(desired, "status", ""), "InService");
	if (json_array_size(changed) ||
	    (start && strcmp(ms_kit_str(prior, "status", ""), "InService"))) {
		err = change(&n, body,
			     json_array_size(changed) ? what.ptr : NULL, start);
		if (err)
			goto done;
		if (!arn || !*arn)
			arn = ms_kit_str(n.poll.last, n.arn_key, NULL);
	}
	if (!arn || !*arn) {
		err = ms_error("%s: no ARN in the prior state", n.what);
		goto done;
	}
	err = ms_sagemaker_tags_update(call->aws, arn,
				       json_object_get(prior, "tags"),
				       json_object_get(desired, "tags"));
done:
	if (!err || n.poll.last)
		*out = ms_sagemaker_object_attrs(
			&n, prior,
			json_object_get(err ? prior : desired, "tags"), arn);
	ms_buf_release(&what);
	json_decref(body);
	json_decref(changed);
	ms_sagemaker_object_release(&n);
	return err;
}

/*
 * SageMaker deletes only a Stopped or Failed notebook: a running one is
 * stopped first, one in transition waited for.
 */
static int notebook_delete(struct ms_call *call, const json_t *prior)
{
	struct ms_sagemaker_object n;
	bool was_failed;
	int err;

	ms_sagemaker_object_init(&n, call, ms_kit_name(call, prior));
	err = ms_sagemaker_object_describe(&n);
	if (err || !n.poll.last)
		goto done;
	if (!strcmp(ms_sagemaker_object_status(&n), "Deleting"))
		goto wait_gone;
	err = settle(&n, "deleting", MS_AWS_WAIT_SUCCESS);
	if (!err && !strcmp(ms_sagemaker_object_status(&n), "InService")) {
		ms_call_progress(call, "stopping before deleting");
		err = transition(&n, "StopNotebookInstance", NULL,
				 stop_under_way);
		if (!err)
			err = wait_for(&n, stopped, failed,
				       MS_AWS_WAIT_SUCCESS);
		if (!err && !n.poll.last)
			err = MS_ENOTFOUND;
	}
	if (err)
		goto done;
	/* a Failed notebook may still say so right after the delete */
	was_failed = !strcmp(ms_sagemaker_object_status(&n), "Failed");
	err = transition(&n, "DeleteNotebookInstance", NULL, delete_under_way);
	if (err)
		goto done;
	if (was_failed) {
		err = wait_for(&n, no_states, no_states, MS_AWS_WAIT_SUCCESS);
		goto done;
	}
wait_gone:
	err = wait_for(&n, no_states, failed, MS_AWS_WAIT_SUCCESS);
done:
	if (err == MS_ENOTFOUND) {
		ms_error_clear();
		err = 0; /* gone: what a delete wants */
	}
	ms_sagemaker_object_release(&n);
	return err;
}

/*
 * The status a plan wants: InService, whatever the state last recorded,
 * so that a notebook left stopped is started (see the top of the file).
 * The time of the last read stays as stored (a read records it anew): an
 * internal attribute the plan left unknown would make apply run this hook
 * again, and lose what lifecycle.ignore_changes kept of the status.
 */
static int notebook_local(const char *dir, json_t *desired,
			  const json_t *stored)
{
	const json_t *when = json_object_get(stored, MS_SAGEMAKER_LISTED_TIME);

	json_object_set_new(desired, "status", json_string("InService"));
	json_object_set(desired, MS_SAGEMAKER_LISTED_TIME,
			when ? (json_t *)when : json_null());
	return 0;
}

static const char *const compared[] = { "instance_type", "role_arn",
					"direct_internet_access", NULL };
static const char *const adoptable[] = { "Pending", "InService", NULL };

static const struct ms_sagemaker_kind kind = {
	.noun = "notebook instance",
	.object = "NotebookInstance",
	.status = "NotebookInstanceStatus",
	.wait = wait_in_service,
	.compared = compared,
	.list = "ListNotebookInstances",
	.list_key = "NotebookInstances",
	.tag_type = "sagemaker:notebook-instance",
	.adoptable = adoptable,
};

/* Terraform: the two switches as SageMaker's words */
static const struct ms_tf_attr tf_attrs[] = {
	{ "direct_internet_access", NULL, MS_TF_ENABLED },
	{ "root_access", NULL, MS_TF_ENABLED },
	{ NULL },
};

static const struct ms_tf_type tf = { .attrs = tf_attrs };

/* The statuses in which SageMaker bills the instance: not a stopped one. */
static const char *const unbilled[] = { "Stopped", "Failed", NULL };

/*
 * The instance by the hour unless stopped, and its ML storage volume,
 * which is billed stopped or not.
 */
static int notebook_cost(struct ms_cost *out, const json_t *attrs,
			 const struct ms_cost_env *env)
{
	const char *status =
		json_string_value(json_object_get(attrs, "status"));
	const char *type;
	double gb = ms_cost_number(out, attrs, "volume_size", 5);
	char what[160];

	if (!ms_str_in(status, unbilled)) {
		type = ms_cost_string(out, attrs, "instance_type");
		snprintf(what, sizeof(what), "notebook instance %s",
			 type ? type : "");
		if (type)
			ms_cost_add(out, env, "sagemaker.notebook", type, what,
				    1, 1);
	}
	if (gb >= 0)
		ms_cost_add(out, env, "sagemaker.storage", "notebook",
			    "notebook ML storage volume", gb, gb);
	return 0;
}

const struct ms_resource_type ms_aws_sagemaker_notebook_instance = {
	.name = "aws_sagemaker_notebook_instance",
	.data_note =
		"its ML storage volume (the notebooks and files on it) is deleted",
	.schema = schema,
	.id_attr = "name",
	.name_min = 1,
	.name_max = 63,
	.name_chars = "a-zA-Z0-9-",
	.name_ends = "a-zA-Z0-9",
	.kind = &kind,
	.read_many = ms_sagemaker_read_many,
	.read = ms_sagemaker_read,
	.create = ms_sagemaker_create,
	.update = notebook_update,
	.delete = notebook_delete,
	.normalize = notebook_normalize,
	.local = notebook_local,
	.terraform = &tf,
	.cost = notebook_cost,
};
