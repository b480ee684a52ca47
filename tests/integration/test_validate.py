"""validate: broken stack files are refused with file:line:col messages,
never with a crash; a valid one passes. validate is offline."""

import os
import re
import resource
import subprocess

import pytest

from helpers import SAGEMAKER_FULL_ACCESS, SAGEMAKER_TRUST_YAML

LOCATION = re.compile(r"^mlstack\.yaml:(\d+):(\d+): ")

VALID = f"""
stack: valid-stack
region: us-east-1
tags: {{project: tests}}
variables:
  prefix: {{default: vs, description: prefix of every name}}
resources:
  store:
    type: aws_s3_bucket
    properties:
      bucket: ${{var.prefix}}-data
      versioning: true
  role:
    type: aws_iam_role
    properties:
      name: ${{var.prefix}}-role
      assume_role_policy: {SAGEMAKER_TRUST_YAML}
      managed_policy_arns: [{SAGEMAKER_FULL_ACCESS}]
      inline_policies:
        store:
          Version: "2012-10-17"
          Statement:
            - {{Effect: Allow, Action: "s3:*", Resource: "${{store.arn}}/*"}}
    depends_on: [store]
outputs:
  bucket: ${{store.bucket}}
  role_arn: ${{role.arn}}
"""


def bucket_stack(props, name="store", extra=""):
    return ("stack: broken\nresources:\n"
            f"  {name}:\n    type: aws_s3_bucket\n    properties:\n"
            + "".join(f"      {p}\n" for p in props) + extra)


def bomb():
    levels = "abcdefghi"
    lines = ["stack: bomb", "variables:"]
    lines.append("  a: {default: &a [lol, lol, lol, lol, lol, lol, lol, "
                 "lol, lol]}")
    for prev, cur in zip(levels, levels[1:]):
        refs = ", ".join([f"*{prev}"] * 9)
        lines.append(f"  {cur}: {{default: &{cur} [{refs}]}}")
    lines += ["resources:", "  data:", "    type: aws_s3_bucket",
              "    properties:", "      bucket: bomb-data",
              "      tags: {lol: ${var.i}}"]
    return "\n".join(lines) + "\n"


def cycle():
    text = "stack: cyclic\nresources:\n"
    for name, dep in (("alpha", "charlie"), ("bravo", "alpha"),
                      ("charlie", "bravo"), ("delta", "alpha")):
        text += (f"  {name}:\n    type: aws_s3_bucket\n    properties:\n"
                 f"      bucket: cyc-{name}\n"
                 f"      tags: {{after: '${{{dep}.arn}}'}}\n")
    return text


# (id, stack text, substrings the error output must contain, the line
# (1-based) the first message must point at: a number, a tuple of the
# acceptable ones (the resource's key or the offending value), or None)
BROKEN = [
    ("yaml-syntax", bucket_stack(["bucket: [unclosed, list", "versioning: true"]),
     [], None),
    ("yaml-tab-indent", "stack: tabs\nresources:\n\tdata:\n\t\ttype: x\n",
     [], None),
    ("yaml-duplicate-key", bucket_stack(["bucket: one", "bucket: two"]),
     ["bucket"], (6, 7)),
    ("not-a-mapping", "- just\n- a list\n", [], 1),
    ("unknown-top-level-key", "stack: s\nresources: {}\nresorces: {}\n",
     ["resorces"], 3),
    ("bad-stack-name", "stack: Not_Valid\nresources: {}\n",
     ["Not_Valid"], 1),
    ("unknown-type", "stack: broken\nresources:\n  data:\n"
     "    type: aws_s3_buckit\n    properties: {bucket: b-data}\n",
     ["aws_s3_buckit", "did you mean", "aws_s3_bucket"], (3, 4)),
    ("missing-type", "stack: broken\nresources:\n  data:\n"
     "    properties: {bucket: b-data}\n", ["type"], 3),
    ("unknown-attribute", bucket_stack(["bucket: b-data", "versoning: true"]),
     ["versoning", "did you mean", '"versioning"'], 7),
    ("missing-required", bucket_stack(["versioning: true"]), ["bucket"], None),
    ("wrong-type-bool", bucket_stack(["bucket: b-data",
                                      "versioning: {enabled: true}"]),
     ["versioning"], 7),
    ("wrong-type-map", bucket_stack(["bucket: b-data", "tags: [a, b]"]),
     ["tags"], 7),
    ("bad-reference", bucket_stack(["bucket: ${nosuch.bucket}-x"]),
     ["nosuch"], 6),
    ("bad-attribute-reference", bucket_stack(["bucket: b-data"]) +
     "  other:\n    type: aws_s3_bucket\n    properties:\n"
     "      bucket: ${store.no_such_attr}\n", ["no_such_attr"], 10),
    ("undefined-variable", bucket_stack(["bucket: ${var.nope}-data"]),
     ["nope"], 6),
    ("name-charset", bucket_stack(["bucket: Big_Data"]),
     ["bucket \"Big_Data\": 'B' is not allowed; aws_s3_bucket names are "
      "made of a-z0-9.-"], 6),
    ("name-length", bucket_stack(["bucket: " + "b" * 64]),
     ["is 64 characters long; aws_s3_bucket names are 3 to 63"], 6),
    ("unterminated-expression", bucket_stack(["bucket: ${var.x"]), [], 6),
    ("depends-on-unknown", bucket_stack(["bucket: b-data"],
                                        extra="    depends_on: [ghost]\n"),
     ["ghost"], (3, 7)),
    ("variable-index-out-of-range",
     "stack: broken\nvariables:\n  zones: {default: [a, b, c]}\n"
     + bucket_stack(["bucket: data-${var.zones[3]}"]).split("\n", 1)[1],
     ['reference "${var.zones[3]}": index [3] out of range (the list has '
      '3 elements)'], 8),
    ("variable-key-of-a-string",
     "stack: broken\nvariables:\n  prefix: {default: dogs}\n"
     + bucket_stack(["bucket: ${var.prefix.name}-data"]).split("\n", 1)[1],
     ['reference "${var.prefix.name}": cannot read key "name" of a string'],
     8),
    ("variable-list-in-a-string",
     "stack: broken\nvariables:\n  zones: {default: [a, b]}\n"
     + bucket_stack(["bucket: data-${var.zones}"]).split("\n", 1)[1],
     ['reference "${var.zones}": cannot interpolate a list into a string'],
     8),
    ("tag-holding-a-map",
     "stack: broken\nvariables:\n  owner: {default: {team: ml}}\n"
     + bucket_stack(["bucket: b-data",
                     "tags: {owner: '${var.owner}'}"]).split("\n", 1)[1],
     ['attribute "tags.owner": expected a string, got a map'], 9),
    ("bucket-two-periods", bucket_stack(["bucket: dogs..data"]),
     ['bucket "dogs..data": two periods in a row are not allowed'], 6),
    ("bucket-ip-address", bucket_stack(["bucket: 192.168.5.4"]),
     ["in the form of an IP address"], 6),
    ("bucket-reserved-suffix", bucket_stack(["bucket: dogs-s3alias"]),
     ['the suffix "-s3alias" is reserved by S3'], 6),
    ("notebook-name-underscore",
     "stack: broken\nresources:\n  nb:\n"
     "    type: aws_sagemaker_notebook_instance\n    properties:\n"
     "      name: dog_breeds\n      instance_type: ml.t3.medium\n"
     "      role_arn: arn:aws:iam::123456789012:role/nb\n",
     ["name \"dog_breeds\": '_' is not allowed"], 6),
    ("malformed-arn",
     "stack: broken\nresources:\n  nb:\n"
     "    type: aws_sagemaker_notebook_instance\n    properties:\n"
     "      name: dog-breeds\n      instance_type: ml.t3.medium\n"
     "      role_arn: arn:aws:iam:role/nb\n",
     ['attribute "role_arn": "arn:aws:iam:role/nb" is not an ARN'], 8),
    ("policy-not-json",
     "stack: broken\nresources:\n  role:\n    type: aws_iam_role\n"
     "    properties:\n      name: dogs\n"
     "      assume_role_policy: '{\"Statement\": [}'\n",
     ['attribute "assume_role_policy": not valid JSON:',
      "(line 1, column 16 of the text)"], 7),
    ("policy-without-statement",
     "stack: broken\nresources:\n  role:\n    type: aws_iam_role\n"
     "    properties:\n      name: dogs\n"
     "      assume_role_policy: {Version: '2012-10-17'}\n",
     ['attribute "assume_role_policy": a policy document needs '
      '"Statement"'], 7),
    ("cycle", cycle(), ["alpha", "bravo", "charlie"], None),
    ("alias-bomb", bomb(), [], None),
    ("empty-file", "", [], None),
    ("only-comments", "# nothing here\n", [], None),
]


@pytest.mark.parametrize("text,needles,line",
                         [pytest.param(t, n, ln, id=i)
                          for i, t, n, ln in BROKEN])
def test_broken_stack_is_refused(run, proxy, text, needles, line):
    code, out, err = run("validate", stack=text, timeout=60)
    assert code == 1
    lines = err.splitlines()
    assert lines, "no error message"
    m = LOCATION.match(lines[0])
    assert m, f"first line is not 'mlstack.yaml:LINE:COL: message': {lines[0]!r}"
    for needle in needles:
        assert needle in err
    if line is not None:
        allowed = line if isinstance(line, tuple) else (line,)
        assert int(m.group(1)) in allowed, lines[0]
    assert "Sanitizer" not in err and "runtime error" not in err
    assert "The stack is valid." not in out
    assert proxy.calls() == [], "validate must not call AWS"


def test_cycle_names_each_member_in_one_message(run):
    code, _, err = run("validate", stack=cycle())
    assert code == 1
    msgs = [ln for ln in err.splitlines() if "cycle" in ln.lower()]
    assert msgs, err
    assert any(all(n in ln for n in ("alpha", "bravo", "charlie"))
               for ln in msgs), err
    assert not any("delta" in ln for ln in msgs), \
        "delta depends on the cycle but is not on it"


def test_every_problem_is_reported(run):
    text = ("stack: many\nresources:\n"
            "  one:\n    type: aws_s3_bucket\n    properties:\n"
            "      bucket: one-b\n      versoning: true\n"
            "  two:\n    type: aws_s3_bucket\n    properties:\n"
            "      bucket: two-b\n      forse_destroy: true\n")
    code, _, err = run("validate", stack=text)
    assert code == 1
    located = [LOCATION.match(ln) for ln in err.splitlines()]
    assert [int(m.group(1)) for m in located if m] == [7, 12], err


OFFLINE = """\
stack: offline
variables:
  zones: {default: [a, b, c]}
  prefix: {default: Dogs}
  owner: {default: {team: ml}}
resources:
  store:
    type: aws_s3_bucket
    properties:
      bucket: ${var.prefix}_data
      tags: {owner: "${var.owner}", zone: "${var.zones[3]}", x: "${var.prefix.key}"}
  logs:
    type: aws_s3_bucket
    properties:
      bucket: logs..data
  nb:
    type: aws_sagemaker_notebook_instance
    properties:
      name: dog_breeds-
      instance_type: ml.t3.medium
      role_arn: arn:aws:iam:role/nb
  role:
    type: aws_iam_role
    properties:
      name: dogs
      assume_role_policy: '{"Statement": [}'
      managed_policy_arns: [AmazonSageMakerFullAccess]
      inline_policies:
        read: {Version: "2012-10-17"}
"""


def test_offline_rules_all_at_once(run, proxy):
    """Everything validate can know without AWS is said in one run, each
    problem at its own line and column."""
    code, out, err = run("validate", stack=OFFLINE)
    assert code == 1
    got = [(int(m.group(1)), int(m.group(2)))
           for m in map(LOCATION.match, err.splitlines()) if m]
    assert got == [(10, 15), (11, 21), (11, 43), (11, 65), (15, 15),
                   (19, 13), (21, 17), (26, 27), (27, 29), (29, 15)], err
    for needle in ('bucket "Dogs_data": \'D\' is not allowed',
                   'attribute "tags.owner": expected a string, got a map',
                   'index [3] out of range (the list has 3 elements)',
                   'cannot read key "key" of a string',
                   'bucket "logs..data": two periods in a row',
                   'name "dog_breeds-"',
                   '"arn:aws:iam:role/nb" is not an ARN',
                   'assume_role_policy": not valid JSON',
                   '"AmazonSageMakerFullAccess" is not an ARN',
                   'inline_policies.read": a policy document needs '
                   '"Statement"'):
        assert needle in err
    assert "The stack is valid." not in out
    assert proxy.calls() == []


def test_plan_time_error_points_at_the_value(run):
    """A value known only at plan time (a resource's attribute) that breaks
    a rule is reported at its place in the stack file."""
    text = ("stack: late\nresources:\n  store:\n    type: aws_s3_bucket\n"
            "    properties:\n      bucket: late-store\n"
            "  role:\n    type: aws_iam_role\n    properties:\n"
            "      name: late-role\n"
            "      assume_role_policy: {Statement: []}\n"
            "      max_session_duration: ${store.bucket}\n"
            "      managed_policy_arns: ['${store.bucket}']\n")
    code, _, err = run("validate", stack=text)
    assert code == 0, err
    code, _, err = run("plan", stack=text)
    assert code == 1
    assert ('mlstack.yaml:12:29: resource "role": attribute '
            '"max_session_duration": expected a number, got "late-store"'
            in err), err


def test_valid_stack(run, proxy, cli):
    code, out, err = run("validate", stack=VALID)
    assert code == 0, err
    assert "The stack is valid." in out
    assert proxy.calls() == []
    # no state read, none made: validate runs on any checkout
    assert not cli.state_dir.exists()


def test_valid_without_credentials(run, cli):
    # validate is offline: it needs neither credentials nor a network.
    env = {k: "" for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
                           "AWS_SESSION_TOKEN")}
    env["AWS_ENDPOINT_URL"] = "https://127.0.0.1:9"
    code, out, err = run("validate", stack=VALID, env=env)
    assert code == 0, err
    assert "The stack is valid." in out


def _big_map_stack(copies):
    """A map of 50,000 entries and copies aliases of it: each copy is a
    map of its own (a few MiB), though its scalars are shared."""
    big = ", ".join(f"k{i}: 1" for i in range(50000))
    return "\n".join([
        "stack: aliases", "variables:", f"  a: {{default: &a {{{big}}}}}",
        "  b: {default: [" + ", ".join(["*a"] * copies) + "]}",
        "resources: {}"]) + "\n"


def test_alias_expansion_is_budgeted_in_bytes(run):
    """Three levels of aliases of a 1 MiB string: a valid 1 MiB file that
    would expand to 1 GiB stops at the byte budget, at once."""
    big = "x" * (1024 * 1024 - 400)
    text = "\n".join([
        "stack: bomb", "variables:", f'  a: {{default: &a "{big}"}}',
        "  b: {default: &b [" + ", ".join(["*a"] * 10) + "]}",
        "  c: {default: &c [" + ", ".join(["*b"] * 10) + "]}",
        "  d: {default: [" + ", ".join(["*c"] * 10) + "]}",
        "resources: {}"]) + "\n"
    code, out, err = run("validate", stack=text)
    assert code == 1
    assert err == ("mlstack.yaml:5:20: values too large (more than 16 MiB "
                   "after alias expansion)\n")


def _vm_limited(kib):
    def limit():
        resource.setrlimit(resource.RLIMIT_AS, (kib * 1024, kib * 1024))
    return limit


@pytest.mark.skipif("san" in os.environ.get("MLSTACK_BIN", ""),
                    reason="AddressSanitizer needs an unlimited address space")
def test_out_of_memory_is_said(cli):
    """An allocation that fails is reported as out of memory, not read as
    a missing value."""
    cli.write_stack(_big_map_stack(1), "small.yaml")
    cli.write_stack(_big_map_stack(14), "large.yaml")

    def validate(name, kib):
        return subprocess.run(
            [cli.binary, "-f", name, "validate"], cwd=cli.workdir,
            env=cli.env, capture_output=True, text=True,
            preexec_fn=_vm_limited(kib))

    # the smallest address space the small file validates in ...
    kib = 16 * 1024
    while validate("small.yaml", kib).returncode != 0:
        kib += 4 * 1024
        assert kib < 1024 * 1024
    # ... is too small for the large one (14 copies of the map)
    proc = validate("large.yaml", kib + 4 * 1024)
    assert proc.returncode == 1
    assert proc.stderr == "Error: out of memory\n"


def test_many_resources_every_problem_once_in_order(run):
    """A stack large enough to be checked on several threads (a run of
    resources each) says each problem once, in the file's order, as one
    thread would: a key's and a value's problems, an unknown type and
    references across the runs, found while loading and once every name
    is known."""
    n = 1500
    lines = ["stack: many", "resources:"]
    want = []  # (line, words in the message)

    for i in range(n):
        lines += [f"  b{i}:"]
        if i == 1100:
            lines += ["    type: aws_s3_buckt"]
            want.append((len(lines), ['unknown type "aws_s3_buckt"',
                                      'did you mean "aws_s3_bucket"']))
        else:
            lines += ["    type: aws_s3_bucket"]
        lines += ["    properties:", f"      bucket: many-{i}"]
        if i % 150 == 7:
            lines += ["      versoning: true"]
            want.append((len(lines), ['unknown attribute "versoning"',
                                      'did you mean "versioning"']))
        if i % 150 == 77:
            other = (i + n // 2) % n
            lines += [f"      tags: {{a: \"${{b{other}.arn}}\", "
                      f"b: \"${{b{other}.nope}}\"}}"]
            want.append((len(lines), [f'"${{b{other}.nope}}"',
                                      'has no attribute "nope"']))
        if i == 1400:
            lines += ["    depends_on: [b3, b9999]"]
            want.append((len(lines), ['no resource "b9999"']))
    code, _, err = run("validate", stack="\n".join(lines) + "\n")
    assert code == 1
    got = [(int(m.group(1)), ln) for ln in err.splitlines()
           if (m := LOCATION.match(ln))]
    assert [line for line, _ in got] == [line for line, _ in want], err
    for (_, text), (_, words) in zip(got, want):
        assert all(w in text for w in words), text


def _big(n=3000):
    """A stack file past the size whose parse runs on a second thread
    (64 KiB): n buckets, three lines each, from line 3."""
    lines = ["stack: big", "resources:"]
    for i in range(n):
        lines += [f"  b{i}:", "    type: aws_s3_bucket",
                  f"    properties: {{bucket: big-{i}}}"]
    return lines


@pytest.mark.parametrize("where, insert, want", [
    (9002, "  bad: [unclosed",
     "mlstack.yaml:9004:1: invalid YAML: did not find expected ',' or ']'"),
    (4000, "    properties: {bucket: x",
     "mlstack.yaml:4002:15: invalid YAML: did not find expected ',' or '}'"),
    (5000, "---\nstack: again",
     "mlstack.yaml:5001:1: only one YAML document is allowed"),
    (3000, "  b999: {type: aws_s3_bucket, properties: {bucket: dup}}",
     'mlstack.yaml:3001:3: duplicate key "b999" (first defined at 3000:3)'),
])
def test_large_file_read_in_order(run, where, insert, want):
    """The parser's events reach the reader whole and in order however
    the batches fall: a problem late in a large file (or one that stops
    the reading half-way) is said at its own line, as in a small file."""
    lines = _big()
    lines[where:where] = insert.split("\n")
    code, _, err = run("validate", stack="\n".join(lines) + "\n")
    assert code == 1
    assert err.splitlines()[0].startswith(want), err


def test_large_file_read_whole(run):
    code, out, err = run("validate", stack="\n".join(_big()) + "\n")
    assert code == 0, err
    assert "It declares 3000 resources." in out
