"""Secrets: sensitive attributes (a container's environment), sensitive
variables and entries named like secrets print as (sensitive) in every
rendering, stay out of saved plans (apply reads them again and checks
them against the plan's digest), and state and plan files are the
owner's only."""

import json
import os
import re
import stat

import pytest

from helpers import (ACCOUNT_ID, SAGEMAKER_FULL_ACCESS, SAGEMAKER_TRUST_YAML,
                     last_line)

API_KEY = "sk-live-4f9a8b7c6d5e"
INLINE = "hunter2-inline-secret"
IMAGE = f"{ACCOUNT_ID}.dkr.ecr.us-east-1.amazonaws.com/dog-breeds:1"

STACK = f"""
stack: secrets
variables:
  api_key: {{description: the scoring service's key, sensitive: true}}
resources:
  role:
    type: aws_iam_role
    properties:
      name: secrets-role
      assume_role_policy: {SAGEMAKER_TRUST_YAML}
      managed_policy_arns: [{SAGEMAKER_FULL_ACCESS}]
  model:
    type: aws_sagemaker_model
    properties:
      name: secrets-model
      execution_role_arn: ${{role.arn}}
      primary_container:
        image: {IMAGE}
        environment: {{API_KEY: "${{var.api_key}}", MODE: fast}}
  model2:
    type: aws_sagemaker_model
    properties:
      name: secrets-model2
      execution_role_arn: ${{role.arn}}
      primary_container:
        image: {IMAGE}
        environment: {{SETTING: {INLINE}}}
  store:
    type: aws_s3_bucket
    properties:
      bucket: secrets-store
      tags: {{team: ml, db_password: {INLINE}}}
  copy:
    type: aws_s3_bucket
    properties:
      bucket: secrets-copy
      tags: {{key_tag: "${{var.api_key}}"}}
outputs:
  key: ${{var.api_key}}
  bucket: ${{store.bucket}}
  model_env: ${{model.primary_container}}
"""


def no_secret(*texts):
    for t in texts:
        assert API_KEY not in t and INLINE not in t, t


def test_secrets_stay_hidden(cli, run, emulator):
    sm = emulator.client("sagemaker")
    s3 = emulator.client("s3")
    cli.write_stack(STACK)
    code, out, err = run("plan", "-var", f"api_key={API_KEY}")
    assert code == 0, err
    no_secret(out, err)
    assert "(sensitive)" in out
    # a variable's secret hides the attribute holding it; the schema's
    # sensitive environment hides only itself, and a tag named like a
    # secret only its value
    assert "+ primary_container  = (sensitive)" in out
    assert re.search(r'\+ primary_container  = \{\n +\+ environment = '
                     r'\(sensitive\)\n +\+ image       = "'
                     + re.escape(IMAGE) + '"\n', out), out
    assert re.search(r'\+ "db_password" += \(sensitive\)\n', out), out
    assert re.search(r'\+ "team" += "ml"\n', out), out

    code, out, err = run("plan", "-json", "-var", f"api_key={API_KEY}")
    no_secret(out, err)
    doc = json.loads(out)
    model = next(r for r in doc["resource_changes"] if r["name"] == "model")
    assert model["change"]["after_sensitive"]["primary_container"] is True
    model2 = next(r for r in doc["resource_changes"] if r["name"] == "model2")
    # Terraform's block: a list of one object
    assert model2["change"]["after_sensitive"]["primary_container"] == \
        [{"environment": True}]
    assert model2["change"]["after"]["primary_container"][0]["image"] == \
        IMAGE
    store = next(r for r in doc["resource_changes"]
                 if r["address"] == "aws_s3_bucket.store")
    assert store["change"]["after_sensitive"]["tags"] == {"db_password": True}
    assert store["change"]["after"]["tags"]["team"] == "ml"
    assert store["change"]["after_sensitive"]["tags_all"] == \
        {"db_password": True}
    copy = next(r for r in doc["resource_changes"] if r["name"] == "copy")
    assert copy["change"]["after_sensitive"]["tags"] is True
    # the same masks in the planned values, and on variables and outputs
    planned = {r["name"]: r for r in
               doc["planned_values"]["root_module"]["resources"]
               if r["type"] == "aws_sagemaker_model"}
    assert planned["model2"]["sensitive_values"]["primary_container"] == \
        [{"environment": True}]
    assert planned["model"]["sensitive_values"]["primary_container"] is True
    assert doc["variables"]["api_key"] == {
        "value": {"__mlstack_sensitive__": True}}
    assert doc["configuration"]["root_module"]["variables"]["api_key"] == \
        {"sensitive": True}
    assert doc["output_changes"]["key"]["after_sensitive"] is True
    assert doc["output_changes"]["bucket"]["after_sensitive"] is False

    # a saved plan keeps no secret, and is the owner's only
    code, out, err = run("plan", "-out", "plan.json", "-var",
                         f"api_key={API_KEY}")
    assert code == 0, err
    no_secret(out, err)
    plan_file = cli.workdir / "plan.json"
    no_secret(plan_file.read_text())
    assert stat.S_IMODE(plan_file.stat().st_mode) == 0o600
    code, out, err = run("show", "plan.json")
    no_secret(out, err)
    code, out, err = run("show", "-json", "plan.json")
    no_secret(out, err)
    code, out, err = run("show", "-markdown", "plan.json")
    no_secret(out, err)
    assert "(sensitive)" in out
    code, out, err = run("plan", "-markdown", "-var", f"api_key={API_KEY}")
    no_secret(out, err)

    # apply reads them again, and checks them against the plan
    code, _, err = run("apply", "plan.json", "-var", "api_key=another")
    assert code == 1
    assert "differ from those the saved plan was made with" in err
    no_secret(err)
    code, out, err = run("apply", "plan.json", "-var", f"api_key={API_KEY}")
    assert code == 0, err
    no_secret(out, err)
    env = sm.describe_model(ModelName="secrets-model")[
        "PrimaryContainer"]["Environment"]
    assert env == {"API_KEY": API_KEY, "MODE": "fast"}
    tags = {t["Key"]: t["Value"] for t in
            s3.get_bucket_tagging(Bucket="secrets-store")["TagSet"]}
    assert tags["db_password"] == INLINE

    # show, state show, outputs
    for args in (("show",), ("show", "-json"), ("state", "show", "model"),
                 ("-json", "state", "show", "copy"), ("output",),
                 ("output", "-json")):
        code, out, err = run(*args, "-var", f"api_key={API_KEY}")
        assert code == 0, err
        no_secret(out, err)
    code, out, _ = run("output", "-var", f"api_key={API_KEY}")
    assert "key = (sensitive)" in out
    assert "model_env = (sensitive)" in out
    assert 'bucket = "secrets-store"' in out
    code, out, _ = run("output", "key", "-var", f"api_key={API_KEY}")
    assert out == f"{API_KEY}\n"

    # the state holds them (it must, to diff); its files are private
    state = cli.state_dir
    assert stat.S_IMODE(state.stat().st_mode) == 0o700
    for path in (state / "secrets").rglob("*.json"):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path

    code, out, err = run("plan", "-var", f"api_key={API_KEY}")
    no_secret(out, err)
    assert last_line(out).startswith("No changes.")

    # a secret that changes shows as changed, never as its values
    other = "hunter3-other-secret"
    cli.write_stack(STACK.replace(f"db_password: {INLINE}",
                                  f"db_password: {other}")
                    .replace(f"SETTING: {INLINE}", f"SETTING: {other}"))
    code, out, err = run("plan", "-var", f"api_key={API_KEY}")
    assert code == 0, err
    no_secret(out, err)
    assert other not in out + err
    # a saved plan holds no secret to compare: it shows the same
    code, _, err = run("plan", "-out", "changed.json", "-var",
                       f"api_key={API_KEY}")
    assert code == 0, err
    code, shown, err = run("show", "changed.json")
    assert code == 0, err
    no_secret(shown, err)
    for text in (out, shown):
        assert re.search(r'~ tags += \{\n +~ "db_password" += \(sensitive\)'
                         r'\n +# \(3 unchanged elements hidden\)\n', text), text
        assert re.search(r'~ primary_container  = \{ # forces replacement\n'
                         r' +~ environment = \(sensitive\)\n'
                         r' +# \(1 unchanged attribute hidden\)\n', text), text


def test_wrong_sensitive_var_is_not_echoed(cli, run):
    text = STACK.replace("sensitive: true}",
                         "sensitive: true, type: number}")
    code, out, err = run("validate", "-var", f"api_key={API_KEY}",
                         stack=text)
    assert code == 1
    assert "got (sensitive)" in err
    no_secret(out, err)
