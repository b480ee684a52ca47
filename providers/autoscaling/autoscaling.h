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
 * namespace: a new array (empty when none).
 */
int ms_autoscaling_registered(json_t **out, struct ms_aws *aws,
			      const char *namespace,
			      const json_t *resource_ids);

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
