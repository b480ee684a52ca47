"""Training jobs as resources: run once, named after their spec, waited for
until they end, their artifacts feeding a model; a failed job is tainted
and run again; a running job is adopted after a kill, and stopped by
destroy. moto is extended (moto_sagemaker.py) so that a job passes
through its secondary statuses and writes its artifacts."""

import os
import signal
import time

import pytest

import moto_sagemaker
from helpers import (ACCOUNT_ID, NO_CHANGES, last_line, plan_counts,
                     state_list, wait_for)

STACK = "training"
ROLE = f"arn:aws:iam::{ACCOUNT_ID}:role/trainer"
IMAGE = f"{ACCOUNT_ID}.dkr.ecr.us-east-1.amazonaws.com/dogs-train:1"


def stack(lr="0.01", tags="{}", extra=""):
    return f"""
stack: {STACK}
variables:
  fixed: {{default: {{epochs: 3}}}}
  tuned: {{default: {{lr: "{lr}"}}}}
resources:
  store:
    type: aws_s3_bucket
    properties: {{bucket: training-data, force_destroy: true}}
  train:
    type: aws_sagemaker_training_job
    properties:
      role_arn: {ROLE}
      algorithm_specification:
        training_image: {IMAGE}
        metric_definitions:
          - {{name: "val:acc", regex: "val_acc=([0-9.]+)"}}
      hyper_parameters: ${{merge(var.fixed, var.tuned)}}
      input_data_config:
        - {{channel_name: train, s3_uri: "s3://${{store.bucket}}/dogs/"}}
      output_data_config: {{s3_output_path: "s3://${{store.bucket}}/models"}}
      resource_config: {{instance_type: ml.m5.xlarge, instance_count: 2}}
      tags: {tags}{extra}
  model:
    type: aws_sagemaker_model
    properties:
      execution_role_arn: {ROLE}
      primary_container:
        image: {IMAGE}
        model_data_url: ${{train.model_artifacts}}
outputs:
  artifacts: ${{train.model_artifacts}}
"""


@pytest.fixture
def ctl(cli):
    cli.env["MLSTACK_WAIT_DELAY"] = "0.05"
    c = moto_sagemaker.control
    c.polls = 1
    return c


@pytest.fixture
def sm(emulator):
    return emulator.client("sagemaker")


def jobs(sm):
    return {j["TrainingJobName"]: j["TrainingJobStatus"]
            for j in sm.list_training_jobs()["TrainingJobSummaries"]}


def test_run_once_and_feed_a_model(run, ctl, sm, s3, proxy):
    code, out, err = run("apply", "--auto-approve", stack=stack())
    assert code == 0, err
    for phase in moto_sagemaker.TRAINING_PHASES[1:]:
        assert f"train: status: {phase}" in err, err
    (name, status), = jobs(sm).items()
    assert status == "Completed"
    assert name.startswith(f"{STACK}-train-")
    job = sm.describe_training_job(TrainingJobName=name)
    assert job["HyperParameters"] == {"epochs": "3", "lr": "0.01"}
    assert job["ResourceConfig"]["InstanceCount"] == 2
    artifacts = f"s3://training-data/models/{name}/output/model.tar.gz"
    assert job["ModelArtifacts"]["S3ModelArtifacts"] == artifacts
    s3.head_object(Bucket="training-data",
                   Key=f"models/{name}/output/model.tar.gz")
    (model,) = sm.list_models()["Models"]
    assert sm.describe_model(ModelName=model["ModelName"])[
        "PrimaryContainer"]["ModelDataUrl"] == artifacts
    assert run("output", "artifacts")[1].strip() == artifacts

    # run once: no change, no second job; tags change in place
    proxy.clear_calls()
    code, out, _ = run("plan", "--detailed-exitcode")
    assert code == 0 and last_line(out) == NO_CHANGES, out
    code, out, _ = run("plan", "--detailed-exitcode",
                       stack=stack(tags="{team: ml}"))
    assert code == 2 and plan_counts(out) == (0, 1, 0), out
    assert run("apply", "--auto-approve")[0] == 0
    assert proxy.calls(operation="CreateTrainingJob") == []

    # a changed hyperparameter is a new run, and a new model
    code, out, _ = run("plan", "--detailed-exitcode",
                       stack=stack(lr="0.1", tags="{team: ml}"))
    assert code == 2
    assert "# train must be replaced" in out
    assert 'hyper_parameters' in out and "# forces replacement" in out
    assert "# model must be replaced" in out
    code, _, err = run("apply", "--auto-approve")
    assert code == 0, err
    assert sorted(jobs(sm).values()) == ["Completed", "Completed"]
    assert len(sm.list_models()["Models"]) == 1

    code, out, _ = run("plan", "-destroy")
    assert ("  # train will be destroyed\n  # (SageMaker cannot delete a "
            "training job: a running one is stopped, then forgotten; its "
            "artifacts stay in S3)") in out, out
    code, _, err = run("destroy", "--auto-approve")
    assert code == 0, err
    assert state_list(run) == set()
    # SageMaker cannot delete a job: both are still listed, finished
    assert sorted(jobs(sm).values()) == ["Completed", "Completed"]


def test_network_isolation_reaches_sagemaker(run, ctl, sm):
    """enable_network_isolation is sent as EnableNetworkIsolation, reads
    back the same, and a change is a new run; left out, the job's own
    value is accepted, as for every setting left out."""
    isolated = stack(extra="\n      enable_network_isolation: true")
    open_ = stack(extra="\n      enable_network_isolation: false")
    code, _, err = run("apply", "--auto-approve", stack=isolated)
    assert code == 0, err
    (name, _), = jobs(sm).items()
    assert sm.describe_training_job(TrainingJobName=name)[
        "EnableNetworkIsolation"] is True
    code, out, _ = run("plan", "--detailed-exitcode")
    assert code == 0 and last_line(out) == NO_CHANGES, out
    code, out, _ = run("plan", "--detailed-exitcode", stack=open_)
    assert code == 2 and "# train must be replaced" in out, out
    assert "enable_network_isolation" in out
    code, _, err = run("apply", "--auto-approve")
    assert code == 0, err
    new = set(jobs(sm)) - {name}
    assert len(new) == 1
    assert sm.describe_training_job(TrainingJobName=new.pop())[
        "EnableNetworkIsolation"] is False
    code, out, _ = run("plan", "--detailed-exitcode")
    assert code == 0 and last_line(out) == NO_CHANGES, out
    code, out, _ = run("plan", "--detailed-exitcode", stack=stack())
    assert code == 0 and last_line(out) == NO_CHANGES, out


def test_failed_job_is_tainted_and_run_again(run, ctl, sm):
    ctl.fail("training", "*", "AlgorithmError: loss is NaN")
    code, _, err = run("apply", "--auto-approve", stack=stack())
    assert code == 1
    assert "AlgorithmError: loss is NaN" in err
    assert "model: skipped: something it depends on failed" in err
    stored = run("state", "show", "train", "--json")[1]
    assert '"tainted": true' in stored
    ctl.release()
    code, out, _ = run("plan", "--detailed-exitcode")
    assert code == 2 and "# train is tainted, so must be replaced" in out
    code, _, err = run("apply", "--auto-approve")
    assert code == 0, err
    assert sorted(jobs(sm).values()) == ["Completed", "Failed"]


def test_kill_during_wait_adopts_then_destroy_stops(run, cli, ctl, sm,
                                                    proxy):
    ctl.hold("training", "*", during="Training")
    proc = cli.popen("apply", "--auto-approve", stack=stack())
    wait_for(lambda: "Training" in ctl.history(
        "training", next(iter(jobs(sm)), "")), what="the job training")
    time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGKILL)
    cli.wait(proc)
    run("force-unlock", "-force", check=0)

    # the next apply adopts the running job instead of starting another
    proxy.clear_calls()
    ctl.release()
    code, _, err = run("apply", "--auto-approve")
    assert code == 0, err
    assert proxy.calls(operation="CreateTrainingJob") == []
    assert list(jobs(sm).values()) == ["Completed"]

    # destroy stops a job that still runs
    code, _, err = run("apply", "--auto-approve", stack=stack(lr="0.2"))
    ctl.hold("training", "*", during="Training")
    proc = cli.popen("apply", "--auto-approve", stack=stack(lr="0.3"))
    wait_for(lambda: "InProgress" in jobs(sm).values(),
             what="a job running")
    os.killpg(proc.pid, signal.SIGKILL)
    cli.wait(proc)
    run("force-unlock", "-force", check=0)
    code, out, err = run("destroy", "--auto-approve")
    assert code == 0, err
    assert "Stopped" in jobs(sm).values()
    assert "InProgress" not in jobs(sm).values()
