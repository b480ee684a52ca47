"""mlstack diff: what changes between two revisions of the stack file in
the project's git repository, offline (no AWS call, no credentials), with
the recorded state's values for what AWS computed."""

import json
import re
import subprocess

from helpers import data_role_yaml

# An environment in which any AWS call would fail: no credentials, and an
# endpoint nothing listens on.
OFFLINE = {"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "",
           "AWS_SESSION_TOKEN": "", "AWS_ENDPOINT_URL": "http://127.0.0.1:9"}

STACK = f"""
stack: review
resources:
  data_bucket:
    type: aws_s3_bucket
    properties:
      bucket: review-data
      tags: {{team: ml}}
""" + data_role_yaml("review-role") + f"""
  notebook:
    type: aws_sagemaker_notebook_instance
    properties:
      name: review-notebook
      instance_type: ml.t3.medium
      role_arn: ${{role.arn}}
"""


def git(cli, *args):
    return subprocess.run(["git", "-C", str(cli.workdir), *args],
                          capture_output=True, text=True,
                          check=True).stdout.strip()


def repo(cli):
    git(cli, "init", "-q", "-b", "main")
    git(cli, "config", "user.email", "dev@example.com")
    git(cli, "config", "user.name", "dev")
    (cli.workdir / ".gitignore").write_text(".mlstack/\n")


def commit(cli, text, message):
    cli.write_stack(text)
    git(cli, "add", "-A")
    git(cli, "commit", "-q", "-m", message)


def offline(proxy, run, *args, check=None):
    """Run mlstack offline; no request may reach AWS."""
    before = len(proxy.calls())
    result = run(*args, env=OFFLINE, check=check)
    assert len(proxy.calls()) == before, "diff called AWS"
    return result


def changed_stack():
    return (STACK.replace(', "s3:DeleteObject"', "")
            .replace("{team: ml}", "{team: ml, owner: data-science}")
            .replace("ml.t3.medium", "ml.t3.large"))


def test_diff_between_revisions_offline(cli, run, proxy):
    repo(cli)
    commit(cli, STACK, "first")
    cli.env["MLSTACK_WAIT_DELAY"] = "0.05"
    run("apply", "-auto-approve", check=True)
    commit(cli, changed_stack(), "second")

    code, out, err = offline(proxy, run, "diff", "HEAD~1..HEAD")
    assert code == 0, err
    first = git(cli, "rev-parse", "--short=7", "HEAD~1")
    assert out.startswith(f"Offline: the stack file at HEAD~1 ({first}) "
                          "against HEAD")
    assert "No AWS call was made" in out
    assert out.rstrip().endswith("Diff: 0 to add, 3 to change, 0 to destroy.")
    assert re.search(r'^ +- "s3:DeleteObject",$', out, re.M)
    assert '"ml.t3.medium" -> "ml.t3.large"' in out
    assert re.search(r'^ +\+ "owner" += "data-science"$', out, re.M)
    # the bucket's ARN comes from the state: the policy is known offline
    # (unchanged, so folded), not "(known after apply)"
    assert "known after apply" not in out
    # the buckets's name did not change: no replacement
    assert "must be replaced" not in out

    # a plan against AWS agrees once the state is what HEAD~1 made
    _, plan, _ = run("plan", check=True)
    assert "Plan: 0 to add, 3 to change, 0 to destroy." in plan

    code, _, _ = offline(proxy, run, "diff", "HEAD~1", "HEAD",
                         "-detailed-exitcode")
    assert code == 2
    code, out, _ = offline(proxy, run, "diff", "HEAD", "HEAD",
                           "-detailed-exitcode")
    assert code == 0
    assert out.rstrip().endswith("No changes between the two revisions.")

    # no revision: HEAD against the working tree
    cli.write_stack(changed_stack().replace("ml.t3.large", "ml.m5.large"))
    code, out, _ = offline(proxy, run, "diff", check=True)
    assert "against the working tree" in out
    assert '"ml.t3.large" -> "ml.m5.large"' in out
    assert "Diff: 0 to add, 1 to change, 0 to destroy." in out


def test_diff_json_is_marked_offline(cli, run, proxy):
    repo(cli)
    commit(cli, STACK, "first")
    commit(cli, changed_stack(), "second")
    _, out, _ = offline(proxy, run, "diff", "HEAD~1..HEAD", "-json",
                        check=True)
    doc = json.loads(out)
    assert doc["offline"]["to"].startswith("HEAD (")
    changes = {r["name"]: r["change"]["actions"]
               for r in doc["resource_changes"]}
    assert changes["notebook"] == ["update"]
    assert changes["role"] == ["update"]
    # nothing applied yet: the bucket's ARN is unknown, not invented
    role = next(r for r in doc["resource_changes"]
                if r["name"] == "role")
    assert "arn:aws:s3:::review-data" not in json.dumps(role["change"])

    _, out, _ = offline(proxy, run, "diff", "HEAD~1..HEAD", "-markdown",
                        check=True)
    assert out.startswith("### mlstack diff: `review`\n\n> Offline: the "
                          "stack file at HEAD~1 (")
    assert "**Diff:** 0 to add, 3 to change, 0 to replace, 0 to destroy." \
        in out


def test_diff_adds_removes_and_replaces(cli, run, proxy):
    repo(cli)
    commit(cli, STACK, "first")
    text = (STACK.replace("name: review-notebook", "name: review-notebook2")
            .replace("  data_bucket:\n", "  logs:\n    type: aws_s3_bucket\n"
                     "    properties: {bucket: review-logs}\n"
                     "  data_bucket:\n"))
    text = text.replace("  role:", "  unused:\n    type: aws_s3_bucket\n"
                        "    properties: {bucket: review-unused}\n  role:")
    commit(cli, text, "second")
    commit(cli, text.replace(
        "  unused:\n    type: aws_s3_bucket\n"
        "    properties: {bucket: review-unused}\n", ""), "third")

    _, out, _ = offline(proxy, run, "diff", "HEAD~2", "HEAD", check=True)
    assert "# logs will be created" in out
    assert "# notebook must be replaced" in out
    assert "# forces replacement" in out
    assert "unused" not in out
    assert "Diff: 2 to add, 0 to change, 1 to destroy." in out
    _, out, _ = offline(proxy, run, "diff", "HEAD~1..", check=True)
    assert "# unused will be destroyed" in out
    assert "Diff: 0 to add, 0 to change, 1 to destroy." in out


def test_diff_of_a_pull_request_uses_the_merge_base(cli, run, proxy):
    repo(cli)
    commit(cli, STACK, "first")
    git(cli, "checkout", "-q", "-b", "feature")
    commit(cli, changed_stack(), "feature")
    git(cli, "checkout", "-q", "main")
    commit(cli, STACK.replace("{team: ml}", "{team: platform}"), "main moves")

    _, out, _ = offline(proxy, run, "diff", "main...feature", check=True)
    assert "the merge base of main and feature" in out
    # main's own change is not the pull request's
    assert "platform" not in out
    assert '"ml.t3.medium" -> "ml.t3.large"' in out
    # two dots: main against feature, main's change undone too
    _, out, _ = offline(proxy, run, "diff", "main..feature", check=True)
    assert "platform" in out


def test_diff_reads_files_at_the_revision(cli, run, proxy):
    repo(cli)
    (cli.workdir / "trust.json").write_text(json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                       "Principal": {"Service": "sagemaker.amazonaws.com"}}]}))
    text = """
        stack: files
        resources:
          role:
            type: aws_iam_role
            properties:
              name: files-role
              assume_role_policy: ${file("trust.json")}
        """
    commit(cli, text, "first")
    (cli.workdir / "trust.json").write_text(
        (cli.workdir / "trust.json").read_text()
        .replace("sagemaker", "lambda"))
    git(cli, "commit", "-q", "-am", "trust lambda")
    _, out, _ = offline(proxy, run, "diff", "HEAD~1..HEAD", check=True)
    assert "lambda.amazonaws.com" in out
    assert "Diff: 0 to add, 1 to change, 0 to destroy." in out
    # the working tree's file is not the revision's
    (cli.workdir / "trust.json").write_text("{}")
    _, out, _ = offline(proxy, run, "diff", "HEAD~1..HEAD", check=True)
    assert "lambda.amazonaws.com" in out


def test_diff_hides_secrets(cli, run, proxy):
    repo(cli)
    text = """
        stack: hush
        variables:
          token: {default: s3cr3t-t0ken-v1, sensitive: true}
        resources:
          bucket:
            type: aws_s3_bucket
            properties:
              bucket: hush-bucket
              tags: {api_token: inline-s3cr3t, key: "${var.token}"}
        """
    commit(cli, text, "first")
    commit(cli, text.replace("v1", "v2").replace("inline-s3cr3t", "other"),
           "rotate")
    for args in (["diff", "HEAD~1..HEAD"], ["diff", "HEAD~1..HEAD", "-json"]):
        _, out, _ = offline(proxy, run, *args, check=True)
        for secret in ("s3cr3t-t0ken", "inline-s3cr3t", "other"):
            assert secret not in out


def test_diff_errors(cli, run, proxy, tmp_path):
    code, _, err = offline(proxy, run, "diff")
    assert code == 1
    assert "not in a git repository" in err
    assert len(err.strip().splitlines()) == 1

    repo(cli)
    commit(cli, STACK, "first")
    code, _, err = offline(proxy, run, "diff", "nosuchrev")
    assert code == 1
    assert 'revision "nosuchrev": not a commit' in err
    code, _, err = offline(proxy, run, "diff", "a", "b", "c")
    assert code == 1

    # a broken file at one revision says which one, and where
    commit(cli, STACK.replace("type: aws_s3_bucket", "type: aws_s3_bukket"),
           "broken")
    code, _, err = offline(proxy, run, "diff", "HEAD~1..HEAD")
    assert code == 1
    assert "the stack file at HEAD" in err
    assert "mlstack.yaml:4:" in err

    # a file new in the second revision: everything is created
    (cli.workdir / "other.yaml").write_text(
        "stack: other\nresources:\n  b:\n    type: aws_s3_bucket\n"
        "    properties: {bucket: other-b}\n")
    git(cli, "add", "other.yaml")
    git(cli, "commit", "-q", "-m", "other")
    _, out, _ = offline(proxy, run, "-f", "other.yaml", "diff", "HEAD~1..",
                        check=True)
    assert "Diff: 1 to add, 0 to change, 0 to destroy." in out
    code, _, err = offline(proxy, run, "-f", "none.yaml", "diff")
    assert code == 1
    assert "none.yaml" in err
