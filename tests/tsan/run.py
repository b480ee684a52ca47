#!/usr/bin/env python3
"""The threads of validate, plan and lint under ThreadSanitizer.

Usage: run.py MLSTACK_TSAN_BINARY

Large offline runs use several threads (docs/benchmarks.md): libgit2's
setup and the stack file's digest while the file is parsed, the
resources checked in runs (their diagnostics and marks: the broken
stack), the lint beside the plan's evaluation, the changes' text in two
halves, the state's files read in two halves while git's status looks
for what a stopped run left (the stored stack). Each run
here, on stacks generated as the benchmarks make them, must end with
exit code 0 and no report beyond tests/tsan/suppressions.txt. Then the
threads that talk to AWS, against the emulator: an apply of buckets,
objects, IAM policies and scalable targets (workers creating at once),
plans that refresh them (the refresh's workers, and the bulk reads of
the four types, which read each one's settings or tags on threads of
their own, all connecting at once) and a destroy.
Not run by CI (the build alone would take it past its time); by hand
with `make tsan`.
"""
import hashlib
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "bench"))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
import run as bench  # noqa: E402  (the stack generators)



def broken(n):
    """n buckets, every tenth with a problem found while loading (an
    unknown attribute) or once every name is known (a reference)."""
    lines = ["stack: bench-b", "resources:"]
    for i in range(n):
        lines += [f"  b{i}:", "    type: aws_s3_bucket",
                  f"    properties: {{bucket: b-{i}"
                  + (", versoning: true" if i % 10 == 3 else "")
                  + (f", tags: {{a: \"${{b{n - 1 - i}.nope}}\"}}"
                     if i % 10 == 7 else "") + "}"]
    return "\n".join(lines) + "\n"


def store(binary, d, env, n):
    """Store the n buckets of bench.scale_buckets(n) in d's state as an
    apply leaves them (docs/state.md), committed, and one file changed
    after the commit, as a run stopped before its commit leaves it."""
    subprocess.run([binary, "validate"], cwd=d, env=env, check=True,
                   capture_output=True)
    subprocess.run([binary, "plan", "-refresh=false"], cwd=d, env=env,
                   check=True, capture_output=True)   # makes the state
    top = os.path.join(d, ".mlstack")
    for i in range(n):
        a = {"arn": f"arn:aws:s3:::s-{i}", "block_public_access": True,
             "bucket": f"s-{i}", "force_destroy": False, "id": f"s-{i}",
             "name": f"s-{i}", "region": "us-east-1",
             "tags": {"mlstack:resource": f"b{i}",
                      "mlstack:stack": "bench-s"},
             "versioning": i == 5}
        write_json(os.path.join(top, "bench-s", "resources", f"b{i}.json"),
                   {"attributes": a, "dependencies": [], "id": f"s-{i}",
                    "type": "aws_s3_bucket"})
    with open(os.path.join(d, "mlstack.yaml"), "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    write_json(os.path.join(top, "bench-s", "stack.json"),
               {"outputs": {}, "serial": 1, "stack": "bench-s",
                "stack_digest": digest})
    git = dict(env, GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@localhost",
               GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@localhost")
    subprocess.run(["git", "add", "-A"], cwd=top, env=git, check=True)
    subprocess.run(["git", "commit", "-qm", "stored"], cwd=top, env=git,
                   check=True)
    path = os.path.join(top, "bench-s", "resources", "b5.json")
    with open(path) as f:
        v = json.load(f)
    v["attributes"]["versioning"] = False
    write_json(path, v)


def write_json(path, v):
    with open(path, "w") as f:
        json.dump(v, f, indent=2, sort_keys=True)
        f.write("\n")


# above the loader's split (2 x 512 resources), the renderer's (256
# changes), the state's reads (2 x 256 files) and the lint's findings
STACKS = {
    "buckets": bench.scale_buckets(1200),
    "mix": bench.scale_mix(1200),
    "broken": broken(1200),
    "stored": bench.scale_buckets(1200),
}
COMMANDS = (["validate"], ["plan", "-refresh=false"],
            ["plan", "-refresh=false", "-json"],
            ["plan", "-refresh=false", "-markdown"], ["lint"])


def online(binary, work, tsan_options):
    """Apply, refresh (plan) and destroy buckets, objects, IAM policies
    and scalable targets against the emulator; the number of runs that
    failed or reported."""
    import emulator
    emu = emulator.Emulator()
    emu.start()
    failed = 0
    try:
        d = os.path.join(work, "online")
        os.mkdir(d)
        env = emu.client_env(d)
        env["TSAN_OPTIONS"] = tsan_options
        text = ["stack: tsan", "resources:"]
        for i in range(30):
            text += [f"  b{i}:", "    type: aws_s3_bucket",
                     f"    properties: {{bucket: tsan-{i}, force_destroy: "
                     f"true, versioning: {str(i % 3 == 0).lower()}}}"]
        for i in range(20):
            text += [f"  o{i}:", "    type: aws_s3_object",
                     f"    properties: {{bucket: \"${{b{i % 5}.bucket}}\", "
                     f"key: k{i}, content: \"{i}\"}}"]
        # IAM policies and scalable targets: their bulk reads read each
        # one's tags on threads of their own (ms_kit_parallel)
        for i in range(10):
            text += [f"  p{i}:", "    type: aws_iam_policy",
                     "    properties:", f"      name: tsan-policy-{i}",
                     "      policy: {Version: \"2012-10-17\", Statement: "
                     "[{Effect: Allow, Action: \"s3:GetObject\", "
                     "Resource: \"*\"}]}",
                     f"  t{i}:", "    type: aws_appautoscaling_target",
                     "    properties:", "      service_namespace: dynamodb",
                     f"      resource_id: table/tsan-{i}",
                     "      scalable_dimension: "
                     "dynamodb:table:ReadCapacityUnits",
                     "      min_capacity: 1", "      max_capacity: 5"]
        with open(os.path.join(d, "mlstack.yaml"), "w") as f:
            f.write("\n".join(text) + "\n")
        for args in [["apply", "-auto-approve"]] + [["plan"]] * 8 + [
                ["destroy", "-auto-approve"]]:
            p = subprocess.run([binary, *args], cwd=d, env=env,
                               capture_output=True, text=True)
            ok = p.returncode == 0 and "ThreadSanitizer" not in p.stderr
            print(f"{'ok  ' if ok else 'FAIL'} online: mlstack "
                  f"{' '.join(args)} (exit {p.returncode})")
            if not ok:
                failed += 1
                sys.stdout.write(p.stderr[-4000:])
    finally:
        emu.stop()
    return failed


def main():
    binary = os.path.abspath(sys.argv[1])
    env = dict(os.environ,
               TSAN_OPTIONS="halt_on_error=1 exitcode=66 suppressions="
               + os.path.join(HERE, "suppressions.txt"),
               AWS_ACCESS_KEY_ID="", AWS_SECRET_ACCESS_KEY="")
    failed = 0
    with tempfile.TemporaryDirectory() as work:
        for name, text in STACKS.items():
            d = os.path.join(work, name)
            os.mkdir(d)
            with open(os.path.join(d, "mlstack.yaml"), "w") as f:
                f.write(text)
            if name == "stored":
                store(binary, d, env, 1200)
            for args in COMMANDS:
                p = subprocess.run([binary, *args], cwd=d, env=env,
                                   capture_output=True, text=True)
                # lint's exit code 3: findings (these stacks have some)
                ok = p.returncode in ((0, 3) if args == ["lint"] else (0,))
                if name == "broken":
                    ok = p.returncode == 1 and "versoning" in p.stderr
                if name == "stored" and args[0] == "plan":
                    # the first plan commits the file left changed
                    ok = ok and ("No changes" in p.stdout or
                                 args[-1] != "-refresh=false")
                ok = ok and "ThreadSanitizer" not in p.stderr
                print(f"{'ok  ' if ok else 'FAIL'} {name}: mlstack "
                      f"{' '.join(args)} (exit {p.returncode})")
                if not ok:
                    failed += 1
                    sys.stdout.write(p.stderr[-4000:])
            if name == "stored":
                log = subprocess.run(
                    ["git", "log", "--format=%s"], capture_output=True,
                    text=True, cwd=os.path.join(d, ".mlstack")).stdout
                ok = log.startswith("recover bench-s:")
                print(f"{'ok  ' if ok else 'FAIL'} stored: the file left "
                      f"changed committed ({log.splitlines()[:1]})")
                failed += not ok
        failed += online(binary, work, env["TSAN_OPTIONS"])
    print(f"{failed} failed" if failed else "no ThreadSanitizer report")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
