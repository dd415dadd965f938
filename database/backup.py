"""Backup and restore of an embedded installation (``stationmaster backup`` / ``restore``).

A backup is one tar archive (zstd-compressed for ``.tar.zst``, gzip for ``.tar.gz``,
plain for ``.tar``) holding

- ``data/…``: every file of the data directory: each SQLite database (the documents,
  the events, the statistics) as a copy made with SQLite's online backup API, the other
  files (``clearml.conf``) as they are; lock files, ``-wal``/``-shm`` files (their content
  is inside the copies) and the regenerable ``cache/`` are left out;
- ``files/…``: the file store (artifacts, models, debug images);
- ``manifest.json`` (last): the format, the server version, and every entry's size and
  SHA-256, which ``restore`` checks before anything appears at the target.

Consistency with a running server: before the first database is copied, a read
transaction is opened on every database, one after the other within milliseconds; each
copy is made inside its transaction, so each database is the state of that instant
whatever the server writes during the backup (WAL readers see a snapshot). The file
store is copied after the databases: the SDK uploads a file before it stores its URL,
so every file a copied document links to is in the archive (files uploaded during the
backup may be there too, unreferenced, which is harmless). Writes the server makes to
two databases in the same millisecond as the snapshot may be split between them; stop
the server for a backup that must be exact to the millisecond.

The archive is written to ``FILE.partial`` and renamed when complete, so a file with the
final name is always a whole backup. A restore extracts into a staging directory beside
the target, verifies every entry against the manifest and every database with
``PRAGMA quick_check``, and only then renames it into place.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import shutil
import sqlite3
import tarfile
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, BinaryIO

FORMAT = 1
MANIFEST = "manifest.json"
DATA = "data"
FILES = "files"
SQLITE_MAGIC = b"SQLite format 3\x00"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
GZIP_MAGIC = b"\x1f\x8b"
SUFFIXES = (".tar.zst", ".tar.gz", ".tgz", ".tar")

# Never part of a backup: locks of the running server, SQLite's side files (their
# content is in the online copy), caches the server rebuilds, the file server's
# uploads in progress.
_SKIP_NAMES = {"server.lock", "init.lock"}
_SKIP_SUFFIXES = ("-wal", "-shm", "-journal", ".partial")
_SKIP_DIRS = {"cache"}
_UPLOAD_TEMP_PREFIX = ".~upload-"


class BackupError(Exception):
    """The backup or restore cannot run (exit code 2): bad paths, a non-empty target."""


class VerifyError(Exception):
    """The archive does not match its manifest, or a database is damaged (exit code 1)."""


@dataclass
class Entry:
    name: str  # the member's name in the archive
    kind: str  # "sqlite" or "file"
    size: int
    sha256: str


@dataclass
class Summary:
    entries: list[Entry] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def databases(self) -> int:
        return sum(1 for e in self.entries if e.kind == "sqlite")

    @property
    def files(self) -> int:
        return sum(1 for e in self.entries if e.kind == "file")

    @property
    def bytes(self) -> int:
        return sum(e.size for e in self.entries)


def _is_sqlite(path: Path) -> bool:
    try:
        with open(path, "rb") as f:
            return f.read(len(SQLITE_MAGIC)) == SQLITE_MAGIC
    except OSError:
        return False


def _skipped(path: Path) -> bool:
    return path.name in _SKIP_NAMES or path.name.endswith(_SKIP_SUFFIXES) or path.name.startswith(_UPLOAD_TEMP_PREFIX)


def _walk(root: Path, exclude: Path | None = None) -> Iterator[Path]:
    """Regular files under ``root`` in a stable order, without what a backup skips."""
    for dirpath, dirnames, filenames in os.walk(root):
        here = Path(dirpath)
        dirnames[:] = sorted(
            d
            for d in dirnames
            if not (here == root and d in _SKIP_DIRS) and (exclude is None or (here / d).resolve() != exclude)
        )
        for name in sorted(filenames):
            path = here / name
            if not _skipped(path) and path.is_file() and not path.is_symlink():
                yield path


def _open_writer(target: Path) -> tuple[BinaryIO, Any]:
    """The archive's raw file and the compressing stream over it (by the target's suffix)."""
    raw = open(target, "xb")
    os.chmod(target, 0o600)  # the archive holds credentials and all the data
    name = target.name.removesuffix(".partial")
    if name.endswith(".tar.zst"):
        import zstandard

        return raw, zstandard.ZstdCompressor(level=3, threads=-1).stream_writer(raw, closefd=False)
    return raw, None


def _open_tar(stream: Any, target: Path) -> tarfile.TarFile:
    if target.name.removesuffix(".partial").endswith((".tar.gz", ".tgz")):
        return tarfile.open(fileobj=stream, mode="w|gz", format=tarfile.PAX_FORMAT)
    return tarfile.open(fileobj=stream, mode="w|", format=tarfile.PAX_FORMAT)


class _HashingReader(io.RawIOBase):
    """Reads a file for tarfile and hashes exactly the bytes the archive gets."""

    def __init__(self, f: BinaryIO) -> None:
        self._f = f
        self.digest = hashlib.sha256()

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        data = self._f.read(size)
        self.digest.update(data)
        return data


def _add(tar: tarfile.TarFile, source: Path, name: str, kind: str) -> Entry:
    with open(source, "rb") as f:
        st = os.fstat(f.fileno())
        info = tarfile.TarInfo(name)
        info.size = st.st_size
        info.mtime = int(st.st_mtime)
        info.mode = st.st_mode & 0o777
        reader = _HashingReader(f)
        tar.addfile(info, reader)
    return Entry(name, kind, info.size, reader.digest.hexdigest())


@contextlib.contextmanager
def _snapshots(databases: list[Path]) -> Iterator[list[sqlite3.Connection]]:
    """A read transaction open on every database (opened one right after the other)."""
    conns: list[sqlite3.Connection] = []
    try:
        for path in databases:
            conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, isolation_level=None, timeout=30)
            conns.append(conn)
        for conn in conns:
            conn.execute("BEGIN")
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        yield conns
    finally:
        for conn in conns:
            with contextlib.suppress(sqlite3.Error):
                conn.execute("ROLLBACK")
            conn.close()


def create_backup(data_dir: Path, target: Path, files_root: Path | None, out: IO[str]) -> Summary:
    """Write a backup of ``data_dir`` (and the file store at ``files_root``) to ``target``."""
    started = time.monotonic()
    data_dir = data_dir.resolve()
    if not (data_dir / "documents").is_dir():
        raise BackupError(f"{data_dir} is not a data directory of an embedded installation (no documents/)")
    if not target.name.endswith(SUFFIXES):
        raise BackupError(f"the backup file must end with one of {', '.join(SUFFIXES)}: {target}")
    if target.exists():
        raise BackupError(f"{target} exists; give a new file name")
    if not target.parent.is_dir():
        raise BackupError(f"no such directory: {target.parent}")
    files_root = files_root.resolve() if files_root and files_root.is_dir() else None
    inside = files_root is not None and data_dir in files_root.parents
    paths = list(_walk(data_dir, exclude=files_root if inside else None))
    databases = [p for p in paths if _is_sqlite(p)]
    copied = set(databases)
    others = [p for p in paths if p not in copied]
    partial = target.with_name(target.name + ".partial")
    summary = Summary()
    staging = Path(tempfile.mkdtemp(prefix=".sm-backup-", dir=target.parent))
    raw, compressor = _open_writer(partial)
    try:
        with _open_tar(compressor or raw, partial) as tar:
            with _snapshots(databases) as conns:
                for path, conn in zip(databases, conns, strict=True):
                    copy = staging / "db"
                    dest = sqlite3.connect(copy)
                    try:
                        conn.backup(dest)
                        # one self-contained file (the server turns WAL on again when it opens it)
                        dest.execute("PRAGMA journal_mode=DELETE").fetchone()
                    finally:
                        dest.close()
                    name = f"{DATA}/{path.relative_to(data_dir).as_posix()}"
                    summary.entries.append(_add(tar, copy, name, "sqlite"))
                    copy.unlink()
                    print(f"  {name}", file=out)
            for path in others:
                summary.entries.append(_add(tar, path, f"{DATA}/{path.relative_to(data_dir).as_posix()}", "file"))
            if files_root is not None:
                count = 0
                for path in _walk(files_root):
                    summary.entries.append(
                        _add(tar, path, f"{FILES}/{path.relative_to(files_root).as_posix()}", "file")
                    )
                    count += 1
                print(f"  {FILES}/: {count} files", file=out)
            summary.seconds = time.monotonic() - started
            manifest = json.dumps(
                {
                    "format": FORMAT,
                    "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                    "server_version": _server_version(),
                    "entries": [e.__dict__ for e in summary.entries],
                },
                indent=1,
            ).encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size = len(manifest)
            info.mtime = int(time.time())
            info.mode = 0o600
            tar.addfile(info, io.BytesIO(manifest))
        if compressor is not None:
            compressor.close()
        raw.flush()
        os.fsync(raw.fileno())
        raw.close()
        os.replace(partial, target)
    except BaseException:
        raw.close()
        partial.unlink(missing_ok=True)
        raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return summary


def _server_version() -> str:
    from ..version import __version__

    return __version__


def _open_reader(source: Path) -> tuple[BinaryIO, Any]:
    raw = open(source, "rb")
    magic = raw.read(4)
    raw.seek(0)
    if magic == ZSTD_MAGIC:
        import zstandard

        return raw, zstandard.ZstdDecompressor().stream_reader(raw, closefd=False)
    return raw, None


def _empty_or_missing(path: Path) -> bool:
    return not path.exists() or (path.is_dir() and not any(path.iterdir()))


def restore_backup(source: Path, data_dir: Path, files_root: Path | None, out: IO[str]) -> Summary:
    """Restore the backup ``source`` into the empty (or new) ``data_dir``; the file store
    goes to ``files_root`` (default ``data_dir/files``)."""
    started = time.monotonic()
    if not source.is_file():
        raise BackupError(f"no such backup file: {source}")
    data_dir = data_dir.resolve()
    files_root = (files_root or data_dir / FILES).resolve()
    for path in (data_dir, files_root):
        if not _empty_or_missing(path):
            raise BackupError(f"{path} is not empty; restore into a new or empty directory")
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{data_dir.name}.restore-", dir=data_dir.parent))
    try:
        manifest = _extract(source, staging)
        summary = _verify(staging, manifest)
        # into place: the data directory first, then the file store inside or beside it
        if data_dir.exists():
            data_dir.rmdir()
        (staging / DATA).mkdir(exist_ok=True)
        os.replace(staging / DATA, data_dir)
        if (staging / FILES).is_dir():
            files_root.parent.mkdir(parents=True, exist_ok=True)
            if files_root.exists():
                files_root.rmdir()
            shutil.move(str(staging / FILES), str(files_root))
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    summary.seconds = time.monotonic() - started
    print(f"  {summary.databases} databases, {summary.files} files verified", file=out)
    return summary


def _read_errors() -> tuple[type[Exception], ...]:
    import zstandard

    # ValueError: a manifest that is not JSON
    return tarfile.TarError, EOFError, OSError, ValueError, zstandard.ZstdError


def _extract(source: Path, staging: Path) -> dict[str, Any]:
    raw, decompressor = _open_reader(source)
    manifest: dict[str, Any] | None = None
    try:
        with tarfile.open(fileobj=decompressor or raw, mode="r|*") as tar:
            for member in tar:
                if member.name == MANIFEST and member.isfile():
                    f = tar.extractfile(member)
                    assert f is not None
                    manifest = json.loads(f.read())
                    continue
                top = member.name.split("/", 1)[0]
                if top not in (DATA, FILES) or not member.isfile():
                    raise VerifyError(f"unexpected member in the backup: {member.name!r}")
                try:
                    tar.extract(member, staging, filter="data")
                except tarfile.FilterError as ex:
                    raise VerifyError(f"refused member {member.name!r}: {ex}") from ex
    except _read_errors() as ex:
        raise VerifyError(f"{source} is not a readable backup: {ex}") from ex
    finally:
        if decompressor is not None:
            decompressor.close()
        raw.close()
    if manifest is None:
        raise VerifyError(f"{source} has no {MANIFEST}: not a complete backup")
    if manifest.get("format") != FORMAT:
        raise VerifyError(f"unknown backup format {manifest.get('format')!r} (this version reads {FORMAT})")
    return manifest


def _verify(staging: Path, manifest: dict[str, Any]) -> Summary:
    summary = Summary()
    entries = [Entry(**item) for item in manifest.get("entries", [])]
    extra = {p.relative_to(staging).as_posix() for p in staging.rglob("*") if p.is_file()} - {e.name for e in entries}
    if extra:
        raise VerifyError(f"not in the manifest: {sorted(extra)[:5]}")
    for entry in entries:
        path = staging / entry.name
        if not path.is_file():
            raise VerifyError(f"{entry.name}: listed in the manifest, missing from the archive")
        digest = hashlib.sha256()
        with open(path, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                digest.update(chunk)
        if path.stat().st_size != entry.size or digest.hexdigest() != entry.sha256:
            raise VerifyError(f"{entry.name}: size or SHA-256 differs from the manifest (damaged archive)")
        if entry.kind == "sqlite":
            conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
            try:
                result = conn.execute("PRAGMA quick_check").fetchone()
            except sqlite3.DatabaseError as ex:
                raise VerifyError(f"{entry.name}: not a sound SQLite database: {ex}") from ex
            finally:
                conn.close()
            if result != ("ok",):
                raise VerifyError(f"{entry.name}: SQLite quick_check: {result}")
        summary.entries.append(entry)
    return summary
