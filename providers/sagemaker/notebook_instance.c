/*
 * notebook_instance.c - aws_sagemaker_notebook_instance: a SageMaker
 * notebook instance (Jupyter), over JSON 1.1.
 *
 * SageMaker changes a notebook's settings only while it is Stopped, so an
 * update of a running notebook is a sequence: stop, wait Stopped, update,
 * wait until it leaves Updating, start, wait InService, each step
 * reported as progress. A notebook that was stopped stays stopped. Delete
 * stops it first for the same reason. Waits follow the SDK waiters
 * NotebookInstanceInService / Stopped / Deleted (every 30 s, 60 times);
 * the stack's timeout bounds the whole action, not each wait.
 */
#include "util/common.h"
#include "providers/provider.h"
#include "providers/sagemaker/sagemaker.h"

static const struct ms_attr schema[] = {
	{ "name", MS_ATTR_STRING, MS_ATTR_REQUIRED | MS_ATTR_FORCE_NEW, NULL,
	  NULL, "the notebook instance's name" },
	{ "instance_type", MS_ATTR_STRING, MS_ATTR_REQUIRED, NULL, NULL,
	  "the instance type (ml.t3.medium)" },
	{ "role_arn", MS_ATTR_STRING, MS_ATTR_REQUIRED, NULL, NULL,
	  "the IAM role the notebook runs as" },
	{ "volume_size", MS_ATTR_NUMBER, 0, "5", NULL,
	  "size of the ML storage volume in GB (5 to 16384)" },
	{ "lifecycle_config_name", MS_ATTR_STRING, 0, NULL, NULL,
	  "a notebook instance lifecycle configuration to run" },
	{ "direct_internet_access", MS_ATTR_BOOL, MS_ATTR_FORCE_NEW, "true",
	  NULL, "give the notebook internet access through SageMaker" },
	{ "root_access", MS_ATTR_BOOL, 0, "true", NULL,
	  "let notebook users become root" },
	{ "tags", MS_ATTR_MAP, MS_ATTR_TAGS, "{}", NULL,
	  "tags (with the stack's default tags and its owner mark)" },
	{ "arn", MS_ATTR_STRING, MS_ATTR_COMPUTED, NULL, NULL, "the ARN" },
	{ "url", MS_ATTR_STRING, MS_ATTR_COMPUTED, NULL, NULL,
	  "the Jupyter URL (without https://)" },
	{ "status", MS_ATTR_STRING, MS_ATTR_COMPUTED, NULL, NULL,
	  "NotebookInstanceStatus when last read (InService)" },
	{ "id", MS_ATTR_STRING, MS_ATTR_COMPUTED, NULL, NULL,
	  "the notebook instance's name" },
	{ NULL, 0, 0, NULL, NULL, NULL },
};

static const char *const settable[] = {
	"name",
	"instance_type",
	"role_arn",
	"volume_size",
	"lifecycle_config_name",
	"direct_internet_access",
	"root_access",
	"tags",
};

#define WAIT_DELAY    30.0
#define WAIT_ATTEMPTS 60
#define MIN_VOLUME    5
#define MAX_VOLUME    16384

static const char *const in_service[] = { "InService", NULL };
static const char *const stopped[] = { "Stopped", NULL };
static const char *const failed[] = { "Failed", NULL };
static const char *const settled[] = { "InService", "Stopped", "Failed", NULL };
static const char *const no_states[] = { NULL };

static void notebook_init(struct ms_sagemaker_object *n, struct ms_call *call,
			  const char *name)
{
	ms_sagemaker_object_init(n, call, "notebook instance", name,
				 "DescribeNotebookInstance",
				 "NotebookInstanceName",
				 "NotebookInstanceStatus");
}

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
 * caller to wait as usual. *gone (when gone is not NULL) tells that the
 * notebook does not exist, which is then no error.
 */
static int transition(bool *gone, struct ms_sagemaker_object *n,
		      const char *operation, const json_t *body,
		      const char *const *under_way)
{
	struct ms_aws_error error = MS_AWS_ERROR_INIT;
	json_t *own = NULL;
	char *refusal;
	size_t i;
	int err;

	if (gone)
		*gone = false;
	if (!body)
		body = own =
			json_pack("{s:s}", "NotebookInstanceName", n->name);
	err = ms_sagemaker_call(NULL, &error, n->call->aws, operation, body);
	if (err && gone && ms_sagemaker_not_found(&error)) {
		ms_error_clear();
		*gone = true;
		err = 0;
	}
	for (i = 0; err && under_way[i]; i++) {
		refusal = ms_asprintf("Status (%s)", under_way[i]);
		if (ms_aws_error_is(&error, "ValidationException", refusal)) {
			ms_error_clear();
			ms_call_progress(n->call,
					 "%s: already under way "
					 "(%s)",
					 operation, under_way[i]);
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

static const char *status_of(const struct ms_sagemaker_object *n)
{
	return ms_sagemaker_str(n->poll.last, "NotebookInstanceStatus", NULL);
}

static bool in_list(const char *s, const char *const *list)
{
	size_t i;

	for (i = 0; s && list[i]; i++)
		if (!strcmp(s, list[i]))
			return true;
	return false;
}

/* volume_size made canonical and checked; absent or unknown: left alone. */
static int volume_normalize(json_t *attrs)
{
	json_t *v = json_object_get(attrs, "volume_size"), *canon;
	double d;

	if (!json_is_number(v))
		return 0;
	canon = ms_sagemaker_number(v);
	d = json_number_value(canon);
	if (!json_is_integer(canon) || d < MIN_VOLUME || d > MAX_VOLUME) {
		json_decref(canon);
		return ms_error("volume_size: expected a whole number of GB "
				"from %d to %d",
				MIN_VOLUME, MAX_VOLUME);
	}
	json_object_set_new(attrs, "volume_size", canon);
	return 0;
}

int ms_sagemaker_notebook_normalize(json_t *attrs)
{
	json_t *v = json_object_get(attrs, "lifecycle_config_name");

	if (json_is_null(v))
		json_object_del(attrs, "lifecycle_config_name");
	ms_sagemaker_strings_normalize(json_object_get(attrs, "tags"));
	return volume_normalize(attrs);
}

static const char *enabled(bool on)
{
	return on ? "Enabled" : "Disabled";
}

int ms_sagemaker_notebook_request(json_t **out, const json_t *attrs)
{
	const char *name = ms_sagemaker_str(attrs, "name", NULL);
	const char *type = ms_sagemaker_str(attrs, "instance_type", NULL);
	const char *role = ms_sagemaker_str(attrs, "role_arn", NULL);
	const char *lcc =
		ms_sagemaker_str(attrs, "lifecycle_config_name", NULL);
	const json_t *tags = json_object_get(attrs, "tags");
	json_t *copy, *body;
	int err;

	*out = NULL;
	if (!name)
		return ms_error("aws_sagemaker_notebook_instance: no name");
	if (!type || !role)
		return ms_error("notebook instance '%s': no %s", name,
				type ? "role_arn" : "instance_type");
	copy = json_pack("{s:O?}", "volume_size",
			 json_object_get(attrs, "volume_size"));
	err = volume_normalize(copy);
	if (err) {
		json_decref(copy);
		return ms_error("notebook instance '%s': %s", name,
				ms_error_last());
	}
	body = json_pack(
		"{s:s, s:s, s:s, s:s, s:s}", "NotebookInstanceName", name,
		"InstanceType", type, "RoleArn", role, "DirectInternetAccess",
		enabled(ms_sagemaker_bool(attrs, "direct_internet_access",
					  true)),
		"RootAccess",
		enabled(ms_sagemaker_bool(attrs, "root_access", true)));
	if (json_is_integer(json_object_get(copy, "volume_size")))
		json_object_set(body, "VolumeSizeInGB",
				json_object_get(copy, "volume_size"));
	else
		json_object_set_new(body, "VolumeSizeInGB",
				    json_integer(MIN_VOLUME));
	if (lcc && *lcc)
		json_object_set_new(body, "LifecycleConfigName",
				    json_string(lcc));
	if (json_object_size(tags))
		json_object_set_new(body, "Tags", ms_sagemaker_tags_list(tags));
	json_decref(copy);
	*out = body;
	return 0;
}

/* A string attribute desired sets to something prior does not hold. */
static bool str_changed(const json_t *prior, const json_t *desired,
			const char *key)
{
	const char *want = ms_sagemaker_str(desired, key, NULL);
	const char *have = ms_sagemaker_str(prior, key, NULL);

	return want && (!have || strcmp(want, have));
}

int ms_sagemaker_notebook_update_request(json_t **out, json_t **changed,
					 const json_t *prior,
					 const json_t *desired)
{
	const char *name = ms_sagemaker_str(
		prior, "id", ms_sagemaker_str(prior, "name", NULL));
	json_t *body, *names, *want = NULL, *have = NULL;
	bool root;
	int err = 0;

	*out = NULL;
	*changed = NULL;
	if (!name)
		return ms_error("aws_sagemaker_notebook_instance: no name in "
				"the prior state");
	body = json_pack("{s:s}", "NotebookInstanceName", name);
	names = json_array();
	if (str_changed(prior, desired, "instance_type")) {
		json_object_set(body, "InstanceType",
				json_object_get(desired, "instance_type"));
		json_array_append_new(names, json_string("instance_type"));
	}
	if (str_changed(prior, desired, "role_arn")) {
		json_object_set(body, "RoleArn",
				json_object_get(desired, "role_arn"));
		json_array_append_new(names, json_string("role_arn"));
	}
	want = json_pack("{s:O?}", "volume_size",
			 json_object_get(desired, "volume_size"));
	have = json_pack("{s:O?}", "volume_size",
			 json_object_get(prior, "volume_size"));
	err = volume_normalize(want);
	if (!err)
		err = volume_normalize(have);
	if (err) {
		err = ms_error("notebook instance '%s': %s", name,
			       ms_error_last());
		goto done;
	}
	/*
	 * SageMaker refuses to shrink the volume; find out before the
	 * notebook is stopped for an update that cannot happen.
	 */
	if (json_is_integer(json_object_get(want, "volume_size")) &&
	    json_is_integer(json_object_get(have, "volume_size")) &&
	    json_integer_value(json_object_get(want, "volume_size")) <
		    json_integer_value(json_object_get(have, "volume_size"))) {
		err = ms_error("notebook instance '%s': volume_size cannot go "
			       "down from %lld to %lld GB: SageMaker grows a "
			       "notebook's volume but never shrinks it (a "
			       "smaller volume needs a new notebook, under a "
			       "new name)",
			       name,
			       (long long)json_integer_value(
				       json_object_get(have, "volume_size")),
			       (long long)json_integer_value(
				       json_object_get(want, "volume_size")));
		goto done;
	}
	if (json_is_integer(json_object_get(want, "volume_size")) &&
	    !json_equal(json_object_get(want, "volume_size"),
			json_object_get(have, "volume_size"))) {
		json_object_set(body, "VolumeSizeInGB",
				json_object_get(want, "volume_size"));
		json_array_append_new(names, json_string("volume_size"));
	}
	if (str_changed(prior, desired, "lifecycle_config_name")) {
		json_object_set(body, "LifecycleConfigName",
				json_object_get(desired,
						"lifecycle_config_name"));
		json_array_append_new(names,
				      json_string("lifecycle_config_name"));
	}
	root = ms_sagemaker_bool(desired, "root_access", true);
	if (root != ms_sagemaker_bool(prior, "root_access", true)) {
		json_object_set_new(body, "RootAccess",
				    json_string(enabled(root)));
		json_array_append_new(names, json_string("root_access"));
	}
done:
	json_decref(want);
	json_decref(have);
	if (err) {
		json_decref(body);
		json_decref(names);
		return err;
	}
	*out = body;
	*changed = names;
	return 0;
}

int ms_sagemaker_notebook_attrs(json_t **out, const json_t *described,
				const json_t *tags)
{
	const char *name =
		ms_sagemaker_str(described, "NotebookInstanceName", NULL);
	static const char *const strings[][2] = {
		{ "NotebookInstanceArn", "arn" },
		{ "Url", "url" },
		{ "NotebookInstanceStatus", "status" },
		{ "InstanceType", "instance_type" },
		{ "RoleArn", "role_arn" },
	};
	const char *s;
	json_t *o, *v;
	size_t i;

	*out = NULL;
	if (!name)
		return ms_error("DescribeNotebookInstance: no "
				"NotebookInstanceName in the answer");
	o = json_object();
	json_object_set_new(o, "name", json_string(name));
	json_object_set_new(o, "id", json_string(name));
	for (i = 0; i < MS_ARRAY_SIZE(strings); i++) {
		s = ms_sagemaker_str(described, strings[i][0], NULL);
		if (s)
			json_object_set_new(o, strings[i][1], json_string(s));
	}
	if (!json_object_get(o, "arn"))
		json_object_set_new(o, "arn", json_string(""));
	v = json_object_get(described, "VolumeSizeInGB");
	if (json_is_number(v))
		json_object_set_new(o, "volume_size", ms_sagemaker_number(v));
	s = ms_sagemaker_str(described, "NotebookInstanceLifecycleConfigName",
			     NULL);
	if (s && *s)
		json_object_set_new(o, "lifecycle_config_name", json_string(s));
	/* absent means SageMaker's default, Enabled */
	s = ms_sagemaker_str(described, "DirectInternetAccess", "Enabled");
	json_object_set_new(o, "direct_internet_access",
			    json_boolean(strcmp(s, "Disabled") != 0));
	s = ms_sagemaker_str(described, "RootAccess", "Enabled");
	json_object_set_new(o, "root_access",
			    json_boolean(strcmp(s, "Disabled") != 0));
	json_object_set_new(o, "tags",
			    tags ? json_deep_copy(tags) : json_object());
	ms_sagemaker_strings_normalize(json_object_get(o, "tags"));
	/* an out-of-range size from AWS is still what AWS holds */
	if (ms_sagemaker_notebook_normalize(o))
		ms_error_clear();
	*out = o;
	return 0;
}

/*
 * The attributes after a create or update: as last described when there
 * is an answer (tags: what the call set), else base's settable attributes
 * with the ARN.
 */
static json_t *notebook_result(const struct ms_sagemaker_object *n,
			       const json_t *base, const json_t *tags,
			       const char *arn)
{
	json_t *o = NULL, *v;
	size_t i;

	if (n->poll.last &&
	    !ms_sagemaker_notebook_attrs(&o, n->poll.last, tags))
		return o;
	o = json_object();
	for (i = 0; i < MS_ARRAY_SIZE(settable); i++) {
		v = json_object_get(base, settable[i]);
		if (v)
			json_object_set_new(o, settable[i], json_deep_copy(v));
	}
	v = json_object_get(base, "status");
	if (v)
		json_object_set(o, "status", v);
	v = json_object_get(base, "url");
	if (v)
		json_object_set(o, "url", v);
	json_object_set_new(o, "name", json_string(n->name));
	json_object_set_new(o, "id", json_string(n->name));
	json_object_set_new(o, "arn", json_string(arn ? arn : ""));
	json_object_set_new(o, "tags",
			    tags ? json_deep_copy(tags) : json_object());
	if (ms_sagemaker_notebook_normalize(o))
		ms_error_clear();
	return o;
}

static int notebook_read(struct ms_call *call, const json_t *prior,
			 json_t **out)
{
	const char *name = ms_sagemaker_name(prior);
	json_t *described = NULL, *tags = NULL;
	int err;

	*out = NULL;
	if (!name)
		return ms_error("aws_sagemaker_notebook_instance: no name in "
				"the prior state");
	err = ms_sagemaker_describe(&described, call->aws,
				    "DescribeNotebookInstance",
				    "NotebookInstanceName", name);
	if (err || !described)
		goto done;
	err = ms_sagemaker_tags_read(
		&tags, call->aws,
		ms_sagemaker_str(described, "NotebookInstanceArn", ""));
	if (err)
		goto done;
	err = ms_sagemaker_notebook_attrs(out, described, tags);
done:
	json_decref(described);
	json_decref(tags);
	return err;
}

/*
 * CreateNotebookInstance said the name is taken. A retried create whose
 * first answer was lost is told so about the notebook it made itself: a
 * notebook there with this resource's owner mark, the desired instance
 * type, role and internet access, starting or running, is adopted (its
 * tags brought in line) and the caller waits for it as for one it made.
 * Any other is not ours to take. n->poll.last is left as described.
 */
static int notebook_adopt(struct ms_sagemaker_object *n, const json_t *desired)
{
	static const char *const compared[] = {
		"instance_type",
		"role_arn",
		"direct_internet_access",
	};
	static const char *const adoptable[] = { "Pending", "InService", NULL };
	json_t *live = NULL, *want = NULL;
	const char *status;
	size_t i;
	int err;

	err = ms_sagemaker_describe(&n->poll.last, n->call->aws,
				    "DescribeNotebookInstance",
				    "NotebookInstanceName", n->name);
	if (err)
		goto done;
	if (!n->poll.last) {
		err = ms_error("%s: CreateNotebookInstance says it exists, "
			       "DescribeNotebookInstance that it does not",
			       n->what);
		goto done;
	}
	err = ms_sagemaker_notebook_attrs(&live, n->poll.last, NULL);
	if (err)
		goto done;
	err = ms_sagemaker_owned(n->call, n->what,
				 ms_sagemaker_str(live, "arn", ""), n->name);
	if (err)
		goto done;
	want = json_deep_copy(desired);
	if (!json_object_get(want, "direct_internet_access"))
		json_object_set_new(want, "direct_internet_access",
				    json_true());
	for (i = 0; i < MS_ARRAY_SIZE(compared); i++)
		if (!json_equal(json_object_get(live, compared[i]),
				json_object_get(want, compared[i]))) {
			err = ms_error("%s: the name is taken by a different "
				       "notebook instance (its %s differs): "
				       "give this one another name, or delete "
				       "that one",
				       n->what, compared[i]);
			goto done;
		}
	status = status_of(n);
	if (!in_list(status, adoptable)) {
		err = ms_error("%s: the name is taken by a notebook instance "
			       "in status %s, not one being created: give "
			       "this one another name, or delete that one",
			       n->what, status ? status : "unknown");
		goto done;
	}
	ms_call_progress(n->call, "adopting the notebook instance made by an "
				  "earlier attempt");
	ms_sagemaker_strings_normalize(json_object_get(want, "tags"));
	err = ms_sagemaker_tags_set(n->call->aws,
				    ms_sagemaker_str(live, "arn", ""),
				    json_object_get(want, "tags"));
done:
	json_decref(live);
	json_decref(want);
	return err;
}

/*
 * CreateNotebookInstance, then wait for InService (see
 * ms_sagemaker_create_wait).
 */
static int notebook_create(struct ms_call *call, const json_t *desired,
			   json_t **out)
{
	static const struct ms_sagemaker_create how = {
		.operation = "CreateNotebookInstance",
		.taken = "duplicate",
		.arn_key = "NotebookInstanceArn",
		.adopt = notebook_adopt,
		.wait = wait_in_service,
		.result = notebook_result,
	};
	struct ms_sagemaker_object n;
	json_t *body = NULL;
	int err;

	*out = NULL;
	err = ms_sagemaker_notebook_request(&body, desired);
	if (err)
		return err;
	notebook_init(&n, call, ms_sagemaker_str(desired, "name", ""));
	err = ms_sagemaker_create_wait(out, &n, &how, body, desired);
	json_decref(body);
	ms_sagemaker_object_release(&n);
	return err;
}

/* Wait out a transition (Pending, Stopping, Updating ...) before next. */
static int settle(struct ms_sagemaker_object *n, const char *next,
		  enum ms_aws_wait_state gone)
{
	const char *status = status_of(n);

	if (!status || in_list(status, settled))
		return 0;
	ms_call_progress(n->call, "waiting for %s to finish before %s", status,
			 next);
	return wait_for(n, settled, no_states, gone);
}

/*
 * Stop (when running), UpdateNotebookInstance, wait until it leaves
 * Updating, start again (when it was running). what names the changed
 * attributes for the progress lines.
 */
static int change_settings(struct ms_sagemaker_object *n, const json_t *body,
			   const char *what)
{
	bool running;
	int err;

	err = ms_sagemaker_describe(&n->poll.last, n->call->aws,
				    "DescribeNotebookInstance",
				    "NotebookInstanceName", n->name);
	if (!err && !n->poll.last)
		err = ms_error_code(MS_ENOTFOUND, "%s no longer exists",
				    n->what);
	if (!err)
		err = settle(n, "changing it", MS_AWS_WAIT_FAILURE);
	if (err)
		return err;
	running = !strcmp(status_of(n), "InService");
	if (running) {
		ms_call_progress(n->call, "stopping to change %s", what);
		err = transition(NULL, n, "StopNotebookInstance", NULL,
				 stop_under_way);
		if (!err)
			err = wait_for(n, stopped, failed, MS_AWS_WAIT_FAILURE);
		if (err)
			return err;
	}
	ms_call_progress(n->call, "updating %s", what);
	err = transition(NULL, n, "UpdateNotebookInstance", body,
			 update_under_way);
	if (!err)
		err = wait_for(n, stopped, failed, MS_AWS_WAIT_FAILURE);
	if (err || !running)
		return err;
	ms_call_progress(n->call, "starting again");
	err = transition(NULL, n, "StartNotebookInstance", NULL,
			 start_under_way);
	if (!err)
		err = wait_for(n, in_service, failed, MS_AWS_WAIT_FAILURE);
	return err;
}

/*
 * On an error after the notebook was read, *out holds what it looks like
 * now (stopped half-way, say), so that the state tells the truth.
 */
static int notebook_update(struct ms_call *call, const json_t *prior,
			   const json_t *desired, json_t **out)
{
	const char *name = ms_sagemaker_name(prior);
	const char *arn = ms_sagemaker_str(prior, "arn", NULL);
	json_t *body = NULL, *changed = NULL, *item;
	struct ms_buf what = MS_BUF_INIT;
	struct ms_sagemaker_object n;
	size_t i;
	int err;

	*out = NULL;
	err = ms_sagemaker_notebook_update_request(&body, &changed, prior,
						   desired);
	if (err)
		return err;
	notebook_init(&n, call, name);
	json_array_foreach(changed, i, item)
		ms_buf_addf(&what, "%s%s", i ? ", " : "",
			    json_string_value(item));
	if (json_array_size(changed)) {
		err = change_settings(&n, body, what.ptr);
		if (err)
			goto done;
		if (!arn || !*arn)
			arn = ms_sagemaker_str(n.poll.last,
					       "NotebookInstanceArn", NULL);
	}
	if (!arn || !*arn) {
		err = ms_error("%s: no ARN in the prior state", n.what);
		goto done;
	}
	err = ms_sagemaker_tags_update(call->aws, arn,
				       json_object_get(prior, "tags"),
				       json_object_get(desired, "tags"));
done:
	if (!err)
		*out = notebook_result(&n, prior,
				       json_object_get(desired, "tags"), arn);
	else if (n.poll.last)
		*out = notebook_result(&n, prior,
				       json_object_get(prior, "tags"), arn);
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
	const char *name = ms_sagemaker_name(prior);
	const char *status;
	struct ms_sagemaker_object n;
	bool gone = false, was_failed;
	int err;

	if (!name)
		return ms_error("aws_sagemaker_notebook_instance: no name in "
				"the prior state");
	notebook_init(&n, call, name);
	err = ms_sagemaker_describe(&n.poll.last, call->aws,
				    "DescribeNotebookInstance",
				    "NotebookInstanceName", name);
	if (err || !n.poll.last)
		goto done;
	status = status_of(&n);
	if (status && !strcmp(status, "Deleting"))
		goto wait_gone;
	err = settle(&n, "deleting", MS_AWS_WAIT_SUCCESS);
	if (err || !n.poll.last)
		goto done;
	if (!strcmp(status_of(&n), "InService")) {
		ms_call_progress(call, "stopping before deleting");
		err = transition(NULL, &n, "StopNotebookInstance", NULL,
				 stop_under_way);
		if (!err)
			err = wait_for(&n, stopped, failed,
				       MS_AWS_WAIT_SUCCESS);
		if (err || !n.poll.last)
			goto done;
	}
	/* a Failed notebook may still say so right after the delete */
	was_failed = !strcmp(status_of(&n), "Failed");
	err = transition(&gone, &n, "DeleteNotebookInstance", NULL,
			 delete_under_way);
	if (err || gone)
		goto done;
	if (was_failed) {
		err = wait_for(&n, no_states, no_states, MS_AWS_WAIT_SUCCESS);
		goto done;
	}
wait_gone:
	err = wait_for(&n, no_states, failed, MS_AWS_WAIT_SUCCESS);
done:
	ms_sagemaker_object_release(&n);
	return err;
}

const struct ms_resource_type ms_aws_sagemaker_notebook_instance = {
	.name = "aws_sagemaker_notebook_instance",
	.schema = schema,
	.id_attr = "name",
	.read = notebook_read,
	.create = notebook_create,
	.update = notebook_update,
	.delete = notebook_delete,
	.normalize = ms_sagemaker_notebook_normalize,
};
