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
                if c["address"] == f"aws_lambda_function.{name}")["change"]


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


WARM = """
  warm:
    type: aws_lambda_provisioned_concurrency_config
    properties:
      function_name: ${invoker.function_name}
      qualifier: ${invoker.version}
      provisioned_concurrent_executions: 2
  live:
    type: aws_lambda_alias
    properties:
      name: live
      function_name: ${invoker.function_name}
      function_version: ${invoker.version}
"""


def test_provisioned_concurrency_follows_the_version(run, cli, emulator,
                                                     proxy):
    import moto_sagemaker
    moto_sagemaker.control.polls = 1
    cli.env["MLSTACK_WAIT_DELAY"] = "0.05"
    lam = emulator.client("lambda")
    write_code(cli.workdir)
    cli.write_stack(stack(WARM))
    run("apply", "-auto-approve", check=True)
    pc = lam.get_provisioned_concurrency_config(
        FunctionName="fn-invoke-endpoint", Qualifier="1")
    assert pc["Status"] == "READY"
    assert pc["RequestedProvisionedConcurrentExecutions"] == 2
    assert lam.get_alias(FunctionName="fn-invoke-endpoint",
                         Name="live")["FunctionVersion"] == "1"
    code, out, _ = run("plan", "-detailed-exitcode")
    assert code == 0, out

    # new code: version 2, warm before version 1's config goes
    write_code(cli.workdir, HANDLER + "\n# v2\n")
    _, out, _ = run("plan", check=True)
    assert "# warm must be replaced" in out
    assert "+/- resource \"aws_lambda_provisioned_concurrency_config\"" in out
    proxy.clear_calls()
    run("apply", "-auto-approve", check=True)
    pc = lam.get_provisioned_concurrency_config(
        FunctionName="fn-invoke-endpoint", Qualifier="2")
    assert pc["Status"] == "READY"
    try:
        lam.get_provisioned_concurrency_config(
            FunctionName="fn-invoke-endpoint", Qualifier="1")
        assert False, "version 1 still has provisioned concurrency"
    except lam.exceptions.ProvisionedConcurrencyConfigNotFoundException:
        pass
    ops = [(c.operation, c.target) for c in proxy.calls()
           if "ProvisionedConcurrencyConfig" in c.operation and
           not c.operation.startswith("Get")]
    assert [op for op, _ in ops] == ["PutProvisionedConcurrencyConfig",
                                     "DeleteProvisionedConcurrencyConfig"]
    assert "Qualifier=2" in ops[0][1] and "Qualifier=1" in ops[1][1]
    assert lam.get_alias(FunctionName="fn-invoke-endpoint",
                         Name="live")["FunctionVersion"] == "2"
    code, out, _ = run("plan", "-detailed-exitcode")
    assert code == 0, out
    run("destroy", "-auto-approve", check=True)
    assert lam.list_functions()["Functions"] == []


def test_provisioned_concurrency_failed_says_why(run, cli, emulator):
    import moto_sagemaker
    moto_sagemaker.control.polls = 1
    moto_sagemaker.control.fail("provisioned", "fn-invoke-endpoint:*",
                                "FUNCTION_ERROR_INIT_FAILURE")
    cli.env["MLSTACK_WAIT_DELAY"] = "0.05"
    write_code(cli.workdir)
    cli.write_stack(stack(WARM))
    code, _, err = run("apply", "-auto-approve")
    assert code == 1
    assert "FAILED: FUNCTION_ERROR_INIT_FAILURE" in err, err
    moto_sagemaker.control.release()
