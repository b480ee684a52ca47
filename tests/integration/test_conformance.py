"""The conformance suite: every resource type, driven through the same
life by one table entry each (docs/adding-a-resource.md).

For each type: create, then a plan with nothing to do; an in-place update;
drift made with boto3, reported and put right; a forcing change; destroy,
with nothing of it left in boto3's listings. For every call that changes
AWS, that call's answer lost once after AWS acted: the run still
converges. And the object forgotten with `state rm`, then imported back
into a plan with nothing to do.

A type's entry names its resource "it" (with whatever it needs beside
it), three versions of its properties (v1; v2 changes it in place; v3
forces a new object), what boto3 should see after each (ids), how to make
it drift, and its mutating calls by phase.
"""

import json
from dataclasses import dataclass, field

import pytest

import moto_sagemaker
from helpers import (ACCOUNT_ID, NO_CHANGES, SAGEMAKER_TRUST, last_line,
                     plan_counts, state_list)

STACK = "conf"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT_ID}:role/conf-sagemaker"
IMAGE = f"{ACCOUNT_ID}.dkr.ecr.us-east-1.amazonaws.com/conf:"
S3_READ = "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"


@dataclass
class Type:
    name: str
    versions: tuple        # properties of "it": v1, v2 (in place), v3 (new)
    ids: object            # fn(clients) -> set of the type's objects
    expect: tuple          # what ids() gives after v1, v2, v3 (fn of ids)
    drift: object          # fn(clients, ids) changes it outside mlstack
    mutating: dict         # phase -> operations that change AWS
    extra: str = ""        # other resources "it" needs
    check: object = None   # fn(clients, version) -> None, asserts more
    files: dict = field(default_factory=dict)  # local files it reads


def sm_tags(c, arn):
    return {t["Key"]: t["Value"]
            for t in c["sagemaker"].list_tags(ResourceArn=arn)["Tags"]}


def model_names(c):
    return {m["ModelName"] for m in c["sagemaker"].list_models()["Models"]}


def config_names(c):
    return {x["EndpointConfigName"] for x in
            c["sagemaker"].list_endpoint_configs()["EndpointConfigs"]}


MODEL = f"""
  model:
    type: aws_sagemaker_model
    properties:
      execution_role_arn: {ROLE_ARN}
      primary_container: {{image: "{IMAGE}1"}}
"""

TYPES = [
    Type(
        "aws_s3_bucket",
        ("{bucket: conf-data}",
         "{bucket: conf-data, versioning: true}",
         "{bucket: conf-data-2, versioning: true}"),
        lambda c: {b["Name"] for b in c["s3"].list_buckets()["Buckets"]},
        ({"conf-data"}, {"conf-data"}, {"conf-data-2"}),
        lambda c, ids: c["s3"].put_bucket_versioning(
            Bucket="conf-data",
            VersioningConfiguration={"Status": "Suspended"}),
        {"create": ["CreateBucket", "PutBucketTagging",
                    "PutPublicAccessBlock"],
         "update": ["PutBucketVersioning"],
         "delete": ["DeleteBucket"]},
        check=lambda c, v: v == 1 or c["s3"].get_bucket_versioning(
            Bucket="conf-data-2" if v == 3 else "conf-data")["Status"]
        == "Enabled"),
    Type(
        "aws_iam_role",
        (f"{{name: conf-role, assume_role_policy: {json.dumps(SAGEMAKER_TRUST)}}}",
         f"{{name: conf-role, assume_role_policy: "
         f"{json.dumps(SAGEMAKER_TRUST)}, description: trained, "
         f"managed_policy_arns: [{S3_READ}]}}",
         f"{{name: conf-role, path: /ml/, assume_role_policy: "
         f"{json.dumps(SAGEMAKER_TRUST)}, description: trained}}"),
        lambda c: {r["RoleName"] for r in c["iam"].list_roles()["Roles"]},
        ({"conf-role"},) * 3,
        lambda c, ids: c["iam"].update_role(RoleName="conf-role",
                                            Description="by hand"),
        {"create": ["CreateRole"],
         "update": ["UpdateRole", "AttachRolePolicy"],
         "delete": ["DetachRolePolicy", "DeleteRole"]},
        check=lambda c, v: c["iam"].get_role(RoleName="conf-role")[
            "Role"]["Path"] == ("/ml/" if v == 3 else "/")),
    Type(
        "aws_sagemaker_model",
        (f"{{execution_role_arn: {ROLE_ARN}, "
         f"primary_container: {{image: \"{IMAGE}1\"}}}}",
         f"{{execution_role_arn: {ROLE_ARN}, "
         f"primary_container: {{image: \"{IMAGE}1\"}}, tags: {{v: 2}}}}",
         f"{{execution_role_arn: {ROLE_ARN}, "
         f"primary_container: {{image: \"{IMAGE}3\"}}, tags: {{v: 2}}}}"),
        model_names,
        (1, 1, 1),
        lambda c, ids: c["sagemaker"].add_tags(
            ResourceArn=c["sagemaker"].describe_model(
                ModelName=min(ids))["ModelArn"],
            Tags=[{"Key": "v", "Value": "by hand"}]),
        {"create": ["CreateModel"], "update": ["AddTags"],
         "delete": ["DeleteModel"]}),
    Type(
        "aws_sagemaker_endpoint_configuration",
        ("{production_variants: [{variant_name: AllTraffic, "
         "model_name: '${model.name}', instance_type: ml.m5.large}]}",
         "{production_variants: [{variant_name: AllTraffic, "
         "model_name: '${model.name}', instance_type: ml.m5.large}], "
         "tags: {v: 2}}",
         "{production_variants: [{variant_name: AllTraffic, "
         "model_name: '${model.name}', instance_type: ml.m5.xlarge}], "
         "tags: {v: 2}}"),
        config_names,
        (1, 1, 1),
        lambda c, ids: c["sagemaker"].delete_tags(
            ResourceArn=c["sagemaker"].describe_endpoint_config(
                EndpointConfigName=min(ids))["EndpointConfigArn"],
            TagKeys=["mlstack:resource"]),
        {"create": ["CreateEndpointConfig"], "update": ["AddTags"],
         "delete": ["DeleteEndpointConfig"]},
        extra=MODEL),
    Type(
        "aws_sagemaker_endpoint",
        ("{name: conf-endpoint, endpoint_config_name: '${one.name}'}",
         "{name: conf-endpoint, endpoint_config_name: '${two.name}'}",
         "{name: conf-endpoint-2, endpoint_config_name: '${two.name}'}"),
        lambda c: {e["EndpointName"] for e in
                   c["sagemaker"].list_endpoints()["Endpoints"]},
        ({"conf-endpoint"}, {"conf-endpoint"}, {"conf-endpoint-2"}),
        lambda c, ids: c["sagemaker"].add_tags(
            ResourceArn=c["sagemaker"].describe_endpoint(
                EndpointName="conf-endpoint")["EndpointArn"],
            Tags=[{"Key": "team", "Value": "by hand"}]),
        {"create": ["CreateEndpoint"], "update": ["UpdateEndpoint"],
         "delete": ["DeleteEndpoint"]},
        extra=MODEL + """
  one:
    type: aws_sagemaker_endpoint_configuration
    properties:
      production_variants:
        - {variant_name: AllTraffic, model_name: "${model.name}",
           instance_type: ml.m5.large}
  two:
    type: aws_sagemaker_endpoint_configuration
    properties:
      production_variants:
        - {variant_name: AllTraffic, model_name: "${model.name}",
           instance_type: ml.m5.xlarge}
""",
        check=lambda c, v: c["sagemaker"].describe_endpoint(
            EndpointName="conf-endpoint-2" if v == 3 else "conf-endpoint")[
            "EndpointConfigName"].startswith(
                f"{STACK}-one-" if v == 1 else f"{STACK}-two-")),
    Type(
        "aws_sagemaker_notebook_instance",
        (f"{{name: conf-nb, instance_type: ml.t3.medium, "
         f"role_arn: {ROLE_ARN}}}",
         f"{{name: conf-nb, instance_type: ml.t3.large, "
         f"role_arn: {ROLE_ARN}}}",
         f"{{name: conf-nb, instance_type: ml.t3.large, "
         f"role_arn: {ROLE_ARN}, direct_internet_access: false}}"),
        lambda c: {n["NotebookInstanceName"] for n in c["sagemaker"]
                   .list_notebook_instances()["NotebookInstances"]},
        ({"conf-nb"},) * 3,
        lambda c, ids: c["sagemaker"].add_tags(
            ResourceArn=c["sagemaker"].describe_notebook_instance(
                NotebookInstanceName="conf-nb")["NotebookInstanceArn"],
            Tags=[{"Key": "team", "Value": "by hand"}]),
        {"create": ["CreateNotebookInstance"],
         "update": ["StopNotebookInstance", "UpdateNotebookInstance",
                    "StartNotebookInstance"],
         "delete": ["StopNotebookInstance", "DeleteNotebookInstance"]},
        check=lambda c, v: c["sagemaker"].describe_notebook_instance(
            NotebookInstanceName="conf-nb")["InstanceType"] ==
        ("ml.t3.medium" if v == 1 else "ml.t3.large")),
]

def job_check(c, v):
    """A job ran the version's hyperparameters to the end (jobs are never
    deleted, only stopped and forgotten)."""
    sm = c["sagemaker"]
    done = [sm.describe_training_job(TrainingJobName=j["TrainingJobName"])
            for j in sm.list_training_jobs()["TrainingJobSummaries"]]
    want = "0.1" if v == 3 else "0.01"
    return any(j["TrainingJobStatus"] == "Completed" and
               j["HyperParameters"]["lr"] == want for j in done) and \
        len(done) == (2 if v == 3 else 1)


def job(lr, tags=""):
    return (f"{{role_arn: {ROLE_ARN}, algorithm_specification: "
            f"{{training_image: \"{IMAGE}t\"}}, hyper_parameters: "
            f"{{lr: \"{lr}\"}}, output_data_config: "
            f"{{s3_output_path: \"s3://${{out.bucket}}/m\"}}, "
            f"resource_config: {{instance_type: ml.m5.xlarge}}{tags}}}")


TYPES.append(Type(
    "aws_sagemaker_training_job",
    (job("0.01"), job("0.01", ", tags: {v: 2}"), job("0.1", ", tags: {v: 2}")),
    lambda c: {j["TrainingJobName"] for j in c["sagemaker"].list_training_jobs(
        StatusEquals="InProgress")["TrainingJobSummaries"]},
    (set(), set(), set()),
    lambda c, ids: c["sagemaker"].add_tags(
        ResourceArn=c["sagemaker"].list_training_jobs()[
            "TrainingJobSummaries"][0]["TrainingJobArn"],
        Tags=[{"Key": "v", "Value": "by hand"}]),
    {"create": ["CreateTrainingJob"], "update": ["AddTags"]},
    extra="""
  out:
    type: aws_s3_bucket
    properties: {bucket: conf-out, force_destroy: true}
""",
    check=job_check))

def tuner(lr_max, tags=""):
    return (f"{{objective: {{type: Maximize, metric_name: acc}}, "
            f"resource_limits: {{max_number_of_training_jobs: 2, "
            f"max_parallel_training_jobs: 1}}, parameter_ranges: "
            f"{{continuous: [{{name: lr, min_value: 0.001, "
            f"max_value: {lr_max}}}]}}, training_job_definition: "
            f"{{role_arn: {ROLE_ARN}, algorithm_specification: "
            f"{{training_image: \"{IMAGE}t\", metric_definitions: "
            f"[{{name: acc, regex: \"acc=(.*)\"}}]}}, output_data_config: "
            f"{{s3_output_path: \"s3://${{out.bucket}}/t\"}}, "
            f"resource_config: {{instance_type: ml.m5.xlarge}}}}{tags}}}")


def tuner_check(c, v):
    sm = c["sagemaker"]
    jobs = [sm.describe_hyper_parameter_tuning_job(
        HyperParameterTuningJobName=j["HyperParameterTuningJobName"])
        for j in sm.list_hyper_parameter_tuning_jobs()[
            "HyperParameterTuningJobSummaries"]]
    return len(jobs) == (2 if v == 3 else 1) and all(
        j["HyperParameterTuningJobStatus"] == "Completed" and
        j["BestTrainingJob"]["TrainingJobName"] for j in jobs)


TYPES.append(Type(
    "aws_sagemaker_hyper_parameter_tuning_job",
    (tuner("0.1"), tuner("0.1", ", tags: {v: 2}"),
     tuner("0.2", ", tags: {v: 2}")),
    lambda c: {j["HyperParameterTuningJobName"] for j in
               c["sagemaker"].list_hyper_parameter_tuning_jobs(
                   StatusEquals="InProgress")[
                   "HyperParameterTuningJobSummaries"]},
    (set(), set(), set()),
    lambda c, ids: c["sagemaker"].add_tags(
        ResourceArn=c["sagemaker"].list_hyper_parameter_tuning_jobs()[
            "HyperParameterTuningJobSummaries"][0][
            "HyperParameterTuningJobArn"],
        Tags=[{"Key": "v", "Value": "by hand"}]),
    {"create": ["CreateHyperParameterTuningJob"], "update": ["AddTags"]},
    extra="""
  out:
    type: aws_s3_bucket
    properties: {bucket: conf-out, force_destroy: true}
""",
    check=tuner_check))

def s3_keys(c):
    if "conf-data" not in {b["Name"] for b in c["s3"].list_buckets()["Buckets"]}:
        return set()
    return {o["Key"] for o in c["s3"].list_objects_v2(
        Bucket="conf-data").get("Contents", [])}


DATA_BUCKET = """
  store:
    type: aws_s3_bucket
    properties: {bucket: conf-data, force_destroy: true}
"""

TYPES.append(Type(
    "aws_s3_object",
    ("{bucket: '${store.bucket}', key: a.txt, content: one}",
     "{bucket: '${store.bucket}', key: a.txt, content: two, tags: {v: 2}}",
     "{bucket: '${store.bucket}', key: b.txt, source: files/b.txt}"),
    s3_keys,
    ({"a.txt"}, {"a.txt"}, {"b.txt"}),
    lambda c, ids: c["s3"].put_object(Bucket="conf-data", Key="a.txt",
                                      Body=b"by hand"),
    {"create": ["PutObject"], "update": ["PutObject"],
     "delete": ["DeleteObject"]},
    extra=DATA_BUCKET,
    files={"files/b.txt": b"bee"},
    check=lambda c, v: c["s3"].get_object(
        Bucket="conf-data", Key="b.txt" if v == 3 else "a.txt")[
        "Body"].read() == {1: b"one", 2: b"two", 3: b"bee"}[v]))

TYPES.append(Type(
    "aws_s3_objects",
    ("{bucket: '${store.bucket}', prefix: p, source: files}",
     "{bucket: '${store.bucket}', prefix: p, source: files, "
     "exclude: ['b.*']}",
     "{bucket: '${store.bucket}', prefix: q, source: files, "
     "exclude: ['b.*']}"),
    s3_keys,
    ({"p/a.txt", "p/b.txt"}, {"p/a.txt"}, {"q/a.txt"}),
    lambda c, ids: c["s3"].put_object(Bucket="conf-data", Key="p/a.txt",
                                      Body=b"by hand"),
    {"create": ["PutObject"], "update": ["DeleteObjects"],
     "delete": ["DeleteObjects"]},
    extra=DATA_BUCKET,
    files={"files/a.txt": b"aye", "files/b.txt": b"bee"},
    check=lambda c, v: c["s3"].get_object(
        Bucket="conf-data", Key="q/a.txt" if v == 3 else "p/a.txt")[
        "Body"].read() == b"aye"))

def doc(*actions):
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": list(actions), "Resource": "*"}]})


def local_policies(c):
    return {p["PolicyName"]: p for p in
            c["iam"].list_policies(Scope="Local")["Policies"]}


def policy_check(c, v):
    p = local_policies(c)["conf-pol"]
    got = c["iam"].get_policy_version(
        PolicyArn=p["Arn"], VersionId=p["DefaultVersionId"])[
        "PolicyVersion"]["Document"]
    want = ["s3:GetObject"] if v == 1 else ["s3:GetObject", "s3:ListBucket"]
    return p["Path"] == ("/ml/" if v == 3 else "/") and \
        got["Statement"][0]["Action"] == want


TYPES.append(Type(
    "aws_iam_policy",
    (f"{{name: conf-pol, policy: {doc('s3:GetObject')}}}",
     f"{{name: conf-pol, policy: {doc('s3:GetObject', 's3:ListBucket')}, "
     f"tags: {{v: 2}}}}",
     f"{{name: conf-pol, path: /ml/, "
     f"policy: {doc('s3:GetObject', 's3:ListBucket')}, tags: {{v: 2}}}}"),
    lambda c: set(local_policies(c)),
    ({"conf-pol"},) * 3,
    lambda c, ids: c["iam"].create_policy_version(
        PolicyArn=local_policies(c)["conf-pol"]["Arn"],
        PolicyDocument=doc("s3:*"), SetAsDefault=True),
    {"create": ["CreatePolicy"],
     "update": ["CreatePolicyVersion", "TagPolicy"],
     "delete": ["DeletePolicy"]},
    check=policy_check))

SCALING = ("service_namespace: sagemaker, scalable_dimension: "
           "'sagemaker:variant:DesiredInstanceCount'")


ENDPOINTS = MODEL + """
  one:
    type: aws_sagemaker_endpoint_configuration
    properties:
      production_variants:
        - {variant_name: AllTraffic, model_name: "${model.name}",
           instance_type: ml.m5.large}
  ep:
    type: aws_sagemaker_endpoint
    properties: {name: conf-ep, endpoint_config_name: '${one.name}'}
  ep2:
    type: aws_sagemaker_endpoint
    properties: {name: conf-ep2, endpoint_config_name: '${one.name}'}
"""


def scalable(c):
    return {t["ResourceId"]: t for t in c["application-autoscaling"].
            describe_scalable_targets(ServiceNamespace="sagemaker")[
                "ScalableTargets"]}


TYPES.append(Type(
    "aws_appautoscaling_target",
    (f"{{{SCALING}, resource_id: 'endpoint/${{ep.name}}/variant/AllTraffic', "
     f"min_capacity: 1, max_capacity: 4}}",
     f"{{{SCALING}, resource_id: 'endpoint/${{ep.name}}/variant/AllTraffic', "
     f"min_capacity: 1, max_capacity: 6, tags: {{v: 2}}}}",
     f"{{{SCALING}, resource_id: 'endpoint/${{ep2.name}}/variant/AllTraffic', "
     f"min_capacity: 1, max_capacity: 6}}"),
    lambda c: set(scalable(c)),
    ({"endpoint/conf-ep/variant/AllTraffic"},) * 2 +
    ({"endpoint/conf-ep2/variant/AllTraffic"},),
    lambda c, ids: c["application-autoscaling"].register_scalable_target(
        ServiceNamespace="sagemaker", ResourceId=min(ids),
        ScalableDimension="sagemaker:variant:DesiredInstanceCount",
        MaxCapacity=9),
    {"create": ["RegisterScalableTarget"],
     "update": ["RegisterScalableTarget"],
     "delete": ["DeregisterScalableTarget"]},
    extra=ENDPOINTS,
    check=lambda c, v: list(scalable(c).values())[0]["MaxCapacity"] ==
    (4 if v == 1 else 6)))

TARGET = ENDPOINTS + f"""
  target:
    type: aws_appautoscaling_target
    properties: {{{SCALING}, resource_id: 'endpoint/${{ep.name}}/variant/AllTraffic',
                 min_capacity: 1, max_capacity: 4}}
"""


def tracking(target, cooldown):
    return (f"{{name: conf-scale, {SCALING}, "
            f"resource_id: '${{target.resource_id}}', "
            f"target_tracking_scaling_policy_configuration: "
            f"{{target_value: {target}, scale_in_cooldown: {cooldown}, "
            f"scale_out_cooldown: 5, predefined_metric_specification: "
            f"{{predefined_metric_type: "
            f"SageMakerVariantInvocationsPerInstance}}}}}}")


def scaling_policies(c):
    return {p["PolicyName"]: p for p in c["application-autoscaling"].
            describe_scaling_policies(ServiceNamespace="sagemaker")[
                "ScalingPolicies"]}


TYPES.append(Type(
    "aws_appautoscaling_policy",
    (tracking(25, 30), tracking(50, 30),
     tracking(50, 30).replace("conf-scale", "conf-scale-2")),
    lambda c: set(scaling_policies(c)),
    ({"conf-scale"}, {"conf-scale"}, {"conf-scale-2"}),
    lambda c, ids: c["application-autoscaling"].put_scaling_policy(
        PolicyName="conf-scale", ServiceNamespace="sagemaker",
        ResourceId="endpoint/conf-ep/variant/AllTraffic",
        ScalableDimension="sagemaker:variant:DesiredInstanceCount",
        PolicyType="TargetTrackingScaling",
        TargetTrackingScalingPolicyConfiguration={
            "TargetValue": 99.0, "PredefinedMetricSpecification": {
                "PredefinedMetricType":
                    "SageMakerVariantInvocationsPerInstance"}}),
    {"create": ["PutScalingPolicy"], "update": ["PutScalingPolicy"],
     "delete": ["DeleteScalingPolicy"]},
    extra=TARGET,
    check=lambda c, v: list(scaling_policies(c).values())[0][
        "TargetTrackingScalingPolicyConfiguration"]["TargetValue"] ==
    (25 if v == 1 else 50)))

LAMBDA_ROLE = """
  role:
    type: aws_iam_role
    properties:
      name: conf-fn-role
      assume_role_policy: {Version: "2012-10-17", Statement: [{Effect: Allow, Principal: {Service: lambda.amazonaws.com}, Action: "sts:AssumeRole"}]}
"""


def function(name, env, tags=""):
    return (f"{{function_name: {name}, role: '${{role.arn}}', "
            f"runtime: python3.12, handler: handler.main, source: code, "
            f"environment: {{MODE: {env}}}{tags}}}")


def functions(c):
    return {f["FunctionName"]: f for f in
            c["lambda"].list_functions()["Functions"]}


TYPES.append(Type(
    "aws_lambda_function",
    (function("conf-fn", "a"), function("conf-fn", "b", ", tags: {v: 2}"),
     function("conf-fn-2", "b", ", tags: {v: 2}")),
    lambda c: set(functions(c)),
    ({"conf-fn"}, {"conf-fn"}, {"conf-fn-2"}),
    lambda c, ids: c["lambda"].update_function_configuration(
        FunctionName=min(ids), Timeout=30),
    {"create": ["CreateFunction"],
     "update": ["UpdateFunctionConfiguration", "TagResource"],
     "delete": ["DeleteFunction"]},
    extra=LAMBDA_ROLE,
    files={"code/handler.py": b"def main(event, context):\n    return 1\n"},
    check=lambda c, v: list(functions(c).values())[0]["Environment"][
        "Variables"]["MODE"] == ("a" if v == 1 else "b")))

PUBLISHED = LAMBDA_ROLE + """
  fn:
    type: aws_lambda_function
    properties: {function_name: conf-fn, role: '${role.arn}', runtime: python3.12, handler: handler.main, source: code, publish: true}
"""
CODE = {"code/handler.py": b"def main(event, context):\n    return 1\n"}


def aliases(c):
    return {a["Name"]: a for a in c["lambda"].list_aliases(
        FunctionName="conf-fn")["Aliases"]} if functions(c) else {}


TYPES.append(Type(
    "aws_lambda_alias",
    ("{name: live, function_name: '${fn.function_name}', "
     "function_version: '${fn.version}'}",
     "{name: live, function_name: '${fn.function_name}', "
     "function_version: '${fn.version}', description: serving}",
     "{name: live2, function_name: '${fn.function_name}', "
     "function_version: '${fn.version}', description: serving}"),
    lambda c: set(aliases(c)),
    ({"live"}, {"live"}, {"live2"}),
    lambda c, ids: c["lambda"].update_alias(
        FunctionName="conf-fn", Name=min(ids), FunctionVersion="$LATEST"),
    {"create": ["CreateAlias"], "update": ["UpdateAlias"],
     "delete": ["DeleteAlias"]},
    extra=PUBLISHED, files=CODE,
    check=lambda c, v: list(aliases(c).values())[0]["FunctionVersion"] ==
    "1"))


def warm(c):
    if not functions(c):
        return {}
    return {p["FunctionArn"].rsplit(":", 1)[-1]: p for p in
            c["lambda"].list_provisioned_concurrency_configs(
                FunctionName="conf-fn")["ProvisionedConcurrencyConfigs"]}


TYPES.append(Type(
    "aws_lambda_provisioned_concurrency_config",
    ("{function_name: '${fn.function_name}', qualifier: '${fn.version}', "
     "provisioned_concurrent_executions: 2}",
     "{function_name: '${fn.function_name}', qualifier: '${fn.version}', "
     "provisioned_concurrent_executions: 3}",
     "{function_name: '${fn.function_name}', qualifier: '${live.name}', "
     "provisioned_concurrent_executions: 3}"),
    lambda c: set(warm(c)),
    ({"1"}, {"1"}, {"live"}),
    lambda c, ids: c["lambda"].put_provisioned_concurrency_config(
        FunctionName="conf-fn", Qualifier=min(ids),
        ProvisionedConcurrentExecutions=5),
    {"create": ["PutProvisionedConcurrencyConfig"],
     "update": ["PutProvisionedConcurrencyConfig"],
     "delete": ["DeleteProvisionedConcurrencyConfig"]},
    extra=PUBLISHED + """
  live:
    type: aws_lambda_alias
    properties: {name: live, function_name: '${fn.function_name}', function_version: '${fn.version}'}
""",
    files=CODE,
    check=lambda c, v: list(warm(c).values())[0][
        "RequestedProvisionedConcurrentExecutions"] == (2 if v == 1 else 3)))

def profiles(c):
    return {p["InstanceProfileName"]: p for p in
            c["iam"].list_instance_profiles()["InstanceProfiles"]}


def profile_role(c, name):
    roles = profiles(c)[name]["Roles"]
    return roles[0]["RoleName"] if roles else None


TYPES.append(Type(
    "aws_iam_instance_profile",
    ("{name: conf-host, role: '${a.name}'}",
     "{name: conf-host, role: '${b.name}', tags: {v: 2}}",
     "{name: conf-host, path: /ml/, role: '${b.name}', tags: {v: 2}}"),
    lambda c: set(profiles(c)),
    ({"conf-host"},) * 3,
    lambda c, ids: c["iam"].remove_role_from_instance_profile(
        InstanceProfileName="conf-host",
        RoleName=profile_role(c, "conf-host")),
    {"create": ["CreateInstanceProfile", "AddRoleToInstanceProfile"],
     "update": ["RemoveRoleFromInstanceProfile", "AddRoleToInstanceProfile",
                "TagInstanceProfile"],
     "delete": ["RemoveRoleFromInstanceProfile", "DeleteInstanceProfile"]},
    extra="""
  a:
    type: aws_iam_role
    properties: {name: conf-host-a, assume_role_policy: {Version: "2012-10-17", Statement: [{Effect: Allow, Principal: {Service: ec2.amazonaws.com}, Action: "sts:AssumeRole"}]}}
  b:
    type: aws_iam_role
    properties: {name: conf-host-b, assume_role_policy: {Version: "2012-10-17", Statement: [{Effect: Allow, Principal: {Service: ec2.amazonaws.com}, Action: "sts:AssumeRole"}]}}
""",
    check=lambda c, v: profile_role(c, "conf-host") ==
    ("conf-host-a" if v == 1 else "conf-host-b")))

def ed25519_public(seed):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519
    key = ed25519.Ed25519PrivateKey.from_private_bytes(bytes([seed]) * 32)
    return key.public_key().public_bytes(
        serialization.Encoding.OpenSSH,
        serialization.PublicFormat.OpenSSH).decode()


def key_pairs(c):
    return {k["KeyName"]: k for k in
            c["ec2"].describe_key_pairs()["KeyPairs"]}


TYPES.append(Type(
    "aws_key_pair",
    (f"{{key_name: conf-key, public_key: '{ed25519_public(1)}'}}",
     f"{{key_name: conf-key, public_key: '{ed25519_public(1)}', "
     f"tags: {{v: 2}}}}",
     f"{{key_name: conf-key, public_key: '{ed25519_public(2)}', "
     f"tags: {{v: 2}}}}"),
    lambda c: set(key_pairs(c)),
    ({"conf-key"},) * 3,
    lambda c, ids: c["ec2"].create_tags(
        Resources=[key_pairs(c)["conf-key"]["KeyPairId"]],
        Tags=[{"Key": "v", "Value": "by hand"}]),
    {"create": ["ImportKeyPair"], "update": ["CreateTags"],
     "delete": ["DeleteKeyPair"]}))

def groups(c):
    return {g["GroupName"]: g for g in
            c["ec2"].describe_security_groups()["SecurityGroups"]
            if g["GroupName"].startswith("conf-")}


def ssh(cidr, desc="SSH"):
    return (f"{{name: conf-sg, description: {desc}, ingress: [{{protocol: "
            f"tcp, from_port: 22, to_port: 22, cidr_blocks: ['{cidr}']}}]}}")


TYPES.append(Type(
    "aws_security_group",
    (ssh("203.0.113.0/24"), ssh("198.51.100.0/24"),
     ssh("198.51.100.0/24", "SSH only")),
    lambda c: set(groups(c)),
    ({"conf-sg"},) * 3,
    lambda c, ids: c["ec2"].authorize_security_group_ingress(
        GroupId=groups(c)["conf-sg"]["GroupId"],
        IpPermissions=[{"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80,
                        "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]),
    {"create": ["CreateSecurityGroup"],
     "update": ["AuthorizeSecurityGroupIngress",
                "RevokeSecurityGroupIngress"],
     "delete": ["DeleteSecurityGroup"]},
    check=lambda c, v: groups(c)["conf-sg"]["IpPermissions"][0][
        "IpRanges"][0]["CidrIp"] ==
    ("203.0.113.0/24" if v == 1 else "198.51.100.0/24")))

def instances(c):
    return {i["InstanceId"]: i for r in c["ec2"].describe_instances()[
        "Reservations"] for i in r["Instances"]
        if i["State"]["Name"] != "terminated"}


def amis():
    """Two of the images moto holds from the start."""
    return ("ami-000050f7a0e5e0224", "ami-00056ab1a7d829465")


TYPES.append(Type(
    "aws_instance",
    (f"{{ami: {amis()[0]}, instance_type: t3.micro}}",
     f"{{ami: {amis()[0]}, instance_type: t3.small, tags: {{v: 2}}}}",
     f"{{ami: {amis()[1]}, instance_type: t3.small, tags: {{v: 2}}}}"),
    lambda c: set(instances(c)),
    (1, 1, 1),
    lambda c, ids: c["ec2"].stop_instances(InstanceIds=[min(ids)]),
    {"create": ["RunInstances"],
     "update": ["StopInstances", "ModifyInstanceAttribute",
                "StartInstances"],
     "delete": ["TerminateInstances"]},
    check=lambda c, v: [(i["ImageId"], i["InstanceType"],
                         i["State"]["Name"])
                        for i in instances(c).values()] ==
    [(amis()[0 if v < 3 else 1], "t3.micro" if v == 1 else "t3.small",
      "running")]))

BY_NAME = {t.name: t for t in TYPES}


def write_files(cli, t):
    for rel, data in t.files.items():
        path = cli.workdir / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def stack(t, version):
    return (f"stack: {STACK}\nresources:\n{t.extra.strip(chr(10))}\n"
            f"  it:\n    type: {t.name}\n"
            f"    properties: {t.versions[version - 1]}\n")


@pytest.fixture(autouse=True)
def fast(cli):
    cli.env["MLSTACK_WAIT_DELAY"] = "0.05"
    moto_sagemaker.control.polls = 1


@pytest.fixture
def clients(emulator):
    return {s: emulator.client(s) for s in
            ("s3", "iam", "sagemaker", "application-autoscaling",
             "lambda", "ec2")}


def apply(run, t=None, version=None):
    kw = {"stack": stack(t, version)} if t else {}
    code, out, err = run("apply", "--auto-approve", **kw)
    assert code == 0, out + err
    return out


def assert_no_changes(run):
    code, out, err = run("plan", "--detailed-exitcode")
    assert code == 0 and last_line(out) == NO_CHANGES, out + err


def assert_version(t, clients, version):
    """boto3 sees what version asked for: its objects, and its details."""
    want = t.expect[version - 1]
    got = t.ids(clients)
    if isinstance(want, int):   # auto-named: how many, not which
        assert len(got) == want, got
    else:
        assert got == want
    if t.check:
        assert t.check(clients, version) is not False


def test_table_covers_every_type(run):
    _, out, _ = run("schema")
    assert set(out.split()) == set(BY_NAME)


@pytest.mark.parametrize("name", list(BY_NAME))
def test_life(name, run, cli, clients):
    t = BY_NAME[name]
    write_files(cli, t)
    apply(run, t, 1)
    assert_version(t, clients, 1)
    assert_no_changes(run)

    code, out, _ = run("plan", "--detailed-exitcode", stack=stack(t, 2))
    assert code == 2 and "# it will be updated in place" in out, out
    apply(run)
    assert_version(t, clients, 2)
    assert_no_changes(run)

    t.drift(clients, t.ids(clients))
    code, out, _ = run("plan", "--detailed-exitcode")
    assert code == 2, out
    assert "# it has changed outside of mlstack" in out
    assert plan_counts(out) == (0, 1, 0)
    apply(run)
    assert_no_changes(run)

    code, out, _ = run("plan", "--detailed-exitcode", stack=stack(t, 3))
    assert code == 2 and "# it must be replaced" in out, out
    apply(run)
    assert_version(t, clients, 3)
    assert_no_changes(run)

    code, out, err = run("destroy", "--auto-approve")
    assert code == 0, out + err
    assert t.ids(clients) == set()
    assert state_list(run) == set()


LOST = [(t.name, phase, op) for t in TYPES
        for phase, ops in t.mutating.items() for op in ops]


@pytest.mark.parametrize("name,phase,operation", LOST,
                         ids=[f"{n}-{op}" for n, _, op in LOST])
def test_answer_lost(name, phase, operation, run, cli, proxy, clients):
    t = BY_NAME[name]
    write_files(cli, t)
    if phase != "create":
        apply(run, t, 1 if phase == "update" else 2)
    rule = proxy.inject("reset-after", operation=operation, calls=[1])
    if phase == "delete":
        code, out, err = run("destroy", "--auto-approve")
        assert code == 0, out + err
        assert t.ids(clients) == set()
    else:
        version = 1 if phase == "create" else 2
        apply(run, t, version)
        assert_version(t, clients, version)
        assert_no_changes(run)
    assert rule.injected == 1, f"{operation} was never called"


@pytest.mark.parametrize("name", list(BY_NAME))
def test_import(name, run, cli, proxy, clients):
    t = BY_NAME[name]
    write_files(cli, t)
    apply(run, t, 1)
    stored = json.loads(run("state", "show", "it", "--json")[1])
    proxy.clear_calls()
    code, _, err = run("state", "rm", "it")
    assert code == 0, err
    code, _, err = run("import", "it", stored["id"])
    assert code == 0, err
    assert [c.operation for c in proxy.calls()
            if not c.operation.startswith(("Get", "List", "Describe",
                                           "Head"))] == []
    assert_no_changes(run)
    code, out, err = run("destroy", "--auto-approve")
    assert code == 0, out + err
    assert t.ids(clients) == set()
