"""Fixtures for the integration tests: the real mlstack binary against moto.

  emulator   (session) moto + the TLS proxy, see emulator.py
  proxy      the proxy, reset before each test (no latency, hooks or calls)
  cli        the binary in a fresh working directory: cli.run(), cli.popen()
  run        cli.run
  boto       a boto3 session straight to moto; s3, iam: its clients

moto is emptied before every test. After every test that ran the binary,
the fake secret key and session token must appear nowhere in what it
printed or wrote (state, plans, git objects), and the secret key must not
have been sent over the wire.

After every test, the proxy's checks must have found nothing: each request
signed as botocore signs it, each request's parameters valid for its
operation in botocore's model (docs/testing.md, "The test proxy"), and,
when the binary ran, no unsigned request. A test that means to send bad
requests calls proxy.clear_problems() once it has looked at them. Keys
other than the fixture's are made known with proxy.add_credentials (the
Cli does it for keys given to it in env=).

MLSTACK_BIN names the binary (the Makefile sets it); when unset, ./mlstack
at the repository root is used, and tests that need it are skipped if it
has not been built. A MLSTACK_BIN that does not exist is an error.
"""

import json
import os
import signal
import subprocess
import sys
import textwrap
import zlib
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import emulator as emu_mod  # noqa: E402  (sets MOTO_IAM_LOAD_MANAGED_POLICIES)

REPO = HERE.parent.parent
STACK_FILE = "mlstack.yaml"


def _quick_moto_iam():
    """moto builds every IAM backend - one per partition (aws, aws-cn,
    aws-us-gov, ...) - with its own parsed copy of the ~1,600 AWS managed
    policies, on each reset and again on first use: about 1.3 s per test.
    Only the aws partition is used here, so the others get none, and the
    policy data is parsed once."""
    from moto.iam import models

    parsed = {}

    def init_aws_policies(self):
        if self.region_name != "aws" or \
                not models.load_iam_aws_managed_policies():
            return []
        if not parsed:
            parsed.update(json.loads(models.aws_managed_policies_data))
        return [models.AWSManagedPolicy.from_data(
            name, self.account_id, self.region_name, data)
            for name, data in parsed.items()]

    models.IAMBackend._init_aws_policies = init_aws_policies


_quick_moto_iam()


def _binary():
    path = os.environ.get("MLSTACK_BIN")
    if path:
        path = Path(path).resolve()
        if not os.access(path, os.X_OK):
            raise pytest.UsageError(f"MLSTACK_BIN={path}: not an executable")
        return path, True
    return (REPO / "mlstack").resolve(), False


def pytest_report_header(config):
    path, given = _binary()
    how = "MLSTACK_BIN" if given else "default"
    return f"mlstack binary ({how}): {path}"


@pytest.fixture(scope="session")
def emulator():
    emu = emu_mod.Emulator().start()
    emu.proxy.add_credentials(emu_mod.ACCESS_KEY_ID,
                              emu_mod.SECRET_ACCESS_KEY,
                              emu_mod.SESSION_TOKEN)
    yield emu
    emu.stop()


@pytest.fixture(autouse=True)
def _fresh_emulator(emulator, request):
    emulator.reset()
    yield
    check_requests(emulator.proxy, binary_ran="cli" in request.fixturenames)


def check_requests(proxy, binary_ran):
    """Fail when the proxy's checks found a request botocore disagrees
    with (or, when the binary ran, an unsigned one)."""
    proxy.wait_idle(60)
    kinds = {"signature", "model", "checker"}
    if binary_ran:
        kinds.add("unsigned")
    found = [p for p in proxy.problems() if p.kind in kinds]
    if found:
        shown = "\n\n".join(str(p) for p in found[:20])
        more = f"\n... and {len(found) - 20} more" if len(found) > 20 else ""
        pytest.fail(f"{len(found)} request(s) failed the proxy's checks:\n"
                    f"{shown}{more}", pytrace=False)


@pytest.fixture
def proxy(emulator):
    return emulator.proxy


@pytest.fixture
def boto(emulator):
    return emulator.boto3_session()


@pytest.fixture
def s3(emulator):
    return emulator.client("s3")


@pytest.fixture
def iam(emulator):
    return emulator.client("iam")


@pytest.fixture(scope="session")
def mlstack_bin():
    path, given = _binary()
    if not os.access(path, os.X_OK):
        if given:
            pytest.fail(f"MLSTACK_BIN={path} does not exist")
        pytest.skip(f"{path} not built (run make, or set MLSTACK_BIN)")
    return str(path)


@pytest.fixture(scope="session")
def tools_dir():
    return os.environ.get("MLSTACK_TOOLS")


class Cli:
    """The mlstack binary, run in its own working directory."""

    def __init__(self, binary, workdir, home, logdir, env, proxy=None):
        self.binary = binary
        self.proxy = proxy
        self.workdir = workdir
        self.home = home
        self.logdir = logdir
        self.env = env
        self.outputs = []     # (args, stdout, stderr) of every run
        self._nlogs = 0
        self._procs = []      # everything popen() started

    @property
    def stack_path(self):
        return self.workdir / STACK_FILE

    @property
    def state_dir(self):
        return self.workdir / ".mlstack"

    def resources_dir(self, stack):
        return self.state_dir / stack / "resources"

    def state_resources(self, stack):
        """Names of the resource files in the state directory."""
        d = self.resources_dir(stack)
        if not d.is_dir():
            return set()
        return {p.stem for p in d.glob("*.json")}

    def lock_path(self, stack):
        return self.state_dir / f"{stack}.lock"

    def write_stack(self, text, name=STACK_FILE):
        """Write a stack file into the working directory (dedented, leading
        newline dropped); returns the text as written."""
        text = textwrap.dedent(text).lstrip("\n")
        (self.workdir / name).write_text(text)
        return text

    def run(self, *args, stack=None, input=None, timeout=120, check=None,
            cwd=None, env=None):
        """Run mlstack ARGS in the working directory (the stack, when
        given, is written there as mlstack.yaml first). Returns
        (exit code, stdout, stderr). check=N asserts the exit code
        (check=True means 0)."""
        if stack is not None:
            self.write_stack(stack)
        self._known_keys(env)
        argv = [self.binary, *map(str, args)]
        proc = subprocess.run(
            argv, cwd=cwd or self.workdir, env={**self.env, **(env or {})},
            input=input if input is not None else "", capture_output=True,
            text=True, errors="replace", timeout=timeout)
        code, out, err = proc.returncode, proc.stdout, proc.stderr
        self._record(args, out, err)
        print(f"$ mlstack {' '.join(map(str, args))}  -> {code}")
        if out:
            print(textwrap.indent(out, "  | "), end="" if out.endswith("\n") else "\n")
        if err:
            print(textwrap.indent(err, "  ! "), end="" if err.endswith("\n") else "\n")
        assert_clean_exit(code, err)
        if check is not None:
            want = 0 if check is True else check
            assert code == want, (
                f"mlstack {' '.join(map(str, args))}: exit {code}, "
                f"expected {want}\n--- stdout\n{out}--- stderr\n{err}")
        return code, out, err

    def popen(self, *args, stack=None, env=None):
        """Start mlstack ARGS in the background; stdout and stderr go to
        files outside the working directory. Finish with cli.wait(proc)."""
        if stack is not None:
            self.write_stack(stack)
        self._known_keys(env)
        self._nlogs += 1
        base = self.logdir / f"bg{self._nlogs}"
        out = open(f"{base}.out", "w+b")
        err = open(f"{base}.err", "w+b")
        proc = subprocess.Popen(
            [self.binary, *map(str, args)], cwd=self.workdir,
            env={**self.env, **(env or {})}, stdin=subprocess.DEVNULL,
            stdout=out, stderr=err, start_new_session=True)
        proc.mlstack_args = args
        proc.mlstack_files = (out, err)
        self._procs.append(proc)
        return proc

    def _known_keys(self, env):
        """Keys given in env= are ones the proxy will see signatures of."""
        env = {**self.env, **(env or {})}
        key = env.get("AWS_ACCESS_KEY_ID")
        secret = env.get("AWS_SECRET_ACCESS_KEY")
        if self.proxy is not None and key and secret:
            self.proxy.add_credentials(key, secret,
                                       env.get("AWS_SESSION_TOKEN") or None)

    def wait(self, proc, timeout=120):
        """Wait for a popen()ed process; returns (code, stdout, stderr)."""
        code = proc.wait(timeout=timeout)
        out, err = (self._read(f) for f in proc.mlstack_files)
        self._record(proc.mlstack_args, out, err)
        print(f"$ mlstack {' '.join(map(str, proc.mlstack_args))} (bg) -> {code}")
        print(textwrap.indent(out + err, "  | "))
        return code, out, err

    def stop_all(self):
        """Kill what popen() started and is still running (a test that
        failed half-way), so that it cannot touch the next test's AWS.
        Its output stays in the log directory for the leak check."""
        for proc in self._procs:
            if proc.poll() is None:
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                proc.wait()
            for f in proc.mlstack_files:
                f.close()

    @staticmethod
    def _read(f):
        f.flush()
        f.seek(0)
        data = f.read().decode("utf-8", "replace")
        f.close()
        return data

    def _record(self, args, out, err):
        self.outputs.append((args, out, err))


def assert_clean_exit(code, stderr):
    """No sanitizer report and no death by signal."""
    assert code >= 0, f"mlstack killed by signal {-code}\n{stderr}"
    for marker in ("Sanitizer", "runtime error:"):
        assert marker not in stderr, f"sanitizer report:\n{stderr}"


def _file_texts(root):
    """(path, bytes) of every file under root; git's loose objects are
    inflated, so a secret cannot hide in the state's history."""
    for path in sorted(Path(root).rglob("*")):
        if not path.is_file() or path.is_symlink():
            continue
        try:
            data = path.read_bytes()
        except OSError:
            continue
        yield path, data
        if "objects" in path.parts and len(path.parent.name) == 2:
            try:
                yield path, zlib.decompress(data)
            except zlib.error:
                pass


def check_no_secrets(cli, proxy):
    leaks = []
    for args, out, err in cli.outputs:
        for secret in emu_mod.SECRETS:
            if secret in out or secret in err:
                leaks.append(f"output of mlstack {' '.join(map(str, args))}")
    for root in (cli.workdir, cli.home, cli.logdir):
        for path, data in _file_texts(root):
            for secret in emu_mod.SECRETS:
                if secret.encode() in data:
                    leaks.append(str(path))
    secret = emu_mod.SECRET_ACCESS_KEY.encode()
    for call in proxy.calls():
        req = call.request
        wire = b"".join(f"{k}: {v}\n".encode() for k, v in req.headers)
        if secret in wire or secret in req.body or secret in req.target.encode():
            leaks.append(f"request {call}")
    assert not leaks, "credentials leaked into: " + ", ".join(sorted(set(leaks)))


@pytest.fixture
def cli(mlstack_bin, emulator, tmp_path):
    workdir = tmp_path / "work"
    home = tmp_path / "home"
    logdir = tmp_path / "logs"
    for d in (workdir, home, logdir):
        d.mkdir()
    c = Cli(mlstack_bin, workdir, home, logdir,
            emulator.client_env(home=str(home)), emulator.proxy)
    yield c
    c.stop_all()
    check_no_secrets(c, emulator.proxy)


@pytest.fixture
def run(cli):
    return cli.run


@pytest.fixture
def workdir(cli):
    return cli.workdir
