"""The SageMaker extension of moto (moto_sagemaker.py) behaves as AWS
documents it: checked with boto3 alone, no mlstack binary needed."""

import pytest
from botocore.exceptions import ClientError

import moto_sagemaker
from helpers import ACCOUNT_ID

ROLE_ARN = f"arn:aws:iam::{ACCOUNT_ID}:role/sagemaker"
GONE = moto_sagemaker.GONE


@pytest.fixture
def ctl():
    c = moto_sagemaker.control
    c.polls = 2
    return c


@pytest.fixture
def sm(emulator):
    return emulator.client("sagemaker")


def refused(fn, **kw):
    """The (code, message) of the error fn(**kw) raises."""
    with pytest.raises(ClientError) as e:
        fn(**kw)
    err = e.value.response["Error"]
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    return err["Code"], err["Message"]


def endpoint_status(sm, name):
    return sm.describe_endpoint(EndpointName=name)["EndpointStatus"]


def notebook_status(sm, name):
    return sm.describe_notebook_instance(
        NotebookInstanceName=name)["NotebookInstanceStatus"]


def make_configs(sm, *names):
    sm.create_model(ModelName="m", ExecutionRoleArn=ROLE_ARN,
                    PrimaryContainer={"Image": "img"})
    for name, itype in zip(names, ("ml.m5.large", "ml.m5.xlarge")):
        sm.create_endpoint_config(EndpointConfigName=name, ProductionVariants=[
            {"VariantName": "AllTraffic", "ModelName": "m",
             "InstanceType": itype, "InitialInstanceCount": 1}])


def test_endpoint_create_update_delete_pass_through_states(sm, ctl):
    make_configs(sm, "c1", "c2")
    sm.create_endpoint(EndpointName="e", EndpointConfigName="c1")
    code, msg = refused(sm.update_endpoint, EndpointName="e",
                        EndpointConfigName="c2")
    assert code == "ValidationException"
    assert msg.startswith("Cannot update in-progress endpoint")
    code, msg = refused(sm.delete_endpoint, EndpointName="e")
    assert "in-progress" in msg
    assert [endpoint_status(sm, "e") for _ in range(3)] == [
        "Creating", "Creating", "InService"]

    code, msg = refused(sm.update_endpoint, EndpointName="e",
                        EndpointConfigName="nope")
    assert code == "ValidationException"
    assert "Could not find endpoint configuration" in msg
    code, msg = refused(sm.update_endpoint, EndpointName="missing",
                        EndpointConfigName="c2")
    assert "Could not find endpoint" in msg

    created = sm.describe_endpoint(EndpointName="e")["CreationTime"]
    sm.update_endpoint(EndpointName="e", EndpointConfigName="c2")
    d = sm.describe_endpoint(EndpointName="e")
    # the old config serves until the new one is deployed
    assert (d["EndpointStatus"], d["EndpointConfigName"]) == ("Updating", "c1")
    assert d["PendingDeploymentSummary"]["EndpointConfigName"] == "c2"
    endpoint_status(sm, "e")
    d = sm.describe_endpoint(EndpointName="e")
    assert (d["EndpointStatus"], d["EndpointConfigName"]) == ("InService",
                                                              "c2")
    assert "PendingDeploymentSummary" not in d
    assert d["CreationTime"] == created

    sm.delete_endpoint(EndpointName="e")
    assert [e["EndpointStatus"] for e in
            sm.list_endpoints()["Endpoints"]] == ["Deleting"]
    assert [endpoint_status(sm, "e") for _ in range(2)] == ["Deleting"] * 2
    code, msg = refused(sm.describe_endpoint, EndpointName="e")
    assert code == "ValidationException" and "Could not find endpoint" in msg
    assert sm.list_endpoints()["Endpoints"] == []
    assert ctl.history("endpoint", "e") == [
        "Creating", "InService", "Updating", "InService", "Deleting", GONE]
    assert ctl.describes("endpoint", "e")[-1] == GONE


def test_failures_and_holds(sm, ctl):
    make_configs(sm, "c1", "c2")
    ctl.fail("endpoint", "bad-*", "capacity")
    sm.create_endpoint(EndpointName="bad-1", EndpointConfigName="c1")
    assert [endpoint_status(sm, "bad-1") for _ in range(3)] == [
        "Creating", "Creating", "Failed"]
    assert sm.describe_endpoint(
        EndpointName="bad-1")["FailureReason"] == "capacity"
    code, msg = refused(sm.update_endpoint, EndpointName="bad-1",
                        EndpointConfigName="c2")
    assert code == "ValidationException"
    # a Failed endpoint can be deleted; Deleting is not failed by default
    sm.delete_endpoint(EndpointName="bad-1")
    for _ in range(3):
        try:
            sm.describe_endpoint(EndpointName="bad-1")
        except ClientError:
            break
    assert ctl.history("endpoint", "bad-1")[-1] == GONE

    # a failed update is rolled back: InService, old config, the reason
    ctl.release()
    sm.create_endpoint(EndpointName="e", EndpointConfigName="c1")
    for _ in range(3):
        endpoint_status(sm, "e")
    ctl.fail("endpoint", "e", "ping health check", during="Updating")
    sm.update_endpoint(EndpointName="e", EndpointConfigName="c2")
    for _ in range(3):
        d = sm.describe_endpoint(EndpointName="e")
    assert (d["EndpointStatus"], d["EndpointConfigName"],
            d["FailureReason"]) == ("InService", "c1", "ping health check")

    ctl.hold("endpoint", "e")
    ctl.release("endpoint", "e")   # drops the fail rule and the hold
    ctl.hold("endpoint", "e", during="Updating")
    sm.update_endpoint(EndpointName="e", EndpointConfigName="c2")
    assert {endpoint_status(sm, "e") for _ in range(10)} == {"Updating"}
    ctl.release("endpoint", "e")
    for _ in range(3):
        d = sm.describe_endpoint(EndpointName="e")
    assert (d["EndpointStatus"], d["EndpointConfigName"]) == ("InService",
                                                              "c2")
    assert "FailureReason" not in d

    with pytest.raises(ValueError):
        ctl.fail("model", "m", "no such kind")


def test_duplicate_names_are_refused(sm, ctl):
    make_configs(sm, "c1")
    sm.create_endpoint(EndpointName="e", EndpointConfigName="c1")
    arn = f"arn:aws:sagemaker:us-east-1:{ACCOUNT_ID}"
    assert refused(sm.create_model, ModelName="m", ExecutionRoleArn=ROLE_ARN,
                   PrimaryContainer={"Image": "other"}) == (
        "ValidationException",
        f'Cannot create already existing model "{arn}:model/m".')
    code, msg = refused(sm.create_endpoint_config, EndpointConfigName="c1",
                        ProductionVariants=[{
                            "VariantName": "v", "ModelName": "m",
                            "InstanceType": "ml.m5.xlarge",
                            "InitialInstanceCount": 2}])
    assert msg == ("Cannot create already existing endpoint configuration "
                   f'"{arn}:endpoint-config/c1".')
    code, msg = refused(sm.create_endpoint, EndpointName="e",
                        EndpointConfigName="c1")
    assert msg == f'Cannot create already existing endpoint "{arn}:endpoint/e".'
    # the originals are untouched
    assert sm.describe_model(ModelName="m")["PrimaryContainer"]["Image"] == "img"
    (v,) = sm.describe_endpoint_config(
        EndpointConfigName="c1")["ProductionVariants"]
    assert v["InstanceType"] == "ml.m5.large"
    assert ctl.history("endpoint", "e") == ["Creating"]


def test_notebook_lifecycle(sm, ctl):
    sm.create_notebook_instance(NotebookInstanceName="nb",
                                InstanceType="ml.t3.medium",
                                RoleArn=ROLE_ARN, VolumeSizeInGB=10)
    code, msg = refused(sm.stop_notebook_instance, NotebookInstanceName="nb")
    assert msg.startswith("Status (Pending) not in ([InService]). Unable to "
                          "transition to (Stopping)")
    assert [notebook_status(sm, "nb") for _ in range(3)] == [
        "Pending", "Pending", "InService"]

    code, msg = refused(sm.update_notebook_instance,
                        NotebookInstanceName="nb", InstanceType="ml.t3.large")
    assert code == "ValidationException"
    assert msg.startswith("Status (InService) not in ([Stopped]). Unable to "
                          "transition to (Updating)")
    code, msg = refused(sm.delete_notebook_instance,
                        NotebookInstanceName="nb")
    assert msg.startswith("Status (InService) not in ([Stopped, Failed])")
    code, msg = refused(sm.start_notebook_instance,
                        NotebookInstanceName="nb")
    assert "Unable to transition to (Pending)" in msg

    sm.stop_notebook_instance(NotebookInstanceName="nb")
    code, msg = refused(sm.update_notebook_instance,
                        NotebookInstanceName="nb", InstanceType="ml.t3.large")
    assert msg.startswith("Status (Stopping) not in ([Stopped])")
    assert [notebook_status(sm, "nb") for _ in range(3)] == [
        "Stopping", "Stopping", "Stopped"]

    code, _ = refused(sm.update_notebook_instance, NotebookInstanceName="nb",
                      VolumeSizeInGB=5)          # AWS only grows volumes
    assert code == "ValidationException"
    code, _ = refused(sm.update_notebook_instance, NotebookInstanceName="nb",
                      InstanceType="ml.nope.large")
    assert code == "ValidationException"
    sm.update_notebook_instance(NotebookInstanceName="nb",
                                InstanceType="ml.t3.large", VolumeSizeInGB=20,
                                RootAccess="Disabled")
    d = sm.describe_notebook_instance(NotebookInstanceName="nb")
    assert (d["NotebookInstanceStatus"], d["InstanceType"]) == (
        "Updating", "ml.t3.medium")
    notebook_status(sm, "nb")
    d = sm.describe_notebook_instance(NotebookInstanceName="nb")
    assert (d["NotebookInstanceStatus"], d["InstanceType"],
            d["VolumeSizeInGB"], d["RootAccess"]) == (
        "Stopped", "ml.t3.large", 20, "Disabled")

    ctl.fail("notebook", "nb", "no ml.t3.large capacity")
    sm.start_notebook_instance(NotebookInstanceName="nb")
    for _ in range(3):
        d = sm.describe_notebook_instance(NotebookInstanceName="nb")
    assert (d["NotebookInstanceStatus"], d["FailureReason"]) == (
        "Failed", "no ml.t3.large capacity")
    ctl.release()
    sm.delete_notebook_instance(NotebookInstanceName="nb")   # Failed: allowed
    assert [n["NotebookInstanceStatus"] for n in sm.list_notebook_instances()[
        "NotebookInstances"]] == ["Deleting"]
    for _ in range(3):
        try:
            notebook_status(sm, "nb")
        except ClientError:
            break
    assert sm.list_notebook_instances()["NotebookInstances"] == []
    assert ctl.history("notebook", "nb") == [
        "Pending", "InService", "Stopping", "Stopped", "Updating", "Stopped",
        "Pending", "Failed", "Deleting", GONE]


def test_tags_on_unknown_arn_and_repeated_keys(sm):
    make_configs(sm, "c1")
    arn = f"arn:aws:sagemaker:us-east-1:{ACCOUNT_ID}:endpoint/nothing"
    for fn, kw in ((sm.list_tags, {}),
                   (sm.add_tags, {"Tags": [{"Key": "k", "Value": "v"}]}),
                   (sm.delete_tags, {"TagKeys": ["k"]})):
        code, _ = refused(fn, ResourceArn=arn, **kw)
        assert code == "ValidationException"
    model_arn = sm.describe_model(ModelName="m")["ModelArn"]
    sm.add_tags(ResourceArn=model_arn, Tags=[{"Key": "k", "Value": "1"}])
    sm.add_tags(ResourceArn=model_arn, Tags=[{"Key": "k", "Value": "2"},
                                             {"Key": "j", "Value": "3"}])
    tags = sm.list_tags(ResourceArn=model_arn)["Tags"]
    assert sorted((t["Key"], t["Value"]) for t in tags) == [("j", "3"),
                                                            ("k", "2")]


def test_reset_forgets_rules_and_records(emulator, sm, ctl):
    make_configs(sm, "c1")
    ctl.fail("endpoint", "e", "boom")
    ctl.polls = 5
    sm.create_endpoint(EndpointName="e", EndpointConfigName="c1")
    endpoint_status(sm, "e")
    emulator.reset()
    assert ctl.polls == moto_sagemaker.DEFAULT_POLLS
    assert ctl.history("endpoint", "e") == []
    assert ctl.describes("endpoint", "e") == []
    make_configs(sm, "c1")
    sm.create_endpoint(EndpointName="e", EndpointConfigName="c1")
    assert [endpoint_status(sm, "e") for _ in range(3)] == [
        "Creating", "Creating", "InService"]
