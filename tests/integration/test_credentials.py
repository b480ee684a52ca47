"""Credentials, region and endpoints, found as the AWS SDKs find them.

Each path is taken by the real binary: `mlstack plan` on a one-bucket
stack whose tags need the account id and the region (so the plan calls STS
GetCallerIdentity, and S3 too when the bucket is already in the state).
The proxy's records then say which access key signed (Credential=AKID/...),
for which region (the credential scope), with which session token
(X-Amz-Security-Token); each signature is computed again with botocore
from the secret of the source that should have won, which proves that the
secret came from there too.

Every test starts from an environment without any AWS_* credential,
profile or region variable, and a fresh HOME; the keys are fakes made for
these tests, and none of their secrets may show up in what mlstack prints
or writes, or go over the wire.
"""

import datetime
import json
import re
import socket
import stat
import textwrap
from collections import namedtuple
from pathlib import Path
from unittest import mock

import botocore.auth
import pytest
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from helpers import ACCOUNT_ID, NO_CHANGES, SAGEMAKER_TRUST_YAML, plan_counts

Creds = namedtuple("Creds", "key secret token")

# One key pair per place credentials can come from, so the records tell
# which place won. All fake.
ENV = Creds("AKIDFAKEENVIRONMENT", "FakeEnvSecret/DoNotLeak/1111111111111",
            None)
ENV_TOKEN = Creds("AKIDFAKEENVTOKEN", "FakeEnvSecret/DoNotLeak/2222222222222",
                  "FakeEnvSessionToken/DoNotLeak+2222==")
FILE = Creds("AKIDFAKECREDFILE", "FakeFileSecret/DoNotLeak/33333333333333",
             None)
FILE_TOKEN = Creds("AKIDFAKECREDFILETOKEN",
                   "FakeFileSecret/DoNotLeak/44444444444444",
                   "FakeFileSessionToken/DoNotLeak+4444==")
CONFIG = Creds("AKIDFAKECONFIGFILE", "FakeConfigSecret/DoNotLeak/5555555555",
               None)
PROCESS = Creds("AKIDFAKEPROCESS", "FakeProcessSecret/DoNotLeak/666666666",
                "FakeProcessSessionToken/DoNotLeak+6666==")
HOME_DEFAULT = Creds("AKIDFAKEHOMEDEFAULT",
                     "FakeHomeSecret/DoNotLeak/7777777777777", None)
# in files, where it must not be taken
DECOY = Creds("AKIDFAKEDECOY", "FakeDecoySecret/DoNotLeak/99999999999999",
              "FakeDecoyToken/DoNotLeak")
ALL = (ENV, ENV_TOKEN, FILE, FILE_TOKEN, CONFIG, PROCESS, HOME_DEFAULT, DECOY)

# What the fixture's environment sets and these tests decide themselves.
AWS_VARS = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
            "AWS_SECURITY_TOKEN", "AWS_PROFILE", "AWS_DEFAULT_PROFILE",
            "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_CONFIG_FILE",
            "AWS_SHARED_CREDENTIALS_FILE", "AWS_ENDPOINT_URL_S3",
            "AWS_ENDPOINT_URL_IAM", "AWS_ENDPOINT_URL_STS")

STACK = """
stack: creds
{region}resources:
  store:
    type: aws_s3_bucket
    properties:
      bucket: creds-data
      tags: {{region: "${{aws.region}}", account: "${{aws.account_id}}"}}
"""

# For the endpoint tests: one resource per service, nothing else to call.
TWO_SERVICES = """
stack: endpoints
resources:
  store:
    type: aws_s3_bucket
    properties:
      bucket: endpoints-data
  role:
    type: aws_iam_role
    properties:
      name: endpoints-role
      assume_role_policy: %s
""" % SAGEMAKER_TRUST_YAML


def stack(region=None):
    return STACK.format(region=f"region: {region}\n" if region else "")


# -- set-up -----------------------------------------------------------------

@pytest.fixture
def aws_dir(tmp_path):
    """Where a test keeps its AWS files: outside the directories the
    conftest scans for leaks, since these files hold secrets on purpose."""
    d = tmp_path / "aws"
    d.mkdir()
    return d


@pytest.fixture
def home(tmp_path):
    """A fresh, empty HOME for mlstack (its ~/.aws is looked at)."""
    d = tmp_path / "aws-home"
    d.mkdir()
    return d


@pytest.fixture(autouse=True)
def _own_secrets_kept(request):
    """Like the conftest's leak check, for the secrets of this file: never
    printed, never in the working directory, never sent; session tokens
    are sent (that is their purpose) but never printed or written."""
    if "cli" not in request.fixturenames:
        yield
        return
    cli = request.getfixturevalue("cli")
    proxy = request.getfixturevalue("proxy")
    yield
    leaks = []
    seen = calls(proxy)
    for creds in ALL:
        for secret in filter(None, (creds.secret, creds.token)):
            for args, out, err in cli.outputs:
                if secret in out or secret in err:
                    leaks.append(f"output of mlstack {' '.join(args)}")
            for root in (cli.workdir, cli.home, cli.logdir):
                for path in Path(root).rglob("*"):
                    if path.is_file() and secret.encode() in path.read_bytes():
                        leaks.append(str(path))
        for call in seen:
            req = call.request
            wire = b"".join(f"{k}: {v}\n".encode() for k, v in req.headers)
            if creds.secret.encode() in wire + req.body + req.target.encode():
                leaks.append(f"request {call}")
    assert not leaks, "test credentials leaked into: " + ", ".join(
        sorted(set(leaks)))


def configure(cli, proxy, home, **env):
    """mlstack's environment from now on: the fixture's without any AWS
    credential, profile or region variable, HOME set to home, plus env
    (None leaves a variable out). Every test key is made known to the
    proxy, whose signature check must be able to verify it."""
    for name in AWS_VARS:
        cli.env.pop(name, None)
    cli.env["HOME"] = str(home)
    for name, value in env.items():
        if value is not None:
            cli.env[name] = str(value)
    for creds in ALL:
        proxy.add_credentials(creds.key, creds.secret, creds.token)


def env_creds(creds):
    env = {"AWS_ACCESS_KEY_ID": creds.key,
           "AWS_SECRET_ACCESS_KEY": creds.secret}
    if creds.token:
        env["AWS_SESSION_TOKEN"] = creds.token
    return env


def ini(path, text):
    path.write_text(textwrap.dedent(text).lstrip("\n"))
    return path


def keys(creds):
    """A profile's key lines in an AWS credentials or config file."""
    lines = [f"aws_access_key_id = {creds.key}",
             f"aws_secret_access_key = {creds.secret}"]
    if creds.token:
        lines.append(f"aws_session_token = {creds.token}")
    return "\n".join(lines)


def dead_url():
    """An https URL where nothing listens (connections are refused)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"https://127.0.0.1:{port}"


# -- what the proxy saw -------------------------------------------------------

def calls(proxy):
    """The calls recorded so far. The proxy records a call once its
    answer is sent, so mlstack may have exited a moment before: wait for
    the proxy to be idle first."""
    assert proxy.wait_idle(60), "the proxy is still busy"
    return proxy.calls()


AUTH_RE = re.compile(
    r"^AWS4-HMAC-SHA256 Credential=(?P<key>[^/]+)/(?P<day>\d{8})/"
    r"(?P<region>[^/]+)/(?P<service>[^/]+)/aws4_request, "
    r"SignedHeaders=(?P<signed>[^,]+), Signature=(?P<sig>[0-9a-f]{64})$")


def botocore_authorization(req, secret, m):
    """botocore's Authorization for the request as recorded, signed with
    secret for the same scope, headers and time."""
    signed = m["signed"].split(";")
    url = "https://" + req.header("host") + req.target
    again = AWSRequest(method=req.method, url=url, data=req.body)
    for name, value in req.headers:
        if name.lower() in signed:
            again.headers[name] = value
    creds = Credentials(m["key"], secret, req.header("x-amz-security-token"))
    cls = (botocore.auth.S3SigV4Auth if m["service"] == "s3"
           else botocore.auth.SigV4Auth)
    when = datetime.datetime.strptime(
        req.header("x-amz-date"), "%Y%m%dT%H%M%SZ").replace(
            tzinfo=datetime.timezone.utc)
    with mock.patch.object(botocore.auth, "get_current_datetime",
                           return_value=when):
        cls(creds, m["service"], m["region"]).add_auth(again)
    return again.headers["Authorization"]


def assert_signed_with(seen, creds, region=None):
    """Every call seen was signed with creds (key, secret and token), and
    the STS calls for region."""
    assert seen, "mlstack made no AWS call"
    for call in seen:
        req = call.request
        auth = req.header("authorization") or ""
        m = AUTH_RE.match(auth)
        assert m, f"{call}: not signed: {auth!r}"
        assert m["key"] == creds.key, f"{call}: signed with {m['key']}"
        token = req.header("x-amz-security-token")
        assert token == creds.token, f"{call}: session token {token!r}"
        if creds.token:
            assert "x-amz-security-token" in m["signed"].split(";")
        if region and call.service == "sts":
            assert m["region"] == region, f"{call}: signed for {m['region']}"
        assert botocore_authorization(req, creds.secret, m) == auth, \
            f"{call}: not signed with the secret of {creds.key}"


def plan_ok(run, region="us-east-1"):
    """Run plan; it must succeed, and show the region and account it was
    given in the new bucket's tags, or (the bucket applied before, with
    us-east-1 and the account in its tags) find nothing to change."""
    code, out, err = run("plan")
    assert code == 0, err
    if NO_CHANGES not in out:
        assert re.search(rf'"region" += ("[^"]*" -> )?"{region}"$', out,
                         re.M), out
        # an update folds the account, which did not change
        assert (re.search(rf'"account" += "{ACCOUNT_ID}"$', out, re.M) or
                "will be updated in place" in out), out
    else:
        assert region == "us-east-1"
    return out


def applied(cli, run, proxy, text=None):
    """The stack applied with the fixture's own credentials, so that the
    next plan reads its bucket back; the proxy's records start empty."""
    code, _, err = run("apply", "--auto-approve", stack=text or stack())
    assert code == 0, err
    proxy.clear_calls()


def source_said(run, source, region):
    """mlstack -vv says where its credentials and region came from."""
    code, _, err = run("plan", "-vv")
    assert code == 0, err
    assert f"credentials from {source}, region {region}," in err, err


def error_line(err):
    """The one line mlstack printed on stderr."""
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1, f"expected one line on stderr, got:\n{err}"
    return lines[0]


# -- credentials ----------------------------------------------------------------

@pytest.mark.parametrize("creds", [ENV, ENV_TOKEN], ids=["keys", "token"])
def test_environment(cli, run, proxy, home, aws_dir, creds):
    applied(cli, run, proxy)
    # files with a default profile lose to the environment
    ini(aws_dir / "credentials", f"[default]\n{keys(DECOY)}\n")
    configure(cli, proxy, home, AWS_REGION="us-east-1",
              AWS_SHARED_CREDENTIALS_FILE=aws_dir / "credentials",
              **env_creds(creds))
    out = plan_ok(run)
    assert plan_counts(out) == (0, 0, 0)
    seen = calls(proxy)
    assert {c.service for c in seen} == {"s3", "sts", "tagging"}
    assert_signed_with(seen, creds, region="us-east-1")
    source_said(run, "environment", "us-east-1")


def test_environment_beats_profile(cli, run, proxy, home, aws_dir):
    ini(aws_dir / "credentials", f"[x]\n{keys(DECOY)}\n")
    configure(cli, proxy, home, AWS_REGION="us-east-1", AWS_PROFILE="x",
              AWS_SHARED_CREDENTIALS_FILE=aws_dir / "credentials",
              **env_creds(ENV))
    run("plan", stack=stack(), check=0)
    assert_signed_with(calls(proxy), ENV)


def test_incomplete_environment(cli, run, proxy, home):
    configure(cli, proxy, home, AWS_REGION="us-east-1",
              AWS_ACCESS_KEY_ID=ENV.key)
    code, out, err = run("plan", stack=stack())
    assert code == 1
    line = error_line(err)
    assert "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not" in line
    assert calls(proxy) == []


def test_profile_in_config_and_credentials_files(cli, run, proxy, home,
                                                 aws_dir):
    """AWS_PROFILE=x: [x] in the credentials file, [profile x] in the
    config file (its region too); the other sections are not taken."""
    applied(cli, run, proxy)
    creds = ini(aws_dir / "shared-credentials", "\n".join([
        "[default]", keys(DECOY), "",
        "# in the credentials file, this is a profile named 'profile x'",
        "[profile x]", keys(DECOY), "",
        "[x]",
        f"aws_access_key_id = {FILE.key}",
        "; a comment between the keys",
        f"aws_secret_access_key={FILE.secret}", "",
        "[xy]", keys(DECOY), ""]))
    config = ini(aws_dir / "aws-config", "\n".join([
        "[default]", "region = eu-north-1", "",
        "# in the config file, a profile other than default is [profile x]",
        "[x]", "region = ap-northeast-1", "",
        "[profile x]", "region = us-west-2", "output = json",
        "s3 =", "  addressing_style = path",
        "  region = ap-southeast-1",
        keys(DECOY), ""]))
    configure(cli, proxy, home, AWS_PROFILE="x",
              AWS_SHARED_CREDENTIALS_FILE=creds, AWS_CONFIG_FILE=config)
    plan_ok(run, region="us-west-2")
    seen = calls(proxy)
    # the bucket was made in us-east-1: read alone, no list of us-west-2's
    assert {c.service for c in seen} == {"s3", "sts"}
    assert_signed_with(seen, FILE, region="us-west-2")
    source_said(run, f"{creds} [x]", "us-west-2")


def test_session_token_from_credentials_file(cli, run, proxy, home, aws_dir):
    applied(cli, run, proxy)
    creds = ini(aws_dir / "credentials", f"[work]\n{keys(FILE_TOKEN)}\n")
    config = ini(aws_dir / "config", "[profile work]\nregion = us-east-1\n")
    configure(cli, proxy, home, AWS_PROFILE="work",
              AWS_SHARED_CREDENTIALS_FILE=creds, AWS_CONFIG_FILE=config)
    plan_ok(run)
    assert_signed_with(calls(proxy), FILE_TOKEN)

    # traces show what was signed, but not the token (nor, as for every
    # run, the secret: see _own_secrets_kept)
    code, _, err = run("plan", env={"MLSTACK_TRACE": "aws"})
    assert code == 0, err
    assert "x-amz-security-token:(redacted)" in err, err


def test_keys_in_config_file(cli, run, proxy, home, aws_dir):
    """No credentials file at all: the keys of [profile x] in the config
    file."""
    config = ini(aws_dir / "config",
                 f"[default]\n{keys(DECOY)}\n\n[profile x]\n{keys(CONFIG)}\n"
                 "region = eu-west-3\n")
    configure(cli, proxy, home, AWS_PROFILE="x", AWS_CONFIG_FILE=config,
              AWS_SHARED_CREDENTIALS_FILE=aws_dir / "no-such-file")
    cli.write_stack(stack())
    plan_ok(run, region="eu-west-3")
    assert_signed_with(calls(proxy), CONFIG, region="eu-west-3")
    source_said(run, f"{config} [profile x]", "eu-west-3")


@pytest.mark.parametrize("profile", [None, "x"], ids=["default", "AWS_PROFILE"])
def test_default_files_under_home(cli, run, proxy, home, profile):
    """~/.aws/credentials and ~/.aws/config when no variable names files."""
    (home / ".aws").mkdir()
    name = profile or "default"
    section = f"profile {name}" if profile else "default"
    other = "default" if profile else "x"
    ini(home / ".aws" / "credentials",
        f"[{other}]\n{keys(DECOY)}\n\n[{name}]\n{keys(HOME_DEFAULT)}\n")
    ini(home / ".aws" / "config",
        f"[{section}]\nregion = eu-central-1\n\n"
        f"[{'profile x' if not profile else 'default'}]\nregion = sa-east-1\n")
    configure(cli, proxy, home, AWS_PROFILE=profile)
    cli.write_stack(stack())
    plan_ok(run, region="eu-central-1")
    assert_signed_with(calls(proxy), HOME_DEFAULT, region="eu-central-1")


def test_older_and_other_spellings(cli, run, proxy, home):
    """What docs/aws-client.md promises beyond the common case: "~/" in
    the file variables, [profile default] in the config file, and the
    older aws_security_token / AWS_SECURITY_TOKEN names of the token."""
    (home / "aws files").mkdir()
    ini(home / "aws files" / "creds",
        keys(FILE_TOKEN).replace("aws_session_token", "aws_security_token")
        .join(["[default]\n", "\n"]))
    ini(home / "aws files" / "conf", "[profile default]\nregion = eu-west-2\n")
    configure(cli, proxy, home,
              AWS_SHARED_CREDENTIALS_FILE="~/aws files/creds",
              AWS_CONFIG_FILE="~/aws files/conf")
    cli.write_stack(stack())
    plan_ok(run, region="eu-west-2")
    assert_signed_with(calls(proxy), FILE_TOKEN, region="eu-west-2")
    source_said(run, f"{home}/aws files/creds [default]", "eu-west-2")

    proxy.clear_calls()
    configure(cli, proxy, home, AWS_REGION="us-east-1",
              AWS_ACCESS_KEY_ID=ENV_TOKEN.key,
              AWS_SECRET_ACCESS_KEY=ENV_TOKEN.secret,
              AWS_SECURITY_TOKEN=ENV_TOKEN.token)
    plan_ok(run)
    assert_signed_with(calls(proxy), ENV_TOKEN)


def write_process(aws_dir, creds, extra=None, status=0):
    """A credential_process script printing creds (and the extra fields)."""
    doc = {"Version": 1, "AccessKeyId": creds.key,
           "SecretAccessKey": creds.secret,
           "Expiration": "2099-01-01T00:00:00Z"}
    if creds.token:
        doc["SessionToken"] = creds.token
    doc.update(extra or {})
    script = aws_dir / "print creds.sh"
    script.write_text("#!/bin/sh\n"
                      "# the arguments arrive as a shell would split them\n"
                      '[ "$1" = "--profile" ] && [ "$2" = "proc" ] || exit 9\n'
                      f"cat <<'EOF'\n{json.dumps(doc)}\nEOF\n"
                      f"exit {status}\n")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return f"'{script}' --profile proc"


@pytest.mark.parametrize("where", ["config", "credentials"])
def test_credential_process(cli, run, proxy, home, aws_dir, where):
    applied(cli, run, proxy)
    command = write_process(aws_dir, PROCESS)
    if where == "config":
        ini(aws_dir / "config", f"[profile proc]\nregion = us-east-1\n"
            f"credential_process = {command}\n")
    else:
        ini(aws_dir / "config", "[profile proc]\nregion = us-east-1\n")
        ini(aws_dir / "credentials", f"[proc]\ncredential_process = {command}\n")
    configure(cli, proxy, home, AWS_PROFILE="proc",
              AWS_CONFIG_FILE=aws_dir / "config",
              AWS_SHARED_CREDENTIALS_FILE=aws_dir / "credentials")
    plan_ok(run)
    seen = calls(proxy)
    assert {c.service for c in seen} == {"s3", "sts", "tagging"}
    assert_signed_with(seen, PROCESS)
    source_said(run, "credential_process of profile 'proc'", "us-east-1")


@pytest.mark.parametrize("status,doc,message", [
    (3, {}, "AWS profile 'proc': credential_process failed (exit status 3)"),
    (0, {"Version": 2}, "AWS profile 'proc': credential_process output has "
     'no "Version": 1'),
    (0, {"AccessKeyId": ""}, "AWS profile 'proc': credential_process output "
     "lacks AccessKeyId or SecretAccessKey"),
], ids=["exit-status", "version", "no-key"])
def test_credential_process_failures(cli, run, proxy, home, aws_dir, status,
                                     doc, message):
    command = write_process(aws_dir, PROCESS, doc, status)
    ini(aws_dir / "config", f"[profile proc]\ncredential_process = {command}\n")
    configure(cli, proxy, home, AWS_PROFILE="proc", AWS_REGION="us-east-1",
              AWS_CONFIG_FILE=aws_dir / "config",
              AWS_SHARED_CREDENTIALS_FILE=aws_dir / "credentials")
    code, _, err = run("plan", stack=stack())
    assert code == 1
    assert message in error_line(err)
    assert calls(proxy) == []


# -- nothing found ----------------------------------------------------------------

def test_no_credentials(cli, run, proxy, home):
    configure(cli, proxy, home, AWS_REGION="us-east-1")
    code, out, err = run("plan", stack=stack())
    assert code == 1
    line = error_line(err)
    assert ("no AWS credentials found (looked in: environment "
            f"AWS_ACCESS_KEY_ID, {home}/.aws/credentials [default], "
            f"{home}/.aws/config [default])") in line
    assert calls(proxy) == []

    # validate needs neither credentials nor AWS
    code, out, err = run("validate")
    assert code == 0, err
    assert "The stack is valid." in out
    assert calls(proxy) == []


def test_no_credentials_in_named_profile(cli, run, proxy, home, aws_dir):
    creds = ini(aws_dir / "creds", f"[default]\n{keys(DECOY)}\n\n[x]\n")
    config = ini(aws_dir / "conf", "[profile x]\nregion = us-east-1\n")
    configure(cli, proxy, home, AWS_PROFILE="x",
              AWS_SHARED_CREDENTIALS_FILE=creds, AWS_CONFIG_FILE=config)
    code, _, err = run("plan", stack=stack())
    assert code == 1
    assert ("no AWS credentials found (looked in: environment "
            f"AWS_ACCESS_KEY_ID, {creds} [x], {config} [profile x])"
            ) in error_line(err)
    assert calls(proxy) == []


def test_unknown_profile(cli, run, proxy, home, aws_dir):
    creds = ini(aws_dir / "creds", f"[default]\n{keys(DECOY)}\n")
    config = ini(aws_dir / "conf", "[default]\nregion = us-east-1\n")
    configure(cli, proxy, home, AWS_PROFILE="ghost", AWS_REGION="us-east-1",
              AWS_SHARED_CREDENTIALS_FILE=creds, AWS_CONFIG_FILE=config)
    code, _, err = run("plan", stack=stack())
    assert code == 1
    assert (f"AWS profile 'ghost' not found (looked in: {creds} [ghost], "
            f"{config} [profile ghost])") in error_line(err)
    assert calls(proxy) == []


# -- region ----------------------------------------------------------------------

REGION_CASES = {
    # name: (stack's region, environment, profile's region, expected)
    "stack": ("eu-west-1", {"AWS_REGION": "ap-south-1",
                            "AWS_DEFAULT_REGION": "ca-central-1"},
              "sa-east-1", "eu-west-1"),
    "AWS_REGION": (None, {"AWS_REGION": "ap-south-1",
                          "AWS_DEFAULT_REGION": "ca-central-1"},
                   "sa-east-1", "ap-south-1"),
    "AWS_DEFAULT_REGION": (None, {"AWS_DEFAULT_REGION": "ca-central-1"},
                           "sa-east-1", "ca-central-1"),
    "profile": (None, {}, "sa-east-1", "sa-east-1"),
    "stack-only": ("eu-west-1", {}, None, "eu-west-1"),
}


@pytest.mark.parametrize("case", list(REGION_CASES))
def test_region(cli, run, proxy, home, aws_dir, case):
    stack_region, env, profile_region, expected = REGION_CASES[case]
    config = aws_dir / "config"
    ini(config, "[default]\nregion = eu-north-1\n\n[profile r]\n"
        + (f"region = {profile_region}\n" if profile_region else ""))
    configure(cli, proxy, home, AWS_PROFILE="r", AWS_CONFIG_FILE=config,
              **env, **env_creds(ENV))
    cli.write_stack(stack(stack_region))
    plan_ok(run, region=expected)
    seen = calls(proxy)
    assert [c.operation for c in seen] == ["GetCallerIdentity"]
    assert_signed_with(seen, ENV, region=expected)


def test_region_of_default_profile(cli, run, proxy, home):
    (home / ".aws").mkdir()
    ini(home / ".aws" / "config", "[default]\nregion = eu-north-1\n")
    configure(cli, proxy, home, **env_creds(ENV))
    cli.write_stack(stack())
    plan_ok(run, region="eu-north-1")
    assert_signed_with(calls(proxy), ENV, region="eu-north-1")


def test_no_region(cli, run, proxy, home):
    configure(cli, proxy, home, **env_creds(ENV))
    code, _, err = run("plan", stack=stack())
    assert code == 1
    line = error_line(err)
    assert "no AWS region set" in line
    for where in ("region:", "AWS_REGION", "AWS_DEFAULT_REGION", "profile"):
        assert where in line
    assert calls(proxy) == []


def test_bad_region(cli, run, proxy, home):
    configure(cli, proxy, home, AWS_REGION="Mars_1", **env_creds(ENV))
    code, _, err = run("plan", stack=stack())
    assert code == 1
    assert "region 'Mars_1' (from AWS_REGION) is not a region name" in \
        error_line(err)
    assert calls(proxy) == []


# -- endpoints ------------------------------------------------------------------------

@pytest.fixture
def two_services(cli, run, proxy, home):
    """A bucket and a role in the state, applied through the proxy; then an
    environment with the fixture's keys and region but no endpoint."""
    applied(cli, run, proxy, TWO_SERVICES)
    endpoint = cli.env.pop("AWS_ENDPOINT_URL")
    configure(cli, proxy, home, AWS_REGION="us-east-1", **env_creds(ENV))
    return endpoint


def services_seen(proxy):
    return {c.service for c in calls(proxy)}


@pytest.mark.parametrize("slash", ["", "/"], ids=["url", "url-slash"])
def test_endpoint_for_every_service(cli, run, proxy, two_services, slash):
    cli.env["AWS_ENDPOINT_URL"] = two_services + slash
    code, out, err = run("plan")
    assert code == 0, err
    assert NO_CHANGES in out
    assert services_seen(proxy) == {"s3", "iam", "tagging"}
    assert_signed_with(calls(proxy), ENV)


@pytest.mark.parametrize("own,other", [("S3", "iam"), ("IAM", "s3")])
def test_service_endpoint_beats_the_common_one(cli, run, proxy, two_services,
                                               own, other):
    """AWS_ENDPOINT_URL_<SERVICE> at the proxy, AWS_ENDPOINT_URL at a
    closed port: the service's own calls arrive, the other service's go to
    the closed port and fail the plan."""
    dead = dead_url()
    cli.env["AWS_ENDPOINT_URL"] = dead
    cli.env[f"AWS_ENDPOINT_URL_{own}"] = two_services
    code, _, err = run("plan")
    assert code == 1
    assert dead in err, err
    assert services_seen(proxy) == {own.lower()}
    assert_signed_with(calls(proxy), ENV)

    # both at the proxy, with the tagging API the buckets' refresh reads
    # their tags from: all is well
    proxy.clear_calls()
    cli.env[f"AWS_ENDPOINT_URL_{other.upper()}"] = two_services
    cli.env["AWS_ENDPOINT_URL_RESOURCE_GROUPS_TAGGING_API"] = two_services
    code, out, err = run("plan")
    assert code == 0, err
    assert NO_CHANGES in out
    assert services_seen(proxy) == {"s3", "iam", "tagging"}


@pytest.mark.parametrize("own", ["S3", "IAM"])
def test_service_endpoint_is_used_even_when_common_one_works(
        cli, run, proxy, two_services, own):
    dead = dead_url()
    cli.env["AWS_ENDPOINT_URL"] = two_services
    cli.env[f"AWS_ENDPOINT_URL_{own}"] = dead
    code, _, err = run("plan")
    assert code == 1
    assert dead in err, err
    assert own.lower() not in services_seen(proxy)


def test_iam_is_signed_for_us_east_1(cli, run, proxy, two_services):
    cli.env["AWS_ENDPOINT_URL"] = two_services
    cli.env["AWS_REGION"] = "eu-west-1"
    code, _, err = run("plan")
    assert code == 0, err
    iam = [c for c in calls(proxy) if c.service == "iam"]
    assert iam
    assert {c.request.region for c in iam} == {"us-east-1"}
