"""Refresh by listing of customer-managed IAM policies (docs/refresh.md):
GetAccountAuthorizationDetails gives each policy and its documents a page
of many at a time, ListPolicyTags its tags; every change made behind
mlstack's back is still shown, and a policy the list does not show is
read alone."""

import json

import pytest

from helpers import (NO_CHANGES, apply_ok, call_counts, last_line, plan_counts,
                     plan_ok)

STACK = "refresh-iam"
ACCOUNT = "123456789012"


def doc(action):
    return {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": action,
         "Resource": "arn:aws:s3:::refresh-data/*"}]}


def policies_stack(n):
    out = [f"stack: {STACK}", "resources:"]
    for i in range(n):
        out.append(f"""  pol{i}:
    type: aws_iam_policy
    properties:
      name: refresh-policy-{i}
      description: policy {i}
      policy: {json.dumps(doc("s3:GetObject"))}
      tags: {{n: "{i}"}}""")
    return "\n".join(out) + "\n"


def arn(i):
    return f"arn:aws:iam::{ACCOUNT}:policy/refresh-policy-{i}"


def apply(run, n=None):
    apply_ok(run, **({"stack": policies_stack(n)} if n else {}))


def plan(run):
    return plan_ok(run, "-no-color")


def test_unchanged_policies_are_read_by_listing(run, proxy):
    apply(run, 4)
    proxy.clear_calls()

    code, out = plan(run)
    assert code == 0 and last_line(out) == NO_CHANGES, out
    # one list for the four, and each one's tags: no GetPolicy,
    # GetPolicyVersion (3 calls a policy alone)
    assert call_counts(proxy, "iam") == {"GetAccountAuthorizationDetails": 1,
                                         "ListPolicyTags": 4}
    [gaad] = [c for c in proxy.calls(service="iam")
              if c.operation == "GetAccountAuthorizationDetails"]
    assert gaad.request.params()["Filter.member.1"] == "LocalManagedPolicy"


def test_policy_list_pages_through_several_pages(run, cli, proxy):
    apply(run, 5)
    proxy.clear_calls()
    cli.env["MLSTACK_LIST_PAGE_SIZE"] = "2"

    code, out = plan(run)
    assert code == 0 and last_line(out) == NO_CHANGES, out
    assert call_counts(proxy, "iam") == {"GetAccountAuthorizationDetails": 3,
                                         "ListPolicyTags": 5}


def new_default(iam, i):
    iam.create_policy_version(PolicyArn=arn(i), SetAsDefault=True,
                              PolicyDocument=json.dumps(doc("s3:*")))


DRIFT = {
    # what is changed behind mlstack's back -> a line the plan must show
    "document": (new_default, '~ Action   = "s3:*" -> "s3:GetObject"'),
    "tag changed": (
        lambda iam, i: iam.tag_policy(PolicyArn=arn(i), Tags=[
            {"Key": "n", "Value": "changed"}]),
        '~ "n"                = "changed" -> "1"'),
    "tag removed": (
        lambda iam, i: iam.untag_policy(PolicyArn=arn(i), TagKeys=["n"]),
        '+ "n"                = "1"'),
}


@pytest.mark.parametrize("change", sorted(DRIFT))
def test_every_policy_drift_is_caught(run, iam, proxy, change):
    apply(run, 3)
    how, shown = DRIFT[change]
    how(iam, 1)
    proxy.clear_calls()

    code, out = plan(run)
    assert code == 2, out
    assert "# pol1 will be updated in place" in out, out
    assert plan_counts(out) == (0, 1, 0)
    assert shown in out, out
    # from the list and the tags alone
    assert call_counts(proxy, "iam") == {"GetAccountAuthorizationDetails": 1,
                                         "ListPolicyTags": 3}


def test_policy_deleted_behind_its_back_is_planned_again(run, iam, proxy):
    apply(run, 3)
    iam.delete_policy(PolicyArn=arn(0))
    proxy.clear_calls()

    code, out = plan(run)
    assert code == 2, out
    assert "# pol0 will be created" in out, out
    assert plan_counts(out) == (1, 0, 0)
    # not listed: its own GetPolicy decides
    c = call_counts(proxy, "iam")
    assert c == {"GetAccountAuthorizationDetails": 1, "ListPolicyTags": 2,
                 "GetPolicy": 1}, c
    apply(run)
    code, out = plan(run)
    assert code == 0 and last_line(out) == NO_CHANGES, out


def test_policy_deleted_between_list_and_tags_is_gone(run, iam, proxy,
                                                      cli):
    # pol0 is in the list's answer, then deleted before its tags are
    # read: ListPolicyTags' NoSuchEntity leaves it to its own read, which
    # finds it gone
    apply(run, 2)

    def delete_after_list(request, response):
        if request.operation == "GetAccountAuthorizationDetails" and \
                any(p["Arn"] == arn(0) for p in iam.list_policies(
                    Scope="Local")["Policies"]):
            iam.delete_policy(PolicyArn=arn(0))
        return None
    proxy.add_response_hook(delete_after_list)
    proxy.clear_calls()

    code, out = plan(run)
    assert code == 2, out
    assert "# pol0 will be created" in out, out
    assert plan_counts(out) == (1, 0, 0)
    c = call_counts(proxy, "iam")
    assert c == {"GetAccountAuthorizationDetails": 1, "ListPolicyTags": 2,
                 "GetPolicy": 1}, c
