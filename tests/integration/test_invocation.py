"""The joints of the invocation path: an endpoint whose variant scales
(Application Auto Scaling) is updated and deleted as SageMaker allows it,
and keeps the instance count auto scaling reached when only its model
changes."""

import moto_sagemaker
from helpers import ACCOUNT_ID

STACK = "inv"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT_ID}:role/inv-sagemaker"
IMAGE = f"{ACCOUNT_ID}.dkr.ecr.us-east-1.amazonaws.com/dogs:"
RID = "endpoint/inv-endpoint/variant/AllTraffic"


def stack(instance_type="ml.m5.large", image="1"):
    return f"""
stack: {STACK}
resources:
  model:
    type: aws_sagemaker_model
    properties:
      execution_role_arn: {ROLE_ARN}
      primary_container: {{image: "{IMAGE}{image}"}}
  config:
    type: aws_sagemaker_endpoint_configuration
    properties:
      production_variants:
        - {{variant_name: AllTraffic, model_name: "${{model.name}}",
           instance_type: {instance_type}, initial_instance_count: 1}}
  endpoint:
    type: aws_sagemaker_endpoint
    properties: {{name: inv-endpoint, endpoint_config_name: "${{config.name}}"}}
  scaling:
    type: aws_appautoscaling_target
    properties:
      service_namespace: sagemaker
      resource_id: endpoint/${{endpoint.name}}/variant/AllTraffic
      scalable_dimension: sagemaker:variant:DesiredInstanceCount
      min_capacity: 1
      max_capacity: 4
  scaling_policy:
    type: aws_appautoscaling_policy
    properties:
      name: inv-invocations
      service_namespace: ${{scaling.service_namespace}}
      resource_id: ${{scaling.resource_id}}
      scalable_dimension: ${{scaling.scalable_dimension}}
      target_tracking_scaling_policy_configuration:
        target_value: 25
        predefined_metric_specification:
          predefined_metric_type: SageMakerVariantInvocationsPerInstance
        scale_in_cooldown: 30
        scale_out_cooldown: 5
"""


def scaling_state(aas):
    targets = aas.describe_scalable_targets(
        ServiceNamespace="sagemaker", ResourceIds=[RID])["ScalableTargets"]
    policies = [p for page in aas.get_paginator(
        "describe_scaling_policies").paginate(
        ServiceNamespace="sagemaker", ResourceId=RID)
        for p in page["ScalingPolicies"]]
    return targets, policies


def test_scaling_endpoint_updates_and_deletes(run, cli, emulator, proxy):
    moto_sagemaker.control.polls = 1
    cli.env["MLSTACK_WAIT_DELAY"] = "0.05"
    sm = emulator.client("sagemaker")
    aas = emulator.client("application-autoscaling")
    run("apply", "-auto-approve", stack=stack(), check=True)
    targets, policies = scaling_state(aas)
    assert [(t["MinCapacity"], t["MaxCapacity"]) for t in targets] == [(1, 4)]
    cfg = policies[0]["TargetTrackingScalingPolicyConfiguration"]
    assert (cfg["TargetValue"], cfg["ScaleInCooldown"],
            cfg["ScaleOutCooldown"]) == (25, 30, 5)
    code, out, _ = run("plan", "-detailed-exitcode")
    assert code == 0, out

    # a new instance type: SageMaker refuses it while the variant scales
    proxy.clear_calls()
    _, out, _ = run("plan", stack=stack("ml.m5.xlarge"), check=True)
    assert "auto scaling" in out, out
    run("apply", "-auto-approve", check=True)
    ops = [c.operation for c in proxy.calls()
           if c.operation in ("DeleteScalingPolicy",
                              "DeregisterScalableTarget", "UpdateEndpoint",
                              "RegisterScalableTarget", "PutScalingPolicy")]
    assert ops == ["DeleteScalingPolicy", "DeregisterScalableTarget",
                   "UpdateEndpoint", "RegisterScalableTarget",
                   "PutScalingPolicy"], ops
    ep = sm.describe_endpoint(EndpointName="inv-endpoint")
    config = sm.describe_endpoint_config(
        EndpointConfigName=ep["EndpointConfigName"])
    assert config["ProductionVariants"][0]["InstanceType"] == "ml.m5.xlarge"
    targets, policies = scaling_state(aas)
    assert len(targets) == 1 and len(policies) == 1   # back on
    code, out, _ = run("plan", "-detailed-exitcode")
    assert code == 0, out

    # auto scaling reached 3 instances; a new model keeps them
    moto_sagemaker.control.scale("inv-endpoint", "AllTraffic", 3)
    proxy.clear_calls()
    run("apply", "-auto-approve", stack=stack("ml.m5.xlarge", image="2"),
        check=True)
    variant = sm.describe_endpoint(
        EndpointName="inv-endpoint")["ProductionVariants"][0]
    assert variant["DesiredInstanceCount"] == 3, variant
    assert "DeregisterScalableTarget" not in [
        c.operation for c in proxy.calls()]

    # destroy: the scaling goes before the endpoint
    proxy.clear_calls()
    run("destroy", "-auto-approve", check=True)
    ops = [c.operation for c in proxy.calls()]
    assert ops.index("DeregisterScalableTarget") < ops.index("DeleteEndpoint")
    assert scaling_state(aas) == ([], [])
    assert sm.list_endpoints()["Endpoints"] == []


def many_policies_stack(instance_type, n):
    out = stack(instance_type)
    for i in range(1, n):
        out += f"""
  scaling_policy{i}:
    type: aws_appautoscaling_policy
    properties:
      name: inv-invocations-{i}
      service_namespace: ${{scaling.service_namespace}}
      resource_id: ${{scaling.resource_id}}
      scalable_dimension: ${{scaling.scalable_dimension}}
      target_tracking_scaling_policy_configuration:
        target_value: {25 + i}
        predefined_metric_specification:
          predefined_metric_type: SageMakerVariantInvocationsPerInstance
"""
    return out


def test_more_policies_than_a_page_are_all_put_back(run, cli, emulator):
    # DescribeScalingPolicies answers 10 policies a page: taking the
    # scaling off for a new instance type must save and put back all 12
    moto_sagemaker.control.polls = 1
    cli.env["MLSTACK_WAIT_DELAY"] = "0.05"
    aas = emulator.client("application-autoscaling")
    run("apply", "-auto-approve",
        stack=many_policies_stack("ml.m5.large", 12), check=True)
    assert len(scaling_state(aas)[1]) == 12
    run("apply", "-auto-approve",
        stack=many_policies_stack("ml.m5.xlarge", 12), check=True)
    names = sorted(p["PolicyName"] for p in scaling_state(aas)[1])
    assert names == sorted(["inv-invocations"] + [
        f"inv-invocations-{i}" for i in range(1, 12)]), names
    code, out, _ = run("plan", "-detailed-exitcode")
    assert code == 0, out


PATH_STACK = stack() + """
  invoke_policy:
    type: aws_iam_policy
    properties:
      name: inv-invoke
      policy:
        Version: "2012-10-17"
        Statement:
          - {Effect: Allow, Action: "sagemaker:InvokeEndpoint", Resource: "${endpoint.arn}"}
  invoker_role:
    type: aws_iam_role
    properties:
      name: inv-invoker
      assume_role_policy: {Version: "2012-10-17", Statement: [{Effect: Allow, Principal: {Service: lambda.amazonaws.com}, Action: "sts:AssumeRole"}]}
      managed_policy_arns: ["${invoke_policy.arn}"]
  invoker:
    type: aws_lambda_function
    properties:
      function_name: inv-invoke-endpoint
      role: ${invoker_role.arn}
      runtime: python3.12
      handler: handler.lambda_handler
      source: lambda
      environment: {ENDPOINT_NAME: "${endpoint.name}"}
      publish: true
  warm:
    type: aws_lambda_provisioned_concurrency_config
    properties:
      function_name: ${invoker.function_name}
      qualifier: ${invoker.version}
      provisioned_concurrent_executions: 2
"""


def test_the_whole_invocation_path(run, cli, emulator, tmp_path):
    import os
    import shutil

    moto_sagemaker.control.polls = 1
    cli.env["MLSTACK_WAIT_DELAY"] = "0.05"
    (cli.workdir / "lambda").mkdir()
    (cli.workdir / "lambda/handler.py").write_text(
        "def lambda_handler(event, context):\n    return event\n")
    run("apply", "-auto-approve", stack=PATH_STACK, check=True)

    lam = emulator.client("lambda")
    aas = emulator.client("application-autoscaling")
    iam = emulator.client("iam")
    cfg = lam.get_function(FunctionName="inv-invoke-endpoint")["Configuration"]
    state = (cli.resources_dir(STACK) / "invoker.json").read_text()
    assert cfg["CodeSha256"] in state
    assert cfg["Environment"]["Variables"] == {"ENDPOINT_NAME": "inv-endpoint"}
    versions = [v["Version"] for v in lam.list_versions_by_function(
        FunctionName="inv-invoke-endpoint")["Versions"]]
    assert "1" in versions
    warm = lam.get_provisioned_concurrency_config(
        FunctionName="inv-invoke-endpoint", Qualifier="1")
    assert (warm["Status"], warm["RequestedProvisionedConcurrentExecutions"]) \
        == ("READY", 2)
    targets, policies = scaling_state(aas)
    assert [(t["MinCapacity"], t["MaxCapacity"]) for t in targets] == [(1, 4)]
    tt = policies[0]["TargetTrackingScalingPolicyConfiguration"]
    assert (tt["TargetValue"], tt["ScaleInCooldown"],
            tt["ScaleOutCooldown"]) == (25, 30, 5)
    # least privilege: the role may invoke that endpoint, nothing more
    arn = [p["PolicyArn"] for p in iam.list_attached_role_policies(
        RoleName="inv-invoker")["AttachedPolicies"]]
    assert len(arn) == 1 and "inv-invoke" in arn[0]

    code, out, _ = run("plan", "-detailed-exitcode")
    assert code == 0, out

    # another machine: a fresh checkout of the same sources (other file
    # times) and the shared state plans no change either
    other = tmp_path / "other-machine"
    shutil.copytree(cli.workdir, other, symlinks=True)
    for dirpath, _, names in os.walk(other / "lambda"):
        for n in names:
            os.utime(os.path.join(dirpath, n), (1_500_000_000,) * 2)
    code, out, _ = run("plan", "-detailed-exitcode", cwd=other)
    assert code == 0, out
