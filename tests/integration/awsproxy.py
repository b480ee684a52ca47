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
"""

import http.client
import http.server
import re
import socket
import ssl
import struct
import threading
import time
import urllib.parse
from dataclasses import dataclass, field

RESET = "reset"

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
    request: Request = None

    def __repr__(self):
        how = f" injected={self.injected}" if self.injected else ""
        return (f"<Call {self.service}:{self.operation} {self.method} "
                f"{self.target} -> {self.status}{how}>")


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
        if "uploads" in query or "uploadId" in query:
            return f"{method} object?{'&'.join(sorted(query))}"
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

        if proxy.latency:
            time.sleep(proxy.latency)

        injected = None
        answer = None
        for hook in proxy.hooks():
            answer = hook(req)
            if answer is not None:
                injected = "reset" if answer == RESET else "response"
                break
        if answer is None:
            answer = self._forward(req)
            for hook in proxy.response_hooks():
                other = hook(req, answer)
                if other is not None:
                    answer = other
                    injected = "reset" if other == RESET else "response"
                    break
        if answer == RESET:
            self._reset()
            status = None
        else:
            answer = _as_response(answer)
            self._answer(answer, head=(self.command == "HEAD"))
            status = answer.status
        proxy._record(Call(req.service, req.operation, req.method, req.target,
                           status, req.connection, started,
                           time.monotonic() - started, injected, req))

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

    def __init__(self, addr, proxy, context):
        self.proxy = proxy
        self.context = context
        self._live = {}   # TLS socket -> connection serial
        self._reset = set()
        self._lock = threading.Lock()
        super().__init__(addr, _Handler)

    def get_request(self):
        sock, addr = super().get_request()
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
        """Back to a plain pass-through proxy with nothing recorded."""
        with self._lock:
            self.latency = 0.0
            self._hooks.clear()
            self._response_hooks.clear()
            self._calls.clear()
            self._connections = 0

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
