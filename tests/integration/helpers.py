"""Small helpers shared by the integration tests."""

import json
import re
import time

from botocore.exceptions import ClientError

ACCOUNT_ID = "123456789012"
SAGEMAKER_FULL_ACCESS = "arn:aws:iam::aws:policy/AmazonSageMakerFullAccess"

# The trust policy that lets SageMaker assume a role, as a YAML flow map
# (to be placed after "assume_role_policy:").
SAGEMAKER_TRUST_YAML = (
    '{Version: "2012-10-17", Statement: [{Effect: Allow, '
    'Principal: {Service: sagemaker.amazonaws.com}, '
    'Action: "sts:AssumeRole"}]}')
SAGEMAKER_TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow",
                   "Principal": {"Service": "sagemaker.amazonaws.com"},
                   "Action": "sts:AssumeRole"}],
}



def data_role_yaml(name):
    """Resource "role" of a stack's resources: block (YAML): a role
    SageMaker assumes, with an inline policy on the objects of resource
    data_bucket (GetObject, PutObject, DeleteObject)."""
    return f"""\
  role:
    type: aws_iam_role
    properties:
      name: {name}
      assume_role_policy: {SAGEMAKER_TRUST_YAML}
      inline_policies:
        data:
          Version: "2012-10-17"
          Statement:
            - Effect: Allow
              Action: ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
              Resource: "${{data_bucket.arn}}/*"
"""

PLAN_RE = re.compile(
    r"^Plan: (\d+) to add, (\d+) to change, (\d+) to destroy\.$")
NO_CHANGES = "No changes. Your infrastructure matches the configuration."


def last_line(text):
    """The last non-blank line, stripped."""
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    return lines[-1] if lines else ""


def plan_counts(stdout, last=True):
    """(add, change, destroy) from a plan's summary line, (0, 0, 0) for
    "No changes."; fails the test when there is none. The summary must be
    the last line, unless last=False (plan -out says where it saved the
    plan after it)."""
    lines = [ln.strip() for ln in stdout.splitlines() if ln.strip()]
    if last:
        lines = lines[-1:]
    for line in reversed(lines):
        if line == NO_CHANGES:
            return (0, 0, 0)
        m = PLAN_RE.match(line)
        if m:
            return tuple(int(g) for g in m.groups())
    raise AssertionError(f"no plan summary line in:\n{stdout}")


def owner(stack, resource):
    """The owner mark mlstack tags every object it makes with."""
    return {"mlstack:stack": stack, "mlstack:resource": resource}


def bucket_names(s3):
    return {b["Name"] for b in s3.list_buckets().get("Buckets", [])}


def role_names(iam):
    names = set()
    for page in iam.get_paginator("list_roles").paginate():
        names |= {r["RoleName"] for r in page["Roles"]}
    return names


def bucket_tags(s3, bucket):
    try:
        tagset = s3.get_bucket_tagging(Bucket=bucket)["TagSet"]
    except ClientError as e:
        if e.response["Error"]["Code"] == "NoSuchTagSet":
            return {}
        raise
    return {t["Key"]: t["Value"] for t in tagset}


def role_tags(iam, role):
    return {t["Key"]: t["Value"]
            for t in iam.list_role_tags(RoleName=role)["Tags"]}


def attached_policies(iam, role):
    return {p["PolicyArn"] for p in
            iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"]}


def role_exists(iam, role):
    try:
        iam.get_role(RoleName=role)
        return True
    except ClientError as e:
        if e.response["Error"]["Code"] == "NoSuchEntity":
            return False
        raise


def policy_document(doc):
    """A policy document as boto3 returns it (dict, or URL-decoded JSON
    string) as a dict."""
    return doc if isinstance(doc, dict) else json.loads(doc)


def wait_for(predicate, timeout=30, interval=0.02, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def state_list(run):
    """The resource names `mlstack state list` prints, as a set."""
    _, out, _ = run("state", "list", check=0)
    return {ln.strip() for ln in out.splitlines() if ln.strip()}


def max_in_flight(calls):
    """The most requests the proxy was handling at the same moment."""
    events = []
    for c in calls:
        events.append((c.started, 1))
        events.append((c.started + c.elapsed, -1))
    events.sort(key=lambda e: (e[0], e[1]))   # an end before a start
    most = now = 0
    for _, delta in events:
        now += delta
        most = max(most, now)
    return most


def call_counts(proxy, service):
    """The calls to service the proxy recorded, by operation."""
    out = {}
    for c in proxy.calls(service=service):
        out[c.operation] = out.get(c.operation, 0) + 1
    return out


def some_ami(ec2):
    """An image the emulator has (the first of Amazon's by id)."""
    return sorted(i["ImageId"] for i in ec2.describe_images(
        Owners=["amazon"])["Images"])[0]


def apply_ok(run, *args, **kw):
    """apply -auto-approve, which must succeed: its output and errors."""
    code, out, err = run("apply", "-auto-approve", *args, **kw)
    assert code == 0, err
    return out + err


def plan_ok(run, *args, **kw):
    """plan -detailed-exitcode, which must not fail: (exit code, output)."""
    code, out, err = run("plan", "-detailed-exitcode", *args, **kw)
    assert code in (0, 2), err
    return code, out
