"""kill -9 in mid-apply or mid-destroy, then run again: AWS ends up with
exactly what the stack says, no duplicate and no orphan (DESIGN §4: every
finished action is on disk at once, creates are journaled first)."""

import json
import os
import signal
import threading

import pytest

from helpers import (ACCOUNT_ID, NO_CHANGES, SAGEMAKER_FULL_ACCESS, SAGEMAKER_TRUST_YAML,
                     attached_policies, bucket_names, last_line, role_names,
                     state_list, wait_for)

STACK = "crash"
BUCKETS = [f"crash-bucket-{i:02d}" for i in range(1, 9)]
ROLES = [f"crash-role-{i:02d}" for i in range(1, 5)]
NAMES = {f"bucket{i:02d}" for i in range(1, 9)} | \
    {f"role{i:02d}" for i in range(1, 5)}
CREATES = ("CreateBucket", "CreateRole")
DELETES = ("DeleteBucket", "DeleteRole")
LATENCY = 0.1
IMAGE = f"{ACCOUNT_ID}.dkr.ecr.us-east-1.amazonaws.com/dog-breeds:1"


def stack_text():
    lines = [f"stack: {STACK}", "tags: {suite: crash}", "resources:"]
    for i, bucket in enumerate(BUCKETS, 1):
        lines += [f"  bucket{i:02d}:",
                  "    type: aws_s3_bucket",
                  f"    properties: {{bucket: {bucket}, versioning: true}}"]
    for i, role in enumerate(ROLES, 1):
        lines += [f"  role{i:02d}:",
                  "    type: aws_iam_role",
                  "    properties:",
                  f"      name: {role}",
                  f"      assume_role_policy: {SAGEMAKER_TRUST_YAML}",
                  f"      managed_policy_arns: [{SAGEMAKER_FULL_ACCESS}]"]
    return "\n".join(lines) + "\n"


def kill_when(cli, proc, proxy, ready, operations):
    """Once ready() holds, wait for the next call of one of operations to
    be answered by AWS, then SIGKILL the process: AWS has acted, mlstack
    has not recorded it yet."""
    wait_for(lambda: ready() or proc.poll() is not None, timeout=90,
             what="the kill point")
    assert proc.poll() is None, "finished before it could be killed"
    mark = len(proxy.calls())
    wait_for(lambda: proc.poll() is not None or any(
        c.operation in operations for c in proxy.calls()[mark:]),
        timeout=60, what=f"a call of {operations}")
    assert proc.poll() is None, "finished before it could be killed"
    os.killpg(proc.pid, signal.SIGKILL)
    code, _, _ = cli.wait(proc)
    assert code == -signal.SIGKILL


def run_again(run, *args):
    """Run after a crash; a lock the killed process left is removed with
    force-unlock when the command complains about it."""
    code, out, err = run(*args)
    if code != 0 and "locked" in (out + err).lower():
        run("force-unlock", "-force", check=0)
        code, out, err = run(*args)
    assert code == 0, err
    return out + err


def assert_converged(cli, run, s3, iam):
    assert bucket_names(s3) == set(BUCKETS)
    assert role_names(iam) == set(ROLES)
    for role in ROLES:
        assert attached_policies(iam, role) == {SAGEMAKER_FULL_ACCESS}
    for bucket in BUCKETS:
        assert s3.get_bucket_versioning(Bucket=bucket).get("Status") == \
            "Enabled"
    assert state_list(run) == NAMES
    assert cli.state_resources(STACK) == NAMES
    assert_journal_idle(cli)
    code, out, _ = run("plan", "--detailed-exitcode")
    assert code == 0
    assert last_line(out) == NO_CHANGES


def assert_journal_idle(cli):
    journal = cli.state_dir / STACK / "journal.json"
    if journal.exists():
        text = journal.read_text().strip()
        assert not text or json.loads(text) in ({}, []), text


@pytest.mark.parametrize("done_before_kill", [0, 1, 5],
                         ids=["first-create", "after-1", "after-5"])
def test_kill_during_apply(cli, run, proxy, s3, iam, done_before_kill):
    cli.write_stack(stack_text())
    proxy.latency = LATENCY
    proc = cli.popen("apply", "--auto-approve", "--parallelism", "1")
    kill_when(cli, proc, proxy,
              lambda: len(cli.state_resources(STACK)) >= done_before_kill,
              CREATES)

    proxy.latency = 0
    out = run_again(run, "apply", "--auto-approve")
    assert "Apply complete!" in out
    assert_converged(cli, run, s3, iam)


def test_kill_during_destroy(cli, run, proxy, s3, iam):
    code, _, err = run("apply", "--auto-approve", stack=stack_text())
    assert code == 0, err
    proxy.latency = LATENCY
    proc = cli.popen("destroy", "--auto-approve")
    kill_when(cli, proc, proxy,
              lambda: len(cli.state_resources(STACK)) <= len(NAMES) - 2,
              DELETES)

    proxy.latency = 0
    out = run_again(run, "destroy", "--auto-approve")
    assert "Destroy complete!" in out
    assert bucket_names(s3) == set()
    assert role_names(iam) == set()
    assert state_list(run) == set()
    assert_journal_idle(cli)


def serving_stack(instance_type):
    return f"""
stack: {STACK}
resources:
  role:
    type: aws_iam_role
    properties:
      name: crash-sagemaker
      assume_role_policy: {SAGEMAKER_TRUST_YAML}
  model:
    type: aws_sagemaker_model
    properties:
      execution_role_arn: ${{role.arn}}
      primary_container: {{image: {IMAGE}}}
  config:
    type: aws_sagemaker_endpoint_configuration
    properties:
      production_variants:
        - variant_name: AllTraffic
          model_name: ${{model.name}}
          instance_type: {instance_type}
          initial_instance_count: 1
  endpoint:
    type: aws_sagemaker_endpoint
    properties:
      name: crash-endpoint
      endpoint_config_name: ${{config.name}}
"""


def test_kill_after_deposed_config_deleted_then_revert(cli, run, proxy,
                                                       emulator):
    # The old endpoint config is deleted, and the run dies before it
    # records that. Reverting to the old config must not revive it from
    # the state: the next apply converges at once.
    sm = emulator.client("sagemaker")
    cli.env["MLSTACK_WAIT_DELAY"] = "0.05"
    code, _, err = run("apply", "--auto-approve",
                       stack=serving_stack("ml.m5.large"))
    assert code == 0, err
    acted, release = threading.Event(), threading.Event()

    def hold(req, res):
        # moto has deleted it; mlstack never hears so
        if req.operation == "DeleteEndpointConfig":
            acted.set()
            release.wait(30)
            return "reset"
        return None

    proxy.add_response_hook(hold)
    proc = cli.popen("apply", "--auto-approve",
                     stack=serving_stack("ml.m5.xlarge"))
    assert acted.wait(60), "DeleteEndpointConfig never came"
    os.killpg(proc.pid, signal.SIGKILL)
    cli.wait(proc)
    release.set()
    proxy.remove_hook(hold)

    cli.write_stack(serving_stack("ml.m5.large"))
    out = run_again(run, "apply", "--auto-approve")
    assert "Apply complete!" in out
    ep = sm.describe_endpoint(EndpointName="crash-endpoint")
    assert ep["EndpointStatus"] == "InService"
    (variant,) = sm.describe_endpoint_config(
        EndpointConfigName=ep["EndpointConfigName"])["ProductionVariants"]
    assert variant["InstanceType"] == "ml.m5.large"
    assert [c["EndpointConfigName"] for c in sm.list_endpoint_configs()[
        "EndpointConfigs"]] == [ep["EndpointConfigName"]]
    code, out, _ = run("plan", "--detailed-exitcode")
    assert code == 0 and last_line(out) == NO_CHANGES, out
