"""mlstack when AWS misbehaves (faults injected by the test proxy, see
docs/testing.md): throttling, 5xx and dropped connections are retried
until the stack converges; a create whose answer was lost is adopted, not
made twice; a refusal fails at once with AWS's code, message and request
id."""

import json
import re
import urllib.request

import pytest

from awsproxy import Error
from helpers import (NO_CHANGES, SAGEMAKER_FULL_ACCESS, SAGEMAKER_TRUST,
                     SAGEMAKER_TRUST_YAML, attached_policies, bucket_names,
                     bucket_tags, last_line, owner, policy_document,
                     role_names, role_tags, state_list)

# -- the stack ----------------------------------------------------------------

STACK = "faults"
BUCKETS = {"store": "faults-data", "logs": "faults-logs",
           "models": "faults-models"}
ROLES = {"trainer": "faults-trainer", "reader": "faults-reader"}


def stack_text():
    """Buckets (tagged, one versioned, one force-destroyed) and roles with
    a managed policy and inline policies that name the buckets."""
    lines = [f"stack: {STACK}", "region: us-east-1",
             "tags: {suite: faults}", "resources:"]
    for name, bucket in BUCKETS.items():
        lines += [f"  {name}:", "    type: aws_s3_bucket", "    properties:",
                  f"      bucket: {bucket}",
                  f"      tags: {{use: {name}}}"]
        if name == "models":
            lines.append("      versioning: true")
        if name == "logs":
            lines.append("      force_destroy: true")
    for name, role in ROLES.items():
        lines += [f"  {name}:", "    type: aws_iam_role", "    properties:",
                  f"      name: {role}",
                  f"      assume_role_policy: {SAGEMAKER_TRUST_YAML}",
                  f"      managed_policy_arns: [{SAGEMAKER_FULL_ACCESS}]",
                  "      inline_policies:"]
        for bucket in ("store", "models"):
            lines += [f"        {bucket}-access:",
                      "          Version: '2012-10-17'",
                      "          Statement:",
                      "            - Effect: Allow",
                      "              Action: ['s3:GetObject', 's3:PutObject']",
                      f"              Resource: '${{{bucket}.arn}}/*'"]
        lines.append(f"      tags: {{owner: {name}}}")
    return "\n".join(lines) + "\n"


NAMES = set(BUCKETS) | set(ROLES)


def assert_as_declared(run, s3, iam):
    """AWS (seen by boto3) holds exactly the stack, and so does the state."""
    assert bucket_names(s3) == set(BUCKETS.values())
    assert role_names(iam) == set(ROLES.values())
    for name, bucket in BUCKETS.items():
        assert bucket_tags(s3, bucket) == {"suite": "faults", "use": name,
                                           **owner("faults", name)}
        status = s3.get_bucket_versioning(Bucket=bucket).get("Status")
        assert (status == "Enabled") == (name == "models")
    for name, role in ROLES.items():
        got = iam.get_role(RoleName=role)["Role"]
        assert policy_document(got["AssumeRolePolicyDocument"]) == \
            SAGEMAKER_TRUST
        assert attached_policies(iam, role) == {SAGEMAKER_FULL_ACCESS}
        assert sorted(iam.list_role_policies(RoleName=role)[
            "PolicyNames"]) == ["models-access", "store-access"]
        doc = policy_document(iam.get_role_policy(
            RoleName=role, PolicyName="models-access")["PolicyDocument"])
        assert doc["Statement"][0]["Resource"] == \
            "arn:aws:s3:::faults-models/*"
        assert role_tags(iam, role) == {"suite": "faults", "owner": name,
                                        **owner("faults", name)}
    assert state_list(run) == NAMES


def assert_no_changes(run):
    code, out, err = run("plan", "--detailed-exitcode")
    assert code == 0, out + err
    assert last_line(out) == NO_CHANGES


def assert_all_gone(run, s3, iam):
    assert bucket_names(s3) == set()
    assert role_names(iam) == set()
    assert state_list(run) == set()


def apply_ok(run, **kw):
    code, out, err = run("apply", "--auto-approve", **kw)
    assert code == 0, err
    assert "Apply complete!" in out + err
    return out + err


def destroy_ok(run, **kw):
    code, out, err = run("destroy", "--auto-approve", **kw)
    assert code == 0, err
    assert "Destroy complete!" in out + err
    return out + err


# -- chaos --------------------------------------------------------------------

# With 40% of attempts failing, a call fails all of its 15 attempts with
# probability 0.4^15, about 1e-6: over the few hundred calls of these
# tests, a failed action means mlstack got something wrong, not bad luck.
CHAOS_ENV = {"AWS_MAX_ATTEMPTS": "15", "MLSTACK_RETRY_BASE": "0.002"}


def chaos(proxy, seed):
    proxy.seed(seed)
    return [proxy.inject("throttle", rate=0.30),
            proxy.inject("500", rate=0.05),
            proxy.inject("reset", rate=0.025),
            proxy.inject("reset-after", rate=0.025)]


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_chaos_converges(cli, run, proxy, s3, iam, seed):
    # 30% of requests throttled, 5% answered 500, 5% dropped (half of
    # those after moto acted): apply, plan and destroy still succeed and
    # leave exactly what the stack says.
    cli.write_stack(stack_text())
    rules = chaos(proxy, seed)

    out = apply_ok(run, env=CHAOS_ENV)
    assert "Resources: 5 added, 0 changed, 0 destroyed." in out
    assert "Error" not in out
    assert_as_declared(run, s3, iam)
    code, out, err = run("plan", "--detailed-exitcode", env=CHAOS_ENV)
    assert code == 0, out + err
    assert last_line(out) == NO_CHANGES

    out = destroy_ok(run, env=CHAOS_ENV)
    assert "Resources: 5 destroyed." in out
    assert_all_gone(run, s3, iam)

    # The faults did happen, in about the proportions asked for.
    seen = rules[0].seen
    throttled, failed, reset, reset_after = (r.injected for r in rules)
    print(f"{seen} requests: {throttled} throttled, {failed} 500, "
          f"{reset} reset, {reset_after} reset after moto acted")
    assert seen > 80
    assert 0.15 * seen < throttled < 0.45 * seen
    assert failed and reset + reset_after
    assert not [c for c in proxy.calls() if c.status == 502]


# -- answers lost after AWS acted -----------------------------------------

def about(resource):
    """Requests about one bucket or role (and not the others); None: every
    request of the operation (a list)."""
    def match(req):
        if resource is None:
            return True
        if req.service == "s3":
            return req.path.strip("/").split("/")[0] == resource
        return req.params().get("RoleName") == resource
    return match


@pytest.mark.parametrize("operation,resource", [
    ("CreateRole", "faults-trainer"), ("CreateBucket", "faults-data"),
    ("PutRolePolicy", "faults-reader"), ("AttachRolePolicy", "faults-reader"),
    ("PutBucketTagging", "faults-logs"),
    ("PutBucketVersioning", "faults-models")])
def test_create_answer_lost(cli, run, proxy, s3, iam, operation, resource):
    # The first call goes through to moto, which acts; then the connection
    # drops before the answer. The retry finds the work done ("already
    # exists" is adopted), nothing is made twice, nothing fails.
    cli.write_stack(stack_text())
    rule = proxy.inject("reset-after", operation=operation, calls=[1],
                        match=about(resource))
    apply_ok(run)
    assert rule.injected == 1
    calls = [c for c in proxy.calls(operation=operation) if rule.match(
        c.request)]
    assert calls[0].status is None and calls[0].upstream in (200, 204)
    assert len(calls) >= 2 and calls[1].injected is None
    assert_as_declared(run, s3, iam)
    assert_no_changes(run)


@pytest.mark.parametrize("operation,resource", [
    ("DeleteRole", "faults-trainer"), ("DeleteBucket", "faults-logs"),
    ("DeleteRolePolicy", "faults-reader"),
    ("DetachRolePolicy", "faults-reader")])
def test_delete_answer_lost(cli, run, proxy, s3, iam, operation, resource):
    cli.write_stack(stack_text())
    apply_ok(run)
    rule = proxy.inject("reset-after", operation=operation, calls=[1],
                        match=about(resource))
    destroy_ok(run)
    assert rule.injected == 1
    assert proxy.calls(operation=operation)[0].upstream in (200, 204)
    assert_all_gone(run, s3, iam)


@pytest.mark.parametrize("fault,operation,resource", [
    ("truncate", "CreateRole", "faults-trainer"),
    ("truncate", "CreateBucket", "faults-data"),
    ("truncate", "PutRolePolicy", "faults-reader"),
    ("truncate", "GetBucketVersioning", "faults-models"),
    # roles and buckets are refreshed by listing (docs/refresh.md)
    ("truncate", "GetAccountAuthorizationDetails", None),
    ("truncate", "ListBuckets", None),
    ("reset", "GetResources", None),
    ("reset", "CreateRole", "faults-reader"),
    ("reset", "CreateBucket", "faults-logs"),
    ("reset", "AttachRolePolicy", "faults-trainer"),
    ("reset", "ListRoles", None),
])
def test_broken_answer_is_retried(cli, run, proxy, s3, iam, fault,
                                  operation, resource):
    # A truncated answer (Content-Length larger than the body, then the
    # connection closes; moto has acted) and a connection reset before
    # moto saw the request are retried, twice here; the stack converges.
    cli.write_stack(stack_text())
    rule = proxy.inject(fault, operation=operation, calls=[1, 2],
                        match=about(resource))
    apply_ok(run)
    if operation.startswith(("Get", "List")):
        assert_no_changes(run)   # reads come with a refresh
    assert rule.injected == 2
    calls = [c for c in proxy.calls(operation=operation)
             if rule.match(c.request)]
    assert [c.injected for c in calls[:2]] == [fault, fault]
    assert calls[2].injected is None and calls[2].status < 500
    assert_as_declared(run, s3, iam)
    assert_no_changes(run)


def test_throttling_outlasts_the_retries(cli, run, proxy, s3):
    # Throttled on every attempt: the apply fails after AWS_MAX_ATTEMPTS
    # tries, saying it was throttled; what did not depend on it is made.
    cli.write_stack(stack_text())
    proxy.inject("throttle", operation="CreateRole")
    code, out, err = run("apply", "--auto-approve",
                         env={"AWS_MAX_ATTEMPTS": "3"})
    assert code == 1
    assert len(proxy.calls(operation="CreateRole")) == 2 * 3
    assert "Throttling" in err
    assert bucket_names(s3) == set(BUCKETS.values())
    assert state_list(run) == set(BUCKETS)


# -- refusals -----------------------------------------------------------------

def error_lines(err, *words):
    return [ln for ln in err.splitlines() if all(w in ln for w in words)]


def test_refusal_fails_at_once(cli, run, proxy, s3, iam):
    # A 400 that is no throttling is not retried: the apply fails with
    # AWS's code, message and request id on one line.
    cli.write_stack(stack_text())
    message = "Invalid principal in policy: sagemaker.example.com"
    proxy.inject(Error(400, "InvalidInput", message,
                       request_id="6c2a9f0e-0000-4000-8000-0123456789ab"),
                 operation="CreateRole", calls=[1])
    code, out, err = run("apply", "--auto-approve")
    assert code == 1
    assert len(proxy.calls(operation="CreateRole")) == 2  # one per role
    lines = error_lines(err, "CreateRole", "InvalidInput", message,
                        "6c2a9f0e-0000-4000-8000-0123456789ab")
    assert len(lines) == 1, err
    assert re.search(r"\b(trainer|reader)\b", lines[0]), lines[0]
    assert "Apply complete!" not in out + err
    assert bucket_names(s3) == set(BUCKETS.values())
    assert len(role_names(iam)) == 1


# moto's own permission checks: an IAM user created in moto, whose policy
# allows S3 and nothing else.

def set_moto_auth(emulator, count):
    # (a form content type would hide the body from moto)
    req = urllib.request.Request(emulator.moto_url + "/moto-api/reset-auth",
                                 data=str(count).encode(), method="POST",
                                 headers={"Content-Type": "text/plain"})
    with urllib.request.urlopen(req, timeout=30) as resp:
        resp.read()


@pytest.fixture
def s3_only_user(emulator, iam):
    """Keys of a moto IAM user allowed s3:* only, with moto checking
    every request's signature and permissions until the test ends."""
    iam.create_user(UserName="deployer")
    iam.put_user_policy(UserName="deployer", PolicyName="s3-only",
                        PolicyDocument=json.dumps({
                            "Version": "2012-10-17",
                            "Statement": [{"Effect": "Allow",
                                           "Action": "s3:*",
                                           "Resource": "*"}]}))
    key = iam.create_access_key(UserName="deployer")["AccessKey"]
    env = {"AWS_ACCESS_KEY_ID": key["AccessKeyId"],
           "AWS_SECRET_ACCESS_KEY": key["SecretAccessKey"],
           "AWS_SESSION_TOKEN": ""}
    set_moto_auth(emulator, 0)
    try:
        yield env
    finally:
        set_moto_auth(emulator, "inf")


def test_access_denied_fails_at_once(cli, run, proxy, s3, iam,
                                     s3_only_user, emulator):
    cli.write_stack("""
        stack: denied
        resources:
          store:
            type: aws_s3_bucket
            properties: {bucket: denied-data}
          trainer:
            type: aws_iam_role
            properties:
              name: denied-trainer
              assume_role_policy: %s
        """ % SAGEMAKER_TRUST_YAML)
    code, out, err = run("apply", "--auto-approve", env=s3_only_user)
    set_moto_auth(emulator, "inf")   # boto3 below uses the fixture's keys

    assert code == 1
    creates = proxy.calls(operation="CreateRole")
    assert len(creates) == 1, "AccessDenied is not retried"
    assert creates[0].status == 403
    lines = error_lines(err, "CreateRole")
    assert len(lines) == 1, err
    line = lines[0]
    assert "trainer" in line
    assert "AccessDenied" in line
    # moto's message, word for word
    assert "is not authorized to perform: iam:CreateRole" in line
    assert "user/deployer" in line
    # the bucket did not need the role
    assert bucket_names(s3) == {"denied-data"}
    assert role_names(iam) == set()
    assert state_list(run) == {"store"}


# -- SageMaker: answers lost after AWS acted --------------------------------

SAGEMAKER_STACK = f"""
stack: faults-serving
resources:
  role:
    type: aws_iam_role
    properties:
      name: faults-serving
      assume_role_policy: {SAGEMAKER_TRUST_YAML}
      managed_policy_arns: [{SAGEMAKER_FULL_ACCESS}]
  model:
    type: aws_sagemaker_model
    properties:
      execution_role_arn: ${{role.arn}}
      primary_container:
        image: 123456789012.dkr.ecr.us-east-1.amazonaws.com/dogs:1
        model_data_url: s3://faults-models/dogs/model.tar.gz
  config:
    type: aws_sagemaker_endpoint_configuration
    properties:
      production_variants:
        - variant_name: AllTraffic
          model_name: ${{model.name}}
          instance_type: ml.m5.large
          initial_instance_count: 1
  endpoint:
    type: aws_sagemaker_endpoint
    properties:
      name: faults-dogs
      endpoint_config_name: ${{config.name}}
  notebook:
    type: aws_sagemaker_notebook_instance
    properties:
      name: faults-notebook
      instance_type: ml.t3.medium
      role_arn: ${{role.arn}}
"""
SAGEMAKER_NAMES = {"role", "model", "config", "endpoint", "notebook"}


@pytest.mark.parametrize("operation", [
    "CreateModel", "CreateEndpointConfig", "CreateEndpoint",
    "CreateNotebookInstance", "DeleteEndpoint", "DeleteEndpointConfig",
    "DeleteModel", "StopNotebookInstance", "DeleteNotebookInstance",
])
def test_sagemaker_answer_lost(cli, run, proxy, iam, emulator, operation):
    # As above, for SageMaker: the retry of a call moto has acted on is
    # refused (a duplicate, or the transition already under way), and
    # mlstack must adopt what was made, or wait for what was started.
    cli.env["MLSTACK_WAIT_DELAY"] = "0.05"
    cli.write_stack(SAGEMAKER_STACK)
    rule = proxy.inject("reset-after", operation=operation, calls=[1])
    apply_ok(run)
    assert state_list(run) == SAGEMAKER_NAMES
    assert_no_changes(run)
    destroy_ok(run)
    assert rule.injected == 1
    assert state_list(run) == set()
    assert role_names(iam) == set()
    sm = emulator.client("sagemaker")
    assert sm.list_endpoints()["Endpoints"] == []
    assert sm.list_notebook_instances()["NotebookInstances"] == []
    assert sm.list_models()["Models"] == []
    assert sm.list_endpoint_configs()["EndpointConfigs"] == []


def test_sagemaker_name_taken_by_another(cli, run, emulator):
    # What a lost answer's retry adopts is only ever the object asked for:
    # under the same name, a model or an endpoint on another spec is left
    # alone, and the apply says whose the name is.
    sm = emulator.client("sagemaker")
    role = "arn:aws:iam::123456789012:role/someone-else"
    sm.create_model(
        ModelName="taken-model", ExecutionRoleArn=role,
        PrimaryContainer={"Image": "123456789012.dkr.ecr.us-east-1."
                                   "amazonaws.com/cats:1"})
    sm.create_endpoint_config(
        EndpointConfigName="taken-other-config",
        ProductionVariants=[{"VariantName": "AllTraffic",
                             "ModelName": "taken-model",
                             "InstanceType": "ml.m5.large",
                             "InitialInstanceCount": 1}])
    sm.create_endpoint(EndpointName="taken-endpoint",
                       EndpointConfigName="taken-other-config")
    cli.env["MLSTACK_WAIT_DELAY"] = "0.05"
    cli.write_stack(f"""
stack: taken
resources:
  model:
    type: aws_sagemaker_model
    properties:
      name: taken-model
      execution_role_arn: {role}
      primary_container:
        image: 123456789012.dkr.ecr.us-east-1.amazonaws.com/dogs:1
  config:
    type: aws_sagemaker_endpoint_configuration
    properties:
      name: taken-config
      production_variants:
        - variant_name: AllTraffic
          model_name: taken-model
          instance_type: ml.m5.large
  endpoint:
    type: aws_sagemaker_endpoint
    properties:
      name: taken-endpoint
      endpoint_config_name: ${{config.name}}
""")
    code, out, err = run("apply", "--auto-approve")
    assert code == 1
    for what, name in (("model", "taken-model"),
                       ("endpoint", "taken-endpoint")):
        assert (f"{what} '{name}': the name is taken by an object this "
                f"stack did not make; to manage it, run \"mlstack import "
                f"{what} {name}\", or choose another name") in err, err
    model = sm.describe_model(ModelName="taken-model")
    assert model["PrimaryContainer"]["Image"].endswith("/cats:1")
    endpoint = sm.describe_endpoint(EndpointName="taken-endpoint")
    assert endpoint["EndpointConfigName"] == "taken-other-config"
    assert state_list(run) == {"config"}


@pytest.mark.parametrize("operation", [
    "UpdateEndpoint", "StopNotebookInstance", "UpdateNotebookInstance",
    "StartNotebookInstance",
])
def test_sagemaker_update_answer_lost(cli, run, proxy, emulator, operation):
    # An update's transitions, each with its first answer lost: the
    # refused retry finds the endpoint rolling out the new config, or the
    # notebook stopping, updating or starting, and mlstack waits for it.
    cli.env["MLSTACK_WAIT_DELAY"] = "0.05"
    cli.write_stack(SAGEMAKER_STACK)
    apply_ok(run)
    cli.write_stack(SAGEMAKER_STACK
                    .replace("initial_instance_count: 1",
                             "initial_instance_count: 2")
                    .replace("instance_type: ml.t3.medium",
                             "instance_type: ml.t3.large"))
    rule = proxy.inject("reset-after", operation=operation, calls=[1])
    apply_ok(run)
    assert rule.injected == 1
    assert_no_changes(run)
    sm = emulator.client("sagemaker")
    endpoint = sm.describe_endpoint(EndpointName="faults-dogs")
    config = sm.describe_endpoint_config(
        EndpointConfigName=endpoint["EndpointConfigName"])
    assert endpoint["EndpointStatus"] == "InService"
    assert config["ProductionVariants"][0]["InitialInstanceCount"] == 2
    notebook = sm.describe_notebook_instance(
        NotebookInstanceName="faults-notebook")
    assert notebook["NotebookInstanceStatus"] == "InService"
    assert notebook["InstanceType"] == "ml.t3.large"
    destroy_ok(run)
