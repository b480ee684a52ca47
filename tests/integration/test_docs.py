"""The docs tell what the code does: the attribute tables of every page in
docs/resources/ are what `mlstack schema TYPE` prints, every resource type
has a page, and `mlstack schema` itself answers as documented."""

import json
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
