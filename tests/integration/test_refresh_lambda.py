"""Refresh by listing of Lambda functions (docs/refresh.md): ListFunctions
gives every function's configuration and versions a page of many at a
time, the tagging API their tags; every change made behind mlstack's back
is still shown, and a function the lists cannot settle is read alone."""

import io
import json
import zipfile

import pytest

from helpers import (NO_CHANGES, apply_ok, call_counts, last_line, plan_counts,
                     plan_ok)

STACK = "refresh-fn"


def fn_stack(n, publish=False):
    out = [f"stack: {STACK}", "resources:", """  role:
    type: aws_iam_role
    properties:
      name: refresh-fn-role
      assume_role_policy: {Version: "2012-10-17", Statement: [{Effect: Allow, Principal: {Service: lambda.amazonaws.com}, Action: "sts:AssumeRole"}]}"""]
    for i in range(n):
        out.append(f"""  fn{i}:
    type: aws_lambda_function
    properties:
      function_name: refresh-fn-{i}
      role: ${{role.arn}}
      runtime: python3.12
      handler: handler.main
      source: code
      memory_size: 256
      environment: {{N: "{i}"}}
      publish: {"true" if publish else "false"}
      tags: {{n: "{i}"}}""")
    return "\n".join(out) + "\n"


@pytest.fixture
def lam(emulator, cli):
    (cli.workdir / "code").mkdir()
    (cli.workdir / "code/handler.py").write_text("def main(e, c):\n"
                                                 "    return 1\n")
    cli.env["MLSTACK_WAIT_DELAY"] = "0.05"
    return emulator.client("lambda")


def apply(run, n=None, **kw):
    apply_ok(run, **({"stack": fn_stack(n, **kw)} if n else {}))


def plan(run):
    return plan_ok(run, "-no-color")


def test_unchanged_functions_are_read_by_listing(run, lam, proxy):
    apply(run, 4, publish=True)
    proxy.clear_calls()

    code, out = plan(run)
    assert code == 0 and last_line(out) == NO_CHANGES, out
    # no GetFunction or ListVersionsByFunction (two calls a function)
    assert call_counts(proxy, "lambda") == {"ListFunctions": 1}
    assert call_counts(proxy, "tagging") == {"GetResources": 1}


def test_function_list_pages_through_several_pages(run, cli, lam, proxy):
    apply(run, 5, publish=True)
    proxy.clear_calls()
    cli.env["MLSTACK_LIST_PAGE_SIZE"] = "3"

    code, out = plan(run)
    assert code == 0 and last_line(out) == NO_CHANGES, out
    # five functions and a published version of each: 10 at 3 a page
    assert call_counts(proxy, "lambda") == {"ListFunctions": 4}
    assert call_counts(proxy, "tagging") == {"GetResources": 2}


def fn_arn(lam, i):
    return lam.get_function(
        FunctionName=f"refresh-fn-{i}")["Configuration"]["FunctionArn"]


def set_config(**kw):
    def change(lam, i):
        lam.update_function_configuration(FunctionName=f"refresh-fn-{i}",
                                          **kw)
    return change


DRIFT = {
    # what is changed behind mlstack's back -> a line the plan must show
    "memory": (set_config(MemorySize=512),
               "~ memory_size   = 512 -> 256"),
    "timeout": (set_config(Timeout=30), "~ timeout       = 30 -> 3"),
    "description": (set_config(Description="by hand"),
                    '~ description   = "by hand" -> ""'),
    "environment": (set_config(Environment={"Variables": {"N": "9"}}),
                    "~ environment   = (sensitive)"),
    "handler": (set_config(Handler="other.main"),
                '~ handler       = "other.main" -> "handler.main"'),
    "tag changed": (
        lambda lam, i: lam.tag_resource(Resource=fn_arn(lam, i),
                                        Tags={"n": "changed"}),
        '~ "n"                = "changed" -> "1"'),
    "tag removed": (
        lambda lam, i: lam.untag_resource(Resource=fn_arn(lam, i),
                                          TagKeys=["n"]),
        '+ "n"                = "1"'),
}


@pytest.mark.parametrize("change", sorted(DRIFT))
def test_every_function_drift_is_caught(run, lam, proxy, change):
    apply(run, 3)
    how, shown = DRIFT[change]
    how(lam, 1)
    proxy.clear_calls()

    code, out = plan(run)
    assert code == 2, out
    assert "# fn1 will be updated in place" in out, out
    assert plan_counts(out) == (0, 1, 0)
    assert shown in out, out
    calls = call_counts(proxy, "lambda")
    if change.startswith("tag"):
        # tags the tagging API shows otherwise may be it lagging behind
        # an apply: the function is read alone, and its tags shown
        assert calls == {"ListFunctions": 1, "GetFunction": 1,
                         "ListVersionsByFunction": 1}, calls
    else:
        assert calls == {"ListFunctions": 1}, calls


def test_version_published_by_hand_is_read_from_the_list(run, lam, proxy):
    apply(run, 2, publish=True)
    for memory in (512, 1024):    # a version a change
        lam.update_function_configuration(FunctionName="refresh-fn-0",
                                          MemorySize=memory)
        while lam.get_function(FunctionName="refresh-fn-0")[
                "Configuration"].get("LastUpdateStatus") == "InProgress":
            pass                  # the emulator ends it after a few polls
        lam.publish_version(FunctionName="refresh-fn-0")
    proxy.clear_calls()

    code, out, err = run("plan", "-json")
    assert code == 0, err
    # the newest version published (3), from the list's versions alone
    prior = {r["name"]: r["values"] for r in json.loads(out)[
        "prior_state"]["values"]["root_module"]["resources"]}
    assert prior["fn0"]["version"] == "3", prior["fn0"]
    assert prior["fn0"]["qualified_arn"].endswith(":refresh-fn-0:3")
    assert prior["fn1"]["version"] == "1", prior["fn1"]
    assert call_counts(proxy, "lambda") == {"ListFunctions": 1}


def test_function_deleted_behind_its_back_is_planned_again(run, lam,
                                                           proxy):
    apply(run, 3)
    lam.delete_function(FunctionName="refresh-fn-0")
    proxy.clear_calls()

    code, out = plan(run)
    assert code == 2, out
    assert "# fn0 will be created" in out, out
    assert plan_counts(out) == (1, 0, 0)
    # not listed: its own GetFunction decides
    assert call_counts(proxy, "lambda") == {"ListFunctions": 1,
                                            "GetFunction": 1}
    apply(run)
    code, out = plan(run)
    assert code == 0 and last_line(out) == NO_CHANGES, out


def test_lists_cut_short_leave_what_they_missed_to_a_read(run, lam, cli,
                                                         proxy, emulator):
    # a function of the stack among five others, at one a page:
    # ListFunctions stops after one page (the stack has one function);
    # a page may show a function's $LATEST and not all its versions, so
    # a list cut short settles nothing: the function is read alone
    apply(run, 1)
    role = emulator.client("iam").get_role(
        RoleName="refresh-fn-role")["Role"]["Arn"]
    code = (cli.workdir / "code/handler.py").read_bytes()
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("handler.py", code)
    for i in range(5):
        lam.create_function(FunctionName=f"other-{i}", Role=role,
                            Runtime="python3.12", Handler="handler.main",
                            Code={"ZipFile": buf.getvalue()},
                            Tags={"other": str(i)})
    cli.env["MLSTACK_LIST_PAGE_SIZE"] = "1"
    proxy.clear_calls()

    code, out = plan(run)
    assert code == 0 and last_line(out) == NO_CHANGES, out
    assert call_counts(proxy, "lambda") == {"ListFunctions": 1,
                                            "GetFunction": 1,
                                            "ListVersionsByFunction": 1}
    assert call_counts(proxy, "tagging") == {}
