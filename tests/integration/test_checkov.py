"""Terraform's JSON plan as a policy checker reads it: Checkov.

One stack holds each resource twice, set well and set badly (a notebook
with and without root access, a bucket with and without its public access
block ...). `plan -json` and `show -json` of the saved plan are given to
Checkov (`--framework terraform_plan`) with terraform/checkov.tfplan.json,
a plan of the same resources as Terraform 1.9 and the AWS provider 5.x
write it (terraform/checkov.tf is its configuration), all three in one
run: Checkov takes seconds to start. Its verdict on each named check must
be the expected one, and the verdicts on every check and resource must be
Terraform's.

A second stack pairs resources for each Checkov check that a lint rule
names (docs/lint.md): mlstack lint must find the rule on a resource
exactly where Checkov fails it.

MLSTACK_CHECKOV names the checkov executable (the Makefile sets it to its
.venv-checkov); when unset, .venv-checkov/bin/checkov at the repository
root is used, and the test is skipped if it has not been made.
"""

import json
import os
import subprocess
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
FIXTURE = HERE / "terraform" / "checkov.tfplan.json"
KEY = ("arn:aws:kms:us-east-1:123456789012:key/"
       "1234abcd-12ab-34cd-56ef-1234567890ab")
TRUST = ('{Version: "2012-10-17", Statement: [{Effect: Allow, '
         'Principal: %s, Action: "sts:AssumeRole"}]}')
IMAGE = ("763104351884.dkr.ecr.us-east-1.amazonaws.com/"
         "pytorch-inference:2.1-cpu-py310")

STACK = f"""
stack: checkov
region: us-east-1
tags: {{project: checkov}}
resources:
  open_bucket:
    type: aws_s3_bucket
    properties: {{bucket: checkov-open, block_public_access: false}}
  safe_bucket:
    type: aws_s3_bucket
    properties: {{bucket: checkov-safe, versioning: true,
                 tags: {{data: training}}}}
  public_role:
    type: aws_iam_role
    properties:
      name: checkov-public
      assume_role_policy: {TRUST % '{AWS: "*"}'}
      managed_policy_arns: [arn:aws:iam::aws:policy/AdministratorAccess]
  service_role:
    type: aws_iam_role
    properties:
      name: checkov-service
      assume_role_policy: {TRUST % '{Service: sagemaker.amazonaws.com}'}
      inline_policies:
        read:
          Version: "2012-10-17"
          Statement:
            - {{Effect: Allow, Action: "s3:GetObject",
               Resource: "arn:aws:s3:::checkov-safe/*"}}
  star_policy:
    type: aws_iam_policy
    properties:
      name: checkov-star
      policy: {{Version: "2012-10-17",
               Statement: [{{Effect: Allow, Action: "*", Resource: "*"}}]}}
  scoped_policy:
    type: aws_iam_policy
    properties:
      name: checkov-scoped
      policy:
        Version: "2012-10-17"
        Statement:
          - {{Effect: Allow, Action: "s3:GetObject",
             Resource: "${{safe_bucket.arn}}/*"}}
  open_notebook:
    type: aws_sagemaker_notebook_instance
    properties: {{name: checkov-open, instance_type: ml.t3.medium,
                 role_arn: "${{service_role.arn}}"}}
  locked_notebook:
    type: aws_sagemaker_notebook_instance
    properties:
      name: checkov-locked
      instance_type: ml.t3.medium
      role_arn: ${{service_role.arn}}
      direct_internet_access: false
      root_access: false
      kms_key_id: {KEY}
      subnet_id: subnet-0123456789abcdef0
      security_groups: ["${{ssh_one.id}}"]
  model:
    type: aws_sagemaker_model
    properties:
      name: checkov-model
      execution_role_arn: ${{service_role.arn}}
      primary_container: {{image: "{IMAGE}",
                          model_data_url: "s3://checkov-safe/model.tar.gz"}}
  plain_config:
    type: aws_sagemaker_endpoint_configuration
    properties:
      name: checkov-plain
      production_variants:
        - {{variant_name: AllTraffic, model_name: "${{model.name}}",
           instance_type: ml.m5.large}}
  encrypted_config:
    type: aws_sagemaker_endpoint_configuration
    properties:
      name: checkov-encrypted
      kms_key_arn: {KEY}
      production_variants:
        - {{variant_name: AllTraffic, model_name: "${{model.name}}",
           instance_type: ml.m5.large}}
  ssh_world:
    type: aws_security_group
    properties:
      name: checkov-ssh-world
      vpc_id: vpc-0123456789abcdef0
      ingress: [{{protocol: tcp, from_port: 22, to_port: 22,
                 cidr_blocks: ["0.0.0.0/0"]}}]
  ssh_one:
    type: aws_security_group
    properties:
      name: checkov-ssh-one
      vpc_id: vpc-0123456789abcdef0
      ingress: [{{protocol: tcp, from_port: 22, to_port: 22,
                 cidr_blocks: ["203.0.113.10/32"]}}]
  old_fn:
    type: aws_lambda_function
    properties: {{function_name: checkov-old, role: "${{service_role.arn}}",
                 runtime: python3.7, handler: h.handler,
                 s3_bucket: checkov-safe, s3_key: fn.zip}}
  fn:
    type: aws_lambda_function
    properties: {{function_name: checkov-fn, role: "${{service_role.arn}}",
                 runtime: python3.12, handler: h.handler,
                 s3_bucket: checkov-safe, s3_key: fn.zip}}
  host:
    type: aws_instance
    properties:
      ami: ami-0123456789abcdef0
      instance_type: t3.micro
      subnet_id: subnet-0123456789abcdef0
      vpc_security_group_ids: ["${{ssh_one.id}}"]
      root_block_device: {{volume_size: 20}}
"""

NOTEBOOK = "aws_sagemaker_notebook_instance."
CONFIG = "aws_sagemaker_endpoint_configuration."
BUCKET = "aws_s3_bucket."
PASSED, FAILED = "PASSED", "FAILED"

# check -> {resource address: verdict}: each pair differs in the one
# setting the check reads, so each verdict flips with its setting.
EXPECTED = {
    # notebook: root access, direct internet access ("Enabled" /
    # "Disabled"), its KMS key, its VPC subnet
    "CKV_AWS_307": {NOTEBOOK + "locked_notebook": PASSED,
                    NOTEBOOK + "open_notebook": FAILED},
    "CKV_AWS_122": {NOTEBOOK + "locked_notebook": PASSED,
                    NOTEBOOK + "open_notebook": FAILED},
    "CKV_AWS_22": {NOTEBOOK + "locked_notebook": PASSED,
                   NOTEBOOK + "open_notebook": FAILED},
    "CKV_AWS_306": {NOTEBOOK + "locked_notebook": PASSED,
                    NOTEBOOK + "open_notebook": FAILED},
    # endpoint config: its KMS key; model: no network isolation setting
    "CKV_AWS_98": {CONFIG + "encrypted_config": PASSED,
                   CONFIG + "plain_config": FAILED},
    "CKV_AWS_370": {"aws_sagemaker_model.model": FAILED},
    # bucket: its public access block and its versioning, resources of
    # their own in Terraform, connected to it by reference
    "CKV2_AWS_6": {BUCKET + "safe_bucket": PASSED,
                   BUCKET + "open_bucket": FAILED},
    "CKV_AWS_53": {"aws_s3_bucket_public_access_block.safe_bucket": PASSED},
    "CKV_AWS_56": {"aws_s3_bucket_public_access_block.safe_bucket": PASSED},
    "CKV_AWS_21": {BUCKET + "safe_bucket": PASSED,
                   BUCKET + "open_bucket": FAILED},
    # roles: the trust policy as JSON text, the managed policies
    "CKV_AWS_60": {"aws_iam_role.service_role": PASSED,
                   "aws_iam_role.public_role": FAILED},
    "CKV_AWS_274": {"aws_iam_role.service_role": PASSED,
                    "aws_iam_role.public_role": FAILED},
    # policies: "*" actions and full admin
    "CKV_AWS_62": {"aws_iam_policy.scoped_policy": PASSED,
                   "aws_iam_policy.star_policy": FAILED},
    "CKV_AWS_63": {"aws_iam_policy.scoped_policy": PASSED,
                   "aws_iam_policy.star_policy": FAILED},
    # security groups: SSH from anywhere; attached (by reference) or not
    "CKV_AWS_24": {"aws_security_group.ssh_one": PASSED,
                   "aws_security_group.ssh_world": FAILED},
    "CKV2_AWS_5": {"aws_security_group.ssh_one": PASSED,
                   "aws_security_group.ssh_world": FAILED},
    # lambda: a deprecated runtime; the environment's key, as Terraform
    # writes a function without one
    "CKV_AWS_363": {"aws_lambda_function.fn": PASSED,
                    "aws_lambda_function.old_fn": FAILED},
    "CKV_AWS_173": {"aws_lambda_function.fn": PASSED},
    # instance: mlstack sets no IMDSv2 requirement, and no public IP
    "CKV_AWS_79": {"aws_instance.host": FAILED},
    "CKV_AWS_88": {"aws_instance.host": PASSED},
}


def checkov_path():
    given = os.environ.get("MLSTACK_CHECKOV")
    path = Path(given) if given else REPO / ".venv-checkov/bin/checkov"
    if not os.access(path, os.X_OK):
        if given:
            pytest.fail(f"MLSTACK_CHECKOV={given}: not an executable")
        pytest.skip(f"{path} not made (make .venv-checkov/.ok, or set "
                    "MLSTACK_CHECKOV)")
    return str(path)


def checkov(checkov_bin, workdir, files):
    """Checkov's verdicts on files, in one run: {file name: {(check id,
    resource address): "PASSED" | "FAILED"}}."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"),
           "HOME": str(workdir), "LANG": "C.UTF-8"}
    proc = subprocess.run(
        [checkov_bin, "--framework", "terraform_plan", "--output", "json",
         "--soft-fail", "--skip-download", "--compact"]
        + [a for f in files for a in ("-f", str(f))],
        cwd=workdir, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    reports = json.loads(proc.stdout)
    if isinstance(reports, dict):
        reports = [reports]
    verdicts = {Path(f).name: {} for f in files}
    for report in reports:
        for kind in ("passed_checks", "failed_checks"):
            for c in report["results"].get(kind, []):
                verdicts[Path(c["file_path"]).name][
                    (c["check_id"], c["resource"])] = \
                    c["check_result"]["result"]
    return verdicts


def test_checkov_reads_the_plan_as_terraforms(cli, run, tmp_path):
    checkov_bin = checkov_path()
    cli.write_stack(STACK)
    code, out, err = run("plan", "-json")
    assert code == 0, err
    (cli.workdir / "plan.json").write_text(out)
    run("plan", "-out", "saved.plan", check=0)
    code, out, err = run("show", "-json", "saved.plan")
    assert code == 0, err
    (cli.workdir / "show.json").write_text(out)
    (cli.workdir / "terraform.json").write_text(FIXTURE.read_text())

    verdicts = checkov(checkov_bin, cli.workdir,
                       ["plan.json", "show.json", "terraform.json"])
    for name in ("plan.json", "show.json", "terraform.json"):
        got = verdicts[name]
        for check, want in EXPECTED.items():
            for resource, verdict in want.items():
                assert got.get((check, resource)) == verdict, \
                    (name, check, resource, got.get((check, resource)))
    # no verdict where Terraform's plan gives none: a root volume
    # without "encrypted" is unknown to CKV_AWS_8
    assert ("CKV_AWS_8", "aws_instance.host") not in verdicts["plan.json"]

    # every check on every resource: Terraform's verdict
    terraform = verdicts["terraform.json"]
    for name in ("plan.json", "show.json"):
        mine = verdicts[name]
        differ = {k: (mine.get(k), terraform.get(k))
                  for k in set(mine) | set(terraform)
                  if mine.get(k) != terraform.get(k)}
        assert not differ, (name, differ)
    assert len(terraform) > 80


# Each Checkov check that a lint rule names, tripped by one resource and
# passed by another of the same type (docs/lint.md).
AGREE = f"""
stack: agree
region: us-east-1
resources:
  open_bucket:
    type: aws_s3_bucket
    properties: {{bucket: agree-open, block_public_access: false}}
  safe_bucket:
    type: aws_s3_bucket
    properties: {{bucket: agree-safe, versioning: true}}
  admin_role:
    type: aws_iam_role
    properties:
      name: agree-admin
      assume_role_policy: {TRUST % '{AWS: "*"}'}
      managed_policy_arns: [arn:aws:iam::aws:policy/AdministratorAccess]
  service_role:
    type: aws_iam_role
    properties:
      name: agree-service
      assume_role_policy: {TRUST % '{Service: sagemaker.amazonaws.com}'}
      managed_policy_arns: [arn:aws:iam::aws:policy/ReadOnlyAccess]
  star_policy:
    type: aws_iam_policy
    properties:
      name: agree-star
      policy: {{Version: "2012-10-17",
               Statement: [{{Effect: Allow, Action: "*", Resource: "*"}}]}}
  bucket_star_policy:
    type: aws_iam_policy
    properties:
      name: agree-bucket-star
      policy: {{Version: "2012-10-17",
               Statement: [{{Effect: Allow, Action: "*",
                            Resource: "arn:aws:s3:::agree-safe"}}]}}
  scoped_policy:
    type: aws_iam_policy
    properties:
      name: agree-scoped
      policy: {{Version: "2012-10-17",
               Statement: [{{Effect: Allow, Action: "s3:GetObject",
                            Resource: "arn:aws:s3:::agree-safe/*"}}]}}
  open_notebook:
    type: aws_sagemaker_notebook_instance
    properties: {{name: agree-open, instance_type: ml.t3.medium,
                 role_arn: "arn:aws:iam::123456789012:role/agree"}}
  locked_notebook:
    type: aws_sagemaker_notebook_instance
    properties:
      name: agree-locked
      instance_type: ml.t3.medium
      role_arn: arn:aws:iam::123456789012:role/agree
      direct_internet_access: false
      root_access: false
      kms_key_id: {KEY}
      subnet_id: subnet-0123456789abcdef0
      security_groups: [sg-0123456789abcdef0]
  model:
    type: aws_sagemaker_model
    properties:
      name: agree-model
      execution_role_arn: arn:aws:iam::123456789012:role/agree
      primary_container: {{image: "{IMAGE}"}}
  plain_config:
    type: aws_sagemaker_endpoint_configuration
    properties:
      name: agree-plain
      production_variants:
        - {{variant_name: AllTraffic, model_name: "${{model.name}}",
           instance_type: ml.m5.large}}
  encrypted_config:
    type: aws_sagemaker_endpoint_configuration
    properties:
      name: agree-encrypted
      kms_key_arn: {KEY}
      production_variants:
        - {{variant_name: AllTraffic, model_name: "${{model.name}}",
           instance_type: ml.m5.large}}
  ssh_world:
    type: aws_security_group
    properties:
      name: agree-ssh-world
      vpc_id: vpc-0123456789abcdef0
      ingress: [{{protocol: tcp, from_port: 22, to_port: 22,
                 cidr_blocks: ["0.0.0.0/0"]}}]
  ssh_one:
    type: aws_security_group
    properties:
      name: agree-ssh-one
      vpc_id: vpc-0123456789abcdef0
      ingress: [{{protocol: tcp, from_port: 22, to_port: 22,
                 cidr_blocks: ["203.0.113.10/32"]}}]
  open_host:
    type: aws_instance
    properties:
      ami: ami-0123456789abcdef0
      instance_type: t3.micro
      subnet_id: subnet-0123456789abcdef0
      root_block_device: {{volume_size: 20, encrypted: false}}
  hardened_host:
    type: aws_instance
    properties:
      ami: ami-0123456789abcdef0
      instance_type: t3.micro
      subnet_id: subnet-0123456789abcdef0
      root_block_device: {{volume_size: 20, encrypted: true}}
      metadata_options: {{http_tokens: required}}
"""


def test_lint_agrees_with_checkov(cli, run):
    """For every lint rule that names a Checkov check: mlstack lint finds
    it on a resource exactly where Checkov, reading plan -json, fails
    that resource; each check both fails and passes a resource here, so
    a rule that drifts from Checkov's is caught either way."""
    checkov_bin = checkov_path()
    cli.write_stack(AGREE)
    code, out, err = run("lint", "-json", "-fail-on", "none")
    assert code == 0, err
    found = {(f["rule"], f["resource"])
             for f in json.loads(out)["findings"]}
    _, rules, _ = run("lint", "-rules", "-json", check=True)
    rules = [r for r in json.loads(rules) if r.get("checkov")]
    assert len(rules) >= 14
    code, out, err = run("plan", "-json")
    assert code == 0, err
    (cli.workdir / "plan.json").write_text(out)
    plan = json.loads(out)
    verdicts = checkov(checkov_bin, cli.workdir, ["plan.json"])["plan.json"]

    for rule in rules:
        seen = set()
        for rc in plan["resource_changes"]:
            if rc["type"] not in rule["types"].split():
                continue
            verdict = verdicts.get((rule["checkov"], rc["address"]))
            if verdict is None:
                continue
            seen.add(verdict)
            mine = (rule["id"], rc["name"]) in found
            assert mine == (verdict == FAILED), \
                (rule["id"], rule["checkov"], rc["address"], verdict)
        assert seen == {PASSED, FAILED}, (rule["id"], rule["checkov"], seen)
