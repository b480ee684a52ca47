"""Markdown plans (plan -markdown, show -markdown PLANFILE, diff -markdown)
for pull-request comments, read back with a CommonMark parser (with
GitHub's tables) as GitHub would render them."""

import re

from markdown_it import MarkdownIt

from helpers import data_role_yaml

COMMENT_MAX = 65536

STACK = f"""
stack: md
resources:
  data_bucket:
    type: aws_s3_bucket
    properties:
      bucket: md-data
      tags: {{team: ml}}
  scratch:
    type: aws_s3_bucket
    properties: {{bucket: md-scratch}}
""" + data_role_yaml("md-role")

CHANGED = (STACK.replace("bucket: md-data", "bucket: md-data2")
           .replace(', "s3:DeleteObject"', "")
           .replace("  scratch:\n    type: aws_s3_bucket\n"
                    "    properties: {bucket: md-scratch}\n",
                    "  logs:\n    type: aws_s3_bucket\n"
                    "    properties: {bucket: md-logs}\n"))


def parse(text):
    return MarkdownIt("commonmark").enable("table").parse(text)


def fences(tokens):
    return [t for t in tokens if t.type == "fence"]


def table_rows(tokens):
    """The body rows of the first table, as lists of cell texts."""
    rows, row, in_body = [], None, False
    for t in tokens:
        if t.type == "tbody_open":
            in_body = True
        elif t.type == "tbody_close":
            break
        elif in_body and t.type == "tr_open":
            row = []
        elif in_body and t.type == "tr_close":
            rows.append(row)
        elif in_body and t.type == "inline" and row is not None:
            row.append(t.content.strip("`*"))
    return rows


def check_comment(text):
    """What every Markdown plan must be: under GitHub's limit, no terminal
    escapes, every <details> closed, every fence a diff fence whose lines
    begin with a sign or a space."""
    assert len(text) <= COMMENT_MAX
    assert "\033" not in text
    assert text.count("<details>") == text.count("</details>")
    tokens = parse(text)
    for fence in fences(tokens):
        assert fence.info == "diff"
        for line in fence.content.splitlines():
            assert line[:1] in ("+", "-", "!", " ", "#", ""), line
    return tokens


def test_plan_markdown(cli, run, s3):
    cli.write_stack(STACK)
    run("apply", "-auto-approve", check=True)
    cli.write_stack(CHANGED)
    _, out, _ = run("plan", "-markdown", "-out", "plan.json", check=True)
    tokens = check_comment(out)
    assert out.startswith("### mlstack plan: `md`")
    assert "Saved the plan" not in out

    rows = {r[0]: r[1:] for r in table_rows(tokens)}
    assert rows["aws_s3_bucket"] == ["1", "0", "1", "1"]
    assert rows["aws_iam_role"] == ["0", "1", "0", "0"]
    assert rows["Total"] == ["1", "1", "1", "1"]

    # warnings come before the resources: the bucket's replacement (it
    # holds data) and the destroy
    warn = out.index("[!WARNING]")
    assert warn < out.index("<details>")
    block = out[warn:out.index("\n\n", warn)]
    assert "`data_bucket` (aws_s3_bucket) must be replaced (`bucket` changed)" \
        in block
    assert "`scratch` (aws_s3_bucket) will be destroyed" in block
    assert "role" not in block

    summaries = re.findall(r"<summary>(.*?)</summary>", out)
    assert "<code>+ logs</code> (aws_s3_bucket) will be created" in summaries
    assert ("<code>~ role</code> (aws_iam_role) will be updated in place"
            in summaries)
    # the policy's change is there, the sign in the first column
    role = next(f.content for f in fences(tokens)
                if 'resource "aws_iam_role"' in f.content)
    assert re.search(r"^!.*inline_policies", role, re.M)
    assert "s3:DeleteObject" in role
    bucket = next(f.content for f in fences(tokens)
                  if '"data_bucket"' in f.content)
    assert re.search(r"^!.*bucket .*# forces replacement$", bucket, re.M)

    _, shown, _ = run("show", "-markdown", "plan.json", check=True)
    assert shown == out


def test_markdown_drift_and_no_changes(cli, run, s3):
    cli.write_stack(STACK)
    run("apply", "-auto-approve", check=True)
    _, out, _ = run("plan", "-markdown", check=True)
    check_comment(out)
    assert "No changes. Your infrastructure matches the configuration." in out
    assert "<details>" not in out

    s3.put_bucket_tagging(Bucket="md-data", Tagging={"TagSet": [
        {"Key": "team", "Value": "someone-else"}]})
    _, out, _ = run("plan", "-markdown", check=True)
    check_comment(out)
    assert ("<code>~ data_bucket</code> (aws_s3_bucket) changed outside of "
            "mlstack" in out)
    assert "someone-else" in out


def test_markdown_fits_a_comment(cli, run):
    lines = ["stack: big", "resources:"]
    for i in range(600):
        lines += [f"  b{i}:", "    type: aws_s3_bucket",
                  f"    properties: {{bucket: big-bucket-{i:04d}, "
                  f"tags: {{team: ml, index: '{i}'}}}}"]
    cli.write_stack("\n".join(lines) + "\n")
    _, text, _ = run("plan", "-refresh=false", check=True)
    _, out, _ = run("plan", "-refresh=false", "-markdown", check=True)
    check_comment(out)
    assert len(out) > COMMENT_MAX // 2
    rows = {r[0]: r[1:] for r in table_rows(parse(out))}
    assert rows["Total"] == ["600", "0", "0", "0"]
    shown = out.count("<details>")
    assert 0 < shown < 600
    assert f"{600 - shown} of 600 resources are not shown in full" in out
    # nothing is cut mid-line: every line of a block is one of the plan's
    def bare(line):
        return line.strip().lstrip("+-~!").strip()
    plan_lines = {bare(ln) for ln in text.splitlines()}
    for fence in fences(parse(out)):
        for line in fence.content.splitlines():
            assert bare(line) in plan_lines, line


def test_markdown_of_a_diff_and_options(cli, run):
    cli.write_stack(STACK)
    code, _, err = run("plan", "-json", "-markdown")
    assert code == 1
    assert "-json and -markdown" in err
    code, _, err = run("output", "-markdown")
    assert code == 1
    assert "does not take option" in err
