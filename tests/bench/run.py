#!/usr/bin/env python3
"""make bench: how long mlstack takes and how much memory it uses.

    python tests/bench/run.py BINARY [AWSCLI]

Measures, against the local emulator (moto behind the TLS proxy):
- validate of generated stacks of 100 and 1,000 resources (offline: the
  loader, references, schemas, graph);
- apply, no-change plan (a refresh of every resource) and destroy of 10 and
  50 buckets, at parallelism 1 and 10;
- a dataset upload (aws_s3_objects) of 10,000 small files and of 1 GiB in
  large files, side by side with `aws s3 sync` (the AWS CLI, given as
  AWSCLI) on the same tree and emulator, and the no-change plan of the
  10,000 files: its API calls and wall time.
Each figure is the median wall time of REPEAT runs and the peak resident
set size of the process. Times depend on the machine and on the emulator's
own speed; they are reported in docs/benchmarks.md, never asserted.
"""

import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))

import emulator as emu_mod  # noqa: E402

REPEAT = 3


def stack(n, prefix):
    lines = [f"stack: bench-{prefix}", "resources:"]
    for i in range(n):
        lines += [f"  b{i}:", "    type: aws_s3_bucket",
                  f"    properties: {{bucket: {prefix}-{i}, tags: {{n: \"{i}\"}}}}"]
    for i in range(0, n, 2):
        lines += [f"  r{i}:", "    type: aws_iam_role", "    properties:",
                  f"      name: {prefix}-role-{i}",
                  "      assume_role_policy: {Version: \"2012-10-17\", Statement: []}",
                  f"      inline_policies: {{p: {{Version: \"2012-10-17\", Statement: [{{Effect: Allow, Action: \"s3:*\", Resource: \"${{b{i}.arn}}\"}}]}}}}"]
    return "\n".join(lines) + "\n"


def buckets(n, prefix):
    lines = [f"stack: bench-{prefix}", "resources:"]
    for i in range(n):
        lines += [f"  b{i}:", "    type: aws_s3_bucket",
                  f"    properties: {{bucket: {prefix}-{i}}}"]
    return "\n".join(lines) + "\n"


def roles(n, prefix):
    lines = [f"stack: bench-{prefix}", "resources:"]
    for i in range(n):
        lines += [f"  r{i}:", "    type: aws_iam_role", "    properties:",
                  f"      name: {prefix}-role-{i}",
                  "      assume_role_policy: {Version: \"2012-10-17\", Statement: []}",
                  "      inline_policies: {p: {Version: \"2012-10-17\", Statement: [{Effect: Allow, Action: \"s3:GetObject\", Resource: \"*\"}]}}",
                  "      tags: {team: ml}"]
    return "\n".join(lines) + "\n"


def sagemaker(n, prefix):
    """n SageMaker models and n endpoint configs serving them."""
    image = "123456789012.dkr.ecr.us-east-1.amazonaws.com/bench:1"
    role = "arn:aws:iam::123456789012:role/bench"
    lines = [f"stack: bench-{prefix}", "resources:"]
    for i in range(n):
        lines += [f"  m{i}:", "    type: aws_sagemaker_model",
                  "    properties:",
                  f"      execution_role_arn: {role}",
                  f"      primary_container: {{image: {image}}}",
                  "      tags: {team: ml}",
                  f"  c{i}:", "    type: aws_sagemaker_endpoint_configuration",
                  "    properties:",
                  "      production_variants:",
                  f"        - {{variant_name: AllTraffic, model_name: \"${{m{i}.name}}\", instance_type: ml.m5.large}}",
                  "      tags: {team: ml}"]
    return "\n".join(lines) + "\n"


def calls_per_type(binary, work, env, emu, n, make=roles,
                   what="aws_iam_role"):
    """Apply n objects (roles, or what make writes), then count the calls
    of one plan with no change (docs/refresh.md): per operation, and per
    resource."""
    d = os.path.join(work, f"list{n}-{make.__name__}")
    os.mkdir(d)
    with open(os.path.join(d, "mlstack.yaml"), "w") as f:
        f.write(make(n, f"l{n}"))
    emu.reset()
    run(binary, d, env, ["apply", "-auto-approve", "-parallelism=10"])
    emu.proxy.clear_calls()
    t, mem = run(binary, d, env, ["plan", "-parallelism=10"])
    ops = {}
    for c in emu.proxy.calls():
        ops[(c.service, c.operation)] = ops.get((c.service, c.operation), 0) + 1
    total = sum(ops.values())
    print(f"\nplan (no change) of {n} {what}: {total} calls, "
          f"{total / n:.3f} a resource, {t * 1000:.0f} ms")
    for (service, op), k in sorted(ops.items()):
        print(f"  {service:<6} {op:<32} {k:>5}")


def run(binary, cwd, env, args):
    """(seconds, peak RSS in MiB) of one run; fails loudly on error."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t0 = time.monotonic()
    proc = subprocess.run([binary, *args], cwd=cwd, env=env,
                          stdin=subprocess.DEVNULL, capture_output=True,
                          text=True)
    took = time.monotonic() - t0
    if proc.returncode not in (0, 2):
        raise SystemExit(f"mlstack {' '.join(args)} failed:\n{proc.stderr}")
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    # ru_maxrss of children is the maximum over all of them: only a new
    # maximum is this run's own figure.
    return took, (peak if peak > before else None)


def rss_of(binary, cwd, env, args):
    """Peak RSS in MiB of one run. GNU time forks a small process of its
    own for it: a child forked straight from this (large) Python process
    would carry Python's high-water mark across exec."""
    proc = subprocess.run(["/usr/bin/time", "-f", "%M", binary, *args],
                          cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                          text=True)
    return int(proc.stderr.strip().splitlines()[-1]) / 1024.0


def measure(binary, cwd, env, args, setup=None):
    times = []
    for _ in range(REPEAT):
        if setup:
            setup()
        t, _ = run(binary, cwd, env, args)
        times.append(t)
    if setup:
        setup()
    mem = rss_of(binary, cwd, env, args)
    return statistics.median(times), mem


def row(name, t, mem):
    print(f"| {name:<44} | {t * 1000:9.0f} | {mem:8.1f} |", flush=True)


def small_tree(root, n=10000):
    rnd = random.Random(9)
    for i in range(n):
        d = os.path.join(root, f"breed{i % 133:03d}")
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, f"img{i:05d}.jpg"), "wb") as f:
            f.write(rnd.randbytes(rnd.randint(1024, 4096)))


def large_tree(root, n=16, size=64 << 20):
    os.makedirs(root, exist_ok=True)
    for i in range(n):
        with open(os.path.join(root, f"shard{i:02d}.bin"), "wb") as f:
            f.write(os.urandom(size))


def tree_bytes(root):
    return sum(os.path.getsize(os.path.join(d, f))
               for d, _, fs in os.walk(root) for f in fs)


def dataset(binary, awscli, work, env, emu):
    """Upload rows (mlstack and aws s3 sync), then the no-change plan."""
    s3 = emu.client("s3")
    emu.proxy.check_signatures = False   # the proxy's own cost, not ours
    emu.proxy.check_model = False
    print()
    print(f"| {'upload':<34} | {'tool':<12} | {'s':>7} | {'files/s':>8} "
          f"| {'MiB/s':>7} | {'ratio':>6} |")
    print(f"|{'-' * 36}|{'-' * 14}|{'-' * 9}|{'-' * 10}|{'-' * 9}|{'-' * 8}|")
    for name, make, count in (("10,000 small files (1-4 KiB)", small_tree,
                               10000),
                              ("1 GiB in 16 files of 64 MiB", large_tree,
                               16)):
        d = os.path.join(work, f"ds-{count}")
        os.makedirs(d)
        make(os.path.join(d, "data"))
        mib = tree_bytes(os.path.join(d, "data")) / (1 << 20)
        with open(os.path.join(d, "mlstack.yaml"), "w") as f:
            f.write("stack: bench-data\nresources:\n  dataset:\n"
                    "    type: aws_s3_objects\n"
                    "    properties: {bucket: bench-data, prefix: d, "
                    "source: data}\n")
        # the emulator slows as a run goes on: each tool runs twice, in
        # the order A B B A, and the mean is its figure
        took = {"mlstack": [], "aws s3 sync": []}
        for tool in ("aws s3 sync", "mlstack", "mlstack", "aws s3 sync"):
            emu.reset()
            shutil.rmtree(os.path.join(d, ".mlstack"), ignore_errors=True)
            s3.create_bucket(Bucket="bench-data")
            t0 = time.monotonic()
            if tool == "mlstack":
                run(binary, d, env, ["apply", "-auto-approve"])
            else:
                proc = subprocess.run(
                    [awscli, "s3", "sync", "--only-show-errors",
                     os.path.join(d, "data"), "s3://bench-data/d/"],
                    env=env, stdin=subprocess.DEVNULL, capture_output=True,
                    text=True)
                if proc.returncode:
                    raise SystemExit(f"aws s3 sync failed:\n{proc.stderr}")
            took[tool].append(time.monotonic() - t0)
            keys = sum(p.get("KeyCount", 0) for p in
                       s3.get_paginator("list_objects_v2").paginate(
                           Bucket="bench-data", Prefix="d/"))
            if keys != count:
                raise SystemExit(f"{tool}: {keys} objects, not {count}")
            if tool == "mlstack" and count == 10000 and \
                    len(took["mlstack"]) == 1:
                emu.proxy.clear_calls()
                t, _ = run(binary, d, env, ["plan"])
                calls = [c.operation for c in emu.proxy.calls()]
                t_local, _ = run(binary, d, env, ["plan", "-refresh=false"])
                plan_row = (t, len(calls), calls.count("ListObjectsV2"),
                            t_local)
        mean = {k: statistics.mean(v) for k, v in took.items()}
        for tool in ("mlstack", "aws s3 sync"):
            t = mean[tool]
            print(f"| {name:<34} | {tool:<12} | {t:7.1f} | "
                  f"{count / t:8.0f} | {mib / t:7.1f} | "
                  f"{mean['aws s3 sync'] / t:6.2f} |", flush=True)
    t, n, lists, t_local = plan_row
    print()
    print(f"No-change plan of 10,000 files: {t * 1000:.0f} ms, {n} API "
          f"calls ({lists} ListObjectsV2), no file read (hash cache); "
          f"without the refresh (the folder walk, the cache, the diff): "
          f"{t_local * 1000:.0f} ms.")
    emu.proxy.check_signatures = True
    emu.proxy.check_model = True


def main(argv):
    if len(argv) not in (2, 3):
        print(__doc__.strip(), file=sys.stderr)
        return 2
    binary = os.path.abspath(argv[1])
    awscli = argv[2] if len(argv) == 3 else None
    emu = emu_mod.Emulator().start()
    work = tempfile.mkdtemp(prefix="mlstack-bench-")
    try:
        home = os.path.join(work, "home")
        os.mkdir(home)
        env = emu.client_env(home=home)
        print(f"| {'what':<44} | {'ms':>9} | {'MiB':>8} |")
        print(f"|{'-' * 46}|{'-' * 11}|{'-' * 10}|")
        for n in (100, 1000):
            d = os.path.join(work, f"v{n}")
            os.mkdir(d)
            with open(os.path.join(d, "mlstack.yaml"), "w") as f:
                f.write(stack(n, f"v{n}"))
            t, mem = measure(binary, d, env, ["validate"])
            row(f"validate, {n} buckets + {n // 2} roles", t, mem)
        for n in (10, 50):
            for par in (1, 10):
                d = os.path.join(work, f"a{n}-{par}")
                os.mkdir(d)
                with open(os.path.join(d, "mlstack.yaml"), "w") as f:
                    f.write(buckets(n, f"a{n}p{par}"))

                def clean(d=d):
                    emu.reset()
                    shutil.rmtree(os.path.join(d, ".mlstack"),
                                  ignore_errors=True)

                p = f"-parallelism={par}"
                t, mem = measure(binary, d, env,
                                 ["apply", "-auto-approve", p], setup=clean)
                row(f"apply, {n} buckets, parallelism {par}", t, mem)
                t, mem = measure(binary, d, env, ["plan", p])
                row(f"plan (refresh, no changes), {n} buckets, par. {par}",
                    t, mem)

                def applied(d=d, p=p):
                    clean()
                    run(binary, d, env, ["apply", "-auto-approve", p])

                t, mem = measure(binary, d, env,
                                 ["destroy", "-auto-approve", p],
                                 setup=applied)
                row(f"destroy, {n} buckets, parallelism {par}", t, mem)
        for n in (100, 1000):
            calls_per_type(binary, work, env, emu, n)
            calls_per_type(binary, work, env, emu, n, sagemaker,
                           "aws_sagemaker_model + _endpoint_configuration")
        if awscli:
            dataset(binary, awscli, work, env, emu)
        return 0
    finally:
        emu.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
