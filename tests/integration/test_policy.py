"""aws_iam_policy: a customer-managed policy whose document changes by
new default versions, the oldest pruned at IAM's limit of five, attached
to a role by its ARN."""

import json

STACK = "pol"


def stack(actions, attach=True):
    doc = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": actions, "Resource": "*"}]})
    role = """
  role:
    type: aws_iam_role
    properties:
      name: pol-role
      assume_role_policy: {Version: "2012-10-17", Statement: [{Effect: Allow, Principal: {Service: lambda.amazonaws.com}, Action: "sts:AssumeRole"}]}
      managed_policy_arns: ["${invoke.arn}"]
""" if attach else ""
    return f"""
stack: {STACK}
resources:
  invoke:
    type: aws_iam_policy
    properties:
      name: pol-invoke
      description: invoke the endpoint
      policy: {doc}
{role}"""


def test_versions_pruned_and_attached_by_arn(run, cli, iam):
    run("apply", "-auto-approve", stack=stack(["sagemaker:InvokeEndpoint"]),
        check=True)
    arn = iam.list_policies(Scope="Local")["Policies"][0]["Arn"]
    attached = iam.list_attached_role_policies(RoleName="pol-role")
    assert [p["PolicyArn"] for p in attached["AttachedPolicies"]] == [arn]
    for i in range(6):
        actions = ["sagemaker:InvokeEndpoint", f"logs:Action{i}"]
        run("apply", "-auto-approve", stack=stack(actions), check=True)
        versions = iam.list_policy_versions(PolicyArn=arn)["Versions"]
        assert len(versions) <= 5
        default = [v for v in versions if v["IsDefaultVersion"]][0]
        got = iam.get_policy_version(PolicyArn=arn,
                                     VersionId=default["VersionId"])
        assert got["PolicyVersion"]["Document"]["Statement"][0][
            "Action"] == actions
    code, out, _ = run("plan", "-detailed-exitcode")
    assert code == 0, out
    # the role goes first, then the policy, all versions with it
    code, out, err = run("destroy", "-auto-approve")
    assert code == 0, out + err
    assert iam.list_policies(Scope="Local")["Policies"] == []
