"""SigV4 property test: mlstack's signer and botocore's agree, byte for byte.

Some thousand requests are generated from a seed (fixed by default and
printed; MLSTACK_SIGV4_SEED=N replays a run, =random explores new ones,
MLSTACK_SIGV4_CASES asks for more cases),
signed by mlstack through tests/tools/sigv4_sign (one run for all of them,
JSON lines) and by botocore (SigV4Auth, S3SigV4Auth for "s3") for the same
timestamp and credentials. The canonical request and the Authorization
header must be equal, and so must the headers the signer adds.

botocore is given the very wire request the driver gets: the URL string
is built here from the same encoded path and query bytes, and botocore's
AWSRequest is never prepared, so it cannot re-encode or reorder anything.

What the generator leaves out, and why (nothing else is excluded):
  - a Date header: botocore then rewrites Date and drops X-Amz-Date,
    which no SDK sends together with an X-Amz-Date (mlstack never sends
    Date);
  - an Accept header is given to mlstack but not to botocore: mlstack
    never signs Accept (curl's default is removed before sending, see
    sigv4.h), botocore signs it when present. The test checks that
    mlstack left it out of SignedHeaders;
  - empty pairs in a query ("a=1&&b=2"): botocore keeps them as "=",
    mlstack drops them; no client sends them;
  - a raw "+" in a query: whether it means a space is the protocol's
    business, not the signer's; a "+" in a name or value is sent as %2B.
Queries sent with other (valid) percent-encodings than the canonical one
(lowercase hex, escaped unreserved characters) are compared with
botocore's params form of the same decoded names and values, since
botocore's URL form signs a query as it is given and expects it
canonical.
"""

import base64
import datetime
import hashlib
import json
import os
import random
import subprocess
from collections import Counter
from pathlib import Path
from types import SimpleNamespace
from unittest import mock
from urllib.parse import quote

import botocore.auth
import pytest
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

REPO = Path(__file__).resolve().parent.parent.parent
DEFAULT_CASES = 1200

METHODS = ("GET", "PUT", "POST", "DELETE", "HEAD", "PATCH")
SERVICES = ("iam", "sts", "sagemaker", "lambda", "application-autoscaling",
            "ec2", "execute-api")
REGIONS = ("us-east-1", "eu-west-1", "ap-southeast-2", "cn-north-1",
           "us-gov-west-1", "il-central-1")
HOSTS = ("{svc}.{region}.amazonaws.com", "127.0.0.1:4566", "localhost:8443",
         "example.amazonaws.com", "Mixed.Case.Example.COM")
UNICODE = ("é", "ü", "ß", "ሴ", "日本語", "😀", "Ω", "ñ")
# characters that the path and query generators draw from
PATH_CHARS = ("abcxyzABCXYZ0123456789" "-_.~" " +=%" "!$&'()*,;:@" "/?#[]"
              '"<>\\^`{|}')
SUB_DELIMS = "!$&'()*,;=:@+"

SIGNED_BY_NEITHER = ("User-Agent", "user-agent", "Expect", "Connection",
                     "Keep-Alive", "TE", "Trailer", "Upgrade",
                     "Proxy-Authorization", "X-Amzn-Trace-Id",
                     "Transfer-Encoding", "Proxy-Authenticate",
                     "baggage", "traceparent", "tracestate")
HEADER_NAMES = ("X-Amz-Meta-Colour", "x-amz-META-shape", "Content-Type",
                "content-TYPE", "X-Amz-Target", "Range", "If-Match",
                "X-Custom-Header", "x-amz-acl", "Content-MD5",
                "Cache-Control", "X-Amz-Storage-Class", "Content-Encoding",
                "X-Amz-Tagging", "ETag", "x-amz-copy-source")


def driver_path(tools_dir):
    if tools_dir:
        path = Path(tools_dir) / "sigv4_sign"
        if not os.access(path, os.X_OK):
            pytest.fail(f"MLSTACK_TOOLS={tools_dir}: no sigv4_sign in it")
        return path
    path = REPO / "build" / "rel" / "tools" / "sigv4_sign"
    if not os.access(path, os.X_OK):
        pytest.skip(f"{path} not built (make build/rel/tools/sigv4_sign, "
                    "or set MLSTACK_TOOLS)")
    return path


# -- the generator ------------------------------------------------------------

class Gen:
    """Random request parts; tally counts the features each case used, so
    the test can prove that every one of them was exercised."""

    def __init__(self, rng):
        self.r = rng
        self.tally = Counter()

    def chance(self, p, feature=None):
        hit = self.r.random() < p
        if hit and feature:
            self.tally[feature] += 1
        return hit

    def text(self, alphabet, lo, hi):
        return "".join(self.r.choice(alphabet)
                       for _ in range(self.r.randint(lo, hi)))

    def raw_segment(self):
        """A decoded path segment or query word."""
        r = self.r
        parts = []
        for _ in range(r.randint(1, 4)):
            kind = r.random()
            if kind < 0.45:
                parts.append(self.text(PATH_CHARS, 1, 6))
            elif kind < 0.6:
                parts.append(r.choice(UNICODE))
                self.tally["unicode"] += 1
            else:
                parts.append(self.text("abcdefghijkLMNOP0123", 1, 8))
        s = "".join(parts)
        for ch, feature in ((" ", "space"), ("+", "plus"), ("=", "equals"),
                            ("~", "tilde"), ("%", "percent")):
            if ch in s:
                self.tally[feature] += 1
        return s

    def encode_segment(self, seg):
        """A path segment as a client may put it on the wire: always valid
        (no raw space, '?', '#', non-ASCII), encoded canonically, with raw
        sub-delimiters, or with lowercase hex."""
        r = self.r
        how = r.random()
        if how < 0.55:
            return quote(seg, safe="~")
        if how < 0.8:
            self.tally["raw sub-delims in path"] += 1
            return quote(seg, safe="~" + SUB_DELIMS)
        self.tally["lowercase hex in path"] += 1
        enc = quote(seg, safe="~")
        out, i = [], 0
        while i < len(enc):
            if enc[i] == "%":
                out.append(enc[i:i + 3].lower())
                i += 3
            else:
                out.append(enc[i])
                i += 1
        return "".join(out)

    def path(self):
        r = self.r
        if self.chance(0.05, "root path"):
            return "/"
        segs = []
        for _ in range(r.randint(1, 6)):
            kind = r.random()
            if kind < 0.08:
                segs.append("")
                self.tally["repeated slash"] += 1
            elif kind < 0.14:
                segs.append(".")
                self.tally["dot segment"] += 1
            elif kind < 0.20:
                segs.append("..")
                self.tally["dot-dot segment"] += 1
            elif kind < 0.23:
                segs.append(r.choice(("%2E%2E", "%2e", "..%2F..", "...")))
                self.tally["encoded dots"] += 1
            elif kind < 0.26:
                segs.append(r.choice(("%", "100%", "%zz", "%4", "a%2")))
                self.tally["stray percent"] += 1
            else:
                segs.append(self.encode_segment(self.raw_segment()))
        path = "/" + "/".join(segs)
        if self.chance(0.15, "trailing slash"):
            path += "/"
        if self.chance(0.05, "leading double slash"):
            path = "/" + path
        return path

    def query_word(self):
        r = self.r
        kind = r.random()
        if kind < 0.3:
            return r.choice(("Action", "Version", "a", "A", "b", "list-type",
                             "prefix", "max-keys", "tagging", "uploads",
                             "X-Amz-Meta"))
        if kind < 0.4:
            self.tally["reserved chars in query"] += 1
            return self.text("&=+/?#:@ ,;$!*'()%[]", 1, 5)
        return self.raw_segment()

    def query(self):
        """(wire query or None, decoded pairs, canonical encoding?)"""
        r = self.r
        if self.chance(0.2, "no query"):
            return None, [], True
        pairs = []
        for _ in range(r.randint(1, 7)):
            if pairs and self.chance(0.2, "repeated query key"):
                key = r.choice(pairs)[0]
            else:
                key = self.query_word()
            if self.chance(0.25, "empty query value"):
                value = ""
            else:
                value = self.query_word()
            pairs.append((key, value))
        if self.chance(0.05, "repeated query pair"):
            pairs.append(r.choice(pairs))
        if self.chance(0.02, "empty query name"):
            pairs.append(("", self.query_word()))
        r.shuffle(pairs)
        canonical = not self.chance(0.15, "non-canonical query encoding")
        items = []
        for key, value in pairs:
            k, v = self.encode_query(key, canonical), \
                self.encode_query(value, canonical)
            if value == "" and self.chance(0.5, "bare query key"):
                items.append(k)
            else:
                items.append(f"{k}={v}")
        return "&".join(items), pairs, canonical

    def encode_query(self, s, canonical):
        if canonical:
            return quote(s, safe="-_.~")
        out = []
        for b in s.encode():
            c = chr(b)
            if c.isalnum() and c.isascii() or c in "-_.~":
                out.append(c if self.r.random() < 0.6 else f"%{b:02X}")
            else:
                out.append(f"%{b:02x}" if self.r.random() < 0.5
                           else f"%{b:02X}")
        return "".join(out)

    def header_value(self):
        r = self.r
        words = [self.text("abcXYZ019-_=/+;,\"'()<>@?.:", 1, 8)
                 for _ in range(r.randint(0, 4))]
        if self.chance(0.05, "non-ASCII header value"):
            words.append(r.choice(UNICODE))
        seps = []
        for _ in range(max(len(words) - 1, 0)):
            if self.chance(0.3, "inner spaces in header"):
                seps.append(r.choice(("  ", "   ", " \t ", "\t", "    ")))
            else:
                seps.append(" ")
        value = words[0] if words else ""
        for sep, word in zip(seps, words[1:]):
            value += sep + word
        if self.chance(0.25, "leading space in header"):
            value = r.choice((" ", "  ", "\t", " \t ")) + value
        if self.chance(0.25, "trailing space in header"):
            value += r.choice((" ", "   ", "\t"))
        if self.chance(0.02, "folded header"):
            value += "\r\n   continued\n\tline"
        if not words:
            self.tally["empty header value"] += 1
        return value

    def header_name(self, name):
        """name with a random case, now and then."""
        if self.chance(0.4, "mixed-case header name"):
            return "".join(c.upper() if self.r.random() < 0.5 else c.lower()
                           for c in name)
        return name

    def body(self):
        r = self.r
        kind = r.random()
        if kind < 0.4:
            self.tally["empty body"] += 1
            return b""
        self.tally["body"] += 1
        if kind < 0.7:
            return json.dumps({"Name": self.raw_segment(),
                               "Tags": [self.raw_segment()]}).encode()
        return bytes(r.randrange(256) for _ in range(r.randint(1, 400)))


def make_case(g, index):
    r = g.r
    method = METHODS[index % len(METHODS)]
    s3 = (index // len(METHODS)) % 2 == 0
    token = None
    if (index // (2 * len(METHODS))) % 2 == 0:
        token = "FakeTok/" + g.text("ABCDEFabcdef0123456789+/=", 40, 200)
    service = "s3" if s3 else r.choice(SERVICES)
    region = r.choice(REGIONS)
    host = r.choice(HOSTS).format(svc=service, region=region)
    path = g.path()
    query, pairs, canonical = g.query()
    body = g.body()

    headers = [(g.header_name("Host"), host)]
    for _ in range(r.randint(0, 5)):
        headers.append((g.header_name(r.choice(HEADER_NAMES)),
                        g.header_value()))
    if len(headers) > 1 and g.chance(0.3, "repeated header"):
        name = r.choice(headers[1:])[0]
        headers.append((g.header_name(name), g.header_value()))
    if g.chance(0.3, "header signed by neither"):
        headers.append((r.choice(SIGNED_BY_NEITHER), g.header_value()))
    if g.chance(0.1, "stale x-amz-date"):
        headers.append(("X-Amz-Date", "20000101T000000Z"))
    if g.chance(0.05, "stale authorization"):
        headers.append(("Authorization", "AWS4-HMAC-SHA256 stale"))
    if g.chance(0.05, "stale security token"):
        headers.append(("X-Amz-Security-Token", "FakeStaleToken"))
    if body and g.chance(0.3, "content-length"):
        headers.append(("Content-Length", str(len(body))))
    unsigned_payload = g.chance(0.08, "UNSIGNED-PAYLOAD")
    if unsigned_payload:
        headers.append((g.header_name("X-Amz-Content-SHA256"),
                        "UNSIGNED-PAYLOAD"))
    accept = g.chance(0.05, "accept header")
    if accept:
        headers.append((g.header_name("Accept"), "*/*"))
    r.shuffle(headers)

    return {
        "method": method, "path": path, "query": query,
        "headers": [list(h) for h in headers],
        "body": base64.b64encode(body).decode(),
        "service": service, "region": region,
        "access_key": "AKIDFAKE" + g.text("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567",
                                          8, 12),
        "secret": "FakeSecret/" + g.text(
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/",
            29, 29),
        "token": token,
        # 2001 .. 2037, a second apart anywhere in it
        "timestamp": r.randrange(978307200, 2114380800),
        # for the botocore side only
        "_pairs": pairs, "_canonical_query": canonical,
        "_unsigned_payload": unsigned_payload,
    }


# -- botocore -----------------------------------------------------------------

def botocore_sign(case):
    """botocore's canonical request, Authorization and added headers."""
    scheme = "https"
    host = next(v for k, v in case["headers"] if k.lower() == "host")
    url = f"{scheme}://{host.strip() or 'localhost'}{case['path']}"
    params = {}
    if case["query"] is not None:
        if case["_canonical_query"]:
            url += "?" + case["query"]
        else:
            params = list(case["_pairs"])
    request = AWSRequest(method=case["method"], url=url,
                         data=base64.b64decode(case["body"]), params=params)
    for name, value in case["headers"]:
        if name.lower() == "accept":
            continue   # mlstack never signs it, see the module's docstring
        request.headers[name] = value    # appends: repeats are kept
    if case["_unsigned_payload"] and case["service"] == "s3":
        request.context["client_config"] = SimpleNamespace(
            s3={"payload_signing_enabled": False})

    creds = Credentials(case["access_key"], case["secret"], case["token"])
    cls = (botocore.auth.S3SigV4Auth if case["service"] == "s3"
           else botocore.auth.SigV4Auth)
    signer = cls(creds, case["service"], case["region"])
    seen = {}
    real_creq = signer.canonical_request
    real_sts = signer.string_to_sign

    def canonical_request(req):
        seen["creq"] = real_creq(req)
        return seen["creq"]

    def string_to_sign(req, creq):
        seen["sts"] = real_sts(req, creq)
        return seen["sts"]

    signer.canonical_request = canonical_request
    signer.string_to_sign = string_to_sign
    when = datetime.datetime.fromtimestamp(case["timestamp"],
                                           datetime.timezone.utc)
    with mock.patch.object(botocore.auth, "get_current_datetime",
                           return_value=when):
        signer.add_auth(request)
    return {
        "canonical_request": seen["creq"],
        "string_to_sign": seen["sts"],
        "authorization": request.headers["Authorization"],
        "x-amz-date": request.headers["X-Amz-Date"],
        "x-amz-content-sha256": request.headers.get("X-Amz-Content-SHA256"),
        "x-amz-security-token": request.headers.get("X-Amz-Security-Token"),
    }


# -- mlstack ------------------------------------------------------------------

def mlstack_sign(driver, cases):
    lines = []
    for case in cases:
        lines.append(json.dumps({k: v for k, v in case.items()
                                 if not k.startswith("_")}))
    proc = subprocess.run([str(driver)], input="\n".join(lines) + "\n",
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    for marker in ("Sanitizer", "runtime error:"):
        assert marker not in proc.stderr, proc.stderr
    out = [json.loads(line) for line in proc.stdout.splitlines()]
    assert len(out) == len(cases), (len(out), len(cases), proc.stderr)
    return out, proc


def compare(case, mine, theirs):
    """A list of differences (empty when they agree)."""
    if "error" in mine:
        return [f"mlstack refused it: {mine['error']}"]
    diffs = []
    if mine["canonical_request"] != theirs["canonical_request"]:
        diffs.append("canonical request:\n--- mlstack\n"
                     f"{mine['canonical_request']}\n--- botocore\n"
                     f"{theirs['canonical_request']}")
    elif mine["string_to_sign"] != theirs["string_to_sign"]:
        diffs.append(f"string to sign: {mine['string_to_sign']!r} != "
                     f"{theirs['string_to_sign']!r}")
    if mine["authorization"] != theirs["authorization"]:
        diffs.append(f"authorization:\n  mlstack  {mine['authorization']}\n"
                     f"  botocore {theirs['authorization']}")
    added = {k.lower(): v for k, v in mine["add_headers"]}
    if added.get("x-amz-date") != theirs["x-amz-date"]:
        diffs.append(f"x-amz-date {added.get('x-amz-date')!r} != "
                     f"{theirs['x-amz-date']!r}")
    # mlstack sends x-amz-content-sha256 itself unless the caller gave it
    sha = added.get("x-amz-content-sha256")
    if sha is None:
        sha = next((v for k, v in case["headers"]
                    if k.lower() == "x-amz-content-sha256"), None)
    if sha != theirs["x-amz-content-sha256"]:
        diffs.append(f"x-amz-content-sha256 {sha!r} != "
                     f"{theirs['x-amz-content-sha256']!r}")
    if case["token"] and theirs["x-amz-security-token"] != case["token"]:
        diffs.append("botocore did not send the token")
    signed = mine["signed_headers"].split(";")
    if "accept" in signed:
        diffs.append("mlstack signed Accept")
    return diffs


def describe_case(case):
    shown = dict(case)
    shown["secret"] = "(fake)"
    return json.dumps(shown, ensure_ascii=True)


# -- tests --------------------------------------------------------------------

def test_mlstack_and_botocore_sign_alike(tools_dir):
    driver = driver_path(tools_dir)
    # A fixed seed by default, so that CI runs are repeatable; set
    # MLSTACK_SIGV4_SEED=random to explore new cases.
    seed = os.environ.get("MLSTACK_SIGV4_SEED") or "20261125"
    if seed == "random":
        seed = random.SystemRandom().randrange(1 << 32)
    seed = int(seed)
    count = int(os.environ.get("MLSTACK_SIGV4_CASES") or DEFAULT_CASES)
    print(f"sigv4 property test: seed {seed} "
          f"(MLSTACK_SIGV4_SEED={seed} replays it), {count} cases")
    g = Gen(random.Random(seed))
    cases = [make_case(g, i) for i in range(count)]

    mine, _ = mlstack_sign(driver, cases)
    failures = []
    for i, (case, m) in enumerate(zip(cases, mine)):
        diffs = compare(case, m, botocore_sign(case))
        if diffs:
            failures.append(f"case {i}: {describe_case(case)}\n"
                            + "\n".join(diffs))
    assert not failures, (
        f"seed {seed}: {len(failures)} of {count} requests signed "
        "differently; the first:\n\n" + "\n\n".join(failures[:3]))

    # Every feature the issue names was exercised in this run.
    tally = Counter(g.tally)
    for case in cases:
        tally["method " + case["method"]] += 1
        tally["s3" if case["service"] == "s3" else "not s3"] += 1
        tally["token" if case["token"] else "no token"] += 1
    wanted = [f"method {m}" for m in METHODS] + [
        "s3", "not s3", "token", "no token", "unicode", "space", "plus",
        "equals", "tilde", "percent", "repeated slash", "dot segment",
        "dot-dot segment", "encoded dots", "repeated query key",
        "empty query value", "bare query key", "reserved chars in query",
        "non-canonical query encoding", "inner spaces in header",
        "leading space in header", "trailing space in header",
        "mixed-case header name", "repeated header", "empty body", "body",
        "header signed by neither", "UNSIGNED-PAYLOAD", "accept header",
        "raw sub-delims in path", "lowercase hex in path"]
    missing = [w for w in wanted if not tally[w]]
    assert count < 1000 or not missing, \
        f"seed {seed}: the generator never produced {missing}"


# Published examples (API-NOTES §2.2): both signers must give AWS's own
# signatures, which proves the harness compares the right things.
KNOWN = [
    ({"method": "GET", "path": "/",
      "query": "Action=ListUsers&Version=2010-05-08",
      "headers": [["Content-Type",
                   "application/x-www-form-urlencoded; charset=utf-8"],
                  ["Host", "iam.amazonaws.com"]],
      "body": "", "service": "iam", "region": "us-east-1",
      "access_key": "AKIDEXAMPLE",
      "secret": "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "token": None,
      "timestamp": 1440938160},
     "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7"),
    ({"method": "GET", "path": "/test.txt", "query": None,
      "headers": [["Host", "examplebucket.s3.amazonaws.com"],
                  ["Range", "bytes=0-9"]],
      "body": "", "service": "s3", "region": "us-east-1",
      "access_key": "AKIDEXAMPLES3",
      "secret": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "token": None,
      "timestamp": 1369353600},
     "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"),
    ({"method": "GET", "path": "/", "query": "max-keys=2&prefix=J",
      "headers": [["Host", "examplebucket.s3.amazonaws.com"]],
      "body": "", "service": "s3", "region": "us-east-1",
      "access_key": "AKIDEXAMPLES3",
      "secret": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "token": None,
      "timestamp": 1369353600},
     "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7"),
]


@pytest.mark.parametrize("case,signature", KNOWN,
                         ids=["iam-listusers", "s3-get-range", "s3-list"])
def test_published_examples(tools_dir, case, signature):
    case = {**case, "_pairs": [], "_canonical_query": True,
            "_unsigned_payload": False}
    (mine,), _ = mlstack_sign(driver_path(tools_dir), [case])
    theirs = botocore_sign(case)
    assert not compare(case, mine, theirs)
    assert mine["signature"] == signature
    assert theirs["authorization"].endswith("Signature=" + signature)


def test_s3_and_other_services_sign_paths_differently(tools_dir):
    """The S3 exception is real: the same wire path gives two canonical
    URIs, and both signers agree on each."""
    base = {"method": "GET", "path": "/a%20b//./c%3Ad.txt", "query": None,
            "headers": [["Host", "h.example.com"]], "body": "",
            "region": "us-east-1", "access_key": "AKIDFAKEEXAMPLE",
            "secret": "FakeSecretForTheTestOnly", "token": None,
            "timestamp": 1440938160, "_pairs": [], "_canonical_query": True,
            "_unsigned_payload": False}
    cases = [{**base, "service": "s3"}, {**base, "service": "lambda"}]
    mine, _ = mlstack_sign(driver_path(tools_dir), cases)
    uris = [m["canonical_request"].split("\n")[1] for m in mine]
    assert uris == ["/a%20b//./c%3Ad.txt", "/a%2520b/c%253Ad.txt"]
    for case, m in zip(cases, mine):
        assert not compare(case, m, botocore_sign(case))
    assert hashlib.sha256(b"").hexdigest() == mine[0]["payload_hash"]
