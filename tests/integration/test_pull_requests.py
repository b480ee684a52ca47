"""The pull-request workflow of docs/github/: its scripts run as GitHub
Actions would run them, against local bare repositories standing for the
project on GitHub and for the state's remote, a local stand-in for
GitHub's comments API, and the emulator for AWS; the workflow itself is
checked by actionlint, the scripts by shellcheck."""

import http.server
import json
import os
import re
import shutil
import subprocess
import threading
from pathlib import Path

import pytest

from helpers import data_role_yaml, bucket_names, bucket_tags

ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = ROOT / "docs" / "github"
ACTIONLINT = ROOT / ".venv" / "bin" / "actionlint"

STACK = f"""\
stack: prs
resources:
  data_bucket:
    type: aws_s3_bucket
    properties:
      bucket: prs-data
      tags: {{team: ml}}
""" + data_role_yaml("prs-role")

FEATURE = (STACK.replace(', "s3:DeleteObject"', "")
           .replace("{team: ml}", "{team: ml, stage: prod}")
           + "  logs:\n    type: aws_s3_bucket\n"
             "    properties: {bucket: prs-logs}\n")


def git(cwd, *args):
    return subprocess.run(["git", "-C", str(cwd), *args], check=True,
                          capture_output=True, text=True).stdout.strip()


def clone(url, path):
    subprocess.run(["git", "clone", "-q", str(url), str(path)], check=True)
    git(path, "config", "user.email", "dev@example.com")
    git(path, "config", "user.name", "dev")
    return path


def script(name, args, cwd, env):
    proc = subprocess.run(["sh", str(SCRIPTS / name), *args], cwd=cwd,
                          env=env, capture_output=True, text=True,
                          timeout=300)
    print(f"$ {name} {' '.join(args)} -> {proc.returncode}\n"
          f"{proc.stdout}{proc.stderr}")
    return proc


class FakeGitHub(http.server.ThreadingHTTPServer):
    """The issue-comments API of GitHub's REST API, in memory."""

    def __init__(self, token, comments=()):
        super().__init__(("127.0.0.1", 0), Handler)
        self.token = token
        self.comments = list(comments)
        self.requests = []
        self.next_id = 1000

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server_address[1]}"


class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def _answer(self, code, value):
        body = json.dumps(value).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _handle(self):
        gh = self.server
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length)) if length else None
        gh.requests.append((self.command, self.path, body))
        if self.headers.get("Authorization") != f"Bearer {gh.token}":
            return self._answer(401, {"message": "Bad credentials"})
        path, _, query = self.path.partition("?")
        if path == "/repos/acme/ml/issues/7/comments":
            if self.command == "GET":
                params = dict(p.split("=") for p in query.split("&") if p)
                per, page = int(params["per_page"]), int(params["page"])
                return self._answer(
                    200, gh.comments[(page - 1) * per:page * per])
            gh.next_id += 1
            gh.comments.append({"id": gh.next_id, "body": body["body"]})
            return self._answer(201, gh.comments[-1])
        prefix = "/repos/acme/ml/issues/comments/"
        if path.startswith(prefix) and self.command == "PATCH":
            for c in gh.comments:
                if c["id"] == int(path[len(prefix):]):
                    c["body"] = body["body"]
                    return self._answer(200, c)
        return self._answer(404, {"message": "Not Found"})

    do_GET = do_POST = do_PATCH = _handle


@pytest.fixture
def github():
    gh = FakeGitHub("ghs_test_token",
                    [{"id": i, "body": f"looks good {i}"} for i in range(150)])
    thread = threading.Thread(target=gh.serve_forever, daemon=True)
    thread.start()
    yield gh
    gh.shutdown()
    gh.server_close()


def test_workflow_and_scripts_pass_their_linters():
    assert ACTIONLINT.exists(), "make integration builds actionlint"
    proc = subprocess.run([str(ACTIONLINT), str(SCRIPTS / "mlstack.yml")],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    scripts = sorted(str(p) for p in SCRIPTS.glob("*.sh"))
    proc = subprocess.run(["shellcheck", "-s", "sh", *scripts],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout


def test_pull_request_is_planned_commented_and_applied(cli, s3, tmp_path,
                                                       github):
    origin = tmp_path / "github.git"
    state = tmp_path / "state.git"
    for bare in (origin, state):
        subprocess.run(["git", "init", "-q", "--bare", "-b", "main",
                        str(bare)], check=True)
    env = {**cli.env, "MLSTACK": str(cli.binary),
           "MLSTACK_STATE_REMOTE": str(state), "MLSTACK_WAIT_DELAY": "0.05"}

    # the project, as a developer pushes it
    dev = clone(origin, tmp_path / "dev")
    (dev / "mlstack.yaml").write_text(STACK)
    (dev / ".gitignore").write_text(".mlstack/\n")
    git(dev, "add", "-A")
    git(dev, "commit", "-q", "-m", "the stack")
    git(dev, "push", "-q", "origin", "main")

    # push to main: the apply job
    runner = clone(origin, tmp_path / "runner-main")
    proc = script("apply.sh", ["mlstack.yaml"], runner, env)
    assert proc.returncode == 0, proc.stderr
    assert bucket_names(s3) == {"prs-data"}
    assert len(git(state, "log", "--oneline", "main").splitlines()) == 1
    assert json.loads(git(state, "show", "main:prs/journal.json")) == {}

    # a pull request
    git(dev, "checkout", "-q", "-b", "feature")
    (dev / "mlstack.yaml").write_text(FEATURE)
    git(dev, "commit", "-q", "-am", "logs bucket, narrower policy")
    git(dev, "push", "-q", "origin", "feature")

    # the plan job, in a fresh checkout of the pull request's head with
    # no state of its own: the plan pulls it from the state's remote
    pr = clone(origin, tmp_path / "runner-pr")
    git(pr, "checkout", "-q", "feature")
    outputs = tmp_path / "github_output"
    proc = script("plan.sh", ["mlstack.yaml"], pr,
                  {**env, "BASE_REF": "main", "GITHUB_OUTPUT": str(outputs)})
    assert proc.returncode == 0, proc.stderr
    assert outputs.read_text() == "changes=true\n"
    plan_md = (pr / "plan.md").read_text()
    assert plan_md.startswith("### mlstack plan: `prs`")
    assert "**Plan:** 1 to add, 2 to change, 0 to replace, 0 to destroy." \
        in plan_md
    assert re.search(r'^-\s+"s3:DeleteObject",$', plan_md, re.M)
    assert (pr / "plan.bin").exists()

    # posted as a comment; a second push updates it, and one for another
    # stack is its own
    gh_env = {**env, "GITHUB_API_URL": github.url,
              "GITHUB_REPOSITORY": "acme/ml", "GITHUB_TOKEN": github.token,
              "PR_NUMBER": "7", "MLSTACK_STACK": "prs"}
    proc = script("comment.sh", ["plan.md"], pr, gh_env)
    assert proc.returncode == 0, proc.stderr
    assert len(github.comments) == 151
    ours = github.comments[-1]
    assert ours["body"] == "<!-- mlstack: prs -->\n" + plan_md
    proc = script("comment.sh", ["plan.md"], pr, gh_env)
    assert proc.returncode == 0, proc.stderr
    assert "updated comment" in proc.stdout
    assert len(github.comments) == 151
    assert [m for m, _, _ in github.requests].count("PATCH") == 1
    proc = script("comment.sh", ["plan.md"], pr,
                  {**gh_env, "MLSTACK_STACK": "other"})
    assert len(github.comments) == 152
    proc = script("comment.sh", ["plan.md"], pr,
                  {**gh_env, "GITHUB_TOKEN": "wrong"})
    assert proc.returncode != 0
    assert "HTTP 401" in proc.stderr

    # a pull request from a fork gets no secrets: an offline diff
    fork = clone(origin, tmp_path / "runner-fork")
    git(fork, "checkout", "-q", "feature")
    offline = {**env, "AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "",
               "AWS_ENDPOINT_URL": "http://127.0.0.1:9",
               "MLSTACK_OFFLINE": "1", "BASE_REF": "main",
               "GITHUB_OUTPUT": str(outputs)}
    proc = script("plan.sh", ["mlstack.yaml"], fork, offline)
    assert proc.returncode == 0, proc.stderr
    diff_md = (fork / "plan.md").read_text()
    assert diff_md.startswith("### mlstack diff: `prs`")
    assert "the merge base of origin/main and HEAD" in diff_md
    assert "**Diff:** 1 to add, 2 to change, 0 to replace, 0 to destroy." \
        in diff_md
    assert not (fork / "plan.bin").exists()

    # merged: the apply job applies it and pushes the state
    git(dev, "checkout", "-q", "main")
    git(dev, "merge", "-q", "--ff-only", "feature")
    git(dev, "push", "-q", "origin", "main")
    git(runner, "pull", "-q", "--ff-only")
    proc = script("apply.sh", ["mlstack.yaml"], runner, env)
    assert proc.returncode == 0, proc.stderr
    assert bucket_names(s3) == {"prs-data", "prs-logs"}
    assert bucket_tags(s3, "prs-data")["stage"] == "prod"
    log = git(state, "log", "--format=%s", "main").splitlines()
    assert len(log) == 2 and log[0].startswith("apply prs:")
    assert git(state, "rev-list", "--merges", "--count", "main") == "0"
    assert not git(state, "for-each-ref", "refs/mlstack/locks/")

    # the pull request's checkout plans no change once it is applied
    proc = script("plan.sh", ["mlstack.yaml"], pr,
                  {**env, "BASE_REF": "main", "GITHUB_OUTPUT": str(outputs)})
    assert proc.returncode == 0, proc.stderr
    assert outputs.read_text().endswith("changes=false\n")


def test_plan_script_fails_clearly(cli, tmp_path):
    work = tmp_path / "w"
    work.mkdir()
    (work / "mlstack.yaml").write_text("stack: broken\nresources: [\n")
    proc = script("plan.sh", ["mlstack.yaml"], work,
                  {**cli.env, "MLSTACK": str(cli.binary)})
    assert proc.returncode == 1
    assert "plan.sh: mlstack failed (exit 1)" in proc.stderr
    assert shutil.which("sh")
    assert os.path.exists(work / "plan.md")
