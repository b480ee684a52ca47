"""aws_lambda_function: code zipped by mlstack the same way on every
machine (the plan compares its SHA-256 with Lambda's CodeSha256), updates
waited for, a change of code published as a new version."""

import json
import os

STACK = "fn"
HANDLER = '''import json, os

import boto3

runtime = boto3.client("sagemaker-runtime")


def lambda_handler(event, context):
    answer = runtime.invoke_endpoint(EndpointName=os.environ["ENDPOINT"],
                                     ContentType="application/json",
                                     Body=json.dumps(event))
    return json.loads(answer["Body"].read())
'''


def stack(extra=""):
    return f"""
stack: {STACK}
resources:
  role:
    type: aws_iam_role
    properties:
      name: fn-invoker
      assume_role_policy: {{Version: "2012-10-17", Statement: [{{Effect: Allow, Principal: {{Service: lambda.amazonaws.com}}, Action: "sts:AssumeRole"}}]}}
  invoker:
    type: aws_lambda_function
    properties:
      function_name: fn-invoke-endpoint
      role: ${{role.arn}}
      runtime: python3.12
      handler: handler.lambda_handler
      source: code
      environment: {{ENDPOINT: dogbreeds-endpoint}}
      publish: true
{extra}
"""


def write_code(root, text=HANDLER, mtime=None):
    (root / "code/lib").mkdir(parents=True, exist_ok=True)
    (root / "code/handler.py").write_text(text)
    (root / "code/lib/util.py").write_text("X = 1\n")
    if mtime is not None:
        for p in ("code/handler.py", "code/lib/util.py", "code/lib"):
            os.utime(root / p, (mtime, mtime))


def planned(run, name="invoker"):
    _, out, _ = run("plan", "-json", check=True)
    return next(c for c in json.loads(out)["resource_changes"]
                if c["address"] == name)["change"]


def test_zip_is_the_same_on_every_machine(run, cli, tmp_path):
    write_code(cli.workdir, mtime=1_000_000_000)
    cli.write_stack(stack())
    first = planned(run)["after"]["code_sha256"]
    # another checkout: other file times, the same bytes
    write_code(cli.workdir, mtime=1_700_000_000)
    assert planned(run)["after"]["code_sha256"] == first
    (cli.workdir / "code/lib/util.py").write_text("X = 2\n")
    assert planned(run)["after"]["code_sha256"] != first


def test_function_applies_publishes_and_updates(run, cli, emulator):
    lam = emulator.client("lambda")
    write_code(cli.workdir)
    cli.write_stack(stack())
    run("apply", "-auto-approve", check=True)
    fn = lam.get_function(FunctionName="fn-invoke-endpoint")
    state = json.loads((cli.resources_dir(STACK) / "invoker.json").read_text())
    attrs = state["attributes"]
    assert fn["Configuration"]["CodeSha256"] == attrs["code_sha256"]
    assert fn["Configuration"]["Environment"]["Variables"] == {
        "ENDPOINT": "dogbreeds-endpoint"}
    assert attrs["version"] == "1"
    assert attrs["qualified_arn"].endswith(":1")
    code, out, _ = run("plan", "-detailed-exitcode")
    assert code == 0, out

    # new code: a new version, unknown in the plan
    write_code(cli.workdir, HANDLER + "\n# v2\n")
    _, out, _ = run("plan", check=True)
    assert "~ code_sha256" in out
    assert "version" in out and "(known after apply)" in out
    run("apply", "-auto-approve", check=True)
    versions = [v["Version"] for v in lam.list_versions_by_function(
        FunctionName="fn-invoke-endpoint")["Versions"]]
    assert "2" in versions
    attrs = json.loads((cli.resources_dir(STACK) / "invoker.json")
                       .read_text())["attributes"]
    assert attrs["version"] == "2"

    # a setting: updated in place, published again
    cli.write_stack(stack().replace("ENDPOINT: dogbreeds-endpoint",
                                    "ENDPOINT: other-endpoint"))
    run("apply", "-auto-approve", check=True)
    cfg = lam.get_function_configuration(FunctionName="fn-invoke-endpoint")
    assert cfg["Environment"]["Variables"]["ENDPOINT"] == "other-endpoint"
    code, out, _ = run("plan", "-detailed-exitcode")
    assert code == 0, out
    run("destroy", "-auto-approve", check=True)
    assert lam.list_functions()["Functions"] == []
