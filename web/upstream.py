"""What answers ``/api/…`` and ``/files/…`` on the web port.

``stationmaster serve`` passes them in-process to the API's and the file server's WSGI
applications (no second HTTP hop). ``stationmaster web`` runs without them and uses
``HttpUpstream``: a streaming reverse proxy (request and response bodies are copied in
blocks, never held whole), one kept-alive connection per web-server thread.
"""

from __future__ import annotations

import http.client
import logging
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Any
from urllib.parse import urlsplit

log = logging.getLogger("stationmaster.web")

_BLOCK = 1 << 16
_HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailers",
    "transfer-encoding",
    "upgrade",
    "host",
}


class _BodyReader:
    """``wsgi.input`` limited to ``Content-Length`` bytes, read in blocks by http.client."""

    def __init__(self, stream: Any, length: int) -> None:
        self._stream = stream
        self._left = length

    def read(self, size: int = -1) -> bytes:
        if self._left <= 0:
            return b""
        size = self._left if size is None or size < 0 else min(size, self._left)
        data = self._stream.read(size)
        self._left -= len(data)
        return bytes(data)


class HttpUpstream:
    """A WSGI application forwarding every request to ``base_url`` (path appended)."""

    def __init__(self, base_url: str, timeout: float = 300) -> None:
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an http(s) URL: {base_url!r}")
        self._https = parts.scheme == "https"
        self._host = parts.hostname
        self._port = parts.port or (443 if self._https else 80)
        self._base_path = parts.path.rstrip("/")
        self._timeout = timeout
        self._local = threading.local()

    def _connection(self, fresh: bool = False) -> http.client.HTTPConnection:
        conn = getattr(self._local, "conn", None)
        if conn is None or fresh:
            if conn is not None:
                conn.close()
            kind = http.client.HTTPSConnection if self._https else http.client.HTTPConnection
            conn = kind(self._host, self._port, timeout=self._timeout)
            self._local.conn = conn
        return conn

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD", "GET")
        target = self._base_path + (environ.get("PATH_INFO") or "/")
        if environ.get("QUERY_STRING"):
            target += "?" + environ["QUERY_STRING"]
        headers = _request_headers(environ)
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = _BodyReader(environ["wsgi.input"], length) if length else None
        if length:
            headers["Content-Length"] = str(length)
        try:
            response = self._send(method, target, headers, body, retry=body is None)
        except OSError as ex:
            log.warning("upstream %s:%s unreachable: %s", self._host, self._port, ex)
            text = f"upstream {self._host}:{self._port} unreachable".encode()
            start_response("502 Bad Gateway", [("Content-Type", "text/plain"), ("Content-Length", str(len(text)))])
            return [text]
        out = [(k, v) for k, v in response.getheaders() if k.lower() not in _HOP_BY_HOP]
        start_response(f"{response.status} {response.reason}", out)
        return _stream(response, self)

    def _send(
        self, method: str, target: str, headers: dict[str, str], body: _BodyReader | None, retry: bool
    ) -> http.client.HTTPResponse:
        conn = self._connection()
        try:
            conn.request(method, target, body=body, headers=headers, encode_chunked=False)
            return conn.getresponse()
        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
            if not retry:  # a body already sent cannot be sent again
                raise
            conn = self._connection(fresh=True)  # the kept-alive connection had closed
            conn.request(method, target, headers=headers)
            return conn.getresponse()

    def drop(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None


def _stream(response: http.client.HTTPResponse, upstream: HttpUpstream) -> Iterator[bytes]:
    try:
        while True:
            block = response.read(_BLOCK)
            if not block:
                break
            yield block
    except OSError:
        upstream.drop()
        raise
    finally:
        if response.will_close:
            upstream.drop()
        response.close()


def _request_headers(environ: dict[str, Any]) -> dict[str, str]:
    headers: dict[str, str] = {}
    for key, value in environ.items():
        if key.startswith("HTTP_"):
            name = key[5:].replace("_", "-").title()
            if name.lower() not in _HOP_BY_HOP:
                headers[name] = value
    if environ.get("CONTENT_TYPE"):
        headers["Content-Type"] = environ["CONTENT_TYPE"]
    remote = environ.get("REMOTE_ADDR")
    if remote:
        prior = headers.get("X-Forwarded-For")
        headers["X-Forwarded-For"] = f"{prior}, {remote}" if prior else remote
    headers.setdefault("X-Forwarded-Proto", environ.get("wsgi.url_scheme", "http"))
    if environ.get("HTTP_HOST"):
        headers.setdefault("X-Forwarded-Host", environ["HTTP_HOST"])
    return headers
