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
    (ObjectNotFoundException), as AWS does; moto took any.

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


def install():
    global _installed
    if _installed:
        return
    _installed = True
    R.register_scalable_target = register_scalable_target
    R.list_tags_for_resource = list_tags_for_resource
    R.tag_resource = tag_resource
    R.untag_resource = untag_resource
    B = aas_models.ApplicationAutoscalingBackend
    B.deregister_scalable_target = deregister_scalable_target
    B.put_scaling_policy = put_scaling_policy
    B.delete_scaling_policy = delete_scaling_policy
