/*
 * policy.c - aws_iam_policy: a customer-managed IAM policy, its document
 * and tags. Roles attach it by ARN (managed_policy_arns).
 *
 * IAM keeps up to five versions of a policy's document; an update creates
 * a new default version, deleting the oldest version that is not the
 * default first when five exist. The name, path and description cannot
 * change in place. The object is named by its name (journaled before the
 * create); its id is its ARN.
 */
#include "util/common.h"
#include "providers/provider.h"
#include "providers/iam/iam.h"

#define MAX_VERSIONS 5

static const struct ms_attr schema[] = {
	{ "name", MS_ATTR_STRING, MS_ATTR_REQUIRED | MS_ATTR_FORCE_NEW, NULL,
	  NULL, "the policy's name", "PolicyName" },
	{ "path", MS_ATTR_STRING, MS_ATTR_FORCE_NEW, "\"/\"", NULL, "the path",
	  "Path" },
	{ "description", MS_ATTR_STRING, MS_ATTR_FORCE_NEW, "\"\"", NULL,
	  "a description (IAM cannot change it in place)", "Description" },
	{ "policy", MS_ATTR_JSON, MS_ATTR_REQUIRED | MS_ATTR_POLICY, NULL, NULL,
	  "the policy document (a YAML/JSON object or a JSON string)" },
	{ "tags", MS_ATTR_MAP, MS_ATTR_TAGS, "{}", NULL,
	  "tags (with the stack's default tags and its owner mark)", "Tags" },
	{ "arn", MS_ATTR_STRING, MS_ATTR_COMPUTED, NULL, NULL, "the ARN",
	  "|Arn" },
	{ "id", MS_ATTR_STRING, MS_ATTR_COMPUTED, NULL, NULL, "the ARN" },
	{ "policy_id", MS_ATTR_STRING, MS_ATTR_COMPUTED, NULL, NULL,
	  "the stable policy id (ANPA...)", "|PolicyId" },
	{ "default_version_id", MS_ATTR_STRING, MS_ATTR_COMPUTED, NULL, NULL,
	  "the version in force (v1, v2 ...)", "|DefaultVersionId" },
	{ "attachment_count", MS_ATTR_NUMBER, MS_ATTR_COMPUTED, NULL, NULL,
	  "the roles, users and groups it is attached to", "|AttachmentCount" },
	{ NULL },
};

/* One call about the policy; params is stolen. */
static int policy_call(json_t **out, struct ms_aws_error *error,
		       struct ms_call *call, const char *action, json_t *params)
{
	int err = ms_iam_call(out, error, call->aws, action, params);

	json_decref(params);
	return err;
}

/* Query answers hold booleans as text. */
static bool is_default(const json_t *version)
{
	json_t *v = json_object_get(version, "IsDefaultVersion");

	return json_is_true(v) ||
	       (json_is_string(v) && !strcmp(json_string_value(v), "true"));
}

static json_t *by_arn(const char *arn)
{
	return json_pack("{s:s}", "PolicyArn", arn);
}

/*
 * The policy's ARN: attrs' own, an id or a name that is one (an import),
 * else made from the account, the path and the name (a recovery, which
 * knows only the name). *out is the caller's.
 */
static int arn_of(char **out, struct ms_call *call, const json_t *attrs)
{
	const char *arn = ms_kit_str(attrs, "arn", NULL);
	const char *name = ms_kit_str(attrs, "name", "");
	const char *id = ms_kit_str(attrs, "id", "");
	char *account = NULL;
	int err;

	*out = NULL;
	if (!arn && !strncmp(id, "arn:", 4))
		arn = id;
	if (!arn && !strncmp(name, "arn:", 4))
		arn = name;
	if (arn) {
		*out = ms_strdup(arn);
		return 0;
	}
	err = ms_provider_account_id(call->aws, &account);
	if (!err)
		*out = ms_asprintf("arn:aws:iam::%s:policy%s%s", account,
				   ms_kit_str(attrs, "path", "/"), name);
	free(account);
	return err;
}

static int versions(json_t **out, struct ms_aws_error *error,
		    struct ms_call *call, const char *arn)
{
	json_t *p = by_arn(arn);
	int err = ms_iam_list(out, error, call->aws, "ListPolicyVersions", p,
			      "Versions");

	json_decref(p);
	return err;
}

/*
 * *out = the attributes of policy (GetPolicy's Policy, or the detail of
 * GetAccountAuthorizationDetails: the same fields) at arn, with document
 * (its default version's, as IAM encodes it) and tags (ListPolicyTags').
 */
static int policy_attrs(json_t **out, struct ms_call *call, const char *arn,
			const json_t *policy, const char *document,
			const json_t *tag_list)
{
	json_t *doc = NULL, *tags = NULL;
	char what[400];
	int err;

	*out = NULL;
	snprintf(what, sizeof(what), "policy '%s'", arn);
	err = ms_iam_policy_decode(&doc, document, what);
	if (!err) {
		tags = ms_kit_tags_map(tag_list);
		err = ms_kit_attrs(out, call->type, policy, tags);
	}
	if (!err) {
		json_object_set(*out, "policy", doc);
		json_object_set_new(*out, "id", json_string(arn));
	}
	json_decref(tags);
	json_decref(doc);
	return err;
}

static int list_tags(json_t **out, struct ms_aws_error *error,
		     struct ms_call *call, const char *arn)
{
	json_t *p = by_arn(arn);
	int err =
		ms_iam_list(out, error, call->aws, "ListPolicyTags", p, "Tags");

	json_decref(p);
	return err;
}

/* The live attributes of the policy at arn; NULL when it does not exist. */
static int read_policy(json_t **out, struct ms_call *call, const char *arn)
{
	struct ms_aws_error error = MS_AWS_ERROR_INIT;
	json_t *answer = NULL, *version = NULL, *list = NULL, *policy, *p;
	int err;

	*out = NULL;
	err = policy_call(&answer, &error, call, "GetPolicy", by_arn(arn));
	policy = json_object_get(answer, "Policy");
	if (!err && !json_is_object(policy))
		err = ms_error("GetPolicy: no Policy in the answer");
	if (!err) {
		p = by_arn(arn);
		json_object_set(p, "VersionId",
				json_object_get(policy, "DefaultVersionId"));
		err = policy_call(&version, &error, call, "GetPolicyVersion",
				  p);
	}
	if (!err)
		err = list_tags(&list, &error, call, arn);
	if (!err)
		err = policy_attrs(
			out, call, arn, policy,
			ms_kit_str(json_object_get(version, "PolicyVersion"),
				   "Document", ""),
			list);
	if (err && ms_iam_not_found(&error)) {
		ms_error_clear();
		err = 0;
	}
	ms_aws_error_release(&error);
	json_decref(answer);
	json_decref(version);
	json_decref(list);
	return err;
}

static int policy_read(struct ms_call *call, const json_t *prior, json_t **out)
{
	char *arn = NULL;
	int err = arn_of(&arn, call, prior);

	*out = NULL;
	if (!err)
		err = read_policy(out, call, arn);
	free(arn);
	return err;
}

/*
 * A refresh of many policies (policy_read_many): each listed policy's
 * name, ARN and detail, and what its read gives (NULL: left to its own).
 */
struct listed {
	const char *name;
	char *arn;
	const json_t *detail;
	json_t *live;
};

struct many {
	struct ms_call *call;
	struct listed *list;
};

/* The default version's document in a policy's detail, or NULL. */
static const char *default_document(const json_t *detail)
{
	json_t *versions = json_object_get(detail, "PolicyVersionList"), *v;
	const char *id = ms_kit_str(detail, "DefaultVersionId", "");
	size_t i;

	json_array_foreach(json_is_array(versions) ? versions : NULL, i, v)
		if (is_default(v) ||
		    !strcmp(ms_kit_str(v, "VersionId", ""), id))
			return ms_kit_str(v, "Document", NULL);
	return NULL;
}

/* A listed policy's tags, then its attributes. */
static int read_listed(size_t i, void *payload)
{
	struct many *m = payload;
	struct listed *l = &m->list[i];
	struct ms_aws_error error = MS_AWS_ERROR_INIT;
	json_t *tags = NULL;
	int err = list_tags(&tags, &error, m->call, l->arn);

	if (!err)
		err = policy_attrs(&l->live, m->call, l->arn, l->detail,
				   default_document(l->detail), tags);
	/* deleted since the list: its own read finds it gone */
	if (err && ms_iam_not_found(&error)) {
		ms_error_clear();
		err = 0;
	}
	ms_aws_error_release(&error);
	json_decref(tags);
	return err;
}

/*
 * GetAccountAuthorizationDetails (Filter=LocalManagedPolicy) holds what
 * GetPolicy and GetPolicyVersion give of each customer-managed policy,
 * a page of many; its tags are in no list, so each policy listed has
 * them read with ListPolicyTags, -parallelism at a time. A policy not
 * listed is left to its own read.
 */
static int policy_read_many(struct ms_call *call, const json_t *priors,
			    json_t **out)
{
	json_t *p = json_pack("{s:[s], s:i}", "Filter", "LocalManagedPolicy",
			      "MaxItems", ms_kit_page_size(1000));
	json_t *items = NULL, *byarn = json_object(), *item, *prior;
	struct many m = { call, NULL };
	const char *name;
	size_t i, n = 0;
	int err;

	*out = NULL;
	err = ms_iam_list_upto(&items, NULL, call->aws,
			       "GetAccountAuthorizationDetails", p, "Policies",
			       call->list_pages);
	json_decref(p);
	json_array_foreach(items, i, item)
		if (ms_kit_str(item, "Arn", NULL))
			json_object_set(byarn, ms_kit_str(item, "Arn", ""),
					item);
	m.list = ms_calloc(json_object_size(priors) + 1, sizeof(*m.list));
	json_object_foreach(err ? NULL : (json_t *)priors, name, prior) {
		char *arn = NULL;
		const json_t *detail;

		if ((err = arn_of(&arn, call, prior)))
			break;
		detail = json_object_get(byarn, arn);
		if (!detail || !default_document(detail)) {
			free(arn);
			continue;
		}
		m.list[n].name = name;
		m.list[n].arn = arn;
		m.list[n++].detail = detail;
	}
	if (!err)
		err = ms_kit_parallel(n, call->parallelism, read_listed, &m);
	if (!err) {
		*out = json_object();
		for (i = 0; i < n; i++)
			if (m.list[i].live)
				json_object_set(*out, m.list[i].name,
						m.list[i].live);
	}
	for (i = 0; i < n; i++) {
		free(m.list[i].arn);
		json_decref(m.list[i].live);
	}
	free(m.list);
	json_decref(byarn);
	json_decref(items);
	return err;
}

static int document(json_t *params, const json_t *attrs)
{
	char what[300], *text = NULL;
	int err;

	snprintf(what, sizeof(what), "policy '%s'",
		 ms_kit_str(attrs, "name", "?"));
	err = ms_iam_policy_text(&text, json_object_get(attrs, "policy"), what);
	if (!err)
		json_object_set_new(params, "PolicyDocument",
				    json_string(text));
	free(text);
	return err;
}

/*
 * A new default version holding desired's document, the oldest version
 * that is not the default deleted first when IAM's five are all taken.
 */
static int new_version(struct ms_call *call, const char *arn,
		       const json_t *desired)
{
	json_t *list = NULL, *v, *oldest = NULL, *p;
	size_t i;
	int err = versions(&list, NULL, call, arn);

	json_array_foreach(err ? NULL : list, i, v) {
		if (is_default(v))
			continue;
		if (!oldest || strcmp(ms_kit_str(v, "CreateDate", ""),
				      ms_kit_str(oldest, "CreateDate", "")) < 0)
			oldest = v;
	}
	if (!err && json_array_size(list) >= MAX_VERSIONS && oldest) {
		p = by_arn(arn);
		json_object_set(p, "VersionId",
				json_object_get(oldest, "VersionId"));
		err = policy_call(NULL, NULL, call, "DeletePolicyVersion", p);
	}
	if (!err) {
		p = by_arn(arn);
		json_object_set_new(p, "SetAsDefault", json_true());
		err = document(p, desired);
		if (!err)
			err = policy_call(NULL, NULL, call,
					  "CreatePolicyVersion", p);
		else
			json_decref(p);
	}
	json_decref(list);
	return err;
}

static int apply_changes(struct ms_call *call, const char *arn,
			 const json_t *have, const json_t *want, json_t **out)
{
	int err = 0;

	*out = NULL;
	if (!json_equal(json_object_get(have, "policy"),
			json_object_get(want, "policy")))
		err = new_version(call, arn, want);
	if (!err)
		err = ms_iam_tags_update(call->aws, "Policy", "PolicyArn", arn,
					 json_object_get(have, "tags"),
					 json_object_get(want, "tags"));
	if (!err)
		err = read_policy(out, call, arn);
	if (!err && !*out)
		err = ms_error("policy '%s' vanished while it was updated",
			       arn);
	return err;
}

/*
 * A name taken is adopted only when the policy carries this resource's
 * owner mark (CreatePolicy sets the tags with it).
 */
static int policy_create(struct ms_call *call, const json_t *desired,
			 json_t **out)
{
	struct ms_aws_error error = MS_AWS_ERROR_INIT;
	json_t *body = NULL, *answer = NULL, *have = NULL;
	char *arn = NULL, what[300];
	int err;

	*out = NULL;
	err = ms_kit_request(&body, call->type->schema, desired,
			     ms_kit_tags_list);
	if (!err)
		err = document(body, desired);
	if (!err)
		err = ms_iam_call(&answer, &error, call->aws, "CreatePolicy",
				  body);
	if (!err) {
		arn = ms_strdup(ms_kit_str(json_object_get(answer, "Policy"),
					   "Arn", ""));
		err = read_policy(out, call, arn);
		if (!err && !*out)
			err = ms_error("policy '%s': made, but it cannot be "
				       "read yet",
				       arn);
	} else if (ms_aws_error_is(&error, "EntityAlreadyExists", NULL)) {
		ms_error_clear();
		err = arn_of(&arn, call, desired);
		if (!err)
			err = read_policy(&have, call, arn);
		snprintf(what, sizeof(what), "policy '%s'",
			 ms_kit_str(desired, "name", ""));
		if (!err &&
		    (!have ||
		     !ms_call_owns(call, json_object_get(have, "tags"))))
			err = ms_call_taken(call, what, arn);
		if (!err)
			err = apply_changes(call, arn, have, desired, out);
	}
	ms_aws_error_release(&error);
	json_decref(body);
	json_decref(answer);
	json_decref(have);
	free(arn);
	return err;
}

static int policy_update(struct ms_call *call, const json_t *prior,
			 const json_t *desired, json_t **out)
{
	char *arn = NULL;
	int err = arn_of(&arn, call, prior);

	if (!err)
		err = apply_changes(call, arn, prior, desired, out);
	free(arn);
	return err;
}

/* IAM deletes a policy only once its other versions are gone. */
static int policy_delete(struct ms_call *call, const json_t *prior)
{
	struct ms_aws_error error = MS_AWS_ERROR_INIT;
	json_t *list = NULL, *v, *p;
	char *arn = NULL;
	size_t i;
	int err = arn_of(&arn, call, prior);

	if (!err)
		err = versions(&list, &error, call, arn);
	json_array_foreach(err ? NULL : list, i, v) {
		if (is_default(v))
			continue;
		p = by_arn(arn);
		json_object_set(p, "VersionId",
				json_object_get(v, "VersionId"));
		err = policy_call(NULL, &error, call, "DeletePolicyVersion", p);
		if (err)
			break;
	}
	if (!err)
		err = policy_call(NULL, &error, call, "DeletePolicy",
				  by_arn(arn));
	if (err && ms_aws_error_is(&error, "DeleteConflict", NULL))
		err = ms_error("policy '%s' is still attached (to a role, user "
			       "or group outside this stack): %s",
			       arn, ms_error_last());
	if (err && ms_iam_not_found(&error)) {
		ms_error_clear();
		err = 0;
	}
	ms_aws_error_release(&error);
	json_decref(list);
	free(arn);
	return err;
}

static int policy_normalize(json_t *attrs)
{
	json_t *v = json_object_get(attrs, "policy"), *canon = NULL;
	char what[300];
	int err;

	if (json_is_string(v) || json_is_object(v)) {
		snprintf(what, sizeof(what), "policy '%s'",
			 ms_kit_str(attrs, "name", "?"));
		err = ms_iam_policy_canonical(&canon, v, what);
		if (err)
			return err;
		json_object_set_new(attrs, "policy", canon);
	}
	ms_kit_strings(json_object_get(attrs, "tags"));
	return 0;
}

/* Terraform: the document as JSON text */
static const struct ms_tf_attr tf_attrs[] = {
	{ "policy", NULL, MS_TF_JSON },
	{ NULL },
};

static const struct ms_tf_type tf = { .attrs = tf_attrs };

const struct ms_resource_type ms_aws_iam_policy = {
	.name = "aws_iam_policy",
	.schema = schema,
	.id_attr = "name",
	.name_min = 1,
	.name_max = 128,
	.name_chars = "a-zA-Z0-9+=,.@_-",
	.read = policy_read,
	.read_many = policy_read_many,
	.create = policy_create,
	.update = policy_update,
	.delete = policy_delete,
	.normalize = policy_normalize,
	.terraform = &tf,
	.cost = ms_cost_free,
};
