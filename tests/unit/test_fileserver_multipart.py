"""The streaming multipart reader of uploads: structure, edge cases across reads."""

from __future__ import annotations

import io
import os
import random

import pytest

from stationmaster.fileserver.multipart import MultipartError, MultipartReader

CT = "multipart/form-data; boundary=bnd"


class Trickle:
    """A stream whose readinto returns few bytes at a time (sizes vary), so every
    boundary and header is split across reads somewhere."""

    def __init__(self, data: bytes, seed: int = 1) -> None:
        self._data = io.BytesIO(data)
        self._random = random.Random(seed)

    def readinto(self, view: memoryview) -> int:
        return self._data.readinto(view[: self._random.randint(1, 9)])


def _body(*parts: tuple[str, bytes], filename: bool = True, closing: bytes = b"--\r\n") -> bytes:
    out = b"preamble to skip\r\n"
    for name, content in parts:
        disposition = f'form-data; name="{name}"' + ('; filename="f"' if filename else "")
        out += f"--bnd\r\nContent-Disposition: {disposition}\r\n\r\n".encode() + content + b"\r\n"
    return out + b"--bnd" + closing


def _read_all(stream: object, **kw: int) -> list[tuple[str | None, str | None, bytes]]:
    found = []
    for part in MultipartReader(stream, CT, **kw):
        sink = bytearray()
        part.pipe(sink.extend)
        found.append((part.name, part.filename, bytes(sink)))
    return found


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_parts_survive_reads_split_anywhere(seed: int) -> None:
    tricky = b"\r\n--bn\r\n--bn-d\r\n-bnd" + os.urandom(300) + b"\r\n-"
    body = _body(("a/x.bin", tricky), ("b.txt", b""), ("c", b"--bnd"))
    assert _read_all(Trickle(body, seed)) == [("a/x.bin", "f", tricky), ("b.txt", "f", b""), ("c", "f", b"--bnd")]


def test_large_part_over_several_buffers_and_read_fallback() -> None:
    content = os.urandom(3 * (1 << 20) + 11)
    body = _body(("big", content), closing=b"--")  # closing delimiter without CRLF

    class ReadOnly:  # a WSGI input with read() only
        def __init__(self) -> None:
            self._data = io.BytesIO(body)

        def read(self, size: int) -> bytes:
            return self._data.read(size)

    assert _read_all(ReadOnly()) == [("big", "f", content)]


def test_unread_parts_are_skipped_and_plain_fields_have_no_filename() -> None:
    body = _body(("field", b"value"), ("other", b"x"), filename=False)
    parts = [(part.name, part.filename) for part in MultipartReader(io.BytesIO(body), CT)]
    assert parts == [("field", None), ("other", None)]


def test_rfc5987_filename_and_utf8_names() -> None:
    body = (
        "--bnd\r\nContent-Disposition: form-data; name=\"é x/ü.txt\"; filename*=utf-8''r%C3%A9s.txt\r\n\r\n"
        "data\r\n--bnd--\r\n"
    ).encode()
    assert _read_all(io.BytesIO(body)) == [("é x/ü.txt", "rés.txt", b"data")]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"no boundary at all", "no multipart boundary"),
        (b"--bnd\r\nContent-Disposition: form-data; name=a\r\n\r\ncut short", "not terminated"),
        (b"--bnd\r\nContent-Disposition: form-data; name=a", "incomplete body part headers"),
        (b"--bnd\r\nX: " + b"y" * 10000 + b"\r\n\r\nz\r\n--bnd--", "incomplete body part headers"),
        (b'--bnd\r\nContent-Disposition: form-data; name="\xff"\r\n\r\nz\r\n--bnd--', "not UTF-8"),
    ],
)
def test_malformed_bodies(body: bytes, message: str) -> None:
    with pytest.raises(MultipartError, match=message):
        _read_all(io.BytesIO(body))


def test_part_count_limit_and_boundary_checks() -> None:
    body = _body(*[(f"p{i}", b"x") for i in range(4)])
    assert len(_read_all(io.BytesIO(body), max_parts=4)) == 4
    with pytest.raises(MultipartError, match="more than 3 parts"):
        _read_all(io.BytesIO(body), max_parts=3)
    for content_type in ("multipart/form-data", "multipart/form-data; boundary=" + "b" * 71):
        with pytest.raises(MultipartError, match="boundary"):
            MultipartReader(io.BytesIO(body), content_type)
