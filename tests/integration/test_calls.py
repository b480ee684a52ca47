"""What mlstack calls, as the proxy saw it: a plan with nothing to change
writes nothing, a refresh reads each resource once, and the workers keep
their HTTPS connections alive."""

import re
import urllib.parse
from collections import Counter

from helpers import (NO_CHANGES, SAGEMAKER_FULL_ACCESS, SAGEMAKER_TRUST_YAML,
                     bucket_names, last_line)


def stack(n, stack_name="calls"):
    """n buckets and n roles (each with a managed and an inline policy
    that names its bucket)."""
    lines = [f"stack: {stack_name}", "tags: {suite: calls}", "resources:"]
    for i in range(n):
        lines += [f"  bucket{i}:",
                  "    type: aws_s3_bucket",
                  f"    properties: {{bucket: calls-bucket-{i}, "
                  f"tags: {{n: '{i}'}}}}",
                  f"  role{i}:",
                  "    type: aws_iam_role",
                  "    properties:",
                  f"      name: calls-role-{i}",
                  f"      assume_role_policy: {SAGEMAKER_TRUST_YAML}",
                  f"      managed_policy_arns: [{SAGEMAKER_FULL_ACCESS}]",
                  "      inline_policies:",
                  "        data:",
                  "          Version: '2012-10-17'",
                  "          Statement:",
                  "            - Effect: Allow",
                  "              Action: 's3:GetObject'",
                  f"              Resource: '${{bucket{i}.arn}}/*'"]
    return "\n".join(lines) + "\n"


def subject(call):
    """What a call is about: the bucket, or the role (and policy)."""
    req = call.request
    if call.service == "s3":
        return urllib.parse.urlsplit(req.target).path.strip("/")
    params = req.params()
    return "/".join(params[k] for k in ("RoleName", "PolicyName",
                                        "PolicyArn") if k in params)


def apply(run, text):
    code, out, err = run("apply", "--auto-approve", stack=text)
    assert code == 0, err


def test_no_change_plan_and_apply_write_nothing(run, proxy):
    apply(run, stack(2))
    for args in (["plan", "--detailed-exitcode"],
                 ["apply", "--auto-approve"]):
        proxy.clear_calls()
        code, out, err = run(*args)
        assert code == 0, err
        calls = proxy.calls()
        assert calls, "a refresh reads AWS"
        assert [c for c in calls if c.write] == [], args
        assert all(200 <= c.status < 300 for c in calls), calls
    assert last_line(run("plan")[1]) == NO_CHANGES


def refresh_calls(run, proxy):
    proxy.clear_calls()
    code, out, err = run("plan", "--detailed-exitcode")
    assert code == 0 and last_line(out) == NO_CHANGES, out + err
    return proxy.calls()


# Bulk reads (docs/refresh.md): a page of many objects a call.
LISTS = {("iam", "ListRoles"), ("iam", "GetAccountAuthorizationDetails"),
         ("s3", "ListBuckets"), ("tagging", "GetResources")}


def test_refresh_reads_each_resource_once(cli, run, proxy):
    # A refresh of N resources makes N times the reads of one for types
    # read one by one, and the same few list calls for types read by
    # listing: nothing is read twice.
    apply(run, stack(1))
    one = refresh_calls(run, proxy)
    run("destroy", "--auto-approve", check=0)

    n = 6
    apply(run, stack(n))
    many = refresh_calls(run, proxy)

    assert not [c for c in one + many if c.write]
    per_one = Counter((c.service, c.operation) for c in one)
    per_many = Counter((c.service, c.operation) for c in many)
    assert set(per_one) & LISTS == LISTS
    assert per_many == Counter({k: v if k in LISTS else v * n
                                for k, v in per_one.items()})
    single = [c for c in many if (c.service, c.operation) not in LISTS]
    # Every other read is about one resource, and no read is made twice.
    twice = [k for k, v in Counter((c.operation, subject(c))
                                   for c in single).items() if v > 1]
    assert twice == []
    assert all(re.search(r"calls-(bucket|role)-\d", subject(c))
               for c in single), [c for c in single
                                  if not re.search(r"calls-", subject(c))]


def buckets(n):
    return "stack: pool\nresources:\n" + "".join(
        f"  b{i:02d}:\n    type: aws_s3_bucket\n"
        f"    properties: {{bucket: pool-bucket-{i:02d}}}\n" for i in range(n))


def test_refresh_reuses_connections(cli, run, proxy, s3):
    # 50 buckets are refreshed with 4 workers: about 200 requests. Each
    # worker keeps its HTTPS connection alive and the pool hands it to the
    # next request, so the proxy sees no more new TLS connections than
    # workers. (No allowance is needed: mlstack makes no call outside the
    # workers, such as an STS GetCallerIdentity, during a plan of S3
    # buckets; were it to, that call's connection would go back to the
    # pool and be reused.)
    apply(run, buckets(50))
    assert len(bucket_names(s3)) == 50
    for parallelism in (4, 10):
        proxy.reset()
        code, out, err = run("plan", "--parallelism", parallelism)
        assert code == 0 and last_line(out) == NO_CHANGES, err
        calls = proxy.calls()
        assert len(calls) >= 100
        assert proxy.connections <= parallelism, (
            f"{proxy.connections} TLS connections for {len(calls)} requests "
            f"with -parallelism {parallelism}")
        assert len({c.connection for c in calls}) <= parallelism
