"""The test proxy's own checks and faults (docs/testing.md, "The test
proxy"): requests botocore makes pass, broken ones are caught, and each
fault reaches a client in the shape the service would send. No mlstack
binary is needed; clients are boto3 and raw HTTPS."""

import http.client
import json
import ssl
import time
from collections import Counter
from types import SimpleNamespace

import pytest
from botocore.auth import S3SigV4Auth, SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

import emulator as emu_mod
from awsproxy import Error, Response
from helpers import SAGEMAKER_TRUST

TRUST = json.dumps(SAGEMAKER_TRUST)


def client(emulator, service, **config):
    """boto3 through the proxy, without retries unless asked."""
    cfg = Config(s3={"addressing_style": "path"},
                 retries={"total_max_attempts": 1, "mode": "standard"},
                 request_checksum_calculation="when_required", **config)
    return emulator.boto3_session().client(
        service, endpoint_url=emulator.endpoint_url,
        verify=emulator.ca_bundle, config=cfg)


def send(emulator, service, method, path, body=b"", headers=None,
         token=True, sign=True, after_signing=None):
    """A raw HTTPS request through the proxy, signed by botocore (with the
    fixture's keys, with or without the session token); after_signing may
    change the headers. Returns (status, body)."""
    url = emulator.endpoint_url + path
    req = AWSRequest(method=method, url=url, data=body,
                     headers=dict(headers or {}))
    if sign:
        creds = Credentials(emu_mod.ACCESS_KEY_ID, emu_mod.SECRET_ACCESS_KEY,
                            emu_mod.SESSION_TOKEN if token else None)
        signer = S3SigV4Auth if service == "s3" else SigV4Auth
        signer(creds, service, "us-east-1").add_auth(req)
    if after_signing:
        after_signing(req.headers)
    ctx = ssl.create_default_context(cafile=emulator.ca_bundle)
    conn = http.client.HTTPSConnection("127.0.0.1", emulator.proxy.port,
                                       context=ctx, timeout=30)
    try:
        conn.request(method, path, body=body, headers=dict(req.headers))
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


def query(emulator, body, **kw):
    return send(emulator, "iam", "POST", "/", body.encode(), {
        "Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
        **kw)


def sagemaker(emulator, target, params, ctype="application/x-amz-json-1.1"):
    return send(emulator, "sagemaker", "POST", "/",
                json.dumps(params).encode(),
                {"Content-Type": ctype, "X-Amz-Target": target})


def taken_problems(proxy, kind=None):
    """The problems found so far (of kind), cleared so that the test
    itself does not fail on them."""
    found = proxy.problems(kind)
    proxy.clear_problems()
    return [str(p) for p in found]


# -- requests botocore makes pass, and are named as botocore names them ---

def test_botocore_requests_pass(emulator, proxy):
    iam = client(emulator, "iam")
    iam.create_role(RoleName="r", AssumeRolePolicyDocument=TRUST,
                    MaxSessionDuration=3600,
                    Tags=[{"Key": "a", "Value": "1"},
                          {"Key": "b", "Value": ""}])
    iam.put_role_policy(RoleName="r", PolicyName="p",
                        PolicyDocument=json.dumps({
                            "Version": "2012-10-17", "Statement": [{
                                "Effect": "Allow", "Action": "s3:*",
                                "Resource": "*"}]}))
    iam.list_roles(MaxItems=10)
    iam.tag_role(RoleName="r", Tags=[{"Key": "c", "Value": "x y"}])
    iam.untag_role(RoleName="r", TagKeys=["c", "a"])
    s3 = client(emulator, "s3")
    s3.create_bucket(Bucket="checked")
    s3.put_bucket_tagging(Bucket="checked", Tagging={
        "TagSet": [{"Key": "k", "Value": "v"}]})
    s3.put_object(Bucket="checked", Key="a b/ü+=~%.txt", Body=b"x",
                  ContentType="text/plain")
    s3.list_objects_v2(Bucket="checked", Prefix="a b/", MaxKeys=5)
    s3.head_bucket(Bucket="checked")
    s3.get_object(Bucket="checked", Key="a b/ü+=~%.txt")["Body"].read()
    sm = client(emulator, "sagemaker")
    sm.list_models(MaxResults=10, SortOrder="Ascending")
    client(emulator, "sts").get_caller_identity()
    client(emulator, "lambda").list_functions(MaxItems=5)
    client(emulator, "application-autoscaling").describe_scalable_targets(
        ServiceNamespace="sagemaker")

    assert proxy.problems() == []
    names = [(c.service, c.operation) for c in proxy.calls()]
    assert names == [
        ("iam", "CreateRole"), ("iam", "PutRolePolicy"), ("iam", "ListRoles"),
        ("iam", "TagRole"), ("iam", "UntagRole"),
        ("s3", "CreateBucket"), ("s3", "PutBucketTagging"),
        ("s3", "PutObject"),
        ("s3", "ListObjectsV2"), ("s3", "HeadBucket"), ("s3", "GetObject"),
        ("sagemaker", "ListModels"), ("sts", "GetCallerIdentity"),
        ("lambda", "ListFunctions"),
        ("application-autoscaling", "DescribeScalableTargets")]
    assert [c.write for c in proxy.calls()][:6] == [True, True, False,
                                                    True, True, True]


def test_checks_can_be_switched_off(emulator, proxy):
    proxy.check_signatures = False
    proxy.check_model = False
    query(emulator, "Action=ListRoles&Version=2010-05-08&Bogus=1",
          after_signing=lambda h: h.replace_header(
              "Authorization", h["Authorization"][:-1] + "0"))
    assert proxy.problems() == []


# -- signatures -------------------------------------------------------------

def flip_last(headers):
    auth = headers["Authorization"]
    last = "1" if auth[-1] == "0" else "0"
    headers.replace_header("Authorization", auth[:-1] + last)


def later_date(headers):
    date = headers["X-Amz-Date"]
    second = int(date[-3:-1])
    headers.replace_header("X-Amz-Date",
                           f"{date[:-3]}{(second + 1) % 60:02d}Z")


def add_unsigned_header(headers):
    headers["X-Extra"] = "not signed, not checked"


@pytest.mark.parametrize("change,expect", [
    (flip_last, "botocore's canonical request"),
    (later_date, "Signature="),
    (lambda h: h.__setitem__("Host", "localhost:1"), "Signature="),
], ids=["signature", "signed-header", "host"])
def test_wrong_signature_is_caught(emulator, proxy, change, expect):
    query(emulator, "Action=ListRoles&Version=2010-05-08",
          after_signing=change)
    found = taken_problems(proxy)
    assert len(found) == 1, found
    assert found[0].startswith("signature: iam:ListRoles POST /: ")
    assert expect in found[0]
    # the session token never appears in what is printed
    assert emu_mod.SESSION_TOKEN not in found[0]


def test_unsigned_headers_are_not_part_of_the_check(emulator, proxy):
    query(emulator, "Action=ListRoles&Version=2010-05-08",
          after_signing=add_unsigned_header)
    assert proxy.problems() == []


def test_body_is_checked(emulator, proxy):
    # The body hash is part of the signature: a different body is caught.
    url = emulator.endpoint_url + "/"
    signed = AWSRequest(method="POST", url=url,
                        data=b"Action=ListRoles&Version=2010-05-08",
                        headers={"Content-Type":
                                 "application/x-www-form-urlencoded"})
    SigV4Auth(Credentials(emu_mod.ACCESS_KEY_ID, emu_mod.SECRET_ACCESS_KEY,
                          emu_mod.SESSION_TOKEN),
              "iam", "us-east-1").add_auth(signed)
    ctx = ssl.create_default_context(cafile=emulator.ca_bundle)
    conn = http.client.HTTPSConnection("127.0.0.1", proxy.port, context=ctx,
                                       timeout=30)
    conn.request("POST", "/", body=b"Action=ListRoles&Version=2010-05-08"
                 b"&MaxItems=1", headers=dict(signed.headers))
    conn.getresponse().read()
    conn.close()
    found = taken_problems(proxy, "signature")
    assert len(found) == 1, found


def test_session_token_must_be_signed(emulator, proxy):
    query(emulator, "Action=ListRoles&Version=2010-05-08", token=False)
    assert taken_problems(proxy) == [
        "signature: iam:ListRoles POST /: no session token sent for "
        f"{emu_mod.ACCESS_KEY_ID}, which needs one"]


def test_unknown_key_and_unsigned_request(emulator, proxy):
    send(emulator, "iam", "POST", "/", b"Action=ListRoles&Version=2010-05-08",
         {"Content-Type": "application/x-www-form-urlencoded",
          "Authorization": "AWS4-HMAC-SHA256 Credential=AKIDNOBODY/"
          "20260101/us-east-1/iam/aws4_request, SignedHeaders=host;"
          "x-amz-date, Signature=00", "X-Amz-Date": "20260101T000000Z"},
         sign=False)
    send(emulator, "s3", "GET", "/", sign=False)
    found = taken_problems(proxy)
    assert len(found) == 2, found
    assert "unknown access key AKIDNOBODY" in found[0]
    assert found[1] == "unsigned: None:ListBuckets GET /: no Authorization " \
        "header"


# -- parameters -------------------------------------------------------------

CREATE = ("Action=CreateRole&Version=2010-05-08&RoleName=r"
          "&AssumeRolePolicyDocument=%7B%7D")


@pytest.mark.parametrize("body,expect", [
    ("Action=CreateRole&Version=2010-05-08&RoleName=r",
     "Missing required parameter in input: \"AssumeRolePolicyDocument\""),
    (CREATE + "&Bogus=1", "unknown parameters: Bogus"),
    (CREATE + "&Tags.member.1.Key=a",
     "Missing required parameter in Tags[0]: \"Value\""),
    (CREATE + "&Tags.member.2.Key=a&Tags.member.2.Value=b",
     "unknown parameters: Tags.member.2.Key, Tags.member.2.Value"),
    (CREATE + "&Tags.1.Key=a&Tags.1.Value=b",
     "unknown parameters: Tags.1.Key, Tags.1.Value"),
    (CREATE + "&MaxSessionDuration=1h", "MaxSessionDuration='1h' is no "
     "integer"),
    (CREATE + "&MaxSessionDuration=60", "valid min value: 3600"),
    (CREATE + "&MaxSessionDuration=99999", "99999 is above 43200"),
    (CREATE + "&RoleName=s", "RoleName sent 2 times"),
    ("Action=CreateRole&Version=2010-05-08&RoleName=" + "r" * 65 +
     "&AssumeRolePolicyDocument=%7B%7D", "length 65, at most 64"),
    ("Action=ListRoles&Version=2010-05-09", "Version='2010-05-09', expected "
     "2010-05-08"),
    ("Action=ListRoles&Version=2010-05-08&MaxItems=0",
     "valid min value: 1"),
    ("Action=ListRoles&Version=2010-05-08&PathPrefix=%2F&MaxItems=true",
     "MaxItems='true' is no integer"),
    ("Action=ListPolicies&Version=2010-05-08&Scope=Everything",
     "'Everything' is not one of All, AWS, Local"),
    ("Action=ListPolicies&Version=2010-05-08&OnlyAttached=yes",
     "OnlyAttached='yes' is no boolean"),
    ("Action=NoSuchThing&Version=2010-05-08", "iam has no operation "
     "'NoSuchThing'"),
    ("Version=2010-05-08", "no Action parameter"),
], ids=["missing", "unknown", "nested-missing", "list-from-2",
        "ec2-style-list", "integer", "minimum", "maximum", "repeated",
        "length", "version", "min-items", "boolean-for-integer", "enum",
        "boolean", "no-such-operation", "no-action"])
def test_query_parameters(emulator, proxy, body, expect):
    query(emulator, body)
    found = taken_problems(proxy)
    assert found and all(p.startswith("model: ") for p in found), found
    assert any(expect in p for p in found), found


def test_query_lists_maps_structures_pass(emulator, proxy):
    query(emulator, CREATE + "&Tags.member.1.Key=a&Tags.member.1.Value=1"
          "&Tags.member.2.Key=b&Tags.member.2.Value=&Description=d"
          "&MaxSessionDuration=7200&Path=%2Fml%2F")
    query(emulator, "Action=UntagRole&Version=2010-05-08&RoleName=r"
          "&TagKeys.member.1=a&TagKeys.member.2=b")
    # An empty list is sent as the bare name.
    query(emulator, "Action=UntagRole&Version=2010-05-08&RoleName=r"
          "&TagKeys=")
    assert proxy.problems() == []


@pytest.mark.parametrize("target,params,expect", [
    ("SageMaker.ListModels", {"MaxResults": "10"},
     "Invalid type for parameter MaxResults"),
    ("SageMaker.ListModels", {"MaxResults": True},
     "MaxResults: True where a integer belongs"),
    ("SageMaker.ListModels", {"Bogus": 1}, 'Unknown parameter in input: '
     '"Bogus"'),
    ("SageMaker.ListModels", {"SortOrder": "Upwards"},
     "'Upwards' is not one of Ascending, Descending"),
    ("SageMaker.CreateNotebookInstance", {"NotebookInstanceName": "n",
                                          "InstanceType": "ml.t3.medium"},
     'Missing required parameter in input: "RoleArn"'),
    ("SageMakerX.ListModels", {}, "expected SageMaker.<Operation>"),
    ("SageMaker.NoSuchThing", {}, "sagemaker has no operation"),
], ids=["type", "bool-for-int", "unknown", "enum", "missing", "prefix",
        "operation"])
def test_json_parameters(emulator, proxy, target, params, expect):
    sagemaker(emulator, target, params)
    found = taken_problems(proxy)
    assert found and all(p.startswith("model: ") for p in found), found
    assert any(expect in p for p in found), found


def test_json_content_type(emulator, proxy):
    sagemaker(emulator, "SageMaker.ListModels", {},
              ctype="application/json")
    found = taken_problems(proxy)
    assert len(found) == 1 and "expected application/x-amz-json-1.1" in \
        found[0], found


@pytest.mark.parametrize("method,path,expect", [
    ("PATCH", "/bucket", "PATCH /bucket matches no s3 operation"),
    ("GET", "/bucket?bogus=1", "query parameters bogus are not in "
     "ListObjects"),
])
def test_rest_requests(emulator, proxy, method, path, expect):
    send(emulator, "s3", method, path)
    found = taken_problems(proxy)
    assert len(found) == 1 and expect in found[0], found


# -- faults -----------------------------------------------------------------

THROTTLED = [
    ("iam", lambda c: c.list_roles(), 400, "Throttling"),
    ("sts", lambda c: c.get_caller_identity(), 400, "Throttling"),
    ("sagemaker", lambda c: c.list_models(), 400, "ThrottlingException"),
    ("application-autoscaling", lambda c: c.describe_scalable_targets(
        ServiceNamespace="sagemaker"), 400, "ThrottlingException"),
    ("s3", lambda c: c.list_buckets(), 503, "SlowDown"),
    ("s3", lambda c: c.head_bucket(Bucket="bkt"), 503, "503"),
    ("lambda", lambda c: c.list_functions(), 429,
     "TooManyRequestsException"),
]


@pytest.mark.parametrize("service,call,status,code", THROTTLED,
                         ids=[f"{t[0]}-{t[3]}" for t in THROTTLED])
def test_throttling_in_each_protocol(emulator, proxy, service, call, status,
                                     code):
    # botocore's own parsers read the injected answers: the shapes are
    # what the service sends.
    c = client(emulator, service)
    if service == "s3":
        emulator.client("s3").create_bucket(Bucket="bkt")
    rule = proxy.inject("throttle")
    with pytest.raises(ClientError) as e:
        call(c)
    err = e.value.response
    assert err["ResponseMetadata"]["HTTPStatusCode"] == status
    assert err["Error"]["Code"] == code
    if status != 503 or code != "503":   # HEAD answers have no body
        assert err["ResponseMetadata"]["RequestId"]
    assert rule.injected == 1
    assert proxy.calls()[0].injected == "throttle"
    assert proxy.calls()[0].upstream is None


@pytest.mark.parametrize("fault,service,code", [
    ("500", "iam", "InternalFailure"), ("503", "iam", "ServiceUnavailable"),
    ("500", "sagemaker", "InternalFailure"),
    ("500", "s3", "InternalError"), ("503", "s3", "ServiceUnavailable"),
    ("500", "lambda", "ServiceException"),
])
def test_server_errors(emulator, proxy, fault, service, code):
    call = {"iam": lambda c: c.list_roles(),
            "sagemaker": lambda c: c.list_models(),
            "s3": lambda c: c.list_buckets(),
            "lambda": lambda c: c.list_functions()}[service]
    proxy.inject(fault)
    with pytest.raises(ClientError) as e:
        call(client(emulator, service))
    assert e.value.response["Error"]["Code"] == code
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == \
        int(fault)


def test_error_fault_and_canned_response(emulator, proxy):
    iam = client(emulator, "iam")
    proxy.inject(Error(400, "InvalidInput", "no such thing"),
                 operation="CreateRole")
    with pytest.raises(ClientError) as e:
        iam.create_role(RoleName="r", AssumeRolePolicyDocument=TRUST)
    assert e.value.response["Error"] == {
        "Type": "Sender", "Code": "InvalidInput", "Message": "no such thing"}
    assert e.value.response["ResponseMetadata"]["RequestId"]
    proxy.clear_faults()
    proxy.inject(Response(418, [("Content-Type", "text/plain")], b"tea"),
                 operation="ListRoles")
    assert query(emulator, "Action=ListRoles&Version=2010-05-08") == \
        (418, b"tea")
    assert emulator.client("iam").list_roles()["Roles"] == []


def test_schedule_takes_exactly_the_nth_call(emulator, proxy):
    s3 = client(emulator, "s3")
    rule = proxy.inject("503", operation="ListBuckets", calls=[2])
    s3.list_buckets()
    with pytest.raises(ClientError):
        s3.list_buckets()
    s3.list_buckets()
    s3.head_bucket  # other operations do not count
    assert (rule.seen, rule.injected) == (3, 1)
    assert [c.status for c in proxy.calls()] == [200, 503, 200]


def test_times_limits_a_rule(emulator, proxy):
    s3 = client(emulator, "s3")
    rule = proxy.inject("throttle", service="s3", times=2)
    for _ in range(2):
        with pytest.raises(ClientError):
            s3.list_buckets()
    s3.list_buckets()
    assert (rule.seen, rule.injected) == (3, 2)


def fake(operation="Op", service="iam"):
    return SimpleNamespace(operation=operation, service=service)


def test_rates_share_one_draw_and_are_seeded(proxy):
    def draw(seed):
        proxy.clear_faults()
        proxy.seed(seed)
        proxy.inject("throttle", rate=0.3)
        proxy.inject("500", rate=0.05)
        proxy.inject("reset", rate=0.05)
        return [rule.fault if rule else None for _, rule in
                (proxy._pick_fault(fake()) for _ in range(20000))]

    first = draw(7)
    assert draw(7) == first
    assert draw(8) != first
    counts = Counter(first)
    assert abs(counts["throttle"] / 20000 - 0.30) < 0.015
    assert abs(counts["500"] / 20000 - 0.05) < 0.006
    assert abs(counts["reset"] / 20000 - 0.05) < 0.006
    assert abs(counts[None] / 20000 - 0.60) < 0.015


def test_schedule_before_rates_and_filters(proxy):
    proxy.inject("throttle", rate=1.0)
    sched = proxy.inject("reset-after", operation={"A", "B"}, calls=[2, 3])
    picked = [proxy._pick_fault(fake(op))[1] for op in "ABCAB"]
    assert [r.fault for r in picked] == ["throttle", "reset-after",
                                         "throttle", "reset-after",
                                         "throttle"]
    assert (sched.seen, sched.injected) == (4, 2)


def test_latency_fault(emulator, proxy):
    emulator.client("s3").create_bucket(Bucket="warm-up")  # moto's IAM
    s3 = client(emulator, "s3")
    rule = proxy.inject("latency", seconds=0.4, operation="ListBuckets")
    t0 = time.monotonic()
    s3.list_buckets()
    assert time.monotonic() - t0 >= 0.4
    s3.create_bucket(Bucket="quick")
    listed, created = proxy.calls()
    assert listed.elapsed >= 0.4
    assert created.elapsed < 0.4
    assert rule.injected == 1


def test_reset_before_moto(emulator, proxy, s3):
    proxy.inject("reset", operation="CreateBucket")
    with pytest.raises(Exception) as e:
        client(emulator, "s3").create_bucket(Bucket="never-made")
    assert not isinstance(e.value, ClientError)
    assert s3.list_buckets()["Buckets"] == []
    call = proxy.calls()[0]
    assert (call.status, call.upstream, call.injected) == (None, None,
                                                           "reset")


def test_reset_after_moto(emulator, proxy, s3):
    proxy.inject("reset-after", operation="CreateBucket")
    with pytest.raises(Exception) as e:
        client(emulator, "s3").create_bucket(Bucket="made-unanswered")
    assert not isinstance(e.value, ClientError)
    assert [b["Name"] for b in s3.list_buckets()["Buckets"]] == \
        ["made-unanswered"]
    call = proxy.calls()[0]
    assert (call.status, call.upstream, call.injected) == (None, 200,
                                                           "reset-after")


def test_truncated_answer(emulator, proxy, iam):
    # moto creates the role; the client gets half an answer and a closed
    # connection, which no HTTP client can take for a whole one.
    proxy.inject("truncate", operation="CreateRole")
    ctx = ssl.create_default_context(cafile=emulator.ca_bundle)
    body = f"Action=CreateRole&Version=2010-05-08&RoleName=cut" \
           f"&AssumeRolePolicyDocument={TRUST}"
    req = AWSRequest(method="POST", url=emulator.endpoint_url + "/",
                     data=body.encode(), headers={
                         "Content-Type": "application/x-www-form-urlencoded"})
    SigV4Auth(Credentials(emu_mod.ACCESS_KEY_ID, emu_mod.SECRET_ACCESS_KEY,
                          emu_mod.SESSION_TOKEN), "iam",
              "us-east-1").add_auth(req)
    conn = http.client.HTTPSConnection("127.0.0.1", proxy.port, context=ctx,
                                       timeout=30)
    conn.request("POST", "/", body=body.encode(), headers=dict(req.headers))
    resp = conn.getresponse()
    declared = int(resp.getheader("Content-Length"))
    with pytest.raises(http.client.IncompleteRead) as e:
        resp.read()
    conn.close()
    assert 0 < len(e.value.partial) < declared
    assert e.value.partial.startswith(b"<CreateRoleResponse")
    assert [r["RoleName"] for r in iam.list_roles()["Roles"]] == ["cut"]
    call = proxy.calls()[0]
    assert (call.status, call.upstream, call.injected) == (200, 200,
                                                           "truncate")
    # the query body was not URL-encoded: botocore's checks still pass
    proxy.clear_problems()


def test_reset_clears_faults_and_problems(emulator, proxy):
    proxy.inject("throttle")
    query(emulator, "Action=ListRoles&Version=2010-05-08&Bogus=1")
    assert proxy.problems() and proxy.faults()
    emulator.reset()
    assert proxy.problems() == [] and proxy.faults() == []
    client(emulator, "iam").list_roles()
