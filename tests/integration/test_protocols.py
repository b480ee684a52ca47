"""The AWS client's protocols, one call at a time through tests/tools/
aws_call (mlstack's own client), against moto behind the checking proxy:
REST-JSON (Lambda) with paths, queries and bodies, its errors from
x-amzn-ErrorType; Query with structured parameters flattened and answers
read as JSON; JSON 1.1. The proxy holds every request to botocore's
signature and model."""

import io
import json
import subprocess
import zipfile
from pathlib import Path

import pytest

from helpers import SAGEMAKER_TRUST

ACCOUNT = "123456789012"


@pytest.fixture
def call(tools_dir, cli):
    if tools_dir:
        tool = Path(tools_dir) / "aws_call"
    else:
        tool = Path(cli.binary).parent / "build/rel/tools/aws_call"
    if not tool.exists():
        pytest.skip(f"{tool} not built (run make, or set MLSTACK_TOOLS)")

    def run(*args):
        proc = subprocess.run([str(tool), *args], env=cli.env,
                              capture_output=True, text=True, timeout=60)
        assert proc.returncode == 0, proc.stderr
        assert "Sanitizer" not in proc.stderr, proc.stderr
        return json.loads(proc.stdout)
    return run


def zipped(source):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("handler.py", source)
    return buf.getvalue()


def test_rest_json_lambda(call, emulator):
    iam = emulator.client("iam")
    lam = emulator.client("lambda")
    role = iam.create_role(
        RoleName="fn-role",
        AssumeRolePolicyDocument=json.dumps(SAGEMAKER_TRUST))["Role"]["Arn"]
    missing = call("rest-json", "lambda", "GetFunction", "GET",
                   "/2015-03-31/functions/nothing")
    assert missing["error"]["status"] == 404
    assert missing["error"]["code"] == "ResourceNotFoundException"

    lam.create_function(FunctionName="my-fn", Runtime="python3.12",
                        Role=role, Handler="handler.main",
                        Code={"ZipFile": zipped("def main(e, c): pass\n")})
    got = call("rest-json", "lambda", "GetFunction", "GET",
               "/2015-03-31/functions/my-fn")["answer"]
    assert got["Configuration"]["FunctionName"] == "my-fn"
    assert got["Configuration"]["Handler"] == "handler.main"

    listed = call("rest-json", "lambda", "ListFunctions", "GET",
                  "/2015-03-31/functions", "MaxItems=5")["answer"]
    assert [f["FunctionName"] for f in listed["Functions"]] == ["my-fn"]

    arn = got["Configuration"]["FunctionArn"]
    tagged = call("rest-json", "lambda", "TagResource", "POST",
                  f"/2017-03-31/tags/{arn.replace(':', '%3A')}", "",
                  json.dumps({"Tags": {"team": "ml"}}))
    assert tagged == {"answer": {}}
    assert lam.list_tags(Resource=arn)["Tags"] == {"team": "ml"}


def test_query_structured_params(call, emulator):
    iam = emulator.client("iam")
    made = call("query", "iam", "2010-05-08", "CreateRole", json.dumps({
        "RoleName": "q-role",
        "AssumeRolePolicyDocument": json.dumps(SAGEMAKER_TRUST),
        "MaxSessionDuration": 7200,
        "Tags": [{"Key": "a", "Value": "1"}, {"Key": "b", "Value": ""}]}))
    assert made["answer"]["Role"]["RoleName"] == "q-role"
    tags = iam.list_role_tags(RoleName="q-role")["Tags"]
    assert {t["Key"]: t["Value"] for t in tags} == {"a": "1", "b": ""}
    assert iam.get_role(RoleName="q-role")["Role"][
        "MaxSessionDuration"] == 7200

    got = call("query", "iam", "2010-05-08", "GetRole",
               json.dumps({"RoleName": "q-role"}))["answer"]["Role"]
    assert got["Arn"] == f"arn:aws:iam::{ACCOUNT}:role/q-role"
    assert got["MaxSessionDuration"] == "7200"
    missing = call("query", "iam", "2010-05-08", "GetRole",
                   json.dumps({"RoleName": "nothing"}))
    assert missing["error"]["code"] == "NoSuchEntity"


def test_json_sagemaker(call):
    listed = call("json", "sagemaker", "SageMaker", "ListModels", "{}")
    assert listed == {"answer": {"Models": []}}
    missing = call("json", "sagemaker", "SageMaker", "DescribeModel",
                   json.dumps({"ModelName": "nothing"}))
    assert missing["error"]["code"] == "ValidationException"
