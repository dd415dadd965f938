"""A recording HTTP relay between the real clients and the API server (loopback only).

The clients are pointed at the relay; it forwards every request unchanged to the server
and keeps a record of each exchange (method, path, status, bodies), so a failing flow
can name the exact calls that failed and the version-discovery flow can check which
paths the clients used. Bodies are kept in full for failed exchanges, truncated else.
With ``more_upstreams`` it is also a round-robin balancer: request n goes to upstream
n mod the number of upstreams (test_scaleout.py, several API processes).
"""

from __future__ import annotations

import http.client
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

_HOP = {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer", "upgrade"}
_KEEP_OK = 600
_KEEP_FAILED = 20000


@dataclass
class Exchange:
    label: str
    started: float
    method: str
    path: str
    request_headers: dict[str, str]
    request_body: bytes
    status: int = 0
    response_body: bytes = b""
    error: str = ""

    @property
    def failed(self) -> bool:
        return self.status >= 400 or self.status == 0

    def client(self) -> str:
        h = {k.lower(): v for k, v in self.request_headers.items()}
        return (
            h.get("x-clearml-agent")
            or h.get("x-trains-agent")
            or h.get("x-clearml-client")
            or h.get("x-trains-client")
            or h.get("user-agent", "")
        )

    def describe(self) -> str:
        def text(body: bytes) -> str:
            return body.decode("utf-8", errors="replace")

        ctype = {k.lower(): v for k, v in self.request_headers.items()}.get("content-type", "")
        return (
            f"{self.method} {self.path} -> {self.status or self.error} [{self.client()}] ({self.label})\n"
            f"  request ({ctype}): {text(self.request_body)}\n"
            f"  response: {text(self.response_body)}"
        )


@dataclass
class Recorder:
    upstream_host: str
    upstream_port: int
    label: str = "session"
    more_upstreams: list[tuple[str, int]] = field(default_factory=list)
    exchanges: list[Exchange] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    _server: ThreadingHTTPServer | None = None
    _thread: threading.Thread | None = None
    _turn: int = 0

    def next_upstream(self) -> tuple[str, int]:
        upstreams = [(self.upstream_host, self.upstream_port), *self.more_upstreams]
        with self.lock:
            self._turn += 1
            return upstreams[self._turn % len(upstreams)]

    @property
    def port(self) -> int:
        assert self._server is not None
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Recorder:
        recorder = self

        class Handler(_RelayHandler):
            owner = recorder

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="e2e-recorder", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def mark(self) -> int:
        with self.lock:
            return len(self.exchanges)

    def since(self, mark: int) -> list[Exchange]:
        with self.lock:
            return list(self.exchanges[mark:])

    def failures_since(self, mark: int) -> list[Exchange]:
        return [e for e in self.since(mark) if e.failed]

    def add(self, exchange: Exchange) -> None:
        keep = _KEEP_FAILED if exchange.failed else _KEEP_OK
        exchange.request_body = exchange.request_body[:keep]
        exchange.response_body = exchange.response_body[:keep]
        with self.lock:
            self.exchanges.append(exchange)


class _RelayHandler(BaseHTTPRequestHandler):
    owner: Recorder
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # the base signature
        pass

    def _body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            return b"".join(chunks)
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _relay(self) -> None:
        owner = self.owner
        body = self._body()
        headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP}
        if body or "Content-Length" in self.headers or self.headers.get("Transfer-Encoding"):
            headers = {k: v for k, v in headers.items() if k.lower() != "content-length"}
            headers["Content-Length"] = str(len(body))
        exchange = Exchange(owner.label, time.time(), self.command, self.path, dict(headers), body)
        try:
            conn = http.client.HTTPConnection(*owner.next_upstream(), timeout=120)
            try:
                conn.request(self.command, self.path, body=body or None, headers=headers)
                resp = conn.getresponse()
                payload = resp.read()
                resp_headers = [(k, v) for k, v in resp.getheaders() if k.lower() not in _HOP | {"content-length"}]
                status, reason = resp.status, resp.reason
            finally:
                conn.close()
        except OSError as ex:
            exchange.error = f"relay error: {ex!r}"
            owner.add(exchange)
            self.send_error(500, "upstream unavailable")
            return
        exchange.status, exchange.response_body = status, payload
        owner.add(exchange)
        self.send_response(status, reason)
        for key, value in resp_headers:
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = _relay


# Errors that the reference v0.16.1 answers too and the clients tolerate (docs/e2e.md):
# (endpoint, subcode) -> why. They are listed apart in the failure report.
EXPECTED_ERRORS = {
    ("queues.get_by_id", 701): "the SDK first tries a queue name as an id",
    ("tasks.dequeue", 101): "the agents dequeue a task that is not queued (already started, or execute --id)",
    ("workers.unregister", 1004): "clearml-agent unregisters twice on SIGINT",
}


def expected_error(exchange: Exchange) -> str | None:
    """Why this failed exchange is expected, or None."""
    try:
        meta = json.loads(exchange.response_body)["meta"]
    except (ValueError, KeyError, TypeError):
        return None
    return EXPECTED_ERRORS.get((meta.get("endpoint", {}).get("name"), meta.get("result_subcode")))
