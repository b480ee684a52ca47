"""Refresh by listing for Application Auto Scaling (docs/refresh.md):
scalable targets and scaling policies are described 50 a request, every
page read, and every change made behind mlstack's back is still shown.
A target's tags still take one ListTagsForResource each (no call gives
the tags of many); what the answers do not hold is read alone.

The targets scale the provisioned concurrency of Lambda aliases, the
cheapest thing to scale in the emulator: one function and its aliases,
made with boto3 outside the stack."""

import io
import json
import zipfile

import pytest

from helpers import NO_CHANGES, call_counts, last_line, plan_counts
from helpers import apply_ok as apply
from helpers import plan_ok as plan

FUNCTION = "scale-fn"
DIMENSION = "lambda:function:ProvisionedConcurrency"
LAMBDA_TRUST = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
     "Action": "sts:AssumeRole"}]}


def rid(i):
    return f"function:{FUNCTION}:a{i}"


def target(i, min_capacity=1, max_capacity=4):
    return f"""  target{i}:
    type: aws_appautoscaling_target
    properties:
      service_namespace: lambda
      resource_id: "{rid(i)}"
      scalable_dimension: {DIMENSION}
      min_capacity: {min_capacity}
      max_capacity: {max_capacity}
      tags: {{team: ml}}"""


def policy(resource, name, on):
    return f"""  {resource}:
    type: aws_appautoscaling_policy
    properties:
      name: {name}
      service_namespace: lambda
      resource_id: ${{target{on}.resource_id}}
      scalable_dimension: {DIMENSION}
      target_tracking_scaling_policy_configuration:
        target_value: 0.7
        scale_in_cooldown: 60
        scale_out_cooldown: 30
        predefined_metric_specification:
          predefined_metric_type: LambdaProvisionedConcurrencyUtilization"""


def scaling_stack(n):
    """n targets with a policy each (policy i, warm-i, on target i)."""
    out = ["stack: scaling", "resources:"]
    for i in range(n):
        out.append(target(i))
        out.append(policy(f"policy{i}", f"warm-{i}", i))
    return "\n".join(out) + "\n"


@pytest.fixture
def aas(emulator, iam):
    """The aliases a0..a50 of one function, and the Application Auto
    Scaling client."""
    role = iam.create_role(RoleName="scale-fn-role",
                           AssumeRolePolicyDocument=json.dumps(LAMBDA_TRUST))
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as z:
        z.writestr("handler.py", "def main(event, context):\n    return 1\n")
    lam = emulator.client("lambda")
    lam.create_function(FunctionName=FUNCTION, Runtime="python3.12",
                        Role=role["Role"]["Arn"], Handler="handler.main",
                        Code={"ZipFile": code.getvalue()}, Publish=True)
    for i in range(51):
        lam.create_alias(FunctionName=FUNCTION, Name=f"a{i}",
                         FunctionVersion="1")
    return emulator.client("application-autoscaling")


AAS = "application-autoscaling"


def bodies(proxy, operation):
    return [json.loads(c.request.body)
            for c in proxy.calls(service=AAS, operation=operation)]


def test_unchanged_targets_and_policies_are_read_by_listing(run, aas, proxy):
    apply(run, stack=scaling_stack(5))
    proxy.clear_calls()

    code, out = plan(run)
    assert code == 0 and last_line(out) == NO_CHANGES, out
    # one Describe for the 5 targets, one for the 5 policies; the tags
    # of each target, which no call gives for many
    assert call_counts(proxy, AAS) == {"DescribeScalableTargets": 1,
                                       "ListTagsForResource": 5,
                                       "DescribeScalingPolicies": 1}
    [asked] = bodies(proxy, "DescribeScalableTargets")
    assert asked["ServiceNamespace"] == "lambda"
    assert sorted(asked["ResourceIds"]) == sorted(rid(i) for i in range(5))
    assert asked["ScalableDimension"] == DIMENSION
    assert asked["MaxResults"] == 50
    [asked] = bodies(proxy, "DescribeScalingPolicies")
    # policies of several targets: no one resource id to ask for
    assert sorted(asked["PolicyNames"]) == [f"warm-{i}" for i in range(5)]
    assert "ResourceId" not in asked and "ScalableDimension" not in asked
    assert asked["MaxResults"] == 10


def test_policies_of_one_target_are_asked_for_with_its_id(run, aas, proxy):
    text = scaling_stack(1) + "\n".join(
        policy(f"more{i}", f"more-{i}", 0) for i in range(3)) + "\n"
    apply(run, stack=text)
    proxy.clear_calls()

    code, out = plan(run)
    assert code == 0 and last_line(out) == NO_CHANGES, out
    assert call_counts(proxy, AAS)["DescribeScalingPolicies"] == 1
    [asked] = bodies(proxy, "DescribeScalingPolicies")
    assert sorted(asked["PolicyNames"]) == ["more-0", "more-1", "more-2",
                                            "warm-0"]
    assert asked["ResourceId"] == rid(0)
    assert asked["ScalableDimension"] == DIMENSION


def test_targets_and_policies_page_through_several_pages(run, aas, proxy):
    apply(run, stack=scaling_stack(5))
    proxy.clear_calls()

    code, out = plan(run, env={"MLSTACK_LIST_PAGE_SIZE": "2"})
    assert code == 0 and last_line(out) == NO_CHANGES, out
    # 5 of each, 2 a page: 3 pages each, nothing read one by one
    assert call_counts(proxy, AAS) == {"DescribeScalableTargets": 3,
                                       "ListTagsForResource": 5,
                                       "DescribeScalingPolicies": 3}
    for op in ("DescribeScalableTargets", "DescribeScalingPolicies"):
        pages = bodies(proxy, op)
        assert [p["MaxResults"] for p in pages] == [2, 2, 2]
        assert "NextToken" not in pages[0]
        assert pages[1]["NextToken"] != pages[2]["NextToken"]


def put_policy(aas, resource_id, name, drop=(), **config):
    tracking = {"TargetValue": 0.7, "ScaleInCooldown": 60,
                "ScaleOutCooldown": 30,
                "PredefinedMetricSpecification": {
                    "PredefinedMetricType":
                        "LambdaProvisionedConcurrencyUtilization"}}
    tracking.update(config)
    for key in drop:
        del tracking[key]
    aas.put_scaling_policy(
        PolicyName=name, ServiceNamespace="lambda", ResourceId=resource_id,
        ScalableDimension=DIMENSION, PolicyType="TargetTrackingScaling",
        TargetTrackingScalingPolicyConfiguration=tracking)


def register(aas, **kw):
    aas.register_scalable_target(ServiceNamespace="lambda",
                                 ResourceId=rid(1),
                                 ScalableDimension=DIMENSION, **kw)


def target_arn(aas):
    return aas.describe_scalable_targets(
        ServiceNamespace="lambda", ResourceIds=[rid(1)])[
            "ScalableTargets"][0]["ScalableTargetARN"]


@pytest.mark.parametrize("change, resource, shown", [
    ("min", "target1", "min_capacity"),
    ("max", "target1", "max_capacity"),
    ("tag", "target1", "tags"),
    ("untag", "target1", "tags"),
    ("tag_new", "target1", "tags"),
    ("target_value", "policy1", "target_value"),
    ("cooldown", "policy1", "scale_out_cooldown"),
    ("scale_in", "policy1", "disable_scale_in"),
    ("metric", "policy1", "customized_metric_specification"),
])
def test_every_drift_is_caught(run, aas, proxy, change, resource, shown):
    apply(run, stack=scaling_stack(3))
    if change == "min":
        register(aas, MinCapacity=0)
    elif change == "max":
        register(aas, MaxCapacity=9)
    elif change == "tag":
        aas.tag_resource(ResourceARN=target_arn(aas), Tags={"team": "x"})
    elif change == "untag":
        aas.untag_resource(ResourceARN=target_arn(aas), TagKeys=["team"])
    elif change == "tag_new":
        aas.tag_resource(ResourceARN=target_arn(aas), Tags={"cost": "1"})
    elif change == "target_value":
        put_policy(aas, rid(1), "warm-1", TargetValue=0.5)
    elif change == "cooldown":
        put_policy(aas, rid(1), "warm-1", ScaleOutCooldown=90)
    elif change == "scale_in":
        put_policy(aas, rid(1), "warm-1", DisableScaleIn=True)
    elif change == "metric":
        put_policy(aas, rid(1), "warm-1",
                   drop=["PredefinedMetricSpecification"],
                   CustomizedMetricSpecification={
                       "MetricName": "Busy", "Namespace": "Custom",
                       "Statistic": "Average"})
    proxy.clear_calls()

    code, out = plan(run)
    assert code == 2
    assert f"  # {resource} has changed outside of mlstack" in out
    assert f"  # {resource} will be updated in place" in out
    assert shown in out
    for other in ("target0", "target2", "policy0", "policy2",
                  {"target1": "policy1", "policy1": "target1"}[resource]):
        assert f"  # {other} has changed" not in out
    assert plan_counts(out) == (0, 1, 0)
    # shown from the bulk answers: nothing read one by one
    assert call_counts(proxy, AAS) == {"DescribeScalableTargets": 1,
                                       "ListTagsForResource": 3,
                                       "DescribeScalingPolicies": 1}


def test_deleted_target_and_policy_are_planned_again(run, aas, proxy):
    apply(run, stack=scaling_stack(4))
    # deregistering a target deletes its policy too
    aas.deregister_scalable_target(ServiceNamespace="lambda",
                                   ResourceId=rid(1),
                                   ScalableDimension=DIMENSION)
    aas.delete_scaling_policy(PolicyName="warm-2", ServiceNamespace="lambda",
                              ResourceId=rid(2), ScalableDimension=DIMENSION)
    proxy.clear_calls()

    code, out = plan(run)
    assert code == 2
    for name in ("target1", "policy1", "policy2"):
        assert f"  # {name} will be created" in out
    assert plan_counts(out) == (3, 0, 0)
    # absence from the bulk answers is confirmed by a read of its own
    assert call_counts(proxy, AAS) == {"DescribeScalableTargets": 1 + 1,
                                       "ListTagsForResource": 3,
                                       "DescribeScalingPolicies": 1 + 2}
    alone = [b for b in bodies(proxy, "DescribeScalingPolicies")
             if len(b["PolicyNames"]) == 1]
    assert sorted((b["PolicyNames"], b["ResourceId"]) for b in alone) == \
        [(["warm-1"], rid(1)), (["warm-2"], rid(2))]

    apply(run)
    code, out = plan(run)
    assert code == 0 and last_line(out) == NO_CHANGES, out


def test_more_than_50_are_asked_for_50_a_request(run, aas, proxy):
    apply(run, stack=scaling_stack(51))
    proxy.clear_calls()

    code, out = plan(run)
    assert code == 0 and last_line(out) == NO_CHANGES, out
    targets = bodies(proxy, "DescribeScalableTargets")
    assert sorted(len(b["ResourceIds"]) for b in targets) == [1, 50]
    policies = bodies(proxy, "DescribeScalingPolicies")
    # 50 names: 5 pages of 10, then 1 name
    assert sorted(len(b["PolicyNames"]) for b in policies) == [1] + [50] * 5
    assert call_counts(proxy, AAS) == {"DescribeScalableTargets": 2,
                                       "ListTagsForResource": 51,
                                       "DescribeScalingPolicies": 6}
