"""apply and destroy of buckets and a role: create, no-op, update in place,
replace, removal from the file, destroy."""

import pytest
from botocore.exceptions import ClientError

from helpers import (NO_CHANGES, SAGEMAKER_FULL_ACCESS, SAGEMAKER_TRUST,
                     SAGEMAKER_TRUST_YAML, attached_policies, bucket_names,
                     bucket_tags, last_line, max_in_flight, owner, plan_counts,
                     policy_document, role_exists, role_names, role_tags,
                     state_list)

STACK = "itest"
ROLE = "itest-sagemaker"


def stack(logs="itest-logs", team="ml", with_logs=True,
          trust=SAGEMAKER_TRUST_YAML):
    logs_resource = f"""
  logs:
    type: aws_s3_bucket
    properties:
      bucket: {logs}
      force_destroy: true
""" if with_logs else ""
    return f"""\
stack: {STACK}
region: us-east-1
tags: {{project: itest}}

resources:
  store:
    type: aws_s3_bucket
    properties:
      bucket: itest-data
      tags: {{team: {team}}}
{logs_resource}
  role:
    type: aws_iam_role
    properties:
      name: {ROLE}
      description: runs training jobs
      assume_role_policy: {trust}
      managed_policy_arns: [{SAGEMAKER_FULL_ACCESS}]
      inline_policies:
        data-access:
          Version: "2012-10-17"
          Statement:
            - Effect: Allow
              Action: ["s3:GetObject", "s3:PutObject"]
              Resource: "${{store.arn}}/*"
      tags: {{owner: tests}}
"""


def apply_initial(run):
    code, out, err = run("apply", "--auto-approve", stack=stack())
    assert code == 0, err
    assert "Apply complete! Resources: 3 added, 0 changed, 0 destroyed." \
        in out + err


def assert_no_changes(run):
    code, out, _ = run("plan", "--detailed-exitcode")
    assert code == 0
    assert last_line(out) == NO_CHANGES


def test_create(run, s3, iam):
    code, out, _ = run("plan", stack=stack())
    assert code == 0
    for name in ("store", "logs", "role"):
        assert f"  # {name} will be created" in out
    assert "(known after apply)" in out
    assert plan_counts(out) == (3, 0, 0)
    assert bucket_names(s3) == set(), "plan must not change anything"

    apply_initial(run)

    assert bucket_names(s3) == {"itest-data", "itest-logs"}
    for bucket in ("itest-data", "itest-logs"):
        s3.head_bucket(Bucket=bucket)
        block = s3.get_public_access_block(Bucket=bucket)[
            "PublicAccessBlockConfiguration"]
        assert block == {"BlockPublicAcls": True, "IgnorePublicAcls": True,
                         "BlockPublicPolicy": True,
                         "RestrictPublicBuckets": True}
    # Stack tags are default tags on every taggable resource.
    assert bucket_tags(s3, "itest-data") == {"project": "itest", "team": "ml",
                                             **owner("itest", "store")}

    role = iam.get_role(RoleName=ROLE)["Role"]
    assert policy_document(role["AssumeRolePolicyDocument"]) == SAGEMAKER_TRUST
    assert role["Description"] == "runs training jobs"
    assert attached_policies(iam, ROLE) == {SAGEMAKER_FULL_ACCESS}
    assert iam.list_role_policies(RoleName=ROLE)["PolicyNames"] == \
        ["data-access"]
    inline = policy_document(iam.get_role_policy(
        RoleName=ROLE, PolicyName="data-access")["PolicyDocument"])
    statement = inline["Statement"][0]
    assert statement["Resource"] == "arn:aws:s3:::itest-data/*"
    assert sorted(statement["Action"]) == ["s3:GetObject", "s3:PutObject"]
    assert role_tags(iam, ROLE) == {"project": "itest", "owner": "tests",
                                    **owner("itest", "role")}

    assert state_list(run) == {"store", "logs", "role"}
    assert_no_changes(run)


def test_update_tag_in_place(run, s3):
    apply_initial(run)
    code, out, _ = run("plan", "--detailed-exitcode",
                       stack=stack(team="research"))
    assert code == 2
    assert "  # store will be updated in place" in out
    assert "research" in out and "ml" in out
    assert "must be replaced" not in out
    assert plan_counts(out) == (0, 1, 0)

    code, out, err = run("apply", "--auto-approve")
    assert code == 0, err
    assert "Apply complete! Resources: 0 added, 1 changed, 0 destroyed." \
        in out + err
    assert bucket_tags(s3, "itest-data") == {"project": "itest",
                                             "team": "research",
                                             **owner("itest", "store")}
    assert_no_changes(run)


def test_rename_bucket_replaces_it(run, s3):
    apply_initial(run)
    code, out, _ = run("plan", stack=stack(logs="itest-logs-v2"))
    assert code == 0
    assert "  # logs must be replaced" in out
    forced = [ln for ln in out.splitlines() if "# forces replacement" in ln]
    assert forced and all("itest-logs-v2" in ln for ln in forced), out
    assert any("bucket" in ln for ln in forced), out
    assert plan_counts(out) == (1, 0, 1)

    code, out, err = run("apply", "--auto-approve")
    assert code == 0, err
    assert "Apply complete! Resources: 1 added, 0 changed, 1 destroyed." \
        in out + err
    assert bucket_names(s3) == {"itest-data", "itest-logs-v2"}
    assert state_list(run) == {"store", "logs", "role"}
    assert_no_changes(run)


def test_remove_resource_from_file(run, s3, iam):
    apply_initial(run)
    code, out, _ = run("plan", stack=stack(with_logs=False))
    assert code == 0
    assert "  # logs will be destroyed" in out
    assert plan_counts(out) == (0, 0, 1)

    code, out, err = run("apply", "--auto-approve")
    assert code == 0, err
    assert "Apply complete! Resources: 0 added, 0 changed, 1 destroyed." \
        in out + err
    assert bucket_names(s3) == {"itest-data"}
    assert role_exists(iam, ROLE)
    assert state_list(run) == {"store", "role"}
    assert_no_changes(run)


def test_destroy(run, s3, iam):
    apply_initial(run)
    code, out, err = run("destroy", "--auto-approve")
    assert code == 0, err
    assert "Destroy complete! Resources: 3 destroyed." in out + err
    assert bucket_names(s3) == set()
    assert role_names(iam) == set()
    with pytest.raises(ClientError) as e:
        iam.get_role(RoleName=ROLE)
    assert e.value.response["Error"]["Code"] == "NoSuchEntity"
    assert state_list(run) == set()
    # Destroying nothing is fine.
    code, out, err = run("destroy", "--auto-approve")
    assert code == 0, err
    assert "Destroy complete! Resources: 0 destroyed." in out + err


def test_force_destroy_empties_bucket(run, s3):
    apply_initial(run)
    s3.put_object(Bucket="itest-logs", Key="a/b.txt", Body=b"log",
                  ContentType="text/plain")
    code, _, err = run("destroy", "--auto-approve")
    assert code == 0, err
    assert bucket_names(s3) == set()


# The trust policy written as a JSON string, with other key order and
# spacing: the same document, so the same role.
TRUST_AS_STRING = """|
        {
          "Statement": [ { "Action": "sts:AssumeRole",
                           "Principal": {"Service": "sagemaker.amazonaws.com"},
                           "Effect": "Allow" } ],
          "Version":   "2012-10-17"
        }"""


def test_policy_json_string_is_normalized(run):
    apply_initial(run)
    code, out, _ = run("plan", "--detailed-exitcode",
                       stack=stack(trust=TRUST_AS_STRING))
    assert code == 0, out
    assert last_line(out) == NO_CHANGES


def buckets_stack(n):
    return "stack: par\nresources:\n" + "".join(
        f"  b{i}:\n    type: aws_s3_bucket\n"
        f"    properties: {{bucket: par-bucket-{i}}}\n" for i in range(n))


@pytest.mark.parametrize("parallelism,lowest,highest", [
    ("1", 1, 1), ("3", 2, 3), (None, 2, 10)],
    ids=["parallelism-1", "parallelism-3", "default"])
def test_parallelism(cli, run, proxy, s3, parallelism, lowest, highest):
    # Independent resources are worked on at once, up to -parallelism
    # AWS operations at a time (default 10).
    cli.write_stack(buckets_stack(8))
    opts = ["--parallelism", parallelism] if parallelism else []
    proxy.latency = 0.03   # enough for calls to overlap, no more
    code, _, err = run("apply", "--auto-approve", *opts)
    assert code == 0, err
    assert len(bucket_names(s3)) == 8
    assert lowest <= max_in_flight(proxy.calls()) <= highest

    proxy.clear_calls()
    code, _, err = run("destroy", "--auto-approve", *opts)
    assert code == 0, err
    assert bucket_names(s3) == set()
    assert lowest <= max_in_flight(proxy.calls()) <= highest
