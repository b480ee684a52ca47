/*
 * sagemaker.c - the SageMaker service layer: calls, "not found", tags,
 * Describe polls and waits, and the generic read, create, tag update and
 * delete of the types whose schema maps their fields.
 *
 * SageMaker reports a missing object as a ValidationException whose
 * message says so, not as a modeled not-found error, and the wording
 * varies by object (see docs/aws-client.md). The test is kept here, in
 * one place, and used only on calls that name a single object.
 *
 * Refresh reads many objects of a type at once (ms_sagemaker_read_many):
 * its list gives each object's time, which every change but a tag change
 * moves, and the Resource Groups Tagging API gives the tags. An object
 * whose time and tags are as the state recorded them keeps its stored
 * attributes; any other is described (docs/refresh.md).
 */
#include "util/common.h"
#include "providers/provider.h"
#include "providers/sagemaker/sagemaker.h"

#include <math.h>

#define PAGE_MAX 100

const char *const ms_sagemaker_retryable[] = {
	"ThrottlingException",
	NULL,
};

int ms_sagemaker_call(json_t **out, struct ms_aws_error *error,
		      struct ms_aws *aws, const char *operation,
		      const json_t *body)
{
	return ms_aws_json_call(out, error, aws, MS_SAGEMAKER_SERVICE,
				MS_SAGEMAKER_TARGET, operation, body);
}

bool ms_sagemaker_not_found(const struct ms_aws_error *error)
{
	static const char *const phrases[] = {
		"Could not find", "could not find", "does not exist",
		"RecordNotFound", "not found",
	};
	size_t i;

	if (!error || !error->code)
		return false;
	if (!strcmp(error->code, "ResourceNotFound") ||
	    !strcmp(error->code, "ResourceNotFoundException"))
		return true;
	if (strcmp(error->code, "ValidationException") || !error->message)
		return false;
	for (i = 0; i < MS_ARRAY_SIZE(phrases); i++)
		if (strstr(error->message, phrases[i]))
			return true;
	return false;
}

bool ms_sagemaker_taken(const struct ms_aws_error *error)
{
	return ms_aws_error_is(error, "ResourceInUse", NULL) ||
	       ms_aws_error_is(error, "ValidationException", "already exist") ||
	       ms_aws_error_is(error, "ValidationException", "duplicate");
}

int ms_sagemaker_describe(json_t **out, struct ms_aws *aws,
			  const char *operation, const char *name_key,
			  const char *name)
{
	struct ms_aws_error error = MS_AWS_ERROR_INIT;
	json_t *body = json_object();
	int err;

	*out = NULL;
	json_object_set_new(body, name_key, json_string(name));
	err = ms_sagemaker_call(out, &error, aws, operation, body);
	if (err && ms_sagemaker_not_found(&error)) {
		ms_error_clear();
		err = 0;
	}
	ms_aws_error_release(&error);
	json_decref(body);
	return err;
}

int ms_sagemaker_poll(struct ms_aws_wait_poll *out, void *payload)
{
	struct ms_sagemaker_poll *p = payload;
	struct ms_aws_error error = MS_AWS_ERROR_INIT;
	json_t *body = json_object(), *answer = NULL;
	const char *status, *reason;
	int err;

	json_object_set_new(body, p->name_key, json_string(p->name));
	err = ms_sagemaker_call(&answer, &error, p->aws, p->operation, body);
	if (err && ms_sagemaker_not_found(&error)) {
		ms_error_clear();
		json_decref(p->last);
		p->last = NULL;
		err = 0;
		goto done;
	}
	if (err) {
		if (error.code)
			out->error_code = ms_strdup(error.code);
		goto done;
	}
	status = ms_kit_str(answer, p->status_key, NULL);
	if (!status) {
		err = ms_error("%s: no %s in the answer", p->operation,
			       p->status_key);
		goto done;
	}
	out->status = ms_strdup(status);
	reason = ms_kit_str(answer, "FailureReason", NULL);
	if (reason)
		out->reason = ms_strdup(reason);
	json_decref(p->last);
	p->last = answer;
	answer = NULL;
done:
	json_decref(answer);
	json_decref(body);
	ms_aws_error_release(&error);
	return err;
}

int ms_sagemaker_tags_read(json_t **out, struct ms_aws *aws, const char *arn)
{
	json_t *items = NULL, *body = json_pack("{s:s}", "ResourceArn", arn);
	int err = ms_kit_json_pages(&items, aws, MS_SAGEMAKER_SERVICE,
				    MS_SAGEMAKER_TARGET, "ListTags", body,
				    "Tags", "NextToken");

	*out = err ? NULL : ms_kit_tags_map(items);
	json_decref(items);
	json_decref(body);
	return err;
}

int ms_sagemaker_tags_update(struct ms_aws *aws, const char *arn,
			     const json_t *have, const json_t *want)
{
	json_t *changed = json_object(), *removed = json_array(), *body = NULL;
	json_t *value;
	const char *key;
	int err = 0;

	json_object_foreach((json_t *)want, key, value)
		if (!json_equal(json_object_get(have, key), value))
			json_object_set(changed, key, value);
	json_object_foreach((json_t *)have, key, value)
		if (!json_object_get(want, key))
			json_array_append_new(removed, json_string(key));
	if (json_object_size(changed)) {
		body = json_pack("{s:s, s:o}", "ResourceArn", arn, "Tags",
				 ms_kit_tags_list(changed));
		err = ms_sagemaker_call(NULL, NULL, aws, "AddTags", body);
		if (err)
			goto done;
	}
	if (json_array_size(removed)) {
		json_decref(body);
		body = json_pack("{s:s, s:O}", "ResourceArn", arn, "TagKeys",
				 removed);
		err = ms_sagemaker_call(NULL, NULL, aws, "DeleteTags", body);
	}
done:
	json_decref(body);
	json_decref(changed);
	json_decref(removed);
	return err;
}

void ms_sagemaker_object_init(struct ms_sagemaker_object *o,
			      struct ms_call *call, const char *name)
{
	const struct ms_sagemaker_kind *kind = call->type->kind;

	memset(o, 0, sizeof(*o));
	o->call = call;
	o->kind = kind;
	snprintf(o->name, sizeof(o->name), "%s", name ? name : "");
	snprintf(o->what, sizeof(o->what), "%s '%s'", kind->noun, o->name);
	snprintf(o->describe, sizeof(o->describe), "Describe%s", kind->object);
	if (!ms_kit_field(o->name_key, call->type, call->type->id_attr, true))
		snprintf(o->name_key, sizeof(o->name_key), "%sName",
			 kind->object);
	if (!ms_kit_field(o->arn_key, call->type, "arn", true))
		snprintf(o->arn_key, sizeof(o->arn_key), "%sArn", kind->object);
	o->started = ms_now();
	o->poll.aws = call->aws;
	o->poll.operation = o->describe;
	o->poll.name_key = o->name_key;
	o->poll.name = o->name;
	o->poll.status_key = kind->status;
}

void ms_sagemaker_object_release(struct ms_sagemaker_object *o)
{
	json_decref(o->poll.last);
	o->poll.last = NULL;
}

int ms_sagemaker_object_describe(struct ms_sagemaker_object *o)
{
	json_decref(o->poll.last);
	o->poll.last = NULL;
	return ms_sagemaker_describe(&o->poll.last, o->call->aws, o->describe,
				     o->name_key, o->name);
}

const char *ms_sagemaker_object_status(const struct ms_sagemaker_object *o)
{
	return o->kind->status ? ms_kit_str(o->poll.last, o->kind->status, "") :
				 "";
}

int ms_sagemaker_wait(struct ms_sagemaker_object *o, const char *const *success,
		      const char *const *failure, enum ms_aws_wait_state gone,
		      double delay, int attempts)
{
	struct ms_aws_waiter w = { 0 };

	w.what = o->what;
	w.delay = delay;
	w.max_attempts = attempts;
	w.success = success;
	w.failure = failure;
	w.retryable = ms_sagemaker_retryable;
	w.gone = gone;
	w.started = o->started;
	return ms_aws_wait(NULL, o->call, &w, ms_sagemaker_poll, &o->poll);
}

json_t *ms_sagemaker_object_attrs(const struct ms_sagemaker_object *o,
				  const json_t *base, const json_t *tags,
				  const char *arn)
{
	const struct ms_resource_type *t = o->call->type;
	json_t *attrs = NULL, *from;

	if (o->poll.last && !ms_kit_attrs(&attrs, t, o->poll.last, tags)) {
		if (o->kind->answer)
			o->kind->answer(attrs, o->poll.last);
		return attrs;
	}
	ms_error_clear();
	from = json_deep_copy(base);
	json_object_set_new(from, t->id_attr, json_string(o->name));
	json_object_set_new(from, "tags",
			    tags ? json_deep_copy(tags) : json_object());
	json_object_set_new(from, "arn", json_string(arn ? arn : ""));
	attrs = ms_kit_attrs_from(t, from);
	json_decref(from);
	return attrs;
}

int ms_sagemaker_resume(struct ms_sagemaker_object *o, const char *status,
			const char *pending)
{
	char *refusal = ms_strdup(ms_error_last());
	const json_t *summary;
	int err;

	ms_error_clear();
	err = ms_sagemaker_object_describe(o);
	if (err || !o->poll.last)
		goto done;
	summary = json_object_get(o->poll.last, "PendingDeploymentSummary");
	if (strcmp(ms_kit_str(o->poll.last, o->kind->status, ""), status) ||
	    (pending &&
	     strcmp(ms_kit_str(summary, "EndpointConfigName", ""), pending))) {
		err = ms_error("%s", refusal);
		goto done;
	}
	ms_call_progress(o->call, "%s: already under way", status);
done:
	free(refusal);
	return err;
}

int ms_sagemaker_read(struct ms_call *call, const json_t *prior, json_t **out)
{
	struct ms_sagemaker_object o;
	json_t *tags = NULL;
	int err;

	*out = NULL;
	if (!ms_kit_name(call, prior))
		return ms_error("%s: no name in the prior state",
				call->type->name);
	ms_sagemaker_object_init(&o, call, ms_kit_name(call, prior));
	err = ms_sagemaker_object_describe(&o);
	if (err || !o.poll.last)
		goto done;
	err = ms_sagemaker_tags_read(&tags, call->aws,
				     ms_kit_str(o.poll.last, o.arn_key, ""));
	if (!err && ms_kit_attrs(out, call->type, o.poll.last, tags))
		err = ms_error("%s: %s", o.describe, ms_error_last());
	if (!err && o.kind->answer)
		o.kind->answer(*out, o.poll.last);
done:
	json_decref(tags);
	ms_sagemaker_object_release(&o);
	return err;
}

/*
 * The Create said the name is taken. A retried Create whose first answer
 * was lost is told so about the object it made itself: an object there
 * that carries this resource's owner mark, reads back as desired on the
 * kind's compared attributes and is in an adoptable status is adopted,
 * its tags brought in line. Any other object under the name is not ours
 * to take. o->poll.last is left as described.
 */
static int adopt(struct ms_sagemaker_object *o, const json_t *desired)
{
	const struct ms_sagemaker_kind *kind = o->kind;
	const char *arn, *status;
	json_t *tags = NULL, *live = NULL;
	const char *const *c;
	int err;

	err = ms_sagemaker_object_describe(o);
	if (!err && !o->poll.last)
		err = ms_error("%s: Create%s says it exists, %s that it does "
			       "not",
			       o->what, kind->object, o->describe);
	if (err)
		return err;
	arn = ms_kit_str(o->poll.last, o->arn_key, "");
	err = ms_sagemaker_tags_read(&tags, o->call->aws, arn);
	if (!err && !ms_call_owns(o->call, tags))
		err = ms_call_taken(o->call, o->what, o->name);
	if (!err)
		err = ms_kit_attrs(&live, o->call->type, o->poll.last, NULL);
	for (c = kind->compared; !err && c && *c; c++) {
		if (json_equal(json_object_get(live, *c),
			       json_object_get(desired, *c)))
			continue;
		if (o->call->type->auto_name)
			err = ms_error("%s already exists with another %s, and "
				       "a %s cannot be changed in place: leave "
				       "%s out and mlstack names each version, "
				       "or give it a new name",
				       o->what, *c, kind->noun,
				       o->call->type->auto_name);
		else
			err = ms_error("%s: the name is taken by a different "
				       "%s (its %s differs): give this one "
				       "another name, or delete that one",
				       o->what, kind->noun, *c);
	}
	status = ms_sagemaker_object_status(o);
	if (!err && kind->adoptable && !ms_str_in(status, kind->adoptable))
		err = ms_error("%s: the name is taken by a %s in status %s, "
			       "not one being created: give this one another "
			       "name, or delete that one",
			       o->what, kind->noun,
			       *status ? status : "unknown");
	if (!err) {
		ms_call_progress(o->call,
				 "adopting the %s made by an earlier "
				 "attempt",
				 kind->noun);
		err = ms_sagemaker_tags_update(o->call->aws, arn, tags,
					       json_object_get(desired,
							       "tags"));
	}
	json_decref(tags);
	json_decref(live);
	return err;
}

/* The answer's time the type records for its list, or NULL. */
static json_t *listed_time(const struct ms_sagemaker_object *o)
{
	char key[64];

	if (!ms_kit_field(key, o->call->type, MS_SAGEMAKER_LISTED_TIME, true))
		return NULL;
	return json_object_get(o->poll.last, key);
}

int ms_sagemaker_create(struct ms_call *call, const json_t *desired,
			json_t **out)
{
	const struct ms_resource_type *t = call->type;
	struct ms_aws_error error = MS_AWS_ERROR_INIT;
	struct ms_sagemaker_object o;
	json_t *body = NULL, *answer = NULL;
	char *arn = NULL, *op;
	int err;

	*out = NULL;
	ms_sagemaker_object_init(&o, call, ms_kit_str(desired, t->id_attr, ""));
	op = ms_asprintf("Create%s", o.kind->object);
	err = ms_kit_request(&body, t->schema, desired, ms_kit_tags_list);
	if (err) {
		err = ms_error("%s: %s", o.what, ms_error_last());
		goto done;
	}
	err = ms_sagemaker_call(&answer, &error, call->aws, op, body);
	if (err && ms_sagemaker_taken(&error)) {
		ms_error_clear();
		err = adopt(&o, desired);
		if (!err)
			arn = ms_strdup(ms_kit_str(o.poll.last, o.arn_key, ""));
	} else if (!err) {
		arn = ms_strdup(ms_kit_str(answer, o.arn_key, ""));
		if (!*arn)
			err = ms_error("%s: no %s in the answer", op,
				       o.arn_key);
	}
	if (err)
		goto done;
	/*
	 * An immutable object reads back as it was asked for; only its time
	 * is described, for refresh by listing (none: it is read one by one).
	 */
	if (!o.kind->wait) {
		json_t *when = NULL;

		if (!ms_sagemaker_object_describe(&o) && o.poll.last)
			when = json_incref(listed_time(&o));
		ms_error_clear();
		ms_sagemaker_object_release(&o);
		*out = ms_sagemaker_object_attrs(
			&o, desired, json_object_get(desired, "tags"), arn);
		if (when)
			json_object_set(*out, MS_SAGEMAKER_LISTED_TIME, when);
		json_decref(when);
		goto done;
	} else {
		err = o.kind->wait(&o);
		if (err == MS_ENOTFOUND)
			goto done;
	}
	*out = ms_sagemaker_object_attrs(&o, desired,
					 json_object_get(desired, "tags"), arn);
done:
	ms_aws_error_release(&error);
	ms_sagemaker_object_release(&o);
	json_decref(body);
	json_decref(answer);
	free(arn);
	free(op);
	return err;
}

int ms_sagemaker_update_tags(struct ms_call *call, const json_t *prior,
			     const json_t *desired, json_t **out)
{
	struct ms_sagemaker_object o;
	const char *arn = ms_kit_str(prior, "arn", NULL);
	int err;

	*out = NULL;
	ms_sagemaker_object_init(&o, call, ms_kit_name(call, prior));
	if (!arn || !*arn)
		return ms_error("%s: no ARN in the prior state", o.what);
	err = ms_sagemaker_tags_update(call->aws, arn,
				       json_object_get(prior, "tags"),
				       json_object_get(desired, "tags"));
	if (!err) {
		json_t *base = json_deep_copy(prior);

		/* the time stays: tags do not move it */
		json_object_update(base, (json_t *)desired);
		*out = ms_sagemaker_object_attrs(
			&o, base, json_object_get(desired, "tags"), arn);
		json_decref(base);
	}
	return err;
}

int ms_sagemaker_delete(struct ms_call *call, const json_t *prior)
{
	struct ms_aws_error error = MS_AWS_ERROR_INIT;
	struct ms_sagemaker_object o;
	json_t *body;
	char *op;
	int err;

	if (!ms_kit_name(call, prior))
		return ms_error("%s: no name in the prior state",
				call->type->name);
	ms_sagemaker_object_init(&o, call, ms_kit_name(call, prior));
	op = ms_asprintf("Delete%s", o.kind->object);
	body = json_pack("{s:s}", o.name_key, o.name);
	err = ms_sagemaker_call(NULL, &error, call->aws, op, body);
	if (err && ms_sagemaker_not_found(&error)) {
		ms_error_clear();
		err = 0;
	}
	ms_aws_error_release(&error);
	json_decref(body);
	free(op);
	return err;
}

bool ms_sagemaker_job_settled(const json_t *live)
{
	const char *status = ms_kit_str(live, "status", "");

	return strcmp(status, "InProgress") && strcmp(status, "Stopping");
}

void ms_sagemaker_training_cost(struct ms_cost *out,
				const struct ms_cost_env *env,
				const json_t *attrs, const char *def,
				double jobs, double seconds)
{
	char path[160], what[192];
	const char *type;
	double count, gb;

	out->job = true;
	snprintf(path, sizeof(path), "%sresource_config.instance_type", def);
	type = ms_cost_string(out, attrs, path);
	snprintf(path, sizeof(path), "%sresource_config.instance_count", def);
	count = ms_cost_number(out, attrs, path, 1);
	snprintf(path, sizeof(path), "%sresource_config.volume_size_in_gb",
		 def);
	gb = ms_cost_number(out, attrs, path, 30);
	if (seconds < 0) {
		snprintf(path, sizeof(path),
			 "%sstopping_condition.max_runtime_in_seconds", def);
		seconds = ms_cost_number(out, attrs, path, 86400);
	}
	if (count < 0 || seconds < 0 || jobs < 0)
		return;
	if (type) {
		if (jobs == 1)
			snprintf(what, sizeof(what), "training instances %s",
				 type);
		else
			snprintf(what, sizeof(what),
				 "training instances %s (%g jobs of %g)", type,
				 jobs, count);
		ms_cost_add_run(out, env, "sagemaker.training", type, what,
				count * jobs, seconds);
	}
	if (gb >= 0)
		ms_cost_add_run(out, env, "sagemaker.storage", "training",
				"training ML storage volumes",
				gb * count * jobs, seconds);
}

int ms_sagemaker_job_update(struct ms_call *call, const json_t *prior,
			    const json_t *desired, json_t **out)
{
	struct ms_sagemaker_object o;
	const char *arn = ms_kit_str(prior, "arn", "");
	json_t *base = json_deep_copy(prior);
	int err = 0;

	*out = NULL;
	ms_sagemaker_object_init(&o, call, ms_kit_name(call, prior));
	json_object_update(base, (json_t *)desired);
	if (!ms_sagemaker_job_settled(prior))
		err = o.kind->wait(&o);
	if (err != MS_ENOTFOUND) {
		if (!err)
			err = ms_sagemaker_tags_update(
				call->aws, arn, json_object_get(prior, "tags"),
				json_object_get(desired, "tags"));
		*out = ms_sagemaker_object_attrs(
			&o, base,
			json_object_get(err ? prior : desired, "tags"), arn);
	}
	json_decref(base);
	ms_sagemaker_object_release(&o);
	return err;
}

int ms_sagemaker_job_delete(struct ms_call *call, const json_t *prior)
{
	static const char *const stopped[] = { "Stopped", "Completed", "Failed",
					       NULL };
	static const char *const none[] = { NULL };
	struct ms_sagemaker_object o;
	const char *status;
	json_t *body;
	char *op;
	int err;

	ms_sagemaker_object_init(&o, call, ms_kit_name(call, prior));
	err = ms_sagemaker_object_describe(&o);
	status = ms_sagemaker_object_status(&o);
	if (!err && !strcmp(status, "InProgress")) {
		ms_call_progress(call,
				 "stopping the %s (what it wrote to S3 "
				 "stays)",
				 o.kind->noun);
		op = ms_asprintf("Stop%s", o.kind->object);
		body = json_pack("{s:s}", o.name_key, o.name);
		err = ms_sagemaker_call(NULL, NULL, call->aws, op, body);
		json_decref(body);
		free(op);
		status = "Stopping";
	}
	if (!err && !strcmp(status, "Stopping"))
		err = ms_sagemaker_wait(&o, stopped, none, MS_AWS_WAIT_SUCCESS,
					30.0, 120);
	ms_sagemaker_object_release(&o);
	return err;
}

/* Whether two times (epoch seconds, or text) are the same instant. */
static bool same_time(const json_t *a, const json_t *b)
{
	if (json_is_number(a) && json_is_number(b))
		return fabs(json_number_value(a) - json_number_value(b)) < 1e-6;
	return a && b && !json_is_null(a) && json_equal(a, b);
}

/*
 * Whether the listed entry l shows the object the state recorded as
 * prior, unchanged but perhaps for its tags.
 */
static bool unchanged(const struct ms_sagemaker_object *o, const json_t *l,
		      const json_t *prior, const char *time_key)
{
	const struct ms_resource_type *t = o->call->type;
	const char *arn = ms_kit_str(prior, "arn", NULL);

	if (!l || !arn || strcmp(ms_kit_str(l, o->arn_key, ""), arn) ||
	    !same_time(json_object_get(prior, MS_SAGEMAKER_LISTED_TIME),
		       json_object_get(l, time_key)))
		return false;
	if (o->kind->status && strcmp(ms_kit_str(l, o->kind->status, ""),
				      ms_kit_str(prior, "status", "")))
		return false;
	/* a running job changes without telling its list */
	return !t->settled || t->settled(prior);
}

int ms_sagemaker_read_many(struct ms_call *call, const json_t *priors,
			   json_t **out)
{
	const struct ms_resource_type *t = call->type;
	const struct ms_sagemaker_kind *kind = t->kind;
	struct ms_sagemaker_object o;
	json_t *items = NULL, *listed = json_object(), *tagged = NULL;
	json_t *candidates = json_object(), *settled = json_object();
	json_t *body = NULL, *item, *prior, *empty = json_object();
	const char *name;
	char time_key[64];
	bool cut = false;
	size_t i;
	int err = 0;

	*out = NULL;
	ms_sagemaker_object_init(&o, call, NULL);
	if (!ms_kit_field(time_key, t, MS_SAGEMAKER_LISTED_TIME, true)) {
		err = ms_error("no %s in the schema", MS_SAGEMAKER_LISTED_TIME);
		goto done;
	}
	body = json_pack("{s:i}", "MaxResults", ms_kit_page_size(PAGE_MAX));
	err = ms_kit_json_pages_upto(&items, call->aws, MS_SAGEMAKER_SERVICE,
				     MS_SAGEMAKER_TARGET, kind->list, body,
				     kind->list_key, "NextToken",
				     call->list_pages, NULL);
	if (err)
		goto done;
	json_array_foreach(items, i, item)
		if (json_is_string(json_object_get(item, o.name_key)))
			json_object_set(listed,
					ms_kit_str(item, o.name_key, ""), item);
	json_object_foreach((json_t *)priors, name, prior) {
		const char *n = ms_kit_name(call, prior);

		if (unchanged(&o, json_object_get(listed, n ? n : ""), prior,
			      time_key))
			json_object_set(candidates, name, prior);
	}
	if (json_object_size(candidates)) {
		err = ms_kit_tagged(&tagged, call->aws, kind->tag_type,
				    call->list_pages, &cut);
		if (err)
			goto done;
	}
	/*
	 * Tags that differ from the state's, or that the tagging API does not
	 * show for an object the state recorded with tags, may be the
	 * tagging API lagging behind (an apply that just changed them):
	 * ListTags decides. Not shown by a list cut short, they are unknown.
	 */
	json_object_foreach(candidates, name, prior) {
		json_t *tags =
			json_object_get(tagged, ms_kit_str(prior, "arn", ""));
		json_t *had = json_object_get(prior, "tags"), *live;

		if ((!tags && cut) ||
		    !json_equal(tags ? tags : empty, had ? had : empty))
			continue;
		live = json_deep_copy(prior);
		json_object_set(live, "tags", tags ? tags : empty);
		json_object_set_new(settled, name, live);
	}
	if (kind->many && json_object_size(settled))
		err = kind->many(call, settled);
	if (!err) {
		*out = settled;
		settled = NULL;
	}
done:
	ms_sagemaker_object_release(&o);
	json_decref(items);
	json_decref(listed);
	json_decref(tagged);
	json_decref(candidates);
	json_decref(settled);
	json_decref(body);
	json_decref(empty);
	return err;
}
