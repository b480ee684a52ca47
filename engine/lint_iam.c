/*
 * lint_iam.c - the IAM rules: AWS managed policies that grant too much,
 * policy statements with "*" in their actions or resources, iam:PassRole
 * on any role, trust policies any principal may use.
 *
 * Policy documents are read as IAM reads them (a statement or a list of
 * them, an action or a list, Effect Allow), on roles' inline policies and
 * on managed policies (aws_iam_policy); a value not known yet (an ARN
 * the stack refers to) is never a "*". Where the stack lets the narrower
 * statement be computed, the finding carries it, written with the
 * stack's own references (${data_bucket.arn}), so that it can be pasted.
 */
#include "util/common.h"
#include "engine/lint_internal.h"
#include "engine/expr.h"
#include "util/json.h"

#include <strings.h>

#define ROLE   "aws_iam_role"
#define POLICY "aws_iam_policy"

static const struct ms_lint_rule rules[] = {
	{ "MLS-IAM-001", ROLE, MS_LINT_CRITICAL,
	  "role with the AdministratorAccess managed policy",
	  "AdministratorAccess allows every action on every resource: "
	  "whoever can use the role (a notebook user, a training script, a "
	  "compromised dependency) owns the account",
	  "remove it from managed_policy_arns; grant the actions the role "
	  "needs on the resources it uses (inline_policies)",
	  "CKV_AWS_274" },
	{ "MLS-IAM-002", ROLE, MS_LINT_HIGH,
	  "role with an AWS managed *FullAccess policy",
	  "a *FullAccess policy (AmazonSageMakerFullAccess, "
	  "AmazonS3FullAccess, IAMFullAccess ...) allows every action of a "
	  "service on all its resources in the account: every bucket, "
	  "every model, every endpoint, not only this stack's",
	  "replace it with an inline policy of the actions the role needs "
	  "on this stack's resources (the finding computes one where it can)",
	  NULL },
	{ "MLS-IAM-003", ROLE " " POLICY, MS_LINT_CRITICAL,
	  "policy statement allows all actions on all resources",
	  "Action \"*\" on Resource \"*\" is administrator access, written "
	  "out",
	  "list the actions and the resources the statement is for",
	  "CKV_AWS_62" },
	{ "MLS-IAM-004", ROLE " " POLICY, MS_LINT_HIGH,
	  "policy statement allows all actions (\"*\")",
	  "\"*\" allows every action of every service on the resources "
	  "named, including deleting them and changing who may use them",
	  "list the actions the statement is for", "CKV_AWS_63" },
	{ "MLS-IAM-005", ROLE " " POLICY, MS_LINT_MEDIUM,
	  "policy statement allows every action of a service (\"s3:*\")",
	  "a service wildcard grants the actions that delete and that "
	  "change permissions (s3:DeleteBucket, s3:PutBucketPolicy), and "
	  "those AWS adds later",
	  "list the actions (s3:GetObject, s3:PutObject ...)", NULL },
	{ "MLS-IAM-006", ROLE " " POLICY, MS_LINT_MEDIUM,
	  "policy statement allows actions on every resource (\"*\")",
	  "Resource \"*\" reaches every object of the account the actions "
	  "apply to, not only this stack's; only actions that take no "
	  "resource (ecr:GetAuthorizationToken, cloudwatch:PutMetricData, "
	  "ec2:Describe* ...) need it",
	  "name the resources (the ARNs: ${bucket.arn}, ${bucket.arn}/*)",
	  NULL },
	{ "MLS-IAM-007", ROLE " " POLICY, MS_LINT_HIGH,
	  "iam:PassRole on every role",
	  "passing any role to a service (a notebook, a training job, a "
	  "function) lets the caller run code with that role's permissions: "
	  "the shortest path to escalate privileges",
	  "Resource: the ARNs of the roles to pass (${role.arn}), with a "
	  "Condition on iam:PassedToService",
	  NULL },
	{ "MLS-IAM-008", ROLE, MS_LINT_CRITICAL,
	  "trust policy lets any principal assume the role",
	  "Principal \"*\" (or {AWS: \"*\"}) without a Condition lets "
	  "anyone in any AWS account assume the role",
	  "Principal: {Service: sagemaker.amazonaws.com} (the service that "
	  "uses it), or the accounts' or roles' ARNs",
	  "CKV_AWS_60" },
	{ NULL },
};

/*
 * Actions that take no resource: IAM has nothing narrower than "*" for
 * them. A trailing "*" is a prefix.
 */
static const char *const resourceless[] = {
	"cloudwatch:GetMetricData",
	"cloudwatch:GetMetricStatistics",
	"cloudwatch:ListMetrics",
	"cloudwatch:PutMetricData",
	"ec2:Describe*",
	"ecr:GetAuthorizationToken",
	"iam:ListPolicies",
	"iam:ListRoles",
	"kms:ListAliases",
	"kms:ListKeys",
	"lambda:ListFunctions",
	"logs:DescribeLogGroups",
	"s3:ListAllMyBuckets",
	"sagemaker:List*",
	"sagemaker:Search",
	"sts:GetCallerIdentity",
	"xray:PutTelemetryRecords",
	"xray:PutTraceSegments",
	NULL,
};

/* S3 actions a data bucket's user needs, for "s3:*" narrowed. */
static const char *const s3_actions[] = {
	"s3:ListBucket",   "s3:GetObject", "s3:PutObject",
	"s3:DeleteObject", NULL,
};

/* Values */

/* A policy document: the object, or the JSON text parsed; new, or NULL. */
static json_t *document(const json_t *v)
{
	json_t *doc;

	if (json_is_string(v)) {
		doc = json_loads(json_string_value(v), 0, NULL);
		if (json_is_object(doc))
			return doc;
		json_decref(doc);
		return NULL;
	}
	return json_is_object(v) && !ms_is_unknown(v) ?
		       json_incref((json_t *)v) :
		       NULL;
}

/* Whether field (a string or a list of them) holds want, known. */
static bool holds(const json_t *field, const char *want)
{
	const json_t *x;
	size_t i;

	if (json_is_string(field))
		return !strcasecmp(json_string_value(field), want);
	json_array_foreach(field, i, x)
		if (json_is_string(x) &&
		    !strcasecmp(json_string_value(x), want))
			return true;
	return false;
}

/* Whether the statement allows (Effect "Allow", as IAM's default reads). */
static bool allows(const json_t *st)
{
	const json_t *e = json_object_get(st, "Effect");

	return json_is_string(e) && !strcmp(json_string_value(e), "Allow");
}

/* Whether action (as written) matches pattern (a trailing "*" a prefix). */
static bool action_is(const char *action, const char *pattern)
{
	size_t n = strlen(pattern);

	if (n && pattern[n - 1] == '*')
		return !strncasecmp(action, pattern, n - 1);
	return !strcasecmp(action, pattern);
}

static bool resourceless_action(const char *action)
{
	size_t i;

	for (i = 0; resourceless[i]; i++)
		if (!strcasecmp(action, resourceless[i]) ||
		    (resourceless[i][strlen(resourceless[i]) - 1] == '*' &&
		     action_is(action, resourceless[i])))
			return true;
	return false;
}

/* The known strings of a string-or-list field, as a new array. */
static json_t *strings(const json_t *field)
{
	json_t *out = json_array();
	const json_t *x;
	size_t i;

	if (json_is_string(field))
		json_array_append(out, (json_t *)field);
	json_array_foreach(field, i, x)
		if (json_is_string(x))
			json_array_append(out, (json_t *)x);
	return out;
}

/* "svc:*" of a service wildcard action, its service into svc. */
static bool service_wildcard(const char *action, char *svc, size_t size)
{
	const char *colon = strchr(action, ':');

	if (!colon || strcmp(colon + 1, "*") || colon == action ||
	    (size_t)(colon - action) >= size)
		return false;
	memcpy(svc, action, (size_t)(colon - action));
	svc[colon - action] = '\0';
	return true;
}

/* Suggestions: this stack's own resources, by reference */

/*
 * Beyond this many ARNs a fix names none: a list of every bucket in the
 * finding of every role grew with the square of the stack (1,000 roles
 * and 1,000 buckets: 88 MB of lint -json).
 */
#define ARNS_MAX 32

/*
 * The stack's resources a service's actions apply to, as references to
 * their ARNs (a bucket's objects too); "sagemaker-endpoints" for the
 * endpoints alone. A new reference to an array, empty when none, or NULL
 * when there are more than ARNS_MAX; made once a run.
 */
static json_t *arns_for(struct ms_lint *L, const char *svc)
{
	json_t *out, *had;
	const char *type;
	size_t i;

	if (!L->arns)
		L->arns = json_object();
	if ((had = json_object_get(L->arns, svc)))
		return json_is_array(had) ? json_incref(had) : NULL;
	out = json_array();
	for (i = 0; i < L->n; i++) {
		type = L->res[i].r->type;
		if (!strcmp(svc, "s3") && !strcmp(type, "aws_s3_bucket")) {
			json_array_append_new(out,
					      json_sprintf("${%s.arn}",
							   L->res[i].r->name));
			json_array_append_new(out,
					      json_sprintf("${%s.arn}/*",
							   L->res[i].r->name));
		} else if ((!strcmp(svc, "sagemaker") &&
			    !strncmp(type, "aws_sagemaker_", 14)) ||
			   (!strcmp(svc, "sagemaker-endpoints") &&
			    !strcmp(type, "aws_sagemaker_endpoint")) ||
			   (!strcmp(svc, "lambda") &&
			    !strcmp(type, "aws_lambda_function")) ||
			   (!strcmp(svc, "iam") && !strcmp(type, ROLE))) {
			json_array_append_new(out,
					      json_sprintf("${%s.arn}",
							   L->res[i].r->name));
		}
	}
	if (json_array_size(out) > ARNS_MAX) {
		json_decref(out);
		out = NULL;
	}
	json_object_set_new(L->arns, svc, out ? json_incref(out) : json_null());
	return out;
}

static void iam_release(struct ms_lint *L)
{
	json_decref(L->arns);
	L->arns = NULL;
}

/* A statement allowing actions on resources; both stolen. */
static json_t *statement(json_t *actions, json_t *resources)
{
	return json_pack("{s:s, s:o, s:o}", "Effect", "Allow", "Action",
			 actions, "Resource", resources);
}

static json_t *list_of(const char *const *words)
{
	json_t *out = json_array();

	for (; *words; words++)
		json_array_append_new(out, json_string(*words));
	return out;
}

/*
 * The S3 statement for this stack's buckets, or NULL when it has none (or
 * too many to name).
 */
static json_t *bucket_statement(struct ms_lint *L)
{
	json_t *arns = arns_for(L, "s3");

	if (!json_array_size(arns)) {
		json_decref(arns);
		return NULL;
	}
	return statement(list_of(s3_actions), arns);
}

/* The services a trust policy lets assume the role; a new array. */
static json_t *trusted_services(const json_t *trust)
{
	json_t *doc = document(trust), *out = json_array(), *list, *st, *p;
	json_t *sts;
	size_t i;

	sts = json_object_get(doc, "Statement");
	if (json_is_object(sts))
		sts = json_pack("[O]", sts);
	else
		sts = json_incref(sts);
	json_array_foreach(json_is_array(sts) ? sts : NULL, i, st) {
		p = json_object_get(st, "Principal");
		list = strings(json_object_get(p, "Service"));
		json_array_extend(out, list);
		json_decref(list);
	}
	json_decref(sts);
	json_decref(doc);
	return out;
}

/*
 * The inline policy that can replace an AWS managed policy on role r, or
 * NULL when the stack does not say enough. A new policy document; *name
 * what to call it.
 */
static json_t *replacement(struct ms_lint *L, const struct ms_lint_res *r,
			   const char *policy, const char **name)
{
	json_t *sts = json_array(), *services, *arns, *s3;
	size_t i;
	bool execution = false;

	services = trusted_services(
		json_object_get(r->attrs, "assume_role_policy"));
	for (i = 0; i < json_array_size(services); i++)
		if (!strcmp(json_string_value(json_array_get(services, i)),
			    "sagemaker.amazonaws.com"))
			execution = true;
	s3 = bucket_statement(L);
	*name = NULL;
	if (!strcmp(policy, "AmazonS3FullAccess") && s3) {
		*name = "stack-buckets";
		json_array_append(sts, s3);
	} else if (!strcmp(policy, "AmazonSageMakerFullAccess") && execution) {
		*name = "sagemaker-execution";
		/* what SageMaker needs to run the role's containers */
		json_array_append_new(
			sts,
			statement(json_pack("[ss]", "ecr:GetAuthorizationToken",
					    "cloudwatch:PutMetricData"),
				  json_string("*")));
		json_array_append_new(
			sts,
			statement(json_pack("[sss]", "ecr:BatchGetImage",
					    "ecr:GetDownloadUrlForLayer",
					    "ecr:BatchCheckLayerAvailability"),
				  json_string("arn:aws:ecr:${aws.region}:*:"
					      "repository/*")));
		json_array_append_new(
			sts,
			statement(json_pack("[ssss]", "logs:CreateLogGroup",
					    "logs:CreateLogStream",
					    "logs:PutLogEvents",
					    "logs:DescribeLogStreams"),
				  json_string("arn:aws:logs:${aws.region}:"
					      "${aws.account_id}:log-group:"
					      "/aws/sagemaker/*")));
		if (s3)
			json_array_append(sts, s3);
	} else if (!strcmp(policy, "AmazonSageMakerFullAccess")) {
		/* a caller of the stack's endpoints */
		*name = "invoke-endpoints";
		arns = arns_for(L, "sagemaker-endpoints");
		if (json_array_size(arns))
			json_array_append_new(
				sts,
				statement(json_pack("[s]",
						    "sagemaker:InvokeEndpoint"),
					  json_incref(arns)));
		json_decref(arns);
	}
	json_decref(services);
	json_decref(s3);
	if (!json_array_size(sts)) {
		json_decref(sts);
		return NULL;
	}
	return json_pack("{s:s, s:o}", "Version", "2012-10-17", "Statement",
			 sts);
}

/* A value as one line of YAML (flow style, JSON's spelling); malloc'd. */
static char *one_line(const json_t *v)
{
	char *s = json_dumps(v, JSON_SORT_KEYS | JSON_ENCODE_ANY);

	if (!s)
		ms_die_oom();
	return s;
}

/* Managed policies */

/* The name of an AWS managed policy's ARN, or NULL. */
static const char *aws_managed(const char *arn)
{
	const char *p;

	if (strncmp(arn, "arn:aws", 7))
		return NULL;
	p = strchr(arn + 7, ':');
	if (!p || strncmp(p, ":iam::aws:policy/", 17))
		return NULL;
	p = strrchr(arn, '/');
	return p + 1;
}

static void check_managed(struct ms_lint *L, const struct ms_lint_res *r)
{
	const json_t *arns = ms_lint_get(r->attrs, "managed_policy_arns"), *v;
	const char *name, *called;
	json_t *doc, *sug;
	char *at, *fix, *text;
	size_t i, n;

	json_array_foreach(json_is_array(arns) ? arns : NULL, i, v) {
		if (!json_is_string(v) ||
		    !(name = aws_managed(json_string_value(v))))
			continue;
		at = ms_asprintf("managed_policy_arns[%zu]", i);
		n = strlen(name);
		if (!strcmp(name, "AdministratorAccess")) {
			ms_lint_report(L, r, "MLS-IAM-001", at, NULL, NULL,
				       "AdministratorAccess is attached: every "
				       "action on every resource");
		} else if (n > 10 && !strcmp(name + n - 10, "FullAccess")) {
			doc = replacement(L, r, name, &called);
			fix = NULL;
			sug = NULL;
			if (doc) {
				text = one_line(doc);
				fix = ms_asprintf("remove %s from "
						  "managed_policy_arns and add "
						  "inline_policies: {%s: %s}",
						  name, called, text);
				free(text);
				sug = json_pack("{s:{s:o}}", "inline_policies",
						called, doc);
			}
			ms_lint_report(L, r, "MLS-IAM-002", at, fix, sug,
				       "%s is attached: every action of the "
				       "service on every resource of the "
				       "account",
				       name);
			free(fix);
		}
		free(at);
	}
}

/* Statements */

/* One statement st at path (relative to the resource's properties). */
static void check_statement(struct ms_lint *L, const struct ms_lint_res *r,
			    const json_t *st, const char *path)
{
	json_t *actions, *resources, *narrow = NULL, *x, *sug;
	const char *a;
	char *at_action, *at_resource, *fix = NULL, *text, svc[64];
	bool star_action, star_resource, restrictable = false, pass = false;
	size_t i;

	if (!json_is_object(st) || !allows(st))
		return;
	actions = strings(json_object_get(st, "Action"));
	resources = strings(json_object_get(st, "Resource"));
	star_action = holds(actions, "*");
	star_resource = holds(resources, "*");
	at_action = ms_asprintf("%s.Action", path);
	at_resource = ms_asprintf("%s.Resource", path);

	if (star_action && star_resource)
		ms_lint_report(L, r, "MLS-IAM-003", at_action, NULL, NULL,
			       "%s allows \"*\" on \"*\"", path);
	if (star_action)
		ms_lint_report(L, r, "MLS-IAM-004", at_action, NULL, NULL,
			       "%s allows every action (\"*\")", path);
	json_array_foreach(actions, i, x) {
		a = json_string_value(x);
		if (!service_wildcard(a, svc, sizeof(svc)))
			continue;
		sug = NULL;
		fix = NULL;
		if (!strcmp(svc, "s3")) {
			json_t *buckets = arns_for(L, "s3");

			narrow = json_deep_copy(st);
			json_object_set_new(narrow, "Action",
					    list_of(s3_actions));
			if (star_resource && json_array_size(buckets))
				json_object_set(narrow, "Resource", buckets);
			json_decref(buckets);
			text = one_line(narrow);
			fix = ms_asprintf("list the actions: %s", text);
			free(text);
			sug = narrow;
		}
		ms_lint_report(L, r, "MLS-IAM-005", at_action, fix, sug,
			       "%s allows every action of %s (\"%s\")", path,
			       svc, a);
		free(fix);
	}
	json_array_foreach(actions, i, x) {
		a = json_string_value(x);
		if (!resourceless_action(a) && strcmp(a, "*"))
			restrictable = true;
		if (action_is(a, "iam:PassRole") || !strcasecmp(a, "iam:*") ||
		    !strcasecmp(a, "iam:Pass*"))
			pass = true;
	}
	if (star_resource && restrictable && !star_action) {
		/* the stack's resources of the statement's services */
		json_t *arns = json_array();
		bool capped = false;

		json_array_foreach(actions, i, x) {
			json_t *more;
			const char *colon = strchr(json_string_value(x), ':');

			if (!colon || (size_t)(colon - json_string_value(x)) >=
					      sizeof(svc))
				continue;
			memcpy(svc, json_string_value(x),
			       (size_t)(colon - json_string_value(x)));
			svc[colon - json_string_value(x)] = '\0';
			more = arns_for(L, svc);
			if (!more)
				capped = true;
			else
				json_array_extend(arns, more);
			json_decref(more);
		}
		arns = ms_json_sorted_set(arns);
		if (capped) /* a part of them would narrow it wrongly */
			json_array_clear(arns);
		sug = NULL;
		fix = NULL;
		if (json_array_size(arns)) {
			narrow = json_deep_copy(st);
			json_object_set(narrow, "Resource", arns);
			text = one_line(arns);
			fix = ms_asprintf("Resource: %s", text);
			free(text);
			sug = narrow;
		}
		ms_lint_report(L, r, "MLS-IAM-006", at_resource, fix, sug,
			       "%s allows its actions on every resource "
			       "(\"*\")",
			       path);
		free(fix);
		json_decref(arns);
	}
	if (pass && star_resource) {
		json_t *roles = arns_for(L, "iam");

		fix = NULL;
		sug = NULL;
		if (json_array_size(roles)) {
			text = one_line(roles);
			fix = ms_asprintf("Resource: %s, with a Condition on "
					  "iam:PassedToService",
					  text);
			free(text);
			sug = statement(json_pack("[s]", "iam:PassRole"),
					json_incref(roles));
		}
		ms_lint_report(L, r, "MLS-IAM-007", at_resource, fix, sug,
			       "%s allows iam:PassRole on every role", path);
		free(fix);
		json_decref(roles);
	}
	free(at_action);
	free(at_resource);
	json_decref(actions);
	json_decref(resources);
}

/* Every statement of the document v, at path (its attribute's). */
static void check_document(struct ms_lint *L, const struct ms_lint_res *r,
			   const json_t *v, const char *path)
{
	json_t *doc = document(v), *sts, *st;
	char *at;
	size_t i;

	sts = json_object_get(doc, "Statement");
	if (json_is_object(sts)) {
		at = ms_asprintf("%s.Statement", path);
		check_statement(L, r, sts, at);
		free(at);
	}
	json_array_foreach(json_is_array(sts) ? sts : NULL, i, st) {
		at = ms_asprintf("%s.Statement[%zu]", path, i);
		check_statement(L, r, st, at);
		free(at);
	}
	json_decref(doc);
}

/* Trust policies */

static bool any_principal(const json_t *p)
{
	if (json_is_string(p))
		return !strcmp(json_string_value(p), "*");
	return holds(json_object_get(p, "AWS"), "*");
}

static void check_trust(struct ms_lint *L, const struct ms_lint_res *r)
{
	json_t *doc = document(json_object_get(r->attrs, "assume_role_policy"));
	json_t *sts = json_object_get(doc, "Statement"), *st;
	char *at;
	size_t i, n = json_is_array(sts) ? json_array_size(sts) : 1;

	for (i = 0; i < n; i++) {
		st = json_is_array(sts) ? json_array_get(sts, i) : sts;
		if (!json_is_object(st) || !allows(st) ||
		    json_object_get(st, "Condition") ||
		    !any_principal(json_object_get(st, "Principal")))
			continue;
		at = json_is_array(sts) ?
			     ms_asprintf("assume_role_policy.Statement[%zu]."
					 "Principal",
					 i) :
			     ms_strdup(
				     "assume_role_policy.Statement.Principal");
		ms_lint_report(L, r, "MLS-IAM-008", at, NULL, NULL,
			       "any principal of any account may assume it "
			       "(Principal \"*\", no Condition)");
		free(at);
	}
	json_decref(doc);
}

static void check(struct ms_lint *L, const struct ms_lint_res *r)
{
	const json_t *policies, *doc;
	const char *key;
	json_t *parsed;
	char *at;

	if (!strcmp(r->r->type, POLICY)) {
		check_document(L, r, json_object_get(r->attrs, "policy"),
			       "policy");
		return;
	}
	if (strcmp(r->r->type, ROLE))
		return;
	check_trust(L, r);
	check_managed(L, r);
	policies = ms_lint_get(r->attrs, "inline_policies");
	parsed = document(policies);
	json_object_foreach(parsed, key, doc) {
		at = ms_asprintf("inline_policies.%s", key);
		check_document(L, r, doc, at);
		free(at);
	}
	json_decref(parsed);
}

const struct ms_lint_group ms_lint_iam = { rules, check, iam_release };
