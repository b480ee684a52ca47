"""What a stack costs (docs/cost.md): every plan prices what it adds,
changes and removes, per resource and in total, in text, -json and
-markdown; `mlstack cost` prices the applied stack and says what destroy
would save; a price that is not known is said to be unknown, never $0.
The price table is rebuilt from AWS's offer files by
scripts/update-prices.py, proven here on hand-made offer files in the
price list's format (tests/integration/prices/offers/).

The figures below are worked out by hand from the built-in table's
us-east-1 prices: ml.t3.medium notebook $0.05/h, ML storage
$0.14/GB-month, ml.m5.large hosting $0.115/h, ml.m5.xlarge training
$0.23/h, t3.medium $0.0416/h, gp3 $0.08/GB-month, provisioned
concurrency $0.0000041667/GB-s, S3 Standard $0.023/GB-month; a month is
730 hours."""

import gzip
import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import moto_sagemaker
from helpers import ACCOUNT_ID, plan_counts

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
SCRIPT = REPO / "scripts" / "update-prices.py"
OFFERS = HERE / "prices" / "offers"

STACK = "priced"
IMAGE = f"{ACCOUNT_ID}.dkr.ecr.us-east-1.amazonaws.com/dogs:1"
AMI = "ami-000050f7a0e5e0224"      # an image moto holds from the start
DATA_BYTES = 3 * 1024 * 1024


def stack(max_capacity=4, region="region: us-east-1", hosting="ml.m5.large"):
    return f"""
stack: {STACK}
{region}
resources:
  store:
    type: aws_s3_bucket
    properties: {{bucket: priced-data, force_destroy: true}}
  dataset:
    type: aws_s3_objects
    properties: {{bucket: "${{store.bucket}}", prefix: data, source: data}}
  role:
    type: aws_iam_role
    properties:
      name: priced-sagemaker
      assume_role_policy: {{Version: "2012-10-17", Statement: [{{Effect: Allow, Principal: {{Service: sagemaker.amazonaws.com}}, Action: "sts:AssumeRole"}}]}}
  notebook:
    type: aws_sagemaker_notebook_instance
    properties: {{name: priced-nb, instance_type: ml.t3.medium, role_arn: "${{role.arn}}", volume_size: 10}}
  train:
    type: aws_sagemaker_training_job
    properties:
      role_arn: "${{role.arn}}"
      algorithm_specification: {{training_image: "{IMAGE}"}}
      output_data_config: {{s3_output_path: "s3://${{store.bucket}}/models"}}
      resource_config: {{instance_type: ml.m5.xlarge, instance_count: 2}}
      stopping_condition: {{max_runtime_in_seconds: 3600}}
  model:
    type: aws_sagemaker_model
    properties:
      execution_role_arn: "${{role.arn}}"
      primary_container: {{image: "{IMAGE}", model_data_url: "${{train.model_artifacts}}"}}
  config:
    type: aws_sagemaker_endpoint_configuration
    properties:
      production_variants:
        - {{variant_name: AllTraffic, model_name: "${{model.name}}", instance_type: {hosting}}}
  endpoint:
    type: aws_sagemaker_endpoint
    properties: {{name: priced-ep, endpoint_config_name: "${{config.name}}"}}
  scaling:
    type: aws_appautoscaling_target
    properties:
      service_namespace: sagemaker
      resource_id: endpoint/${{endpoint.name}}/variant/AllTraffic
      scalable_dimension: sagemaker:variant:DesiredInstanceCount
      min_capacity: 1
      max_capacity: {max_capacity}
  host:
    type: aws_instance
    properties: {{ami: {AMI}, instance_type: t3.medium, root_block_device: {{volume_size: 20, volume_type: gp3}}}}
  fn_role:
    type: aws_iam_role
    properties:
      name: priced-fn
      assume_role_policy: {{Version: "2012-10-17", Statement: [{{Effect: Allow, Principal: {{Service: lambda.amazonaws.com}}, Action: "sts:AssumeRole"}}]}}
  fn:
    type: aws_lambda_function
    properties: {{function_name: priced-fn, role: "${{fn_role.arn}}", runtime: python3.12, handler: handler.main, source: code, memory_size: 256, publish: true}}
  warm:
    type: aws_lambda_provisioned_concurrency_config
    properties: {{function_name: "${{fn.function_name}}", qualifier: "${{fn.version}}", provisioned_concurrent_executions: 2}}
"""


# Per hour, by hand (module docstring).
NOTEBOOK = 0.05 + 10 * 0.14 / 730                  # 0.0519178...
ENDPOINT = (0.115, 4 * 0.115)
HOST = 0.0416 + 20 * 0.08 / 730                    # 0.0437918...
WARM = 2 * 256 / 1024 * 0.0000041667 * 3600        # 0.0075000...
DATA = DATA_BYTES / 2**30 * 0.023 / 730
TRAIN_BOUND = 2 * 0.23 + 2 * 30 * 0.14 / 730       # one hour, at most
LOW = NOTEBOOK + ENDPOINT[0] + HOST + WARM + DATA
HIGH = NOTEBOOK + ENDPOINT[1] + HOST + WARM + DATA


def money(x):
    """docs/cost.md's amounts: cents from a dollar up (thousands
    grouped), four decimals at most below."""
    a = abs(x)
    if a >= 1:
        return f"${a:,.2f}"
    return "$" + f"{a:.4f}".rstrip("0").ljust(4, "0")


@pytest.fixture
def priced(cli):
    """The stack's files: its data folder and the function's code."""
    cli.env["MLSTACK_WAIT_DELAY"] = "0.05"
    moto_sagemaker.control.polls = 1
    (cli.workdir / "data").mkdir()
    (cli.workdir / "data" / "blob.bin").write_bytes(
        bytes(range(256)) * (DATA_BYTES // 256))
    (cli.workdir / "code").mkdir()
    (cli.workdir / "code" / "handler.py").write_text(
        "def main(event, context):\n    return 1\n")
    cli.write_stack(stack())
    return cli


def cost_line(text, name):
    """The "# cost:" line of resource name's block in a text plan."""
    lines = text.splitlines()
    for i, ln in enumerate(lines):
        if ln.strip().startswith(f"# {name} "):
            for nxt in lines[i + 1:]:
                if not nxt.strip().startswith("#"):
                    break
                if nxt.strip().startswith("# cost: "):
                    return nxt.strip()[len("# cost: "):]
            return None
    raise AssertionError(f"no block for {name} in:\n{text}")


def test_plan_prices_each_change_and_the_total(priced, run):
    _, out, _ = run("plan", check=True)
    assert plan_counts(out) == (13, 0, 0)
    assert cost_line(out, "notebook") == "+$0.0519/h (+$37.90/month)"
    assert cost_line(out, "endpoint") == \
        "+$0.115..$0.46/h (+$83.95..$335.80/month)"
    assert cost_line(out, "train") == "up to $0.4715 per run"
    assert cost_line(out, "host") == "+$0.0438/h (+$31.97/month)"
    assert cost_line(out, "warm") == "+$0.0075/h (+$5.48/month)"
    # 3 MiB in S3 Standard: under a hundredth of a cent, yet not $0
    assert cost_line(out, "dataset") == "+<$0.0001/h (+<$0.0001/month)"
    # free: no line
    for free in ("store", "role", "model", "config", "scaling", "fn"):
        assert cost_line(out, free) is None
    lines = out.splitlines()
    # the cost section, then the total just above the summary line
    assert lines[-2] == (
        f"Cost: +{money(LOW)}..{money(HIGH)}/h (+{money(LOW * 730)}.."
        f"{money(HIGH * 730)}/month); training and tuning: up to "
        f"{money(TRAIN_BOUND)} per run")
    assert "Cost, us-east-1 on-demand prices of 2024-07-01:" in lines
    section = lines[lines.index(
        "Cost, us-east-1 on-demand prices of 2024-07-01:") + 1:-3]
    # names only: a line that starts with + - ~ is a diff's
    assert [ln.split()[0] for ln in section] == [
        "dataset", "notebook", "train", "endpoint", "host", "warm"]
    assert "  endpoint  +$0.115..$0.46/h (+$83.95..$335.80/month)" in section
    assert LOW == pytest.approx(0.218, abs=1e-3)    # the sum, by hand


def test_json_and_markdown_carry_the_same_costs(priced, run):
    _, out, _ = run("plan", "-json", check=True)
    doc = json.loads(out)
    cost = doc["mlstack_cost"]
    # Terraform's keys are untouched; ours is beside them
    assert {"format_version", "resource_changes", "planned_values"} <= \
        set(doc)
    assert cost["currency"] == "USD" and cost["region"] == "us-east-1"
    assert cost["region_from"] == "the stack"
    assert cost["hours_per_month"] == 730
    assert cost["prices"]["date"] == "2024-07-01"
    assert cost["prices"]["origin"] == "built in"
    assert cost["hourly"] == pytest.approx(LOW)
    assert cost["hourly_max"] == pytest.approx(HIGH)
    assert cost["monthly"] == pytest.approx(LOW * 730)
    assert cost["runs"] == pytest.approx(TRAIN_BOUND)
    assert cost["unknown"] == 0
    by = {r["address"]: r for r in cost["resources"]}
    assert set(by) == {
        "mlstack_s3_objects.dataset", "aws_sagemaker_notebook_instance.notebook",
        "aws_sagemaker_training_job.train", "aws_sagemaker_endpoint.endpoint",
        "aws_instance.host", "aws_lambda_provisioned_concurrency_config.warm"}
    ep = by["aws_sagemaker_endpoint.endpoint"]
    assert ep["action"] == "create"
    assert (ep["hourly"], ep["hourly_max"]) == pytest.approx(ENDPOINT)
    [item] = ep["after"]["items"]
    assert item["count"] == 1 and item["count_max"] == 4
    assert item["usd"] == 0.115 and item["unit"] == "hour"
    train = by["aws_sagemaker_training_job.train"]
    assert train["run"] == pytest.approx(TRAIN_BOUND)
    assert train["billed"] is False and train["hourly"] == 0
    assert by["mlstack_s3_objects.dataset"]["hourly"] == pytest.approx(
        DATA, rel=1e-3)
    # every resource Terraform's document lists is in resource_changes
    addresses = {r["address"] for r in doc["resource_changes"]}
    assert set(by) <= addresses

    _, md, _ = run("plan", "-markdown", check=True)
    assert (f"**Cost:** +{money(LOW)}..{money(HIGH)}/h") in md
    assert ("| `+ endpoint` | +$0.115..$0.46 | +$83.95..$335.80 |  |  |"
            in md.splitlines())
    assert "| `+ train` |  |  | up to $0.4715 |  |" in md.splitlines()
    # each resource's block in the comment carries its line too
    assert "  # cost: +$0.0519/h (+$37.90/month)" in md.splitlines()


def test_applied_stack_cost_and_what_destroy_saves(priced, run):
    code, out, _ = run("cost", check=True)
    assert out.startswith("Nothing applied yet")
    run("apply", "-auto-approve", check=True)

    _, out, _ = run("cost", check=True)
    lines = out.splitlines()
    assert lines[0] == ('Cost of stack "priced", us-east-1 on-demand '
                        'prices of 2024-07-01:')
    rows = {ln.split()[0]: ln.split(None, 1)[1] for ln in lines[2:]
            if ln.startswith("  ") and not ln.startswith("    ")}
    assert rows["notebook"] == "$0.0519/h ($37.90/month)"
    assert rows["endpoint"] == "$0.115..$0.46/h ($83.95..$335.80/month)"
    assert rows["role"] == "$0/h ($0/month)"
    assert rows["store"] == "$0/h ($0/month)"
    # the job ran: 240 s on each of its 2 instances (the emulator's run)
    billed = 2 * 0.23 * 240 / 3600 + 2 * 30 * 0.14 / 730 * 240 / 3600
    assert rows["train"] == f"{money(billed)} billed for its run"
    stripped = [ln.strip() for ln in lines]
    assert "notebook instance ml.t3.medium: 1 x $0.05/h" in stripped
    assert "notebook ML storage volume: 10 GB x $0.14/GB-month" in stripped
    assert ("hosting instances ml.m5.large (variant AllTraffic): 1..4 x "
            "$0.115/h") in stripped
    assert ("provisioned concurrency, 2 environments of 256 MB (x86_64): "
            "0.5 GB x $0.0000041667/GB-second") in stripped
    assert "S3 storage of the objects (STANDARD): 3 MB x $0.023/GB-month" \
        in stripped
    assert f"Total: {money(LOW)}..{money(HIGH)}/h " \
        f"({money(LOW * 730)}..{money(HIGH * 730)}/month)" in lines
    assert lines[-1] == (f"mlstack destroy would save {money(LOW)}.."
                         f"{money(HIGH)}/h ({money(LOW * 730)}.."
                         f"{money(HIGH * 730)}/month).")

    _, out, _ = run("cost", "-json", check=True)
    doc = json.loads(out)
    assert doc["stack"] == STACK
    assert doc["destroy_saves"]["hourly"] == pytest.approx(LOW)
    assert doc["destroy_saves"]["hourly_max"] == pytest.approx(HIGH)
    by = {r["name"]: r for r in doc["resources"]}
    assert by["train"]["billed"] is True
    assert by["train"]["run"] == pytest.approx(billed)
    assert by["fn"]["hourly"] == 0 and by["fn"]["unknown"] == []
    assert doc["total"]["unknown"] == 0

    # destroy's plan takes it all off the bill
    _, out, _ = run("plan", "-destroy", check=True)
    assert cost_line(out, "notebook") == "-$0.0519/h (-$37.90/month)"
    assert cost_line(out, "endpoint") == \
        "-$0.115..$0.46/h (-$83.95..$335.80/month)"
    assert out.splitlines()[-2] == (
        f"Cost: -{money(LOW)}..{money(HIGH)}/h (-{money(LOW * 730)}.."
        f"{money(HIGH * 730)}/month)")
    run("destroy", "-auto-approve", check=True)
    _, out, _ = run("cost", check=True)
    assert out.startswith("Nothing applied yet")


def test_a_change_elsewhere_moves_a_cost(priced, run):
    run("apply", "-auto-approve", check=True)
    # only the scaling target changes, yet the endpoint may now cost more
    _, out, _ = run("plan", stack=stack(max_capacity=8), check=True)
    assert plan_counts(out) == (0, 1, 0)
    assert ("  endpoint  $0..+$0.46/h ($0..+$335.80/month) "
            "(with what it depends on)") in out.splitlines()
    then = HIGH + 4 * 0.115
    assert out.splitlines()[-2] == (
        f"Cost: $0..+$0.46/h ($0..+$335.80/month); the stack then: "
        f"{money(LOW)}..{money(then)}/h ({money(LOW * 730)}.."
        f"{money(then * 730)}/month)")
    # a bigger instance type: the endpoint's cost from one to the other
    _, out, _ = run("plan", stack=stack(hosting="ml.m5.xlarge"), check=True)
    assert cost_line(out, "endpoint") == (
        "+$0.115..$0.46/h (+$83.95..$335.80/month), $0.115..$0.46/h -> "
        "$0.23..$0.92/h")


def test_unknown_price_is_said_never_zero(cli, run):
    cli.write_stack("""
stack: unpriced
region: eu-west-1
resources:
  nb:
    type: aws_sagemaker_notebook_instance
    properties: {name: nb, instance_type: ml.t3.medium, role_arn: "arn:aws:iam::123456789012:role/r"}
  config:
    type: aws_sagemaker_endpoint_configuration
    properties:
      production_variants:
        - {variant_name: AllTraffic, model_name: m, instance_type: ml.x9.large}
  endpoint:
    type: aws_sagemaker_endpoint
    properties: {name: ep, endpoint_config_name: "${config.name}"}
  outside:
    type: aws_sagemaker_endpoint
    properties: {name: ep2, endpoint_config_name: made-by-hand}
""")
    _, out, _ = run("plan", check=True)
    assert cost_line(out, "endpoint") == (
        "unknown (no price for ml.x9.large (sagemaker.hosting) in "
        "eu-west-1)")
    assert cost_line(out, "outside") == (
        "unknown (endpoint config made-by-hand is not in the stack)")
    assert "$0/h" not in cost_line(out, "endpoint")
    # eu-west-1's prices: 0.0548 + 5 GB x 0.154 / 730
    assert cost_line(out, "nb") == "+$0.0559/h (+$40.77/month)"
    assert out.splitlines()[-2] == (
        "Cost: at least +$0.0559/h (+$40.77/month); 2 resources without "
        "a price")
    _, out, _ = run("plan", "-json", check=True)
    cost = json.loads(out)["mlstack_cost"]
    assert cost["unknown"] == 2
    ep = {r["name"]: r for r in cost["resources"]}["endpoint"]
    assert ep["unknown"] == [
        "no price for ml.x9.large (sagemaker.hosting) in eu-west-1"]
    assert ep["after"]["items"] == []


def test_region_from_the_environment_or_assumed(cli, run):
    cli.write_stack("""
stack: noregion
resources:
  nb:
    type: aws_sagemaker_notebook_instance
    properties: {name: nb, instance_type: ml.t3.medium, role_arn: "arn:aws:iam::123456789012:role/r"}
""")
    _, out, _ = run("plan", "-json", env={"AWS_REGION": "eu-west-1"},
                    check=True)
    cost = json.loads(out)["mlstack_cost"]
    assert (cost["region"], cost["region_from"]) == \
        ("eu-west-1", "the environment")
    assert cost["hourly"] == pytest.approx(0.0548 + 5 * 0.154 / 730)
    _, out, _ = run("plan", env={"AWS_REGION": "ap-south-1"}, check=True)
    assert cost_line(out, "nb") == (
        "unknown (no prices for region ap-south-1 in the price table)")
    _, out, _ = run("plan", env={"AWS_REGION": ""}, check=True)
    assert ("Cost, us-east-1 on-demand prices of 2024-07-01 (no region "
            "set: us-east-1 assumed):") in out.splitlines()


# ---------------------------------------------------------------------------
# The price table and the script that rebuilds it

def load_script():
    spec = importlib.util.spec_from_file_location("update_prices", SCRIPT)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


# What the fixture's offer files hold that the table keeps, and nothing
# else: no Windows, SQL Server, reserved, dedicated or spot price, no
# family mlstack does not list, no duration, request or transfer price,
# the first tier of a tiered one.
US_EAST_1 = sorted([
    ("ec2.ebs", "gp2", 0.10, "GB-month"),
    ("ec2.ebs", "gp3", 0.08, "GB-month"),
    ("ec2.instance", "g5.xlarge", 1.006, "hour"),
    ("ec2.instance", "m5.large", 0.096, "hour"),
    ("ec2.instance", "t3.medium", 0.0416, "hour"),
    ("lambda.provisioned-concurrency", "arm64", 0.0000033334, "GB-second"),
    ("lambda.provisioned-concurrency", "x86_64", 0.0000041667, "GB-second"),
    ("s3.storage", "STANDARD", 0.023, "GB-month"),
    ("s3.storage", "STANDARD_IA", 0.0125, "GB-month"),
    ("sagemaker.hosting", "ml.g5.xlarge", 1.408, "hour"),
    ("sagemaker.hosting", "ml.m5.large", 0.115, "hour"),
    ("sagemaker.notebook", "ml.t3.medium", 0.05, "hour"),
    ("sagemaker.storage", "notebook", 0.14, "GB-month"),
    ("sagemaker.training", "ml.g4dn.xlarge", 0.7364, "hour"),
])


def entries(table, region):
    return sorted((p["product"], p["key"], p["usd"], p["unit"])
                  for p in table["prices"] if p["region"] == region)


def test_script_reads_the_price_list_format(tmp_path):
    up = load_script()
    table = up.build(["us-east-1", "eu-west-1"], str(OFFERS))
    assert entries(table, "us-east-1") == US_EAST_1
    # eu-west-1's usage types carry the region's prefix (EU-BoxUsage:...)
    assert ("ec2.instance", "t3.medium", 0.0456, "hour") in \
        entries(table, "eu-west-1")
    assert ("sagemaker.hosting", "ml.m5.large", 0.128, "hour") in \
        entries(table, "eu-west-1")
    assert len(entries(table, "eu-west-1")) == len(US_EAST_1)
    src = table["sources"]["AmazonEC2/us-east-1"]
    assert src == {
        "offer": "AmazonEC2", "region": "us-east-1",
        "url": "https://pricing.us-east-1.amazonaws.com/offers/v1.0/aws/"
               "AmazonEC2/current/us-east-1/index.json",
        "version": "20261101000000", "published": "2026-11-01T00:00:00Z"}
    assert {p["effective"] for p in table["prices"]} == {"2026-11-01"}
    assert table["date"] == "2026-11-01"
    # read a few bytes at a time, every value split across reads
    assert up.build(["us-east-1"], str(OFFERS), chunk=7)["prices"] == \
        up.build(["us-east-1"], str(OFFERS))["prices"]
    # compressed offer files are read too
    copy = tmp_path / "offers"
    shutil.copytree(OFFERS, copy)
    ec2 = copy / "AmazonEC2" / "us-east-1" / "index.json"
    with open(ec2, "rb") as f, gzip.open(str(ec2) + ".gz", "wb") as g:
        g.write(f.read())
    ec2.unlink()
    assert entries(up.build(["us-east-1"], str(copy)), "us-east-1") == \
        US_EAST_1
    # a cut file is an error, not a short table
    text = (OFFERS / "AWSLambda" / "us-east-1" / "index.json").read_text()
    lam = copy / "AWSLambda" / "us-east-1" / "index.json"
    lam.write_text(text[:len(text) // 2])
    with pytest.raises(up.OfferError, match="cut short"):
        up.build(["us-east-1"], str(copy))


def test_script_writes_a_table_mlstack_reads(cli, run, tmp_path):
    out = tmp_path / "prices.json"
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), "--offers", str(OFFERS), "--regions",
         "us-east-1", "--out", str(out)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert f"wrote {len(US_EAST_1)} prices of us-east-1" in proc.stderr
    # one price a line, as the table in the repository is written
    lines = out.read_text().splitlines()
    assert sum(ln.strip().startswith('{"effective"') for ln in lines) == \
        len(US_EAST_1)
    cli.write_stack("""
stack: rebuilt
region: us-east-1
resources:
  nb:
    type: aws_sagemaker_notebook_instance
    properties: {name: nb, instance_type: ml.t3.medium, role_arn: "arn:aws:iam::123456789012:role/r", volume_size: 10}
  other:
    type: aws_sagemaker_notebook_instance
    properties: {name: nb2, instance_type: ml.m5.xlarge, role_arn: "arn:aws:iam::123456789012:role/r", volume_size: 10}
""")
    _, text, _ = run("plan", "-json", env={"MLSTACK_PRICES": str(out)},
                     check=True)
    cost = json.loads(text)["mlstack_cost"]
    assert cost["prices"]["origin"] == str(out)
    assert cost["prices"]["date"] == "2026-11-01"
    assert cost["prices"]["sources"]["AmazonSageMaker/us-east-1"][
        "version"] == "20261101000000"
    by = {r["name"]: r for r in cost["resources"]}
    assert by["nb"]["hourly"] == pytest.approx(NOTEBOOK)
    # the built-in table has ml.m5.xlarge notebooks; this one does not
    assert by["other"]["unknown"] == [
        "no price for ml.m5.xlarge (sagemaker.notebook) in us-east-1"]
    _, text, _ = run("plan", env={"MLSTACK_PRICES": str(out)}, check=True)
    assert f"on-demand prices of 2026-11-01 from {out}:" in text

    # a price changed by hand is the price used
    table = json.loads(out.read_text())
    for p in table["prices"]:
        if p["key"] == "ml.t3.medium":
            p["usd"] = 1.5
    out.write_text(json.dumps(table))
    _, text, _ = run("plan", env={"MLSTACK_PRICES": str(out)}, check=True)
    # 1.5 + 10 GB x 0.14 / 730 = 1.5019, by 730 hours
    assert cost_line(text, "nb") == "+$1.50/h (+$1,096.40/month)"

    # a table that is not one is refused, naming what is wrong
    p = table["prices"][0]
    p["usd"] = "cheap"
    out.write_text(json.dumps(table))
    code, _, err = run("plan", env={"MLSTACK_PRICES": str(out)})
    assert code == 1
    assert err.strip() == (
        f"Error: price table {out}: prices[0] ({p['region']} "
        f"{p['product']} {p['key']}): usd is not a price")
    code, _, err = run("plan", env={"MLSTACK_PRICES": str(tmp_path / "no")})
    assert code == 1 and "MLSTACK_PRICES" in err and "no such file" in err


def test_built_in_table_covers_what_the_issue_lists():
    table = json.loads((REPO / "providers" / "prices" /
                        "prices.json").read_text())
    assert table["date"] and table["made"]
    have = {(p["region"], p["product"], p["key"]) for p in table["prices"]}
    for region in ("us-east-1", "eu-west-1"):
        for use, families in (
                ("notebook", ("ml.t3", "ml.m5", "ml.c5", "ml.g4dn", "ml.g5",
                              "ml.p3")),
                ("hosting", ("ml.m5", "ml.c5", "ml.g4dn", "ml.g5", "ml.p3")),
                ("training", ("ml.m5", "ml.c5", "ml.g4dn", "ml.g5",
                              "ml.p3"))):
            for fam in families:
                assert any(r == region and p == f"sagemaker.{use}" and
                           k.startswith(fam + ".") for r, p, k in have), \
                    (region, use, fam)
        for fam in ("t3", "m5", "g4dn", "g5", "p3"):
            assert any(r == region and p == "ec2.instance" and
                       k.startswith(fam + ".") for r, p, k in have)
        for key in (("ec2.ebs", "gp3"), ("lambda.provisioned-concurrency",
                                         "x86_64"),
                    ("s3.storage", "STANDARD"),
                    ("sagemaker.storage", "notebook")):
            assert (region, *key) in have
    for p in table["prices"]:
        assert p["source"] in table["sources"]
        assert p["usd"] > 0 and p["effective"]


def test_diff_prices_a_change_between_revisions(cli, run):
    """mlstack diff, offline, prices what the newer revision changes."""
    def git(*args):
        subprocess.run(["git", "-C", str(cli.workdir), "-c", "user.name=t",
                        "-c", "user.email=t@example.com", *args],
                       check=True, capture_output=True)

    nb = ("stack: reviewed\nregion: us-east-1\nresources:\n  nb:\n"
          "    type: aws_sagemaker_notebook_instance\n"
          "    properties: {name: nb, instance_type: %s, role_arn: "
          "\"arn:aws:iam::123456789012:role/r\", volume_size: 10}\n")
    git("init", "-q")
    cli.write_stack(nb % "ml.t3.medium")
    git("add", "mlstack.yaml")
    git("commit", "-q", "-m", "one")
    cli.write_stack(nb % "ml.t3.xlarge")
    _, out, _ = run("diff", check=True)
    # ml.t3.xlarge $0.20/h against ml.t3.medium $0.05/h
    assert cost_line(out, "nb") == \
        "+$0.15/h (+$109.50/month), $0.0519/h -> $0.2019/h"
    _, out, _ = run("diff", "-json", check=True)
    assert json.loads(out)["mlstack_cost"]["hourly"] == pytest.approx(0.15)
