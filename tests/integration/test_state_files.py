"""The state's files: checked up front, a failed run's leftovers committed
by the next run, each stack's saved plans stale only when that stack
changed, and a plan beside a running apply reads the last commit."""

import json
import subprocess
import time

import pytest

from helpers import NO_CHANGES, bucket_names, last_line, plan_counts, wait_for


def stack(name, *buckets):
    lines = [f"stack: {name}", "resources:"]
    for b in buckets:
        lines += [f"  {b.replace('-', '_')}:", "    type: aws_s3_bucket",
                  f"    properties: {{bucket: {name}-{b}}}"]
    return "\n".join(lines) + "\n"


def git(cli, *args):
    return subprocess.run(["git", "-C", str(cli.state_dir), *args],
                          capture_output=True, text=True, check=True).stdout


def test_stacks_sharing_a_state_are_independent(cli, run, s3):
    cli.write_stack(stack("alpha", "a1"), "alpha.yaml")
    cli.write_stack(stack("beta", "b1"), "beta.yaml")
    run("-f", "alpha.yaml", "apply", "-auto-approve", check=True)
    run("-f", "beta.yaml", "apply", "-auto-approve", check=True)

    # a saved plan of alpha survives an apply of beta
    cli.write_stack(stack("alpha", "a1", "a2"), "alpha.yaml")
    run("-f", "alpha.yaml", "plan", "-out", "alpha.plan", check=True)
    cli.write_stack(stack("beta", "b1", "b2"), "beta.yaml")
    run("-f", "beta.yaml", "apply", "-auto-approve", check=True)
    code, out, err = run("-f", "alpha.yaml", "apply", "alpha.plan")
    assert code == 0, err
    assert "1 added" in out
    # ... but not an apply of alpha itself
    cli.write_stack(stack("alpha", "a1"), "alpha.yaml")
    run("-f", "alpha.yaml", "plan", "-out", "alpha.plan", check=True)
    run("-f", "alpha.yaml", "apply", "-auto-approve", check=True)
    code, _, err = run("-f", "alpha.yaml", "apply", "alpha.plan")
    assert code == 1
    assert "stale" in err


def test_concurrent_applies_of_two_stacks(cli, run, proxy, s3):
    names = [f"c{i}" for i in range(4)]
    cli.write_stack(stack("gamma", *names), "gamma.yaml")
    cli.write_stack(stack("delta", *names), "delta.yaml")
    proxy.latency = 0.05
    procs = [cli.popen("-f", f, "apply", "-auto-approve")
             for f in ("gamma.yaml", "delta.yaml")]
    results = [cli.wait(p) for p in procs]
    proxy.latency = 0
    for code, out, err in results:
        assert code == 0, err
    assert bucket_names(s3) == {f"{s}-{n}" for s in ("gamma", "delta")
                                for n in names}
    assert git(cli, "status", "--porcelain") == ""
    log = git(cli, "log", "--format=%s")
    assert "apply gamma: +4 ~0 -0" in log and "apply delta: +4 ~0 -0" in log
    git(cli, "fsck", "--strict")
    for f in ("gamma.yaml", "delta.yaml"):
        code, out, _ = run("-f", f, "plan")
        assert last_line(out) == NO_CHANGES


CORRUPTIONS = [
    ("stack.json", "{not json", "corrupt JSON"),
    ("stack.json", "[]", "not a JSON object"),
    ("stack.json", '{"serial": "three"}', '"serial" is not an integer'),
    ("resources/store.json", '{"type": "aws_s3_bucket"}',
     '"attributes" is missing'),
    ("resources/store.json",
     '{"type": "aws_s3_bukket", "attributes": {}}',
     'unknown resource type "aws_s3_bukket"'),
    ("journal.json", '{"logs": 3}', 'intent "logs": is not an object'),
]


@pytest.mark.parametrize("path,text,message", CORRUPTIONS,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(CORRUPTIONS)])
def test_corrupt_state_is_refused_up_front(cli, run, s3, path, text, message):
    run("apply", "-auto-approve", stack=stack("corrupt", "store"), check=True)
    cli.write_stack(stack("corrupt", "store", "logs"))
    target = cli.state_dir / "corrupt" / path
    target.write_text(text)
    for args in (("plan",), ("apply", "-auto-approve"), ("output",),
                 ("show",), ("state", "list")):
        code, out, err = run(*args)
        assert code == 1, args
        assert err.count("\n") == 1
        assert f"corrupt/{path}" in err and message in err, err
        assert "restore it from the state's history" in err
    # nothing was made, nothing of the broken file committed
    assert bucket_names(s3) == {"corrupt-store"}
    assert target.read_text() == text
    assert git(cli, "status", "--porcelain") != ""
    assert len(git(cli, "log", "--format=%s").splitlines()) == 1


def test_leftovers_of_a_failed_run_are_committed(cli, run, s3):
    run("apply", "-auto-approve", stack=stack("left", "store"), check=True)
    # what a run killed before its commit leaves: a written, uncommitted file
    f = cli.state_dir / "left" / "resources" / "store.json"
    v = json.loads(f.read_text())
    v["attributes"]["tags"]["written"] = "uncommitted"
    f.write_text(json.dumps(v, indent=2, sort_keys=True))
    assert git(cli, "status", "--porcelain") != ""

    run("output", check=True)
    assert git(cli, "status", "--porcelain") == ""
    assert git(cli, "log", "-1", "--format=%s").startswith("recover left:")
    assert "uncommitted" in git(cli, "show", "HEAD:left/resources/store.json")


def test_plan_beside_a_running_apply_reads_the_last_commit(cli, run, proxy, s3):
    run("apply", "-auto-approve", stack=stack("busy", "one"), check=True)
    cli.write_stack(stack("busy", "one", "two", "three"))
    proxy.latency = 0.4
    proc = cli.popen("apply", "-auto-approve", "-parallelism", "1")
    # the apply has written its first new resource, not yet committed
    res = cli.state_dir / "busy" / "resources"
    wait_for(lambda: len(list(res.glob("*.json"))) >= 2 or
             proc.poll() is not None, timeout=60, what="a first write")
    assert proc.poll() is None
    code, out, err = run("plan")
    proxy.latency = 0
    assert code == 0, err
    assert 'Note: the state of stack "busy" is locked by ' in err
    assert "reading it as of its last commit" in err
    # the last commit has "one" only: two to add, whatever the apply wrote
    assert plan_counts(out) == (2, 0, 0)
    code, _, err = cli.wait(proc)
    assert code == 0, err
    code, out, _ = run("plan")
    assert "Note:" not in out
    assert last_line(out) == NO_CHANGES


def test_many_stored_resources_read_in_order(cli, run, s3):
    """A state of 600 resources is read as two halves at once: what the
    plan sees is every file, and of two broken files the first in name
    order is the one said, as one reader would say it."""
    run("apply", "-auto-approve", stack=stack("many", "b0"), check=True)
    res = cli.state_dir / "many" / "resources"
    template = (res / "b0.json").read_text()
    names = [f"b{i}" for i in range(600)]
    for n in names[1:]:
        (res / f"{n}.json").write_text(
            template.replace("many-b0", f"many-{n}")
            .replace('"mlstack:resource": "b0"', f'"mlstack:resource": "{n}"'))
    git(cli, "add", "-A")
    git(cli, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm",
        "599 more")
    cli.write_stack(stack("many", *names))
    code, out, err = run("plan", "-refresh=false")
    assert code == 0, err
    assert last_line(out) == NO_CHANGES, out
    code, out, _ = run("state", "list")
    assert set(out.split()) == set(names)

    (res / "b550.json").write_text("{not json")
    (res / "b130.json").write_text("[]")
    code, _, err = run("plan", "-refresh=false")
    assert code == 1
    assert "many/resources/b130.json" in err and "b550" not in err, err
