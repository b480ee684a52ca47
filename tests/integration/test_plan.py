"""plan: saved plans, stale plans, JSON plans, exit codes, approval, and
how a change reads."""

import json
import re

from helpers import (NO_CHANGES, SAGEMAKER_TRUST, SAGEMAKER_TRUST_YAML,
                     bucket_names, last_line, plan_counts, policy_document,
                     role_names)

STACK = """
stack: plantest
variables:
  prefix: {default: plan}
resources:
  store:
    type: aws_s3_bucket
    properties:
      bucket: ${var.prefix}-data
  role:
    type: aws_iam_role
    properties:
      name: ${var.prefix}-role
      assume_role_policy: %s
      inline_policies:
        read:
          Version: "2012-10-17"
          Statement:
            - {Effect: Allow, Action: "s3:GetObject", Resource: "${store.arn}/*"}
outputs:
  bucket: ${store.bucket}
""" % SAGEMAKER_TRUST_YAML


def test_saved_plan_is_applied_exactly(cli, run, s3, iam):
    cli.write_stack(STACK)
    code, out, _ = run("plan", "-var", "prefix=saved", "--out", "plan.json")
    assert code == 0
    assert plan_counts(out, last=False) == (2, 0, 0)
    assert (cli.workdir / "plan.json").is_file()
    assert bucket_names(s3) == set()

    # Without -var, a fresh plan would make plan-data; the saved plan says
    # saved-data, and is applied without asking.
    code, out, err = run("apply", "plan.json")
    assert code == 0, err
    assert "Apply complete! Resources: 2 added, 0 changed, 0 destroyed." \
        in out + err
    assert bucket_names(s3) == {"saved-data"}
    assert role_names(iam) == {"saved-role"}


def test_stale_plan_is_refused(cli, run, s3):
    cli.write_stack(STACK)
    run("plan", "--out", "old.json", check=0)
    run("apply", "--auto-approve", check=0)
    assert bucket_names(s3) == {"plan-data"}

    code, out, err = run("apply", "old.json")
    assert code == 1
    assert "stale" in err.lower()
    assert "Apply complete!" not in out + err
    assert bucket_names(s3) == {"plan-data"}


def test_plan_json(cli, run):
    cli.write_stack(STACK)
    code, out, err = run("plan", "--json")
    assert code == 0, err
    plan = json.loads(out)
    assert plan["format_version"] == "1.2"
    changes = {rc["address"]: rc for rc in plan["resource_changes"]}
    # Terraform's addresses: TYPE.NAME; the bucket's public access block
    # is a resource of its own there
    assert set(changes) == {"aws_s3_bucket.store", "aws_iam_role.role",
                            "aws_s3_bucket_public_access_block.store"}
    assert changes["aws_s3_bucket.store"]["type"] == "aws_s3_bucket"
    assert changes["aws_iam_role.role"]["type"] == "aws_iam_role"
    for address, rc in changes.items():
        assert address == f"{rc['type']}.{rc['name']}"
        assert rc["mode"] == "managed"
        assert rc["change"]["actions"] == ["create"]
        assert rc["change"]["before"] is None
    store = changes["aws_s3_bucket.store"]["change"]
    assert store["after"]["bucket"] == "plan-data"
    assert store["after_unknown"].get("arn") is True
    assert "arn" not in store["after"]
    role = changes["aws_iam_role.role"]["change"]["after"]
    assert json.loads(role["assume_role_policy"]) == SAGEMAKER_TRUST
    assert [p["name"] for p in role["inline_policy"]] == ["read"]
    assert plan["variables"] == {"prefix": {"value": "plan"}}
    assert plan["applyable"] is True and plan["errored"] is False
    planned = {r["address"] for r in
               plan["planned_values"]["root_module"]["resources"]}
    assert planned == set(changes)
    config = {r["address"]: r["expressions"] for r in
              plan["configuration"]["root_module"]["resources"]}
    assert config["aws_iam_role.role"]["name"] == {
        "references": ["var.prefix"]}
    assert plan["output_changes"]["bucket"] == {
        "actions": ["create"], "before": None, "after": "plan-data",
        "after_unknown": False, "before_sensitive": False,
        "after_sensitive": False}


def test_plan_json_after_changes(cli, run):
    cli.write_stack(STACK)
    run("apply", "--auto-approve", check=0)
    code, out, _ = run("plan", "--json")
    assert code == 0
    plan = json.loads(out)
    assert {rc["address"]: rc["change"]["actions"]
            for rc in plan["resource_changes"]} == {
        "aws_s3_bucket.store": ["no-op"], "aws_iam_role.role": ["no-op"],
        "aws_s3_bucket_public_access_block.store": ["no-op"]}
    assert plan["applyable"] is False
    prior = {r["address"]: r["values"] for r in
             plan["prior_state"]["values"]["root_module"]["resources"]}
    assert prior["aws_s3_bucket.store"]["arn"] == "arn:aws:s3:::plan-data"
    assert plan["output_changes"]["bucket"]["actions"] == ["no-op"]

    code, out, _ = run("plan", "--json", "-var", "prefix=other")
    assert code == 0
    changes = {rc["address"]: rc for rc in
               json.loads(out)["resource_changes"]}
    # Both names force replacement; nothing is left untouched.
    assert {a: rc["change"]["actions"] for a, rc in changes.items()} == {
        "aws_s3_bucket.store": ["delete", "create"],
        "aws_iam_role.role": ["delete", "create"],
        "aws_s3_bucket_public_access_block.store": ["delete", "create"]}
    store = changes["aws_s3_bucket.store"]
    assert store["action_reason"] == "replace_because_cannot_update"
    assert store["change"]["replace_paths"] == [["bucket"]]


def test_show_saved_plan_json(cli, run):
    cli.write_stack(STACK)
    code, planned, _ = run("plan", "--json")
    run("plan", "--out", "plan.json", check=0)
    code, out, _ = run("show", "--json", "plan.json")
    assert code == 0
    shown = json.loads(out)
    actions = {rc["address"]: rc["change"]["actions"]
               for rc in shown["resource_changes"]}
    assert actions == {"aws_s3_bucket.store": ["create"],
                       "aws_iam_role.role": ["create"],
                       "aws_s3_bucket_public_access_block.store": ["create"]}
    # the same document as plan -json but for when each plan was made
    planned = json.loads(planned)
    for doc in (planned, shown):
        del doc["timestamp"], doc["state_commit"]
    assert shown == planned


def test_detailed_exitcode(cli, run):
    cli.write_stack(STACK)
    code, out, _ = run("plan", "--detailed-exitcode")
    assert code == 2
    assert plan_counts(out) == (2, 0, 0)
    run("apply", "--auto-approve", check=0)
    code, out, _ = run("plan", "--detailed-exitcode")
    assert code == 0
    assert last_line(out) == NO_CHANGES
    code, out, _ = run("plan")
    assert code == 0


def test_single_dash_options(cli, run, s3):
    cli.write_stack(STACK)
    code, out, _ = run("plan", "-detailed-exitcode", "-out=plan.json")
    assert code == 2
    assert plan_counts(out, last=False) == (2, 0, 0)
    assert (cli.workdir / "plan.json").is_file()
    code, _, err = run("apply", "-auto-approve", "-parallelism", "2")
    assert code == 0, err
    assert bucket_names(s3) == {"plan-data"}


def test_apply_refuses_without_terminal(cli, run, s3, iam):
    cli.write_stack(STACK)
    # stdin is a pipe, not a terminal: even "yes" on it is not approval.
    code, out, err = run("apply", input="yes\n")
    assert code == 1
    assert "auto-approve" in err
    assert "Apply complete!" not in out + err
    assert bucket_names(s3) == set()
    assert role_names(iam) == set()


def test_destroy_refuses_without_terminal(cli, run, s3):
    cli.write_stack(STACK)
    run("apply", "--auto-approve", check=0)
    code, _, err = run("destroy", input="yes\n")
    assert code == 1
    assert "auto-approve" in err
    assert bucket_names(s3) == {"plan-data"}


def test_plan_changes_nothing(cli, run, s3, proxy):
    cli.write_stack(STACK)
    run("apply", "--auto-approve", check=0)
    proxy.clear_calls()
    code, out, _ = run("plan", "-var", "prefix=elsewhere")
    assert code == 0
    assert plan_counts(out) == (2, 0, 2)
    assert bucket_names(s3) == {"plan-data"}
    # Reads only: no call that could change anything.
    writes = [c for c in proxy.calls()
              if c.method not in ("GET", "HEAD")
              and not c.operation.startswith(("Get", "List", "Describe"))]
    assert writes == []


def test_destroy_plan_saved_and_applied(cli, run, s3, iam):
    code, _, err = run("apply", "--auto-approve", stack=STACK)
    assert code == 0, err
    code, out, _ = run("plan", "-destroy", "-out", "gone.json",
                       "-detailed-exitcode")
    assert code == 2
    assert plan_counts(out, last=False) == (0, 0, 2)
    assert "  # store will be destroyed" in out
    assert bucket_names(s3) == {"plan-data"}
    code, out, err = run("apply", "gone.json")
    assert code == 0, err
    assert bucket_names(s3) == set() and role_names(iam) == set()


# -- how a change reads ---------------------------------------------------------

DIFF_ROLE = "diff-role"


def diff_stack(actions=("s3:GetObject", "s3:PutObject", "s3:DeleteObject",
                        "s3:ListBucket"),
               tags="{team: ml}", notebook_type="ml.t3.medium"):
    return f"""
stack: diffs
resources:
  role:
    type: aws_iam_role
    properties:
      name: {DIFF_ROLE}
      assume_role_policy: {SAGEMAKER_TRUST_YAML}
      inline_policies:
        data:
          Version: "2012-10-17"
          Statement:
            - Sid: Data
              Effect: Allow
              Action: [{", ".join(actions)}]
              Resource: ["arn:aws:s3:::diff-data", "arn:aws:s3:::diff-data/*"]
      tags: {tags}
  notebook:
    type: aws_sagemaker_notebook_instance
    properties:
      name: diff-notebook
      instance_type: {notebook_type}
      role_arn: ${{role.arn}}
"""


def marked(out):
    """The lines of a plan that mark a change (+, - or ~ first), with
    their runs of spaces (indentation, alignment) as one."""
    return [" ".join(ln.split()) for ln in out.splitlines()
            if ln.strip()[:1] in ("+", "-", "~")]


def test_plan_shows_only_what_changed(cli, run):
    cli.env["MLSTACK_WAIT_DELAY"] = "0.05"
    code, _, err = run("apply", "--auto-approve", stack=diff_stack())
    assert code == 0, err

    cli.write_stack(diff_stack(
        actions=("s3:GetObject", "s3:PutObject", "s3:ListBucket"),
        tags="{team: ml, stage: prod}", notebook_type="ml.t3.large"))
    code, out, _ = run("plan", "--detailed-exitcode")
    assert code == 2
    assert plan_counts(out) == (0, 2, 0)
    # one policy action removed is one line, in the policy's structure
    role = """
  # role will be updated in place
  ~ resource "aws_iam_role" "role" {
      ~ inline_policies      = {
          ~ "data" = jsonencode(
              ~ {
                  ~ Statement = [
                      ~ {
                          ~ Action   = [
                                # (1 unchanged element hidden)
                                "s3:PutObject",
                              - "s3:DeleteObject",
                                "s3:ListBucket",
                            ]
                            # (3 unchanged attributes hidden)
                        },
                    ]
                    # (1 unchanged attribute hidden)
                }
            )
        }
      ~ tags                 = {
          + "stage"            = "prod"
            # (3 unchanged elements hidden)
        }
        # (N unchanged attributes hidden)
    }
"""
    assert re.search(re.escape(role).replace("N", r"\d+"), out), out
    # and nothing else is marked: no line per value that did not change
    assert marked(out) == [
        '~ resource "aws_iam_role" "role" {',
        '~ inline_policies = {',
        '~ "data" = jsonencode(',
        '~ {',
        '~ Statement = [',
        '~ {',
        '~ Action = [',
        '- "s3:DeleteObject",',
        '~ tags = {',
        '+ "stage" = "prod"',
        '~ resource "aws_sagemaker_notebook_instance" "notebook" {',
        '~ instance_type = "ml.t3.medium" -> "ml.t3.large"',
    ], out


def test_drift_shows_only_what_changed(cli, run, iam):
    cli.env["MLSTACK_WAIT_DELAY"] = "0.05"
    code, _, err = run("apply", "--auto-approve", stack=diff_stack())
    assert code == 0, err

    # someone adds an action to the inline policy and retags the role
    doc = policy_document(iam.get_role_policy(
        RoleName=DIFF_ROLE, PolicyName="data")["PolicyDocument"])
    doc["Statement"][0]["Action"].append("s3:DeleteBucket")
    iam.put_role_policy(RoleName=DIFF_ROLE, PolicyName="data",
                        PolicyDocument=json.dumps(doc))
    iam.tag_role(RoleName=DIFF_ROLE, Tags=[{"Key": "team",
                                            "Value": "someone-else"}])

    code, out, _ = run("plan", "--detailed-exitcode")
    assert code == 2
    assert plan_counts(out) == (0, 1, 0)
    drift, _, planned = out.partition("mlstack will perform")
    assert "Objects have changed outside of mlstack" in drift
    assert marked(drift) == [
        '~ resource "aws_iam_role" "role" {',
        '~ inline_policies = {',
        '~ "data" = jsonencode(',
        '~ {',
        '~ Statement = [',
        '~ {',
        '~ Action = [',
        '+ "s3:DeleteBucket",',
        '~ tags = {',
        '~ "team" = "ml" -> "someone-else"',
    ], drift
    # the plan takes both back
    assert marked(planned) == [
        '~ resource "aws_iam_role" "role" {',
        '~ inline_policies = {',
        '~ "data" = jsonencode(',
        '~ {',
        '~ Statement = [',
        '~ {',
        '~ Action = [',
        '- "s3:DeleteBucket",',
        '~ tags = {',
        '~ "team" = "someone-else" -> "ml"',
    ], planned


def test_large_plan_text_is_whole_and_in_order(cli, run):
    """Above 256 changes the text is rendered in two halves on two
    threads, and the lint runs beside the plan: every resource's block
    once, in the order of the -json plan's changes, the bucket that
    references another after it, each lint finding once (in -json; the
    text counts a rule's findings after its fifth)."""
    n = 300
    lines = ["stack: large", "resources:"]
    for i in range(n):
        lines += [f"  b{i}:", "    type: aws_s3_bucket",
                  f"    properties: {{bucket: large-{i}}}"]
    lines += ["  tail:", "    type: aws_s3_bucket",
              "    properties: {bucket: \"${b0.bucket}-tail\"}"]
    cli.write_stack("\n".join(lines) + "\n")
    _, out, _ = run("plan", "-refresh=false", check=True)
    _, js, _ = run("plan", "-refresh=false", "-json", check=True)
    blocks = re.findall(r'^  # (\S+) will be created$', out, re.M)
    order = [c["name"] for c in json.loads(js)["resource_changes"]
             if c["type"] == "aws_s3_bucket"]
    assert blocks == order
    assert sorted(blocks) == sorted([f"b{i}" for i in range(n)] + ["tail"])
    assert blocks.index("tail") > blocks.index("b0")
    assert '+ bucket              = "large-299"' in out
    assert plan_counts(out) == (n + 1, 0, 0)
    # the text shows the rule's first five findings and counts the rest;
    # the JSON plan has each once
    findings = re.findall(r'MLS-S3-002 bucket "(\S+)"', out)
    assert findings == ["b0", "b1", "b2", "b3", "b4"]
    assert "  and 296 more MLS-S3-002 findings (mlstack lint lists them " \
        "all)\n" in out
    linted = [f["resource"] for f in json.loads(js)["lint"]
              if f["rule"] == "MLS-S3-002"]
    assert sorted(linted) == sorted(blocks)
