"""A response body that sends a span of an open file with few copies under waitress."""

from __future__ import annotations

from typing import BinaryIO

from waitress.buffers import ReadOnlyFileBasedBuffer

_BLOCK = 1 << 20


class FileSpan(ReadOnlyFileBasedBuffer):
    """``length`` bytes of ``file`` from its current position.

    Waitress recognises its ``ReadOnlyFileBasedBuffer`` and hands it to the connection's
    send loop, which asks for as much as the socket buffer holds (4 MiB on Linux
    loopback) and then skips what was actually sent. The stock buffer re-reads the file
    for every such attempt; this one reads each block once and hands out views of it.
    Other WSGI servers simply iterate it.
    """

    def __init__(self, file: BinaryIO, length: int) -> None:
        super().__init__(file, _BLOCK)
        self.remain = length
        self._block = b""
        self._offset = 0

    def prepare(self, size: int | None = None) -> int:
        if size is not None:
            self.remain = min(self.remain, size)
        return int(self.remain)

    def get(self, numbytes: int = -1, skip: bool = False) -> memoryview | bytes:
        available = len(self._block) - self._offset
        if not available and self.remain:
            self._block = self.file.read(min(_BLOCK, self.remain))
            self._offset = 0
            available = len(self._block)
            if not available:
                raise OSError("file shorter than announced")
        if numbytes < 0 or numbytes > available:
            numbytes = available
        view = memoryview(self._block)[self._offset : self._offset + numbytes]
        if skip:
            self.skip(numbytes)
        return view

    def skip(self, numbytes: int, allow_prune: int = 0) -> None:
        if numbytes > self.remain:
            raise ValueError(f"cannot skip {numbytes} bytes of {self.remain}")
        self._offset += numbytes
        self.remain -= numbytes

    def __next__(self) -> bytes:
        if not self.remain:
            raise StopIteration
        chunk = bytes(self.get(self.block_size, skip=True))
        if not chunk:
            raise StopIteration
        return chunk

    next = __next__
