#!/usr/bin/env python3
"""make demo: run a stack through validate, lint, plan, apply, plan,
destroy against a local AWS emulator (moto behind a TLS proxy on
127.0.0.1). lint must find nothing: the stack fixes or suppresses, with
its reason, every finding.

    python tests/demo.py BINARY STACK.yaml

The stack is copied into a temporary directory as mlstack.yaml. Each step's
command and output are printed; the demo stops at the first step that does
not do what it should and exits 1. The emulator is always stopped.
"""

import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "integration"))

import emulator as emu_mod  # noqa: E402

NO_CHANGES = "No changes. Your infrastructure matches the configuration."


def header(text):
    print(f"\n=== {text} " + "=" * max(3, 70 - len(text)), flush=True)


def step(binary, workdir, env, args, want_code=0, want_text=None):
    header("mlstack " + " ".join(args))
    t0 = time.monotonic()
    # stderr (progress) merged into stdout, in the order it was written.
    proc = subprocess.run([binary, *args], cwd=workdir, env=env,
                          stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True,
                          errors="replace", timeout=600)
    sys.stdout.write(proc.stdout)
    print(f"--- exit {proc.returncode} after {time.monotonic() - t0:.1f}s",
          flush=True)
    if proc.returncode != want_code:
        raise DemoFailed(f"mlstack {' '.join(args)}: exit {proc.returncode},"
                         f" expected {want_code}")
    if want_text and want_text not in proc.stdout:
        raise DemoFailed(f"mlstack {' '.join(args)}: no {want_text!r} in "
                         "its output")
    return proc.stdout


class DemoFailed(Exception):
    pass


def check_cost(plan):
    """The plan says what the stack costs: a "# cost:" line on the
    notebook, the endpoints and the jobs, and a total by the hour, the
    month and the run, none of it unknown (docs/cost.md)."""
    lines = plan.splitlines()
    total = [ln for ln in lines if ln.startswith("Cost: ")]
    if len(total) != 1 or not total[0].startswith("Cost: +$") or \
            "/month); training and tuning: up to $" not in total[0]:
        raise DemoFailed(f"the plan's cost line is not there: {total}")
    if "without a price" in total[0] or "unknown" in plan:
        raise DemoFailed("the plan leaves a price unknown")
    for name in ("notebook", "endpoint_single", "endpoint_multi", "tuner",
                 "train_single", "train_multi", "host", "invoker_warm"):
        block = lines.index(f"  # {name} will be created")
        if not lines[block + 1].startswith("  # cost: "):
            raise DemoFailed(f"{name} has no cost line")


def aws_inventory(emu):
    s3 = emu.client("s3")
    iam = emu.client("iam")
    sm = emu.client("sagemaker")
    buckets = sorted(
        f"{b['Name']} ({s3.list_objects_v2(Bucket=b['Name'])['KeyCount']} "
        "objects)" for b in s3.list_buckets()["Buckets"])
    roles = sorted(r["RoleName"] for r in iam.list_roles()["Roles"])
    sagemaker = sorted(
        [f"notebook {n['NotebookInstanceName']} ({n['NotebookInstanceStatus']})"
         for n in sm.list_notebook_instances()["NotebookInstances"]] +
        [f"endpoint {e['EndpointName']} ({e['EndpointStatus']})"
         for e in sm.list_endpoints()["Endpoints"]] +
        [f"endpoint config {c['EndpointConfigName']}"
         for c in sm.list_endpoint_configs()["EndpointConfigs"]] +
        [f"model {m['ModelName']}" for m in sm.list_models()["Models"]] +
        [f"training job {j['TrainingJobName']} ({j['TrainingJobStatus']})"
         for j in sm.list_training_jobs(MaxResults=100)[
             "TrainingJobSummaries"]] +
        [f"tuning job {j['HyperParameterTuningJobName']} "
         f"({j['HyperParameterTuningJobStatus']})"
         for j in sm.list_hyper_parameter_tuning_jobs()[
             "HyperParameterTuningJobSummaries"]])
    lam = emu.client("lambda")
    aas = emu.client("application-autoscaling")
    for f in lam.list_functions()["Functions"]:
        name = f["FunctionName"]
        warm = lam.list_provisioned_concurrency_configs(FunctionName=name)[
            "ProvisionedConcurrencyConfigs"]
        sagemaker.append(
            f"function {name} (version "
            f"{lam.list_versions_by_function(FunctionName=name)['Versions'][-1]['Version']}"
            f", provisioned concurrency "
            f"{[(w['FunctionArn'].rsplit(':', 1)[-1], w['Status']) for w in warm]})")
    for t in aas.describe_scalable_targets(
            ServiceNamespace="sagemaker")["ScalableTargets"]:
        sagemaker.append(f"scalable target {t['ResourceId']} "
                         f"({t['MinCapacity']}..{t['MaxCapacity']})")
    for p in aas.describe_scaling_policies(
            ServiceNamespace="sagemaker")["ScalingPolicies"]:
        sagemaker.append(f"scaling policy {p['PolicyName']}")
    ec2 = emu.client("ec2")
    for r in ec2.describe_instances()["Reservations"]:
        for i in r["Instances"]:
            if i["State"]["Name"] != "terminated":
                sagemaker.append(f"instance {i['InstanceId']} "
                                 f"{i['InstanceType']} ({i['State']['Name']},"
                                 f" {i['ImageId']})")
    sagemaker += [f"key pair {k['KeyName']}" for k in
                  ec2.describe_key_pairs()["KeyPairs"]]
    sagemaker += [f"security group {g['GroupName']}" for g in
                  ec2.describe_security_groups()["SecurityGroups"]
                  if g["GroupName"] != "default"]
    roles += [f"policy {p['PolicyName']}" for p in
              iam.list_policies(Scope="Local")["Policies"]]
    return buckets, roles + sagemaker


def publish_dlamis(emu):
    """The emulator holds no Deep Learning AMI: publish two, as Amazon
    would, a week apart (the stack's lookup takes the newest)."""
    import datetime

    from moto.ec2.models import ec2_backends

    ec2 = emu.client("ec2")
    backend = ec2_backends["123456789012"]["us-east-1"]
    for day in (8, 15):
        image = ec2.register_image(
            Name=f"Deep Learning OSS Nvidia Driver AMI GPU PyTorch 2.5.1 "
                 f"(Ubuntu 22.04) 202611{day:02d}",
            Architecture="x86_64", RootDeviceName="/dev/sda1")["ImageId"]
        backend.amis[image].owner_alias = "amazon"
        backend.amis[image].creation_date = datetime.datetime(
            2026, 11, day, tzinfo=datetime.timezone.utc)


def show_inventory(emu, when):
    buckets, roles = aws_inventory(emu)
    header(f"what AWS (moto) holds {when}")
    print(f"buckets: {', '.join(buckets) or '(none)'}")
    print("roles and SageMaker objects:\n  " +
          ("\n  ".join(roles) or "(none)"), flush=True)
    return buckets, roles


def demo(binary, stack_file):
    emu = emu_mod.Emulator()
    workdir = tempfile.mkdtemp(prefix="mlstack-demo-")
    try:
        emu.start()
        print(f"moto on {emu.moto_url}, TLS proxy on {emu.endpoint_url}")
        home = os.path.join(workdir, "home")
        os.mkdir(home)
        project = os.path.join(workdir, "project")
        # the stack's folder comes along: the files it uploads
        shutil.copytree(os.path.dirname(stack_file), project,
                        ignore=shutil.ignore_patterns(".mlstack", "*.yaml"))
        shutil.copyfile(stack_file, os.path.join(project, "mlstack.yaml"))
        # the emulator passes SageMaker objects through their real
        # intermediate states; poll it quickly
        env = emu.client_env(home=home,
                             extra={"MLSTACK_WAIT_DELAY": "0.2"})
        print(f"working directory {project}")
        publish_dlamis(emu)

        step(binary, project, env, ["validate"])
        step(binary, project, env, ["lint"], want_text="No findings")
        plan = step(binary, project, env, ["plan"], want_text="Plan: ")
        check_cost(plan)
        step(binary, project, env, ["apply", "--auto-approve"],
             want_text="Apply complete!")
        step(binary, project, env, ["output"])
        step(binary, project, env, ["cost"],
             want_text="mlstack destroy would save $")
        buckets, roles = show_inventory(emu, "after apply")
        if not buckets or not roles:
            raise DemoFailed("apply reported success but AWS holds no "
                             "bucket or no role")
        images = sum(len(fs) for _, _, fs in
                     os.walk(os.path.join(project, "dogImages")))
        keys = emu.client("s3").list_objects_v2(
            Bucket=buckets[0].split()[0], Prefix="dogImages/")["KeyCount"]
        if keys != images:
            raise DemoFailed(f"the bucket holds {keys} images, the folder "
                             f"{images}")
        step(binary, project, env, ["plan", "--detailed-exitcode"],
             want_code=0, want_text=NO_CHANGES)
        step(binary, project, env, ["destroy", "--auto-approve"],
             want_text="Destroy complete!")
        buckets, roles = show_inventory(emu, "after destroy")
        # SageMaker keeps training and tuning jobs: a finished one stays
        # listed, and costs nothing
        left = [r for r in roles
                if not (r.startswith(("training job ", "tuning job ")) and
                        r.endswith("(Completed)"))]
        if buckets or left:
            raise DemoFailed("destroy left resources behind")
        step(binary, project, env, ["history"])
        header("demo complete")
        return 0
    except DemoFailed as e:
        header("demo FAILED")
        print(e, flush=True)
        return 1
    finally:
        emu.stop()
        shutil.rmtree(workdir, ignore_errors=True)


def main(argv):
    if len(argv) != 3:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    binary = os.path.abspath(argv[1])
    stack_file = os.path.abspath(argv[2])
    if not os.access(binary, os.X_OK):
        print(f"demo: {binary}: not an executable (run make)", file=sys.stderr)
        return 1
    if not os.path.isfile(stack_file):
        print(f"demo: {stack_file}: no such file", file=sys.stderr)
        return 1
    return demo(binary, stack_file)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
