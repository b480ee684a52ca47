"""awsproxy - a small HTTPS reverse proxy that sits between mlstack and moto.

mlstack speaks HTTPS (TLS verification is always on) and keeps connections
alive; moto speaks plain HTTP and closes every connection. The proxy
terminates TLS with a throw-away certificate, forwards each request
unchanged (method, path and query, headers, body) to moto and relays the
answer, keeping the client's connection open.

Every call is recorded (service from the SigV4 credential scope, operation
from X-Amz-Target, the Query protocol's Action or S3's method and path) so
tests can see what mlstack sent. Tests steer it through:

  proxy.latency = 0.3            seconds added before each forwarded request
  proxy.add_hook(fn)             fn(request) -> None (forward), RESET (drop
                                 the connection without an answer) or a
                                 Response (answered by the proxy; moto never
                                 sees the request)
  proxy.add_response_hook(fn)    fn(request, response) -> None (relay), RESET
                                 or a Response replacing moto's answer; moto
                                 has already acted on the request
  proxy.calls() / clear_calls()  the recorded calls
  proxy.connections              TCP connections accepted so far

Hooks run on the proxy's worker threads, one per client connection; they run
in the order they were added and the first answer other than None wins.

Every request (except moto's own /moto-api/ calls) is also checked with
botocore (see botocheck.py): its SigV4 signature is computed again by
botocore's signer and must match byte for byte, and its parameters must
fit botocore's model of the operation. What fails is kept:

  proxy.add_credentials(key, secret, token=None)   keys the proxy may see
  proxy.problems() / clear_problems()   signature mismatches, model
                                 violations and unsigned requests
  proxy.check_signatures = False / check_model = False   to switch off

Faults are injected by rules (docs/testing.md, "The test proxy"):

  proxy.inject("throttle", rate=0.3)              30% of all requests
  proxy.inject("reset-after", operation="CreateRole", calls=[1])
  proxy.inject(Error(400, "InvalidInput", "bad"), operation="CreateRole")
  proxy.seed(7)                                   the rates' random numbers

Kinds: "throttle" (each protocol's own throttling answer), "500", "503",
"reset" (connection dropped, moto never sees the request), "reset-after"
(moto acts, then the connection is dropped), "truncate" (moto acts, the
answer is cut short: Content-Length larger than the body, then close),
"latency" (seconds=), an Error(status, code, message) in the protocol's
error shape, or a Response sent as it is.
"""

import http.client
import http.server
import json
import random
import re
import socket
import ssl
import struct
import threading
import time
import urllib.parse
import uuid
from dataclasses import dataclass, field

import botocheck

RESET = "reset"
READ_PREFIXES = ("Get", "List", "Describe", "Head")

# RFC 9110 §7.6.1 hop-by-hop headers, plus Expect (answered by the proxy).
HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "expect",
}

CREDENTIAL_RE = re.compile(
    r"Credential=([^/,\s]+)/(\d{8})/([^/,\s]+)/([^/,\s]+)/aws4_request")

MAX_BODY = 64 * 1024 * 1024


@dataclass
class Response:
    """An answer made up by a hook (or moto's answer, for response hooks)."""

    status: int
    headers: list = field(default_factory=list)   # [(name, value)]
    body: bytes = b""

    def header(self, name):
        name = name.lower()
        for k, v in self.headers:
            if k.lower() == name:
                return v
        return None


@dataclass
class Request:
    """One request as the client sent it."""

    method: str
    target: str            # path and query, exactly as sent
    headers: list          # [(name, value)] in the order sent
    body: bytes
    client: tuple          # (host, port)
    connection: int        # serial number of the client's TCP connection
    service: str = None    # signing name from the credential scope, or None
    region: str = None
    access_key: str = None
    operation: str = ""

    @property
    def path(self):
        return urllib.parse.urlsplit(self.target).path

    @property
    def query(self):
        """Query parameters as a dict of lists (blank values kept)."""
        return urllib.parse.parse_qs(
            urllib.parse.urlsplit(self.target).query, keep_blank_values=True)

    def header(self, name):
        name = name.lower()
        for k, v in self.headers:
            if k.lower() == name:
                return v
        return None

    def params(self):
        """Query-protocol parameters: from the form body, else the URL."""
        ctype = (self.header("content-type") or "").lower()
        if self.body and ctype.startswith("application/x-www-form-urlencoded"):
            try:
                text = self.body.decode("utf-8")
            except UnicodeDecodeError:
                return {}
            return {k: v[-1] for k, v in urllib.parse.parse_qs(
                text, keep_blank_values=True).items()}
        return {k: v[-1] for k, v in self.query.items()}


@dataclass
class Problem:
    """A request that failed a check."""

    kind: str              # "signature", "model", "unsigned" or "checker"
    request: Request
    text: str

    def __str__(self):
        r = self.request
        return (f"{self.kind}: {r.service}:{r.operation} {r.method} "
                f"{r.target[:200]}: {self.text}")


@dataclass
class Call:
    """What the proxy recorded about one request and its answer."""

    service: str
    operation: str
    method: str
    target: str
    status: int            # None when the connection was reset
    connection: int
    started: float
    elapsed: float
    injected: str = None   # None (moto answered), "response" or "reset"
    #                        from a hook, or the name of the fault rule
    request: Request = None
    upstream: int = None   # moto's status, when moto saw the request

    @property
    def write(self):
        """Whether the call may change something: its operation does not
        start with Get, List, Describe or Head."""
        return not self.operation.startswith(READ_PREFIXES)

    def __repr__(self):
        how = f" injected={self.injected}" if self.injected else ""
        return (f"<Call {self.service}:{self.operation} {self.method} "
                f"{self.target} -> {self.status}{how}>")


@dataclass
class Error:
    """A fault: an AWS error answer, in the shape of the request's
    protocol (JSON __type, Query ErrorResponse, S3 Error, Lambda's
    x-amzn-ErrorType)."""

    status: int
    code: str
    message: str = "injected by awsproxy"
    request_id: str = None   # a fresh one when not given


# The error each protocol answers for throttling and for 500 and 503.
THROTTLE = {
    "json": Error(400, "ThrottlingException", "Rate exceeded"),
    "query": Error(400, "Throttling", "Rate exceeded"),
    "ec2": Error(503, "RequestLimitExceeded", "Request limit exceeded."),
    "rest-xml": Error(503, "SlowDown", "Please reduce your request rate."),
    "rest-json": Error(429, "TooManyRequestsException", "Rate exceeded"),
}
SERVER_ERROR = {
    ("rest-xml", 500): Error(500, "InternalError",
                             "We encountered an internal error. "
                             "Please try again."),
    ("rest-xml", 503): Error(503, "ServiceUnavailable",
                             "Please reduce your request rate."),
    ("rest-json", 500): Error(500, "ServiceException", "Internal error"),
    ("rest-json", 503): Error(503, "ServiceException", "Service unavailable"),
    ("ec2", 500): Error(500, "InternalError", "An internal error has "
                        "occurred"),
    ("ec2", 503): Error(503, "Unavailable", "The server is overloaded"),
}
QUERY_NS = {"iam": "https://iam.amazonaws.com/doc/2010-05-08/",
            "sts": "https://sts.amazonaws.com/doc/2011-06-15/"}


def _xml_text(text):
    return (text.replace("&", "&amp;").replace("<", "&lt;")
            .replace(">", "&gt;"))


def error_response(req, error):
    """error as the service of req would send it."""
    proto = botocheck.protocol_of(req.service)
    rid = error.request_id or str(uuid.uuid4())
    code, msg = error.code, error.message
    if proto == "json":
        body = json.dumps({"__type": code, "message": msg}).encode()
        return Response(error.status, [
            ("Content-Type", "application/x-amz-json-1.1"),
            ("x-amzn-RequestId", rid)], body)
    if proto == "rest-json":
        body = json.dumps({"Type": "User", "message": msg}).encode()
        return Response(error.status, [
            ("Content-Type", "application/json"),
            ("x-amzn-ErrorType", f"{code}:http://internal.amazon.com/"),
            ("x-amzn-RequestId", rid)], body)
    if proto == "query":
        kind = "Receiver" if error.status >= 500 else "Sender"
        ns = QUERY_NS.get(req.service, "")
        body = (f'<ErrorResponse xmlns="{ns}"><Error><Type>{kind}</Type>'
                f"<Code>{_xml_text(code)}</Code>"
                f"<Message>{_xml_text(msg)}</Message></Error>"
                f"<RequestId>{rid}</RequestId></ErrorResponse>")
        return Response(error.status, [("Content-Type", "text/xml"),
                                       ("x-amzn-RequestId", rid)],
                        body.encode())
    if proto == "ec2":
        body = (f"<Response><Errors><Error><Code>{_xml_text(code)}</Code>"
                f"<Message>{_xml_text(msg)}</Message></Error></Errors>"
                f"<RequestID>{rid}</RequestID></Response>")
        return Response(error.status, [("Content-Type", "text/xml")],
                        body.encode())
    body = ('<?xml version="1.0" encoding="UTF-8"?>\n'
            f"<Error><Code>{_xml_text(code)}</Code>"
            f"<Message>{_xml_text(msg)}</Message>"
            f"<RequestId>{rid}</RequestId><HostId>awsproxy</HostId>"
            "</Error>")
    return Response(error.status, [("Content-Type", "application/xml"),
                                   ("x-amz-request-id", rid),
                                   ("x-amz-id-2", "awsproxy")],
                    body.encode())


FAULT_KINDS = ("throttle", "500", "503", "reset", "reset-after", "truncate",
               "latency")
AFTER_UPSTREAM = ("reset-after", "truncate")


class Rule:
    """One fault rule: which requests it takes, and how often."""

    def __init__(self, fault, service=None, operation=None, rate=None,
                 calls=None, times=None, seconds=0.0, match=None):
        if not isinstance(fault, (Error, Response)) and \
                fault not in FAULT_KINDS:
            raise ValueError(f"unknown fault {fault!r}")
        if rate is not None and calls is not None:
            raise ValueError("give rate or calls, not both")
        if rate is not None and not 0 <= rate <= 1:
            raise ValueError("rate is a probability")
        self.fault = fault
        self.service = service
        self.operations = ({operation} if isinstance(operation, str)
                           else set(operation) if operation else None)
        self.rate = rate
        self.calls = set(calls) if calls is not None else None
        self.times = times
        self.seconds = seconds
        self.match = match
        self.seen = 0        # matching requests so far
        self.injected = 0    # of which this rule took

    @property
    def name(self):
        if isinstance(self.fault, Error):
            return f"error {self.fault.status} {self.fault.code}"
        if isinstance(self.fault, Response):
            return f"response {self.fault.status}"
        return self.fault

    def matches(self, req):
        return ((self.service is None or req.service == self.service) and
                (self.operations is None or req.operation in self.operations)
                and (self.match is None or self.match(req)))

    def __repr__(self):
        what = [self.name]
        if self.service:
            what.append(f"service={self.service}")
        if self.operations:
            what.append(f"operation={sorted(self.operations)}")
        if self.rate is not None:
            what.append(f"rate={self.rate}")
        if self.calls is not None:
            what.append(f"calls={sorted(self.calls)}")
        return f"<Rule {' '.join(what)}: {self.injected}/{self.seen}>"


# S3 subresources whose operation name does not follow
# <Verb>Bucket<Subresource>.
S3_BUCKET_OPS = {
    ("GET", "publicAccessBlock"): "GetPublicAccessBlock",
    ("PUT", "publicAccessBlock"): "PutPublicAccessBlock",
    ("DELETE", "publicAccessBlock"): "DeletePublicAccessBlock",
    ("GET", "location"): "GetBucketLocation",
    ("GET", "versions"): "ListObjectVersions",
    ("GET", "uploads"): "ListMultipartUploads",
    ("POST", "delete"): "DeleteObjects",
    ("GET", "list-type"): "ListObjectsV2",
}
S3_VERBS = {"GET": "Get", "PUT": "Put", "DELETE": "Delete", "POST": "Post",
            "HEAD": "Head"}


def s3_operation(method, target):
    """The S3 API name for a path-style request, as well as it can be told."""
    parts = urllib.parse.urlsplit(target)
    path = parts.path.strip("/")
    query = urllib.parse.parse_qs(parts.query, keep_blank_values=True)
    bucket, _, key = path.partition("/")
    verb = S3_VERBS.get(method, method.title())
    if not bucket:
        return "ListBuckets" if method == "GET" else f"{method} /"
    if key:
        if "tagging" in query:
            return f"{verb}ObjectTagging"
        if "uploads" in query and method == "POST":
            return "CreateMultipartUpload"
        if "uploadId" in query:
            return {"PUT": "UploadPart", "POST": "CompleteMultipartUpload",
                    "DELETE": "AbortMultipartUpload",
                    "GET": "ListParts"}.get(
                        method, f"{method} object?uploadId")
        if method == "PUT":
            return "PutObject"
        return f"{verb}Object"
    for sub in sorted(query):
        if (method, sub) in S3_BUCKET_OPS:
            return S3_BUCKET_OPS[(method, sub)]
    for sub in sorted(query):
        if sub and sub[0].islower() and not query[sub][0]:
            return f"{verb}Bucket{sub[0].upper()}{sub[1:]}"
    return {"PUT": "CreateBucket", "DELETE": "DeleteBucket",
            "HEAD": "HeadBucket", "GET": "ListObjects"}.get(
                method, f"{method} /{bucket}")


def describe(req):
    """Fill in req.service, region, access_key and operation."""
    auth = req.header("authorization") or ""
    m = CREDENTIAL_RE.search(auth)
    if not m:
        cred = req.query.get("X-Amz-Credential", [""])[0]
        m = re.match(r"([^/]+)/(\d{8})/([^/]+)/([^/]+)/aws4_request", cred)
    if m:
        req.access_key, _, req.region, req.service = m.groups()
    target = req.header("x-amz-target")
    if target:
        req.operation = target.rsplit(".", 1)[-1]
        return
    if req.service in (None, "s3"):
        # moto takes an unsigned request for S3, so do we.
        req.operation = s3_operation(req.method, req.target)
        return
    action = req.params().get("Action")
    if action:
        req.operation = action
        return
    req.operation = f"{req.method} {urllib.parse.urlsplit(req.target).path}"


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "awsproxy"
    timeout = 120  # idle keep-alive connections end after this

    def log_message(self, format, *args):
        pass

    def do_any(self):
        proxy = self.server.proxy
        proxy._busy(1)
        try:
            self._handle()
        finally:
            proxy._busy(-1)

    def _handle(self):
        proxy = self.server.proxy
        started = time.monotonic()
        try:
            body = self._read_body()
        except ValueError as e:
            self._answer(Response(400, [("Content-Type", "text/plain")],
                                  str(e).encode()), head=False)
            self.close_connection = True
            return
        req = Request(self.command, self.path, list(self.headers.items()),
                      body, self.client_address,
                      self.server.serial_of(self.connection))
        describe(req)
        if not req.path.startswith("/moto-api/"):
            proxy._check(req)
        delay, rule = proxy._pick_fault(req)
        if proxy.latency or delay:
            time.sleep(proxy.latency + delay)

        injected = None
        answer = None
        truncate = False
        upstream = None
        if rule is not None and rule.fault not in AFTER_UPSTREAM:
            injected = rule.name
            answer = RESET if rule.fault == "reset" else \
                self._fault_answer(req, rule.fault)
        if answer is None:
            for hook in proxy.hooks():
                answer = hook(req)
                if answer is not None:
                    injected = "reset" if answer == RESET else "response"
                    break
        if answer is None:
            answer = self._forward(req)
            upstream = answer.status
            if rule is not None:
                # moto has acted; the client will not learn how.
                injected = rule.name
                no_body = (self.command == "HEAD" or answer.status in
                           (204, 304) or answer.status < 200)
                if rule.fault == "reset-after" or no_body:
                    injected = "reset-after"
                    answer = RESET
                else:
                    truncate = True
            else:
                for hook in proxy.response_hooks():
                    other = hook(req, answer)
                    if other is not None:
                        answer = other
                        injected = "reset" if other == RESET else "response"
                        break
        if answer != RESET:
            answer = _as_response(answer)
        # Recorded before the client hears back, so that a client that
        # has its answer finds the call recorded.
        proxy._record(Call(req.service, req.operation, req.method, req.target,
                           None if answer == RESET else answer.status,
                           req.connection, started,
                           time.monotonic() - started, injected, req,
                           upstream))
        if answer == RESET:
            self._reset()
        elif truncate:
            self._answer_truncated(answer)
        else:
            self._answer(answer, head=(self.command == "HEAD"))

    def _fault_answer(self, req, fault):
        if isinstance(fault, Response):
            return fault
        if isinstance(fault, Error):
            return error_response(req, fault)
        proto = botocheck.protocol_of(req.service)
        if fault == "throttle":
            return error_response(req, THROTTLE[proto])
        status = int(fault)
        error = SERVER_ERROR.get((proto, status)) or Error(
            status, "InternalFailure" if status == 500
            else "ServiceUnavailable", "injected by awsproxy")
        return error_response(req, error)

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = do_any
    do_PATCH = do_OPTIONS = do_any

    def _read_body(self):
        te = (self.headers.get("Transfer-Encoding") or "").lower()
        if "chunked" in te:
            chunks = []
            total = 0
            while True:
                line = self.rfile.readline(65537)
                size = int(line.split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline(65537) not in (b"\r\n", b"\n",
                                                             b""):
                        pass  # trailers
                    break
                total += size
                if total > MAX_BODY:
                    raise ValueError("request body too large")
                chunks.append(self.rfile.read(size))
                self.rfile.readline(3)
            return b"".join(chunks)
        length = self.headers.get("Content-Length")
        if length is None:
            return b""
        n = int(length)
        if n < 0 or n > MAX_BODY:
            raise ValueError("bad Content-Length")
        return self.rfile.read(n)

    def _forward(self, req):
        proxy = self.server.proxy
        conn = http.client.HTTPConnection(proxy.upstream_host,
                                          proxy.upstream_port, timeout=300)
        try:
            conn.putrequest(req.method, req.target, skip_host=True,
                            skip_accept_encoding=True)
            has_host = False
            for k, v in req.headers:
                lk = k.lower()
                if lk in HOP_BY_HOP or lk == "content-length":
                    continue
                has_host = has_host or lk == "host"
                conn.putheader(k, v)
            if not has_host:
                conn.putheader("Host", f"{proxy.host}:{proxy.port}")
            if req.body or req.header("content-length") is not None or \
                    req.method in ("POST", "PUT", "PATCH"):
                conn.putheader("Content-Length", str(len(req.body)))
            conn.endheaders(req.body or None)
            resp = conn.getresponse()
            data = resp.read()
            return Response(resp.status, resp.getheaders(), data)
        except (OSError, http.client.HTTPException) as e:
            return Response(502, [("Content-Type", "text/plain")],
                            f"awsproxy: upstream: {e}".encode())
        finally:
            conn.close()

    def _answer(self, resp, head):
        self.send_response_only(resp.status)
        no_body = resp.status in (204, 304) or resp.status < 200
        for k, v in resp.headers:
            lk = k.lower()
            if lk in HOP_BY_HOP:
                continue
            if lk == "content-length" and not head:
                continue
            self.send_header(k, v)
        if not head and not no_body:
            self.send_header("Content-Length", str(len(resp.body)))
        self.end_headers()
        if not head and not no_body and resp.body:
            self.wfile.write(resp.body)
        self.wfile.flush()

    def _answer_truncated(self, resp):
        """moto's answer with half its body, a Content-Length larger than
        the whole body, then the connection closed."""
        self.send_response_only(resp.status)
        for k, v in resp.headers:
            if k.lower() not in HOP_BY_HOP and k.lower() != "content-length":
                self.send_header(k, v)
        n = len(resp.body)
        self.send_header("Content-Length", str(n + max(64, n)))
        self.end_headers()
        self.wfile.write(resp.body[:n // 2])
        self.wfile.flush()
        self.close_connection = True

    def _reset(self):
        """Drop the connection: no answer, an RST instead of a FIN."""
        self.close_connection = True
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                       struct.pack("ii", 1, 0))
        except OSError:
            pass
        self.server.mark_reset(self.connection)


def _as_response(answer):
    if isinstance(answer, Response):
        return answer
    status, headers, body = answer
    if isinstance(headers, dict):
        headers = list(headers.items())
    if isinstance(body, str):
        body = body.encode()
    return Response(status, list(headers), body)


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    # socketserver's backlog is 5: ten workers connecting at once overflow
    # it while the accept loop waits for the GIL, and the kernel's answer
    # to a full queue is a dropped SYN the client sends again a second
    # later (a refresh's first calls started 1 s late on 3 of 10 workers)
    request_queue_size = 128

    def __init__(self, addr, proxy, context):
        self.proxy = proxy
        self.context = context
        self._live = {}   # TLS socket -> connection serial
        self._reset = set()
        self._lock = threading.Lock()
        super().__init__(addr, _Handler)

    def get_request(self):
        sock, addr = super().get_request()
        # Headers and body leave in separate writes; without this, Nagle's
        # algorithm and the client's delayed ACK add ~40 ms to each answer.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.proxy._accepted()
        return sock, addr

    def finish_request(self, request, client_address):
        # The TLS handshake happens here, on the connection's own thread.
        request.settimeout(60)
        try:
            conn = self.context.wrap_socket(request, server_side=True)
        except (OSError, ssl.SSLError):
            request.close()
            return
        serial = self.proxy._serial()
        with self._lock:
            self._live[conn] = serial
        try:
            _Handler(conn, client_address, self)
        except (OSError, ssl.SSLError):
            pass
        finally:
            with self._lock:
                self._live.pop(conn, None)
                reset = conn in self._reset
                self._reset.discard(conn)
            if not reset:
                try:
                    conn.shutdown(socket.SHUT_WR)
                except OSError:
                    pass
            conn.close()

    def serial_of(self, conn):
        with self._lock:
            return self._live.get(conn, 0)

    def mark_reset(self, conn):
        with self._lock:
            self._reset.add(conn)

    def shutdown_request(self, request):
        # finish_request closed the TLS socket; request was detached by it.
        self.close_request(request)

    def close_live(self):
        with self._lock:
            live = list(self._live)
        for conn in live:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class AWSProxy:
    """The proxy: start(), url, stop(), and the test controls above."""

    def __init__(self, upstream_host, upstream_port, certfile, keyfile,
                 host="127.0.0.1", port=0):
        self.upstream_host = upstream_host
        self.upstream_port = upstream_port
        self.host = host
        self.latency = 0.0
        self.check_signatures = True
        self.check_model = True
        self._credentials = {}   # access key -> [(secret, token)]
        self._problems = []
        self._rules = []
        self._rng = random.Random(0)
        self._hooks = []
        self._response_hooks = []
        self._calls = []
        self._connections = 0
        self._serials = 0
        self._in_flight = 0
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(certfile, keyfile)
        ctx.set_alpn_protocols(["http/1.1"])
        self._server = _Server((host, port), self, ctx)
        self.port = self._server.server_address[1]
        self._thread = None

    @property
    def url(self):
        return f"https://{self.host}:{self.port}"

    def start(self):
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        name="awsproxy", daemon=True)
        self._thread.start()
        return self

    def stop(self):
        self._server.shutdown()
        self._server.close_live()
        self._server.server_close()
        if self._thread:
            self._thread.join(10)

    # -- test controls -------------------------------------------------------

    def add_hook(self, fn):
        with self._lock:
            self._hooks.append(fn)
        return fn

    def add_response_hook(self, fn):
        with self._lock:
            self._response_hooks.append(fn)
        return fn

    def remove_hook(self, fn):
        with self._lock:
            if fn in self._hooks:
                self._hooks.remove(fn)
            if fn in self._response_hooks:
                self._response_hooks.remove(fn)

    def clear_hooks(self):
        with self._lock:
            self._hooks.clear()
            self._response_hooks.clear()

    def hooks(self):
        with self._lock:
            return list(self._hooks)

    def response_hooks(self):
        with self._lock:
            return list(self._response_hooks)

    def calls(self, service=None, operation=None):
        """Recorded calls, oldest first, optionally filtered."""
        with self._lock:
            calls = list(self._calls)
        return [c for c in calls
                if (service is None or c.service == service)
                and (operation is None or c.operation == operation)]

    def clear_calls(self):
        with self._lock:
            self._calls.clear()

    @property
    def connections(self):
        with self._lock:
            return self._connections

    @property
    def in_flight(self):
        """Requests being handled right now."""
        with self._lock:
            return self._in_flight

    def wait_idle(self, timeout=30):
        """Wait until no request is being handled (a request from a killed
        client may still be on its way to moto); False on timeout."""
        with self._idle:
            return self._idle.wait_for(lambda: self._in_flight == 0, timeout)

    def reset(self):
        """Back to a plain pass-through proxy with nothing recorded and no
        faults (credentials stay known, the checks stay on)."""
        with self._lock:
            self.latency = 0.0
            self.check_signatures = True
            self.check_model = True
            self._hooks.clear()
            self._response_hooks.clear()
            self._calls.clear()
            self._problems.clear()
            self._rules.clear()
            self._rng = random.Random(0)
            self._connections = 0

    # -- checks --------------------------------------------------------------

    def add_credentials(self, access_key, secret, token=None):
        """Let the proxy check signatures made with this key pair (and
        session token, which must then be sent and signed)."""
        with self._lock:
            pairs = self._credentials.setdefault(access_key, [])
            if (secret, token or None) not in pairs:
                pairs.append((secret, token or None))

    def problems(self, kind=None):
        """What the checks found, oldest first: Problem(kind, call, text)
        with kind "signature", "model" or "unsigned"."""
        with self._lock:
            found = list(self._problems)
        return [p for p in found if kind is None or p.kind == kind]

    def clear_problems(self):
        with self._lock:
            self._problems.clear()

    # -- faults --------------------------------------------------------------

    def inject(self, fault, *, service=None, operation=None, rate=None,
               calls=None, times=None, seconds=0.0, match=None):
        """Add a fault rule and return it (rule.seen, rule.injected count
        the requests it matched and took).

        fault: "throttle", "500", "503", "reset", "reset-after",
        "truncate", "latency" (with seconds=), an Error or a Response.
        service, operation: which requests (signing name; operation name or
        a collection of them); match: a function of the Request that
        must say True (for one resource: lambda r: r.params().get(
        "RoleName") == "x"); every request when none is given.
        rate: probability per matching request; calls: 1-based numbers of
        the matching requests to take ([2]: the second); neither: every
        matching request. times: at most this many injections.

        Schedules (calls=) are looked at first. All rate rules share one
        random number per request, so their rates add up: "throttle" 0.3
        and "500" 0.05 throttle 30% and fail 5% of the requests, never
        both. Latency rules add their delay and let the request go on to
        the other rules."""
        rule = Rule(fault, service, operation, rate, calls, times, seconds,
                    match)
        with self._lock:
            if rule.calls is not None:
                n = sum(1 for r in self._rules if r.calls is not None)
                self._rules.insert(n, rule)
            else:
                self._rules.append(rule)
        return rule

    def seed(self, n):
        """Seed the random numbers that rates draw from."""
        with self._lock:
            self._rng = random.Random(n)

    def faults(self):
        with self._lock:
            return list(self._rules)

    def clear_faults(self):
        with self._lock:
            self._rules.clear()

    def _pick_fault(self, req):
        """(added latency, the rule that takes req or None)."""
        with self._lock:
            delay = 0.0
            chosen = None
            draw = None
            below = 0.0
            for rule in self._rules:
                if not rule.matches(req):
                    continue
                rule.seen += 1
                if rule.times is not None and rule.injected >= rule.times:
                    continue
                if rule.fault == "latency":
                    if rule.calls is not None:
                        hit = rule.seen in rule.calls
                    elif rule.rate is not None:
                        hit = self._rng.random() < rule.rate
                    else:
                        hit = True
                    if hit:
                        rule.injected += 1
                        delay += rule.seconds
                    continue
                if chosen is not None:
                    continue
                if rule.calls is not None:
                    hit = rule.seen in rule.calls
                elif rule.rate is not None:
                    if draw is None:
                        draw = self._rng.random()
                    below += rule.rate
                    hit = draw < below
                else:
                    hit = True
                if hit:
                    rule.injected += 1
                    chosen = rule
            return delay, chosen

    def _check(self, req):
        """Check req with botocore; name its operation from the model."""
        try:
            if req.header("authorization") is None:
                self._problem("unsigned", req, "no Authorization header")
            elif self.check_signatures:
                why = botocheck.signature_problem(req, self._secret_for)
                if why:
                    self._problem("signature", req, why)
            model, op, why = botocheck.find_operation(req)
            if op is not None:
                req.operation = op.name
            if not self.check_model:
                return
            if op is None:
                self._problem("model", req, why)
                return
            for why in botocheck.parameter_problems(req, model, op):
                self._problem("model", req, why)
        except Exception as e:   # a checker bug must not pass unseen
            import traceback
            self._problem("checker", req, f"{e!r}\n" +
                          traceback.format_exc())

    def _secret_for(self, access_key):
        with self._lock:
            return list(self._credentials.get(access_key, ()))

    def _problem(self, kind, req, text):
        with self._lock:
            self._problems.append(Problem(kind, req, text))

    # -- used by the server --------------------------------------------------

    def _record(self, call):
        with self._lock:
            self._calls.append(call)

    def _busy(self, delta):
        with self._idle:
            self._in_flight += delta
            if self._in_flight == 0:
                self._idle.notify_all()

    def _accepted(self):
        with self._lock:
            self._connections += 1

    def _serial(self):
        with self._lock:
            self._serials += 1
            return self._serials
