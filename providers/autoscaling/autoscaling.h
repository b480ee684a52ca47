/*
 * autoscaling.h - the Application Auto Scaling service layer (JSON 1.1,
 * "AnyScaleFrontendService"): one call, the scalable target of a resource,
 * and the namespace a resource id belongs to.
 */
#ifndef MS_AUTOSCALING_H
#define MS_AUTOSCALING_H

#include <jansson.h>

#include "providers/aws/aws.h"
#include "providers/kit.h"

/* One call; body is borrowed. error (may be NULL) says which error. */
int ms_autoscaling_call(json_t **out, struct ms_aws_error *error,
			struct ms_aws *aws, const char *operation,
			const json_t *body);

/*
 * Every page of operation's answer (NextToken), the items under key
 * (new): body (the caller's) takes each page's token.
 */
int ms_autoscaling_pages(json_t **out, struct ms_aws *aws,
			 const char *operation, json_t *body, const char *key);

/*
 * The service namespace of a resource id, as AWS spells resource ids:
 * "endpoint/x/variant/y" is sagemaker, "function:f:alias" lambda ...;
 * NULL when the form is not known.
 */
const char *ms_autoscaling_namespace_of(const char *resource_id);

/*
 * *out = the scalable target of resource_id in namespace (dimension may
 * be NULL: any), as DescribeScalableTargets answers it, or NULL.
 */
int ms_autoscaling_target(json_t **out, struct ms_aws *aws,
			  const char *namespace, const char *resource_id,
			  const char *dimension);

/*
 * The ids among resource_ids (an array) registered as scalable targets in
 * namespace: a new array (empty when none). Any number of ids, asked
 * MS_AUTOSCALING_NAMES_A_CALL a request.
 */
int ms_autoscaling_registered(json_t **out, struct ms_aws *aws,
			      const char *namespace,
			      const json_t *resource_ids);

/*
 * Refresh by listing (docs/refresh.md). AWS takes at most this many
 * ResourceIds (DescribeScalableTargets) or PolicyNames
 * (DescribeScalingPolicies) a request.
 */
#define MS_AUTOSCALING_NAMES_A_CALL 50

/*
 * Record in wanted that an object of namespace ns is asked for by name (a
 * resource id, a policy name) and holds the request fields fields
 * ({"ResourceId": ..., "ScalableDimension": ...}; borrowed). wanted maps
 * a namespace to its names, and each name to the fields every object
 * asked for by it holds alike (null where two differ).
 */
void ms_autoscaling_want(json_t *wanted, const char *ns, const char *name,
			 const json_t *fields);

/*
 * Every item operation (DescribeScalableTargets, DescribeScalingPolicies)
 * answers under key for wanted (above): one request a namespace and
 * MS_AUTOSCALING_NAMES_A_CALL names, the names as the request's list
 * (ResourceIds, PolicyNames) with the fields all of them hold alike,
 * every page read by NextToken, page items a page (MaxResults, or the
 * smaller MLSTACK_LIST_PAGE_SIZE). *out: the items of every answer (new).
 */
int ms_autoscaling_describe_many(json_t **out, struct ms_aws *aws,
				 const char *operation, const char *list,
				 const char *key, int page,
				 const json_t *wanted);

/*
 * Scaling taken off resources for an operation their service refuses
 * while they scale (SageMaker's UpdateEndpoint changing a variant's
 * instance type), and put back after it. detach saves each target of
 * resource_ids (capacities, role, tags) with its policies into *saved,
 * then deletes the policies and deregisters the target; attach registers
 * and puts them back as they were. *saved is the caller's.
 */
int ms_autoscaling_detach(json_t **saved, struct ms_aws *aws,
			  const char *namespace, const json_t *resource_ids);
int ms_autoscaling_attach(struct ms_aws *aws, const json_t *saved);

/* Tags as Application Auto Scaling takes them: a map, as it is. */
json_t *ms_autoscaling_tags(const json_t *map);

#endif
