"""Refresh by listing of the EC2 host's pieces (docs/refresh.md): instances,
security groups and key pairs are each described a page of many at a
time (filtered by their ids or names), and every change made behind
mlstack's back is still shown; one the list does not show is read alone."""

import json

import pytest

from awsproxy import Error

from helpers import (NO_CHANGES, apply_ok, call_counts, last_line, plan_ok,
                     some_ami)

STACK = "refresh-ec2"
KINDS = ("DescribeInstances", "DescribeSecurityGroups", "DescribeKeyPairs")


def ec2_stack(ami, n):
    out = [f"stack: {STACK}", "resources:"]
    for i in range(n):
        out.append(f"""  key{i}:
    type: aws_key_pair
    properties:
      key_name: refresh-key-{i}
      private_key_file: key{i}.pem
      tags: {{n: "{i}"}}
  sg{i}:
    type: aws_security_group
    properties:
      name: refresh-sg-{i}
      description: group {i}
      ingress: [{{protocol: tcp, from_port: 22, to_port: 22, cidr_blocks: [203.0.113.0/24]}}]
      tags: {{n: "{i}"}}
  host{i}:
    type: aws_instance
    properties:
      ami: {ami}
      instance_type: t3.micro
      key_name: ${{key{i}.key_name}}
      vpc_security_group_ids: ["${{sg{i}.id}}"]
      tags: {{n: "{i}"}}""")
    return "\n".join(out) + "\n"


@pytest.fixture
def ec2(emulator, cli):
    cli.env["MLSTACK_WAIT_DELAY"] = "0.05"
    return emulator.client("ec2")


def apply(run, ec2, n):
    apply_ok(run, stack=ec2_stack(some_ami(ec2), n))


def plan(run, *args):
    return plan_ok(run, "-no-color", *args)


def ec2_calls(proxy):
    return [c for c in proxy.calls(service="ec2")]


def stored(cli, name):
    path = cli.resources_dir(STACK) / f"{name}.json"
    return json.loads(path.read_text())["attributes"]


def test_unchanged_host_pieces_are_read_by_listing(run, cli, ec2, proxy):
    apply(run, ec2, 4)
    proxy.clear_calls()

    code, out = plan(run)
    assert code == 0 and last_line(out) == NO_CHANGES, out
    assert call_counts(proxy, "ec2") == {k: 1 for k in KINDS}
    # each call asked for the stack's objects by a filter, not one by one
    by_op = {c.operation: c.request.params() for c in ec2_calls(proxy)}
    assert by_op["DescribeInstances"]["Filter.1.Name"] == "instance-id"
    assert sorted(v for k, v in by_op["DescribeInstances"].items()
                  if k.startswith("Filter.1.Value.")) == sorted(
        stored(cli, f"host{i}")["id"] for i in range(4))
    assert by_op["DescribeSecurityGroups"]["Filter.1.Name"] == "group-id"
    assert by_op["DescribeKeyPairs"]["Filter.1.Name"] == "key-name"
    assert by_op["DescribeKeyPairs"]["IncludePublicKey"] == "true"


def test_ec2_lists_page_through_several_pages(run, cli, ec2, proxy):
    apply(run, ec2, 12)
    proxy.clear_calls()
    cli.env["MLSTACK_LIST_PAGE_SIZE"] = "5"   # EC2's least MaxResults

    code, out = plan(run)
    assert code == 0 and last_line(out) == NO_CHANGES, out
    # 12 of each: pages of 5, 5 and 2; key pairs have no pages
    assert call_counts(proxy, "ec2") == {"DescribeInstances": 3,
                                         "DescribeSecurityGroups": 3,
                                         "DescribeKeyPairs": 1}
    tokens = [c.request.params().get("NextToken")
              for c in ec2_calls(proxy)
              if c.operation == "DescribeSecurityGroups"]
    assert tokens[0] is None and all(tokens[1:]), tokens


def instance_of(ec2, cli, i):
    return stored(cli, f"host{i}")["id"]


def settle(ec2, iid, state):
    """Until iid is in state (the emulator passes through stopping,
    shutting-down for a few describes)."""
    for _ in range(20):
        if ec2.describe_instances(InstanceIds=[iid])["Reservations"][0][
                "Instances"][0]["State"]["Name"] == state:
            return
    raise AssertionError(f"{iid} never {state}")


def stop(ec2, iid):
    ec2.stop_instances(InstanceIds=[iid])
    settle(ec2, iid, "stopped")


def change_type(ec2, iid):
    stop(ec2, iid)
    ec2.modify_instance_attribute(InstanceId=iid,
                                  InstanceType={"Value": "t3.large"})


def other_group(ec2, iid):
    g = ec2.create_security_group(GroupName="by-hand", Description="x")
    ec2.modify_instance_attribute(InstanceId=iid, Groups=[g["GroupId"]])


def group_of(cli):
    return stored(cli, "sg1")["id"]


DRIFT = {
    # what is changed behind mlstack's back -> a line the plan must show
    "instance stopped": (
        lambda ec2, cli: stop(ec2, instance_of(ec2, cli, 1)),
        '~ state                  = "stopped" -> "running"'),
    "instance type": (
        lambda ec2, cli: change_type(ec2, instance_of(ec2, cli, 1)),
        '~ instance_type          = "t3.large" -> "t3.micro"'),
    "instance groups": (
        lambda ec2, cli: other_group(ec2, instance_of(ec2, cli, 1)),
        "~ vpc_security_group_ids = ["),
    "instance tag": (
        lambda ec2, cli: ec2.create_tags(
            Resources=[instance_of(ec2, cli, 1)],
            Tags=[{"Key": "n", "Value": "changed"}]),
        '~ "n"                = "changed" -> "1"'),
    "group rule added": (
        lambda ec2, cli: ec2.authorize_security_group_ingress(
            GroupId=group_of(cli), IpProtocol="tcp", FromPort=80,
            ToPort=80, CidrIp="0.0.0.0/0"),
        "- {"),
    "group rule revoked": (
        lambda ec2, cli: ec2.revoke_security_group_ingress(
            GroupId=group_of(cli), IpProtocol="tcp", FromPort=22,
            ToPort=22, CidrIp="203.0.113.0/24"),
        "+ {"),
    "group tag removed": (
        lambda ec2, cli: ec2.delete_tags(Resources=[group_of(cli)],
                                         Tags=[{"Key": "n"}]),
        '+ "n"                = "1"'),
    "key tag": (
        lambda ec2, cli: ec2.create_tags(
            Resources=[stored(cli, "key1")["key_pair_id"]],
            Tags=[{"Key": "n", "Value": "changed"}]),
        '~ "n"                = "changed" -> "1"'),
}


@pytest.mark.parametrize("change", sorted(DRIFT))
def test_every_ec2_drift_is_caught(run, cli, ec2, proxy, change):
    apply(run, ec2, 3)
    how, shown = DRIFT[change]
    how(ec2, cli)
    proxy.clear_calls()

    code, out = plan(run)
    assert code == 2, out
    assert "Plan: 0 to add, 1 to change, 0 to destroy." in out, out
    assert shown in out, out
    # still one list of each, no read alone
    assert call_counts(proxy, "ec2") == {k: 1 for k in KINDS}


def test_ec2_objects_deleted_behind_its_back_are_planned_again(
        run, cli, ec2, proxy):
    apply(run, ec2, 3)
    ec2.terminate_instances(InstanceIds=[instance_of(ec2, cli, 0)])
    settle(ec2, instance_of(ec2, cli, 0), "terminated")
    ec2.delete_security_group(GroupId=stored(cli, "sg1")["id"])
    ec2.delete_key_pair(KeyName="refresh-key-2")
    proxy.clear_calls()

    code, out = plan(run)
    assert code == 2, out
    # the terminated instance is listed (as gone); the group and the key
    # pair are not listed, and their reads alone find them gone
    assert "# host0 will be created" in out, out
    assert "# sg1 will be created" in out, out
    assert "# key2 will be created" in out, out
    c = call_counts(proxy, "ec2")
    assert c == {"DescribeInstances": 1, "DescribeSecurityGroups": 2,
                 "DescribeKeyPairs": 2}, c
    alone = [c.request.params() for c in ec2_calls(proxy)
             if "Filter.1.Name" not in c.request.params()]
    assert sorted(p.get("GroupId.1") or p.get("KeyName.1")
                  for p in alone) == sorted(
        [stored(cli, "sg1")["id"], "refresh-key-2"])

    # apply puts them back; a plan after it has nothing to do
    code, _, err = run("apply", "-auto-approve")
    assert code == 0, err
    code, out = plan(run)
    assert code == 0 and last_line(out) == NO_CHANGES, out


def test_ec2_list_refused_reads_each_alone(run, cli, ec2, proxy):
    apply(run, ec2, 2)
    rule = proxy.inject(Error(403, "UnauthorizedOperation", "not allowed"),
                        operation=KINDS,
                        match=lambda r: r.params().get("Filter.1.Name") in
                        ("instance-id", "group-id", "key-name"))
    proxy.clear_calls()

    code, out, err = run("plan", "-detailed-exitcode", "-v")
    assert code == 0 and last_line(out) == NO_CHANGES, err
    assert rule.injected == 3
    for t in ("aws_instance", "aws_security_group", "aws_key_pair"):
        assert f"{t}: the list was refused" in err, err
    # the refused list of each, then each object alone
    assert call_counts(proxy, "ec2") == {k: 3 for k in KINDS}
