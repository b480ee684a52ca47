"""The seed's training half as one graph: a tuning job, two estimators
(one instance and two) trained with the best hyperparameters, two models
from their artifacts, two endpoints. moto is extended (moto_sagemaker.py)
so that the tuning job really runs its training jobs, no more than the
parallel limit at once, each with values drawn from the ranges and an
objective the test computes, and reports the real best."""

import json

import pytest

import moto_sagemaker
from helpers import ACCOUNT_ID, NO_CHANGES, last_line

STACK = "tune"
ROLE = f"arn:aws:iam::{ACCOUNT_ID}:role/trainer"
IMAGE = f"{ACCOUNT_ID}.dkr.ecr.us-east-1.amazonaws.com/dogs:"


def objective(tuned):
    """val:acc peaks at lr 0.05; each drawn lr is different, so the best
    child is unique."""
    return round(1 - abs(float(tuned["lr"]) - 0.05), 6)


def estimator(name, count):
    return f"""
  {name}:
    type: aws_sagemaker_training_job
    properties:
      role_arn: {ROLE}
      algorithm_specification: {{training_image: "{IMAGE}train"}}
      hyper_parameters: ${{merge(var.fixed, tuner.best_hyperparameters)}}
      output_data_config: {{s3_output_path: "s3://${{store.bucket}}/{name}"}}
      resource_config: {{instance_type: ml.m5.xlarge, instance_count: {count}}}
  {name}_model:
    type: aws_sagemaker_model
    properties:
      execution_role_arn: {ROLE}
      primary_container:
        image: "{IMAGE}serve"
        model_data_url: ${{{name}.model_artifacts}}
  {name}_config:
    type: aws_sagemaker_endpoint_configuration
    properties:
      production_variants:
        - {{variant_name: AllTraffic, model_name: "${{{name}_model.name}}",
           instance_type: ml.m5.large}}
  {name}_endpoint:
    type: aws_sagemaker_endpoint
    properties:
      name: tune-{name.replace("_", "-")}
      endpoint_config_name: ${{{name}_config.name}}
"""


def stack(lr_max="0.1"):
    return f"""
stack: {STACK}
variables:
  fixed: {{default: {{epochs: "3"}}}}
resources:
  store:
    type: aws_s3_bucket
    properties: {{bucket: tune-data, force_destroy: true}}
  tuner:
    type: aws_sagemaker_hyper_parameter_tuning_job
    properties:
      strategy: Random
      objective: {{type: Maximize, metric_name: "val:acc"}}
      resource_limits: {{max_number_of_training_jobs: 5,
                        max_parallel_training_jobs: 2}}
      parameter_ranges:
        continuous:
          - {{name: lr, min_value: 0.001, max_value: {lr_max}}}
        categorical:
          - {{name: optimizer, values: [sgd, adam]}}
      training_job_definition:
        role_arn: {ROLE}
        algorithm_specification:
          training_image: "{IMAGE}train"
          metric_definitions:
            - {{name: "val:acc", regex: "val_acc=([0-9.]+)"}}
        static_hyper_parameters: {{epochs: "3"}}
        output_data_config: {{s3_output_path: "s3://${{store.bucket}}/tuning"}}
        resource_config: {{instance_type: ml.m5.xlarge}}
""" + estimator("single", 1) + estimator("multi", 2) + """
outputs:
  best: ${tuner.best_training_job}
  best_artifacts: ${tuner.best_model_artifacts}
"""


@pytest.fixture
def ctl(cli):
    cli.env["MLSTACK_WAIT_DELAY"] = "0.05"
    c = moto_sagemaker.control
    c.polls = 1
    c.objective = objective
    return c


@pytest.fixture
def sm(emulator):
    return emulator.client("sagemaker")


def tuners(sm):
    return [t["HyperParameterTuningJobName"] for t in
            sm.list_hyper_parameter_tuning_jobs()[
                "HyperParameterTuningJobSummaries"]]


def test_tuner_feeds_estimators_models_endpoints(run, ctl, sm, s3, proxy):
    code, out, err = run("apply", "--auto-approve", stack=stack())
    assert code == 0, err
    assert "tuner: 5/5 jobs done, 0 running, best val:acc=" in err, err

    (tuner,) = tuners(sm)
    assert len(tuner) <= 32
    children = sm.list_training_jobs_for_hyper_parameter_tuning_job(
        HyperParameterTuningJobName=tuner)["TrainingJobSummaries"]
    assert len(children) == 5
    assert ctl.tuning_peak[tuner] == 2   # the parallel limit, used and kept
    best = max(children, key=lambda c: objective(c["TunedHyperParameters"]))
    described = sm.describe_hyper_parameter_tuning_job(
        HyperParameterTuningJobName=tuner)
    assert described["BestTrainingJob"]["TrainingJobName"] == \
        best["TrainingJobName"]
    want = {"epochs": "3", **best["TunedHyperParameters"]}

    for name, count in (("single", 1), ("multi", 2)):
        jobs = [j["TrainingJobName"] for j in sm.list_training_jobs(
            NameContains=f"{STACK}-{name}-")["TrainingJobSummaries"]]
        assert len(jobs) == 1, jobs
        job = sm.describe_training_job(TrainingJobName=jobs[0])
        assert job["HyperParameters"] == want
        assert job["ResourceConfig"]["InstanceCount"] == count
        config = sm.describe_endpoint(EndpointName=f"tune-{name}")[
            "EndpointConfigName"]
        model = sm.describe_endpoint_config(EndpointConfigName=config)[
            "ProductionVariants"][0]["ModelName"]
        assert sm.describe_model(ModelName=model)["PrimaryContainer"][
            "ModelDataUrl"] == job["ModelArtifacts"]["S3ModelArtifacts"]

    artifacts = run("output", "best_artifacts")[1].strip()
    assert artifacts == (f"s3://tune-data/tuning/{best['TrainingJobName']}"
                         f"/output/model.tar.gz")
    s3.head_object(Bucket="tune-data", Key=artifacts[len("s3://tune-data/"):])

    # a second plan is empty; a second apply starts no job
    code, out, _ = run("plan", "--detailed-exitcode")
    assert code == 0 and last_line(out) == NO_CHANGES, out
    proxy.clear_calls()
    assert run("apply", "--auto-approve")[0] == 0
    assert proxy.calls(operation="CreateTrainingJob") == []
    assert proxy.calls(operation="CreateHyperParameterTuningJob") == []

    # a changed range: a new tuner, and everything downstream of its
    # values is new too; the endpoints are updated in place
    code, out, _ = run("plan", "--detailed-exitcode", "-json",
                       stack=stack(lr_max="0.2"))
    assert code == 2
    actions = {c["name"]: c["change"]["actions"]
               for c in json.loads(out)["resource_changes"]
               if c["address"] == f"{c['type']}.{c['name']}" and
               not c["type"].startswith("aws_s3_bucket_")}
    for name in ("tuner", "single", "multi", "single_model", "multi_model",
                 "single_config", "multi_config"):
        assert sorted(actions[name]) == ["create", "delete"], (name, actions)
    assert actions["single_endpoint"] == ["update"]
    assert actions["multi_endpoint"] == ["update"]
    assert actions["store"] == ["no-op"]

    code, _, err = run("destroy", "--auto-approve")
    assert code == 0, err
