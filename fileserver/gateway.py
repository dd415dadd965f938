"""A small threaded HTTP/1.1 WSGI server for the file server.

Unlike waitress, it hands the application the request body as it arrives on the
socket (``wsgi.input`` reads from the connection), so an upload is written once, to
its destination, while it is received; and it sends files with ``sendfile(2)``.

- HTTP/1.1 keep-alive; one thread per connection, at most ``threads`` requests inside
  the application at a time.
- Request bodies with ``Content-Length`` or ``Transfer-Encoding: chunked``;
  ``Expect: 100-continue`` is answered when the application first reads the body.
- ``max_body``: a larger announced ``Content-Length`` is refused with 413 before the
  body is read; a chunked body raises ``BodyTooLarge`` in the application's read as
  soon as it grows past the limit.
- ``wsgi.file_wrapper``: a wrapped object with ``sendfile_span()`` (see
  ``sending.FileSpan``) is sent by the kernel from the file to the socket.
- ``connection_limit``: a connection beyond it is answered 503 and closed at once (each
  open connection holds a thread); ``timeout``: a connection that sends nothing for that
  long (between requests or inside one) is closed.
"""

from __future__ import annotations

import contextlib
import http.server
import logging
import resource
import socket
import socketserver
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from email.utils import formatdate
from typing import Any, Protocol
from urllib.parse import unquote_to_bytes

from ..config import Config

log = logging.getLogger("stationmaster.fileserver")

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

# Unread body bytes that are read and dropped to keep a connection open after a reply.
_DRAIN_LIMIT = 1 << 16
_LINE_LIMIT = 4096
_BLOCK = 1 << 20
_NO_BODY_STATUSES = (204, 304)
_LINGER_SEC = 2.0
_LINGER_BYTES = 64 << 20


_SEND_BUFFER = 4 << 20


class _Input(Protocol):
    def read(self, size: int = ..., /) -> bytes: ...

    def readinto(self, buffer: memoryview, /) -> int: ...

    def readline(self, size: int = ..., /) -> bytes: ...


class BodyError(Exception):
    """The request body is malformed or ended early (400)."""


class BodyTooLarge(BodyError):
    """The request body is larger than the limit (413)."""


class RequestBody:
    """``wsgi.input``: the body as it arrives, ``Content-Length`` bytes or dechunked."""

    def __init__(
        self,
        rfile: _Input,
        length: int | None,
        limit: int | None,
        on_first_read: Callable[[], None] | None,
    ) -> None:
        self._rfile = rfile
        self._chunked = length is None
        # Bytes left in the body (Content-Length) or in the current chunk.
        self._left = length or 0
        self._done = length == 0
        self._limit = limit
        self._total = 0
        self._on_first_read = on_first_read
        self._broken: BodyError | None = None

    @property
    def done(self) -> bool:
        return self._done

    def read(self, size: int | None = -1) -> bytes:
        if size is None or size < 0:
            return b"".join(iter(lambda: self.read(_BLOCK), b""))
        if self._broken:
            raise self._broken
        if self._done or size == 0:
            return b""
        try:
            data = self._read(size)
            if len(data) == size or self._done:
                return data
            # Like a file: fill the request across chunk boundaries (parsers read
            # a short block as the end of the body).
            pieces = [data]
            size -= len(data)
            while size and not self._done:
                data = self._read(size)
                pieces.append(data)
                size -= len(data)
            return b"".join(pieces)
        except BodyError as ex:
            self._broken = ex
            raise

    def _read(self, size: int) -> bytes:
        left = self._ready()
        if not left:
            return b""
        data = self._rfile.read(min(size, left))
        if not data:
            raise BodyError("the connection closed before the end of the request body")
        self._after_read(len(data))
        return data

    def readinto(self, buffer: memoryview | bytearray) -> int:
        """Read up to ``len(buffer)`` bytes straight into ``buffer``; 0 at the end."""
        if self._broken:
            raise self._broken
        if self._done or not len(buffer):
            return 0
        try:
            left = self._ready()
            if not left:
                return 0
            n = self._rfile.readinto(memoryview(buffer)[: min(len(buffer), left)])
            if not n:
                raise BodyError("the connection closed before the end of the request body")
            self._after_read(n)
            return n
        except BodyError as ex:
            self._broken = ex
            raise

    def _ready(self) -> int:
        """How many bytes may be read now (those left in the body or chunk); 0 at the end."""
        if self._on_first_read:
            self._on_first_read()
            self._on_first_read = None
        if self._chunked and not self._left:
            self._next_chunk()
        return 0 if self._done else self._left

    def _after_read(self, n: int) -> None:
        self._left -= n
        if not self._left:
            if self._chunked:
                if self._rfile.read(2) != b"\r\n":
                    raise BodyError("malformed chunked request body")
            else:
                self._done = True

    def readline(self, size: int | None = -1) -> bytes:
        # Rarely used by file-server code (multipart parsing buffers itself).
        line = bytearray()
        while not line.endswith(b"\n") and (size is None or size < 0 or len(line) < size):
            byte = self.read(1)
            if not byte:
                break
            line += byte
        return bytes(line)

    def __iter__(self) -> Iterator[bytes]:
        return iter(self.readline, b"")

    def _next_chunk(self) -> None:
        line = self._rfile.readline(_LINE_LIMIT + 1)
        if not line.endswith(b"\n"):
            raise BodyError("malformed chunked request body")
        try:
            size = int(line.split(b";", 1)[0].strip(), 16)
        except ValueError:
            raise BodyError("malformed chunk size in the request body") from None
        if size < 0:
            raise BodyError("malformed chunk size in the request body")
        if size == 0:
            while True:  # trailers, up to the empty line
                trailer = self._rfile.readline(_LINE_LIMIT + 1)
                if not trailer.endswith(b"\n"):
                    raise BodyError("malformed chunked request body")
                if trailer in (b"\r\n", b"\n"):
                    break
            self._done = True
            return
        self._total += size
        if self._limit is not None and self._total > self._limit:
            raise BodyTooLarge(f"the request body is larger than {self._limit} bytes")
        self._left = size

    def drain(self, limit: int) -> bool:
        """Read and drop what is left of the body, up to ``limit`` bytes; True when
        the body was read to its end."""
        try:
            while not self._done and limit > 0:
                limit -= len(self.read(min(_BLOCK, limit)))
        except (BodyError, OSError):
            return False
        return self._done


class FileWrapper:
    """``wsgi.file_wrapper``: iterates a file-like object; the gateway sends it with
    ``sendfile`` instead when it offers ``sendfile_span()``."""

    def __init__(self, filelike: Any, block_size: int = _BLOCK) -> None:
        self.filelike = filelike
        self.block_size = max(block_size, _BLOCK)

    def __iter__(self) -> Iterator[bytes]:
        return iter(lambda: self.filelike.read(self.block_size), b"")

    def close(self) -> None:
        close = getattr(self.filelike, "close", None)
        if close:
            close()


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: WSGIGateway
    rbufsize = 1 << 16

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        # A fixed 4 MiB send buffer (the kernel caps it at net.core.wmem_max): downloads
        # arrive in larger pieces, ~1.0 -> ~1.3 GB/s and half the client's CPU over loopback.
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, _SEND_BUFFER)
        self.server.track(self.connection, True)

    # Set when the connection is closed with body bytes still coming from the client.
    _unread_body = False

    def finish(self) -> None:
        try:
            super().finish()
            if self._unread_body:
                self._linger()
        except OSError:
            pass
        finally:
            self.server.track(self.connection, False)

    def _linger(self) -> None:
        """Stop sending, then read and drop what the client still sends for a moment:
        closing with unread bytes would reset the connection and could destroy the
        answer (a 413, say) before the client reads it."""
        self.connection.shutdown(socket.SHUT_WR)
        self.connection.settimeout(_LINGER_SEC)
        deadline = time.monotonic() + _LINGER_SEC
        dropped = 0
        while dropped < _LINGER_BYTES and time.monotonic() < deadline:
            data = self.connection.recv(_BLOCK)
            if not data:
                break
            dropped += len(data)

    def version_string(self) -> str:
        return self.server.ident

    def log_message(self, format: str, *args: Any) -> None:  # the base class's name
        log.debug("%s " + format, self.address_string(), *args)

    def handle_expect_100(self) -> bool:
        # "100 Continue" goes out only when the application reads the body, so a
        # request refused early (413, 401) never has its body sent.
        return True

    def handle_one_request(self) -> None:
        try:
            self.raw_requestline = self.rfile.readline(65537)
        except (TimeoutError, ConnectionError):
            self.close_connection = True
            return
        if len(self.raw_requestline) > 65536:
            self.requestline = self.request_version = self.command = ""
            self.send_error(414)
            return
        if not self.raw_requestline:
            self.close_connection = True
            return
        if not self.parse_request():
            return
        try:
            self._run()
        except (ConnectionError, TimeoutError):
            self.close_connection = True

    def _run(self) -> None:
        headers = self.headers
        encoding = (headers.get("Transfer-Encoding") or "").strip().lower()
        length: int | None = 0
        if encoding:
            if encoding != "chunked":
                self.send_error(501, "only the chunked transfer coding is supported")
                return
            length = None
        elif headers.get("Content-Length") is not None:
            text = headers["Content-Length"].strip()
            if not text.isdigit():
                self.send_error(400, "invalid Content-Length")
                return
            length = int(text)
        limit = self.server.max_body
        if length is not None and limit is not None and length > limit:
            self._refuse_too_large(limit)
            return
        expect = (headers.get("Expect") or "").lower() == "100-continue" and self.request_version == "HTTP/1.1"
        body = RequestBody(self.rfile, length, limit, self._send_continue if expect else None)
        with self.server.slots:
            self._call_app(self._environ(body, length))
        if not body.done and not (expect and not self._continued) and body.drain(_DRAIN_LIMIT):
            return
        if not body.done:
            self.close_connection = True
            self._unread_body = True

    _continued = False

    def _send_continue(self) -> None:
        self._continued = True
        self.connection.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")

    def _refuse_too_large(self, limit: int) -> None:
        text = (
            '{"title": "413 Payload Too Large", '
            f'"description": "the request body is larger than the upload limit ({limit} bytes)"}}'
        ).encode()
        self.close_connection = self._unread_body = True
        self._send_head("413 Payload Too Large", [("Content-Type", "application/json")], len(text), text)

    def _environ(self, body: RequestBody, length: int | None) -> dict[str, Any]:
        target, _, query = self.path.partition("?")
        if not target.startswith("/") and "://" in target:
            target = "/" + target.split("://", 1)[1].partition("/")[2]  # absolute-form request target
        host, port = self.server.server_address[:2]
        env: dict[str, Any] = {
            "REQUEST_METHOD": self.command,
            "SCRIPT_NAME": "",
            "PATH_INFO": unquote_to_bytes(target).decode("latin-1"),
            "QUERY_STRING": query,
            "SERVER_NAME": str(host),
            "SERVER_PORT": str(port),
            "SERVER_PROTOCOL": self.request_version,
            "REMOTE_ADDR": self.client_address[0],
            "REMOTE_PORT": str(self.client_address[1]),
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": "http",
            "wsgi.input": body,
            "wsgi.input_terminated": True,
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": True,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
            "wsgi.file_wrapper": FileWrapper,
        }
        for name, value in self.headers.items():
            key = name.upper().replace("-", "_")
            if "_" in name:
                continue  # ambiguous with a dash: dropped, as waitress does
            if key == "CONTENT_TYPE":
                env[key] = value
            elif key == "CONTENT_LENGTH":
                if length is not None:
                    env[key] = str(length)
            elif key != "TRANSFER_ENCODING":
                key = "HTTP_" + key
                env[key] = f"{env[key]},{value}" if key in env else value
        return env

    def _call_app(self, env: dict[str, Any]) -> None:
        state: dict[str, Any] = {}

        def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable[..., Any]:
            if exc_info and state.get("sent"):
                raise exc_info[1].with_traceback(exc_info[2])
            state["status"], state["headers"] = status, headers
            return write

        def write(data: bytes) -> None:
            self._send_part(state, data)

        try:
            result = self.server.app(env, start_response)
        except Exception:
            log.exception("file server: unhandled error")
            self.close_connection = True
            if not state.get("sent"):
                self.send_error(500)
            return
        try:
            self._send_result(state, result)
        except (ConnectionError, TimeoutError):
            self.close_connection = True
        except Exception:
            log.exception("file server: error while sending a response")
            self.close_connection = True
        finally:
            close = getattr(result, "close", None)
            if close:
                close()

    def _send_result(self, state: dict[str, Any], result: Iterable[bytes]) -> None:
        if "status" in state and not self._may_have_body(state):
            self._send_part(state, b"")
            return
        span = None
        if isinstance(result, FileWrapper):
            get_span = getattr(result.filelike, "sendfile_span", None)
            span = get_span() if get_span else None
        if span is not None and self._may_have_body(state):
            file, offset, count = span
            self._send_part(state, b"")
            if count:
                sent = self.connection.sendfile(file, offset, count)
                if sent != count:
                    raise ConnectionError("file shorter than announced")
            return
        for data in result:
            if data:
                self._send_part(state, data)
        self._send_part(state, b"")

    def _may_have_body(self, state: dict[str, Any]) -> bool:
        return self.command != "HEAD" and int(state["status"][:3]) not in _NO_BODY_STATUSES

    def _send_part(self, state: dict[str, Any], data: bytes) -> None:
        if "status" not in state:
            raise RuntimeError("the application wrote before start_response")
        if not state.get("sent"):
            state["sent"] = True
            headers = state["headers"]
            length = next((v for k, v in headers if k.lower() == "content-length"), None)
            if length is None and self._may_have_body(state):
                self.close_connection = True
            self._send_head(state["status"], headers, None, data if self._may_have_body(state) else b"")
        elif data and self._may_have_body(state):
            self.connection.sendall(data)

    def _send_head(self, status: str, headers: list[tuple[str, str]], length: int | None, data: bytes) -> None:
        lines = [f"HTTP/1.1 {status}", f"Server: {self.server.ident}", f"Date: {formatdate(usegmt=True)}"]
        lines += [f"{k}: {v}" for k, v in headers if k.lower() not in ("server", "date", "connection")]
        if length is not None:
            lines.append(f"Content-Length: {length}")
        if self.close_connection:
            lines.append("Connection: close")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        self.connection.sendall(head + data if len(data) <= _DRAIN_LIMIT else head)
        if len(data) > _DRAIN_LIMIT:
            self.connection.sendall(data)


class WSGIGateway(socketserver.ThreadingMixIn, socketserver.TCPServer):
    """The server: ``run()`` serves until ``close()``."""

    allow_reuse_address = True
    daemon_threads = True
    block_on_close = False
    request_queue_size = 1024

    def __init__(
        self,
        app: WSGIApp,
        host: str,
        port: int,
        *,
        threads: int = 8,
        max_body: int | None = None,
        ident: str = "clearml",
        timeout: float = 120,
        connection_limit: int = 4096,
    ) -> None:
        self.app = app
        self.max_body = max_body
        self.ident = ident
        self.connection_limit = connection_limit
        self.slots = threading.BoundedSemaphore(max(threads, 1))
        self._connections: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._serving = threading.Event()
        self._closed = False
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.address_family = family
        handler = type("Handler", (_Handler,), {"timeout": timeout})
        super().__init__((host, port), handler)
        self.effective_port = int(self.server_address[1])

    def verify_request(self, request: Any, client_address: Any) -> bool:
        """Refuse a connection beyond the limit (before a thread is started for it)."""
        with self._lock:
            full = len(self._connections) >= self.connection_limit
        if full:
            with contextlib.suppress(OSError):
                request.sendall(b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            log.warning("file server: %d connections open, refusing one more", self.connection_limit)
        return not full

    def track(self, conn: socket.socket, add: bool) -> None:
        with self._lock:
            if add:
                self._connections.add(conn)
            else:
                self._connections.discard(conn)

    def run(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._serving.set()
        try:
            self.serve_forever(poll_interval=0.5)
        finally:
            self._serving.clear()

    def close(self) -> None:
        """Stop accepting, close the listener and every open connection."""
        with self._lock:
            self._closed = True
            serving = self._serving.is_set()
            connections = list(self._connections)
        if serving:
            self.shutdown()
        self.server_close()
        for conn in connections:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def raise_open_files_limit(needed: int) -> int:
    """Raise the soft RLIMIT_NOFILE to ``needed`` (never above the hard limit, never
    lower than it is); the limit in force is returned. Every connection is a descriptor."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
    if soft != resource.RLIM_INFINITY and soft < target:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (ValueError, OSError):
            log.warning("cannot raise the open files limit from %d to %d", soft, target)
    if soft != resource.RLIM_INFINITY and soft < needed:
        log.warning("open files limit %d is below the %d the connection limits need", soft, needed)
    return soft


def waitress_limits(config: Config) -> dict[str, Any]:
    """waitress settings from ``apiserver.http`` (the API and the web app's server): a
    connection limit in the thousands, idle connections dropped, poll(2) — select(2)
    cannot watch descriptors above 1023 (docs/security.md, "Connections")."""
    http = config.get("apiserver.http")
    return {
        "connection_limit": int(http.get("connection_limit")),
        "channel_timeout": float(http.get("channel_timeout")),
        "cleanup_interval": float(http.get("cleanup_interval")),
        "backlog": int(http.get("backlog")),
        "asyncore_use_poll": True,
    }


def close_server(server: Any) -> None:
    if isinstance(server, WSGIGateway):
        server.close()  # the file server's own gateway
        return
    try:
        server.task_dispatcher.shutdown(timeout=5)
    except Exception:  # best effort on the way out
        log.debug("task dispatcher shutdown failed", exc_info=True)
    server.close()
    # Closing the listener leaves idle keep-alive connections in the loop's map.
    for channel in list(getattr(server, "_map", {}).values()):
        try:
            channel.close()
        except Exception:
            pass
