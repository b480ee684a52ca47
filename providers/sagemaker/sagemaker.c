/*
 * sagemaker.c - helpers shared by the SageMaker resource types: calls,
 * "not found", Describe polls and waits, create-and-wait, the create and
 * update of immutable types, tags, canonical values.
 *
 * SageMaker reports a missing object as a ValidationException whose
 * message says so, not as a modeled not-found error, and the wording
 * varies by object (see docs/aws-client.md). The test is kept here, in
 * one place, and used only on calls that name a single object.
 */
#include "util/common.h"
#include "providers/provider.h"
#include "providers/sagemaker/sagemaker.h"

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

int ms_sagemaker_delete(bool *gone, struct ms_aws *aws, const char *operation,
			const char *name_key, const char *name)
{
	struct ms_aws_error error = MS_AWS_ERROR_INIT;
	json_t *body = json_object();
	int err;

	if (gone)
		*gone = false;
	json_object_set_new(body, name_key, json_string(name));
	err = ms_sagemaker_call(NULL, &error, aws, operation, body);
	if (err && ms_sagemaker_not_found(&error)) {
		ms_error_clear();
		if (gone)
			*gone = true;
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
	status = ms_sagemaker_str(answer, p->status_key, NULL);
	if (!status) {
		err = ms_error("%s: no %s in the answer", p->operation,
			       p->status_key);
		goto done;
	}
	out->status = ms_strdup(status);
	reason = ms_sagemaker_str(answer, "FailureReason", NULL);
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

void ms_sagemaker_poll_release(struct ms_sagemaker_poll *p)
{
	json_decref(p->last);
	p->last = NULL;
}

void ms_sagemaker_object_init(struct ms_sagemaker_object *o,
			      struct ms_call *call, const char *noun,
			      const char *name, const char *describe,
			      const char *name_key, const char *status_key)
{
	memset(o, 0, sizeof(*o));
	o->call = call;
	o->name = name;
	snprintf(o->what, sizeof(o->what), "%s '%s'", noun, name);
	o->started = ms_now();
	o->poll.aws = call->aws;
	o->poll.operation = describe;
	o->poll.name_key = name_key;
	o->poll.name = name;
	o->poll.status_key = status_key;
}

void ms_sagemaker_object_release(struct ms_sagemaker_object *o)
{
	ms_sagemaker_poll_release(&o->poll);
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

int ms_sagemaker_create_wait(json_t **out, struct ms_sagemaker_object *o,
			     const struct ms_sagemaker_create *how,
			     const json_t *body, const json_t *desired)
{
	struct ms_aws_error error = MS_AWS_ERROR_INIT;
	json_t *answer = NULL;
	char *arn = NULL;
	int err;

	*out = NULL;
	err = ms_sagemaker_call(&answer, &error, o->call->aws, how->operation,
				body);
	if (err && ms_aws_error_is(&error, "ValidationException", how->taken)) {
		ms_error_clear();
		err = how->adopt(o, desired);
		if (err)
			goto done;
		arn = ms_strdup(
			ms_sagemaker_str(o->poll.last, how->arn_key, ""));
	} else if (err) {
		goto done;
	} else {
		arn = ms_strdup(ms_sagemaker_str(answer, how->arn_key, ""));
	}
	err = how->wait(o);
	if (err != MS_ENOTFOUND)
		*out = how->result(o, desired, json_object_get(desired, "tags"),
				   arn);
done:
	free(arn);
	ms_aws_error_release(&error);
	json_decref(answer);
	return err;
}

json_t *ms_sagemaker_immutable_from(const struct ms_sagemaker_immutable *type,
				    const json_t *desired, const char *arn)
{
	json_t *o = ms_sagemaker_attrs_from(desired, type->settable,
					    type->n_settable, arn);

	/* checked already by the request that made it */
	type->normalize(o);
	return o;
}

/*
 * The Create said the name is taken. A retried Create whose first answer
 * was lost is told so about the object it made itself: an object there
 * that carries this resource's owner mark and is the one desired
 * (compared as read would give it) is adopted, its tags brought in line.
 * Any other object under the name is not ours to take.
 */
static int immutable_adopt(json_t **out, struct ms_call *call,
			   const struct ms_sagemaker_immutable *type,
			   const json_t *desired)
{
	const char *name = ms_sagemaker_str(desired, "name", "?");
	json_t *described = NULL, *live = NULL, *want = NULL;
	const char *arn;
	char what[300];
	size_t i;
	int err;

	*out = NULL;
	err = ms_sagemaker_describe(&described, call->aws, type->describe,
				    type->name_key, name);
	if (err)
		goto done;
	if (!described) {
		err = ms_error("%s '%s': %s says it exists, %s that it does "
			       "not",
			       type->noun, name, type->create, type->describe);
		goto done;
	}
	err = type->attrs(&live, described, NULL);
	if (err)
		goto done;
	arn = ms_sagemaker_str(live, "arn", "");
	snprintf(what, sizeof(what), "%s '%s'", type->noun, name);
	err = ms_sagemaker_owned(call, what, arn, name);
	if (err)
		goto done;
	want = ms_sagemaker_immutable_from(type, desired, arn);
	for (i = 0; i < type->n_compared; i++)
		if (!json_equal(json_object_get(live, type->compared[i][0]),
				json_object_get(want, type->compared[i][0]))) {
			err = ms_error("%s '%s': the name is taken by a "
				       "different %s (its %s %s), and %s "
				       "cannot be changed in place: leave name "
				       "out and mlstack names each version, or "
				       "give it a new name",
				       type->noun, name, type->noun,
				       type->compared[i][0],
				       type->compared[i][1], type->a_noun);
			goto done;
		}
	ms_call_progress(call, "adopting %s '%s', made by an earlier attempt",
			 type->noun, name);
	err = ms_sagemaker_tags_set(call->aws, arn,
				    json_object_get(want, "tags"));
	if (err)
		goto done;
	*out = want;
	want = NULL;
done:
	json_decref(described);
	json_decref(live);
	json_decref(want);
	return err;
}

int ms_sagemaker_immutable_create(json_t **out, struct ms_call *call,
				  const struct ms_sagemaker_immutable *type,
				  const json_t *desired)
{
	struct ms_aws_error error = MS_AWS_ERROR_INIT;
	json_t *body = NULL, *answer = NULL;
	const char *arn;
	int err;

	*out = NULL;
	err = type->request(&body, desired);
	if (err)
		goto done;
	err = ms_sagemaker_call(&answer, &error, call->aws, type->create, body);
	if (err &&
	    ms_aws_error_is(&error, "ValidationException", "already exist")) {
		ms_error_clear();
		err = immutable_adopt(out, call, type, desired);
		goto done;
	}
	if (err)
		goto done;
	arn = ms_sagemaker_str(answer, type->arn_key, NULL);
	if (!arn) {
		err = ms_error("%s: no %s in the answer", type->create,
			       type->arn_key);
		goto done;
	}
	*out = ms_sagemaker_immutable_from(type, desired, arn);
done:
	ms_aws_error_release(&error);
	json_decref(body);
	json_decref(answer);
	return err;
}

int ms_sagemaker_immutable_update(json_t **out, struct ms_call *call,
				  const struct ms_sagemaker_immutable *type,
				  const json_t *prior, const json_t *desired)
{
	const char *arn = ms_sagemaker_str(prior, "arn", NULL);
	const char *name = ms_sagemaker_name(prior);
	int err;

	*out = NULL;
	if (!arn || !*arn)
		return ms_error("%s '%s': no ARN in the prior state",
				type->noun, name ? name : "?");
	err = ms_sagemaker_tags_update(call->aws, arn,
				       json_object_get(prior, "tags"),
				       json_object_get(desired, "tags"));
	if (!err)
		*out = ms_sagemaker_immutable_from(type, desired, arn);
	return err;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

json_t *ms_sagemaker_tags_list(const json_t *tags)
{
	json_t *list = json_array(), *value;
	const char **keys, *key;
	size_t i = 0, n = json_object_size(tags);

	if (!n)
		return list;
	keys = ms_calloc(n, sizeof(*keys));
	json_object_foreach((json_t *)tags, key, value)
		keys[i++] = key;
	qsort(keys, n, sizeof(*keys), cmp_str);
	for (i = 0; i < n; i++) {
		value = json_object_get(tags, keys[i]);
		json_array_append_new(list, json_pack("{s:s, s:O}", "Key",
						      keys[i], "Value", value));
	}
	free(keys);
	return list;
}

json_t *ms_sagemaker_tags_map(const json_t *list)
{
	json_t *map = json_object(), *item;
	const char *key, *value;
	size_t i;

	json_array_foreach(list, i, item) {
		key = ms_sagemaker_str(item, "Key", NULL);
		value = ms_sagemaker_str(item, "Value", "");
		if (key)
			json_object_set_new(map, key, json_string(value));
	}
	return map;
}

int ms_sagemaker_tags_read(json_t **out, struct ms_aws *aws, const char *arn)
{
	json_t *tags = json_object(), *body = NULL, *answer = NULL, *page;
	const char *token;
	char *next = NULL;
	int err = 0;

	*out = NULL;
	for (;;) {
		json_decref(body);
		body = json_pack("{s:s}", "ResourceArn", arn);
		if (next)
			json_object_set_new(body, "NextToken",
					    json_string(next));
		json_decref(answer);
		answer = NULL;
		err = ms_sagemaker_call(&answer, NULL, aws, "ListTags", body);
		if (err)
			goto done;
		page = ms_sagemaker_tags_map(json_object_get(answer, "Tags"));
		json_object_update(tags, page);
		json_decref(page);
		token = ms_sagemaker_str(answer, "NextToken", NULL);
		if (!token || !*token)
			break;
		if (next && !strcmp(token, next)) {
			err = ms_error("ListTags: the same NextToken twice");
			goto done;
		}
		free(next);
		next = ms_strdup(token);
	}
	*out = tags;
	tags = NULL;
done:
	free(next);
	json_decref(tags);
	json_decref(body);
	json_decref(answer);
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
				 ms_sagemaker_tags_list(changed));
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

int ms_sagemaker_owned(struct ms_call *call, const char *what, const char *arn,
		       const char *name)
{
	json_t *tags = NULL;
	int err;

	err = ms_sagemaker_tags_read(&tags, call->aws, arn);
	if (!err && !ms_call_owns(call, tags))
		err = ms_call_taken(call, what, name);
	json_decref(tags);
	return err;
}

int ms_sagemaker_tags_set(struct ms_aws *aws, const char *arn,
			  const json_t *want)
{
	json_t *have = NULL;
	int err;

	err = ms_sagemaker_tags_read(&have, aws, arn);
	if (!err)
		err = ms_sagemaker_tags_update(aws, arn, have, want);
	json_decref(have);
	return err;
}

void ms_sagemaker_strings_normalize(json_t *map)
{
	const char *key;
	json_t *value;
	char *text;

	if (!json_is_object(map))
		return;
	json_object_foreach(map, key, value) {
		if (!json_is_number(value) && !json_is_boolean(value))
			continue;
		if (json_is_real(value) &&
		    json_real_value(value) ==
			    (double)(long long)json_real_value(value))
			text = ms_asprintf("%lld",
					   (long long)json_real_value(value));
		else
			text = json_dumps(value,
					  JSON_ENCODE_ANY | JSON_COMPACT);
		if (text)
			json_object_set_new(map, key, json_string(text));
		free(text);
	}
}

json_t *ms_sagemaker_number(const json_t *v)
{
	double d;

	if (json_is_real(v)) {
		d = json_real_value(v);
		if (d == (double)(json_int_t)d && d > -1e15 && d < 1e15)
			return json_integer((json_int_t)d);
	}
	return json_incref((json_t *)v);
}

const char *ms_sagemaker_str(const json_t *attrs, const char *key,
			     const char *dflt)
{
	const char *s = json_string_value(json_object_get(attrs, key));

	return s ? s : dflt;
}

bool ms_sagemaker_bool(const json_t *attrs, const char *key, bool dflt)
{
	const json_t *v = json_object_get(attrs, key);

	return json_is_boolean(v) ? json_is_true(v) : dflt;
}

const char *ms_sagemaker_name(const json_t *attrs)
{
	return ms_sagemaker_str(attrs, "id",
				ms_sagemaker_str(attrs, "name", NULL));
}

json_t *ms_sagemaker_attrs_from(const json_t *desired,
				const char *const *settable, size_t n,
				const char *arn)
{
	json_t *o = json_object(), *v;
	size_t i;

	for (i = 0; i < n; i++) {
		v = json_object_get(desired, settable[i]);
		if (v)
			json_object_set_new(o, settable[i], json_deep_copy(v));
	}
	if (!json_object_get(o, "tags"))
		json_object_set_new(o, "tags", json_object());
	json_object_set(o, "id", json_object_get(o, "name"));
	json_object_set_new(o, "arn", json_string(arn ? arn : ""));
	return o;
}
