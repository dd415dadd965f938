"""Talking to the file server in tests: streamed multipart uploads, downloads."""

from __future__ import annotations

import contextlib
import http.client
import os
import socket
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import requests

_CHUNK = 1 << 20


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Part:
    """One multipart part. ``content`` is bytes or a file to stream; ``filename``
    defaults to the field name (what the clearml SDK sends)."""

    name: str
    content: bytes | Path
    filename: str | None = None
    content_type: str = "application/octet-stream"
    headers: dict[str, str] = field(default_factory=dict)

    def head(self, boundary: str) -> bytes:
        filename = self.name if self.filename is None else self.filename
        lines = [
            f"--{boundary}",
            f'Content-Disposition: form-data; name="{_q(self.name)}"; filename="{_q(filename)}"',
            f"Content-Type: {self.content_type}",
            *(f"{k}: {v}" for k, v in self.headers.items()),
            "",
            "",
        ]
        return "\r\n".join(lines).encode()

    def size(self) -> int:
        return self.content.stat().st_size if isinstance(self.content, Path) else len(self.content)


def _q(value: str) -> str:
    # The HTML5 / urllib3 spelling of a quoted multipart parameter.
    return value.replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")


@dataclass
class Upload:
    status: int
    body: bytes
    headers: dict[str, str]

    def json(self) -> Any:
        import json

        return json.loads(self.body)


def upload(
    base_url: str,
    parts: Iterable[Part],
    token: str | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = 120,
) -> Upload:
    """POST the parts as ``multipart/form-data`` with a Content-Length, streaming file
    contents in 1 MiB blocks (as the SDK's MultipartEncoder does)."""
    parts = list(parts)
    boundary = uuid.uuid4().hex
    heads = [p.head(boundary) for p in parts]
    tail = f"\r\n--{boundary}--\r\n".encode()
    length = sum(len(h) + p.size() for h, p in zip(heads, parts, strict=True))
    length += 2 * max(len(parts) - 1, 0) + len(tail)
    url = urlsplit(base_url)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=timeout)
    try:
        conn.putrequest("POST", "/")
        conn.putheader("Content-Type", f"multipart/form-data; boundary={boundary}")
        conn.putheader("Content-Length", str(length))
        if token:
            conn.putheader("Authorization", f"Bearer {token}")
        for k, v in (headers or {}).items():
            conn.putheader(k, v)
        conn.endheaders()
        for index, (head, part) in enumerate(zip(heads, parts, strict=True)):
            if index:
                conn.send(b"\r\n")
            conn.send(head)
            _send_content(conn, part.content)
        conn.send(tail)
        resp = conn.getresponse()
        return Upload(resp.status, resp.read(), {k.lower(): v for k, v in resp.getheaders()})
    finally:
        conn.close()


def _send_content(conn: http.client.HTTPConnection, content: bytes | Path) -> None:
    if isinstance(content, bytes):
        conn.send(content)
        return
    with open(content, "rb") as handle:
        while block := handle.read(_CHUNK):
            conn.send(block)


@contextlib.contextmanager
def get_stream(base_url: str, url_path: str, token: str | None) -> Iterator[http.client.HTTPResponse]:
    """``GET /<url_path>`` (already quoted) on its own connection; the response is
    read as a stream by the caller."""
    url = urlsplit(base_url)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=300)
    try:
        conn.request("GET", "/" + url_path, headers={"Authorization": f"Bearer {token}"} if token else {})
        yield conn.getresponse()
    finally:
        conn.close()


def post_raw(base_url: str, body: bytes, headers: dict[str, str], token: str | None = None) -> requests.Response:
    if token:
        headers = {**headers, "Authorization": f"Bearer {token}"}
    return requests.post(base_url + "/", data=body, headers=headers, timeout=30)


def file_url(base_url: str, path: str) -> str:
    """The URL the SDK stores: the path quoted (spaces, unicode) under the host."""
    return f"{base_url}/{quote(path.lstrip('/'))}"


def write_pattern(path: Path, size: int, seed: bytes = b"") -> None:
    """A file of ``size`` pseudo-random bytes (a repeated random block, so that large
    files are quick to make), including CRLF and dashes that look like boundaries."""
    block = bytearray(os.urandom(_CHUNK))
    block[100:120] = b"\r\n--" + seed[:16].ljust(16, b"-")
    with open(path, "wb") as handle:
        remaining = size
        while remaining:
            n = min(remaining, len(block))
            handle.write(block[:n])
            remaining -= n


def rss_kib(pid: int) -> int:
    """Resident set size of a process, from /proc/<pid>/status."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for pid {pid}")
