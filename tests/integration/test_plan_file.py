"""A saved plan is checked against its format before show or apply reads
it: a broken file is one error naming the wrong key, never a crash, and
apply changes nothing."""

import json

import pytest

from helpers import bucket_names, last_line

STACK = """
stack: planfile
resources:
  store:
    type: aws_s3_bucket
    properties: {bucket: planfile-data}
  logs:
    type: aws_s3_bucket
    properties: {bucket: planfile-logs}
"""


def null_action(p):
    p["changes"][0]["action"] = None


def no_stack(p):
    del p["stack"]


def unknown_action(p):
    p["changes"][1]["action"] = "explode"


def changes_not_array(p):
    p["changes"] = {"store": {}}


def change_not_object(p):
    p["changes"][0] = "store"


def create_without_after(p):
    p["changes"][0]["after"] = None


def unknown_type(p):
    p["changes"][0]["type"] = "aws_s3_buckett"


def duplicate_name(p):
    p["changes"][1]["name"] = p["changes"][0]["name"]


def wrong_version(p):
    p["format_version"] = "7"


def dependencies_not_strings(p):
    p["changes"][0]["dependencies"] = [1]


def not_object(p):
    return [p]


BROKEN = [
    (null_action, "changes[0].action: expected a string"),
    (no_stack, "stack: missing"),
    (unknown_action, 'changes[1].action: "explode" is not one of'),
    (changes_not_array, "changes: expected an array"),
    (change_not_object, "changes[0]: expected an object"),
    (create_without_after, "changes[0].after: a create needs"),
    (unknown_type, 'changes[0].type: unknown resource type "aws_s3_buckett"'),
    (duplicate_name, "changes[1].name:"),
    (wrong_version, 'format_version: "7"'),
    (dependencies_not_strings, "changes[0].dependencies: expected an array "
                               "of strings"),
    (not_object, "not a JSON object"),
]


@pytest.mark.parametrize("breaks,message", BROKEN,
                         ids=[b[0].__name__ for b in BROKEN])
def test_broken_plan_is_refused(cli, run, s3, breaks, message):
    cli.write_stack(STACK)
    run("plan", "-out", "plan.json", check=True)
    plan = json.loads((cli.workdir / "plan.json").read_text())
    plan = breaks(plan) or plan
    (cli.workdir / "plan.json").write_text(json.dumps(plan))

    for args in (("show", "plan.json"), ("show", "-json", "plan.json"),
                 ("apply", "plan.json")):
        code, out, err = run(*args)
        assert code == 1, args
        assert err.count("\n") == 1, err
        assert last_line(err).startswith(
            'Error: plan file "plan.json": not a valid mlstack plan: ')
        assert message in err
    assert bucket_names(s3) == set()
    # the state is untouched and unlocked: the good plan still applies
    run("plan", "-out", "plan.json", check=True)
    run("apply", "plan.json", check=True)
    assert bucket_names(s3) == {"planfile-data", "planfile-logs"}
