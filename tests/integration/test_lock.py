"""The state lock: one writer at a time, the other refused at once; a stale
lock is cleared by force-unlock."""

import json
import socket
import subprocess
import time

import pytest

from awsproxy import Response
from helpers import NO_CHANGES, bucket_names, last_line, state_list

STACK = "locktest"
NAMES = {f"bucket{i}" for i in range(1, 6)}


def stack_text(n=5):
    lines = [f"stack: {STACK}", "resources:"]
    for i in range(1, n + 1):
        lines += [f"  bucket{i}:", "    type: aws_s3_bucket",
                  f"    properties: {{bucket: lock-bucket-{i}}}"]
    return "\n".join(lines) + "\n"


def race(cli):
    """Start two applies at once; return (first to finish, the other) as
    (code, stdout, stderr), asserting that the first finished while the
    other was still running."""
    a = cli.popen("apply", "--auto-approve")
    b = cli.popen("apply", "--auto-approve")
    deadline = time.monotonic() + 120
    while a.poll() is None and b.poll() is None:
        assert time.monotonic() < deadline, "neither apply finished"
        time.sleep(0.01)
    first, other = (a, b) if a.poll() is not None else (b, a)
    other_running = other.poll() is None
    first_result = cli.wait(first)
    other_result = cli.wait(other)
    assert other_running, "the refused apply did not return at once"
    return first_result, other_result


def assert_consistent(cli, run, s3):
    assert bucket_names(s3) == {f"lock-bucket-{i}" for i in range(1, 6)}
    assert state_list(run) == NAMES
    assert not cli.lock_path(STACK).exists()
    code, out, _ = run("plan", "--detailed-exitcode")
    assert code == 0
    assert last_line(out) == NO_CHANGES


@pytest.mark.parametrize("existing_state", [True, False],
                         ids=["existing-state", "fresh-state"])
def test_concurrent_applies(cli, run, proxy, s3, existing_state):
    if existing_state:
        code, _, err = run("apply", "--auto-approve", stack=stack_text(2))
        assert code == 0, err
    cli.write_stack(stack_text())
    proxy.latency = 0.3

    (code1, out1, err1), (code2, out2, err2) = race(cli)
    assert code1 == 1, "the apply that did not get the lock must fail"
    assert "locked" in err1.lower()
    assert code2 == 0, err2
    assert "Apply complete!" in out2 + err2

    proxy.latency = 0
    assert_consistent(cli, run, s3)


def dead_pid():
    p = subprocess.Popen(["true"])
    p.wait()
    return p.pid


def test_force_unlock_clears_stale_lock(cli, run, s3):
    code, _, err = run("apply", "--auto-approve", stack=stack_text(2))
    assert code == 0, err
    cli.write_stack(stack_text())
    pid = dead_pid()
    lock = cli.lock_path(STACK)
    lock.write_text(json.dumps({
        "holder": "alice@build-7", "operation": "apply", "pid": pid,
        "host": "build-7.example.com", "time": "2024-05-01T10:00:00Z",
    }, indent=2) + "\n")

    code, out, err = run("apply", "--auto-approve")
    assert code == 1
    assert "locked" in err.lower()
    assert str(pid) in err and "alice@build-7" in err
    assert bucket_names(s3) == {"lock-bucket-1", "lock-bucket-2"}
    assert lock.exists()

    run("force-unlock", "-force", check=0)
    assert not lock.exists()

    code, _, err = run("apply", "--auto-approve")
    assert code == 0, err
    assert_consistent(cli, run, s3)


def test_lock_is_released_after_failure(cli, run, proxy, s3):
    # A failing apply must not leave its lock behind.
    denied = Response(403, [("Content-Type", "application/xml")],
                      b"<Error><Code>AccessDenied</Code>"
                      b"<Message>Access Denied</Message></Error>")
    hook = proxy.add_hook(
        lambda req: denied if req.operation == "CreateBucket"
        and req.path == "/lock-bucket-3" else None)
    code, _, err = run("apply", "--auto-approve", stack=stack_text())
    assert code == 1
    assert "bucket3" in err and "AccessDenied" in err
    assert not cli.lock_path(STACK).exists()
    # Independent resources were made and kept.
    assert bucket_names(s3) == {f"lock-bucket-{i}" for i in (1, 2, 4, 5)}
    assert state_list(run) == NAMES - {"bucket3"}

    proxy.remove_hook(hook)
    code, _, err = run("apply", "--auto-approve")
    assert code == 0, err
    assert_consistent(cli, run, s3)


def test_lock_file_names_this_process(cli, run, proxy):
    cli.write_stack(stack_text())
    proxy.latency = 0.3
    proc = cli.popen("apply", "--auto-approve")
    lock = cli.lock_path(STACK)
    deadline = time.monotonic() + 60
    while not lock.exists() and proc.poll() is None:
        assert time.monotonic() < deadline
        time.sleep(0.01)
    data = None
    while data is None and proc.poll() is None:
        try:
            data = json.loads(lock.read_text())
        except (ValueError, FileNotFoundError):
            time.sleep(0.01)
    code, _, err = cli.wait(proc)
    assert code == 0, err
    assert data is not None, "no lock file while apply ran"
    assert data.get("pid") == proc.pid
    assert data.get("host") == socket.gethostname()


def test_lock_timeout_waits_for_the_holder(cli, run, s3):
    cli.write_stack(stack_text(2))
    lock = cli.lock_path(STACK)
    lock.parent.mkdir(exist_ok=True)
    lock.write_text(json.dumps({
        "holder": "alice@build-7", "operation": "apply", "pid": dead_pid(),
        "host": "build-7.example.com", "time": "2024-05-01T10:00:00Z",
    }) + "\n")
    # held all along: it waits, then fails naming the holder
    start = time.monotonic()
    code, _, err = run("apply", "-auto-approve", "-lock-timeout", "2s")
    assert code == 1
    assert time.monotonic() - start >= 2
    assert "locked by alice@build-7" in err
    assert bucket_names(s3) == set()

    # released while it waits: it goes on
    proc = cli.popen("apply", "-auto-approve", "-lock-timeout", "1m")
    time.sleep(1.5)
    assert proc.poll() is None, "apply did not wait for the lock"
    lock.unlink()
    code, out, err = cli.wait(proc)
    assert code == 0, err
    assert "Apply complete!" in out
    assert bucket_names(s3) == {"lock-bucket-1", "lock-bucket-2"}
    assert not lock.exists()

    code, _, err = run("apply", "-auto-approve", "-lock-timeout", "soon")
    assert code == 1
    assert err.startswith('Error: -lock-timeout "soon": ')
