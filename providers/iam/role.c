/*
 * role.c - aws_iam_role: an IAM role, its trust policy, attached managed
 * policies, inline policies and tags, over the Query protocol.
 *
 * create and update return the attributes they asked IAM to hold rather
 * than reading them back: IAM is eventually consistent, and a read right
 * after a write can show the old value and a false diff. The next refresh
 * reads the truth. Policy documents are held in canonical form (iam.h).
 */
#include "util/common.h"
#include "providers/provider.h"
#include "providers/aws/aws.h"
#include "providers/iam/iam.h"

static const struct ms_attr schema[] = {
	{ "name", MS_ATTR_STRING, MS_ATTR_REQUIRED | MS_ATTR_FORCE_NEW, NULL,
	  NULL, "the role's name" },
	{ "assume_role_policy", MS_ATTR_JSON, MS_ATTR_REQUIRED, NULL, NULL,
	  "the trust policy (a YAML/JSON object or a JSON string)" },
	{ "path", MS_ATTR_STRING, MS_ATTR_FORCE_NEW, "\"/\"", NULL,
	  "the path" },
	{ "description", MS_ATTR_STRING, 0, "\"\"", NULL, "a description" },
	{ "max_session_duration", MS_ATTR_NUMBER, 0, "3600", NULL,
	  "maximum session length in seconds (3600 to 43200)" },
	{ "managed_policy_arns", MS_ATTR_LIST, 0, "[]", NULL,
	  "ARNs of managed policies attached to the role" },
	{ "inline_policies", MS_ATTR_JSON, 0, "{}", NULL,
	  "inline policies: name -> policy document" },
	{ "tags", MS_ATTR_MAP, MS_ATTR_TAGS, "{}", NULL,
	  "tags (with the stack's default tags and its owner mark)" },
	{ "arn", MS_ATTR_STRING, MS_ATTR_COMPUTED, NULL, NULL, "the ARN" },
	{ "id", MS_ATTR_STRING, MS_ATTR_COMPUTED, NULL, NULL, "the role name" },
	{ "unique_id", MS_ATTR_STRING, MS_ATTR_COMPUTED, NULL, NULL,
	  "the stable role id (AROA...)" },
	{ NULL, 0, 0, NULL, NULL, NULL },
};

/* A role's settings, defaults filled in and policies canonical. */
struct role {
	const char *name; /* borrowed from the attributes */
	const char *path;
	const char *description;
	long long max_session;
	json_t *trust;           /* canonical object */
	json_t *managed;         /* sorted, unique ARNs */
	json_t *inline_policies; /* name -> canonical object */
	json_t *tags;            /* key -> string */
};

static const char *attr_str(const json_t *attrs, const char *key,
			    const char *dflt)
{
	const char *s = json_string_value(json_object_get(attrs, key));

	return s ? s : dflt;
}

static void role_release(struct role *r)
{
	json_decref(r->trust);
	json_decref(r->managed);
	json_decref(r->inline_policies);
	json_decref(r->tags);
	memset(r, 0, sizeof(*r));
}

/* Fill r from attributes (desired, prior or live); r borrows strings. */
static int role_init(struct role *r, const json_t *attrs)
{
	const json_t *v;
	const char *key;
	json_t *doc, *canon = NULL;
	char what[256];
	int err = 0;

	memset(r, 0, sizeof(*r));
	r->name = attr_str(attrs, "name", attr_str(attrs, "id", NULL));
	if (!r->name)
		return ms_error("aws_iam_role: no name");
	r->path = attr_str(attrs, "path", "/");
	r->description = attr_str(attrs, "description", "");
	v = json_object_get(attrs, "max_session_duration");
	r->max_session = json_is_number(v) ? (long long)json_number_value(v) :
					     3600;

	v = json_object_get(attrs, "assume_role_policy");
	if (!v) {
		err = ms_error("role '%s': no assume_role_policy", r->name);
		goto done;
	}
	snprintf(what, sizeof(what), "role '%s': assume_role_policy", r->name);
	err = ms_iam_policy_canonical(&r->trust, v, what);
	if (err)
		goto done;

	v = json_object_get(attrs, "managed_policy_arns");
	r->managed = json_is_array(v) ? json_deep_copy(v) : json_array();
	ms_iam_strings_normalize(r->managed);

	v = json_object_get(attrs, "inline_policies");
	if (!v || json_is_null(v)) {
		r->inline_policies = json_object();
	} else {
		snprintf(what, sizeof(what), "role '%s': inline_policies",
			 r->name);
		err = ms_iam_policy_canonical(&r->inline_policies, v, what);
		if (err)
			goto done;
		json_object_foreach(r->inline_policies, key, doc) {
			snprintf(what, sizeof(what),
				 "role '%s': inline policy '%s'", r->name, key);
			err = ms_iam_policy_canonical(&canon, doc, what);
			if (err)
				goto done;
			json_object_set_new(r->inline_policies, key, canon);
		}
	}

	v = json_object_get(attrs, "tags");
	r->tags = json_is_object(v) ? json_deep_copy(v) : json_object();
	ms_iam_tags_normalize(r->tags);
done:
	if (err)
		role_release(r);
	return err;
}

/* The attributes of r, with its computed ARN and unique id. */
static json_t *role_attrs(const struct role *r, const char *arn,
			  const char *unique_id)
{
	json_t *o = json_object();

	json_object_set_new(o, "name", json_string(r->name));
	json_object_set_new(o, "id", json_string(r->name));
	json_object_set_new(o, "arn", json_string(arn ? arn : ""));
	json_object_set_new(o, "unique_id",
			    json_string(unique_id ? unique_id : ""));
	json_object_set(o, "assume_role_policy", r->trust);
	json_object_set_new(o, "path", json_string(r->path));
	json_object_set_new(o, "description", json_string(r->description));
	json_object_set_new(o, "max_session_duration",
			    json_integer(r->max_session));
	json_object_set(o, "managed_policy_arns", r->managed);
	json_object_set(o, "inline_policies", r->inline_policies);
	json_object_set(o, "tags", r->tags);
	return o;
}

static json_t *role_params(const char *name)
{
	json_t *p = json_object();

	json_object_set_new(p, "RoleName", json_string(name));
	return p;
}

static bool list_has(const json_t *list, const char *s)
{
	size_t i;
	json_t *item;

	json_array_foreach(list, i, item)
		if (json_is_string(item) && !strcmp(json_string_value(item), s))
			return true;
	return false;
}

/*
 * Every member of a paged list answer (Marker / IsTruncated), handed to
 * each. NoSuchEntity passes up as the failure it is.
 */
static int list_pages(struct ms_call *call, const char *action,
		      const char *role, const char *list,
		      int (*each)(xmlNode *member, void *payload),
		      void *payload)
{
	char result_path[128], list_path[192];
	json_t *params = NULL;
	xmlDoc *doc = NULL;
	xmlNode *result, *member;
	char *marker = NULL, *truncated = NULL;
	int err = 0;

	snprintf(result_path, sizeof(result_path), "%sResult", action);
	snprintf(list_path, sizeof(list_path), "%s/member", list);
	do {
		json_decref(params);
		params = role_params(role);
		if (marker)
			json_object_set_new(params, "Marker",
					    json_string(marker));
		free(marker);
		marker = NULL;
		if (doc)
			xmlFreeDoc(doc);
		err = ms_iam_query(&doc, call->aws, action, params);
		if (err)
			goto done;
		result = ms_xml_find(xmlDocGetRootElement(doc), result_path);
		if (!result) {
			err = ms_error("%s: no %s in the answer", action,
				       result_path);
			goto done;
		}
		for (member = ms_xml_find(result, list_path); member;
		     member = ms_xml_next(member, "member")) {
			err = each(member, payload);
			if (err)
				goto done;
		}
		free(truncated);
		truncated = ms_xml_text(result, "IsTruncated");
		if (truncated && !strcmp(truncated, "true"))
			marker = ms_xml_text(result, "Marker");
	} while (marker && *marker);
done:
	free(marker);
	free(truncated);
	if (doc)
		xmlFreeDoc(doc);
	json_decref(params);
	return err;
}

static int each_tag(xmlNode *member, void *payload)
{
	char *key = ms_xml_text(member, "Key");
	char *value = ms_xml_text(member, "Value");

	if (key)
		json_object_set_new(payload, key,
				    json_string(value ? value : ""));
	free(key);
	free(value);
	return 0;
}

static int each_policy_arn(xmlNode *member, void *payload)
{
	char *arn = ms_xml_text(member, "PolicyArn");

	if (arn)
		json_array_append_new(payload, json_string(arn));
	free(arn);
	return 0;
}

static int each_name(xmlNode *member, void *payload)
{
	xmlChar *text = xmlNodeGetContent(member);

	if (text && *text)
		json_array_append_new(payload, json_string((char *)text));
	xmlFree(text);
	return 0;
}

/* The attached managed policy ARNs (sorted) and inline policy names. */
static int list_policies(json_t **out_managed, json_t **out_inline,
			 struct ms_call *call, const char *name)
{
	json_t *managed = json_array(), *names = json_array();
	int err;

	*out_managed = *out_inline = NULL;
	err = list_pages(call, "ListAttachedRolePolicies", name,
			 "AttachedPolicies", each_policy_arn, managed);
	if (!err)
		err = list_pages(call, "ListRolePolicies", name, "PolicyNames",
				 each_name, names);
	if (err) {
		json_decref(managed);
		json_decref(names);
		return err;
	}
	ms_iam_strings_normalize(managed);
	*out_managed = managed;
	*out_inline = names;
	return 0;
}

/* One inline policy's document, canonical. */
static int get_inline(json_t **out, struct ms_call *call, const char *role,
		      const char *policy)
{
	json_t *params = role_params(role);
	xmlDoc *doc = NULL;
	char *text = NULL;
	char what[256];
	int err;

	*out = NULL;
	json_object_set_new(params, "PolicyName", json_string(policy));
	err = ms_iam_query(&doc, call->aws, "GetRolePolicy", params);
	if (err)
		goto done;
	text = ms_xml_text(xmlDocGetRootElement(doc),
			   "GetRolePolicyResult/PolicyDocument");
	if (!text) {
		err = ms_error("GetRolePolicy: no PolicyDocument in the "
			       "answer");
		goto done;
	}
	snprintf(what, sizeof(what), "role '%s': inline policy '%s'", role,
		 policy);
	err = ms_iam_policy_decode(out, text, what);
done:
	free(text);
	if (doc)
		xmlFreeDoc(doc);
	json_decref(params);
	return err;
}

/*
 * The live attributes of role name, or *out = NULL when it does not exist
 * (also when it vanishes half-way through the reads).
 */
static int read_role(json_t **out, struct ms_call *call, const char *name)
{
	json_t *params = role_params(name), *attrs = NULL, *trust = NULL;
	json_t *tags = json_object(), *managed = NULL, *names = NULL;
	json_t *inl = json_object(), *doc_json = NULL, *item;
	xmlDoc *doc = NULL;
	xmlNode *role;
	char *arn = NULL, *role_id = NULL, *path = NULL, *desc = NULL;
	char *max = NULL, *policy = NULL;
	const char *action = "GetRole";
	char what[256];
	long max_session = 3600;
	size_t i;
	int err;

	*out = NULL;
	err = ms_iam_query(&doc, call->aws, action, params);
	if (err)
		goto done;
	role = ms_xml_find(xmlDocGetRootElement(doc), "GetRoleResult/Role");
	if (!role) {
		err = ms_error("GetRole: no Role in the answer");
		goto done;
	}
	arn = ms_xml_text(role, "Arn");
	role_id = ms_xml_text(role, "RoleId");
	path = ms_xml_text(role, "Path");
	desc = ms_xml_text(role, "Description");
	max = ms_xml_text(role, "MaxSessionDuration");
	policy = ms_xml_text(role, "AssumeRolePolicyDocument");
	if (max && ms_parse_uint(max, &max_session) < 0)
		max_session = 3600;
	if (!policy) {
		err = ms_error("role '%s': GetRole gave no trust policy", name);
		goto done;
	}
	snprintf(what, sizeof(what), "role '%s': assume_role_policy", name);
	err = ms_iam_policy_decode(&trust, policy, what);
	if (err)
		goto done;

	action = "ListRoleTags";
	err = list_pages(call, action, name, "Tags", each_tag, tags);
	if (err)
		goto done;
	action = "ListAttachedRolePolicies";
	err = list_policies(&managed, &names, call, name);
	if (err)
		goto done;
	action = "GetRolePolicy";
	json_array_foreach(names, i, item) {
		err = get_inline(&doc_json, call, name,
				 json_string_value(item));
		if (err && ms_iam_failed_with(action, "NoSuchEntity")) {
			/* deleted since it was listed */
			ms_error_clear();
			err = 0;
			continue;
		}
		if (err)
			goto done;
		json_object_set_new(inl, json_string_value(item), doc_json);
	}

	attrs = json_object();
	json_object_set_new(attrs, "name", json_string(name));
	json_object_set_new(attrs, "id", json_string(name));
	json_object_set_new(attrs, "arn", json_string(arn ? arn : ""));
	json_object_set_new(attrs, "unique_id",
			    json_string(role_id ? role_id : ""));
	json_object_set(attrs, "assume_role_policy", trust);
	json_object_set_new(attrs, "path", json_string(path ? path : "/"));
	json_object_set_new(attrs, "description",
			    json_string(desc ? desc : ""));
	json_object_set_new(attrs, "max_session_duration",
			    json_integer(max_session));
	json_object_set(attrs, "managed_policy_arns", managed);
	json_object_set(attrs, "inline_policies", inl);
	json_object_set(attrs, "tags", tags);
	*out = attrs;
done:
	if (err && (err == MS_ENOTFOUND ||
		    ms_iam_failed_with(action, "NoSuchEntity") ||
		    ms_iam_failed_with("ListRolePolicies", "NoSuchEntity"))) {
		ms_error_clear();
		err = 0;
	}
	free(arn);
	free(role_id);
	free(path);
	free(desc);
	free(max);
	free(policy);
	if (doc)
		xmlFreeDoc(doc);
	json_decref(params);
	json_decref(trust);
	json_decref(tags);
	json_decref(managed);
	json_decref(names);
	json_decref(inl);
	return err;
}

static int call_simple(struct ms_call *call, const char *action, json_t *params)
{
	int err = ms_iam_query(NULL, call->aws, action, params);

	json_decref(params);
	return err;
}

static int put_inline(struct ms_call *call, const char *role,
		      const char *policy, const json_t *doc)
{
	json_t *params;
	char *text = NULL;
	char what[256];
	int err;

	snprintf(what, sizeof(what), "role '%s': inline policy '%s'", role,
		 policy);
	err = ms_iam_policy_text(&text, doc, what);
	if (err)
		return err;
	params = role_params(role);
	json_object_set_new(params, "PolicyName", json_string(policy));
	json_object_set_new(params, "PolicyDocument", json_string(text));
	free(text);
	return call_simple(call, "PutRolePolicy", params);
}

static int policy_arn_call(struct ms_call *call, const char *action,
			   const char *role, const char *arn)
{
	json_t *params = role_params(role);

	json_object_set_new(params, "PolicyArn", json_string(arn));
	return call_simple(call, action, params);
}

static int delete_inline(struct ms_call *call, const char *role,
			 const char *policy)
{
	json_t *params = role_params(role);

	json_object_set_new(params, "PolicyName", json_string(policy));
	return call_simple(call, "DeleteRolePolicy", params);
}

/*
 * Bring the role from have to want: trust policy, description and session
 * length, managed and inline policies, tags. Additions come before
 * removals, so the role never holds fewer permissions than both ends.
 */
static int apply_changes(struct ms_call *call, const struct role *have,
			 const struct role *want)
{
	const char *name = want->name, *key;
	json_t *params = NULL, *value, *removed = NULL, *changed = NULL;
	char *text = NULL;
	char what[256];
	size_t i;
	int err = 0;

	if (!json_equal(have->trust, want->trust)) {
		snprintf(what, sizeof(what), "role '%s': assume_role_policy",
			 name);
		err = ms_iam_policy_text(&text, want->trust, what);
		if (err)
			goto done;
		params = role_params(name);
		json_object_set_new(params, "PolicyDocument",
				    json_string(text));
		err = call_simple(call, "UpdateAssumeRolePolicy", params);
		params = NULL;
		if (err)
			goto done;
	}
	if (strcmp(have->description, want->description) ||
	    have->max_session != want->max_session) {
		params = role_params(name);
		json_object_set_new(params, "Description",
				    json_string(want->description));
		json_object_set_new(params, "MaxSessionDuration",
				    json_sprintf("%lld", want->max_session));
		err = call_simple(call, "UpdateRole", params);
		params = NULL;
		if (err)
			goto done;
	}

	json_array_foreach(want->managed, i, value) {
		if (list_has(have->managed, json_string_value(value)))
			continue;
		err = policy_arn_call(call, "AttachRolePolicy", name,
				      json_string_value(value));
		if (err)
			goto done;
	}
	json_object_foreach(want->inline_policies, key, value) {
		if (json_equal(json_object_get(have->inline_policies, key),
			       value))
			continue;
		err = put_inline(call, name, key, value);
		if (err)
			goto done;
	}
	json_array_foreach(have->managed, i, value) {
		if (list_has(want->managed, json_string_value(value)))
			continue;
		err = policy_arn_call(call, "DetachRolePolicy", name,
				      json_string_value(value));
		if (err &&
		    ms_iam_failed_with("DetachRolePolicy", "NoSuchEntity"))
			err = 0;
		if (err)
			goto done;
	}
	json_object_foreach(have->inline_policies, key, value) {
		if (json_object_get(want->inline_policies, key))
			continue;
		err = delete_inline(call, name, key);
		if (err &&
		    ms_iam_failed_with("DeleteRolePolicy", "NoSuchEntity"))
			err = 0;
		if (err)
			goto done;
	}

	changed = json_object();
	removed = json_array();
	json_object_foreach(want->tags, key, value)
		if (!json_equal(json_object_get(have->tags, key), value))
			json_object_set(changed, key, value);
	json_object_foreach(have->tags, key, value)
		if (!json_object_get(want->tags, key))
			json_array_append_new(removed, json_string(key));
	if (json_object_size(changed)) {
		params = role_params(name);
		ms_aws_query_tags(params, "Tags", changed);
		err = call_simple(call, "TagRole", params);
		params = NULL;
		if (err)
			goto done;
	}
	if (json_array_size(removed)) {
		params = role_params(name);
		ms_aws_query_list(params, "TagKeys", removed);
		err = call_simple(call, "UntagRole", params);
		params = NULL;
		if (err)
			goto done;
	}
done:
	free(text);
	json_decref(params);
	json_decref(changed);
	json_decref(removed);
	return err;
}

static int role_read(struct ms_call *call, const json_t *prior, json_t **out)
{
	const char *name = attr_str(prior, "id", attr_str(prior, "name", NULL));

	*out = NULL;
	if (!name)
		return ms_error("aws_iam_role: no name in the prior state");
	return read_role(out, call, name);
}

/*
 * The role exists already. It is ours when it carries this resource's
 * owner mark (CreateRole sets the tags with the role): an earlier create
 * that reached IAM but whose answer was lost. Adopt it and bring the rest
 * in line; refuse anyone else's role, whatever its trust policy says.
 */
static int adopt(json_t **out, struct ms_call *call, const struct role *want)
{
	json_t *live = NULL;
	struct role have = { 0 };
	char what[300];
	int err;

	*out = NULL;
	err = read_role(&live, call, want->name);
	if (err)
		goto done;
	if (!live) {
		err = ms_error("role '%s': IAM says it exists, but it cannot "
			       "be read",
			       want->name);
		goto done;
	}
	err = role_init(&have, live);
	if (err)
		goto done;
	if (!ms_call_owns(call, json_object_get(live, "tags"))) {
		snprintf(what, sizeof(what), "role '%s'", want->name);
		err = ms_call_taken(call, what, want->name);
		goto done;
	}
	ms_log(MS_LOG_INFO, "iam",
	       "role '%s' carries our owner mark: "
	       "adopting it",
	       want->name);
	err = apply_changes(call, &have, want);
	if (err)
		goto done;
	*out = role_attrs(want, attr_str(live, "arn", NULL),
			  attr_str(live, "unique_id", NULL));
	json_object_set_new(*out, "path", json_string(have.path));
done:
	role_release(&have);
	json_decref(live);
	return err;
}

static int role_create(struct ms_call *call, const json_t *desired,
		       json_t **out)
{
	struct role want = { 0 }, have;
	json_t *params = NULL;
	xmlDoc *doc = NULL;
	xmlNode *role;
	char *text = NULL, *arn = NULL, *role_id = NULL;
	char what[256];
	int err;

	*out = NULL;
	err = role_init(&want, desired);
	if (err)
		goto done;
	snprintf(what, sizeof(what), "role '%s': assume_role_policy",
		 want.name);
	err = ms_iam_policy_text(&text, want.trust, what);
	if (err)
		goto done;

	params = role_params(want.name);
	json_object_set_new(params, "AssumeRolePolicyDocument",
			    json_string(text));
	json_object_set_new(params, "Path", json_string(want.path));
	if (*want.description)
		json_object_set_new(params, "Description",
				    json_string(want.description));
	json_object_set_new(params, "MaxSessionDuration",
			    json_sprintf("%lld", want.max_session));
	if (json_object_size(want.tags))
		ms_aws_query_tags(params, "Tags", want.tags);
	err = ms_iam_query(&doc, call->aws, "CreateRole", params);
	if (err == MS_EEXISTS ||
	    (err && ms_iam_failed_with("CreateRole", "EntityAlreadyExists"))) {
		ms_error_clear();
		err = adopt(out, call, &want);
		goto done;
	}
	if (err)
		goto done;
	role = ms_xml_find(xmlDocGetRootElement(doc), "CreateRoleResult/Role");
	arn = role ? ms_xml_text(role, "Arn") : NULL;
	role_id = role ? ms_xml_text(role, "RoleId") : NULL;
	if (!arn) {
		err = ms_error("CreateRole: no Role/Arn in the answer");
		goto done;
	}

	/* A new role has the settings CreateRole took, and no policies. */
	have = want;
	have.managed = json_array();
	have.inline_policies = json_object();
	err = apply_changes(call, &have, &want);
	json_decref(have.managed);
	json_decref(have.inline_policies);
	if (err)
		goto done;
	*out = role_attrs(&want, arn, role_id);
done:
	free(text);
	free(arn);
	free(role_id);
	if (doc)
		xmlFreeDoc(doc);
	json_decref(params);
	role_release(&want);
	return err;
}

static int role_update(struct ms_call *call, const json_t *prior,
		       const json_t *desired, json_t **out)
{
	struct role have = { 0 }, want = { 0 };
	int err;

	*out = NULL;
	err = role_init(&have, prior);
	if (!err)
		err = role_init(&want, desired);
	if (err)
		goto done;
	err = apply_changes(call, &have, &want);
	if (err)
		goto done;
	*out = role_attrs(&want, attr_str(prior, "arn", NULL),
			  attr_str(prior, "unique_id", NULL));
done:
	role_release(&have);
	role_release(&want);
	return err;
}

/*
 * IAM refuses to delete a role that still has policies, so detach and
 * delete those first, as they are now (not as the state remembers them).
 */
static int role_delete(struct ms_call *call, const json_t *prior)
{
	const char *name = attr_str(prior, "id", attr_str(prior, "name", NULL));
	json_t *managed = NULL, *names = NULL, *item;
	size_t i;
	int err;

	if (!name)
		return ms_error("aws_iam_role: no name in the prior state");
	err = list_policies(&managed, &names, call, name);
	if (err)
		goto done;
	json_array_foreach(managed, i, item) {
		err = policy_arn_call(call, "DetachRolePolicy", name,
				      json_string_value(item));
		if (err &&
		    !ms_iam_failed_with("DetachRolePolicy", "NoSuchEntity"))
			goto done;
	}
	json_array_foreach(names, i, item) {
		err = delete_inline(call, name, json_string_value(item));
		if (err &&
		    !ms_iam_failed_with("DeleteRolePolicy", "NoSuchEntity"))
			goto done;
	}
	err = call_simple(call, "DeleteRole", role_params(name));
	if (err && ms_iam_failed_with("DeleteRole", "DeleteConflict"))
		err = ms_error("role '%s' is still in use (an instance profile "
			       "or a policy attached outside this stack): %s",
			       name, ms_error_last());
done:
	if (err &&
	    (err == MS_ENOTFOUND ||
	     ms_iam_failed_with("ListAttachedRolePolicies", "NoSuchEntity") ||
	     ms_iam_failed_with("ListRolePolicies", "NoSuchEntity") ||
	     ms_iam_failed_with("DeleteRole", "NoSuchEntity"))) {
		ms_error_clear();
		err = 0;
	}
	json_decref(managed);
	json_decref(names);
	return err;
}

/*
 * Canonical form: trust and inline policies as key-sorted objects (JSON
 * strings parsed), managed policy ARNs sorted and unique, tag values
 * strings. Values still unknown at plan time pass through untouched.
 */
static int role_normalize(json_t *attrs)
{
	json_t *v, *canon = NULL, *doc;
	const char *key;
	char what[256];
	const char *name = attr_str(attrs, "name", "?");
	int err;

	v = json_object_get(attrs, "assume_role_policy");
	if (v && (json_is_string(v) || json_is_object(v))) {
		snprintf(what, sizeof(what), "role '%s': assume_role_policy",
			 name);
		err = ms_iam_policy_canonical(&canon, v, what);
		if (err)
			return err;
		json_object_set_new(attrs, "assume_role_policy", canon);
	}
	v = json_object_get(attrs, "inline_policies");
	if (v && json_is_string(v)) {
		snprintf(what, sizeof(what), "role '%s': inline_policies",
			 name);
		err = ms_iam_policy_canonical(&canon, v, what);
		if (err)
			return err;
		json_object_set_new(attrs, "inline_policies", canon);
		v = canon;
	}
	if (json_is_object(v)) {
		json_object_foreach(v, key, doc) {
			if (!json_is_string(doc) && !json_is_object(doc))
				continue;
			snprintf(what, sizeof(what),
				 "role '%s': inline policy '%s'", name, key);
			err = ms_iam_policy_canonical(&canon, doc, what);
			if (err)
				return err;
			json_object_set_new(v, key, canon);
		}
	}
	ms_iam_strings_normalize(json_object_get(attrs, "managed_policy_arns"));
	ms_iam_tags_normalize(json_object_get(attrs, "tags"));
	return 0;
}

const struct ms_resource_type ms_aws_iam_role = {
	.name = "aws_iam_role",
	.schema = schema,
	.id_attr = "name",
	.read = role_read,
	.create = role_create,
	.update = role_update,
	.delete = role_delete,
	.normalize = role_normalize,
};
