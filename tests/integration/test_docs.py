"""The docs tell what the code does: the attribute tables of every page in
docs/resources/ are what `mlstack schema TYPE` prints, every resource type
has a page, `mlstack schema` itself answers as documented, and docs/cli.md
names every command and every option each takes."""

import json
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "docs"))

import schema_tables  # noqa: E402


def test_resource_pages_match_the_schema(mlstack_bin):
    assert schema_tables.problems(mlstack_bin) == []


def test_a_page_that_disagrees_is_found(mlstack_bin, tmp_path, monkeypatch):
    pages = tmp_path / "resources"
    pages.mkdir()
    for page in schema_tables.DOCS.glob("*.md"):
        (pages / page.name).write_text(page.read_text())
    model = pages / "aws_sagemaker_model.md"
    model.write_text(model.read_text().replace("| `image` | string | yes",
                                               "| `image` | string | no"))
    (pages / "aws_s3_bucket.md").unlink()
    monkeypatch.setattr(schema_tables, "DOCS", pages)
    assert schema_tables.problems(mlstack_bin) == [
        f"{pages}/aws_s3_bucket.md: no page for resource type aws_s3_bucket",
        f"{model}: the tables differ from `mlstack schema "
        f"aws_sagemaker_model` (run make docs)",
    ]


def test_schema_command(run):
    code, out, _ = run("schema")
    assert code == 0
    assert "aws_sagemaker_notebook_instance" in out.split()
    code, out, _ = run("schema", "aws_sagemaker_model", "-json")
    assert code == 0
    model = json.loads(out)
    assert model["id"] == "name" and model["auto_name"] == "name"
    image = model["attributes"][2]["attributes"][0]
    assert image == {"name": "image", "type": "string", "required": True,
                     "computed": False, "optional_computed": False,
                     "force_new": False, "sensitive": False, "tags": False,
                     "doc": "the inference image (an ECR image URI)",
                     "wire": "Image"}
    code, _, err = run("schema", "aws_nothing")
    assert code == 1
    assert err.strip() == 'Error: no resource type "aws_nothing"'


def cli_sections():
    """docs/cli.md's sections: "## Global options" and each "### command"
    by the command's name, to their text."""
    text = (Path(__file__).resolve().parents[2] / "docs" / "cli.md").read_text()
    sections = {}
    for part in re.split(r"^(?=##+ )", text, flags=re.M):
        title = part.splitlines()[0] if part.startswith("#") else ""
        if title.startswith("### "):
            sections.setdefault(title.split()[1], "")
            sections[title.split()[1]] += part
        elif title == "## Global options":
            sections["global"] = part
    return sections


def usage_options(usage, title):
    lines = usage.splitlines()
    if f"{title}:" not in lines:
        return []
    found = []
    for ln in lines[lines.index(f"{title}:") + 1:]:
        if not ln.startswith("  -"):
            break
        shown = re.split(r"\s{2,}", ln.strip())[0]
        found += [s.split()[0] for s in shown.split(", ")]
    return found


def test_cli_page_lists_every_command_and_option(run):
    """Each command `mlstack help` lists has a section in docs/cli.md that
    names every option `mlstack COMMAND -h` lists."""
    sections = cli_sections()
    _, usage, _ = run("help")
    commands = [ln.split()[0] for ln in
                usage.split("Commands:\n", 1)[1].split("\n\n", 1)[0]
                .splitlines()]
    def named(option, text):
        return re.search(r"`[^`\n]*(?<![\w-])" + re.escape(option) +
                         r"(?![\w-])", text)

    missing = []
    for option in usage_options(usage, "Global options (every command "
                                "takes them)"):
        if not named(option, sections["global"]):
            missing.append(f"global {option}")
    for command in commands:
        if command not in sections:
            missing.append(f"no section for {command}")
            continue
        _, usage, _ = run(command, "-h")
        for option in usage_options(usage, "Options"):
            if not named(option, sections[command]):
                missing.append(f"{command} {option}")
    assert missing == []


def test_lint_page_describes_every_rule(run):
    """docs/lint.md has a section for each rule `mlstack lint -rules`
    lists, with its severity, its Checkov id (or none), why and the fix,
    and a row in the rules table."""
    text = (Path(__file__).resolve().parents[2] / "docs" / "lint.md").read_text()
    _, out, _ = run("lint", "-rules", "-json", check=True)
    rules = json.loads(out)
    assert len(rules) >= 20
    sections = {}
    for part in re.split(r"^(?=### )", text, flags=re.M):
        if part.startswith("### MLS-"):
            sections[part.split()[1]] = part
    assert sorted(sections) == sorted(r["id"] for r in rules)
    for r in rules:
        body = sections[r["id"]]
        checkov = f"`{r['checkov']}`" if r.get("checkov") else "none"
        assert f"Severity **{r['severity']}**" in body, r["id"]
        assert f"Checkov: {checkov}." in body, r["id"]
        assert "Why: " in body and "Fix: " in body, r["id"]
        row = re.search(rf"^\| \[{r['id']}\]\(#[^)]*\) \| {r['severity']} \|"
                        rf".*\| {r.get('checkov') or '—'} \|$", text, re.M)
        assert row, r["id"]
