"""Files on a local disk under one root folder."""

from __future__ import annotations

import errno
import os
import secrets
import shutil
import stat as statmod
from typing import BinaryIO

from .storage import Conflict, FileInfo, InvalidPath, NotFound, PendingFile, Storage

# Temporary files sit beside their target (so the final rename stays on one file
# system) under a name no client path produces: clean_path keeps no leading "./".
_TEMP_PREFIX = ".~upload-"
_NAME_MAX = 255
# Below Linux's PATH_MAX (4096), leaving room for the temporary name.
_PATH_MAX = 4000


class LocalStorage(Storage):
    def __init__(self, root: str | os.PathLike[str]) -> None:
        os.makedirs(root, exist_ok=True)
        self.root = os.path.realpath(root)

    def resolve(self, path: str) -> str:
        """The absolute location of ``path``; ``InvalidPath`` when symbolic links lead
        it (or a parent) out of the root, or a name is longer than the file system allows."""
        if any(len(os.fsencode(part)) > _NAME_MAX for part in path.split("/")):
            raise InvalidPath(f"a name in the path is longer than {_NAME_MAX} bytes")
        full = os.path.realpath(os.path.join(self.root, path))
        if len(os.fsencode(full)) > _PATH_MAX:
            raise InvalidPath(f"the path is longer than {_PATH_MAX} bytes")
        if full != self.root and not full.startswith(self.root + os.sep):
            raise InvalidPath(f"path leads outside the storage root: {path!r}")
        if full == self.root:
            raise InvalidPath("path names the storage root")
        return full

    def stat(self, path: str) -> FileInfo:
        return _info(self._stat_file(self.resolve(path), path))

    def open(self, path: str) -> tuple[BinaryIO, FileInfo]:
        full = self.resolve(path)
        try:
            handle = open(full, "rb")  # the caller streams and closes it
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            raise NotFound(f"file not found: {path}") from None
        st = os.fstat(handle.fileno())
        if not statmod.S_ISREG(st.st_mode):
            handle.close()
            raise NotFound(f"file not found: {path}")
        return handle, _info(st)

    def create(self, path: str) -> PendingFile:
        full = self.resolve(path)
        parent = os.path.dirname(full)
        try:
            os.makedirs(parent, exist_ok=True)
        except (FileExistsError, NotADirectoryError):
            raise Conflict(f"a parent of {path!r} is a file") from None
        if os.path.isdir(full):
            raise Conflict(f"{path!r} is a folder")
        # The parents may now exist; check again that none is a link leading out.
        self.resolve(path)
        return _LocalPendingFile(full, path)

    def delete(self, path: str, *, folders: bool = False) -> None:
        full = self.resolve(path)
        try:
            st = os.lstat(full)
        except (FileNotFoundError, NotADirectoryError):
            raise NotFound(f"not found: {path}") from None
        if statmod.S_ISDIR(st.st_mode):
            if not folders:
                raise NotFound(f"not a file: {path}")
            shutil.rmtree(full)
            return
        os.unlink(full)

    def _stat_file(self, full: str, path: str) -> os.stat_result:
        try:
            st = os.stat(full)
        except (FileNotFoundError, NotADirectoryError):
            raise NotFound(f"file not found: {path}") from None
        if not statmod.S_ISREG(st.st_mode):
            raise NotFound(f"file not found: {path}")
        return st


def _info(st: os.stat_result) -> FileInfo:
    return FileInfo(size=st.st_size, mtime=st.st_mtime, etag=f'"{st.st_mtime_ns:x}-{st.st_size:x}-{st.st_ino:x}"')


class _LocalPendingFile(PendingFile):
    def __init__(self, full: str, path: str) -> None:
        self._full = full
        self._path = path
        self._temp = os.path.join(os.path.dirname(full), f"{_TEMP_PREFIX}{secrets.token_hex(8)}")
        try:
            self._fd: int | None = os.open(self._temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except OSError as ex:
            if ex.errno == errno.ENAMETOOLONG:
                raise InvalidPath(f"name too long: {path!r}") from None
            raise

    def write(self, data: bytes | memoryview) -> None:
        assert self._fd is not None, "write after commit or discard"
        view = memoryview(data)
        while view:
            written = os.write(self._fd, view)
            view = view[written:]

    def commit(self) -> None:
        assert self._fd is not None, "commit after commit or discard"
        os.close(self._fd)
        self._fd = None
        try:
            os.replace(self._temp, self._full)
        except IsADirectoryError:
            os.unlink(self._temp)
            raise Conflict(f"{self._path!r} is a folder") from None
        except OSError as ex:
            os.unlink(self._temp)
            if ex.errno == errno.ENAMETOOLONG:
                raise InvalidPath(f"name too long: {self._path!r}") from None
            raise

    def discard(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
            try:
                os.unlink(self._temp)
            except FileNotFoundError:
                pass
