"""A response body that sends a span of an open file, by ``sendfile`` when it can."""

from __future__ import annotations

from typing import BinaryIO

_BLOCK = 1 << 20


class FileSpan:
    """``length`` bytes of ``file`` from its current position.

    The file server's gateway (``gateway.WSGIGateway``) asks for ``sendfile_span()``
    and lets the kernel copy the bytes from the file to the socket; any other WSGI
    server reads it in 1 MiB blocks.
    """

    def __init__(self, file: BinaryIO, length: int) -> None:
        self.file = file
        self.remain = length

    def sendfile_span(self) -> tuple[BinaryIO, int, int]:
        """``(file, offset, count)`` of what is left to send; the caller sends it all."""
        span = (self.file, self.file.tell(), self.remain)
        self.remain = 0
        return span

    def read(self, size: int | None = -1, /) -> bytes:
        if not self.remain:
            return b""
        size = self.remain if size is None or size < 0 else min(size, self.remain, _BLOCK * 4)
        data = self.file.read(size)
        if not data:
            raise OSError("file shorter than announced")
        self.remain -= len(data)
        return data

    def close(self) -> None:
        self.file.close()
