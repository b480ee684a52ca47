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
    policies = aas.describe_scaling_policies(
        ServiceNamespace="sagemaker", ResourceId=RID)["ScalingPolicies"]
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
