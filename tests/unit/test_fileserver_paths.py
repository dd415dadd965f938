"""File server units: path cleaning, the local store's safety and atomic writes, ranges."""

from __future__ import annotations

import os
from pathlib import Path

import falcon
import pytest

from stationmaster.fileserver.download import byte_range, content_type
from stationmaster.fileserver.local import LocalStorage
from stationmaster.fileserver.paths import EmptyPath, clean_path
from stationmaster.fileserver.sending import FileSpan
from stationmaster.fileserver.storage import Conflict, InvalidPath, NotFound


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("/proj/t.abc/artifacts/a/a.json", "proj/t.abc/artifacts/a/a.json"),
        ("p/t clone.1/ü.txt", "p/t clone.1/ü.txt"),
        ("a/./b//c/", "a/b/c"),
        ("a..b/..c/c..", "a..b/..c/c.."),
        ("100%.txt", "100%.txt"),
        ("a%2Fb", "a%2Fb"),
        ("dir\\file", "dir\\file"),
    ],
)
def test_clean_path_accepts(raw: str, expected: str) -> None:
    assert clean_path(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "..",
        "/../x",
        "a/../../x",
        "a/b/../../../x",
        "//etc/passwd",
        "%2e%2e/x",
        "%2E%2e%2Fx",
        "%252e%252e/x",
        "%25252e%25252e/x",
        "a/..%2f..%2fx",
        "..\\x",
        "a\\..\\..\\x",
        "%2e%2e%5cx",
        "a\x00b",
        "a%00b",
        "%2500",
        "%2525252525252e",
    ],
)
def test_clean_path_refuses(raw: str) -> None:
    with pytest.raises(InvalidPath):
        clean_path(raw)


@pytest.mark.parametrize("raw", ["", "/", "//", "./", "/./.", "a/.."[:0]])
def test_clean_path_refuses_empty(raw: str) -> None:
    with pytest.raises(EmptyPath):
        clean_path(raw)


@pytest.fixture
def store(tmp_path: Path) -> LocalStorage:
    return LocalStorage(tmp_path / "root")


def _write(store: LocalStorage, path: str, data: bytes) -> None:
    pending = store.create(path)
    pending.write(data)
    pending.commit()


def test_pending_file_is_invisible_until_commit(store: LocalStorage) -> None:
    pending = store.create("a/b/c.bin")
    pending.write(b"half")
    with pytest.raises(NotFound):
        store.stat("a/b/c.bin")
    pending.write(memoryview(b" and the rest"))
    pending.commit()
    handle, info = store.open("a/b/c.bin")
    with handle:
        assert handle.read() == b"half and the rest"
    assert info.size == 17
    assert os.listdir(Path(store.root) / "a" / "b") == ["c.bin"]


def test_discard_leaves_nothing_and_keeps_the_old_version(store: LocalStorage) -> None:
    _write(store, "x.txt", b"old")
    pending = store.create("x.txt")
    pending.write(b"new but abandoned")
    pending.discard()
    pending.discard()
    assert store.open("x.txt")[0].read() == b"old"
    assert os.listdir(store.root) == ["x.txt"]


def test_etag_changes_on_replace(store: LocalStorage) -> None:
    _write(store, "e.txt", b"one")
    first = store.stat("e.txt").etag
    _write(store, "e.txt", b"two")
    assert store.stat("e.txt").etag != first


def test_symlinks_out_of_the_root_are_refused(store: LocalStorage, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret").write_text("s")
    root = Path(store.root)
    (root / "out").symlink_to(outside)
    (root / "file").symlink_to(outside / "secret")
    (root / "inside").mkdir()
    (root / "in").symlink_to(root / "inside")
    for path in ("out/secret", "file", "out/new/deeper.txt"):
        with pytest.raises(InvalidPath):
            store.stat(path)
        with pytest.raises(InvalidPath):
            store.create(path)
        with pytest.raises(InvalidPath):
            store.delete(path)
    assert not (outside / "new").exists()
    _write(store, "in/ok.txt", b"ok")
    assert (root / "inside" / "ok.txt").read_bytes() == b"ok"


def test_folders_and_conflicts(store: LocalStorage) -> None:
    _write(store, "d/f.txt", b"f")
    with pytest.raises(NotFound):
        store.stat("d")
    with pytest.raises(NotFound):
        store.open("d")
    with pytest.raises(NotFound):
        store.delete("d")
    with pytest.raises(Conflict):
        store.create("d")
    with pytest.raises(Conflict):
        store.create("d/f.txt/child")
    store.delete("d", folders=True)
    assert not (Path(store.root) / "d").exists()
    with pytest.raises(NotFound):
        store.delete("d/f.txt")


def test_name_too_long_is_invalid(store: LocalStorage) -> None:
    with pytest.raises(InvalidPath):
        store.create("x" * 300)


@pytest.mark.parametrize(
    ("header", "size", "expected"),
    [
        (None, 10, None),
        ("bytes=0-0", 10, (0, 0)),
        ("bytes=2-", 10, (2, 9)),
        ("bytes=-3", 10, (7, 9)),
        ("bytes=-30", 10, (0, 9)),
        ("bytes=5-100", 10, (5, 9)),
        (" bytes = 1 - 2 ", 10, (1, 2)),
        ("bytes=0-1,3-4", 10, None),
        ("bytes=3-1", 10, None),
        ("bytes=-", 10, None),
        ("bytes=a-1", 10, None),
        ("lines=0-1", 10, None),
    ],
)
def test_byte_range(header: str | None, size: int, expected: tuple[int, int] | None) -> None:
    assert byte_range(header, size) == expected


@pytest.mark.parametrize(
    ("header", "size"), [("bytes=10-", 10), ("bytes=10-20", 10), ("bytes=-0", 10), ("bytes=-1", 0)]
)
def test_unsatisfiable_range(header: str, size: int) -> None:
    with pytest.raises(falcon.HTTPRangeNotSatisfiable):
        byte_range(header, size)


def test_content_type() -> None:
    assert content_type("a/b.json") == "application/json"
    assert content_type("a/b.png") == "image/png"
    assert content_type("a/b.csv.gz") == "application/octet-stream"
    assert content_type("a/noext") == "application/octet-stream"


def test_path_too_long_is_invalid(store: LocalStorage) -> None:
    with pytest.raises(InvalidPath):
        store.create("/".join(["d" * 200] * 25))
    with pytest.raises(InvalidPath):
        store.stat("é" * 200)


def test_file_span_reads_its_span_once(tmp_path: Path) -> None:
    data = os.urandom(3 * (1 << 20) + 17)
    path = tmp_path / "f.bin"
    path.write_bytes(data)
    with open(path, "rb") as handle:
        handle.seek(5)
        span = FileSpan(handle, len(data) - 10)
        sent = bytearray()
        step = 0
        while chunk := span.read(100_000 + step):
            assert len(chunk) <= 100_000 + step
            sent += chunk
            step += 7919
        assert bytes(sent) == data[5:-5]
        assert span.read(10) == b""
    with open(path, "rb") as handle:
        handle.seek(7)
        span = FileSpan(handle, 1000)
        assert span.sendfile_span() == (handle, 7, 1000)
        assert span.read() == b""  # handed over whole: nothing left to read
    with open(path, "rb") as handle:
        span = FileSpan(handle, len(data) + 1)
        assert span.read() == data
        with pytest.raises(OSError, match="shorter"):
            span.read()
