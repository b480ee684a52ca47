"""moto_autoscaling - Application Auto Scaling in moto, brought closer to
AWS (docs/testing.md, "Emulator extensions"):

  - scalable targets take Tags when they are registered (a target already
    registered keeps its own), and TagResource, UntagResource and
    ListTagsForResource work on their ARNs (moto has none of them);
  - deregistering a target that is not registered, or deleting a policy
    that does not exist, is an ObjectNotFoundException (moto: a
    ValidationException); deregistering a target deletes its scaling
    policies, as AWS does;
  - PutScalingPolicy needs the scalable target registered first
    (ObjectNotFoundException), as AWS does; moto took any;
  - DescribeScalableTargets and DescribeScalingPolicies page by MaxResults
    and NextToken as AWS does (moto's second token of DescribeScalableTargets
    repeated the first; DescribeScalingPolicies gave 100 a page, not 10),
    refuse more than 50 ResourceIds or PolicyNames and a MaxResults above
    50 (targets) or 10 (policies) with a ValidationException, and
    DescribeScalingPolicies takes PolicyNames and matches ResourceId and
    ScalableDimension exactly (moto ignored the names and matched a
    resource id as a substring).

install() patches moto in this process; call it before the server starts.
"""

import json

from moto.applicationautoscaling import models as aas_models
from moto.applicationautoscaling import responses as aas_responses
from moto.core.exceptions import JsonRESTError

R = aas_responses.ApplicationAutoScalingResponse
_installed = False


class ObjectNotFound(JsonRESTError):
    def __init__(self, message):
        super().__init__("ObjectNotFoundException", message)


class ResourceNotFound(JsonRESTError):
    def __init__(self, message):
        super().__init__("ResourceNotFoundException", message)


def _targets(backend):
    for by_id in backend.targets.values():
        yield from by_id.values()


def _by_arn(backend, arn):
    for t in _targets(backend):
        if t.arn == arn:
            return t
    raise ResourceNotFound(f"No scalable target found for ARN {arn}")


orig_register = R.register_scalable_target
orig_deregister = aas_models.ApplicationAutoscalingBackend.\
    deregister_scalable_target


def _endpoint_status(account, region, resource_id):
    from moto.sagemaker.models import sagemaker_backends
    parts = resource_id.split("/")
    ep = sagemaker_backends[account][region].endpoints.get(parts[1]) \
        if len(parts) == 4 else None
    return ep.endpoint_status if ep else None


def register_scalable_target(self):
    backend = self.applicationautoscaling_backend
    rid = self._get_param("ResourceId") or ""
    if self._get_param("ServiceNamespace") == "sagemaker" and \
            rid.startswith("endpoint/") and \
            _endpoint_status(self.current_account, self.region,
                             rid) != "InService":
        raise aas_models.AWSValidationException(
            "The status should be in 'InService' to register it as a "
            "scalable target")
    known = {t.arn for t in _targets(backend)}
    answer = orig_register(self)
    arn = json.loads(answer)["ScalableTargetARN"]
    tags = self._get_param("Tags") or {}
    if arn not in known:
        _by_arn(backend, arn)._mlstack_tags = dict(tags)
    return answer


def deregister_scalable_target(self, namespace, r_id, dimension):
    if not self._scalable_target_exists(r_id, dimension):
        raise ObjectNotFound(
            f"No scalable target registered for service namespace: "
            f"{namespace}, resource ID: {r_id}, scalable dimension: "
            f"{dimension}")
    orig_deregister(self, namespace, r_id, dimension)
    for key in [k for k, p in self.policies.items()
                if p.resource_id == r_id and
                p.scalable_dimension == dimension]:
        del self.policies[key]


orig_put_policy = aas_models.ApplicationAutoscalingBackend.put_scaling_policy
orig_delete_policy = aas_models.ApplicationAutoscalingBackend.\
    delete_scaling_policy


def put_scaling_policy(self, policy_name, service_namespace, resource_id,
                       scalable_dimension, *args, **kwargs):
    if not self._scalable_target_exists(resource_id, scalable_dimension):
        raise ObjectNotFound(
            f"No scalable target registered for service namespace: "
            f"{service_namespace}, resource ID: {resource_id}, scalable "
            f"dimension: {scalable_dimension}")
    return orig_put_policy(self, policy_name, service_namespace, resource_id,
                           scalable_dimension, *args, **kwargs)


def delete_scaling_policy(self, policy_name, service_namespace, resource_id,
                          scalable_dimension):
    key = aas_models.FakeApplicationAutoscalingPolicy.formulate_key(
        service_namespace, resource_id, scalable_dimension, policy_name)
    if key not in self.policies:
        raise ObjectNotFound(
            f"No scaling policy found for service namespace: "
            f"{service_namespace}, resource ID: {resource_id}, scalable "
            f"dimension: {scalable_dimension}, policy name: {policy_name}")
    return orig_delete_policy(self, policy_name, service_namespace,
                              resource_id, scalable_dimension)


def list_tags_for_resource(self):
    t = _by_arn(self.applicationautoscaling_backend,
                self._get_param("ResourceARN"))
    return json.dumps({"Tags": dict(getattr(t, "_mlstack_tags", {}))})


def tag_resource(self):
    t = _by_arn(self.applicationautoscaling_backend,
                self._get_param("ResourceARN"))
    tags = dict(getattr(t, "_mlstack_tags", {}))
    tags.update(self._get_param("Tags") or {})
    t._mlstack_tags = tags
    return "{}"


def untag_resource(self):
    t = _by_arn(self.applicationautoscaling_backend,
                self._get_param("ResourceARN"))
    tags = dict(getattr(t, "_mlstack_tags", {}))
    for key in self._get_param("TagKeys") or []:
        tags.pop(key, None)
    t._mlstack_tags = tags
    return "{}"


class InvalidNextToken(JsonRESTError):
    def __init__(self, message):
        super().__init__("InvalidNextTokenException", message)


def _too_many(field, values, most):
    if values is not None and len(values) > most:
        raise aas_models.AWSValidationException(
            f"1 validation error detected: Value '{values}' at '{field}' "
            f"failed to satisfy constraint: Member must have length less "
            f"than or equal to {most}")


def _page(self, items, most):
    """One page of items by MaxResults (at most `most`, the default) and
    NextToken (the index the page starts at), as AWS pages them."""
    size = self._get_int_param("MaxResults")
    if size is not None and not 1 <= size <= most:
        raise aas_models.AWSValidationException(
            f"1 validation error detected: Value '{size}' at 'maxResults' "
            f"failed to satisfy constraint: Member must have value between "
            f"1 and {most}")
    size = size or most
    token = self._get_param("NextToken")
    try:
        start = int(token) if token else 0
    except ValueError:
        raise InvalidNextToken("Invalid token") from None
    if start < 0 or start > len(items):
        raise InvalidNextToken("Invalid token")
    end = start + size
    return items[start:end], str(end) if end < len(items) else None


def describe_scalable_targets(self):
    self._validate_params()
    ids = self._get_param("ResourceIds")
    _too_many("resourceIds", ids, 50)
    found = self.applicationautoscaling_backend.describe_scalable_targets(
        self._get_param("ServiceNamespace"), ids,
        self._get_param("ScalableDimension"))
    page, token = _page(self, found, 50)
    answer = {"ScalableTargets": [aas_responses._build_target(t)
                                  for t in page]}
    if token:
        answer["NextToken"] = token
    return json.dumps(answer)


def describe_scaling_policies(self):
    self._validate_params()
    names = self._get_param("PolicyNames")
    _too_many("policyNames", names, 50)
    rid = self._get_param("ResourceId")
    dimension = self._get_param("ScalableDimension")
    namespace = self._get_param("ServiceNamespace")
    found = [p for p in self.applicationautoscaling_backend.policies.values()
             if p.service_namespace == namespace and
             (not names or p.policy_name in names) and
             (not rid or p.resource_id == rid) and
             (not dimension or p.scalable_dimension == dimension)]
    page, token = _page(self, found, 10)
    answer = {"ScalingPolicies": [aas_responses._build_policy(p)
                                  for p in page]}
    if token:
        answer["NextToken"] = token
    return json.dumps(answer)


def install():
    global _installed
    if _installed:
        return
    _installed = True
    R.register_scalable_target = register_scalable_target
    R.list_tags_for_resource = list_tags_for_resource
    R.tag_resource = tag_resource
    R.untag_resource = untag_resource
    R.describe_scalable_targets = describe_scalable_targets
    R.describe_scaling_policies = describe_scaling_policies
    B = aas_models.ApplicationAutoscalingBackend
    B.deregister_scalable_target = deregister_scalable_target
    B.put_scaling_policy = put_scaling_policy
    B.delete_scaling_policy = delete_scaling_policy
