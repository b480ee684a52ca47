"""Refresh by listing (docs/refresh.md): types with a bulk read are read a
page of objects at a time, and every change made behind mlstack's back is
still shown; what a list cannot settle is read one object at a time."""

import json

import pytest

from awsproxy import Error, Response

from helpers import (NO_CHANGES, SAGEMAKER_FULL_ACCESS, SAGEMAKER_TRUST,
                     SAGEMAKER_TRUST_YAML, last_line, plan_counts)
from helpers import apply_ok as apply
from helpers import plan_ok as plan

S3_READ = "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"
INLINE = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}


def roles_stack(n, stack="refresh"):
    out = [f"stack: {stack}", "resources:"]
    for i in range(n):
        out.append(f"""  role{i}:
    type: aws_iam_role
    properties:
      name: refresh-role-{i}
      description: role {i}
      assume_role_policy: {SAGEMAKER_TRUST_YAML}
      managed_policy_arns: [{SAGEMAKER_FULL_ACCESS}]
      inline_policies:
        read: {json.dumps(INLINE)}
      tags: {{team: ml}}""")
    return "\n".join(out) + "\n"


def ops(proxy, service):
    return [c.operation for c in proxy.calls(service=service)]


def test_unchanged_roles_are_read_by_listing(run, proxy):
    apply(run, stack=roles_stack(5))
    proxy.clear_calls()

    code, out = plan(run)
    assert code == 0 and last_line(out) == NO_CHANGES
    calls = ops(proxy, "iam")
    assert sorted(set(calls)) == ["GetAccountAuthorizationDetails",
                                  "ListRoles"]
    assert len(calls) == 2


def test_roles_page_through_several_pages(run, proxy):
    apply(run, stack=roles_stack(5))
    proxy.clear_calls()

    code, out = plan(run, env={"MLSTACK_LIST_PAGE_SIZE": "2"})
    assert code == 0 and last_line(out) == NO_CHANGES
    calls = ops(proxy, "iam")
    # 5 roles, 2 a page: 3 pages of each list, nothing read one by one
    assert calls.count("ListRoles") == 3
    assert calls.count("GetAccountAuthorizationDetails") >= 3
    assert set(calls) == {"ListRoles", "GetAccountAuthorizationDetails"}


@pytest.mark.parametrize("change, shown", [
    ("trust", "assume_role_policy"),
    ("inline", "inline_policies"),
    ("inline_new", "inline_policies"),
    ("attach", "managed_policy_arns"),
    ("detach", "managed_policy_arns"),
    ("description", "description"),
    ("session", "max_session_duration"),
    ("tag", "tags"),
    ("untag", "tags"),
])
def test_every_role_attribute_drift_is_caught(run, iam, proxy, change, shown):
    apply(run, stack=roles_stack(3))
    role = "refresh-role-1"
    if change == "trust":
        doc = json.loads(json.dumps(SAGEMAKER_TRUST))
        doc["Statement"][0]["Principal"]["Service"] = "ec2.amazonaws.com"
        iam.update_assume_role_policy(RoleName=role,
                                      PolicyDocument=json.dumps(doc))
    elif change == "inline":
        doc = json.loads(json.dumps(INLINE))
        doc["Statement"][0]["Action"] = "s3:*"
        iam.put_role_policy(RoleName=role, PolicyName="read",
                            PolicyDocument=json.dumps(doc))
    elif change == "inline_new":
        iam.put_role_policy(RoleName=role, PolicyName="extra",
                            PolicyDocument=json.dumps(INLINE))
    elif change == "attach":
        iam.attach_role_policy(RoleName=role, PolicyArn=S3_READ)
    elif change == "detach":
        iam.detach_role_policy(RoleName=role, PolicyArn=SAGEMAKER_FULL_ACCESS)
    elif change == "description":
        iam.update_role(RoleName=role, Description="changed")
    elif change == "session":
        iam.update_role(RoleName=role, MaxSessionDuration=7200)
    elif change == "tag":
        iam.tag_role(RoleName=role, Tags=[{"Key": "team", "Value": "x"}])
    elif change == "untag":
        iam.untag_role(RoleName=role, TagKeys=["team"])
    proxy.clear_calls()

    code, out = plan(run)
    assert code == 2
    assert "  # role1 has changed outside of mlstack" in out
    assert "  # role1 will be updated in place" in out
    assert shown in out
    assert "  # role0 has changed" not in out
    assert "  # role2 has changed" not in out
    assert plan_counts(out) == (0, 1, 0)
    assert "GetRole" not in ops(proxy, "iam")


def test_deleted_role_is_confirmed_gone_and_recreated(run, iam, proxy):
    apply(run, stack=roles_stack(2))
    role = "refresh-role-0"
    iam.detach_role_policy(RoleName=role, PolicyArn=SAGEMAKER_FULL_ACCESS)
    iam.delete_role_policy(RoleName=role, PolicyName="read")
    iam.delete_role(RoleName=role)
    proxy.clear_calls()

    code, out = plan(run)
    assert code == 2
    assert "  # role0 will be created" in out
    assert plan_counts(out) == (1, 0, 0)
    # absence from a list is confirmed by a read of its own
    gets = [c for c in proxy.calls(service="iam", operation="GetRole")]
    assert len(gets) == 1


def test_mixed_types_listed_and_read_one_by_one(run, iam, s3, proxy):
    text = roles_stack(3) + """  store:
    type: aws_s3_bucket
    properties:
      bucket: refresh-mixed-data
      tags: {team: ml}
"""
    apply(run, stack=text)
    iam.update_role(RoleName="refresh-role-2", Description="changed")
    s3.put_bucket_tagging(Bucket="refresh-mixed-data", Tagging={"TagSet": [
        {"Key": "team", "Value": "x"}]})
    proxy.clear_calls()

    code, out = plan(run)
    assert code == 2
    assert "  # role2 has changed outside of mlstack" in out
    assert "  # store has changed outside of mlstack" in out
    assert plan_counts(out) == (0, 2, 0)
    assert set(ops(proxy, "iam")) == {"ListRoles",
                                      "GetAccountAuthorizationDetails"}
    assert "GetBucketTagging" in ops(proxy, "s3")


def test_role_deleted_between_list_and_read_is_gone(run, iam, proxy):
    # role0 is in ListRoles' answer, then deleted before the second list:
    # the lists disagree, so it is read alone, and GetRole's NoSuchEntity
    # makes it gone.
    apply(run, stack=roles_stack(2))

    def delete_after_list(request, response):
        if request.operation == "ListRoles" and \
                "refresh-role-0" in role_names_of(iam):
            iam.detach_role_policy(RoleName="refresh-role-0",
                                   PolicyArn=SAGEMAKER_FULL_ACCESS)
            iam.delete_role_policy(RoleName="refresh-role-0",
                                   PolicyName="read")
            iam.delete_role(RoleName="refresh-role-0")
        return None
    proxy.add_response_hook(delete_after_list)
    proxy.clear_calls()

    code, out = plan(run)
    assert code == 2
    assert "  # role0 will be created" in out
    assert "  # role1" not in out
    assert plan_counts(out) == (1, 0, 0)
    assert ops(proxy, "iam").count("GetRole") == 1


def role_names_of(iam):
    return {r["RoleName"] for r in iam.list_roles()["Roles"]}


# -- SageMaker models, endpoint configs, endpoints, training jobs -----------

SM_ROLE = "arn:aws:iam::123456789012:role/refresh-sm"
SM_IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/refresh:1"
SM_LISTS = {"ListModels", "ListEndpointConfigs", "ListEndpoints",
            "ListTrainingJobs"}


def sm_stack(n, stack="refresh-sm", jobs=True):
    """n models, endpoint configs and endpoints (and training jobs)."""
    out = [f"stack: {stack}", "resources:"]
    for i in range(n):
        out.append(f"""  model{i}:
    type: aws_sagemaker_model
    properties:
      execution_role_arn: {SM_ROLE}
      primary_container: {{image: {SM_IMAGE}}}
      tags: {{team: ml}}
  config{i}:
    type: aws_sagemaker_endpoint_configuration
    properties:
      production_variants:
        - {{variant_name: AllTraffic, model_name: "${{model{i}.name}}",
           instance_type: ml.m5.large}}
      tags: {{team: ml}}
  endpoint{i}:
    type: aws_sagemaker_endpoint
    properties:
      name: refresh-endpoint-{i}
      endpoint_config_name: ${{config{i}.name}}
      tags: {{team: ml}}""")
        if jobs:
            out.append(f"""  job{i}:
    type: aws_sagemaker_training_job
    properties:
      role_arn: {SM_ROLE}
      algorithm_specification: {{training_image: {SM_IMAGE}}}
      hyper_parameters: {{run: "{i}"}}
      output_data_config: {{s3_output_path: "s3://refresh-sm-out/models"}}
      resource_config: {{instance_type: ml.m5.xlarge, instance_count: 1}}
      tags: {{team: ml}}""")
    return "\n".join(out) + "\n"


@pytest.fixture
def sm(emulator, cli, s3):
    import moto_sagemaker
    cli.env["MLSTACK_WAIT_DELAY"] = "0.05"
    moto_sagemaker.control.polls = 1
    s3.create_bucket(Bucket="refresh-sm-out")
    return emulator.client("sagemaker")


def sm_ops(proxy):
    return ops(proxy, "sagemaker")


def describes(proxy):
    return [o for o in sm_ops(proxy) if o.startswith("Describe")]


def test_unchanged_sagemaker_objects_are_read_by_listing(run, sm, proxy):
    apply(run, stack=sm_stack(3))
    proxy.clear_calls()

    code, out = plan(run)
    assert code == 0 and last_line(out) == NO_CHANGES, out
    calls = sm_ops(proxy)
    assert sorted(calls) == sorted(SM_LISTS), calls
    # one GetResources of the tagging API a type
    assert len(proxy.calls(service="tagging")) == 4
    # which endpoint variants scale: one call for every endpoint
    assert ops(proxy, "application-autoscaling") == \
        ["DescribeScalableTargets"]


def test_sagemaker_lists_page_through_several_pages(run, sm, proxy):
    apply(run, stack=sm_stack(3))
    proxy.clear_calls()

    code, out = plan(run, env={"MLSTACK_LIST_PAGE_SIZE": "2"})
    assert code == 0 and last_line(out) == NO_CHANGES, out
    calls = sm_ops(proxy)
    # 3 objects of each type, 2 a page: 2 pages of each list
    for op in SM_LISTS:
        assert calls.count(op) == 2, (op, calls)
    assert set(calls) == SM_LISTS
    assert len(proxy.calls(service="tagging")) == 8


def arn_of(sm, kind, name):
    if kind == "model":
        return sm.describe_model(ModelName=name)["ModelArn"]
    if kind == "config":
        return sm.describe_endpoint_config(
            EndpointConfigName=name)["EndpointConfigArn"]
    if kind == "endpoint":
        return sm.describe_endpoint(EndpointName=name)["EndpointArn"]
    return sm.describe_training_job(TrainingJobName=name)["TrainingJobArn"]


def stored_name(run, resource):
    code, out, err = run("state", "show", resource)
    assert code == 0, err
    for line in out.splitlines():
        parts = line.split("=", 1)
        if len(parts) == 2 and parts[0].strip() == "name":
            return parts[1].strip().strip('"')
    raise AssertionError(out)


@pytest.mark.parametrize("kind", ["model", "config", "endpoint", "job"])
@pytest.mark.parametrize("change", ["changed", "added", "removed"])
def test_every_sagemaker_tag_drift_is_caught(run, sm, proxy, kind, change):
    apply(run, stack=sm_stack(2))
    arn = arn_of(sm, kind, stored_name(run, f"{kind}1"))
    if change == "changed":
        sm.delete_tags(ResourceArn=arn, TagKeys=["team"])
        sm.add_tags(ResourceArn=arn, Tags=[{"Key": "team", "Value": "x"}])
    elif change == "added":
        sm.add_tags(ResourceArn=arn, Tags=[{"Key": "extra", "Value": "1"}])
    else:
        sm.delete_tags(ResourceArn=arn, TagKeys=["team"])
    proxy.clear_calls()

    code, out = plan(run)
    assert code == 2, out
    assert f"  # {kind}1 has changed outside of mlstack" in out
    assert f"  # {kind}1 will be updated in place" in out
    assert "tags" in out
    assert plan_counts(out) == (0, 1, 0)
    # only the drifted object is described, to confirm its tags
    assert len(describes(proxy)) == 1, describes(proxy)


def test_endpoint_updated_to_another_config_is_caught(run, sm, proxy):
    apply(run, stack=sm_stack(2, jobs=False))
    other = stored_name(run, "config0")
    sm.update_endpoint(EndpointName="refresh-endpoint-1",
                       EndpointConfigName=other)
    wait_in_service(sm, "refresh-endpoint-1")
    proxy.clear_calls()

    code, out = plan(run)
    assert code == 2, out
    assert "  # endpoint1 has changed outside of mlstack" in out
    assert "endpoint_config_name" in out
    assert plan_counts(out) == (0, 1, 0)
    assert describes(proxy) == ["DescribeEndpoint"]


def wide_stack(n, moved=()):
    """One model and two endpoint configs; n endpoints serving the first,
    or the second for the endpoints of moved."""
    out = ["stack: refresh-wide", "resources:", f"""  model:
    type: aws_sagemaker_model
    properties:
      execution_role_arn: {SM_ROLE}
      primary_container: {{image: {SM_IMAGE}}}"""]
    for config in ("config", "config2"):
        out.append(f"""  {config}:
    type: aws_sagemaker_endpoint_configuration
    properties:
      production_variants:
        - {{variant_name: AllTraffic, model_name: "${{model.name}}",
           instance_type: ml.m5.large}}""")
    for i in range(n):
        config = "config2" if i in moved else "config"
        out.append(f"""  endpoint{i}:
    type: aws_sagemaker_endpoint
    properties:
      name: wide-{i}
      endpoint_config_name: ${{{config}.name}}""")
    return "\n".join(out) + "\n"


def test_scaling_of_more_than_50_variants_is_asked_50_a_request(
        run, sm, emulator, proxy):
    apply(run, stack=wide_stack(51))
    # every endpoint's variant made to scale behind mlstack's back
    aas = emulator.client("application-autoscaling")
    for i in range(51):
        aas.register_scalable_target(
            ServiceNamespace="sagemaker",
            ResourceId=f"endpoint/wide-{i}/variant/AllTraffic",
            ScalableDimension="sagemaker:variant:DesiredInstanceCount",
            MinCapacity=1, MaxCapacity=2)
    proxy.clear_calls()

    # what scales is no managed attribute: it shows in what an update of
    # each endpoint's config will do
    code, out = plan(run, stack=wide_stack(51, moved=range(51)))
    assert code == 2 and plan_counts(out) == (0, 51, 0), out
    assert out.count('variants ["AllTraffic"] scale') == 51, out
    asked = [json.loads(c.request.body)["ResourceIds"]
             for c in proxy.calls(service="application-autoscaling",
                                  operation="DescribeScalableTargets")]
    assert sorted(len(ids) for ids in asked) == [1, 50]
    assert sorted(i for ids in asked for i in ids) == sorted(
        f"endpoint/wide-{i}/variant/AllTraffic" for i in range(51))
    assert describes(proxy) == []


def wait_in_service(sm, name):
    from helpers import wait_for
    wait_for(lambda: sm.describe_endpoint(EndpointName=name)[
        "EndpointStatus"] == "InService", what=f"{name} InService")


@pytest.mark.parametrize("kind", ["model", "config", "endpoint"])
def test_sagemaker_object_deleted_behind_its_back_is_planned_again(
        run, sm, proxy, kind):
    apply(run, stack=sm_stack(2, jobs=False))
    name = stored_name(run, f"{kind}0")
    if kind == "model":
        sm.delete_model(ModelName=name)
    elif kind == "config":
        sm.delete_endpoint_config(EndpointConfigName=name)
    else:
        sm.delete_endpoint(EndpointName=name)
        from helpers import wait_for
        wait_for(lambda: endpoint_gone(sm, name), what="endpoint gone")
    proxy.clear_calls()

    code, out = plan(run)
    assert code == 2, out
    assert f"  # {kind}0 will be created" in out
    # absence from the list is confirmed by a Describe of its own
    assert len(describes(proxy)) == 1, describes(proxy)


def endpoint_gone(sm, name):
    """Whether the endpoint is gone (each Describe moves its delete on)."""
    try:
        sm.describe_endpoint(EndpointName=name)
        return False
    except sm.exceptions.ClientError:
        return True


def test_sagemaker_object_deleted_between_list_and_tags_is_gone(
        run, sm, proxy):
    apply(run, stack=sm_stack(2, jobs=False))
    name = stored_name(run, "model0")

    def delete_after_list(request, response):
        if request.operation == "ListModels" and name in [
                m["ModelName"] for m in sm.list_models()["Models"]]:
            sm.delete_model(ModelName=name)
        return None
    proxy.add_response_hook(delete_after_list)
    proxy.clear_calls()

    code, out = plan(run)
    assert code == 2, out
    assert "  # model0 will be created" in out
    assert plan_counts(out)[0] == 1
    assert sm_ops(proxy).count("DescribeModel") == 1


def test_sagemaker_objects_recorded_without_time_are_described(
        run, sm, proxy, workdir):
    apply(run, stack=sm_stack(2))
    # state written before the time was recorded
    for f in (workdir / ".mlstack" / "refresh-sm" / "resources").glob(
            "*0.json"):
        doc = json.loads(f.read_text())
        doc["attributes"].pop("listed_time", None)
        f.write_text(json.dumps(doc, indent=2, sort_keys=True) + "\n")
    proxy.clear_calls()

    code, out = plan(run)
    assert code == 0 and last_line(out) == NO_CHANGES, out
    assert sorted(describes(proxy)) == sorted([
        "DescribeModel", "DescribeEndpointConfig", "DescribeEndpoint",
        "DescribeTrainingJob"])


# -- SageMaker notebook instances and tuning jobs ---------------------------

SM_MORE_LISTS = {"ListNotebookInstances", "ListHyperParameterTuningJobs"}


def nb_stack(n, stack="refresh-nb"):
    """n notebook instances and n tuning jobs (of one training job each)."""
    out = [f"stack: {stack}", "resources:"]
    for i in range(n):
        out.append(f"""  nb{i}:
    type: aws_sagemaker_notebook_instance
    properties:
      name: refresh-nb-{i}
      instance_type: ml.t3.medium
      role_arn: {SM_ROLE}
      tags: {{team: ml}}
  tune{i}:
    type: aws_sagemaker_hyper_parameter_tuning_job
    properties:
      strategy: Random
      objective: {{type: Maximize, metric_name: "val:acc"}}
      resource_limits: {{max_number_of_training_jobs: 1,
                        max_parallel_training_jobs: 1}}
      parameter_ranges:
        categorical:
          - {{name: optimizer, values: [sgd, adam]}}
      training_job_definition:
        role_arn: {SM_ROLE}
        algorithm_specification:
          training_image: {SM_IMAGE}
          metric_definitions:
            - {{name: "val:acc", regex: "val_acc=([0-9.]+)"}}
        static_hyper_parameters: {{run: "{i}"}}
        output_data_config: {{s3_output_path: "s3://refresh-sm-out/tune"}}
        resource_config: {{instance_type: ml.m5.xlarge}}
      tags: {{team: ml}}""")
    return "\n".join(out) + "\n"


def nb_in(sm, name, status):
    for _ in range(100):
        if sm.describe_notebook_instance(NotebookInstanceName=name)[
                "NotebookInstanceStatus"] == status:
            return
    raise AssertionError(f"{name} never {status}")


def test_unchanged_notebooks_and_tuning_jobs_are_read_by_listing(run, sm,
                                                                 proxy):
    apply(run, stack=nb_stack(2))
    proxy.clear_calls()

    code, out = plan(run)
    assert code == 0 and last_line(out) == NO_CHANGES, out
    assert sorted(sm_ops(proxy)) == sorted(SM_MORE_LISTS)
    # one GetResources of the tagging API a type
    assert len(proxy.calls(service="tagging")) == 2

    proxy.clear_calls()
    code, out = plan(run, env={"MLSTACK_LIST_PAGE_SIZE": "1"})
    assert code == 0 and last_line(out) == NO_CHANGES, out
    calls = sm_ops(proxy)
    # two of each, one a page: two pages of each list
    assert {op: calls.count(op) for op in SM_MORE_LISTS} == {
        op: 2 for op in SM_MORE_LISTS}
    assert set(calls) == SM_MORE_LISTS


@pytest.mark.parametrize("change", ["stopped", "instance_type", "tags",
                                    "tune_tags", "deleted"])
def test_every_notebook_and_tuning_drift_is_caught(run, sm, proxy, change):
    apply(run, stack=nb_stack(2))
    name = "refresh-nb-1"
    if change in ("stopped", "instance_type", "deleted"):
        sm.stop_notebook_instance(NotebookInstanceName=name)
        nb_in(sm, name, "Stopped")
    if change == "instance_type":
        sm.update_notebook_instance(NotebookInstanceName=name,
                                    InstanceType="ml.t3.large")
        nb_in(sm, name, "Stopped")
        sm.start_notebook_instance(NotebookInstanceName=name)
        nb_in(sm, name, "InService")
    elif change == "deleted":
        sm.delete_notebook_instance(NotebookInstanceName=name)
        for _ in range(100):   # the emulator moves on when described
            try:
                sm.describe_notebook_instance(NotebookInstanceName=name)
            except sm.exceptions.ClientError:
                break
    elif change == "tags":
        arn = sm.describe_notebook_instance(
            NotebookInstanceName=name)["NotebookInstanceArn"]
        sm.add_tags(ResourceArn=arn, Tags=[{"Key": "team", "Value": "x"}])
    elif change == "tune_tags":
        job = stored_name(run, "tune1")
        arn = sm.describe_hyper_parameter_tuning_job(
            HyperParameterTuningJobName=job)["HyperParameterTuningJobArn"]
        sm.add_tags(ResourceArn=arn, Tags=[{"Key": "extra", "Value": "1"}])
    proxy.clear_calls()

    code, out = plan(run)
    assert code == 2, out
    what = "tune1" if change == "tune_tags" else "nb1"
    if change == "deleted":
        assert f"  # {what} will be created" in out
        assert plan_counts(out) == (1, 0, 0)
    else:
        assert f"  # {what} has changed outside of mlstack" in out
        shown = {"stopped": "status", "instance_type": "instance_type",
                 "tags": "tags", "tune_tags": "tags"}[change]
        assert shown in out.split(f"# {what} has changed")[1]
        assert plan_counts(out) == (0, 1, 0)
    # only the drifted object is described
    assert describes(proxy) == [
        "DescribeHyperParameterTuningJob" if what == "tune1"
        else "DescribeNotebookInstance"]


# -- S3 objects -------------------------------------------------------------

S3_BUCKET = "refresh-objects"
S3_OTHER = "refresh-objects-b"
OBJ_SETTINGS = dict(ContentType="text/plain", CacheControl="max-age=60",
                    Metadata={"owner": "ml"}, ServerSideEncryption="AES256",
                    StorageClass="STANDARD")


def objects_stack(n, bucket=S3_BUCKET, stack="refresh-s3", name="obj"):
    """n objects under conf/ (made in bucket, which the stack does not
    manage, so that only object calls are counted)."""
    out = [f"stack: {stack}", "resources:"]
    for i in range(n):
        out.append(f"""  {name}{i}:
    type: aws_s3_object
    properties:
      bucket: {bucket}
      key: conf/obj{i}.txt
      content: "object {i}"
      content_type: text/plain
      cache_control: max-age=60
      metadata: {{owner: ml}}
      server_side_encryption: AES256
      tags: {{team: ml}}""")
    return "\n".join(out) + "\n"


def s3_ops(proxy):
    return ops(proxy, "s3")


def obj_reads(proxy):
    """Object reads by operation: how the objects were refreshed."""
    calls = s3_ops(proxy)
    return {op: calls.count(op) for op in
            ("ListObjectsV2", "GetObjectTagging", "HeadObject")}


def next_second():
    """S3 gives an object's time to the second: a rewrite within the second
    of mlstack's own write keeps it (docs/refresh.md), so a test that
    rewrites an object behind mlstack's back waits for the next one."""
    import time
    time.sleep(1.05)


@pytest.fixture
def buckets(s3):
    for b in (S3_BUCKET, S3_OTHER):
        s3.create_bucket(Bucket=b)
        # someone else's keys, before and after ours
        s3.put_object(Bucket=b, Key="another/key", Body=b"x")
        s3.put_object(Bucket=b, Key="zzz/key", Body=b"x")
    return s3


def test_unchanged_objects_are_read_by_listing(run, buckets, proxy):
    text = objects_stack(5) + objects_stack(
        2, bucket=S3_OTHER, name="other").split("resources:\n")[1]
    apply(run, stack=text)
    proxy.clear_calls()

    code, out = plan(run)
    assert code == 0 and last_line(out) == NO_CHANGES, out
    # one listing a bucket, the tags of each object, no HEAD
    assert obj_reads(proxy) == {"ListObjectsV2": 2, "GetObjectTagging": 7,
                                "HeadObject": 0}
    assert set(s3_ops(proxy)) == {"ListObjectsV2", "GetObjectTagging"}


def test_object_listing_pages_through_several_pages(run, buckets, proxy):
    apply(run, stack=objects_stack(5))
    proxy.clear_calls()

    code, out = plan(run, env={"MLSTACK_LIST_PAGE_SIZE": "2"})
    assert code == 0 and last_line(out) == NO_CHANGES, out
    # 5 objects, 2 a page, nothing else in their range: 3 pages
    assert obj_reads(proxy) == {"ListObjectsV2": 3, "GetObjectTagging": 5,
                                "HeadObject": 0}
    lists = proxy.calls(service="s3", operation="ListObjectsV2")
    assert all("max-keys=2" in c.target for c in lists)
    assert "prefix=conf%2Fobj" in lists[0].target


def copy_with(s3, key, **changed):
    """Rewrite an object in place with its settings, some of them changed
    (a copy onto itself: the content and its ETag stay)."""
    settings = dict(OBJ_SETTINGS, **changed)
    settings = {k: v for k, v in settings.items() if v is not None}
    s3.copy_object(Bucket=S3_BUCKET, Key=key, MetadataDirective="REPLACE",
                   CopySource={"Bucket": S3_BUCKET, "Key": key}, **settings)


@pytest.mark.parametrize("change, shown", [
    ("content", "etag"),
    ("content_type", "content_type"),
    ("cache_control", "cache_control"),
    ("metadata", "metadata"),
    ("storage_class", "storage_class"),
    ("sse", "server_side_encryption"),
    ("tags", "tags"),
])
def test_every_object_attribute_drift_is_caught(run, buckets, proxy, change,
                                                shown):
    s3 = buckets
    apply(run, stack=objects_stack(3))
    key = "conf/obj1.txt"
    next_second()
    if change == "content":
        s3.put_object(Bucket=S3_BUCKET, Key=key, Body=b"object 9",
                      **OBJ_SETTINGS)
    elif change == "content_type":
        copy_with(s3, key, ContentType="text/csv")
    elif change == "cache_control":
        copy_with(s3, key, CacheControl="no-cache")
    elif change == "metadata":
        copy_with(s3, key, Metadata={"owner": "someone"})
    elif change == "storage_class":
        copy_with(s3, key, StorageClass="STANDARD_IA")
    elif change == "sse":
        copy_with(s3, key, ServerSideEncryption=None)
    else:
        s3.put_object_tagging(Bucket=S3_BUCKET, Key=key, Tagging={"TagSet": [
            {"Key": "team", "Value": "x"}]})
    proxy.clear_calls()

    code, out = plan(run)
    assert code == 2, out
    if change != "sse":  # a setting S3 no longer has is not said to drift
        assert "  # obj1 has changed outside of mlstack" in out
    assert "  # obj1 will be updated in place" in out
    assert shown in out
    assert "  # obj0 has changed" not in out
    assert "  # obj2 has changed" not in out
    assert plan_counts(out) == (0, 1, 0)
    # only a rewritten object is read alone; a tag change is not one
    reads = obj_reads(proxy)
    assert reads["ListObjectsV2"] == 1
    assert reads["HeadObject"] == (0 if change == "tags" else 1), reads
    assert reads["GetObjectTagging"] == 3, reads

    # put back: the write records the time again, and the listing settles
    # the object once more
    apply(run)
    proxy.clear_calls()
    code, out = plan(run)
    assert code == 0 and last_line(out) == NO_CHANGES, out
    assert obj_reads(proxy)["HeadObject"] == 0


def test_settings_left_to_s3_are_recorded_and_listed(run, buckets, proxy,
                                                     workdir):
    # the bucket encrypts by default: an object the stack does not ask to
    # encrypt is encrypted all the same, and recorded so
    buckets.put_bucket_encryption(
        Bucket=S3_BUCKET, ServerSideEncryptionConfiguration={"Rules": [
            {"ApplyServerSideEncryptionByDefault": {
                "SSEAlgorithm": "AES256"}}]})
    text = objects_stack(2).replace("      server_side_encryption: AES256\n",
                                    "")
    assert "server_side_encryption" not in text
    apply(run, stack=text)
    doc = json.loads((workdir / ".mlstack" / "refresh-s3" / "resources" /
                      "obj0.json").read_text())
    assert doc["attributes"]["server_side_encryption"] == "AES256"
    assert isinstance(doc["attributes"]["last_modified"], int)
    proxy.clear_calls()

    code, out = plan(run)
    assert code == 0 and last_line(out) == NO_CHANGES, out
    assert obj_reads(proxy) == {"ListObjectsV2": 1, "GetObjectTagging": 2,
                                "HeadObject": 0}


def test_object_deleted_behind_its_back_is_planned_again(run, buckets,
                                                         proxy):
    apply(run, stack=objects_stack(3))
    buckets.delete_object(Bucket=S3_BUCKET, Key="conf/obj0.txt")
    proxy.clear_calls()

    code, out = plan(run)
    assert code == 2, out
    assert "  # obj0 will be created" in out
    assert plan_counts(out) == (1, 0, 0)
    # absence from the listing is confirmed by a HEAD of its own
    assert obj_reads(proxy) == {"ListObjectsV2": 1, "GetObjectTagging": 2,
                                "HeadObject": 1}


def test_object_deleted_between_list_and_tags_is_gone(run, buckets, proxy):
    apply(run, stack=objects_stack(2))

    def delete_after_list(request, response):
        if request.operation == "ListObjectsV2":
            buckets.delete_object(Bucket=S3_BUCKET, Key="conf/obj0.txt")
        return None
    proxy.add_response_hook(delete_after_list)
    proxy.clear_calls()

    code, out = plan(run)
    assert code == 2, out
    assert "  # obj0 will be created" in out
    assert "  # obj1" not in out
    assert plan_counts(out) == (1, 0, 0)
    assert obj_reads(proxy)["HeadObject"] == 1


def test_objects_recorded_without_time_are_read_one_by_one(
        run, buckets, proxy, workdir):
    apply(run, stack=objects_stack(4))
    # state written before the time was recorded
    resources = workdir / ".mlstack" / "refresh-s3" / "resources"
    for name in ("obj0", "obj3"):
        f = resources / f"{name}.json"
        doc = json.loads(f.read_text())
        assert isinstance(doc["attributes"].pop("last_modified"), int)
        f.write_text(json.dumps(doc, indent=2, sort_keys=True) + "\n")
    proxy.clear_calls()

    code, out = plan(run)
    assert code == 0 and last_line(out) == NO_CHANGES, out
    heads = proxy.calls(service="s3", operation="HeadObject")
    assert sorted(c.target.rsplit("/", 1)[-1] for c in heads) == \
        ["obj0.txt", "obj3.txt"]
    assert obj_reads(proxy) == {"ListObjectsV2": 1, "GetObjectTagging": 4,
                                "HeadObject": 2}
    # the listing spans only what it must settle
    lists = proxy.calls(service="s3", operation="ListObjectsV2")
    assert "start-after=conf%2Fobj1.tx" in lists[0].target


def test_object_walk_stops_where_reads_are_cheaper(run, buckets, proxy):
    # between the two keys, eight of someone else's: at two a page, two
    # pages (one a key) reach only the first; the second is read alone
    s3 = buckets
    for i in range(8):
        s3.put_object(Bucket=S3_BUCKET, Key=f"conf/p-mid{i}", Body=b"x")
    text = objects_stack(1) + """  last:
    type: aws_s3_object
    properties:
      bucket: refresh-objects
      key: conf/zlast.txt
      content: last
"""
    apply(run, stack=text)
    proxy.clear_calls()

    code, out = plan(run, env={"MLSTACK_LIST_PAGE_SIZE": "2"})
    assert code == 0 and last_line(out) == NO_CHANGES, out
    assert obj_reads(proxy) == {"ListObjectsV2": 2, "GetObjectTagging": 2,
                                "HeadObject": 1}


# -- S3 folders (aws_s3_objects) ------------------------------------------

def folders_stack(prefixes, bucket=S3_BUCKET, stack="refresh-folders"):
    out = [f"stack: {stack}", "resources:"]
    for i, prefix in enumerate(prefixes):
        out.append(f"""  data{i}:
    type: aws_s3_objects
    properties:
      bucket: {bucket}
      prefix: {prefix}
      source: data{i}""")
    return "\n".join(out) + "\n"


def make_folders(workdir, n, files=3):
    for i in range(n):
        d = workdir / f"data{i}"
        d.mkdir()
        for j in range(files):
            (d / f"f{j}.csv").write_text(f"folder {i} file {j}\n")


def test_folders_of_a_bucket_share_one_listing(run, buckets, proxy, workdir):
    make_folders(workdir, 3)
    apply(run, stack=folders_stack(["data/train", "data/val", "data/test"]))
    proxy.clear_calls()

    code, out = plan(run)
    assert code == 0 and last_line(out) == NO_CHANGES, out
    lists = proxy.calls(service="s3", operation="ListObjectsV2")
    assert len(lists) == 1 and s3_ops(proxy) == ["ListObjectsV2"]
    # under what the prefixes share, from the first one on
    assert "prefix=data%2F&" in lists[0].target
    assert "start-after=data%2Ftest&" in lists[0].target + "&"

    # 9 keys, 2 a page: 5 pages, and still one walk
    proxy.clear_calls()
    code, out = plan(run, env={"MLSTACK_LIST_PAGE_SIZE": "2"})
    assert code == 0 and last_line(out) == NO_CHANGES, out
    assert s3_ops(proxy) == ["ListObjectsV2"] * 5


def test_folders_with_nothing_in_common_are_walked_from_first_to_last(
        run, buckets, proxy, workdir):
    # keys before "cats/" and after "dogs/" are not listed: the walk
    # starts at the first folder and stops past the last
    s3 = buckets
    for i in range(4):
        s3.put_object(Bucket=S3_BUCKET, Key=f"aaa/{i}", Body=b"x")
        s3.put_object(Bucket=S3_BUCKET, Key=f"zzz/{i}", Body=b"x")
    make_folders(workdir, 2)
    apply(run, stack=folders_stack(["cats", "dogs"]))
    proxy.clear_calls()

    code, out = plan(run, env={"MLSTACK_LIST_PAGE_SIZE": "4"})
    assert code == 0 and last_line(out) == NO_CHANGES, out
    # 6 keys, 4 a page: the second page goes past "dogs/"
    lists = proxy.calls(service="s3", operation="ListObjectsV2")
    assert len(lists) == 2, s3_ops(proxy)
    assert "prefix=&" in lists[0].target + "&"
    assert "start-after=cats&" in lists[0].target + "&"


@pytest.mark.parametrize("change, shown", [
    ("changed", "~ f1.csv"),
    ("added", "+ extra.csv"),
    ("deleted", "+ f2.csv"),
])
def test_folder_drift_is_caught_from_the_shared_listing(
        run, buckets, proxy, workdir, change, shown):
    s3 = buckets
    make_folders(workdir, 3)
    apply(run, stack=folders_stack(["data/train", "data/val", "data/test"]))
    if change == "changed":
        s3.put_object(Bucket=S3_BUCKET, Key="data/val/f1.csv", Body=b"other")
    elif change == "added":
        s3.put_object(Bucket=S3_BUCKET, Key="data/val/extra.csv", Body=b"x")
    else:
        s3.delete_object(Bucket=S3_BUCKET, Key="data/val/f2.csv")
    proxy.clear_calls()

    code, out = plan(run)
    assert code == 2, out
    assert "  # data1 has changed outside of mlstack" in out
    assert "  # data1 will be updated in place" in out
    assert shown in out
    assert "  # data0 has changed" not in out
    assert "  # data2 has changed" not in out
    assert plan_counts(out) == (0, 1, 0)
    assert s3_ops(proxy) == ["ListObjectsV2"]
    if change == "added":
        assert "- extra.csv" in out


def test_folder_walk_stops_where_reads_are_cheaper(run, buckets, proxy,
                                                   workdir):
    # twenty of someone else's keys between the two folders: the walk
    # takes the pages the folders' own reads would (one each) and one to
    # see past the last, settles the first, and the second is listed on
    # its own
    s3 = buckets
    for i in range(20):
        s3.put_object(Bucket=S3_BUCKET, Key=f"data/m{i:02}", Body=b"x")
    make_folders(workdir, 2)
    apply(run, stack=folders_stack(["data/a", "data/z"]))
    proxy.clear_calls()

    code, out = plan(run, env={"MLSTACK_LIST_PAGE_SIZE": "4"})
    assert code == 0 and last_line(out) == NO_CHANGES, out
    lists = proxy.calls(service="s3", operation="ListObjectsV2")
    assert len(lists) == 4, lists
    assert "start-after=data%2Fa" in lists[0].target
    assert "prefix=data%2Fz%2F&" in lists[3].target + "&"


def test_folders_of_a_deleted_bucket_are_gone(run, buckets, proxy, workdir):
    make_folders(workdir, 2)
    apply(run, stack=folders_stack(["cats", "dogs"], bucket=S3_OTHER))
    for o in buckets.list_objects_v2(Bucket=S3_OTHER)["Contents"]:
        buckets.delete_object(Bucket=S3_OTHER, Key=o["Key"])
    buckets.delete_bucket(Bucket=S3_OTHER)
    proxy.clear_calls()

    code, out = plan(run)
    assert code == 2, out
    assert "  # data0 will be created" in out
    assert "  # data1 will be created" in out
    assert s3_ops(proxy) == ["ListObjectsV2"]


# -- S3 buckets ---------------------------------------------------------------

def buckets_stack(n, stack="refresh-buckets"):
    out = [f"stack: {stack}", "resources:"]
    for i in range(n):
        out.append(f"""  bucket{i}:
    type: aws_s3_bucket
    properties:
      bucket: refresh-bucket-{i}
      versioning: true
      tags: {{team: ml}}""")
    return "\n".join(out) + "\n"


def bucket_reads(proxy):
    """Bucket reads by operation: how the buckets were refreshed."""
    calls = s3_ops(proxy)
    reads = {op: calls.count(op) for op in
             ("ListBuckets", "HeadBucket", "GetBucketVersioning",
              "GetPublicAccessBlock", "GetBucketTagging")}
    reads["GetResources"] = len(proxy.calls(service="tagging",
                                            operation="GetResources"))
    return reads


def listed(n, tags=0):
    """The reads of n buckets, tags of them with their tags read alone."""
    return {"ListBuckets": 1, "GetResources": 1, "HeadBucket": 0,
            "GetBucketVersioning": n, "GetPublicAccessBlock": n,
            "GetBucketTagging": tags}


def test_unchanged_buckets_are_read_by_listing(run, proxy):
    apply(run, stack=buckets_stack(4))
    proxy.clear_calls()

    code, out = plan(run)
    assert code == 0 and last_line(out) == NO_CHANGES, out
    # ListBuckets and the tagging API for all, versioning and the public
    # access block (no list gives them) for each: two calls a bucket
    assert bucket_reads(proxy) == listed(4)
    lists = proxy.calls(service="s3", operation="ListBuckets")
    assert "bucket-region=us-east-1" in lists[0].target


def test_tags_missing_from_a_tagging_list_cut_short_are_read(run, cli, s3,
                                                             proxy):
    # a bucket imported untagged (the state records no tags), tagged by
    # hand since; four tagged buckets of others come before it in the
    # tagging API. At one a page the lists stop after one page (the stack
    # has one bucket): ListBuckets shows the bucket (names sort first),
    # the tagging API's page does not. Its silence is no proof of no
    # tags when pages were left: GetBucketTagging reads them
    for i in range(4):
        s3.create_bucket(Bucket=f"others-{i}")
        s3.put_bucket_tagging(Bucket=f"others-{i}", Tagging={
            "TagSet": [{"Key": "team", "Value": "other"}]})
    s3.create_bucket(Bucket="a-imported")
    cli.write_stack("stack: refresh-cut\nresources:\n  store:\n"
                    "    type: aws_s3_bucket\n"
                    "    properties: {bucket: a-imported}\n")
    code, _, err = run("import", "store", "a-imported")
    assert code == 0, err
    s3.put_bucket_tagging(Bucket="a-imported", Tagging={
        "TagSet": [{"Key": "by-hand", "Value": "yes"}]})
    proxy.clear_calls()

    code, out = plan(run, env={"MLSTACK_LIST_PAGE_SIZE": "1"})
    assert code == 2, out
    assert '"by-hand"' in out, out
    reads = bucket_reads(proxy)
    assert (reads["ListBuckets"], reads["GetResources"],
            reads["GetBucketTagging"], reads["HeadBucket"]) == \
        (1, 1, 1, 0), reads


def test_bucket_listing_pages_through_several_pages(run, proxy):
    apply(run, stack=buckets_stack(5))
    proxy.clear_calls()

    code, out = plan(run, env={"MLSTACK_LIST_PAGE_SIZE": "2"})
    assert code == 0 and last_line(out) == NO_CHANGES, out
    # 5 buckets, 2 a page: 3 pages of each list, nothing read alone
    reads = bucket_reads(proxy)
    assert reads["ListBuckets"] == 3 and reads["GetResources"] == 3
    assert reads["HeadBucket"] == reads["GetBucketTagging"] == 0
    lists = proxy.calls(service="s3", operation="ListBuckets")
    assert all("max-buckets=2" in c.target for c in lists)
    assert "continuation-token=" in lists[1].target


@pytest.mark.parametrize("change, shown", [
    ("versioning", "versioning"),
    ("block", "block_public_access"),
    ("tags", "tags"),
    ("untag", "tags"),
])
def test_every_bucket_attribute_drift_is_caught(run, s3, proxy, change,
                                                shown):
    apply(run, stack=buckets_stack(3))
    name = "refresh-bucket-1"
    if change == "versioning":
        s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={
            "Status": "Suspended"})
    elif change == "block":
        s3.delete_public_access_block(Bucket=name)
    elif change == "tags":
        s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": [
            {"Key": "team", "Value": "x"}]})
    else:
        s3.delete_bucket_tagging(Bucket=name)
    proxy.clear_calls()

    code, out = plan(run)
    assert code == 2, out
    assert "  # bucket1 has changed outside of mlstack" in out
    assert f"{shown}" in out.split("# bucket1 has changed")[1]
    assert "  # bucket0" not in out and "  # bucket2" not in out
    assert plan_counts(out) == (0, 1, 0)
    # a tag drift is confirmed by GetBucketTagging: the tagging API may
    # lag behind an apply
    tags = 1 if change in ("tags", "untag") else 0
    assert bucket_reads(proxy) == listed(3, tags)


def test_buckets_the_tagging_api_lags_behind_have_their_tags_read(run,
                                                                  proxy):
    # the tagging API shows no bucket yet (it lags behind an apply): each
    # bucket's tags are read with GetBucketTagging, nothing else alone
    apply(run, stack=buckets_stack(3))

    def nothing_tagged(request, response):
        if request.operation == "GetResources":
            return Response(200, [("Content-Type",
                                   "application/x-amz-json-1.1")],
                            b'{"ResourceTagMappingList": []}')
        return None
    proxy.add_response_hook(nothing_tagged)
    proxy.clear_calls()

    code, out = plan(run)
    assert code == 0 and last_line(out) == NO_CHANGES, out
    assert bucket_reads(proxy) == listed(3, tags=3)


def test_bucket_deleted_behind_its_back_is_planned_again(run, s3, proxy):
    apply(run, stack=buckets_stack(3))
    s3.delete_bucket(Bucket="refresh-bucket-0")
    proxy.clear_calls()

    code, out = plan(run)
    assert code == 2, out
    assert "  # bucket0 will be created" in out
    assert plan_counts(out) == (1, 0, 0)
    # absence from the list is confirmed by a HeadBucket of its own
    reads = bucket_reads(proxy)
    assert reads["HeadBucket"] == 1 and reads["ListBuckets"] == 1


def test_bucket_deleted_between_list_and_read_is_gone(run, s3, proxy):
    # one call at a time: ListBuckets is answered (listing bucket0), then
    # bucket0 is deleted; its versioning read finds it gone, so it is read
    # alone, and HeadBucket's 404 makes it gone
    apply(run, stack=buckets_stack(2))

    def delete_after_list(request, response):
        if request.operation == "ListBuckets" and "refresh-bucket-0" in [
                b["Name"] for b in s3.list_buckets()["Buckets"]]:
            s3.delete_bucket(Bucket="refresh-bucket-0")
        return None
    proxy.add_response_hook(delete_after_list)
    proxy.clear_calls()

    code, out = plan(run, "--parallelism", "1")
    assert code == 2, out
    assert "  # bucket0 will be created" in out
    assert "  # bucket1" not in out
    assert plan_counts(out) == (1, 0, 0)
    assert bucket_reads(proxy)["HeadBucket"] == 1


@pytest.mark.parametrize("service, operation, code", [
    ("s3", "ListBuckets", "AccessDenied"),
    ("tagging", "GetResources", "AccessDeniedException"),
])
def test_bucket_list_refused_reads_each_alone(run, proxy, service,
                                             operation, code):
    # credentials without s3:ListAllMyBuckets (or tag:GetResources): the
    # bulk read settles nothing, each bucket is read alone, the plan works
    apply(run, stack=buckets_stack(3))
    rule = proxy.inject(Error(403, code, "not allowed"), service=service,
                        operation=operation)
    proxy.clear_calls()

    code_, out = plan(run, "-v")
    assert code_ == 0 and last_line(out) == NO_CHANGES, out
    assert rule.injected == 1
    reads = bucket_reads(proxy)
    assert reads["HeadBucket"] == reads["GetBucketTagging"] == 3


def test_role_list_refused_reads_each_alone(run, proxy):
    apply(run, stack=roles_stack(2))
    rule = proxy.inject(Error(403, "AccessDenied", "not allowed"),
                        service="iam",
                        operation="GetAccountAuthorizationDetails")
    proxy.clear_calls()

    code, out, err = run("plan", "--detailed-exitcode", "-v")
    assert code == 0 and last_line(out) == NO_CHANGES, out + err
    assert rule.injected == 1
    assert "aws_iam_role: the list was refused" in err
    assert ops(proxy, "iam").count("GetRole") == 2


def test_lists_of_a_large_account_stop_at_the_stack_size(run, iam, cli,
                                                         proxy):
    # a stack of one role in an account of eight: at two a page, each
    # list would take four pages; it takes as many as the stack has
    # roles (one), and a role it did not reach is read alone
    apply(run, stack=roles_stack(1))
    for i in range(7):
        iam.create_role(RoleName=f"not-the-stack-{i}",
                        AssumeRolePolicyDocument=json.dumps(
                            SAGEMAKER_TRUST))
    cli.env["MLSTACK_LIST_PAGE_SIZE"] = "2"
    proxy.clear_calls()

    code, out = plan(run)
    assert code == 0 and last_line(out) == NO_CHANGES, out
    calls = ops(proxy, "iam")
    assert calls.count("ListRoles") == 1, calls
    assert calls.count("GetAccountAuthorizationDetails") == 1, calls
    # at most the role's own read besides: never more than reading alone
    assert len(calls) <= 2 + 4, calls
