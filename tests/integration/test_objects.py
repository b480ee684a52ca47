"""A local folder synced to S3 as one resource (aws_s3_objects): planned
from a listing and a hash cache (no object read, no unchanged file read),
uploaded in parallel (multipart for large files, Content-MD5 on every
body), resumed after a kill, converging through faults, and refusing
files it cannot vouch for."""

import hashlib
import json
import os
import random
import re
import signal

import pytest

from helpers import NO_CHANGES, wait_for

STACK = "data"
BUCKET = "sync-data"
PART = 5 * 1024 * 1024  # S3's smallest part: multipart tests stay small
OBJECT_CALLS = ("PutObject", "GetObject", "HeadObject", "UploadPart",
                "CreateMultipartUpload", "CompleteMultipartUpload")


def stack_text(prefix="dogs", extra=""):
    return f"""
stack: {STACK}
resources:
  bucket:
    type: aws_s3_bucket
    properties: {{bucket: {BUCKET}, force_destroy: true}}
  dataset:
    type: aws_s3_objects
    properties:
      bucket: ${{bucket.bucket}}
      prefix: {prefix}
      source: images
      part_size: {PART}
{extra}
"""


SMALL = 1100  # the small files of the sync test: more than a listing's page


def make_tree(root, small=300, large=2, seed=1):
    """small files of 0-2 KiB in 13 folders, and large ones of 2+ parts."""
    rnd = random.Random(seed)
    files = {}
    for i in range(small):
        files[f"breed{i % 13:02d}/img{i:05d}.jpg"] = rnd.randbytes(
            rnd.randint(0, 2048))
    for i in range(large):
        files[f"big/blob{i}.bin"] = rnd.randbytes(
            PART * 2 + rnd.randint(1, 99999))
    for rel, data in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)
    return files


def s3_md5s(s3, prefix="dogs"):
    """key below prefix -> MD5 of the bytes S3 holds: the ETag S3 computed
    of a single-part object's bytes, the MD5 of a multipart one's body."""
    out = {}
    for page in s3.get_paginator("list_objects_v2").paginate(
            Bucket=BUCKET, Prefix=prefix + "/"):
        for o in page.get("Contents", []):
            md5 = o["ETag"].strip('"')
            if "-" in md5:
                body = s3.get_object(Bucket=BUCKET, Key=o["Key"])["Body"]
                md5 = hashlib.md5(body.read()).hexdigest()
            out[o["Key"][len(prefix) + 1:]] = md5
    return out


def local_md5s(root):
    out = {}
    for dirpath, _, names in os.walk(root):
        for n in names:
            p = os.path.join(dirpath, n)
            with open(p, "rb") as f:
                out[os.path.relpath(p, root)] = hashlib.md5(
                    f.read()).hexdigest()
    return out


def open_uploads(s3):
    return s3.list_multipart_uploads(Bucket=BUCKET).get("Uploads", [])


def object_calls(proxy):
    return [c.operation for c in proxy.calls()
            if c.operation in OBJECT_CALLS]


def test_sync_then_plan_by_listing_and_cache(run, cli, s3, proxy):
    root = cli.workdir / "images"
    make_tree(root, small=SMALL)  # S3 lists 1,000 keys a page: two pages
    cli.write_stack(stack_text())
    _, out, _ = run("plan", check=True)
    assert f"+ {SMALL + 2} objects (" in out, out
    assert "+ big/blob0.bin" in out and f"# ({SMALL - 3} more)" in out
    run("apply", "-auto-approve", check=True)
    assert s3_md5s(s3) == local_md5s(root)
    calls = [c.operation for c in proxy.calls()]
    assert calls.count("CompleteMultipartUpload") == 2
    assert calls.count("PutObject") == SMALL
    assert not open_uploads(s3)
    path = cli.resources_dir(STACK) / "dataset.json"
    state = json.loads(path.read_text())
    assert state["attributes"]["object_count"] == SMALL + 2
    # reviewable: one object per line, sorted
    lines = path.read_text().splitlines()
    keys = [ln.strip().split('"')[1] for ln in lines
            if ln.strip().startswith('"breed')]
    assert len(keys) == 2 * SMALL and keys[:SMALL] == sorted(keys[:SMALL])
    assert state["attributes"]["objects"]["big/blob0.bin"].split()[0].endswith("-3")

    # a no-change plan lists the prefix and reads no file: a file changed
    # in place with its size and modification time kept is not seen
    victim = root / "breed03/img00003.jpg"
    st = victim.stat()
    victim.write_bytes(bytes(reversed(victim.read_bytes())) or b"")
    os.utime(victim, ns=(st.st_atime_ns, st.st_mtime_ns))
    proxy.clear_calls()
    _, out, _ = run("plan", check=True)
    assert NO_CHANGES in out
    assert object_calls(proxy) == []
    assert [c.operation for c in proxy.calls()].count("ListObjectsV2") == 2

    # change three, add two, remove two: the plan shows exactly those
    os.utime(victim)  # now it is seen, and its bytes differ from S3's
    (root / "breed01/img00001.jpg").write_bytes(b"new bytes")
    big = root / "big/blob1.bin"
    data = bytearray(big.read_bytes())
    data[PART + 7] ^= 0xFF  # one byte in the second part
    big.write_bytes(bytes(data))
    (root / "new").mkdir()
    (root / "new/a.jpg").write_bytes(b"a")
    (root / "new/b.jpg").write_bytes(b"bb")
    (root / "breed02/img00002.jpg").unlink()
    (root / "breed04/img00004.jpg").unlink()
    _, out, _ = run("plan", check=True)
    assert "~ 3 changed" in out and "+ 2 objects" in out, out
    assert "- 2 removed" in out
    for key in ("~ breed01/img00001.jpg", "~ breed03/img00003.jpg",
                "~ big/blob1.bin", "+ new/a.jpg", "+ new/b.jpg",
                "- breed02/img00002.jpg", "- breed04/img00004.jpg"):
        assert key in out, key
    proxy.clear_calls()
    run("apply", "-auto-approve", check=True)
    assert s3_md5s(s3) == local_md5s(root)
    calls = [c.operation for c in proxy.calls()]
    assert calls.count("PutObject") == 4      # 2 changed, 2 new
    assert calls.count("UploadPart") == 3     # the changed large file
    assert calls.count("DeleteObjects") == 1
    _, out, _ = run("plan", check=True)
    assert NO_CHANGES in out


def test_plan_json_lists_every_key(run, cli):
    root = cli.workdir / "images"
    make_tree(root, small=40, large=0)
    cli.write_stack(stack_text())
    _, out, _ = run("plan", "-json", check=True)
    plan = json.loads(out)
    # Terraform has no such resource: the type is mlstack's own there
    change = next(c for c in plan["resource_changes"]
                  if c["address"] == "mlstack_s3_objects.dataset")
    assert len(change["change"]["after"]["objects"]) == 40
    assert "cache" not in change["change"]["after"]  # the type's own


def test_kill_mid_upload_then_apply_finishes(run, cli, s3, proxy):
    root = cli.workdir / "images"
    make_tree(root, small=200, large=2)
    cli.write_stack(stack_text())
    proxy.inject("latency", operation=["PutObject", "UploadPart"],
                 seconds=0.05)
    proc = cli.popen("apply", "-auto-approve", "-parallelism", "4")
    wait_for(lambda: sum(1 for c in proxy.calls()
                         if c.operation == "UploadPart") >= 2
             and sum(1 for c in proxy.calls()
                     if c.operation == "PutObject") >= 20,
             timeout=60, what="the upload under way")
    os.killpg(proc.pid, signal.SIGKILL)
    cli.wait(proc)
    arrived = s3_md5s(s3)
    assert 0 < len(arrived) < 202
    proxy.clear_faults()
    run("force-unlock", "-force", check=0)
    proxy.clear_calls()
    _, out, _ = run("apply", "-auto-approve", check=True)
    assert s3_md5s(s3) == local_md5s(root)
    assert not open_uploads(s3)
    # only what had not arrived was sent again
    assert [c.operation for c in proxy.calls()].count("PutObject") <= \
        202 - len([k for k in arrived if not k.startswith("big/")])


def test_throttling_and_resets_converge(run, cli, s3, proxy):
    root = cli.workdir / "images"
    make_tree(root, small=150, large=1, seed=5)
    cli.write_stack(stack_text())
    proxy.seed(3)
    proxy.inject("throttle", service="s3", rate=0.15,
                 operation=["PutObject", "UploadPart",
                            "CompleteMultipartUpload", "ListObjectsV2"])
    proxy.inject("reset", service="s3", rate=0.05,
                 operation=["PutObject", "UploadPart"])
    run("apply", "-auto-approve", check=True)
    assert s3_md5s(s3) == local_md5s(root)
    assert not open_uploads(s3)


def test_include_exclude_and_keep_removed(run, cli, s3):
    root = cli.workdir / "images"
    make_tree(root, small=20, large=0)
    (root / "notes.txt").write_text("skip me")
    (root / "breed00/.DS_Store").write_text("skip me too")
    cli.write_stack(stack_text(extra="""      exclude: ["*.txt", "*/.DS_Store"]
      delete_removed: false"""))
    run("apply", "-auto-approve", check=True)
    held = s3_md5s(s3)
    assert len(held) == 20 and "notes.txt" not in held
    s3.put_object(Bucket=BUCKET, Key="dogs/someone-elses.csv", Body=b"x")
    (root / "breed00/img00000.jpg").unlink()
    _, out, _ = run("apply", "-auto-approve", check=True)
    held = s3_md5s(s3)
    # kept: the file removed locally, and the object that is not ours
    assert "breed00/img00000.jpg" in held and "someone-elses.csv" in held
    _, out, _ = run("plan", check=True)
    assert NO_CHANGES in out


def test_prefix_holding_objects_is_not_taken(run, cli, s3):
    root = cli.workdir / "images"
    make_tree(root, small=3, large=0)
    s3.create_bucket(Bucket="foreign-data")
    s3.put_object(Bucket="foreign-data", Key="dogs/theirs.jpg", Body=b"x")
    cli.write_stack(f"""
stack: {STACK}
resources:
  dataset:
    type: aws_s3_objects
    properties: {{bucket: foreign-data, prefix: dogs, source: images}}
""")
    code, _, err = run("apply", "-auto-approve")
    assert code == 1
    assert ("S3 prefix 's3://foreign-data/dogs/' (it holds 1 objects): the "
            "name is taken by an object this stack did not make; to manage "
            "it, run \"mlstack import dataset s3://foreign-data/dogs/\"") \
        in err, err
    body = s3.get_object(Bucket="foreign-data", Key="dogs/theirs.jpg")
    assert body["Body"].read() == b"x"
    keys = [o["Key"] for o in s3.list_objects_v2(
        Bucket="foreign-data")["Contents"]]
    assert keys == ["dogs/theirs.jpg"]


def test_bad_folders_are_clear_errors(run, cli, s3):
    root = cli.workdir / "images"
    make_tree(root, small=3, large=0)
    cli.write_stack(stack_text())
    (root / "loop").symlink_to(root)
    code, _, err = run("plan")
    assert code == 1 and "a link loop" in err, err
    (root / "loop").unlink()
    (root / "out").symlink_to("/etc/hostname")
    code, _, err = run("plan")
    assert code == 1 and "outside the folder" in err, err
    (root / "out").unlink()
    (root / "dangling").symlink_to(root / "nothing-here")
    code, _, err = run("plan")
    assert code == 1 and "a link to nowhere" in err, err
    (root / "dangling").unlink()
    cli.write_stack(stack_text().replace("source: images",
                                         "source: no-such-folder"))
    code, _, err = run("plan")
    assert code == 1 and "no-such-folder" in err, err
    assert len(err.strip().splitlines()) == 1


def test_file_changed_after_plan_is_not_uploaded(run, cli, s3):
    root = cli.workdir / "images"
    make_tree(root, small=5, large=1)
    cli.write_stack(stack_text())
    run("plan", "-out", "plan.json", check=True)
    (root / "breed01/img00001.jpg").write_bytes(b"changed after the plan")
    big = root / "big/blob0.bin"
    data = bytearray(big.read_bytes())
    data[-1] ^= 1
    big.write_bytes(bytes(data))
    code, _, err = run("apply", "plan.json")
    assert code == 1 and "changed since the plan; plan again" in err, err
    held = s3_md5s(s3)
    assert "breed01/img00001.jpg" not in held
    assert "big/blob0.bin" not in held
    assert not open_uploads(s3)
    # the next apply uploads the files as they are now
    run("apply", "-auto-approve", check=True)
    assert s3_md5s(s3) == local_md5s(root)


def test_destroy_deletes_the_objects(run, cli, s3):
    root = cli.workdir / "images"
    make_tree(root, small=30, large=0)
    cli.write_stack(stack_text())
    run("apply", "-auto-approve", check=True)
    s3.put_object(Bucket=BUCKET, Key="other/keep.txt", Body=b"k")
    cli.write_stack(stack_text().split("  dataset:")[0])
    _, out, _ = run("apply", "-auto-approve", check=True)
    assert "1 destroyed" in out
    assert s3_md5s(s3) == {}
    assert s3.get_object(Bucket=BUCKET, Key="other/keep.txt")


def object_stack(extra="", source="model.tar.gz"):
    return f"""
stack: {STACK}
resources:
  bucket:
    type: aws_s3_bucket
    properties: {{bucket: {BUCKET}, force_destroy: true}}
  code:
    type: aws_s3_object
    properties:
      bucket: ${{bucket.bucket}}
      key: code/{source}
      source: {source}
      metadata: {{Owner: data-team}}
      tags: {{team: ml}}
{extra}
  readme:
    type: aws_s3_object
    properties:
      bucket: ${{bucket.bucket}}
      key: README.txt
      content: "the dog-breed dataset"
      cache_control: no-cache
"""


def test_single_objects_file_and_inline(run, cli, s3, proxy):
    src = cli.workdir / "model.tar.gz"
    src.write_bytes(os.urandom(9 * 1024 * 1024))  # multipart: 2 parts
    cli.write_stack(object_stack())
    _, out, _ = run("plan", check=True)
    want = hashlib.md5(b"the dog-breed dataset").hexdigest()
    assert re.search(rf'\+ etag +  = "{want}"', out), out
    run("apply", "-auto-approve", check=True)
    head = s3.head_object(Bucket=BUCKET, Key="code/model.tar.gz")
    assert head["ContentType"] == "application/gzip"
    assert head["Metadata"] == {"owner": "data-team"}
    assert head["ETag"].strip('"').endswith("-2")
    body = s3.get_object(Bucket=BUCKET, Key="code/model.tar.gz")["Body"]
    assert body.read() == src.read_bytes()
    tags = {t["Key"]: t["Value"] for t in s3.get_object_tagging(
        Bucket=BUCKET, Key="code/model.tar.gz")["TagSet"]}
    assert tags["team"] == "ml" and tags["mlstack:resource"] == "code"
    readme = s3.get_object(Bucket=BUCKET, Key="README.txt")
    assert readme["Body"].read() == b"the dog-breed dataset"
    assert readme["CacheControl"] == "no-cache"
    _, out, _ = run("plan", check=True)
    assert NO_CHANGES in out

    # content changes are seen by ETag; a tag change is only a tagging call
    src.write_bytes(os.urandom(1000))
    cli.write_stack(object_stack().replace("team: ml", "team: vision"))
    _, out, _ = run("plan", check=True)
    assert "~ etag" in out and "~ tags" in out
    run("apply", "-auto-approve", check=True)
    body = s3.get_object(Bucket=BUCKET, Key="code/model.tar.gz")["Body"]
    assert body.read() == src.read_bytes()
    proxy.clear_calls()
    cli.write_stack(object_stack().replace("team: ml", "team: nlp"))
    run("apply", "-auto-approve", check=True)
    ops = [c.operation for c in proxy.calls()]
    assert "PutObjectTagging" in ops and "PutObject" not in ops

    # drift: someone overwrote the object
    s3.put_object(Bucket=BUCKET, Key="README.txt", Body=b"vandalised")
    _, out, _ = run("plan", check=True)
    assert "readme has changed outside of mlstack" in out
    assert "readme will be updated in place" in out


def test_single_object_not_ours_is_left_alone(run, cli, s3):
    s3.create_bucket(Bucket="other-bucket")
    s3.put_object(Bucket="other-bucket", Key="README.txt", Body=b"theirs")
    cli.write_stack(f"""
stack: {STACK}
resources:
  readme:
    type: aws_s3_object
    properties: {{bucket: other-bucket, key: README.txt, content: ours}}
""")
    code, _, err = run("apply", "-auto-approve")
    assert code == 1
    assert ("S3 object 's3://other-bucket/README.txt': the name is taken"
            in err), err
    body = s3.get_object(Bucket="other-bucket", Key="README.txt")["Body"]
    assert body.read() == b"theirs"


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_unreadable_file_is_a_clear_error(run, cli):
    root = cli.workdir / "images"
    make_tree(root, small=3, large=0)
    (root / "breed00/img00000.jpg").chmod(0)
    cli.write_stack(stack_text())
    code, _, err = run("plan")
    assert code == 1 and "cannot read" in err and "img00000.jpg" in err
