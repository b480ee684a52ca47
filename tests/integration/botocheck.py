"""botocheck - requests judged by botocore, an AWS client that mlstack did
not write.

Two checks, used by awsproxy on every request it forwards:

  signature_problem(req, secret_for)
      Rebuilds the request as botocore would send it - exactly the method,
      the URL as received (same path encoding), the headers named in
      SignedHeaders and the body - and signs it again with botocore's own
      SigV4Auth (S3SigV4Auth for S3) for the credential scope's region and
      service, at the request's X-Amz-Date. The Signature must be the same,
      byte for byte; otherwise the answer says why, with the canonical
      request botocore built.

  find_operation(req) -> (service model, operation model, problem)
  parameter_problems(req, service_model, operation_model)
      Finds the operation in botocore's service model (JSON: X-Amz-Target;
      Query and EC2: Action; REST: method and requestUri) and, for the JSON
      and Query protocols, parses the parameters back into the operation's
      input shape and runs botocore's ParamValidator on them (required
      members, types, minimums, unknown members), plus what ParamValidator
      leaves out: enums, maximum lengths and values, a boolean where a
      number belongs, base64 blobs. REST requests are checked for an
      operation they match and for query parameters the operation does not
      have.

A request is described by the awsproxy.Request fields: method, target (path
and query as sent), headers ([(name, value)]), body (bytes), service,
region, access_key, and header(name).
"""

import base64
import binascii
import json
import re
import threading
import urllib.parse

import botocore.session
from botocore.auth import S3SigV4Auth, SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.validate import ParamValidator

AUTH_RE = re.compile(
    r"^AWS4-HMAC-SHA256\s+Credential=(?P<cred>[^,\s]+),\s*"
    r"SignedHeaders=(?P<signed>[^,\s]+),\s*Signature=(?P<sig>[0-9a-f]+)\s*$")
AMZ_DATE_RE = re.compile(r"^\d{8}T\d{6}Z$")


# -- the signature --------------------------------------------------------

def _frozen(base):
    """base (a botocore signer class) with the clock stopped at the time
    the request says it was signed; everything else is botocore's."""

    class Frozen(base):
        def __init__(self, credentials, service, region, timestamp):
            super().__init__(credentials, service, region)
            self._timestamp = timestamp

        def add_auth(self, request):
            # The steps of SigV4Auth.add_auth, which reads the clock.
            request.context["timestamp"] = self._timestamp
            self._modify_request_before_signing(request)
            canonical = self.canonical_request(request)
            string_to_sign = self.string_to_sign(request, canonical)
            signature = self.signature(string_to_sign, request)
            self._inject_signature_to_request(request, signature)
            request.context["canonical_request"] = canonical
            request.context["string_to_sign"] = string_to_sign
            return signature

    Frozen.__name__ = f"Frozen{base.__name__}"
    return Frozen


FrozenSigV4Auth = _frozen(SigV4Auth)
FrozenS3SigV4Auth = _frozen(S3SigV4Auth)


def _header_values(headers, name):
    name = name.lower()
    return [v for k, v in headers if k.lower() == name]


def resign(req, access_key, secret, token, region, service, timestamp,
           signed_headers, streaming=False):
    """botocore's Authorization for req; also returns the AWSRequest with
    the canonical request and string to sign in its context. streaming:
    the operation's body is a stream (PutObject, UploadPart), which
    botocore sends unsigned over HTTPS when it carries a checksum."""
    host = (_header_values(req.headers, "host") or [""])[0]
    url = f"https://{host}{req.target}"
    aws_req = AWSRequest(method=req.method, url=url, data=req.body)
    aws_req.context["has_streaming_input"] = streaming
    for name in signed_headers:
        for value in _header_values(req.headers, name):
            aws_req.headers[name] = value   # appends: repeats are kept
    cls = FrozenS3SigV4Auth if service == "s3" else FrozenSigV4Auth
    signer = cls(Credentials(access_key, secret, token), service, region,
                 timestamp)
    signature = signer.add_auth(aws_req)
    return signature, aws_req


def signature_problem(req, secret_for):
    """None when botocore computes the same signature, else a text saying
    what differs. secret_for(access_key) -> the [(secret, token or None)]
    pairs known for that key."""
    auth = req.header("authorization")
    if auth is None:
        return None   # unsigned: the caller decides what that means
    m = AUTH_RE.match(auth)
    if not m:
        return f"malformed Authorization header: {auth[:80]!r}"
    parts = m["cred"].split("/")
    if len(parts) != 5 or parts[4] != "aws4_request":
        return f"malformed credential scope {m['cred']!r}"
    access_key, day, region, service, _ = parts
    signed = m["signed"].split(";")
    if signed != sorted(set(signed)) or any(s != s.lower() for s in signed):
        return f"SignedHeaders not sorted, unique, lower case: {m['signed']}"
    for name in ("host", "x-amz-date"):
        if name not in signed:
            return f"'{name}' not signed (SignedHeaders={m['signed']})"
    missing = [n for n in signed if not _header_values(req.headers, n)]
    if missing:
        return f"signed headers not sent: {', '.join(missing)}"
    amz_dates = _header_values(req.headers, "x-amz-date")
    if len(amz_dates) != 1 or not AMZ_DATE_RE.match(amz_dates[0]):
        return f"X-Amz-Date {amz_dates!r} is not one YYYYMMDD'T'HHMMSS'Z'"
    timestamp = amz_dates[0]
    if timestamp[:8] != day:
        return (f"credential scope date {day} is not the day of "
                f"X-Amz-Date {timestamp}")
    known = secret_for(access_key)
    if not known:
        return (f"unknown access key {access_key} (tell the proxy its "
                f"secret with proxy.add_credentials)")
    sent_token = _header_values(req.headers, "x-amz-security-token")
    if sent_token and "x-amz-security-token" not in signed:
        return "the session token was sent but not signed"
    if service == "s3":
        sha = _header_values(req.headers, "x-amz-content-sha256")
        if not sha or "x-amz-content-sha256" not in signed:
            return "S3 request without a signed x-amz-content-sha256"
    # The same key may be known with and without a session token; the
    # token sent picks the pair (none sent: the pair without one).
    token_sent = sent_token[0] if len(sent_token) == 1 else None
    pairs = [(s, t) for s, t in known if t == token_sent]
    if not pairs:
        return ("the session token sent is not the one that goes with "
                f"{access_key}" if token_sent else
                f"no session token sent for {access_key}, which needs one")
    streaming = False
    if service == "s3":
        try:
            _, op, _ = find_operation(req)
            streaming = bool(op is not None and op.has_streaming_input)
        except Exception:
            streaming = False
    for secret, token in pairs:
        signature, aws_req = resign(req, access_key, secret, token, region,
                                    service, timestamp, signed, streaming)
        if signature == m["sig"]:
            return None
    ours = AUTH_RE.match(aws_req.headers["Authorization"])["signed"]
    why = f"Signature={m['sig']}, botocore's {signature}"
    if ours != m["signed"]:
        why += f"; SignedHeaders={m['signed']}, botocore's {ours}"
    canonical = aws_req.context["canonical_request"]
    if token:
        canonical = canonical.replace(token, "(token)")
    return (f"{why}\n--- botocore's canonical request\n{canonical}\n"
            f"--- string to sign\n{aws_req.context['string_to_sign']}")


# -- service models -------------------------------------------------------

_session = None
_models = {}
_lock = threading.Lock()


def service_model(signing_name):
    """botocore's model of the service signed as signing_name (the
    credential scope's service), or None."""
    global _session
    with _lock:
        if signing_name in _models:
            return _models[signing_name]
        if _session is None:
            _session = botocore.session.get_session()
        model = None
        try:
            model = _session.get_service_model(signing_name)
        except Exception:
            for name in _session.get_available_services():
                m = _session.get_service_model(name)
                if m.signing_name == signing_name:
                    model = m
                    break
        _models[signing_name] = model
        return model


PROTOCOLS = ("json", "query", "ec2", "rest-json", "rest-xml")


def wire_protocol(model):
    """The protocol a client speaks to the service: the model's, or the
    first of its protocols this module reads when the model names a newer
    one first (the tagging API lists smithy-rpc-v2-cbor, then json)."""
    if model.protocol in PROTOCOLS:
        return model.protocol
    for proto in model.metadata.get("protocols", []):
        if proto in PROTOCOLS:
            return proto
    return model.protocol


def protocol_of(signing_name):
    """The wire protocol of a service: json, query, ec2, rest-json,
    rest-xml (rest-xml for an unsigned request, which moto takes for S3)."""
    model = service_model(signing_name or "s3")
    return wire_protocol(model) if model else "rest-xml"


_rest_index = {}


def _rest_templates(model):
    """[(method, path regex, {query literal: value or None}, name)]."""
    with _lock:
        if model.service_name in _rest_index:
            return _rest_index[model.service_name]
    out = []
    for name in model.operation_names:
        http = model.operation_model(name).http
        path, _, query = http.get("requestUri", "/").partition("?")
        rx = ""
        for piece in re.split(r"(\{[^}]+\})", path):
            if piece.startswith("{"):
                rx += "(.+)" if piece.endswith("+}") else "([^/]+)"
            else:
                rx += re.escape(piece)
        literals = {}
        for pair in filter(None, query.split("&")):
            k, eq, v = pair.partition("=")
            literals[k] = v if eq else None
        # Required query and header members tell apart operations on the
        # same path (PutObject, CopyObject, UploadPart).
        needs = []
        shape = model.operation_model(name).input_shape
        if shape is not None:
            for member in shape.required_members:
                s = shape.members[member].serialization
                if s.get("location") in ("querystring", "header"):
                    needs.append((s["location"],
                                  s.get("name", member).lower()
                                  if s["location"] == "header"
                                  else s.get("name", member)))
        out.append((http.get("method"), re.compile(rx + "$"), literals,
                    needs, name))
    with _lock:
        _rest_index[model.service_name] = out
    return out


def _match_rest(model, method, path, query, headers):
    best = None
    for m, rx, literals, needs, name in _rest_templates(model):
        if m != method or not rx.match(path):
            continue
        score = 0
        ok = True
        for k, v in literals.items():
            if k == "x-id":
                continue   # an SDK's hint, optional
            if k not in query or (v is not None and query[k] != [v]):
                ok = False
                break
            score += 1
        for where, k in needs:
            if k not in (query if where == "querystring" else headers):
                ok = False
                break
            score += 1
        if ok and (best is None or score > best[0]):
            best = (score, name)
    return best[1] if best else None


def find_operation(req):
    """(service model, operation model, problem): the operation req calls,
    or a problem saying why none was found. A request without a
    credential scope is taken for S3, as moto does."""
    model = service_model(req.service or "s3")
    if model is None:
        return None, None, f"no botocore model for service {req.service!r}"
    proto = wire_protocol(model)
    name = None
    if proto == "json":
        target = req.header("x-amz-target") or ""
        prefix, _, name = target.rpartition(".")
        want = model.metadata.get("targetPrefix")
        if prefix != want:
            return model, None, (f"X-Amz-Target {target!r}: expected "
                                 f"{want}.<Operation>")
    elif proto in ("query", "ec2"):
        name = query_params(req).get("Action", [None])[-1]
        if not name:
            return model, None, "no Action parameter"
    else:
        parts = urllib.parse.urlsplit(req.target)
        query = urllib.parse.parse_qs(parts.query, keep_blank_values=True)
        headers = {k.lower() for k, _ in req.headers}
        name = _match_rest(model, req.method, parts.path, query, headers)
        if not name:
            return model, None, (f"{req.method} {req.target} matches no "
                                 f"{model.service_name} operation")
    if name not in model.operation_names:
        return model, None, (f"{model.service_name} has no operation "
                             f"{name!r}")
    return model, model.operation_model(name), None


# -- parameters -----------------------------------------------------------

def query_params(req):
    """Query-protocol parameters as {name: [values]}: the form body of a
    POST, else the URL's query string."""
    ctype = (req.header("content-type") or "").lower()
    if req.method == "POST" and ctype.startswith(
            "application/x-www-form-urlencoded"):
        text = req.body.decode("utf-8", "replace")
    else:
        text = urllib.parse.urlsplit(req.target).query
    out = {}
    for k, v in urllib.parse.parse_qsl(text, keep_blank_values=True,
                                       strict_parsing=False):
        out.setdefault(k, []).append(v)
    return out


class _Missing:
    pass


MISSING = _Missing()


class _Unflattener:
    """Undoes botocore's QuerySerializer (and EC2Serializer) flattening:
    lists as Name.member.N (EC2: Name.N), maps as Name.entry.N.key/value,
    structures as Name.Member."""

    def __init__(self, flat, ec2):
        self.flat = flat
        self.ec2 = ec2
        self.used = set()
        self.problems = []

    def wire_name(self, shape, default):
        s = shape.serialization
        if self.ec2:
            if "queryName" in s:
                return s["queryName"]
            if "name" in s:
                return s["name"][0].upper() + s["name"][1:]
            return default
        return s.get("name", default)

    def has_under(self, prefix):
        dot = prefix + "."
        return any(k == prefix or k.startswith(dot) for k in self.flat)

    def parse(self, shape, prefix):
        kind = shape.type_name
        if kind == "structure":
            out = {}
            for member, mshape in shape.members.items():
                wire = self.wire_name(mshape, member)
                p = f"{prefix}.{wire}" if prefix else wire
                value = self.parse(mshape, p)
                if value is not MISSING:
                    out[member] = value
            if prefix and not out:
                return MISSING
            return out
        if kind == "list":
            return self.parse_list(shape, prefix)
        if kind == "map":
            return self.parse_map(shape, prefix)
        if prefix not in self.flat:
            return MISSING
        self.used.add(prefix)
        values = self.flat[prefix]
        if len(values) > 1:
            self.problems.append(f"{prefix} sent {len(values)} times")
        return self.scalar(shape, prefix, values[-1])

    def parse_list(self, shape, prefix):
        if self.ec2:
            list_prefix = prefix
        elif shape.serialization.get("flattened"):
            list_prefix = prefix
            if shape.member.serialization.get("name"):
                name = self.wire_name(shape.member, "")
                list_prefix = ".".join(prefix.split(".")[:-1] + [name])
        else:
            list_prefix = f"{prefix}." + shape.member.serialization.get(
                "name", "member")
        if not self.ec2 and self.flat.get(prefix) == [""]:
            self.used.add(prefix)   # how the Query protocol sends []
            return []
        items = []
        i = 1
        while self.has_under(f"{list_prefix}.{i}"):
            value = self.parse(shape.member, f"{list_prefix}.{i}")
            items.append(None if value is MISSING else value)
            i += 1
        return items if items else MISSING

    def parse_map(self, shape, prefix):
        base = prefix if shape.serialization.get("flattened") else \
            f"{prefix}.entry"
        kname = self.wire_name(shape.key, "key")
        vname = self.wire_name(shape.value, "value")
        out = {}
        i = 1
        while self.has_under(f"{base}.{i}"):
            key = self.parse(shape.key, f"{base}.{i}.{kname}")
            value = self.parse(shape.value, f"{base}.{i}.{vname}")
            if key is MISSING:
                self.problems.append(f"{base}.{i}: entry without a key")
            else:
                if key in out:
                    self.problems.append(f"{prefix}: key {key!r} twice")
                out[key] = None if value is MISSING else value
            i += 1
        return out if out else MISSING

    def scalar(self, shape, name, text):
        kind = shape.type_name
        try:
            if kind in ("integer", "long"):
                if not re.fullmatch(r"-?\d+", text):
                    raise ValueError
                return int(text)
            if kind == "boolean":
                if text not in ("true", "false"):
                    raise ValueError
                return text == "true"
            if kind in ("float", "double"):
                return float(text)
            if kind == "blob":
                base64.b64decode(text, validate=True)
                return text
        except (ValueError, binascii.Error):
            self.problems.append(f"{name}={text!r} is no {kind}")
            return MISSING
        return text


def _extra_checks(value, shape, name, problems):
    """What botocore's ParamValidator does not check: enums, maxima, a
    boolean given for a number, base64 blobs."""
    if value is None:
        return
    kind = shape.type_name
    meta = shape.metadata
    if kind == "structure" and isinstance(value, dict):
        for k, v in value.items():
            if k in shape.members:
                _extra_checks(v, shape.members[k], f"{name}.{k}", problems)
    elif kind == "list" and isinstance(value, list):
        if "max" in meta and len(value) > meta["max"]:
            problems.append(f"{name}: {len(value)} items, at most "
                            f"{meta['max']}")
        for i, v in enumerate(value):
            _extra_checks(v, shape.member, f"{name}[{i}]", problems)
    elif kind == "map" and isinstance(value, dict):
        if "max" in meta and len(value) > meta["max"]:
            problems.append(f"{name}: {len(value)} entries, at most "
                            f"{meta['max']}")
        for k, v in value.items():
            _extra_checks(k, shape.key, f"{name} (key {k!r})", problems)
            _extra_checks(v, shape.value, f"{name}.{k}", problems)
    elif kind == "string" and isinstance(value, str):
        if shape.enum and value not in shape.enum:
            problems.append(f"{name}: {value!r} is not one of "
                            f"{', '.join(shape.enum)}")
        if "max" in meta and len(value) > meta["max"]:
            problems.append(f"{name}: length {len(value)}, at most "
                            f"{meta['max']}")
    elif kind in ("integer", "long", "float", "double"):
        if isinstance(value, bool):
            problems.append(f"{name}: {value!r} where a {kind} belongs")
        elif isinstance(value, (int, float)) and "max" in meta and \
                value > meta["max"]:
            problems.append(f"{name}: {value} is above {meta['max']}")
    elif kind == "blob" and isinstance(value, str):
        try:
            base64.b64decode(value, validate=True)
        except (ValueError, binascii.Error):
            problems.append(f"{name}: not base64")


def _validate(params, shape, problems):
    if shape is None:
        if params:
            problems.append(f"parameters {sorted(params)} for an operation "
                            f"without input")
        return
    report = ParamValidator().validate(params, shape)
    if report.has_errors():
        problems.extend(report.generate_report().splitlines())
    _extra_checks(params, shape, "", problems)


def parameter_problems(req, model, op):
    """Violations of op's input shape by req's parameters (a list of
    texts, empty when the request is valid)."""
    problems = []
    proto = wire_protocol(model)
    shape = op.input_shape
    if proto == "json":
        want = f"application/x-amz-json-{model.metadata.get('jsonVersion')}"
        ctype = req.header("content-type") or ""
        if ctype.split(";")[0].strip().lower() != want:
            problems.append(f"Content-Type {ctype!r}, expected {want}")
        if req.method != "POST" or urllib.parse.urlsplit(
                req.target).path != "/":
            problems.append(f"{req.method} {req.target}: expected POST /")
        try:
            params = json.loads(req.body or b"{}")
        except ValueError as e:
            return problems + [f"body is not JSON: {e}"]
        if not isinstance(params, dict):
            return problems + ["body is not a JSON object"]
        _validate(params, shape, problems)
    elif proto in ("query", "ec2"):
        flat = query_params(req)
        version = flat.get("Version", [None])[-1]
        if version != model.api_version:
            problems.append(f"Version={version!r}, expected "
                            f"{model.api_version}")
        u = _Unflattener(flat, proto == "ec2")
        params = u.parse(shape, "") if shape is not None else {}
        problems += u.problems
        unknown = sorted(set(flat) - u.used - {"Action", "Version"})
        if unknown:
            problems.append(f"unknown parameters: {', '.join(unknown)}")
        _validate(params, shape, problems)
    else:
        # REST: the operation matched its method and path; its query
        # string may hold only the members the model puts there.
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(
            req.target).query, keep_blank_values=True)
        allowed = set()
        any_key = False
        literal = op.http.get("requestUri", "").partition("?")[2]
        for pair in filter(None, literal.split("&")):
            allowed.add(pair.partition("=")[0])
        allowed.add("x-id")
        if shape is not None:
            for member, mshape in shape.members.items():
                s = mshape.serialization
                if s.get("location") == "querystring":
                    if mshape.type_name == "map":
                        any_key = True
                    allowed.add(s.get("name", member))
        if not any_key:
            unknown = sorted(set(query) - allowed)
            if unknown:
                problems.append(f"query parameters {', '.join(unknown)} "
                                f"are not in {op.name}")
    return [f"{op.name}: {p}" if not p.startswith(op.name) else p
            for p in problems]
