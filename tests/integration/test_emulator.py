"""The test harness itself: moto behind the TLS proxy, its controls, and the
credential leak check. These need no mlstack binary."""

import http.client
import json
import ssl
import time
import zlib
from types import SimpleNamespace

import pytest
from botocore.exceptions import ClientError

import emulator as emu_mod
from awsproxy import RESET, Response
from conftest import check_no_secrets
from helpers import SAGEMAKER_FULL_ACCESS, SAGEMAKER_TRUST


def tls_connection(emulator):
    ctx = ssl.create_default_context(cafile=emulator.ca_bundle)
    return http.client.HTTPSConnection("127.0.0.1", emulator.proxy.port,
                                       context=ctx, timeout=10)


def test_boto3_through_proxy_with_ca_bundle(emulator, proxy, s3):
    via = emulator.client("s3", via_proxy=True)
    via.create_bucket(Bucket="through-proxy")
    via.put_bucket_tagging(Bucket="through-proxy", Tagging={
        "TagSet": [{"Key": "k", "Value": "v"}]})
    assert [b["Name"] for b in s3.list_buckets()["Buckets"]] == ["through-proxy"]

    iam = emulator.client("iam", via_proxy=True)
    iam.create_role(RoleName="r", AssumeRolePolicyDocument=json.dumps(
        SAGEMAKER_TRUST))
    iam.attach_role_policy(RoleName="r", PolicyArn=SAGEMAKER_FULL_ACCESS)

    ops = [(c.service, c.operation, c.status) for c in proxy.calls()]
    assert ops == [("s3", "CreateBucket", 200), ("s3", "PutBucketTagging", 204),
                   ("iam", "CreateRole", 200), ("iam", "AttachRolePolicy", 200)]
    assert proxy.calls(operation="CreateRole")[0].request.params()[
        "RoleName"] == "r"


def test_certificate_is_checked(emulator):
    # Without the test CA the proxy's certificate is not trusted.
    conn = http.client.HTTPSConnection("127.0.0.1", emulator.proxy.port,
                                       context=ssl.create_default_context(),
                                       timeout=10)
    with pytest.raises(ssl.SSLCertVerificationError):
        conn.request("GET", "/")
    conn.close()
    for host in ("127.0.0.1", "localhost"):
        ctx = ssl.create_default_context(cafile=emulator.ca_bundle)
        conn = http.client.HTTPSConnection(host, emulator.proxy.port,
                                           context=ctx, timeout=10)
        conn.request("GET", "/")
        assert conn.getresponse().status == 200
        conn.close()


def test_reset_empties_moto(emulator, s3, iam):
    s3.create_bucket(Bucket="gone-after-reset")
    iam.create_role(RoleName="gone", AssumeRolePolicyDocument="{}")
    emulator.reset()
    assert s3.list_buckets()["Buckets"] == []
    assert iam.list_roles()["Roles"] == []
    # Managed policies are still there to attach after a reset.
    iam.create_role(RoleName="r", AssumeRolePolicyDocument="{}")
    iam.attach_role_policy(RoleName="r", PolicyArn=SAGEMAKER_FULL_ACCESS)


def test_keep_alive_despite_moto_closing(emulator, proxy):
    conn = tls_connection(emulator)
    for _ in range(3):
        conn.request("GET", "/")
        resp = conn.getresponse()
        body = resp.read()
        assert resp.status == 200 and b"ListAllMyBucketsResult" in body
        assert (resp.getheader("Connection") or "").lower() != "close"
        assert int(resp.getheader("Content-Length")) == len(body)
    conn.close()
    assert proxy.connections == 1
    assert len({c.connection for c in proxy.calls()}) == 1
    assert len(proxy.calls()) == 3


def test_chunked_body_and_expect_continue(emulator, s3):
    s3.create_bucket(Bucket="bodies")
    conn = tls_connection(emulator)
    conn.putrequest("PUT", "/bodies/chunked")
    conn.putheader("Transfer-Encoding", "chunked")
    conn.putheader("Content-Type", "text/plain")
    conn.endheaders()
    for part in (b"hello ", b"chunked ", b"world"):
        conn.send(b"%x\r\n%s\r\n" % (len(part), part))
    conn.send(b"0\r\n\r\n")
    assert conn.getresponse().read() is not None
    body = b"x" * 3000
    conn.request("PUT", "/bodies/expect", body=body, headers={
        "Expect": "100-continue", "Content-Type": "text/plain"})
    resp = conn.getresponse()
    resp.read()
    assert resp.status == 200
    conn.close()
    get = s3.get_object
    assert get(Bucket="bodies", Key="chunked")["Body"].read() == \
        b"hello chunked world"
    assert get(Bucket="bodies", Key="expect")["Body"].read() == body


def test_head_keeps_content_length(emulator, proxy, s3):
    s3.create_bucket(Bucket="heads")
    s3.put_object(Bucket="heads", Key="k", Body=b"12345",
                  ContentType="text/plain")
    via = emulator.client("s3", via_proxy=True)
    assert via.head_object(Bucket="heads", Key="k")["ContentLength"] == 5
    # The connection is still usable after a body-less answer.
    assert via.get_object(Bucket="heads", Key="k")["Body"].read() == b"12345"
    assert [c.operation for c in proxy.calls()] == ["HeadObject", "GetObject"]
    assert proxy.connections == 1


def test_latency(emulator, proxy):
    s3 = emulator.client("s3", via_proxy=True)
    proxy.latency = 0.3
    t0 = time.monotonic()
    s3.list_buckets()
    assert time.monotonic() - t0 >= 0.3


def test_hook_canned_response_never_reaches_moto(emulator, proxy, s3):
    throttle = Response(400, [("Content-Type", "text/xml")],
                        b"<ErrorResponse><Error><Code>Throttling</Code>"
                        b"<Message>slow down</Message></Error></ErrorResponse>")
    proxy.add_hook(lambda req: throttle if req.operation == "CreateRole"
                   else None)
    iam = emulator.client("iam", via_proxy=True)
    with pytest.raises(ClientError) as e:
        iam.create_role(RoleName="never", AssumeRolePolicyDocument="{}")
    assert e.value.response["Error"]["Code"] == "Throttling"
    assert emulator.client("iam").list_roles()["Roles"] == []
    call = proxy.calls(operation="CreateRole")[0]
    assert call.status == 400 and call.injected == "response"

    proxy.clear_hooks()
    proxy.add_hook(lambda req: (503, {"Content-Type": "text/plain"}, "busy"))
    conn = tls_connection(emulator)
    conn.request("GET", "/")
    resp = conn.getresponse()
    assert (resp.status, resp.read()) == (503, b"busy")
    conn.close()


def test_hook_reset_drops_connection(emulator, proxy):
    proxy.add_hook(lambda req: RESET)
    conn = tls_connection(emulator)
    with pytest.raises((ConnectionError, http.client.RemoteDisconnected,
                        ssl.SSLError)):
        conn.request("GET", "/")
        conn.getresponse()
    conn.close()
    assert proxy.calls()[0].status is None
    assert proxy.calls()[0].injected == "reset"
    # The proxy itself carries on.
    proxy.clear_hooks()
    conn = tls_connection(emulator)
    conn.request("GET", "/")
    assert conn.getresponse().status == 200
    conn.close()


def test_response_hook_sees_what_moto_did(emulator, proxy, s3):
    seen = []

    def drop_after_create(req, resp):
        if req.operation == "CreateBucket":
            seen.append(resp.status)
            return RESET
        return None

    proxy.add_response_hook(drop_after_create)
    conn = tls_connection(emulator)
    with pytest.raises((ConnectionError, http.client.RemoteDisconnected,
                        ssl.SSLError)):
        conn.request("PUT", "/made-but-unanswered")
        conn.getresponse()
    conn.close()
    assert seen == [200]
    assert [b["Name"] for b in s3.list_buckets()["Buckets"]] == \
        ["made-but-unanswered"]


def test_client_env_has_fake_credentials_only(emulator, tmp_path):
    env = emulator.client_env(home=str(tmp_path))
    assert env["AWS_SECRET_ACCESS_KEY"] == emu_mod.SECRET_ACCESS_KEY
    assert env["AWS_ENDPOINT_URL"].startswith("https://127.0.0.1:")
    assert env["HOME"] == str(tmp_path)
    assert "AWS_PROFILE" not in env


def test_leak_check_can_fail(tmp_path, proxy):
    for d in ("work", "home", "logs"):
        (tmp_path / d).mkdir()
    fake = SimpleNamespace(workdir=tmp_path / "work", home=tmp_path / "home",
                           logdir=tmp_path / "logs", outputs=[])
    check_no_secrets(fake, proxy)
    fake.outputs.append((("plan",), "", "token " + emu_mod.SESSION_TOKEN))
    with pytest.raises(AssertionError, match="output of mlstack plan"):
        check_no_secrets(fake, proxy)
    fake.outputs.clear()
    objdir = tmp_path / "work" / ".mlstack" / ".git" / "objects" / "ab"
    objdir.mkdir(parents=True)
    (objdir / "cdef").write_bytes(zlib.compress(
        b"blob 99\0" + emu_mod.SECRET_ACCESS_KEY.encode()))
    with pytest.raises(AssertionError, match="cdef"):
        check_no_secrets(fake, proxy)


def test_reset_waits_for_requests_in_flight(emulator, proxy, s3):
    # A request from a client killed mid-call still reaches moto; reset
    # lets it land first, so that it cannot leak into the next test.
    import threading

    proxy.latency = 0.5
    via = emulator.client("s3", via_proxy=True)
    t = threading.Thread(target=via.create_bucket,
                         kwargs={"Bucket": "late-arrival"})
    t.start()
    deadline = time.monotonic() + 5
    while proxy.in_flight == 0:
        assert time.monotonic() < deadline
        time.sleep(0.01)
    emulator.reset()
    t.join()
    assert proxy.in_flight == 0
    assert s3.list_buckets()["Buckets"] == []
