"""The storage contract of the file server. Paths are relative, ``/``-separated and
already cleaned by ``paths.clean_path``."""

from __future__ import annotations

import abc
from dataclasses import dataclass
from typing import BinaryIO


class StorageError(Exception):
    """Base of the errors a store raises; the message is safe to show to clients."""


class InvalidPath(StorageError):
    """The path is malformed or escapes the storage root (400)."""


class NotFound(StorageError):
    """No file (or folder) at the path (404)."""


class Conflict(StorageError):
    """The path cannot hold a file, e.g. a parent is a file (409)."""


@dataclass(frozen=True)
class FileInfo:
    size: int
    mtime: float
    # Changes whenever the content is replaced (quoted, as an ETag header wants it).
    etag: str


class PendingFile(abc.ABC):
    """A file being written; readers see nothing until ``commit``."""

    @abc.abstractmethod
    def write(self, data: bytes | memoryview) -> None: ...

    @abc.abstractmethod
    def commit(self) -> None:
        """Make the complete file visible at its path, replacing any older one."""

    @abc.abstractmethod
    def discard(self) -> None:
        """Drop what was written (safe to call after ``commit`` or twice)."""


class Storage(abc.ABC):
    @abc.abstractmethod
    def stat(self, path: str) -> FileInfo:
        """Information about the file at ``path``; ``NotFound`` for folders too."""

    @abc.abstractmethod
    def open(self, path: str) -> tuple[BinaryIO, FileInfo]:
        """The file opened for reading (binary, seekable) and its information."""

    @abc.abstractmethod
    def create(self, path: str) -> PendingFile:
        """Start writing a file at ``path`` (parents are created on demand)."""

    @abc.abstractmethod
    def delete(self, path: str, *, folders: bool = False) -> None:
        """Delete the file at ``path``; with ``folders`` a folder and its contents too."""
