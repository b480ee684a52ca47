"""The read-only commands (output, show, state, graph, history), the
global options (-C, -f, --state-dir), help and version, what the command
line refuses (an unknown command or option, with a "did you mean"; an
option the command does not take), force-unlock's question, and how a
file that cannot be read is reported."""

import json
import os
import pty
import re
import subprocess

from helpers import (ACCOUNT_ID, SAGEMAKER_TRUST_YAML, bucket_names,
                     state_list)

STACK = """
stack: clitest
resources:
  store:
    type: aws_s3_bucket
    properties:
      bucket: cli-data
  role:
    type: aws_iam_role
    properties:
      name: cli-role
      assume_role_policy: %s
  artifacts:
    type: aws_s3_bucket
    properties:
      bucket: cli-artifacts
      tags: {reader: "${role.arn}"}
outputs:
  bucket_name: ${store.bucket}
  bucket_arn: ${store.arn}
  role_arn: ${role.arn}
""" % SAGEMAKER_TRUST_YAML

ROLE_ARN = f"arn:aws:iam::{ACCOUNT_ID}:role/cli-role"


def applied(cli, run):
    cli.write_stack(STACK)
    code, _, err = run("apply", "--auto-approve")
    assert code == 0, err


def test_output(cli, run):
    applied(cli, run)
    code, out, _ = run("output")
    assert code == 0
    lines = {ln.split(" = ", 1)[0]: ln.split(" = ", 1)[1].strip()
             for ln in out.splitlines() if " = " in ln}
    assert set(lines) == {"bucket_name", "bucket_arn", "role_arn"}
    assert lines["bucket_arn"].strip('"') == "arn:aws:s3:::cli-data"
    assert lines["role_arn"].strip('"') == ROLE_ARN

    code, out, _ = run("output", "bucket_arn")
    assert code == 0
    assert out == "arn:aws:s3:::cli-data\n"

    code, out, _ = run("output", "--json")
    assert code == 0
    values = json.loads(out)
    assert set(values) == {"bucket_name", "bucket_arn", "role_arn"}
    flat = {k: v["value"] if isinstance(v, dict) else v
            for k, v in values.items()}
    assert flat["bucket_name"] == "cli-data"

    code, _, err = run("output", "no_such_output")
    assert code == 1
    assert "no_such_output" in err


def test_show_state(cli, run):
    applied(cli, run)
    code, out, _ = run("show")
    assert code == 0
    for needle in ("store", "role", "artifacts", "cli-data", "cli-artifacts",
                   ROLE_ARN):
        assert needle in out


def test_show_saved_plan(cli, run):
    cli.write_stack(STACK)
    run("plan", "--out", "plan.json", check=0)
    code, out, _ = run("show", "plan.json")
    assert code == 0
    for name in ("store", "role", "artifacts"):
        assert f"  # {name} will be created" in out
    assert "Plan: 3 to add, 0 to change, 0 to destroy." in out


def test_state_list_and_show(cli, run):
    applied(cli, run)
    assert state_list(run) == {"store", "role", "artifacts"}
    code, out, _ = run("state", "show", "role")
    assert code == 0
    assert ROLE_ARN in out and "cli-role" in out
    code, out, _ = run("state", "show", "store")
    assert code == 0
    assert "arn:aws:s3:::cli-data" in out
    code, _, err = run("state", "show", "nosuch")
    assert code == 1
    assert "nosuch" in err


def test_state_files_on_disk(cli, run):
    applied(cli, run)
    assert cli.state_resources("clitest") == {"store", "role", "artifacts"}
    path = cli.resources_dir("clitest") / "store.json"
    text = path.read_text()
    value = json.loads(text)
    assert value["type"] == "aws_s3_bucket"
    # Sorted keys and two-space indent, so that git diffs read well.
    assert text == json.dumps(value, indent=2, sort_keys=True,
                              ensure_ascii=False) + "\n"


def dot_edges(dot):
    edges = set()
    for m in re.finditer(r'"?([^"\s;{}\[\]]+)"?\s*->\s*"?([^"\s;{}\[\]]+)"?',
                         dot):
        edges.add((m.group(1), m.group(2)))
    return edges


def test_graph(cli, run):
    cli.write_stack(STACK)
    code, out, _ = run("graph")
    assert code == 0
    assert out.lstrip().startswith("digraph")
    assert out.rstrip().endswith("}")
    assert not cli.state_dir.exists()  # offline: no state made
    edges = dot_edges(out)

    def named(node, name):
        return re.search(rf"(^|[^\w-]){re.escape(name)}$", node) is not None

    # An edge a -> b means a depends on b.
    assert any(named(a, "artifacts") and named(b, "role") for a, b in edges), out
    assert not any(named(a, "role") and named(b, "artifacts")
                   for a, b in edges), out
    assert not any(named(a, "store") or named(b, "store") for a, b in edges), out


def test_history(cli, run):
    applied(cli, run)
    run("destroy", "--auto-approve", check=0)
    code, out, _ = run("history")
    assert code == 0
    lines = out.splitlines()
    applies = [i for i, ln in enumerate(lines) if "apply clitest" in ln]
    destroys = [i for i, ln in enumerate(lines) if "destroy clitest" in ln]
    assert applies and destroys, out
    assert destroys[0] < applies[0], "history is newest first"


def test_chdir_and_file_options(cli, run, s3, tmp_path):
    other = cli.workdir / "project"
    other.mkdir()
    (other / "infra.yaml").write_text(STACK)

    # -C: as if started in that directory; -f: another stack file.
    code, out, err = run("-C", str(other), "-f", "infra.yaml", "validate",
                         cwd=tmp_path)
    assert code == 0, err
    assert "The stack is valid." in out

    (other / "broken.yaml").write_text("stack: b\nresources:\n  x: {}\n")
    code, _, err = run("-C", str(other), "-f", "broken.yaml", "validate")
    assert code == 1
    assert err.startswith("broken.yaml:3:"), err

    code, _, err = run("-C", str(other), "-f", "infra.yaml", "apply",
                       "--auto-approve")
    assert code == 0, err
    # The state directory sits beside the stack file.
    assert (other / ".mlstack" / "clitest" / "resources" / "store.json").is_file()
    assert not cli.state_dir.exists()
    assert bucket_names(s3) == {"cli-data", "cli-artifacts"}
    code, out, _ = run("-C", str(other), "-f", "infra.yaml", "state", "list")
    assert {ln.strip() for ln in out.splitlines() if ln.strip()} == \
        {"store", "role", "artifacts"}


def test_state_dir_option(cli, run):
    states = cli.workdir / "states"
    cli.write_stack(STACK)
    code, _, err = run("--state-dir", str(states), "apply", "--auto-approve")
    assert code == 0, err
    assert (states / "clitest" / "resources" / "role.json").is_file()
    assert not cli.state_dir.exists()
    code, out, _ = run("--state-dir", str(states), "plan",
                       "--detailed-exitcode")
    assert code == 0
    code, out, _ = run("state", "list")   # the default state is empty
    assert out.strip() == ""


# Files the user names: what is wrong with a path, in plain words, never a
# parser's guess at an empty document or a library's "(line -1)".

def test_directory_as_stack_file(cli, run):
    (cli.workdir / "infra").mkdir()
    code, out, err = run("-f", "infra", "validate")
    assert code == 1
    assert err == '"infra": is a directory\n', err
    assert out == ""


def test_directory_as_plan_file(cli, run):
    cli.write_stack(STACK)
    (cli.workdir / "plans").mkdir()
    for command in ("show", "apply"):
        code, _, err = run(command, "plans")
        assert code == 1
        assert err == 'Error: plan file "plans": is a directory\n', err
    code, _, err = run("plan", "-out", "plans")
    assert code == 1
    assert err == 'Error: cannot write the plan: "plans": is a directory\n'


def test_unreadable_plan_files(cli, run):
    cli.write_stack(STACK)
    (cli.workdir / "empty.json").write_text("")
    (cli.workdir / "broken.json").write_text('{\n  "changes" []\n}\n')
    cases = {
        "empty.json": 'plan file "empty.json": the file is empty',
        "missing.json": 'plan file "missing.json": no such file or '
                        'directory',
        # 1-based: the "[" jansson stopped at is the 13th character
        "broken.json": 'plan file "broken.json": not JSON at line 2, '
                       "column 13: ':' expected near '['",
    }
    for path, message in cases.items():
        code, _, err = run("show", path)
        assert code == 1
        assert err == f"Error: {message}\n"
        assert "line -1" not in err


def test_yaml_syntax_error_position(cli, run):
    # Lines and columns count from 1, as editors do (libyaml's from 0).
    text = cli.write_stack("""
        stack: clitest
        resources:
          store:
            type: aws_s3_bucket
            properties: {bucket: cli-data, tags: {a: b: c}}
        """)
    lines = text.splitlines()
    line = next(i for i, ln in enumerate(lines, 1) if "{a: b: c}" in ln)
    brace = lines[line - 1].index("{a:") + 1
    colon = lines[line - 1].index("b: c") + 2     # the second ":"
    code, _, err = run("validate")
    assert code == 1
    assert err == (f"mlstack.yaml:{line}:{colon}: invalid YAML: did not find "
                   f"expected ',' or '}}' (while parsing a flow mapping "
                   f"started at {line}:{brace})\n"), err


# help, version, and what the command line refuses

COMMANDS = ["validate", "lint", "plan", "apply", "destroy", "output", "show",
            "state", "import", "schema", "graph", "history", "cost", "diff",
            "force-unlock",
            "help",
            "version"]

GLOBAL_OPTIONS = ["-f FILE", "-C DIR", "-state-dir DIR", "-var NAME=VALUE",
                  "-no-color", "-v", "-vv", "-h, -help"]


def listed_options(usage, title):
    """The options under title ("Options:") in a usage text."""
    lines = usage.splitlines()
    if f"{title}:" not in lines:
        return []
    start = lines.index(f"{title}:") + 1
    found = []
    for ln in lines[start:]:
        if not ln.startswith("  -"):
            break
        found.append(re.split(r"\s{2,}", ln.strip())[0])
    return found


def test_help(run):
    # No stack file is needed to ask for help.
    code, usage, err = run("help")
    assert code == 0 and err == ""
    assert usage.startswith("Usage: mlstack [options] COMMAND [options]")
    listed = [ln.split()[0] for ln in
              usage.split("Commands:\n", 1)[1].split("\n\n", 1)[0]
              .splitlines()]
    assert listed == COMMANDS
    for spelling in ("-help", "--help", "-h"):
        code, out, err = run(spelling)
        assert (code, out, err) == (0, usage, "")


def test_help_for_each_command(run):
    for command in COMMANDS:
        code, usage, err = run("help", command)
        assert code == 0 and err == "", err
        first, blank, purpose = usage.splitlines()[:3]
        assert first.startswith(f"Usage: mlstack {command} [options]")
        assert blank == "" and purpose.startswith("  ") and purpose.endswith(".")
        assert listed_options(usage, "Global options") == GLOBAL_OPTIONS
        for spelling in ("-h", "-help", "--help"):
            code, out, err = run(command, spelling)
            assert (code, out, err) == (0, usage, ""), command
    usage = {c: run(c, "-h")[1] for c in ("plan", "apply", "output",
                                          "force-unlock", "validate")}
    assert listed_options(usage["plan"], "Options") == [
        "-out FILE", "-detailed-exitcode", "-destroy", "-refresh=false",
        "-parallelism N", "-json", "-markdown", "-state-remote URL"]
    assert listed_options(usage["apply"], "Options") == [
        "-auto-approve", "-refresh=false", "-parallelism N",
        "-state-remote URL", "-lock-timeout DURATION"]
    assert usage["apply"].startswith("Usage: mlstack apply [options] "
                                     "[PLANFILE]\n")
    assert listed_options(usage["output"], "Options") == [
        "-json", "-state-remote URL"]
    assert listed_options(usage["force-unlock"], "Options") == [
        "-force", "-state-remote URL"]
    assert "Options:" not in usage["validate"]
    assert listed_options(run("lint", "-h")[1], "Options") == [
        "-json", "-sarif", "-fail-on SEVERITY", "-rules"]


def test_version(run):
    code, out, err = run("version")
    assert code == 0 and err == ""
    assert re.fullmatch(r"mlstack \d+\.\d+\.\d+\n", out), out
    assert run("-version")[:2] == (0, out)
    assert run("--version")[:2] == (0, out)


def test_did_you_mean(cli, run, proxy):
    cli.write_stack(STACK)
    cases = [
        (["aply"], 'unknown command "aply" (did you mean "apply"?)'),
        (["destory", "-auto-approve"],
         'unknown command "destory" (did you mean "destroy"?)'),
        (["help", "forceunlock"],
         'unknown command "forceunlock" (did you mean "force-unlock"?)'),
        (["frobnicate"], 'unknown command "frobnicate" (see mlstack -help)'),
        (["plan", "-detialed-exitcode"], 'unknown option '
         '"-detialed-exitcode" (did you mean "-detailed-exitcode"?)'),
        (["apply", "--auto-aprove"],
         'unknown option "-auto-aprove" (did you mean "-auto-approve"?)'),
        (["output", "-jsn"], 'unknown option "-jsn" (did you mean "-json"?)'),
        (["-stat-dir", "x", "validate"],
         'unknown option "-stat-dir" (did you mean "-state-dir"?)'),
        (["validate", "-nothing-like-it"],
         'unknown option "-nothing-like-it" (see mlstack validate -h)'),
    ]
    for args, message in cases:
        code, out, err = run(*args)
        assert code == 1
        assert (out, err) == ("", f"Error: {message}\n"), args
    assert not proxy.calls()


def test_option_the_command_does_not_take(cli, run, proxy):
    cli.write_stack(STACK)
    cases = [
        ("output", "-auto-approve"),
        ("validate", "-json"),
        ("show", "-out", "plan.json"),
        ("destroy", "-detailed-exitcode"),
        ("apply", "-force"),
        ("force-unlock", "-auto-approve"),
        ("plan", "--auto-approve"),
    ]
    for command, option, *value in cases:
        code, out, err = run(command, option, *value)
        assert code == 1
        assert out == ""
        assert err == (f'Error: command "{command}" does not take option '
                       f'"-{option.lstrip("-")}" (see mlstack {command} '
                       f'-h)\n')
    # refused before anything ran: no plan, no AWS call, no state
    assert not (cli.workdir / "plan.json").exists()
    assert not proxy.calls()
    assert not cli.state_dir.exists()


# force-unlock asks, as Terraform's does, unless -force

def write_lock(cli, pid=999999):
    lock = cli.lock_path("clitest")
    lock.parent.mkdir(parents=True, exist_ok=True)
    lock.write_text(json.dumps({
        "holder": "alice@build-7", "operation": "apply", "pid": pid,
        "host": "build-7.example.com", "time": "2024-05-01T10:00:00Z",
    }) + "\n")
    return lock


def run_on_terminal(cli, *args, typed):
    """mlstack ARGS with stdin on a terminal where typed is typed."""
    master, slave = pty.openpty()
    try:
        proc = subprocess.Popen(
            [cli.binary, *args], cwd=cli.workdir, env=cli.env, stdin=slave,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        os.close(slave)
        slave = None
        os.write(master, typed.encode())
        out, err = proc.communicate(timeout=60)
    finally:
        os.close(master)
        if slave is not None:
            os.close(slave)
    cli.outputs.append((args, out, err))
    print(f"$ mlstack {' '.join(args)} (terminal) -> {proc.returncode}\n"
          f"{out}{err}")
    return proc.returncode, out, err


def test_force_unlock_asks_unless_force(cli, run):
    applied(cli, run)
    lock = write_lock(cli)

    # no terminal to ask on: refused, naming the option that skips it
    code, out, err = run("force-unlock")
    assert code == 1 and out == ""
    assert err == ("Error: force-unlock needs confirmation, and stdin is not "
                   "a terminal: run it with -force\n")
    assert lock.exists()

    # on a terminal it names the holder and takes only "yes"
    code, out, err = run_on_terminal(cli, "force-unlock", typed="no\n")
    assert code == 1
    assert "Do you really want to force-unlock?" in out
    assert ("the lock held by alice@build-7 (pid 999999, apply since "
            "2024-05-01T10:00:00Z)") in out
    assert err == "Error: force-unlock cancelled\n"
    assert lock.exists()
    code, out, err = run_on_terminal(cli, "force-unlock", typed="yes\n")
    assert code == 0, err
    assert out.rstrip().endswith("The state has been unlocked.")
    assert not lock.exists()

    # -force: no question
    write_lock(cli)
    code, out, err = run("force-unlock", "-force")
    assert (code, out, err) == (0, "The state has been unlocked.\n", "")
    assert not lock.exists()
    # nothing to unlock: nothing to ask
    code, out, _ = run("force-unlock")
    assert (code, out) == (0, "The state was not locked.\n")
    code, _, err = run("apply", "-auto-approve")
    assert code == 0, err
