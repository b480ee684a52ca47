#!/usr/bin/env python3
"""The threads of validate, plan and lint under ThreadSanitizer.

Usage: run.py MLSTACK_TSAN_BINARY

Large offline runs use several threads (docs/benchmarks.md): libgit2's
setup and the stack file's digest while the file is parsed, the
resources checked in runs (their diagnostics and marks: the broken
stack), the lint beside the plan's evaluation, the changes' text in two
halves. Each run
here, on stacks generated as the benchmarks make them, must end with
exit code 0 and no report beyond tests/tsan/suppressions.txt. Not run
by CI (the build alone would take it past its time); by hand with
`make tsan`.
"""
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "bench"))
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


# above the loader's split (2 x 512 resources), the renderer's (256
# changes) and the lint's findings
STACKS = {
    "buckets": bench.scale_buckets(1200),
    "mix": bench.scale_mix(1200),
    "broken": broken(1200),
}
COMMANDS = (["validate"], ["plan", "-refresh=false"],
            ["plan", "-refresh=false", "-json"],
            ["plan", "-refresh=false", "-markdown"], ["lint"])


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
            for args in COMMANDS:
                p = subprocess.run([binary, *args], cwd=d, env=env,
                                   capture_output=True, text=True)
                # lint's exit code 3: findings (these stacks have some)
                ok = p.returncode in ((0, 3) if args == ["lint"] else (0,))
                if name == "broken":
                    ok = p.returncode == 1 and "versoning" in p.stderr
                ok = ok and "ThreadSanitizer" not in p.stderr
                print(f"{'ok  ' if ok else 'FAIL'} {name}: mlstack "
                      f"{' '.join(args)} (exit {p.returncode})")
                if not ok:
                    failed += 1
                    sys.stdout.write(p.stderr[-4000:])
    print(f"{failed} failed" if failed else "no ThreadSanitizer report")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
