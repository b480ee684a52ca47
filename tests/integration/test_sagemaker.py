"""SageMaker serving: model, endpoint config, endpoint and notebook instance.

moto is extended (moto_sagemaker.py) so that endpoints and notebooks pass
through their intermediate states for a few Describe polls, UpdateEndpoint
and UpdateNotebookInstance exist, and an object can be told to end Failed
or never to settle. MLSTACK_WAIT_DELAY makes mlstack poll every 50 ms.
"""

import json
import re
import time

import pytest
from botocore.exceptions import ClientError

import moto_sagemaker
from awsproxy import Error
from helpers import (ACCOUNT_ID, NO_CHANGES, SAGEMAKER_FULL_ACCESS,
                     SAGEMAKER_TRUST_YAML, last_line, owner, plan_counts,
                     role_exists, role_names, state_list)

STACK_NAME = "serving"
ROLE = "serving-sagemaker"
ENDPOINT = "serving-dogs"
NOTEBOOK = "serving-notebook"
IMAGE = f"{ACCOUNT_ID}.dkr.ecr.us-east-1.amazonaws.com/dog-breeds:1"
REASON = ("The primary container for production variant AllTraffic did not "
          "pass the ping health check.")
POLLS = 3          # Describe answers in each intermediate state
GONE = moto_sagemaker.GONE


def stack(variant_type="ml.m5.large", notebook_type="ml.t3.medium",
          endpoint_timeouts=None):
    timeouts = (f"\n    timeouts: {endpoint_timeouts}"
                if endpoint_timeouts else "")
    return f"""
stack: {STACK_NAME}
resources:
  role:
    type: aws_iam_role
    properties:
      name: {ROLE}
      assume_role_policy: {SAGEMAKER_TRUST_YAML}
      managed_policy_arns: [{SAGEMAKER_FULL_ACCESS}]
  model:
    type: aws_sagemaker_model
    properties:
      execution_role_arn: ${{role.arn}}
      primary_container:
        image: {IMAGE}
        model_data_url: s3://serving-models/dogs/model.tar.gz
        environment: {{SAGEMAKER_PROGRAM: inference.py}}
  config:
    type: aws_sagemaker_endpoint_configuration
    properties:
      production_variants:
        - variant_name: AllTraffic
          model_name: ${{model.name}}
          instance_type: {variant_type}
          initial_instance_count: 1
  endpoint:
    type: aws_sagemaker_endpoint
    properties:
      name: {ENDPOINT}
      endpoint_config_name: ${{config.name}}
      tags: {{team: ml}}{timeouts}
  notebook:
    type: aws_sagemaker_notebook_instance
    properties:
      name: {NOTEBOOK}
      instance_type: {notebook_type}
      role_arn: ${{role.arn}}
outputs:
  endpoint: ${{endpoint.name}}
"""


@pytest.fixture
def ctl():
    """The SageMaker extension's controls and records (emptied by the
    emulator's reset before each test)."""
    c = moto_sagemaker.control
    c.polls = POLLS
    return c


@pytest.fixture
def sm(emulator):
    return emulator.client("sagemaker")


@pytest.fixture(autouse=True)
def fast_waits(cli):
    cli.env["MLSTACK_WAIT_DELAY"] = "0.05"


def apply(run, **kw):
    code, out, err = run("apply", "--auto-approve", **kw)
    assert code == 0, err
    return out, err


def assert_no_changes(run):
    code, out, _ = run("plan", "--detailed-exitcode")
    assert code == 0, out
    assert last_line(out) == NO_CHANGES


def state_file(cli, name):
    path = cli.resources_dir(STACK_NAME) / f"{name}.json"
    return json.loads(path.read_text())


def endpoint_configs(sm):
    return {c["EndpointConfigName"]
            for c in sm.list_endpoint_configs()["EndpointConfigs"]}


def model_names(sm):
    return {m["ModelName"] for m in sm.list_models()["Models"]}


def endpoint_names(sm):
    return {e["EndpointName"] for e in sm.list_endpoints()["Endpoints"]}


def notebook_names(sm):
    return {n["NotebookInstanceName"]
            for n in sm.list_notebook_instances()["NotebookInstances"]}


def error_code(fn, **kw):
    with pytest.raises(ClientError) as e:
        fn(**kw)
    return e.value.response["Error"]["Code"]


def ops(proxy, *names):
    """The SageMaker operations the proxy saw, in order, keeping names."""
    return [c.operation for c in proxy.calls(service="sagemaker")
            if c.operation in names]


def test_apply_passes_through_intermediate_states(run, cli, sm, iam, ctl,
                                                  proxy):
    _, err = apply(run, stack=stack())

    role_arn = iam.get_role(RoleName=ROLE)["Role"]["Arn"]
    models = model_names(sm)
    assert len(models) == 1
    (model,) = models
    assert model.startswith(f"{STACK_NAME}-model-")
    described = sm.describe_model(ModelName=model)
    assert described["ExecutionRoleArn"] == role_arn
    assert described["PrimaryContainer"]["Image"] == IMAGE

    ep = sm.describe_endpoint(EndpointName=ENDPOINT)
    assert ep["EndpointStatus"] == "InService"
    config = ep["EndpointConfigName"]
    assert config.startswith(f"{STACK_NAME}-config-")
    assert endpoint_configs(sm) == {config}
    (variant,) = sm.describe_endpoint_config(
        EndpointConfigName=config)["ProductionVariants"]
    assert variant["ModelName"] == model
    assert variant["InstanceType"] == "ml.m5.large"
    assert {t["Key"]: t["Value"] for t in sm.list_tags(
        ResourceArn=ep["EndpointArn"])["Tags"]} == {
            "team": "ml", **owner(STACK_NAME, "endpoint")}

    nb = sm.describe_notebook_instance(NotebookInstanceName=NOTEBOOK)
    assert nb["NotebookInstanceStatus"] == "InService"
    assert nb["InstanceType"] == "ml.t3.medium"
    assert nb["RoleArn"] == role_arn

    # Each waited through its intermediate state: mlstack saw every one of
    # the Creating / Pending answers, and returned only once InService.
    assert ctl.history("endpoint", ENDPOINT) == ["Creating", "InService"]
    seen = ctl.describes("endpoint", ENDPOINT)
    assert seen[:POLLS + 1] == ["Creating"] * POLLS + ["InService"]
    assert ctl.history("notebook", NOTEBOOK) == ["Pending", "InService"]
    seen = ctl.describes("notebook", NOTEBOOK)
    assert seen[:POLLS + 1] == ["Pending"] * POLLS + ["InService"]
    assert ops(proxy, "CreateEndpoint") == ["CreateEndpoint"]
    assert ops(proxy, "CreateNotebookInstance") == ["CreateNotebookInstance"]
    assert "Creating" in err and "Pending" in err  # the waits were shown

    assert state_file(cli, "endpoint")["attributes"]["status"] == "InService"
    assert state_file(cli, "endpoint")["attributes"][
        "endpoint_config_name"] == config
    assert_no_changes(run)


def test_instance_type_change_updates_endpoint_in_place(run, cli, sm, ctl,
                                                        proxy):
    apply(run, stack=stack())
    before = sm.describe_endpoint(EndpointName=ENDPOINT)
    assert before["EndpointStatus"] == "InService"
    old = before["EndpointConfigName"]
    proxy.clear_calls()

    cli.write_stack(stack(variant_type="ml.m5.xlarge"))
    code, out, _ = run("plan", "--detailed-exitcode")
    assert code == 2
    assert "  # config must be replaced" in out
    assert "(the new object is created first" in out
    assert '+/- resource "aws_sagemaker_endpoint_configuration" "config"' in out
    assert "  # endpoint will be updated in place" in out
    assert "  # endpoint must be replaced" not in out
    m = re.search(r'endpoint_config_name = "([^"]+)" -> "([^"]+)"', out)
    assert m, out
    assert m.group(1) == old
    new = m.group(2)
    assert new != old and new.startswith(f"{STACK_NAME}-config-")
    assert plan_counts(out) == (1, 1, 1)
    # a plan changes nothing
    assert ops(proxy, "CreateEndpointConfig", "UpdateEndpoint") == []

    apply(run)

    after = sm.describe_endpoint(EndpointName=ENDPOINT)
    assert after["EndpointStatus"] == "InService"
    assert after["EndpointConfigName"] == new
    assert after["CreationTime"] == before["CreationTime"]
    (variant,) = sm.describe_endpoint_config(
        EndpointConfigName=new)["ProductionVariants"]
    assert variant["InstanceType"] == "ml.m5.xlarge"
    assert endpoint_configs(sm) == {new}
    assert error_code(sm.describe_endpoint_config,
                      EndpointConfigName=old) == "ValidationException"

    # Never deleted nor recreated: updated in place, serving throughout.
    assert ops(proxy, "DeleteEndpoint", "CreateEndpoint") == []
    assert ctl.history("endpoint", ENDPOINT) == [
        "Creating", "InService", "Updating", "InService"]
    # New config first, then the update, and the old config only once the
    # endpoint was back InService on the new one.
    calls = proxy.calls(service="sagemaker")
    order = [c.operation for c in calls]
    i_create = order.index("CreateEndpointConfig")
    i_update = order.index("UpdateEndpoint")
    i_delete = order.index("DeleteEndpointConfig")
    assert i_create < i_update < i_delete
    assert json.loads(calls[i_update].request.body) == {
        "EndpointName": ENDPOINT, "EndpointConfigName": new}
    assert json.loads(calls[i_delete].request.body) == {
        "EndpointConfigName": old}
    polls = [i for i, op in enumerate(order)
             if op == "DescribeEndpoint" and i_update < i < i_delete]
    assert len(polls) >= POLLS + 1
    assert ctl.describes("endpoint", ENDPOINT)[-1] == "InService"

    assert state_file(cli, "config")["attributes"]["name"] == new
    assert "deposed" not in state_file(cli, "config")
    assert_no_changes(run)


def test_failed_endpoint_is_recorded_tainted_and_replaced(run, cli, sm, ctl):
    ctl.fail("endpoint", ENDPOINT, REASON)

    code, _, err = run("apply", "--auto-approve", stack=stack())
    assert code == 1
    assert REASON in err
    assert ENDPOINT in err

    # What exists is recorded: the endpoint (Failed, tainted) and the
    # independent notebook, which went on regardless.
    ep = sm.describe_endpoint(EndpointName=ENDPOINT)
    assert ep["EndpointStatus"] == "Failed"
    assert ep["FailureReason"] == REASON
    assert state_list(run) == {"role", "model", "config", "endpoint",
                               "notebook"}
    stored = state_file(cli, "endpoint")
    assert stored.get("tainted") is True
    assert stored["attributes"]["status"] == "Failed"
    _, out, _ = run("state", "show", "endpoint", check=0)
    assert f'"{ENDPOINT}"' in out and '"Failed"' in out
    assert sm.describe_notebook_instance(
        NotebookInstanceName=NOTEBOOK)["NotebookInstanceStatus"] == "InService"

    code, out, _ = run("plan", "--detailed-exitcode")
    assert code == 2
    assert "  # endpoint is tainted, so must be replaced" in out
    assert plan_counts(out) == (1, 0, 1)

    ctl.release("endpoint", ENDPOINT)
    apply(run)

    ep = sm.describe_endpoint(EndpointName=ENDPOINT)
    assert ep["EndpointStatus"] == "InService"
    assert "FailureReason" not in ep
    assert ctl.history("endpoint", ENDPOINT) == [
        "Creating", "Failed", "Deleting", GONE, "Creating", "InService"]
    assert "tainted" not in state_file(cli, "endpoint")
    assert_no_changes(run)


def test_wait_past_its_timeout_fails_cleanly(run, cli, sm, ctl):
    ctl.hold("endpoint", ENDPOINT, during="Creating")

    started = time.monotonic()
    code, _, err = run("apply", "--auto-approve",
                       stack=stack(endpoint_timeouts="{create: 2s}"))
    elapsed = time.monotonic() - started
    assert code == 1
    assert "timeout" in err.lower() or "timed out" in err.lower()
    assert ENDPOINT in err
    assert 2 <= elapsed < 30, elapsed

    # The state tells the truth: the endpoint exists, still Creating.
    assert sm.describe_endpoint(
        EndpointName=ENDPOINT)["EndpointStatus"] == "Creating"
    assert "endpoint" in state_list(run)
    stored = state_file(cli, "endpoint")
    assert stored["attributes"]["name"] == ENDPOINT
    assert stored["attributes"]["status"] == "Creating"
    assert stored.get("tainted") is True

    # A later plan deals with it; once SageMaker gets on, apply repairs it
    # (with the default timeout: the replacement waits for the delete and
    # the create, which a loaded machine may not finish in 2 s)
    code, out, _ = run("plan", "--detailed-exitcode")
    assert code == 2
    assert "  # endpoint is tainted, so must be replaced" in out
    ctl.release("endpoint", ENDPOINT)
    cli.write_stack(stack())
    apply(run)
    assert sm.describe_endpoint(
        EndpointName=ENDPOINT)["EndpointStatus"] == "InService"
    assert ctl.history("endpoint", ENDPOINT)[-2:] == ["Creating", "InService"]
    assert_no_changes(run)


def test_notebook_type_change_and_destroy_go_through_stopped(run, cli, sm,
                                                            ctl, proxy):
    apply(run, stack=stack())
    proxy.clear_calls()

    cli.write_stack(stack(notebook_type="ml.t3.large"))
    code, out, _ = run("plan", "--detailed-exitcode")
    assert code == 2
    assert "  # notebook will be updated in place" in out
    assert re.search(r'~ instance_type += "ml.t3.medium" -> "ml.t3.large"', out), out
    assert plan_counts(out) == (0, 1, 0)

    _, err = apply(run)
    assert ctl.history("notebook", NOTEBOOK) == [
        "Pending", "InService", "Stopping", "Stopped", "Updating", "Stopped",
        "Pending", "InService"]
    calls = [c for c in proxy.calls(service="sagemaker")
             if c.operation in ("StopNotebookInstance",
                                "UpdateNotebookInstance",
                                "StartNotebookInstance")]
    assert [(c.operation, c.status) for c in calls] == [
        ("StopNotebookInstance", 200), ("UpdateNotebookInstance", 200),
        ("StartNotebookInstance", 200)]
    body = json.loads(calls[1].request.body)
    assert body["NotebookInstanceName"] == NOTEBOOK
    assert body["InstanceType"] == "ml.t3.large"
    for status in ("Stopping", "Stopped", "Updating", "Pending"):
        assert status in err   # every wait was shown
    nb = sm.describe_notebook_instance(NotebookInstanceName=NOTEBOOK)
    assert nb["NotebookInstanceStatus"] == "InService"
    assert nb["InstanceType"] == "ml.t3.large"
    assert state_file(cli, "notebook")["attributes"][
        "instance_type"] == "ml.t3.large"
    assert_no_changes(run)

    proxy.clear_calls()
    code, _, _ = run("destroy", "--auto-approve")
    assert code == 0
    assert ctl.history("notebook", NOTEBOOK)[-4:] == [
        "Stopping", "Stopped", "Deleting", GONE]
    deletes = [c for c in proxy.calls(service="sagemaker")
               if c.operation == "DeleteNotebookInstance"]
    assert [c.status for c in deletes] == [200]
    assert notebook_names(sm) == set()


def test_destroy_leaves_nothing(run, cli, sm, iam, ctl, proxy):
    apply(run, stack=stack())
    # a second config version, so that there was a replaced object too
    cli.write_stack(stack(variant_type="ml.m5.xlarge"))
    apply(run)
    proxy.clear_calls()

    code, out, _ = run("destroy", "--auto-approve")
    assert code == 0, out
    assert endpoint_names(sm) == set()
    assert endpoint_configs(sm) == set()
    assert model_names(sm) == set()
    assert notebook_names(sm) == set()
    assert not role_exists(iam, ROLE)
    assert ROLE not in role_names(iam)
    assert state_list(run) == set()

    # The endpoint went first (and was waited for until gone), then its
    # config, then the model, then the role they all used.
    calls = proxy.calls()
    order = [c.operation for c in calls]
    i_endpoint = order.index("DeleteEndpoint")
    i_gone = max(i for i, c in enumerate(calls)
                 if c.operation == "DescribeEndpoint" and c.status == 400)
    i_config = order.index("DeleteEndpointConfig")
    i_model = order.index("DeleteModel")
    i_role = order.index("DeleteRole")
    assert i_endpoint < i_gone < i_config < i_model < i_role
    assert i_role > order.index("DeleteNotebookInstance")
    assert ctl.history("endpoint", ENDPOINT)[-2:] == ["Deleting", GONE]


def test_new_model_version_rolls_out_without_downtime(run, cli, sm, ctl,
                                                      proxy):
    apply(run, stack=stack())
    (old_model,) = model_names(sm)
    (old_config,) = endpoint_configs(sm)
    proxy.clear_calls()

    cli.write_stack(stack().replace("dog-breeds:1", "dog-breeds:2"))
    code, out, _ = run("plan", "--detailed-exitcode")
    assert code == 2
    assert "  # model must be replaced" in out
    assert "  # config must be replaced" in out
    assert "  # endpoint will be updated in place" in out
    assert plan_counts(out) == (2, 1, 2)
    apply(run)

    (model,) = model_names(sm)
    (config,) = endpoint_configs(sm)
    assert model != old_model and config != old_config
    assert sm.describe_model(ModelName=model)["PrimaryContainer"][
        "Image"].endswith("dog-breeds:2")
    (variant,) = sm.describe_endpoint_config(
        EndpointConfigName=config)["ProductionVariants"]
    assert variant["ModelName"] == model
    ep = sm.describe_endpoint(EndpointName=ENDPOINT)
    assert (ep["EndpointStatus"], ep["EndpointConfigName"]) == ("InService",
                                                               config)
    # new model, new config, the update; only then the old config, and
    # the old model last
    order = ops(proxy, "CreateModel", "CreateEndpointConfig",
                "UpdateEndpoint", "DeleteEndpointConfig", "DeleteModel",
                "DeleteEndpoint", "CreateEndpoint")
    assert order == ["CreateModel", "CreateEndpointConfig", "UpdateEndpoint",
                     "DeleteEndpointConfig", "DeleteModel"]
    assert ctl.history("endpoint", ENDPOINT) == [
        "Creating", "InService", "Updating", "InService"]
    assert_no_changes(run)


def test_rolled_back_update_is_reported_and_retried(run, cli, sm, ctl):
    apply(run, stack=stack())
    (old,) = endpoint_configs(sm)
    ctl.fail("endpoint", ENDPOINT, REASON, during="Updating")

    cli.write_stack(stack(variant_type="ml.m5.xlarge"))
    code, _, err = run("apply", "--auto-approve")
    assert code == 1
    assert REASON in err and "rolled back" in err
    ep = sm.describe_endpoint(EndpointName=ENDPOINT)
    assert (ep["EndpointStatus"], ep["EndpointConfigName"]) == ("InService",
                                                               old)
    # the state says what the endpoint really serves; the old config,
    # still in use, was not deleted
    assert state_file(cli, "endpoint")["attributes"][
        "endpoint_config_name"] == old
    assert old in endpoint_configs(sm)

    code, out, _ = run("plan", "--detailed-exitcode")
    assert code == 2
    assert "  # endpoint will be updated in place" in out
    ctl.release()
    apply(run)
    ep = sm.describe_endpoint(EndpointName=ENDPOINT)
    (new,) = endpoint_configs(sm)
    assert new != old
    assert (ep["EndpointStatus"], ep["EndpointConfigName"]) == ("InService",
                                                               new)
    assert ctl.history("endpoint", ENDPOINT) == [
        "Creating", "InService", "Updating", "InService", "Updating",
        "InService"]
    assert_no_changes(run)


def test_revert_after_rolled_back_update(run, cli, sm, ctl):
    apply(run, stack=stack())
    (old,) = endpoint_configs(sm)
    ctl.fail("endpoint", ENDPOINT, REASON, during="Updating")
    cli.write_stack(stack(variant_type="ml.m5.xlarge"))
    code, _, _ = run("apply", "--auto-approve")
    assert code == 1
    ctl.release()

    # Give up on the new instance type: back to what the endpoint serves.
    cli.write_stack(stack())
    code, _, err = run("apply", "--auto-approve")
    try:
        assert code == 0, err
        code, _, err = run("apply", "--auto-approve")
        assert code == 0, err
        assert old in endpoint_configs(sm)
        assert sm.describe_endpoint(
            EndpointName=ENDPOINT)["EndpointConfigName"] == old
        assert_no_changes(run)
    finally:
        # whatever happened, leave nothing half-deleted for the next test
        ctl.release()


def test_volume_shrink_is_refused_before_stopping(run, cli, sm, ctl, proxy):
    apply(run, stack=stack().replace(
        "      instance_type: ml.t3.medium\n",
        "      instance_type: ml.t3.medium\n      volume_size: 20\n"))
    assert sm.describe_notebook_instance(
        NotebookInstanceName=NOTEBOOK)["VolumeSizeInGB"] == 20
    proxy.clear_calls()

    cli.write_stack(stack().replace(
        "      instance_type: ml.t3.medium\n",
        "      instance_type: ml.t3.medium\n      volume_size: 10\n"))
    code, _, err = run("apply", "--auto-approve")
    assert code == 1
    assert "volume_size" in err and "20" in err and "10" in err
    # the notebook was never stopped for an update SageMaker would refuse
    assert ops(proxy, "StopNotebookInstance", "UpdateNotebookInstance") == []
    nb = sm.describe_notebook_instance(NotebookInstanceName=NOTEBOOK)
    assert (nb["NotebookInstanceStatus"], nb["VolumeSizeInGB"]) == (
        "InService", 20)
    assert state_file(cli, "notebook")["attributes"]["volume_size"] == 20


def test_update_past_its_timeout_is_finished_later(run, cli, sm, ctl, proxy):
    apply(run, stack=stack())
    (old,) = endpoint_configs(sm)
    ctl.hold("endpoint", ENDPOINT, during="Updating")

    cli.write_stack(stack(variant_type="ml.m5.xlarge",
                          endpoint_timeouts="{update: 2s}"))
    code, _, err = run("apply", "--auto-approve")
    assert code == 1
    assert "timeout" in err.lower() and ENDPOINT in err
    # true to AWS: still Updating, still serving the old config, which
    # is kept
    stored = state_file(cli, "endpoint")["attributes"]
    assert (stored["status"], stored["endpoint_config_name"]) == ("Updating",
                                                                   old)
    assert old in endpoint_configs(sm)

    # SageMaker finishes the rollout meanwhile; the next apply sees it done
    # and does not roll the same config out a second time.
    ctl.release()
    code, out, _ = run("plan", "--detailed-exitcode")
    assert code == 2
    apply(run)
    (new,) = endpoint_configs(sm)
    ep = sm.describe_endpoint(EndpointName=ENDPOINT)
    assert (ep["EndpointStatus"], ep["EndpointConfigName"]) == ("InService",
                                                               new)
    assert ops(proxy, "UpdateEndpoint") == ["UpdateEndpoint"]
    assert ctl.history("endpoint", ENDPOINT) == [
        "Creating", "InService", "Updating", "InService"]
    assert_no_changes(run)


# -- a notebook stopped for an update, and the update fails -------------------

NOTEBOOK_ONLY = "serving-nb"
LIMIT = ("The account-level service limit 'ml.t3.large for notebook instance "
         "usage' is 0 Instances, with current utilization of 0 Instances and "
         "a request delta of 1 Instances.")


def notebook_stack(notebook_type="ml.t3.medium", lifecycle=""):
    return f"""
stack: {STACK_NAME}
resources:
  role:
    type: aws_iam_role
    properties:
      name: {ROLE}
      assume_role_policy: {SAGEMAKER_TRUST_YAML}
      managed_policy_arns: [{SAGEMAKER_FULL_ACCESS}]
  notebook:
    type: aws_sagemaker_notebook_instance
    properties:
      name: {NOTEBOOK_ONLY}
      instance_type: {notebook_type}
      role_arn: ${{role.arn}}{lifecycle}
"""


def notebook_status(sm):
    return sm.describe_notebook_instance(
        NotebookInstanceName=NOTEBOOK_ONLY)["NotebookInstanceStatus"]


def stop_by_hand(sm):
    """StopNotebookInstance from outside mlstack, waited for (each
    Describe moves the emulator on)."""
    sm.stop_notebook_instance(NotebookInstanceName=NOTEBOOK_ONLY)
    for _ in range(POLLS + 2):
        if notebook_status(sm) == "Stopped":
            return
    assert notebook_status(sm) == "Stopped"


def test_running_notebook_plans_no_changes(run, cli, sm, ctl, proxy):
    # The plan wants a notebook InService: it says so when it creates one,
    # and a notebook that is InService plans no change at all.
    code, out, _ = run("plan", stack=notebook_stack())
    assert code == 0
    assert re.search(r'\+ status += "InService"', out), out
    apply(run)
    assert notebook_status(sm) == "InService"
    assert state_file(cli, "notebook")["attributes"]["status"] == "InService"
    assert_no_changes(run)
    code, out, _ = run("plan", "-json")
    assert code == 0
    (change,) = [c for c in json.loads(out)["resource_changes"]
                 if c["name"] == "notebook"]
    assert change["change"]["actions"] == ["no-op"], change

    # a tag changes in place, without stopping it, and the plan is clean
    proxy.clear_calls()
    cli.write_stack(notebook_stack().replace(
        "      role_arn: ${role.arn}", "      role_arn: ${role.arn}\n"
        "      tags: {team: ml}"))
    apply(run)
    assert ops(proxy, "StopNotebookInstance", "UpdateNotebookInstance",
               "StartNotebookInstance") == []
    assert ctl.history("notebook", NOTEBOOK_ONLY) == ["Pending", "InService"]
    assert_no_changes(run)


@pytest.mark.parametrize("how", ["refused", "failed"])
def test_failed_notebook_update_starts_it_again(run, cli, sm, ctl, proxy,
                                                how):
    # SageMaker refuses the update (the notebook stays Stopped), or the
    # update ends Failed: either way the notebook mlstack stopped is
    # started again, and the apply fails with the update's error.
    apply(run, stack=notebook_stack())
    proxy.clear_calls()
    if how == "refused":
        rule = proxy.inject(Error(400, "ResourceLimitExceeded", LIMIT),
                            operation="UpdateNotebookInstance")
        want = ["Stopping", "Stopped", "Pending", "InService"]
    else:
        ctl.fail("notebook", NOTEBOOK_ONLY, "ml.t3.large: out of capacity",
                 during="Updating")
        want = ["Stopping", "Stopped", "Updating", "Failed", "Pending",
                "InService"]

    cli.write_stack(notebook_stack(notebook_type="ml.t3.large"))
    code, _, err = run("apply", "--auto-approve")
    assert code == 1, err
    if how == "refused":
        assert rule.injected == 1
        assert "ResourceLimitExceeded" in err and LIMIT in err, err
    else:
        assert "Failed: ml.t3.large: out of capacity" in err, err
    assert [ln for ln in err.splitlines() if ln.startswith("Error: notebook: ")
            and ln.endswith("; started it again")], err
    assert "Apply complete!" not in err

    nb = sm.describe_notebook_instance(NotebookInstanceName=NOTEBOOK_ONLY)
    assert (nb["NotebookInstanceStatus"], nb["InstanceType"]) == (
        "InService", "ml.t3.medium")
    assert ctl.history("notebook", NOTEBOOK_ONLY) == [
        "Pending", "InService", *want]
    assert ops(proxy, "StopNotebookInstance", "UpdateNotebookInstance",
               "StartNotebookInstance") == [
        "StopNotebookInstance", "UpdateNotebookInstance",
        "StartNotebookInstance"]
    stored = state_file(cli, "notebook")["attributes"]
    assert (stored["status"], stored["instance_type"]) == ("InService",
                                                           "ml.t3.medium")

    # the change is still to make, and nothing else
    code, out, _ = run("plan", "--detailed-exitcode")
    assert code == 2
    assert re.search(r'~ instance_type += "ml.t3.medium" -> "ml.t3.large"',
                     out), out
    assert "status" not in out
    assert plan_counts(out) == (0, 1, 0)
    ctl.release()
    proxy.clear_faults()
    apply(run)
    nb = sm.describe_notebook_instance(NotebookInstanceName=NOTEBOOK_ONLY)
    assert (nb["NotebookInstanceStatus"], nb["InstanceType"]) == (
        "InService", "ml.t3.large")
    assert_no_changes(run)


def test_notebook_left_stopped_is_started_by_the_next_apply(run, cli, sm, ctl,
                                                            proxy):
    # The update is refused and the restart fails too: the notebook is
    # left Stopped. Reverting the stack does not hide that: the plan
    # starts it.
    apply(run, stack=notebook_stack())
    proxy.inject(Error(400, "ResourceLimitExceeded", LIMIT),
                 operation="UpdateNotebookInstance")
    start = proxy.inject(Error(400, "ResourceLimitExceeded",
                               "no ml.t3.medium capacity"),
                         operation="StartNotebookInstance")
    cli.write_stack(notebook_stack(notebook_type="ml.t3.large"))
    code, _, err = run("apply", "--auto-approve")
    assert code == 1, err
    assert start.injected == 1
    assert LIMIT in err and "starting it again failed too" in err, err
    assert "no ml.t3.medium capacity" in err and "next plan starts it" in err
    assert notebook_status(sm) == "Stopped"
    assert state_file(cli, "notebook")["attributes"]["status"] == "Stopped"
    proxy.clear_faults()
    proxy.clear_calls()

    cli.write_stack(notebook_stack())
    code, out, _ = run("plan", "--detailed-exitcode")
    assert code == 2, out
    assert "  # notebook will be updated in place" in out
    assert re.search(r'~ status += "Stopped" -> "InService"', out), out
    assert "instance_type" not in out
    assert plan_counts(out) == (0, 1, 0)

    _, err = apply(run)
    assert "starting (it is Stopped)" in err
    assert ops(proxy, "StopNotebookInstance", "UpdateNotebookInstance",
               "StartNotebookInstance") == ["StartNotebookInstance"]
    assert ctl.history("notebook", NOTEBOOK_ONLY)[-3:] == [
        "Stopped", "Pending", "InService"]
    nb = sm.describe_notebook_instance(NotebookInstanceName=NOTEBOOK_ONLY)
    assert (nb["NotebookInstanceStatus"], nb["InstanceType"]) == (
        "InService", "ml.t3.medium")
    assert state_file(cli, "notebook")["attributes"]["status"] == "InService"
    assert_no_changes(run)


def test_notebook_stopped_by_hand_is_started_unless_ignored(run, cli, sm,
                                                            ctl, proxy):
    apply(run, stack=notebook_stack())
    stop_by_hand(sm)

    code, out, _ = run("plan", "--detailed-exitcode")
    assert code == 2, out
    assert "notebook has changed outside of mlstack" in out
    assert re.search(r'~ status += "Stopped" -> "InService"', out), out
    apply(run)
    assert notebook_status(sm) == "InService"
    assert_no_changes(run)

    # lifecycle.ignore_changes: [status] keeps a notebook stopped by hand
    # stopped, through an update of its settings too
    ignored = "\n    lifecycle: {ignore_changes: [status]}"
    cli.write_stack(notebook_stack(lifecycle=ignored))
    stop_by_hand(sm)
    assert_no_changes(run)
    proxy.clear_calls()
    cli.write_stack(notebook_stack(notebook_type="ml.t3.large",
                                   lifecycle=ignored))
    code, out, _ = run("plan", "--detailed-exitcode")
    assert code == 2, out
    actions = out.split("mlstack will perform the following actions")[1]
    assert "instance_type" in actions and "status" not in actions, out
    apply(run)
    assert ops(proxy, "StopNotebookInstance", "UpdateNotebookInstance",
               "StartNotebookInstance") == ["UpdateNotebookInstance"]
    nb = sm.describe_notebook_instance(NotebookInstanceName=NOTEBOOK_ONLY)
    assert (nb["NotebookInstanceStatus"], nb["InstanceType"]) == (
        "Stopped", "ml.t3.large")
    assert_no_changes(run)


KEY = ("arn:aws:kms:us-east-1:123456789012:key/"
       "1234abcd-12ab-34cd-56ef-1234567890ab")


def test_notebook_and_endpoint_config_in_a_vpc_with_a_kms_key(run, cli, sm,
                                                               emulator):
    # The settings a locked-down notebook and an encrypted endpoint need
    # reach SageMaker, read back without drift, and a new key replaces.
    ec2 = emulator.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc,
                               CidrBlock="10.1.1.0/24")["Subnet"]["SubnetId"]
    groups = sorted(ec2.create_security_group(
        GroupName=f"nb-{i}", Description="notebook", VpcId=vpc)["GroupId"]
        for i in range(2))

    def text(key=KEY):
        return notebook_stack(lifecycle=f"""
      direct_internet_access: false
      root_access: false
      kms_key_id: {key}
      subnet_id: {subnet}
      security_groups: [{groups[1]}, {groups[0]}]
  model:
    type: aws_sagemaker_model
    properties:
      execution_role_arn: ${{role.arn}}
      primary_container: {{image: {IMAGE}}}
  config:
    type: aws_sagemaker_endpoint_configuration
    properties:
      kms_key_arn: {key}
      production_variants:
        - {{variant_name: AllTraffic, model_name: "${{model.name}}",
           instance_type: ml.m5.large}}""")

    apply(run, stack=text())
    nb = sm.describe_notebook_instance(NotebookInstanceName=NOTEBOOK_ONLY)
    assert (nb["KmsKeyId"], nb["SubnetId"], sorted(nb["SecurityGroups"]),
            nb["DirectInternetAccess"], nb["RootAccess"]) == \
        (KEY, subnet, groups, "Disabled", "Disabled")
    (config,) = endpoint_configs(sm)
    assert sm.describe_endpoint_config(
        EndpointConfigName=config)["KmsKeyId"] == KEY
    assert_no_changes(run)

    other = KEY.replace("1234abcd", "5678abcd")
    code, out, _ = run("plan", stack=text(other))
    assert code == 0, out
    assert plan_counts(out) == (2, 0, 2)  # the notebook and the config
    assert "kms_key_id" in out and "kms_key_arn" in out
