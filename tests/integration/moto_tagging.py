"""moto_tagging - the Resource Groups Tagging API's GetResources over
moto's SageMaker, as AWS answers it (docs/testing.md, "Emulator
extensions"):

  - models, endpoint configs, endpoints, training jobs, notebook
    instances and tuning jobs (ResourceTypeFilters "sagemaker:model",
    "sagemaker:endpoint-config", "sagemaker:endpoint",
    "sagemaker:training-job", "sagemaker:notebook-instance",
    "sagemaker:hyper-parameter-tuning-job") are answered from the
    SageMaker backend's own tags, under each object's real ARN (moto gave
    an endpoint config's ARN as the text of a Python tuple), a key added
    twice by AddTags counting once (the last value), as ListTags shows;
  - a resource without tags is left out, as AWS leaves out a resource
    never tagged;
  - a request that sets ResourcesPerPage but no TagsPerPage is paged by
    its resources alone (AWS recommends ResourcesPerPage instead of
    TagsPerPage; moto counted a default of 100 tags a page, so that 100
    resources with two tags each took two pages): the largest tag limit
    AWS allows, 500, is taken.

Every other SageMaker type is answered as moto does. install() patches
moto in this process; call it before the server starts.
"""

from moto.core.resource_tagging import TaggedResource
from moto.resourcegroupstaggingapi import responses as rgt_responses
from moto.sagemaker import models as sm_models

B = sm_models.SageMakerModelBackend
_installed = False
_orig_iter = B.iter_tagged_resources

# resource type -> (backend attribute, the object's ARN)
LISTED = {
    "sagemaker:model": ("_models", lambda o: o.arn),
    "sagemaker:endpoint-config": ("endpoint_configs",
                                  lambda o: o.endpoint_config_arn),
    "sagemaker:endpoint": ("endpoints", lambda o: o.arn),
    "sagemaker:training-job": ("training_jobs", lambda o: o.arn),
    "sagemaker:notebook-instance": ("notebook_instances", lambda o: o.arn),
    "sagemaker:hyper-parameter-tuning-job": ("hyper_parameter_tuning_jobs",
                                             lambda o: o.arn),
}


def iter_tagged_resources(self):
    for resource in _orig_iter(self):
        if resource.resource_type not in LISTED:
            yield resource
    for resource_type, (attr, arn) in LISTED.items():
        for obj in list(getattr(self, attr).values()):
            tags = {t["Key"]: t["Value"]
                    for t in (getattr(obj, "tags", None) or [])}
            if tags:
                yield TaggedResource(arn=arn(obj), tags=tags,
                                     resource_type=resource_type)


R = rgt_responses.ResourceGroupsTaggingAPIResponse
_orig_get_resources = R.get_resources


def get_resources(self):
    if self._get_param("TagsPerPage") is None:
        as_int = self._get_int_param

        def int_param(name, default=None):
            if name == "TagsPerPage":
                return 500
            return as_int(name, default)
        self._get_int_param = int_param
    return _orig_get_resources(self)


def install():
    global _installed
    if _installed:
        return
    _installed = True
    B.iter_tagged_resources = iter_tagged_resources
    R.get_resources = get_resources
