"""The EC2 training host's pieces: a key pair whose private half is made
here and never leaves this machine's file (not AWS, not the state, not a
plan, not a log)."""

import hashlib
import json
import os
import stat
import subprocess

from cryptography.hazmat.primitives import serialization

from helpers import some_ami

STACK = "host"


def fingerprint(public_line):
    """EC2's fingerprint of an imported Ed25519 key, as moto computes it:
    the SHA-256 of the DER public key, in colon-separated hex."""
    key = serialization.load_ssh_public_key(public_line.encode())
    der = key.public_bytes(serialization.Encoding.DER,
                           serialization.PublicFormat.SubjectPublicKeyInfo)
    return ":".join(f"{b:02x}" for b in hashlib.sha256(der).digest())


def key_stack(props):
    return f"""
stack: {STACK}
resources:
  key:
    type: aws_key_pair
    properties: {{key_name: dogs-host, {props}}}
"""


def test_generated_key_never_leaves_its_file(run, cli, emulator):
    ec2 = emulator.client("ec2")
    cli.write_stack(key_stack("private_key_file: keys/dogs-host"))
    (cli.workdir / "keys").mkdir()
    _, plan_out, plan_err = run("plan", "-out", "plan.json", check=True)
    _, out, err = run("apply", "plan.json", check=True)
    path = cli.workdir / "keys/dogs-host"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    private = path.read_text()
    assert private.startswith("-----BEGIN OPENSSH PRIVATE KEY-----")
    public = subprocess.run(["ssh-keygen", "-y", "-f", str(path)],
                            capture_output=True, text=True,
                            check=True).stdout.strip()
    pair = ec2.describe_key_pairs(KeyNames=["dogs-host"])["KeyPairs"][0]
    assert pair["KeyFingerprint"] == fingerprint(public)
    code, out2, _ = run("plan", "-detailed-exitcode")
    assert code == 0, out2

    # the private key's text is in no state file, git object, plan or log
    body = [ln for ln in private.splitlines() if not ln.startswith("-----")]
    seen = [plan_out, plan_err, out, err, out2,
            (cli.workdir / "plan.json").read_text()]
    for dirpath, _, names in os.walk(cli.state_dir):
        for n in names:
            with open(os.path.join(dirpath, n), "rb") as f:
                seen.append(f.read().decode("latin-1"))
    seen.append(subprocess.run(
        ["git", "-C", str(cli.state_dir), "log", "-p", "--all"],
        capture_output=True, text=True, check=True).stdout)
    for text in seen:
        for line in body:
            assert line not in text

    # destroy: the pair goes, the private key file is the user's
    run("destroy", "-auto-approve", check=True)
    assert ec2.describe_key_pairs()["KeyPairs"] == []
    assert path.exists()


def test_given_public_key_and_a_file_never_overwritten(run, cli, emulator):
    ec2 = emulator.client("ec2")
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C",
                    "me@laptop", "-f", str(cli.workdir / "mine")],
                   check=True)
    cli.write_stack(key_stack("public_key_file: mine.pub"))
    run("apply", "-auto-approve", check=True)
    public = (cli.workdir / "mine.pub").read_text()
    pair = ec2.describe_key_pairs(KeyNames=["dogs-host"])["KeyPairs"][0]
    assert pair["KeyFingerprint"] == fingerprint(public)
    code, out, _ = run("plan", "-detailed-exitcode")
    assert code == 0, out
    # a private key file that is not ours to write: used, not replaced
    before = (cli.workdir / "mine").read_text()
    cli.write_stack(key_stack("private_key_file: mine"))
    code, out, _ = run("plan", "-detailed-exitcode")
    assert code == 0, out     # the same public half: nothing to do
    assert (cli.workdir / "mine").read_text() == before


def sg_stack(ingress):
    return f"""
stack: {STACK}
variables:
  ssh_from: {{default: 203.0.113.0/24}}
resources:
  ssh:
    type: aws_security_group
    properties:
      name: dogs-host-ssh
      description: SSH to the training host
      ingress: {ingress}
"""


def rules(ec2, gid):
    g = ec2.describe_security_groups(GroupIds=[gid])["SecurityGroups"][0]
    out = set()
    for p in g["IpPermissions"]:
        for r in p.get("IpRanges", []):
            out.add((p["IpProtocol"], p.get("FromPort"), p.get("ToPort"),
                     r["CidrIp"]))
    return out


def test_security_group_rules_change_in_place(run, cli, emulator):
    ec2 = emulator.client("ec2")
    run("apply", "-auto-approve",
        stack=sg_stack("[{protocol: tcp, from_port: 22, to_port: 22, "
                       "cidr_blocks: ['${var.ssh_from}']}]"), check=True)
    gid = json.loads((cli.resources_dir(STACK) / "ssh.json")
                     .read_text())["id"]
    assert rules(ec2, gid) == {("tcp", 22, 22, "203.0.113.0/24")}
    code, out, _ = run("plan", "-detailed-exitcode")
    assert code == 0, out
    # a second block and a port: in place, the same group
    run("apply", "-auto-approve",
        stack=sg_stack("[{protocol: tcp, from_port: 22, to_port: 22, "
                       "cidr_blocks: ['${var.ssh_from}', 198.51.100.7/32]}, "
                       "{protocol: tcp, from_port: 8888, to_port: 8888, "
                       "cidr_blocks: [198.51.100.7/32]}]"), check=True)
    assert json.loads((cli.resources_dir(STACK) / "ssh.json")
                      .read_text())["id"] == gid
    assert rules(ec2, gid) == {("tcp", 22, 22, "203.0.113.0/24"),
                               ("tcp", 22, 22, "198.51.100.7/32"),
                               ("tcp", 8888, 8888, "198.51.100.7/32")}
    code, out, _ = run("plan", "-detailed-exitcode")
    assert code == 0, out
    # one taken away: revoked, nothing else touched
    run("apply", "-auto-approve",
        stack=sg_stack("[{protocol: tcp, from_port: 22, to_port: 22, "
                       "cidr_blocks: ['${var.ssh_from}']}]"), check=True)
    assert rules(ec2, gid) == {("tcp", 22, 22, "203.0.113.0/24")}
    run("destroy", "-auto-approve", check=True)
    assert [g for g in ec2.describe_security_groups()["SecurityGroups"]
            if g["GroupName"] == "dogs-host-ssh"] == []


def host_stack(ami, instance_type="g5.xlarge", state="running"):
    return f"""
stack: {STACK}
resources:
  key:
    type: aws_key_pair
    properties: {{key_name: dogs-host, private_key_file: dogs-host.pem}}
  ssh:
    type: aws_security_group
    properties:
      name: dogs-host-ssh
      ingress: [{{protocol: tcp, from_port: 22, to_port: 22, cidr_blocks: [203.0.113.0/24]}}]
  host:
    type: aws_instance
    properties:
      ami: {ami}
      instance_type: {instance_type}
      key_name: ${{key.key_name}}
      vpc_security_group_ids: ["${{ssh.id}}"]
      root_block_device: {{volume_size: 100}}
      user_data: |
        #!/bin/bash
        aws s3 sync s3://dogbreeds-data/dogImages /home/ubuntu/dogImages
      state: {state}
      ssh_private_key_file: dogs-host.pem
"""


def live_instances(ec2):
    return [i for r in ec2.describe_instances()["Reservations"]
            for i in r["Instances"]
            if i["State"]["Name"] != "terminated"]


def test_host_runs_stops_and_changes_type(run, cli, emulator, proxy):
    cli.env["MLSTACK_WAIT_DELAY"] = "0.05"
    ec2 = emulator.client("ec2")
    ami = some_ami(ec2)
    run("apply", "-auto-approve", stack=host_stack(ami), check=True)
    [inst] = live_instances(ec2)
    assert inst["ImageId"] == ami and inst["State"]["Name"] == "running"
    assert inst["KeyName"] == "dogs-host"
    assert inst["InstanceType"] == "g5.xlarge"
    state = json.loads((cli.resources_dir(STACK) / "host.json").read_text())
    assert state["attributes"]["ssh_command"].startswith(
        "ssh -i dogs-host.pem ubuntu@")
    code, out, _ = run("plan", "-detailed-exitcode")
    assert code == 0, out

    run("apply", "-auto-approve", stack=host_stack(ami, state="stopped"),
        check=True)
    assert live_instances(ec2)[0]["State"]["Name"] == "stopped"
    run("apply", "-auto-approve", stack=host_stack(ami), check=True)
    assert live_instances(ec2)[0]["State"]["Name"] == "running"

    proxy.clear_calls()
    run("apply", "-auto-approve", stack=host_stack(ami, "g5.2xlarge"),
        check=True)
    [inst] = live_instances(ec2)
    assert inst["InstanceType"] == "g5.2xlarge"
    assert inst["State"]["Name"] == "running"
    ops = [c.operation for c in proxy.calls()
           if c.operation in ("StopInstances", "ModifyInstanceAttribute",
                              "StartInstances", "RunInstances",
                              "TerminateInstances")]
    assert ops == ["StopInstances", "ModifyInstanceAttribute",
                   "StartInstances"], ops
    code, out, _ = run("plan", "-detailed-exitcode")
    assert code == 0, out
    run("destroy", "-auto-approve", check=True)
    assert live_instances(ec2) == []
    assert ec2.describe_key_pairs()["KeyPairs"] == []


def hardened_stack(ami, tokens="required", encrypted="true"):
    return f"""
stack: {STACK}
resources:
  host:
    type: aws_instance
    properties:
      ami: {ami}
      instance_type: t3.micro
      root_block_device: {{volume_size: 20, encrypted: {encrypted}}}
      metadata_options: {{http_tokens: {tokens}}}
"""


def root_volume(ec2, inst):
    [mapping] = inst["BlockDeviceMappings"]
    vid = mapping["Ebs"]["VolumeId"]
    return ec2.describe_volumes(VolumeIds=[vid])["Volumes"][0]


def test_imdsv2_and_an_encrypted_root_volume(run, cli, emulator, proxy):
    """metadata_options and root_block_device.encrypted reach EC2, read
    back the same (no change planned), and http_tokens changes in place
    (ModifyInstanceMetadataOptions), where encrypted replaces."""
    cli.env["MLSTACK_WAIT_DELAY"] = "0.05"
    ec2 = emulator.client("ec2")
    ami = some_ami(ec2)
    run("apply", "-auto-approve", stack=hardened_stack(ami), check=True)
    [inst] = live_instances(ec2)
    assert inst["MetadataOptions"]["HttpTokens"] == "required"
    assert inst["MetadataOptions"]["HttpEndpoint"] == "enabled"
    assert root_volume(ec2, inst)["Encrypted"] is True
    state = json.loads((cli.resources_dir(STACK) / "host.json").read_text())
    assert state["attributes"]["metadata_options"] == {
        "http_tokens": "required", "http_endpoint": "enabled"}
    code, out, _ = run("plan", "-detailed-exitcode")
    assert code == 0, out

    proxy.clear_calls()
    code, out, _ = run("plan", "-detailed-exitcode",
                       stack=hardened_stack(ami, tokens="optional"))
    assert code == 2 and "will be updated in place" in out, out
    run("apply", "-auto-approve",
        stack=hardened_stack(ami, tokens="optional"), check=True)
    [again] = live_instances(ec2)
    assert again["InstanceId"] == inst["InstanceId"]
    assert again["MetadataOptions"]["HttpTokens"] == "optional"
    assert "ModifyInstanceMetadataOptions" in [
        c.operation for c in proxy.calls()]

    code, out, _ = run("plan", "-detailed-exitcode",
                       stack=hardened_stack(ami, tokens="optional",
                                            encrypted="false"))
    assert code == 2 and "must be replaced" in out, out
    code, _, err = run("validate", stack=hardened_stack(ami, tokens="maybe"))
    assert code == 1
    assert ('mlstack.yaml:9:39: resource "host": '
            'metadata_options.http_tokens: "required" or "optional", '
            'not "maybe"') in err, err
    run("destroy", "-auto-approve",
        stack=hardened_stack(ami, tokens="optional"), check=True)
    assert live_instances(ec2) == []


def test_lost_run_instances_answer_starts_one_instance(run, cli, emulator,
                                                       proxy):
    cli.env["MLSTACK_WAIT_DELAY"] = "0.05"
    ec2 = emulator.client("ec2")
    rule = proxy.inject("reset-after", operation="RunInstances", calls=[1])
    run("apply", "-auto-approve", stack=host_stack(some_ami(ec2)),
        check=True)
    assert rule.injected == 1
    assert len(live_instances(ec2)) == 1
    assert [c.operation for c in proxy.calls()].count("RunInstances") == 2


def test_public_key_through_file_function(run, cli, emulator):
    ec2 = emulator.client("ec2")
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f",
                    str(cli.workdir / "id_host")], check=True)
    cli.write_stack(key_stack("public_key: '${file(\"id_host.pub\")}'"))
    run("apply", "-auto-approve", check=True)
    public = (cli.workdir / "id_host.pub").read_text()
    pair = ec2.describe_key_pairs(KeyNames=["dogs-host"])["KeyPairs"][0]
    assert pair["KeyFingerprint"] == fingerprint(public)
    code, out, _ = run("plan", "-detailed-exitcode")
    assert code == 0, out
    cli.write_stack(key_stack("public_key: '${file(\"nope.pub\")}'"))
    code, _, err = run("plan")
    assert code == 1 and 'nope.pub": no such file or directory' in err, err
    assert len(err.strip().splitlines()) == 1
    # a directory, and a file past file()'s 1 MiB: each said in one line
    (cli.workdir / "keys").mkdir()
    (cli.workdir / "big.pub").write_bytes(b"x" * (1024 * 1024 + 1))
    for name, words in (("keys", 'keys": is a directory'),
                        ("big.pub", 'big.pub": over 1048576 bytes')):
        cli.write_stack(key_stack(f"public_key: '${{file(\"{name}\")}}'"))
        code, _, err = run("plan")
        assert code == 1 and words in err, err
        assert len(err.strip().splitlines()) == 1


def test_killed_while_the_host_starts_then_one_instance(run, cli, emulator,
                                                        proxy):
    import signal

    from helpers import wait_for

    cli.env["MLSTACK_WAIT_DELAY"] = "0.05"
    ec2 = emulator.client("ec2")
    cli.write_stack(host_stack(some_ami(ec2)))
    proxy.inject("latency", operation="DescribeInstances", seconds=0.2)
    proc = cli.popen("apply", "-auto-approve")
    wait_for(lambda: any(c.operation == "RunInstances"
                         for c in proxy.calls()),
             timeout=60, what="RunInstances sent")
    os.killpg(proc.pid, signal.SIGKILL)
    cli.wait(proc)
    proxy.clear_faults()
    run("force-unlock", "-force", check=0)
    run("apply", "-auto-approve", check=True)
    assert len(live_instances(ec2)) == 1
    code, out, _ = run("plan", "-detailed-exitcode")
    assert code == 0, out


def register_dlamis(emulator, ec2):
    """Three Deep Learning images of the account, a day apart."""
    from moto.ec2.models import ec2_backends

    ids = []
    for day in ("20261101", "20261115", "20261108"):
        ids.append(ec2.register_image(
            Name=f"Deep Learning OSS Nvidia Driver AMI GPU PyTorch 2.5 "
                 f"(Ubuntu 22.04) {day}",
            Architecture="x86_64", RootDeviceName="/dev/sda1")["ImageId"])
    import datetime

    backend = ec2_backends["123456789012"]["us-east-1"]
    for ami, day in zip(ids, (1, 15, 8)):
        backend.amis[ami].creation_date = datetime.datetime(
            2026, 11, day, tzinfo=datetime.timezone.utc)
    return ids


def lookup_stack(extra="most_recent: true"):
    return f"""
stack: {STACK}
data:
  dlami:
    type: aws_ami
    properties:
      owners: [self]
      name: "Deep Learning OSS Nvidia Driver AMI GPU PyTorch*"
      {extra}
  vpc:
    type: aws_vpc
    properties: {{default: true}}
  subnets:
    type: aws_subnets
    properties: {{vpc_id: "${{data.vpc.id}}"}}
resources:
  host:
    type: aws_instance
    properties:
      ami: ${{data.dlami.id}}
      instance_type: g5.xlarge
      subnet_id: ${{data.subnets.ids[0]}}
outputs:
  ami: ${{data.dlami.id}}
  ami_name: ${{data.dlami.image_name}}
"""


def test_lookups_pick_the_newest_image(run, cli, emulator):
    cli.env["MLSTACK_WAIT_DELAY"] = "0.05"
    ec2 = emulator.client("ec2")
    ids = register_dlamis(emulator, ec2)
    _, out, _ = run("plan", stack=lookup_stack(), check=True)
    assert f"<= data.dlami (id = {ids[1]})" in out, out
    run("apply", "-auto-approve", check=True)
    assert [i["ImageId"] for i in live_instances(ec2)] == [ids[1]]
    _, out, _ = run("output", "ami_name", check=True)
    assert "20261115" in out
    code, out, _ = run("plan", "-detailed-exitcode")
    assert code == 0, out
    # several where one was meant, and none: located errors
    cli.write_stack(lookup_stack("most_recent: false"))
    code, _, err = run("plan")
    assert code == 1 and "3 images match" in err, err
    assert "mlstack.yaml:3:3: lookup \"dlami\" (aws_ami)" in err
    cli.write_stack(lookup_stack().replace("PyTorch*", "TensorFlow*"))
    code, _, err = run("plan")
    assert code == 1 and "no image matches" in err, err
    run("destroy", "-auto-approve", check=True)


def test_data_is_a_reserved_name(run, cli):
    cli.write_stack("""
stack: s
resources:
  data:
    type: aws_s3_bucket
    properties: {bucket: b}
""")
    code, _, err = run("validate")
    assert code == 1
    assert ('the name "data" is reserved for lookups' in err and
            "rename the resource" in err), err
    assert "mlstack.yaml:3:" in err


def test_lookup_of_a_resource_not_yet_made_is_read_at_apply(run, cli,
                                                            emulator):
    cli.env["MLSTACK_WAIT_DELAY"] = "0.05"
    ec2 = emulator.client("ec2")
    image = ec2.register_image(Name="dogs-us-east-1-golden",
                               Architecture="x86_64",
                               RootDeviceName="/dev/sda1")["ImageId"]
    cli.write_stack(f"""
stack: {STACK}
data:
  golden:
    type: aws_ami
    properties: {{owners: [self], name: "dogs-${{bucket.region}}-golden"}}
resources:
  bucket:
    type: aws_s3_bucket
    properties: {{bucket: dogs-images, force_destroy: true}}
  host:
    type: aws_instance
    properties: {{ami: "${{data.golden.id}}", instance_type: t3.micro}}
""")
    _, out, _ = run("plan", check=True)
    assert "<= data.golden" not in out       # not known yet
    assert "(known after apply)" in out
    run("apply", "-auto-approve", check=True)
    assert [i["ImageId"] for i in live_instances(ec2)] == [image]
    code, out, _ = run("plan", "-detailed-exitcode")
    assert code == 0, out
    run("destroy", "-auto-approve", check=True)
