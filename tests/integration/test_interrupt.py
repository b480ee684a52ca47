"""Ctrl-C and SIGTERM during apply and destroy, as Terraform handles them:
the first stops new changes, lets the ones in flight finish (abandoning
their waits), commits the state and releases the lock; a second stops at
once, and the journal makes the next run safe."""

import os
import pty
import select
import signal
import subprocess
import time

import pytest

import moto_sagemaker
from helpers import (NO_CHANGES, SAGEMAKER_FULL_ACCESS, SAGEMAKER_TRUST_YAML,
                     bucket_names, last_line, state_list, wait_for)

STACK = "intr"
N = 6


def chain(n=N):
    """n buckets, each depending on the one before: one at a time."""
    lines = [f"stack: {STACK}", "resources:"]
    for i in range(1, n + 1):
        lines += [f"  b{i}:", "    type: aws_s3_bucket",
                  f"    properties: {{bucket: intr-b{i}}}"]
        if i > 1:
            lines += [f"    depends_on: [b{i - 1}]"]
    return "\n".join(lines) + "\n"


def git(cli, *args):
    return subprocess.run(["git", "-C", str(cli.state_dir), *args],
                          capture_output=True, text=True, check=True).stdout


def stored(cli):
    return {p.stem for p in cli.resources_dir(STACK).glob("*.json")}


def assert_settled(cli, run, s3):
    """No lock, nothing uncommitted, AWS and the state agree."""
    assert not cli.lock_path(STACK).exists()
    assert git(cli, "status", "--porcelain") == ""
    assert {f"intr-{n}" for n in stored(cli)} == bucket_names(s3)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM],
                         ids=["SIGINT", "SIGTERM"])
def test_first_signal_stops_cleanly(cli, run, proxy, s3, sig):
    cli.write_stack(chain())
    proxy.latency = 0.2
    proc = cli.popen("apply", "-auto-approve")
    wait_for(lambda: len(stored(cli)) >= 2 or proc.poll() is not None,
             timeout=60, what="two buckets made")
    proc.send_signal(sig)
    code, out, err = cli.wait(proc)
    proxy.latency = 0
    assert code == 1, err
    assert "Interrupt received" in err
    line = last_line(err)
    assert line.startswith("Error: interrupted: "), line
    made = len(stored(cli))
    assert 2 <= made < N
    assert f"{N - made} change{'s' if N - made > 1 else ''} not started" \
        in line
    assert "run the command again to finish" in line
    assert_settled(cli, run, s3)
    assert git(cli, "log", "-1", "--format=%s").strip() == \
        f"apply {STACK}: +{made} ~0 -0 (interrupted)"

    # the next run finishes the job
    code, out, err = run("apply", "-auto-approve")
    assert code == 0, err
    assert f"{N - made} added" in out
    assert bucket_names(s3) == {f"intr-b{i}" for i in range(1, N + 1)}
    assert last_line(run("plan")[1]) == NO_CHANGES


def test_interrupted_destroy(cli, run, proxy, s3):
    run("apply", "-auto-approve", stack=chain(), check=True)
    proxy.latency = 0.2
    proc = cli.popen("destroy", "-auto-approve")
    wait_for(lambda: len(stored(cli)) <= N - 2 or proc.poll() is not None,
             timeout=60, what="two buckets deleted")
    proc.send_signal(signal.SIGINT)
    code, _, err = cli.wait(proc)
    proxy.latency = 0
    assert code == 1, err
    assert last_line(err).startswith("Error: interrupted: ")
    assert_settled(cli, run, s3)
    assert 0 < len(stored(cli)) <= N - 2
    run("destroy", "-auto-approve", check=True)
    assert bucket_names(s3) == set()


def test_second_signal_stops_at_once(cli, run, proxy, s3):
    cli.write_stack(chain())
    proxy.latency = 0.3
    proc = cli.popen("apply", "-auto-approve")
    wait_for(lambda: len(stored(cli)) >= 1 or proc.poll() is not None,
             timeout=60, what="a bucket made")
    proc.send_signal(signal.SIGINT)
    time.sleep(0.05)
    start = time.monotonic()
    proc.send_signal(signal.SIGINT)
    code, _, err = cli.wait(proc)
    assert time.monotonic() - start < 2
    proxy.latency = 0
    assert code == 1
    assert "Two interrupts received" in err
    # the lock is gone; the next run commits what was written, and finds
    # through the journal a create that was in flight: no duplicate, no
    # orphan
    assert not cli.lock_path(STACK).exists()
    code, out, err = run("apply", "-auto-approve")
    assert code == 0, err
    assert bucket_names(s3) == {f"intr-b{i}" for i in range(1, N + 1)}
    assert git(cli, "status", "--porcelain") == ""
    assert last_line(run("plan")[1]) == NO_CHANGES


NOTEBOOK = "intr-notebook"
NOTEBOOK_STACK = f"""
stack: {STACK}
resources:
  role:
    type: aws_iam_role
    properties:
      name: intr-role
      assume_role_policy: {SAGEMAKER_TRUST_YAML}
      managed_policy_arns: [{SAGEMAKER_FULL_ACCESS}]
  notebook:
    type: aws_sagemaker_notebook_instance
    properties:
      name: {NOTEBOOK}
      instance_type: ml.t3.medium
      role_arn: ${{role.arn}}
  after:
    type: aws_s3_bucket
    properties: {{bucket: intr-after}}
    depends_on: [notebook]
"""


def test_wait_is_abandoned(cli, run, emulator):
    ctl = moto_sagemaker.control
    sm = emulator.client("sagemaker")
    cli.env["MLSTACK_WAIT_DELAY"] = "0.05"
    ctl.hold("notebook", NOTEBOOK, during="Pending")
    proc = cli.popen("apply", "-auto-approve", stack=NOTEBOOK_STACK)
    wait_for(lambda: ctl.describes("notebook", NOTEBOOK) or
             proc.poll() is not None, timeout=60, what="the notebook's wait")
    proc.send_signal(signal.SIGINT)
    code, _, err = cli.wait(proc)
    assert code == 1, err
    line = last_line(err)
    assert "1 change not started (after)" in line
    assert "1 wait abandoned (notebook: going on in AWS)" in line
    assert "stopped waiting (interrupted) while Pending" in err
    assert not cli.lock_path(STACK).exists()
    assert sm.describe_notebook_instance(
        NotebookInstanceName=NOTEBOOK)["NotebookInstanceStatus"] == "Pending"

    ctl.release("notebook", NOTEBOOK)
    code, out, err = run("apply", "-auto-approve")
    assert code == 0, err
    assert len(sm.list_notebook_instances()["NotebookInstances"]) == 1
    assert state_list(run) == {"role", "notebook", "after"}
    assert last_line(run("plan")[1]) == NO_CHANGES


def test_interrupt_at_the_prompt_cancels(cli, run, s3):
    """On a terminal, Ctrl-C at "Enter a value:" cancels and unlocks."""
    cli.write_stack(chain(2))
    pid, fd = pty.fork()
    if pid == 0:
        os.chdir(cli.workdir)
        os.execve(cli.binary, [cli.binary, "apply"], cli.env)
    seen = b""
    deadline = time.monotonic() + 60
    while b"Enter a value:" not in seen:
        assert time.monotonic() < deadline, seen
        if select.select([fd], [], [], 1)[0]:
            seen += os.read(fd, 4096)
    os.kill(pid, signal.SIGINT)
    while True:
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
    _, status = os.waitpid(pid, 0)
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 1
    assert b"apply cancelled" in seen
    assert not cli.lock_path(STACK).exists()
    assert bucket_names(s3) == set()
