"""Never touch what is not ours (DESIGN §4): on an account where other
people work, mlstack adopts, changes or deletes an object only when this
stack provably made it (its owner mark: the mlstack:stack and
mlstack:resource tags); anything else is left alone, and the error names
what is in the way and the two ways out. Renaming a resource's key moves
the object instead of deleting it; `state mv`, `state rm` and `import`
edit the state without touching AWS."""

import json
import os
import signal
import threading

import pytest

import moto_sagemaker
from helpers import (ACCOUNT_ID, NO_CHANGES, SAGEMAKER_FULL_ACCESS,
                     SAGEMAKER_TRUST, SAGEMAKER_TRUST_YAML, attached_policies,
                     bucket_names, bucket_tags, last_line, owner, plan_counts,
                     policy_document, role_tags, state_list, wait_for)

STACK = "shared"
S3_READ = "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"
IMAGE = f"{ACCOUNT_ID}.dkr.ecr.us-east-1.amazonaws.com/dog-breeds:1"


def taken(what, resource, name):
    return (f"{what} '{name}': the name is taken by an object this stack "
            f"did not make; to manage it, run \"mlstack import {resource} "
            f"{name}\", or choose another name")


def journal(cli, stack=STACK):
    path = cli.state_dir / stack / "journal.json"
    if not path.exists() or not path.read_text().strip():
        return {}
    return json.loads(path.read_text())


def mutating(proxy):
    reads = ("Get", "List", "Describe", "Head")
    return [c.operation for c in proxy.calls()
            if not c.operation.startswith(reads)]


@pytest.fixture(autouse=True)
def fast_waits(cli):
    cli.env["MLSTACK_WAIT_DELAY"] = "0.05"
    moto_sagemaker.control.polls = 1


@pytest.fixture
def sm(emulator):
    return emulator.client("sagemaker")


def role_stack(name="shared-trainer"):
    return f"""
stack: {STACK}
resources:
  role:
    type: aws_iam_role
    properties:
      name: {name}
      assume_role_policy: {SAGEMAKER_TRUST_YAML}
      managed_policy_arns: [{SAGEMAKER_FULL_ACCESS}]
"""


def bucket_stack(key="store", bucket="shared-data"):
    return f"""
stack: {STACK}
resources:
  {key}:
    type: aws_s3_bucket
    properties: {{bucket: {bucket}, force_destroy: true}}
"""


def test_foreign_role_is_never_adopted(run, cli, iam, proxy):
    # Someone else's role, with the very trust policy the stack asks for.
    iam.create_role(RoleName="shared-trainer",
                    AssumeRolePolicyDocument=json.dumps(SAGEMAKER_TRUST),
                    Tags=[{"Key": "owner", "Value": "someone"}])
    iam.attach_role_policy(RoleName="shared-trainer", PolicyArn=S3_READ)
    cli.write_stack(role_stack())

    for _ in range(2):
        code, _, err = run("apply", "--auto-approve")
        assert code == 1
        assert taken("role", "role", "shared-trainer") in err, err
        assert journal(cli) == {}
    code, _, err = run("destroy", "--auto-approve")
    assert code == 0, err

    role = iam.get_role(RoleName="shared-trainer")["Role"]
    assert policy_document(role["AssumeRolePolicyDocument"]) == \
        SAGEMAKER_TRUST
    assert attached_policies(iam, "shared-trainer") == {S3_READ}
    assert role_tags(iam, "shared-trainer") == {"owner": "someone"}
    assert state_list(run) == set()


def test_foreign_notebook_is_never_stopped(run, cli, iam, sm):
    role_arn = f"arn:aws:iam::{ACCOUNT_ID}:role/someone-else"
    sm.create_notebook_instance(NotebookInstanceName="shared-notebook",
                                InstanceType="ml.t3.medium",
                                RoleArn=role_arn)
    cli.write_stack(f"""
stack: {STACK}
resources:
  notebook:
    type: aws_sagemaker_notebook_instance
    properties:
      name: shared-notebook
      instance_type: ml.t3.large
      role_arn: {role_arn}
""")
    for _ in range(2):
        code, _, err = run("apply", "--auto-approve")
        assert code == 1
        assert taken("notebook instance", "notebook",
                     "shared-notebook") in err, err
    code, _, err = run("destroy", "--auto-approve")
    assert code == 0, err
    nb = sm.describe_notebook_instance(NotebookInstanceName="shared-notebook")
    assert nb["InstanceType"] == "ml.t3.medium"
    history = moto_sagemaker.control.history("notebook", "shared-notebook")
    assert "Stopping" not in history and "Deleting" not in history


def test_foreign_bucket_with_data_survives(run, cli, s3, proxy):
    s3.create_bucket(Bucket="shared-data")
    s3.put_object(Bucket="shared-data", Key="dogs/1.jpg", Body=b"woof")
    cli.write_stack(bucket_stack())

    code, _, err = run("apply", "--auto-approve")
    assert code == 1
    assert taken("bucket", "store", "shared-data") in err, err
    assert journal(cli) == {}
    code, _, err = run("destroy", "--auto-approve")
    assert code == 0, err

    assert s3.get_object(Bucket="shared-data",
                         Key="dogs/1.jpg")["Body"].read() == b"woof"
    assert bucket_tags(s3, "shared-data") == {}
    assert not [op for op in mutating(proxy) if "Bucket" in op and
                op != "CreateBucket" or op.startswith("Delete")], \
        mutating(proxy)


def test_renamed_key_moves_the_object(run, cli, s3, proxy):
    code, _, err = run("apply", "--auto-approve",
                       stack=bucket_stack("store", "own-data"))
    assert code == 0, err
    s3.put_object(Bucket="own-data", Key="dogs/1.jpg", Body=b"woof")

    code, out, _ = run("plan", "--detailed-exitcode",
                       stack=bucket_stack("dataset", "own-data"))
    assert code == 2
    assert "  # store has moved to dataset" in out
    assert plan_counts(out) == (0, 1, 0)   # the owner mark follows
    proxy.clear_calls()
    code, out, err = run("apply", "--auto-approve")
    assert code == 0, err
    assert "Apply complete! Resources: 0 added, 1 changed, 0 destroyed." \
        in out
    assert "DeleteBucket" not in mutating(proxy)
    assert s3.get_object(Bucket="own-data",
                         Key="dogs/1.jpg")["Body"].read() == b"woof"
    assert bucket_tags(s3, "own-data") == owner(STACK, "dataset")
    assert state_list(run) == {"dataset"}
    code, out, _ = run("plan", "--detailed-exitcode")
    assert code == 0 and last_line(out) == NO_CHANGES, out


def test_state_mv_and_rm_leave_aws_alone(run, cli, s3, proxy):
    code, _, err = run("apply", "--auto-approve",
                       stack=bucket_stack("store", "own-data"))
    assert code == 0, err
    proxy.clear_calls()

    cli.write_stack(bucket_stack("training_data", "own-data"))
    code, out, err = run("state", "mv", "store", "training_data")
    assert code == 0, err
    assert "Moved store to training_data." in out
    assert proxy.calls() == []
    assert state_list(run) == {"training_data"}
    code, out, _ = run("plan", "--detailed-exitcode")
    assert code == 2
    assert "has moved" not in out
    assert plan_counts(out) == (0, 1, 0)   # the mark names the new key
    code, _, err = run("apply", "--auto-approve")
    assert code == 0, err
    assert bucket_tags(s3, "own-data") == owner(STACK, "training_data")

    code, out, err = run("state", "mv", "training_data", "store")
    assert code == 0
    code, _, err = run("state", "mv", "nothing", "other")
    assert code == 1
    assert err.strip() == 'Error: resource "nothing" is not in the state'

    proxy.clear_calls()
    code, out, err = run("state", "rm", "store")
    assert code == 0, err
    assert proxy.calls() == []
    assert state_list(run) == set()
    code, _, err = run("destroy", "--auto-approve")
    assert code == 0, err
    assert bucket_names(s3) == {"own-data"}
    log = [c["message"] for c in json.loads(run("history", "--json")[1])]
    assert "state mv shared: store -> training_data" in log
    assert "state rm shared: store" in log


def test_import_takes_a_foreign_bucket_on_request(run, cli, s3):
    s3.create_bucket(Bucket="shared-data")
    s3.put_object(Bucket="shared-data", Key="dogs/1.jpg", Body=b"woof")
    cli.write_stack(bucket_stack())

    code, out, err = run("import", "store", "shared-data")
    assert code == 0, err
    assert "store: imported shared-data." in out
    code, out, _ = run("plan", "--detailed-exitcode")
    assert code == 2
    assert plan_counts(out) == (0, 1, 0)
    code, _, err = run("apply", "--auto-approve")
    assert code == 0, err
    assert bucket_tags(s3, "shared-data") == owner(STACK, "store")
    code, out, _ = run("plan", "--detailed-exitcode")
    assert code == 0, out

    code, _, err = run("import", "store", "shared-data")
    assert code == 1
    assert 'resource "store" is in the state already' in err
    code, _, err = run("import", "other", "shared-data")
    assert code == 1
    assert 'resource "other" is not in the stack' in err
    cli.write_stack(bucket_stack("store", "shared-data") +
                    "  logs:\n    type: aws_s3_bucket\n"
                    "    properties: {bucket: no-such-bucket}\n")
    code, _, err = run("import", "logs", "no-such-bucket")
    assert code == 1
    assert 'no aws_s3_bucket "no-such-bucket" to import' in err


def serving_stack():
    return f"""
stack: {STACK}
resources:
  store:
    type: aws_s3_bucket
    properties: {{bucket: shared-models}}
  role:
    type: aws_iam_role
    properties:
      name: shared-sagemaker
      assume_role_policy: {SAGEMAKER_TRUST_YAML}
      managed_policy_arns: [{SAGEMAKER_FULL_ACCESS}]
  model:
    type: aws_sagemaker_model
    properties:
      execution_role_arn: ${{role.arn}}
      primary_container:
        image: {IMAGE}
        model_data_url: s3://shared-models/model.tar.gz
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
      name: shared-endpoint
      endpoint_config_name: ${{config.name}}
  notebook:
    type: aws_sagemaker_notebook_instance
    properties:
      name: shared-notebook
      instance_type: ml.t3.medium
      role_arn: ${{role.arn}}
"""


def test_state_rm_then_import_every_type(run, cli, proxy):
    # Every resource type, forgotten and imported back: the plan after
    # the imports has nothing to do, and nothing in AWS was touched.
    code, _, err = run("apply", "--auto-approve", stack=serving_stack())
    assert code == 0, err
    ids = {}
    for name in sorted(state_list(run)):
        stored = json.loads(run("state", "show", name, "--json")[1])
        ids[name] = stored["id"]
    assert set(ids) == {"store", "role", "model", "config", "endpoint",
                        "notebook"}

    proxy.clear_calls()
    code, _, err = run("state", "rm", *ids)
    assert code == 0, err
    assert state_list(run) == set()
    code, out, _ = run("plan", "--detailed-exitcode")
    assert plan_counts(out) == (6, 0, 0)
    for name, ident in ids.items():
        code, _, err = run("import", name, ident)
        assert code == 0, err
    assert mutating(proxy) == []
    assert state_list(run) == set(ids)
    code, out, _ = run("plan", "--detailed-exitcode")
    assert code == 0 and last_line(out) == NO_CHANGES, out


def test_long_key_is_refused_before_anything_is_made(run, cli, s3):
    key = "k" * 129
    cli.write_stack(bucket_stack(key, "long-key-data"))
    for command in (("validate",), ("plan",), ("apply", "--auto-approve")):
        code, _, err = run(*command)
        assert code == 1
        assert (f'mlstack.yaml:3:3: resource "{key}": the name is 129 '
                f'characters long; the state holds names of at most 128'
                ) in err, err
    assert bucket_names(s3) == set()
    code, _, err = run("validate", stack=bucket_stack("k" * 128, "ok-data"))
    assert code == 0, err


def test_two_resources_naming_one_object_are_refused(run, cli, s3):
    cli.write_stack(f"""
stack: {STACK}
variables:
  prefix: {{default: shared}}
resources:
  store:
    type: aws_s3_bucket
    properties: {{bucket: "${{var.prefix}}-data"}}
  copy:
    type: aws_s3_bucket
    properties: {{bucket: shared-data}}
""")
    for command in (("validate",), ("apply", "--auto-approve")):
        code, _, err = run(*command)
        assert code == 1
        assert ('mlstack.yaml:10:18: resource "copy": bucket "shared-data" '
                'is also the bucket of resource "store"; one object cannot '
                'be managed by two resources') in err, err
    # a name made of another resource's value is known at plan time
    cli.write_stack(bucket_stack() + "  copy:\n    type: aws_s3_bucket\n"
                    "    properties: {bucket: \"${store.bucket}\"}\n")
    code, _, err = run("validate")
    assert code == 0, err
    code, _, err = run("apply", "--auto-approve")
    assert code == 1
    assert ('resource "copy": bucket "shared-data" is also the bucket of '
            'resource "store"; one object cannot be managed by two '
            'resources') in err, err
    assert bucket_names(s3) == set()


def test_create_in_flight_is_resolved_when_no_longer_declared(run, cli, s3,
                                                              proxy):
    # kill -9 while CreateBucket is on its way: the request reaches S3
    # only after the process died. The next run, on a stack that no
    # longer declares the bucket, keeps the intent while the create may
    # still land; once it has, the run after adopts and deletes it.
    cli.write_stack(bucket_stack("store", "late-data") +
                    "  keep:\n    type: aws_s3_bucket\n"
                    "    properties: {bucket: keep-data}\n")
    seen, release = threading.Event(), threading.Event()

    def hold(req):
        if req.operation == "CreateBucket" and "late-data" in req.path:
            seen.set()
            release.wait(30)
        return None

    proxy.add_hook(hold)
    proc = cli.popen("apply", "--auto-approve", "--parallelism", "1")
    assert seen.wait(30), "CreateBucket never came"
    os.killpg(proc.pid, signal.SIGKILL)
    cli.wait(proc)
    assert "store" in journal(cli)

    cli.write_stack(f"""
stack: {STACK}
resources:
  keep:
    type: aws_s3_bucket
    properties: {{bucket: keep-data}}
""")
    run("force-unlock", "-force", check=0)
    code, _, err = run("apply", "--auto-approve")
    assert code == 0, err
    assert "store" in journal(cli), "the intent was dropped while in flight"

    release.set()
    wait_for(lambda: "late-data" in bucket_names(s3), what="the late create")
    proxy.remove_hook(hold)
    code, out, err = run("apply", "--auto-approve")
    assert code == 0, err
    assert bucket_names(s3) == {"keep-data"}
    assert journal(cli) == {}
    assert state_list(run) == {"keep"}


def test_imported_model_keeps_its_name(run, cli, sm):
    # An unnamed model is named after its spec; one imported under another
    # name keeps it while the spec is the one asked for.
    sm.create_model(ModelName="legacy-model",
                    ExecutionRoleArn=f"arn:aws:iam::{ACCOUNT_ID}:role/r",
                    PrimaryContainer={"Image": IMAGE})
    cli.write_stack(f"""
stack: {STACK}
resources:
  model:
    type: aws_sagemaker_model
    properties:
      execution_role_arn: arn:aws:iam::{ACCOUNT_ID}:role/r
      primary_container: {{image: "{IMAGE}"}}
""")
    code, _, err = run("import", "model", "legacy-model")
    assert code == 0, err
    code, out, _ = run("plan", "--detailed-exitcode")
    assert code == 2 and plan_counts(out) == (0, 1, 0), out  # the mark
    assert "must be replaced" not in out
    code, _, err = run("apply", "--auto-approve")
    assert code == 0, err
    assert {m["ModelName"] for m in sm.list_models()["Models"]} == \
        {"legacy-model"}
    code, out, _ = run("plan", "--detailed-exitcode")
    assert code == 0, out
