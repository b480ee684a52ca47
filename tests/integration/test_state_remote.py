"""The state shared through a git remote: two clones of one bare
repository (two project directories, each with its own state directory)
see each other's applies; the remote lock ref lets one writer in at a
time; a push that loses a race and a diverged history are refused without
losing anything; credentials in the URL are never shown.

The bare repository is read with git itself, not with mlstack."""

import json
import os
import socket
import subprocess
import time

import pytest

from helpers import NO_CHANGES, bucket_names, last_line, plan_counts, wait_for

STACK = "shared"
LOCK_REF = f"refs/mlstack/locks/{STACK}"


def stack_text(n, remote=None, name=STACK):
    lines = [f"stack: {name}"]
    if remote is not None:
        lines += ["state:", f"  remote: {remote}"]
    lines += ["resources:"]
    for i in range(1, n + 1):
        lines += [f"  bucket{i}:", "    type: aws_s3_bucket",
                  f"    properties: {{bucket: {name}-bucket-{i}}}"]
    return "\n".join(lines) + "\n"


def git(path, *args, check=True):
    """git -C path ARGS, stdout; an identity for commits made by hand."""
    proc = subprocess.run(
        ["git", "-c", "user.name=Bob", "-c", "user.email=bob@example.com",
         "-C", str(path), *map(str, args)],
        capture_output=True, text=True)
    if check:
        assert proc.returncode == 0, f"git {args}: {proc.stderr}"
    return proc.stdout


def buckets(n, name=STACK):
    return {f"{name}-bucket-{i}" for i in range(1, n + 1)}


class Project:
    """A project directory under the test's working directory, with its
    stack file and its own state directory."""

    def __init__(self, cli, name):
        self.cli = cli
        self.name = name
        self.dir = cli.workdir / name
        self.dir.mkdir()
        self.state = self.dir / ".mlstack"

    def write(self, text):
        (self.dir / "mlstack.yaml").write_text(text)

    def run(self, *args, **kw):
        return self.cli.run("-C", self.name, *args, **kw)

    def popen(self, *args, **kw):
        return self.cli.popen("-C", self.name, *args, **kw)

    def head(self):
        return git(self.state, "rev-parse", "HEAD").strip()

    def subjects(self):
        return git(self.state, "log", "--format=%s", "main").splitlines()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def bare(cli):
    path = cli.workdir / "remote.git"
    git(cli.workdir, "init", "-q", "--bare", "-b", "main", path)
    return path


@pytest.fixture
def daemon(cli, bare):
    """git daemon serving the bare repository over git:// (the smart
    protocol, receive-pack enabled): the path a network remote takes."""
    port = free_port()
    proc = subprocess.Popen(
        ["git", "daemon", "--reuseaddr", "--export-all",
         "--enable=receive-pack", "--listen=127.0.0.1", f"--port={port}",
         f"--base-path={cli.workdir}", str(cli.workdir)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def up():
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return True
        except OSError:
            return False
    wait_for(up, timeout=20, what="git daemon")
    yield f"git://127.0.0.1:{port}/remote.git"
    proc.terminate()
    proc.wait(10)


@pytest.fixture(params=["path", "file", "git"])
def url(request, bare):
    """The bare repository as each kind of URL: a path, file://, and
    git:// through git daemon."""
    if request.param == "path":
        return str(bare)
    if request.param == "file":
        return f"file://{bare}"
    return request.getfixturevalue("daemon")


def assert_linear(bare):
    assert git(bare, "rev-list", "--merges", "main") == ""
    assert git(bare, "rev-list", "--max-parents=0", "main").count("\n") == 1
    git(bare, "fsck", "--strict")


def lock_ref(bare):
    return git(bare, "for-each-ref", "--format=%(objectname)", LOCK_REF).strip()


def test_apply_in_one_clone_is_seen_by_the_other(cli, s3, bare):
    a, b = Project(cli, "a"), Project(cli, "b")
    # the remote in the stack file, a path from the stack file's directory
    a.write(stack_text(2, remote="../remote.git"))
    b.write(stack_text(2, remote="../remote.git"))

    code, out, err = b.run("state", "pull")
    assert code == 0, err
    assert "holds no state yet" in out

    a.run("apply", "-auto-approve", check=True)
    assert git(bare, "log", "--format=%s", "main").splitlines() == [
        f"apply {STACK}: +2 ~0 -0"]
    assert git(bare, "rev-parse", "main").strip() == a.head()
    assert lock_ref(bare) == ""
    assert_linear(bare)

    # b had no state at all: pull fills its state directory
    code, out, err = b.run("state", "pull", check=0)
    assert f"Pulled 1 commit(s) from {bare}" in out
    assert b.head() == a.head()
    assert git(b.state, "status", "--porcelain") == ""
    code, out, _ = b.run("state", "list", check=0)
    assert out.split() == ["bucket1", "bucket2"]
    code, out, _ = b.run("plan", "-detailed-exitcode")
    assert code == 0
    assert last_line(out) == NO_CHANGES

    # a plan in b pulls first: a third bucket applied in a is no change
    a.write(stack_text(3, remote="../remote.git"))
    a.run("apply", "-auto-approve", check=True)
    b.write(stack_text(3, remote="../remote.git"))
    code, out, err = b.run("plan", "-detailed-exitcode")
    assert code == 0, err
    assert last_line(out) == NO_CHANGES
    assert b.head() == a.head()
    code, out, _ = b.run("state", "pull", check=0)
    assert "up to date" in out

    # and b's apply goes on from there, pushing its commit
    b.write(stack_text(4, remote="../remote.git"))
    b.run("apply", "-auto-approve", check=True)
    assert git(bare, "log", "--format=%s", "main").splitlines() == [
        f"apply {STACK}: +1 ~0 -0", f"apply {STACK}: +1 ~0 -0",
        f"apply {STACK}: +2 ~0 -0"]
    assert_linear(bare)
    assert bucket_names(s3) == buckets(4)
    code, out, _ = a.run("history", "-json", check=0)
    assert len(json.loads(out)) == 3

    # destroy from b: a's state is empty after it pulls
    b.run("destroy", "-auto-approve", check=True)
    assert bucket_names(s3) == set()
    assert git(bare, "log", "-1", "--format=%s", "main").startswith(
        f"destroy {STACK}:")
    code, out, _ = a.run("state", "list", check=0)
    assert out == ""
    assert_linear(bare)


@pytest.mark.parametrize("wait", [False, True], ids=["fail", "wait"])
def test_two_applies_at_once_one_writer(cli, proxy, s3, url, wait):
    a, b = Project(cli, "a"), Project(cli, "b")
    for p in (a, b):
        p.write(stack_text(4))
    extra = ["-lock-timeout", "2m"] if wait else []
    proxy.latency = 0.2
    procs = [p.popen("apply", "-auto-approve", "-state-remote", url, *extra)
             for p in (a, b)]
    results = [cli.wait(p) for p in procs]
    proxy.latency = 0

    codes = sorted(r[0] for r in results)
    if wait:
        # the second waited for the lock, pulled the first's state and
        # found nothing left to do
        assert codes == [0, 0], results
        assert any(NO_CHANGES in r[1] for r in results), results
    else:
        assert codes == [0, 1], results
        _, _, err = next(r for r in results if r[0] == 1)
        assert f"state '{STACK}' is locked on the remote" in err
        assert "@" in err and "apply since" in err
    bare = cli.workdir / "remote.git"
    assert git(bare, "log", "--format=%s", "main").splitlines() == [
        f"apply {STACK}: +4 ~0 -0"]
    assert_linear(bare)
    assert lock_ref(bare) == ""
    assert bucket_names(s3) == buckets(4)
    for p in (a, b):
        code, out, err = p.run("plan", "-detailed-exitcode", "-state-remote",
                               url)
        assert code == 0, err
        assert last_line(out) == NO_CHANGES


def test_lock_ref_held_during_apply(cli, proxy, s3, url):
    a = Project(cli, "a")
    a.write(stack_text(3))
    bare = cli.workdir / "remote.git"
    proxy.latency = 0.3
    proc = a.popen("apply", "-auto-approve", "-parallelism", "1",
                   "-state-remote", url)
    wait_for(lambda: lock_ref(bare) or proc.poll() is not None, timeout=60,
             what="the lock ref")
    ref = lock_ref(bare)
    message = git(bare, "log", "-1", "--format=%B", LOCK_REF)
    # a second writer is refused, naming the holder; a reader says it
    b = Project(cli, "b")
    b.write(stack_text(3))
    code, _, err = b.run("apply", "-auto-approve", "-state-remote", url)
    code_plan, _, err_plan = b.run("plan", "-state-remote", url)
    still = proc.poll() is None
    proxy.latency = 0
    code_a, _, err_a = cli.wait(proc)
    assert code_a == 0, err_a
    assert ref, "no lock ref while apply ran"
    assert still, "the apply ended before the second one was refused"
    info = json.loads(message.split("\n\n", 1)[1])
    assert info["pid"] == proc.pid
    assert info["host"] == socket.gethostname()
    assert info["operation"] == "apply"
    assert info["holder"].endswith("@" + socket.gethostname())
    assert code == 1
    assert f"locked on the remote {url} by {info['holder']}" in err
    assert f"pid {proc.pid}, apply since {info['time']}" in err
    assert code_plan == 0, err_plan
    assert (f'Note: the state of stack "{STACK}" is locked on the remote '
            f"{url} by {info['holder']} (apply since {info['time']}); "
            "reading it as of its last push.") in err_plan
    # released at the end; AWS holds one set of buckets
    assert lock_ref(bare) == ""
    assert bucket_names(s3) == buckets(3)


def stale_lock(bare, pid):
    """A lock ref left by a process that died on another machine."""
    body = json.dumps({"holder": "alice@build-7", "host": "build-7",
                       "id": "0" * 32, "operation": "apply", "pid": pid,
                       "time": "2024-05-01T10:00:00Z"}, indent=2)
    tree = git(bare, "hash-object", "-t", "tree", "-w", "/dev/null").strip()
    commit = subprocess.run(
        ["git", "-c", "user.name=Alice", "-c", "user.email=alice@build-7",
         "-C", str(bare), "commit-tree", tree,
         "-m", f"lock {STACK}: apply by alice@build-7\n\n{body}"],
        capture_output=True, text=True, check=True).stdout.strip()
    git(bare, "update-ref", LOCK_REF, commit)
    return commit


def test_force_unlock_removes_a_stale_remote_lock(cli, s3, bare):
    a = Project(cli, "a")
    a.write(stack_text(1, remote=str(bare)))
    a.run("apply", "-auto-approve", check=True)
    stale_lock(bare, 4242)
    a.write(stack_text(2, remote=str(bare)))

    code, _, err = a.run("apply", "-auto-approve")
    assert code == 1
    assert ("locked on the remote" in err and "alice@build-7" in err and
            "pid 4242, apply since 2024-05-01T10:00:00Z" in err), err
    assert bucket_names(s3) == buckets(1)
    assert lock_ref(bare)
    # the local lock is not left behind by the refusal
    assert not (a.state / f"{STACK}.lock").exists()

    # without a terminal it asks for -force, naming nothing removed
    code, _, err = a.run("force-unlock")
    assert code == 1 and "-force" in err
    assert lock_ref(bare)
    code, out, err = a.run("force-unlock", "-force")
    assert code == 0, err
    assert "The state has been unlocked." in out
    assert lock_ref(bare) == ""
    code, out, _ = a.run("force-unlock", "-force")
    assert "The state was not locked." in out

    a.run("apply", "-auto-approve", check=True)
    assert bucket_names(s3) == buckets(2)
    assert lock_ref(bare) == ""


def push_during_apply(cli, proxy, a, bare, path, text):
    """Run a's apply (with latency) and, while it holds the lock, push a
    commit that adds path to the remote's branch with plain git (which
    knows nothing of the lock). Returns the apply's (code, out, err) and
    the commit pushed."""
    proxy.latency = 0.3
    proc = a.popen("apply", "-auto-approve")
    wait_for(lambda: lock_ref(bare) or proc.poll() is not None, timeout=60,
             what="the lock ref")
    other = cli.workdir / "other"
    git(cli.workdir, "clone", "-q", bare, other)
    (other / path).parent.mkdir(parents=True, exist_ok=True)
    (other / path).write_text(text)
    git(other, "add", path)
    git(other, "commit", "-q", "-m", f"add {path}")
    git(other, "push", "-q", "origin", "main")
    theirs = git(bare, "rev-parse", "main").strip()
    assert proc.poll() is None, "the apply ended before the race"
    proxy.latency = 0
    return cli.wait(proc), theirs


def test_push_that_loses_a_race_keeps_the_commit(cli, proxy, s3, bare):
    a = Project(cli, "a")
    a.write(stack_text(1, remote=str(bare)))
    a.run("apply", "-auto-approve", check=True)

    # someone changes the stack's own directory on the remote while a's
    # apply runs: a's push must neither overwrite it nor mix with it
    a.write(stack_text(3, remote=str(bare)))
    (code, out, err), theirs = push_during_apply(
        cli, proxy, a, bare, f"{STACK}/NOTES.md", "hands off\n")
    assert code == 1
    assert "Apply complete!" in out
    assert f"push to {bare} refused" in err
    assert "nothing is lost" in err and "mlstack state pull" in err
    # the remote kept what the other pushed; a kept its own commit
    assert git(bare, "rev-parse", "main").strip() == theirs
    assert a.subjects()[0] == f"apply {STACK}: +2 ~0 -0"
    assert git(a.state, "status", "--porcelain") == ""
    assert lock_ref(bare) == ""
    assert bucket_names(s3) == buckets(3)

    # pulling says both changed the stack, and changes nothing
    before = a.head()
    code, _, err = a.run("state", "pull")
    assert code == 1 and f"both changed '{STACK}'" in err
    assert a.head() == before
    # put on top by hand (the two changes do not overlap), then pushed
    git(a.state, "rebase", "-q", "refs/mlstack/remote/main")
    code, out, err = a.run("state", "push")
    assert code == 0, err
    assert "Pushed 1 commit(s)" in out
    assert git(bare, "log", "--format=%s", "main").splitlines() == [
        f"apply {STACK}: +2 ~0 -0", f"add {STACK}/NOTES.md",
        f"apply {STACK}: +1 ~0 -0"]
    assert_linear(bare)
    code, out, _ = a.run("plan", "-detailed-exitcode")
    assert code == 0 and last_line(out) == NO_CHANGES


def test_a_push_meanwhile_elsewhere_goes_under_the_commit(cli, proxy, s3,
                                                          bare):
    a = Project(cli, "a")
    a.write(stack_text(1, remote=str(bare)))
    a.run("apply", "-auto-approve", check=True)
    # a file outside every stack's directory: a's commit goes on top
    a.write(stack_text(2, remote=str(bare)))
    (code, out, err), _ = push_during_apply(cli, proxy, a, bare,
                                            "NOTES.md", "who runs what\n")
    assert code == 0, err
    assert git(bare, "log", "--format=%s", "main").splitlines() == [
        f"apply {STACK}: +1 ~0 -0", "add NOTES.md",
        f"apply {STACK}: +1 ~0 -0"]
    assert_linear(bare)
    assert git(bare, "rev-parse", "main").strip() == a.head()
    assert (a.state / "NOTES.md").read_text() == "who runs what\n"
    assert git(a.state, "status", "--porcelain") == ""
    assert bucket_names(s3) == buckets(2)


def test_diverged_history_is_refused(cli, s3, bare):
    a, b = Project(cli, "a"), Project(cli, "b")
    a.write(stack_text(1, remote=str(bare)))
    a.run("apply", "-auto-approve", check=True)
    b.write(stack_text(1, remote=str(bare)))
    b.run("state", "pull", check=0)

    a.write(stack_text(2, remote=str(bare)))
    a.run("apply", "-auto-approve", check=True)
    # b applies with the remote switched off: a commit the remote lacks
    b.write(stack_text(1, remote=str(bare)) +
            "  extra:\n    type: aws_s3_bucket\n"
            f"    properties: {{bucket: {STACK}-extra}}\n")
    b.run("apply", "-auto-approve", "-state-remote=", check=True)
    before = b.head()
    files = sorted(p.name for p in (b.state / STACK / "resources").iterdir())

    for args in (("plan",), ("state", "pull"), ("apply", "-auto-approve")):
        code, out, err = b.run(*args)
        assert code == 1, args
        assert "have diverged" in err and f"both changed '{STACK}'" in err
        assert "nothing was changed" in err
        assert "reset --hard refs/mlstack/remote/main" in err
        assert b.head() == before
        assert sorted(p.name for p in
                      (b.state / STACK / "resources").iterdir()) == files
    assert lock_ref(bare) == ""
    assert_linear(bare)
    assert git(bare, "log", "--format=%s", "main").splitlines() == [
        f"apply {STACK}: +1 ~0 -0", f"apply {STACK}: +1 ~0 -0"]

    # following the message: keep the remote's, and b is in step again
    git(b.state, "reset", "-q", "--hard", "refs/mlstack/remote/main")
    code, out, _ = b.run("state", "pull", check=0)
    assert "up to date" in out


def test_two_stacks_applied_at_once(cli, proxy, s3, bare):
    # two stacks share the state repository, applied from two clones at
    # once: each has its own lock, and the second push goes on top
    a, b = Project(cli, "a"), Project(cli, "b")
    a.write(stack_text(3, remote=str(bare), name="alpha"))
    b.write(stack_text(3, remote=str(bare), name="beta"))
    proxy.latency = 0.2
    procs = [p.popen("apply", "-auto-approve") for p in (a, b)]
    results = [cli.wait(p) for p in procs]
    proxy.latency = 0
    for code, _, err in results:
        assert code == 0, err
    assert sorted(git(bare, "log", "--format=%s", "main").splitlines()) == [
        "apply alpha: +3 ~0 -0", "apply beta: +3 ~0 -0"]
    assert_linear(bare)
    assert bucket_names(s3) == buckets(3, "alpha") | buckets(3, "beta")
    for p in (a, b):
        p.run("state", "pull", check=0)
        assert p.head() == git(bare, "rev-parse", "main").strip()
        assert (p.state / "alpha" / "resources" / "bucket3.json").exists()
        assert (p.state / "beta" / "resources" / "bucket3.json").exists()


def pushed_then_locked(cli, bare):
    """A project with one bucket applied and pushed, a second one written
    to apply, and the remote's main locked as a push in progress holds it
    (git's main.lock): the project and the lock file."""
    a = Project(cli, "a")
    a.write(stack_text(1, remote=str(bare)))
    a.run("apply", "-auto-approve")
    lock = bare / "refs" / "heads" / "main.lock"
    lock.write_text("")
    a.write(stack_text(2, remote=str(bare)))
    return a, lock


def test_push_waits_while_the_remote_branch_is_being_updated(cli, s3, bare):
    # another push holds the remote's main (git's main.lock) when this
    # apply pushes: it is tried again a little later, not given up
    a, lock = pushed_then_locked(cli, bare)
    proc = a.popen("apply", "-auto-approve", "-v")
    errf = proc.mlstack_files[1].name

    def busy():
        with open(errf, "rb") as f:
            return (b"the remote is busy" in f.read() or
                    proc.poll() is not None)

    wait_for(busy, timeout=60, interval=0.01, what="a busy push")
    lock.unlink()
    code, _, err = cli.wait(proc)
    assert code == 0, err
    assert "is being updated" in err  # what it waited for, in the log
    assert git(bare, "log", "--format=%s", "main").splitlines() == [
        f"apply {STACK}: +1 ~0 -0", f"apply {STACK}: +1 ~0 -0"]
    assert a.head() == git(bare, "rev-parse", "main").strip()
    assert_linear(bare)


def test_push_gives_up_on_a_remote_branch_that_stays_locked(cli, s3, bare):
    # a lock nobody releases (a crashed git): after a few seconds the
    # apply says so in one line, and the commit stays local to push later
    a, lock = pushed_then_locked(cli, bare)
    code, _, err = a.run("apply", "-auto-approve", check=1)
    errors = [ln for ln in err.splitlines() if ln.startswith("Error:")]
    assert len(errors) == 1, err
    assert "its main is being updated by another push" in errors[0]
    assert bucket_names(s3) == buckets(2)
    assert len(a.subjects()) == 2
    assert git(bare, "log", "--format=%s", "main").count("\n") == 1
    lock.unlink()
    code, _, err = a.run("state", "push")
    assert code == 0, err
    assert a.head() == git(bare, "rev-parse", "main").strip()


def test_credentials_in_the_url_are_never_shown(cli, s3, bare):
    a = Project(cli, "a")
    a.write(stack_text(1))
    secret = "hunter2-Sup3rSecret"
    url = f"https://alice:{secret}@127.0.0.1:{free_port()}/remote.git"
    for args in (("plan",), ("apply", "-auto-approve"), ("state", "pull"),
                 ("state", "push"), ("force-unlock", "-force")):
        code, out, err = a.run(*args, "-state-remote", url)
        assert code == 1, args
        assert secret not in out + err and "alice:" not in out + err
        assert "https://127.0.0.1:" in err, err
    assert bucket_names(s3) == set()
    # nothing of it written anywhere: config, logs, objects
    for path in cli.workdir.rglob("*"):
        if path.is_file():
            assert secret.encode() not in path.read_bytes(), path

    # a password in the stack file is refused, at its line and column
    a.write(stack_text(1, remote=url))
    code, _, err = a.run("validate")
    assert code == 1
    assert "mlstack.yaml:3:11: state.remote: do not write a password" in err
    assert secret not in err


def test_credentials_over_git_protocol(cli, s3, bare, daemon):
    # a user in the URL reaches the server, and is shown nowhere with it
    url = daemon.replace("git://", "git://alice:pw-x9@")
    a = Project(cli, "a")
    a.write(stack_text(1))
    code, out, err = a.run("apply", "-auto-approve", "-state-remote", url)
    assert code == 0, err
    assert "pw-x9" not in out + err
    assert git(bare, "log", "--format=%s", "main").splitlines() == [
        f"apply {STACK}: +1 ~0 -0"]
    assert "pw-x9" not in git(a.state, "config", "--list")


BAD_REMOTES = [
    ("state: {remote: 'ftp://host/x.git'}", "2:17",
     'state.remote: unsupported URL scheme "ftp"'),
    ("state: {remote: 'file://relative/x.git'}", "2:17",
     "state.remote: a file:// URL names an absolute path"),
    ("state: {remote: 'https://'}", "2:17",
     "state.remote: the remote's URL names no host"),
    ("state: {remote: 5}", "2:17",
     "state.remote: expected a URL or a path, got a number"),
    ("state: {remot: x}", "2:9", 'state: unknown key "remot" '
     '(did you mean "remote"?)'),
    ("state: [x]", "2:8", "state: expected a map"),
    ("state: {remote: '${var.nope}'}", "2:17",
     'state.remote: reference "${var.nope}": no variable "nope"'),
]


@pytest.mark.parametrize("line,where,message", BAD_REMOTES,
                         ids=[str(i) for i in range(len(BAD_REMOTES))])
def test_bad_remote_in_the_stack_file(cli, run, line, where, message):
    cli.write_stack(f"stack: {STACK}\n{line}\nresources: {{}}\n")
    code, _, err = run("validate")
    assert code == 1
    assert f"mlstack.yaml:{where}: {message}" in err, err


def test_bad_remote_option(cli, run):
    cli.write_stack(stack_text(1))
    code, _, err = run("plan", "-state-remote", "ftp://x/y")
    assert code == 1
    assert 'Error: -state-remote: unsupported URL scheme "ftp"' in err
    code, _, err = run("state", "push")
    assert code == 1 and "the state has no remote" in err
    code, _, err = run("validate", "-state-remote", "x")
    assert code == 1 and 'does not take option "-state-remote"' in err
    code, _, err = run("plan", "-state-remote", str(cli.workdir / "nowhere"))
    assert code == 1 and "state: remote " in err
