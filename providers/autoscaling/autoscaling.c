/*
 * autoscaling.c - the Application Auto Scaling service layer.
 *
 * Refresh reads targets and policies in bulk (ms_autoscaling_describe_many):
 * the same Describe calls a read makes for one object, asked for up to 50
 * of them at once in a namespace.
 */
#include "util/common.h"
#include "providers/autoscaling/autoscaling.h"

#define SERVICE "application-autoscaling"
#define TARGET  "AnyScaleFrontendService"

int ms_autoscaling_call(json_t **out, struct ms_aws_error *error,
			struct ms_aws *aws, const char *operation,
			const json_t *body)
{
	return ms_aws_json_call(out, error, aws, SERVICE, TARGET, operation,
				body);
}

int ms_autoscaling_pages(json_t **out, struct ms_aws *aws,
			 const char *operation, json_t *body, const char *key)
{
	return ms_kit_json_pages(out, aws, SERVICE, TARGET, operation, body,
				 key, "NextToken");
}

const char *ms_autoscaling_namespace_of(const char *resource_id)
{
	static const char *const forms[][2] = {
		{ "endpoint/", "sagemaker" },
		{ "inference-component/", "sagemaker" },
		{ "function:", "lambda" },
		{ "service/", "ecs" },
		{ "table/", "dynamodb" },
		{ "cluster:", "rds" },
	};
	size_t i;

	for (i = 0; resource_id && i < MS_ARRAY_SIZE(forms); i++)
		if (!strncmp(resource_id, forms[i][0], strlen(forms[i][0])))
			return forms[i][1];
	return NULL;
}

int ms_autoscaling_target(json_t **out, struct ms_aws *aws,
			  const char *namespace, const char *resource_id,
			  const char *dimension)
{
	json_t *body, *answer = NULL, *t;
	size_t i;
	int err;

	*out = NULL;
	body = json_pack("{s:s, s:[s]}", "ServiceNamespace", namespace,
			 "ResourceIds", resource_id);
	if (dimension)
		json_object_set_new(body, "ScalableDimension",
				    json_string(dimension));
	err = ms_autoscaling_call(&answer, NULL, aws, "DescribeScalableTargets",
				  body);
	json_array_foreach(
		err ? NULL : json_object_get(answer, "ScalableTargets"), i, t)
		if (!strcmp(ms_kit_str(t, "ResourceId", ""), resource_id) &&
		    !*out)
			*out = json_incref(t);
	json_decref(body);
	json_decref(answer);
	return err;
}

static bool holds(const json_t *list, const json_t *v)
{
	json_t *x;
	size_t i;

	json_array_foreach(list, i, x)
		if (json_equal(x, v))
			return true;
	return false;
}

int ms_autoscaling_registered(json_t **out, struct ms_aws *aws,
			      const char *namespace, const json_t *resource_ids)
{
	json_t *chunk = json_array(), *body, *answer, *t, *id;
	size_t n = json_array_size(resource_ids), lo, k;
	int err = 0;

	*out = json_array();
	/* AWS takes MS_AUTOSCALING_NAMES_A_CALL ids a request */
	for (lo = 0; !err && lo < n; lo += MS_AUTOSCALING_NAMES_A_CALL) {
		json_array_clear(chunk);
		for (k = lo; k < n && k < lo + MS_AUTOSCALING_NAMES_A_CALL; k++)
			json_array_append(chunk,
					  json_array_get(resource_ids, k));
		body = json_pack("{s:s, s:O}", "ServiceNamespace", namespace,
				 "ResourceIds", chunk);
		answer = NULL;
		err = ms_autoscaling_pages(&answer, aws,
					   "DescribeScalableTargets", body,
					   "ScalableTargets");
		/* only ids asked for: callers read the variant name of them */
		json_array_foreach(answer, k, t) {
			id = json_object_get(t, "ResourceId");
			if (holds(chunk, id) && !holds(*out, id))
				json_array_append(*out, id);
		}
		json_decref(body);
		json_decref(answer);
	}
	json_decref(chunk);
	return err;
}

/* Set each field of had to null where fields holds it otherwise. */
static void keep_alike(json_t *had, const json_t *fields)
{
	const char *field;
	json_t *v;

	json_object_foreach(had, field, v)
		if (!json_equal(v, json_object_get(fields, field)))
			json_object_set_new(had, field, json_null());
}

void ms_autoscaling_want(json_t *wanted, const char *ns, const char *name,
			 const json_t *fields)
{
	json_t *names = json_object_get(wanted, ns), *had;

	if (!names) {
		names = json_object();
		json_object_set_new(wanted, ns, names);
	}
	had = json_object_get(names, name);
	if (had)
		keep_alike(had, fields);
	else
		json_object_set_new(names, name, json_deep_copy(fields));
}

/*
 * One request of a bulk read: the next MS_AUTOSCALING_NAMES_A_CALL names
 * of names (from *it, which is moved past them), every page of its
 * answer appended to out.
 */
static int describe_some(json_t *out, struct ms_aws *aws, const char *op,
			 const char *list, const char *key, int page,
			 const char *ns, json_t *names, void **it)
{
	json_t *body, *alike = NULL, *items = NULL, *v;
	const char *field;
	size_t n;
	int err;

	body = json_pack("{s:s, s:[], s:i}", "ServiceNamespace", ns, list,
			 "MaxResults", ms_kit_page_size(page));
	for (n = 0; *it && n < MS_AUTOSCALING_NAMES_A_CALL;
	     n++, *it = json_object_iter_next(names, *it)) {
		json_array_append_new(json_object_get(body, list),
				      json_string(json_object_iter_key(*it)));
		if (alike)
			keep_alike(alike, json_object_iter_value(*it));
		else
			alike = json_deep_copy(json_object_iter_value(*it));
	}
	json_object_foreach(alike, field, v)
		if (json_is_string(v))
			json_object_set(body, field, v);
	/* AWS takes a dimension only with the resource id it is of */
	if (!json_object_get(body, "ResourceId") &&
	    !json_object_get(body, "ResourceIds"))
		json_object_del(body, "ScalableDimension");
	err = ms_autoscaling_pages(&items, aws, op, body, key);
	if (!err)
		json_array_extend(out, items);
	json_decref(items);
	json_decref(alike);
	json_decref(body);
	return err;
}

int ms_autoscaling_describe_many(json_t **out, struct ms_aws *aws,
				 const char *operation, const char *list,
				 const char *key, int page,
				 const json_t *wanted)
{
	json_t *names;
	const char *ns;
	void *it;
	int err = 0;

	*out = json_array();
	json_object_foreach((json_t *)wanted, ns, names) {
		it = json_object_iter(names);
		while (!err && it)
			err = describe_some(*out, aws, operation, list, key,
					    page, ns, names, &it);
		if (err)
			break;
	}
	if (err) {
		json_decref(*out);
		*out = NULL;
	}
	return err;
}

/* The fields of a policy that PutScalingPolicy takes back. */
static json_t *policy_request(const json_t *p)
{
	static const char *const keys[] = {
		"PolicyName",
		"ServiceNamespace",
		"ResourceId",
		"ScalableDimension",
		"PolicyType",
		"TargetTrackingScalingPolicyConfiguration",
		"StepScalingPolicyConfiguration",
	};
	json_t *out = json_object(), *v;
	size_t i;

	for (i = 0; i < MS_ARRAY_SIZE(keys); i++)
		if ((v = json_object_get(p, keys[i])) && !json_is_null(v))
			json_object_set(out, keys[i], v);
	return out;
}

int ms_autoscaling_detach(json_t **saved, struct ms_aws *aws,
			  const char *namespace, const json_t *resource_ids)
{
	json_t *body, *answer = NULL, *tags = NULL, *t, *p, *entry, *policies;
	json_t *v;
	const char *key;
	void *tmp;
	size_t i, k;
	int err;

	*saved = json_array();
	if (!json_array_size(resource_ids))
		return 0;
	body = json_pack("{s:s, s:O}", "ServiceNamespace", namespace,
			 "ResourceIds", resource_ids);
	err = ms_autoscaling_pages(&answer, aws, "DescribeScalableTargets",
				   body, "ScalableTargets");
	json_decref(body);
	json_array_foreach(answer, i, t) {
		entry = json_pack(
			"{s:{s:O, s:O, s:O, s:O?, s:O?, s:O?}}", "target",
			"ServiceNamespace",
			json_object_get(t, "ServiceNamespace"), "ResourceId",
			json_object_get(t, "ResourceId"), "ScalableDimension",
			json_object_get(t, "ScalableDimension"), "MinCapacity",
			json_object_get(t, "MinCapacity"), "MaxCapacity",
			json_object_get(t, "MaxCapacity"), "RoleARN",
			json_object_get(t, "RoleARN"));
		json_array_append_new(*saved, entry);
		json_object_foreach_safe(json_object_get(entry, "target"), tmp,
					 key, v)
			if (json_is_null(v))
				json_object_del(
					json_object_get(entry, "target"), key);
		/* its tags (the owner mark among them) */
		body = json_pack("{s:O}", "ResourceARN",
				 json_object_get(t, "ScalableTargetARN"));
		err = ms_autoscaling_call(&tags, NULL, aws,
					  "ListTagsForResource", body);
		json_decref(body);
		if (err)
			break;
		if (json_object_size(json_object_get(tags, "Tags")))
			json_object_set(json_object_get(entry, "target"),
					"Tags", json_object_get(tags, "Tags"));
		json_decref(tags);
		tags = NULL;
		/* its policies */
		body = json_pack("{s:O, s:O, s:O}", "ServiceNamespace",
				 json_object_get(t, "ServiceNamespace"),
				 "ResourceId", json_object_get(t, "ResourceId"),
				 "ScalableDimension",
				 json_object_get(t, "ScalableDimension"));
		policies = NULL;
		err = ms_autoscaling_pages(&policies, aws,
					   "DescribeScalingPolicies", body,
					   "ScalingPolicies");
		json_decref(body);
		if (err)
			break;
		json_object_set_new(entry, "policies", json_array());
		json_array_foreach(policies, k, p)
			json_array_append_new(json_object_get(entry,
							      "policies"),
					      policy_request(p));
		json_decref(policies);
	}
	/* only once all is saved: off with them */
	json_array_foreach(err ? NULL : *saved, i, entry) {
		json_array_foreach(json_object_get(entry, "policies"), k, p) {
			body = json_pack(
				"{s:O, s:O, s:O, s:O}", "PolicyName",
				json_object_get(p, "PolicyName"),
				"ServiceNamespace",
				json_object_get(p, "ServiceNamespace"),
				"ResourceId", json_object_get(p, "ResourceId"),
				"ScalableDimension",
				json_object_get(p, "ScalableDimension"));
			err = ms_autoscaling_call(NULL, NULL, aws,
						  "DeleteScalingPolicy", body);
			json_decref(body);
			if (err)
				break;
		}
		t = json_object_get(entry, "target");
		body = json_pack("{s:O, s:O, s:O}", "ServiceNamespace",
				 json_object_get(t, "ServiceNamespace"),
				 "ResourceId", json_object_get(t, "ResourceId"),
				 "ScalableDimension",
				 json_object_get(t, "ScalableDimension"));
		if (!err)
			err = ms_autoscaling_call(NULL, NULL, aws,
						  "DeregisterScalableTarget",
						  body);
		json_decref(body);
		if (err)
			break;
	}
	json_decref(answer);
	json_decref(tags);
	return err;
}

int ms_autoscaling_attach(struct ms_aws *aws, const json_t *saved)
{
	json_t *entry, *p;
	size_t i, k;
	int err = 0;

	json_array_foreach(saved, i, entry) {
		err = ms_autoscaling_call(NULL, NULL, aws,
					  "RegisterScalableTarget",
					  json_object_get(entry, "target"));
		json_array_foreach(
			err ? NULL : json_object_get(entry, "policies"), k, p) {
			err = ms_autoscaling_call(NULL, NULL, aws,
						  "PutScalingPolicy", p);
			if (err)
				break;
		}
		if (err)
			break;
	}
	return err;
}

json_t *ms_autoscaling_tags(const json_t *map)
{
	return json_deep_copy(map);
}
