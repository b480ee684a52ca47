/*
 * instance_profile.c - aws_iam_instance_profile: what gives an EC2
 * instance a role (the host reads the data bucket through it).
 *
 * A profile holds at most one role; changing it removes the old one and
 * adds the new one in place. The name, path are fixed once made.
 */
#include "util/common.h"
#include "providers/provider.h"
#include "providers/iam/iam.h"

static const struct ms_attr schema[] = {
	{ "name", MS_ATTR_STRING, MS_ATTR_REQUIRED | MS_ATTR_FORCE_NEW, NULL,
	  NULL, "the profile's name", "InstanceProfileName" },
	{ "path", MS_ATTR_STRING, MS_ATTR_FORCE_NEW, "\"/\"", NULL, "the path",
	  "Path" },
	{ "role", MS_ATTR_STRING, 0, NULL, NULL,
	  "the name of the role it gives the instance" },
	{ "tags", MS_ATTR_MAP, MS_ATTR_TAGS, "{}", NULL,
	  "tags (with the stack's default tags and its owner mark)", "Tags" },
	{ "arn", MS_ATTR_STRING, MS_ATTR_COMPUTED, NULL, NULL, "the ARN",
	  "|Arn" },
	{ "unique_id", MS_ATTR_STRING, MS_ATTR_COMPUTED, NULL, NULL,
	  "the stable id (AIPA...)", "|InstanceProfileId" },
	{ "id", MS_ATTR_STRING, MS_ATTR_COMPUTED, NULL, NULL,
	  "the profile's name" },
	{ NULL },
};

static json_t *named(const char *name)
{
	return json_pack("{s:s}", "InstanceProfileName", name);
}

/* One call; params is stolen. */
static int profile_call(json_t **out, struct ms_aws_error *error,
			struct ms_call *call, const char *action,
			json_t *params)
{
	int err = ms_iam_call(out, error, call->aws, action, params);

	json_decref(params);
	return err;
}

/* The live attributes of profile name, or NULL when it does not exist. */
static int read_profile(json_t **out, struct ms_call *call, const char *name)
{
	struct ms_aws_error error = MS_AWS_ERROR_INIT;
	json_t *answer = NULL, *tags = NULL, *p, *roles, *role;
	int err;

	*out = NULL;
	err = profile_call(&answer, &error, call, "GetInstanceProfile",
			   named(name));
	p = json_object_get(answer, "InstanceProfile");
	if (!err && !json_is_object(p))
		err = ms_error("GetInstanceProfile: no InstanceProfile in the "
			       "answer");
	/* GetInstanceProfile holds the tags (no ListInstanceProfileTags) */
	if (!err) {
		tags = ms_kit_tags_map(json_object_get(p, "Tags"));
		err = ms_kit_attrs(out, call->type, p, tags);
	}
	if (!err) {
		/* <Roles><member>...: one role at most */
		roles = json_object_get(p, "Roles");
		role = json_is_array(roles) ? json_array_get(roles, 0) : roles;
		if (json_is_object(role) && json_object_get(role, "member"))
			role = json_object_get(role, "member");
		if (json_is_array(role))
			role = json_array_get(role, 0);
		/* "" when it holds none: a role taken out is drift */
		json_object_set_new(
			*out, "role",
			json_string(ms_kit_str(role, "RoleName", "")));
	}
	if (err && ms_iam_not_found(&error)) {
		ms_error_clear();
		err = 0;
	}
	ms_aws_error_release(&error);
	json_decref(answer);
	json_decref(tags);
	return err;
}

static int profile_read(struct ms_call *call, const json_t *prior, json_t **out)
{
	*out = NULL;
	return read_profile(out, call, ms_kit_name(call, prior));
}

static int set_role(struct ms_call *call, const char *name, const char *role,
		    bool add)
{
	struct ms_aws_error error = MS_AWS_ERROR_INIT;
	json_t *p = named(name);
	int err;

	json_object_set_new(p, "RoleName", json_string(role));
	err = profile_call(NULL, &error, call,
			   add ? "AddRoleToInstanceProfile" :
				 "RemoveRoleFromInstanceProfile",
			   p);
	/* already there, already gone: what was wanted */
	if (err && ((add && ms_aws_error_is(&error, "LimitExceeded", NULL)) ||
		    (!add && ms_iam_not_found(&error)))) {
		ms_error_clear();
		err = 0;
	}
	ms_aws_error_release(&error);
	return err;
}

static int apply_changes(struct ms_call *call, const char *name,
			 const json_t *have, const json_t *want)
{
	const char *was = ms_kit_str(have, "role", NULL);
	const char *now = ms_kit_str(want, "role", NULL);
	int err = 0;

	if (was && !*was)
		was = NULL;
	if (now && !*now)
		now = NULL;
	if (was && (!now || strcmp(was, now)))
		err = set_role(call, name, was, false);
	if (!err && now && (!was || strcmp(was, now)))
		err = set_role(call, name, now, true);
	if (!err)
		err = ms_iam_tags_update(call->aws, "InstanceProfile",
					 "InstanceProfileName", name,
					 json_object_get(have, "tags"),
					 json_object_get(want, "tags"));
	return err;
}

static int profile_create(struct ms_call *call, const json_t *desired,
			  json_t **out)
{
	struct ms_aws_error error = MS_AWS_ERROR_INIT;
	const char *name = ms_kit_str(desired, "name", "");
	json_t *body = NULL, *have = NULL;
	char what[300];
	int err;

	*out = NULL;
	err = ms_kit_request(&body, call->type->schema, desired,
			     ms_kit_tags_list);
	if (!err)
		err = ms_iam_call(NULL, &error, call->aws,
				  "CreateInstanceProfile", body);
	if (err && ms_aws_error_is(&error, "EntityAlreadyExists", NULL)) {
		ms_error_clear();
		err = read_profile(&have, call, name);
		snprintf(what, sizeof(what), "instance profile '%s'", name);
		if (!err &&
		    (!have ||
		     !ms_call_owns(call, json_object_get(have, "tags"))))
			err = ms_call_taken(call, what, name);
	} else if (!err) {
		have = json_deep_copy(desired);
		json_object_del(have, "role");
	}
	if (!err)
		err = apply_changes(call, name, have, desired);
	if (!err)
		err = read_profile(out, call, name);
	if (!err && !*out)
		err = ms_error("instance profile '%s': made, but it cannot be "
			       "read yet",
			       name);
	ms_aws_error_release(&error);
	json_decref(body);
	json_decref(have);
	return err;
}

static int profile_update(struct ms_call *call, const json_t *prior,
			  const json_t *desired, json_t **out)
{
	const char *name = ms_kit_name(call, prior);
	int err = apply_changes(call, name, prior, desired);

	*out = NULL;
	if (!err)
		err = read_profile(out, call, name);
	if (!err && !*out)
		err = ms_error("instance profile '%s' vanished", name);
	return err;
}

/* IAM deletes a profile only once its role is out. */
static int profile_delete(struct ms_call *call, const json_t *prior)
{
	struct ms_aws_error error = MS_AWS_ERROR_INIT;
	const char *name = ms_kit_name(call, prior);
	json_t *live = NULL;
	int err = read_profile(&live, call, name);

	if (!err && live && *ms_kit_str(live, "role", ""))
		err = set_role(call, name, ms_kit_str(live, "role", ""), false);
	if (!err && live)
		err = profile_call(NULL, &error, call, "DeleteInstanceProfile",
				   named(name));
	if (err && ms_iam_not_found(&error)) {
		ms_error_clear();
		err = 0;
	}
	ms_aws_error_release(&error);
	json_decref(live);
	return err;
}

static int profile_normalize(json_t *attrs)
{
	ms_kit_strings(json_object_get(attrs, "tags"));
	return 0;
}

const struct ms_resource_type ms_aws_iam_instance_profile = {
	.name = "aws_iam_instance_profile",
	.schema = schema,
	.id_attr = "name",
	.name_min = 1,
	.name_max = 128,
	.name_chars = "a-zA-Z0-9+=,.@_-",
	.read = profile_read,
	.create = profile_create,
	.update = profile_update,
	.delete = profile_delete,
	.normalize = profile_normalize,
	.cost = ms_cost_free,
};
