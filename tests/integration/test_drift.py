"""Drift: what changed in AWS behind mlstack's back is shown and undone."""

import time

from helpers import (NO_CHANGES, SAGEMAKER_FULL_ACCESS, SAGEMAKER_TRUST_YAML,
                     attached_policies, bucket_names, bucket_tags, last_line,
                     owner, plan_counts, role_exists, state_list)

ROLE = "drift-sagemaker"

STACK = f"""
stack: drift
resources:
  store:
    type: aws_s3_bucket
    properties:
      bucket: drift-data
      tags: {{team: ml}}
  role:
    type: aws_iam_role
    properties:
      name: {ROLE}
      assume_role_policy: {SAGEMAKER_TRUST_YAML}
      managed_policy_arns: [{SAGEMAKER_FULL_ACCESS}]
"""


def apply(run, **kw):
    code, out, err = run("apply", "--auto-approve", **kw)
    assert code == 0, err
    return out + err


def test_detached_policy_is_reattached(run, iam):
    apply(run, stack=STACK)
    assert attached_policies(iam, ROLE) == {SAGEMAKER_FULL_ACCESS}

    iam.detach_role_policy(RoleName=ROLE, PolicyArn=SAGEMAKER_FULL_ACCESS)

    code, out, _ = run("plan", "--detailed-exitcode")
    assert code == 2
    assert "  # role has changed outside of mlstack" in out
    assert "  # role will be updated in place" in out
    assert "AmazonSageMakerFullAccess" in out
    assert "  # store has changed outside of mlstack" not in out
    assert plan_counts(out) == (0, 1, 0)

    out = apply(run)
    assert "Apply complete! Resources: 0 added, 1 changed, 0 destroyed." in out
    assert attached_policies(iam, ROLE) == {SAGEMAKER_FULL_ACCESS}

    code, out, _ = run("plan", "--detailed-exitcode")
    assert code == 0
    assert last_line(out) == NO_CHANGES


def test_changed_tag_is_restored(run, s3):
    apply(run, stack=STACK)
    s3.put_bucket_tagging(Bucket="drift-data", Tagging={"TagSet": [
        {"Key": "team", "Value": "someone-else"}]})

    code, out, _ = run("plan", "--detailed-exitcode")
    assert code == 2
    assert "  # store has changed outside of mlstack" in out
    assert "  # store will be updated in place" in out
    assert plan_counts(out) == (0, 1, 0)

    apply(run)
    assert bucket_tags(s3, "drift-data") == {"team": "ml",
                                             **owner("drift", "store")}


def test_deleted_bucket_is_recreated(run, s3):
    apply(run, stack=STACK)
    s3.delete_bucket(Bucket="drift-data")

    code, out, _ = run("plan", "--detailed-exitcode")
    assert code == 2
    assert "  # store will be created" in out
    assert plan_counts(out) == (1, 0, 0)

    out = apply(run)
    assert "Apply complete! Resources: 1 added, 0 changed, 0 destroyed." in out
    assert bucket_names(s3) == {"drift-data"}


def test_refresh_false_does_not_look(run, s3, proxy):
    apply(run, stack=STACK)
    s3.delete_bucket(Bucket="drift-data")
    proxy.clear_calls()

    code, out, _ = run("plan", "--refresh=false", "--detailed-exitcode")
    assert code == 0
    assert last_line(out) == NO_CHANGES
    assert proxy.calls(service="s3") == []
    assert proxy.calls(service="iam") == []


def test_destroy_when_already_deleted_outside(run, s3, iam):
    apply(run, stack=STACK)
    s3.delete_bucket(Bucket="drift-data")

    code, out, err = run("destroy", "--auto-approve")
    assert code == 0, err
    assert "Destroy complete!" in out + err
    assert bucket_names(s3) == set()
    assert not role_exists(iam, ROLE)
    # What is gone from AWS is gone from the state too.
    assert state_list(run) == set()


OBJECT_STACK = """
stack: drift-object
resources:
  note:
    type: aws_s3_object
    properties:
      bucket: drift-objects
      key: notes/readme.txt
      content: "hello"
      cache_control: "max-age=60"
"""


def test_setting_removed_outside_is_reported_as_drift(run, s3):
    """A setting that someone removes (not changes) behind mlstack's back
    is drift too: the plan says what changed outside, then restores it."""
    s3.create_bucket(Bucket="drift-objects")
    apply(run, stack=OBJECT_STACK)
    # S3's times are whole seconds: a rewrite within the second of
    # mlstack's own write keeps the listed time (docs/refresh.md)
    time.sleep(1.05)
    # a copy onto itself with new metadata and no Cache-Control
    s3.copy_object(Bucket="drift-objects", Key="notes/readme.txt",
                   CopySource={"Bucket": "drift-objects",
                               "Key": "notes/readme.txt"},
                   MetadataDirective="REPLACE", ContentType="text/plain")
    assert "CacheControl" not in s3.head_object(
        Bucket="drift-objects", Key="notes/readme.txt")

    code, out, _ = run("plan", "--detailed-exitcode")
    assert code == 2, out
    assert "  # note has changed outside of mlstack" in out
    assert "cache_control" in out
    assert "  # note will be updated in place" in out

    apply(run)
    assert s3.head_object(Bucket="drift-objects", Key="notes/readme.txt")[
        "CacheControl"] == "max-age=60"
    code, out, _ = run("plan", "--detailed-exitcode")
    assert code == 0, out
