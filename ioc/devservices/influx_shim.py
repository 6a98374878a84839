"""The InfluxDB 2 write API in front of an InfluxDB 1.x engine that predates it.

InfluxDB 1.8+ serves `/api/v2/write` natively by mapping it onto its v1 write path; Debian ships
1.6, which does not. This shim performs exactly that mapping, so the project's writer
(influxdb-client, which only speaks v2 writes) runs unchanged against the real 1.6 engine:

    POST /api/v2/write?org=<ignored>&bucket=<db>[/<rp>]&precision=ns|us|ms|s
      → POST /write?db=<db>[&rp=<rp>]&precision=n|u|ms|s

The body is passed through untouched (gzip included: `Content-Encoding` is forwarded), as is the
`Authorization` header; the engine's status and body come back as they are (204 on success).
Like 1.8, a bucket with an empty database answers 404 and an unknown precision 400. Every other
request (`/query`, `/ping`, `/health`...) is forwarded unchanged: method, path, query string, body
and headers. Storage and InfluxQL are the real engine's.

When the engine is unreachable (stopped for an outage test, restarting) the shim answers 503 with a
JSON error body and stays up; the next request after the engine is back goes through.

It is a ThreadingHTTPServer speaking HTTP/1.1 keep-alive, with a pooled urllib3 connection to the
engine per client thread: the engine, not the shim, limits throughput (batches of 5,000 points).
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlencode, urlsplit

import urllib3

V2_WRITE_PATH = "/api/v2/write"
PRECISIONS = {"ns": "n", "us": "u", "ms": "ms", "s": "s", "": ""}
# Hop-by-hop headers (RFC 9110 §7.6.1) and those the shim recomputes; never forwarded.
_HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "host",
        "content-length",
    }
)
_SET_BY_SERVER = frozenset({"date", "server"})
_NO_BODY_STATUSES = frozenset({204, 304})


class ShimError(Exception):
    """A request the shim answers itself, without the engine (bad bucket, bad precision...)."""

    def __init__(self, status: HTTPStatus, message: str) -> None:
        super().__init__(message)
        self.status = status


def map_v2_write(query: str) -> str:
    """The v1 `/write` query string for a v2 write query string (raises ShimError like 1.8)."""
    params = dict(parse_qsl(query, keep_blank_values=True))
    bucket = params.get("bucket", "")
    db, _, rp = bucket.partition("/")
    if not db:
        raise ShimError(HTTPStatus.NOT_FOUND, f"bucket name {bucket!r} has an empty database")
    precision = params.get("precision", "")
    if precision not in PRECISIONS:
        raise ShimError(
            HTTPStatus.BAD_REQUEST, f"invalid precision {precision!r} (use ns, us, ms or s)"
        )
    v1 = {"db": db}
    if rp:
        v1["rp"] = rp
    if PRECISIONS[precision]:
        v1["precision"] = PRECISIONS[precision]
    return urlencode(v1)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive
    timeout = 120  # an idle keep-alive connection's thread ends after this
    server: _ShimServer

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.server.track(self.connection)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.untrack(self.connection)

    def log_message(self, format: str, *args: object) -> None:
        pass  # quiet: tests read the engine's log, not one line per batch

    def do_GET(self) -> None:
        self._forward()

    def do_HEAD(self) -> None:
        self._forward()

    def do_POST(self) -> None:
        self._forward()

    def do_PUT(self) -> None:
        self._forward()

    def do_DELETE(self) -> None:
        self._forward()

    def do_PATCH(self) -> None:
        self._forward()

    def do_OPTIONS(self) -> None:
        self._forward()

    def _forward(self) -> None:
        body = self._read_body()
        parts = urlsplit(self.path)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP}
        try:
            if parts.path == V2_WRITE_PATH and self.command == "POST":
                target = "/write?" + map_v2_write(parts.query)
            else:
                target = self.path
            response = self.server.send(self.command, target, body, headers)
        except ShimError as exc:
            self._reply_error(exc.status, str(exc))
            return
        except urllib3.exceptions.HTTPError as exc:
            self._reply_error(
                HTTPStatus.SERVICE_UNAVAILABLE,
                f"influxdb engine at {self.server.engine} unreachable: {exc}",
            )
            return
        self.send_response(response.status)
        for key, value in response.headers.items():
            lower = key.lower()
            if lower not in _HOP_BY_HOP and lower not in _SET_BY_SERVER:
                self.send_header(key, value)
        data = response.data
        if response.status not in _NO_BODY_STATUSES:
            length = response.headers.get("Content-Length") if self.command == "HEAD" else None
            self.send_header("Content-Length", length or str(len(data)))
        self.end_headers()
        if data and self.command != "HEAD" and response.status not in _NO_BODY_STATUSES:
            self.wfile.write(data)

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks: list[bytes] = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _reply_error(self, status: HTTPStatus, message: str) -> None:
        data = json.dumps(
            {"code": status.phrase.lower().replace(" ", "_"), "message": message, "error": message}
        ).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("X-Influxdb-Error", message[:1024])
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)


class _ShimServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128

    def __init__(self, host: str, engine_port: int) -> None:
        super().__init__((host, 0), _Handler)
        self.engine = f"http://{host}:{engine_port}"
        self.pool = urllib3.HTTPConnectionPool(
            host,
            engine_port,
            maxsize=64,
            block=False,
            retries=False,
            timeout=urllib3.Timeout(5, 120),
        )
        self._lock = threading.Lock()
        self._connections: dict[socket.socket, threading.Thread] = {}

    def send(
        self, method: str, target: str, body: bytes, headers: dict[str, str]
    ) -> urllib3.HTTPResponse:
        """One request to the engine; a pooled connection the engine closed is retried once.

        Retrying is safe: InfluxDB writes are idempotent (same series and time overwrite).
        """
        for attempt in (1, 2):
            try:
                return self.pool.urlopen(
                    method,
                    target,
                    body=body if body or method in ("POST", "PUT", "PATCH") else None,
                    headers=headers,
                    retries=False,
                    redirect=False,
                    preload_content=True,
                    decode_content=False,  # pass gzip responses through untouched
                )
            except urllib3.exceptions.ProtocolError:  # stale keep-alive (engine restarted)
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def track(self, sock: socket.socket) -> None:
        with self._lock:
            self._connections[sock] = threading.current_thread()

    def untrack(self, sock: socket.socket) -> None:
        with self._lock:
            self._connections.pop(sock, None)

    def close_connections(self, timeout: float = 5.0) -> None:
        """Cut every open client connection and give its handler thread `timeout` s to end."""
        with self._lock:
            connections = list(self._connections.items())
        for sock, _ in connections:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        deadline = time.monotonic() + timeout
        for _, thread in connections:
            thread.join(max(0.0, deadline - time.monotonic()))


class InfluxShim:
    """The shim on `host`:<free port> in front of the engine at `host`:`engine_port`."""

    def __init__(self, host: str, engine_port: int) -> None:
        self._server = _ShimServer(host, engine_port)
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        port: int = self._server.server_address[1]
        return port

    @property
    def url(self) -> str:
        return f"http://{self._server.server_address[0]!s}:{self.port}"

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._server.serve_forever,
                kwargs={"poll_interval": 0.1},
                name=f"influx-shim-{self.port}",
                daemon=True,
            )
            self._thread.start()

    def close(self) -> None:
        """Stop accepting, cut open keep-alive connections, release the port."""
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join()
            self._thread = None
        self._server.close_connections()
        self._server.server_close()
        self._server.pool.close()
