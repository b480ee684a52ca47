/*
 * role.c - aws_iam_role: an IAM role, its trust policy, attached managed
 * policies, inline policies and tags.
 *
 * The role's own fields map through the schema; its policies are calls of
 * their own. create and update return the attributes they asked IAM to
 * hold rather than reading them back: IAM is eventually consistent, and a
 * read right after a write can show the old value and a false diff. The
 * next refresh reads the truth. Policy documents are held in canonical
 * form (iam.h).
 *
 * Refresh reads roles in bulk: ListRoles (name, path, description,
 * session length, trust policy) and GetAccountAuthorizationDetails for
 * roles (trust policy, inline and attached policies, tags), a page of up
 * to 1,000 roles a call each. Neither alone holds all a role records: a
 * role settles only when both list it; one missing from either is read
 * by GetRole (a list may lag behind a create or a delete, and absence is
 * never trusted from it).
 */
#include "util/common.h"
#include "providers/provider.h"
#include "providers/iam/iam.h"

static const struct ms_attr schema[] = {
	{ "name", MS_ATTR_STRING, MS_ATTR_REQUIRED | MS_ATTR_FORCE_NEW, NULL,
	  NULL, "the role's name", "RoleName" },
	{ "assume_role_policy", MS_ATTR_JSON, MS_ATTR_REQUIRED | MS_ATTR_POLICY,
	  NULL, NULL, "the trust policy (a YAML/JSON object or a JSON string)",
	  "AssumeRolePolicyDocument|" },
	{ "path", MS_ATTR_STRING, MS_ATTR_FORCE_NEW, "\"/\"", NULL, "the path",
	  "Path" },
	{ "description", MS_ATTR_STRING, 0, "\"\"", NULL, "a description",
	  "Description" },
	{ "max_session_duration", MS_ATTR_NUMBER, 0, "3600", NULL,
	  "maximum session length in seconds (3600 to 43200)",
	  "MaxSessionDuration" },
	{ "managed_policy_arns", MS_ATTR_LIST, MS_ATTR_ARN, "[]", NULL,
	  "ARNs of managed policies attached to the role" },
	{ "inline_policies", MS_ATTR_JSON, MS_ATTR_POLICIES, "{}", NULL,
	  "inline policies: name -> policy document" },
	{ "tags", MS_ATTR_MAP, MS_ATTR_TAGS, "{}", NULL,
	  "tags (with the stack's default tags and its owner mark)", "Tags" },
	{ "arn", MS_ATTR_STRING, MS_ATTR_COMPUTED, NULL, NULL, "the ARN",
	  "|Arn" },
	{ "id", MS_ATTR_STRING, MS_ATTR_COMPUTED, NULL, NULL, "the role name" },
	{ "unique_id", MS_ATTR_STRING, MS_ATTR_COMPUTED, NULL, NULL,
	  "the stable role id (AROA...)", "|RoleId" },
	{ NULL },
};

/* One call about the role; params is stolen. */
static int role_call(json_t **out, struct ms_aws_error *error,
		     struct ms_call *call, const char *action, json_t *params)
{
	int err = ms_iam_call(out, error, call->aws, action, params);

	json_decref(params);
	return err;
}

static json_t *named(const char *role)
{
	return json_pack("{s:s}", "RoleName", role);
}

/* *out = a policy document as IAM answers it, canonical. */
static int decode(json_t **out, const json_t *text, const char *role,
		  const char *policy)
{
	char what[300];

	if (policy)
		snprintf(what, sizeof(what), "role '%s': inline policy '%s'",
			 role, policy);
	else
		snprintf(what, sizeof(what), "role '%s': assume_role_policy",
			 role);
	return ms_iam_policy_decode(
		out, json_is_string(text) ? json_string_value(text) : "", what);
}

/* The attached managed policy ARNs (a sorted set) and inline names. */
static int list_policies(json_t **managed, json_t **names,
			 struct ms_aws_error *error, struct ms_call *call,
			 const char *role)
{
	json_t *attached = NULL, *p, *item;
	size_t i;
	int err;

	*managed = *names = NULL;
	p = named(role);
	err = ms_iam_list(&attached, error, call->aws,
			  "ListAttachedRolePolicies", p, "AttachedPolicies");
	if (!err)
		err = ms_iam_list(names, error, call->aws, "ListRolePolicies",
				  p, "PolicyNames");
	json_decref(p);
	if (err) {
		json_decref(attached);
		return err;
	}
	*managed = json_array();
	json_array_foreach(attached, i, item)
		json_array_append(*managed, json_object_get(item, "PolicyArn"));
	ms_kit_sorted_set(*managed);
	json_decref(attached);
	return 0;
}

/*
 * The live attributes of role name, or *out = NULL when it does not exist
 * (also when it vanishes half-way through the reads).
 */
static int read_role(json_t **out, struct ms_call *call, const char *name)
{
	struct ms_aws_error error = MS_AWS_ERROR_INIT;
	json_t *answer = NULL, *role, *tags = NULL, *managed = NULL;
	json_t *names = NULL, *inl = json_object(), *doc = NULL, *item;
	size_t i;
	int err;

	*out = NULL;
	err = role_call(&answer, &error, call, "GetRole", named(name));
	role = json_object_get(answer, "Role");
	if (!err && !json_is_object(role))
		err = ms_error("GetRole: no Role in the answer");
	if (!err)
		err = decode(&doc,
			     json_object_get(role, "AssumeRolePolicyDocument"),
			     name, NULL);
	if (!err)
		err = list_policies(&managed, &names, &error, call, name);
	json_array_foreach(names, i, item) {
		json_t *p = named(name), *got = NULL, *canon = NULL;

		json_object_set(p, "PolicyName", item);
		err = role_call(&got, &error, call, "GetRolePolicy", p);
		if (!err)
			err = decode(&canon,
				     json_object_get(got, "PolicyDocument"),
				     name, json_string_value(item));
		json_decref(got);
		if (err && ms_iam_not_found(&error)) {
			ms_error_clear(); /* deleted since it was listed */
			err = 0;
			continue;
		}
		if (err)
			break;
		json_object_set_new(inl, json_string_value(item), canon);
	}
	if (err)
		goto done;
	tags = ms_kit_tags_map(json_object_get(role, "Tags"));
	err = ms_kit_attrs(out, call->type, role, tags);
	if (err)
		goto done;
	json_object_set(*out, "assume_role_policy", doc);
	json_object_set(*out, "managed_policy_arns", managed);
	json_object_set(*out, "inline_policies", inl);
done:
	if (err && ms_iam_not_found(&error)) {
		ms_error_clear();
		err = 0;
	}
	ms_aws_error_release(&error);
	json_decref(answer);
	json_decref(tags);
	json_decref(doc);
	json_decref(managed);
	json_decref(names);
	json_decref(inl);
	return err;
}

static int role_read(struct ms_call *call, const json_t *prior, json_t **out)
{
	*out = NULL;
	if (!ms_kit_name(call, prior))
		return ms_error("aws_iam_role: no name in the prior state");
	return read_role(out, call, ms_kit_name(call, prior));
}

/* Each list element of an answer, whether one or many or none. */
static json_t *members(const json_t *v)
{
	if (json_is_array(v))
		return json_incref((json_t *)v);
	if (json_is_object(v) && json_object_size(v))
		return json_pack("[O]", v);
	return json_array();
}

/*
 * Every page of a list under key (up to the call's list_pages), MaxItems
 * each, into *out (name -> item).
 */
static int list_all(json_t *out, struct ms_call *call, const char *action,
		    json_t *params, const char *key)
{
	json_t *items = NULL, *item;
	size_t i;
	int err;

	json_object_set_new(params, "MaxItems",
			    json_integer(ms_kit_page_size(1000)));
	err = ms_iam_list_upto(&items, NULL, call->aws, action, params, key,
			       call->list_pages);
	json_decref(params);
	json_array_foreach(items, i, item)
		if (json_is_string(json_object_get(item, "RoleName")))
			json_object_set(out, ms_kit_str(item, "RoleName", ""),
					item);
	json_decref(items);
	return err;
}

/* The role's attributes from its ListRoles entry and its detail. */
static int role_from_lists(json_t **out, struct ms_call *call,
			   const json_t *role, const json_t *detail)
{
	const char *name = ms_kit_str(role, "RoleName", "");
	json_t *tags = NULL, *doc = NULL, *managed = json_array();
	json_t *inl = json_object(), *list, *item;
	size_t i;
	int err;

	*out = NULL;
	err = decode(&doc, json_object_get(detail, "AssumeRolePolicyDocument"),
		     name, NULL);
	list = members(json_object_get(detail, "RolePolicyList"));
	json_array_foreach(list, i, item) {
		json_t *canon = NULL;

		if (err)
			break;
		err = decode(&canon, json_object_get(item, "PolicyDocument"),
			     name, ms_kit_str(item, "PolicyName", ""));
		if (!err)
			json_object_set_new(
				inl, ms_kit_str(item, "PolicyName", ""), canon);
	}
	json_decref(list);
	list = members(json_object_get(detail, "AttachedManagedPolicies"));
	json_array_foreach(list, i, item)
		json_array_append(managed, json_object_get(item, "PolicyArn"));
	json_decref(list);
	ms_kit_sorted_set(managed);
	tags = ms_kit_tags_map(json_object_get(detail, "Tags"));
	if (!err)
		err = ms_kit_attrs(out, call->type, role, tags);
	if (!err) {
		json_object_set(*out, "assume_role_policy", doc);
		json_object_set(*out, "managed_policy_arns", managed);
		json_object_set(*out, "inline_policies", inl);
	}
	json_decref(tags);
	json_decref(doc);
	json_decref(managed);
	json_decref(inl);
	return err;
}

/*
 * A role's detail and its ListRoles entry may come from different moments
 * (a change between the two lists): the trust policy both hold must agree,
 * else the role is read on its own.
 */
static int role_read_many(struct ms_call *call, const json_t *priors,
			  json_t **out)
{
	json_t *roles = json_object(), *details = json_object(), *prior;
	const char *name;
	int err;

	*out = NULL;
	err = list_all(roles, call, "ListRoles", json_object(), "Roles");
	if (!err)
		err = list_all(details, call, "GetAccountAuthorizationDetails",
			       json_pack("{s:[s]}", "Filter", "Role"),
			       "RoleDetailList");
	if (err)
		goto done;
	*out = json_object();
	json_object_foreach((json_t *)priors, name, prior) {
		const char *role = ms_kit_name(call, prior);
		json_t *r = json_object_get(roles, role ? role : "");
		json_t *d = json_object_get(details, role ? role : "");
		json_t *live = NULL;

		if (!r || !d ||
		    !json_equal(json_object_get(r, "AssumeRolePolicyDocument"),
				json_object_get(d, "AssumeRolePolicyDocument")))
			continue;
		if (role_from_lists(&live, call, r, d)) {
			err = -1;
			break;
		}
		json_object_set_new(*out, name, live);
	}
done:
	if (err) {
		json_decref(*out);
		*out = NULL;
	}
	json_decref(roles);
	json_decref(details);
	return err;
}

/* A policy document as IAM takes it: compact JSON text. */
static int policy_param(json_t *params, const char *key, const json_t *doc,
			const char *role, const char *policy)
{
	char what[300], *text = NULL;
	int err;

	snprintf(what, sizeof(what), "role '%s': %s%s%s", role,
		 policy ? "inline policy '" : "assume_role_policy",
		 policy ? policy : "", policy ? "'" : "");
	err = ms_iam_policy_text(&text, doc, what);
	if (!err)
		json_object_set_new(params, key, json_string(text));
	free(text);
	return err;
}

static bool listed(const json_t *list, json_t *s)
{
	size_t i;
	json_t *item;

	json_array_foreach(list, i, item)
		if (json_equal(item, s))
			return true;
	return false;
}

/* Attach or detach a managed policy; detaching one gone is done. */
static int attach(struct ms_call *call, const char *role, json_t *arn, bool on)
{
	struct ms_aws_error error = MS_AWS_ERROR_INIT;
	json_t *p = named(role);
	int err;

	json_object_set(p, "PolicyArn", arn);
	err = role_call(NULL, &error, call,
			on ? "AttachRolePolicy" : "DetachRolePolicy", p);
	if (err && !on && ms_iam_not_found(&error)) {
		ms_error_clear();
		err = 0;
	}
	ms_aws_error_release(&error);
	return err;
}

/* Put an inline policy, or delete it (doc NULL; one gone is done). */
static int put_inline(struct ms_call *call, const char *role,
		      const char *policy, const json_t *doc)
{
	struct ms_aws_error error = MS_AWS_ERROR_INIT;
	json_t *p = named(role);
	int err = 0;

	json_object_set_new(p, "PolicyName", json_string(policy));
	if (doc)
		err = policy_param(p, "PolicyDocument", doc, role, policy);
	if (!err)
		err = role_call(NULL, &error, call,
				doc ? "PutRolePolicy" : "DeleteRolePolicy",
				json_incref(p));
	if (err && !doc && ms_iam_not_found(&error)) {
		ms_error_clear();
		err = 0;
	}
	json_decref(p);
	ms_aws_error_release(&error);
	return err;
}

/*
 * Bring the role from have to want (canonical attributes): trust policy,
 * description and session length, managed and inline policies, tags.
 * Additions come before removals, so the role never holds fewer
 * permissions than both ends.
 */
static int apply_changes(struct ms_call *call, const json_t *have,
			 const json_t *want)
{
	const char *role = ms_kit_name(call, want), *key;
	json_t *body = NULL, *changed = NULL, *p, *v;
	json_t *hm = json_object_get(have, "managed_policy_arns");
	json_t *wm = json_object_get(want, "managed_policy_arns");
	json_t *hi = json_object_get(have, "inline_policies");
	json_t *wi = json_object_get(want, "inline_policies");
	size_t i;
	int err;

	err = ms_kit_update_request(&body, &changed, call->type, have, want);
	if (!err && json_object_get(body, "AssumeRolePolicyDocument")) {
		p = named(role);
		err = policy_param(p, "PolicyDocument",
				   json_object_get(want, "assume_role_policy"),
				   role, NULL);
		if (!err)
			err = role_call(NULL, NULL, call,
					"UpdateAssumeRolePolicy", p);
		else
			json_decref(p);
	}
	json_object_del(body, "AssumeRolePolicyDocument");
	if (!err && json_object_size(body) > 1) {
		/* both, or UpdateRole would clear the one left out */
		p = json_pack("{s:s, s:O?, s:O?}", "RoleName", role,
			      "Description",
			      json_object_get(want, "description"),
			      "MaxSessionDuration",
			      json_object_get(want, "max_session_duration"));
		err = role_call(NULL, NULL, call, "UpdateRole", p);
	}
	json_array_foreach(wm, i, v)
		if (!err && !listed(hm, v))
			err = attach(call, role, v, true);
	json_object_foreach(wi, key, v)
		if (!err && !json_equal(json_object_get(hi, key), v))
			err = put_inline(call, role, key, v);
	json_array_foreach(hm, i, v)
		if (!err && !listed(wm, v))
			err = attach(call, role, v, false);
	json_object_foreach(hi, key, v)
		if (!err && !json_object_get(wi, key))
			err = put_inline(call, role, key, NULL);
	if (!err)
		err = ms_iam_tags_update(call->aws, "Role", "RoleName", role,
					 json_object_get(have, "tags"),
					 json_object_get(want, "tags"));
	json_decref(body);
	json_decref(changed);
	return err;
}

/* What create and update asked IAM to hold, with the role's ids. */
static json_t *result(struct ms_call *call, const json_t *want,
		      const json_t *ids)
{
	json_t *o = ms_kit_attrs_from(call->type, want);

	json_object_set_new(o, "arn",
			    json_string(ms_kit_str(
				    ids, "arn", ms_kit_str(ids, "Arn", ""))));
	json_object_set_new(
		o, "unique_id",
		json_string(ms_kit_str(ids, "unique_id",
				       ms_kit_str(ids, "RoleId", ""))));
	return o;
}

/*
 * A name taken is adopted only when the role carries this resource's
 * owner mark (CreateRole sets the tags with the role): an earlier create
 * that reached IAM but whose answer was lost. Anyone else's role is
 * refused, whatever its trust policy says.
 */
static int role_create(struct ms_call *call, const json_t *desired,
		       json_t **out)
{
	struct ms_aws_error error = MS_AWS_ERROR_INIT;
	const char *name = ms_kit_str(desired, "name", "");
	json_t *body = NULL, *answer = NULL, *have = NULL;
	char what[300];
	int err;

	*out = NULL;
	err = ms_kit_request(&body, call->type->schema, desired,
			     ms_kit_tags_list);
	if (!err)
		err = policy_param(body, "AssumeRolePolicyDocument",
				   json_object_get(desired,
						   "assume_role_policy"),
				   name, NULL);
	if (!err)
		err = ms_iam_call(&answer, &error, call->aws, "CreateRole",
				  body);
	if (err && ms_aws_error_is(&error, "EntityAlreadyExists", NULL)) {
		ms_error_clear();
		err = read_role(&have, call, name);
		if (!err && !have)
			err = ms_error("role '%s': IAM says it exists, but it "
				       "cannot be read",
				       name);
		snprintf(what, sizeof(what), "role '%s'", name);
		if (!err && !ms_call_owns(call, json_object_get(have, "tags")))
			err = ms_call_taken(call, what, name);
		if (!err)
			ms_log(MS_LOG_INFO, "iam",
			       "role '%s' carries our "
			       "owner mark: adopting it",
			       name);
	} else if (!err) {
		/* a new role holds what CreateRole took, and no policies */
		have = json_deep_copy(desired);
		json_object_set_new(have, "managed_policy_arns", json_array());
		json_object_set_new(have, "inline_policies", json_object());
	}
	if (!err)
		err = apply_changes(call, have, desired);
	if (!err)
		*out = result(call, desired,
			      answer ? json_object_get(answer, "Role") : have);
	ms_aws_error_release(&error);
	json_decref(body);
	json_decref(answer);
	json_decref(have);
	return err;
}

static int role_update(struct ms_call *call, const json_t *prior,
		       const json_t *desired, json_t **out)
{
	int err = apply_changes(call, prior, desired);

	*out = err ? NULL : result(call, desired, prior);
	return err;
}

/*
 * IAM refuses to delete a role that still has policies, so detach and
 * delete those first, as they are now (not as the state remembers them).
 */
static int role_delete(struct ms_call *call, const json_t *prior)
{
	struct ms_aws_error error = MS_AWS_ERROR_INIT;
	const char *name = ms_kit_name(call, prior), *key;
	json_t *managed = NULL, *names = NULL, *v;
	size_t i;
	int err;

	if (!name)
		return ms_error("aws_iam_role: no name in the prior state");
	err = list_policies(&managed, &names, &error, call, name);
	json_array_foreach(managed, i, v)
		if (!err)
			err = attach(call, name, v, false);
	json_array_foreach(names, i, v)
		if (!err && (key = json_string_value(v)))
			err = put_inline(call, name, key, NULL);
	if (!err)
		err = role_call(NULL, &error, call, "DeleteRole", named(name));
	if (err && ms_aws_error_is(&error, "DeleteConflict", NULL))
		err = ms_error("role '%s' is still in use (an instance profile "
			       "or a policy attached outside this stack): %s",
			       name, ms_error_last());
	if (err && ms_iam_not_found(&error)) {
		ms_error_clear();
		err = 0;
	}
	ms_aws_error_release(&error);
	json_decref(managed);
	json_decref(names);
	return err;
}

/* "/" or "/a/b/": printable ASCII without spaces, at most 512. */
static bool iam_path_ok(const char *p)
{
	size_t i, n = strlen(p);

	if (!n || n > 512 || p[0] != '/' || p[n - 1] != '/')
		return false;
	for (i = 0; i < n; i++)
		if (p[i] < 0x21 || p[i] > 0x7e)
			return false;
	return true;
}

/*
 * Canonical form: trust and inline policies as key-sorted objects (JSON
 * strings parsed), managed policy ARNs sorted and unique, tag values
 * strings. Values still unknown at plan time pass through untouched.
 */
static int role_normalize(json_t *attrs)
{
	const char *name = ms_kit_str(attrs, "name", "?"), *key;
	const char *path = ms_kit_str(attrs, "path", NULL);
	const char *desc = ms_kit_str(attrs, "description", NULL);
	json_t *v, *canon = NULL, *doc;
	char what[300];
	int err;

	/* IAM's rules: refused here, not half-way through an apply */
	err = ms_kit_check_number(attrs, "max_session_duration",
				  "max_session_duration", 3600, 43200, true);
	if (err)
		return err;
	if (desc && strlen(desc) > 1000)
		return ms_error("description: %zu characters; IAM takes up "
				"to 1000",
				strlen(desc));
	if (path && !iam_path_ok(path))
		return ms_error("path \"%s\": \"/\" or \"/some/path/\" (up "
				"to 512 characters, no spaces)",
				path);

	v = json_object_get(attrs, "assume_role_policy");
	if (json_is_string(v) || json_is_object(v)) {
		snprintf(what, sizeof(what), "role '%s': assume_role_policy",
			 name);
		err = ms_iam_policy_canonical(&canon, v, what);
		if (err)
			return err;
		json_object_set_new(attrs, "assume_role_policy", canon);
	}
	v = json_object_get(attrs, "inline_policies");
	if (json_is_string(v)) {
		snprintf(what, sizeof(what), "role '%s': inline_policies",
			 name);
		err = ms_iam_policy_canonical(&canon, v, what);
		if (err)
			return err;
		json_object_set_new(attrs, "inline_policies", canon);
		v = canon;
	}
	json_object_foreach(json_is_object(v) ? v : NULL, key, doc) {
		if (!json_is_string(doc) && !json_is_object(doc))
			continue;
		snprintf(what, sizeof(what), "role '%s': inline policy '%s'",
			 name, key);
		err = ms_iam_policy_canonical(&canon, doc, what);
		if (err)
			return err;
		json_object_set_new(v, key, canon);
	}
	ms_kit_sorted_set(json_object_get(attrs, "managed_policy_arns"));
	ms_kit_strings(json_object_get(attrs, "tags"));
	return 0;
}

/* Terraform: policies as JSON text, inline ones as inline_policy blocks */
static const struct ms_tf_attr tf_attrs[] = {
	{ "assume_role_policy", NULL, MS_TF_JSON },
	{ "inline_policies", "inline_policy", MS_TF_NAMED, "policy" },
	{ NULL },
};

static const struct ms_tf_type tf = { .attrs = tf_attrs };

const struct ms_resource_type ms_aws_iam_role = {
	.name = "aws_iam_role",
	.schema = schema,
	.id_attr = "name",
	.name_min = 1,
	.name_max = 64,
	.name_chars = "a-zA-Z0-9+=,.@_-",
	.read = role_read,
	.read_many = role_read_many,
	.create = role_create,
	.update = role_update,
	.delete = role_delete,
	.normalize = role_normalize,
	.terraform = &tf,
	.cost = ms_cost_free,
};
