"""A file over 1 GiB through the file server: streamed both ways, byte for byte, with
the server's resident memory sampled the whole time."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from support.client import ApiClient
from support.files import Part, free_port, get_stream, rss_kib, upload, write_pattern
from support.server import ServerProcess

SIZE = (1 << 30) + 12345
RSS_LIMIT_KIB = 200 * 1024
_BLOCK = 1 << 20


class RssSampler:
    """Samples a process's VmRSS every 20 ms in a thread; ``peak`` is the largest."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak = 0
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, rss_kib(self.pid))
            self.samples += 1
            self._stop.wait(0.02)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(5)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ServerProcess, str]]:
    data = tmp_path_factory.mktemp("fileserver-large") / "data"
    with ServerProcess(data, files_port=free_port()) as proc:
        key, secret = proc.admin_credentials()
        token = ApiClient(proc.url, key=key, secret=secret).login().token
        assert token
        yield proc, token


@pytest.fixture
def big_file(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "big.bin"
    write_pattern(path, SIZE, seed=b"bigfile")
    try:
        yield path
    finally:
        path.unlink(missing_ok=True)


def _download_and_compare(base_url: str, path: str, token: str, source: Path) -> int:
    """GET the file and compare it block by block with ``source``; returns the size."""
    with get_stream(base_url, path, token) as resp:
        assert resp.status == 200
        assert int(resp.headers["Content-Length"]) == SIZE
        total = 0
        with open(source, "rb") as expected:
            while block := resp.read(_BLOCK):
                assert block == expected.read(len(block)), f"content differs in the block at {total}"
                total += len(block)
            assert expected.read(1) == b""
        return total


@pytest.mark.timeout(600)
def test_file_over_1_gib_round_trip_with_bounded_memory(served: tuple[ServerProcess, str], big_file: Path) -> None:
    proc, token = served
    assert proc.proc is not None
    stored = proc.data_dir / "files" / "large" / "big file.bin"
    try:
        with RssSampler(proc.proc.pid) as rss:
            reply = upload(proc.files_url, [Part("/large/big file.bin", big_file)], token, timeout=300)
            assert reply.status == 200, reply.body
            assert reply.json() == ["large/big file.bin"]
            assert stored.stat().st_size == SIZE
            assert _download_and_compare(proc.files_url, "large/big%20file.bin", token, big_file) == SIZE
            ranged = requests.get(
                proc.files_url + "/large/big%20file.bin",
                headers={"Authorization": f"Bearer {token}", "Range": f"bytes={SIZE - 100}-"},
                timeout=60,
            )
            with open(big_file, "rb") as handle:
                handle.seek(SIZE - 100)
                assert ranged.content == handle.read()
        print(f"server RSS peak {rss.peak // 1024} MiB over {rss.samples} samples")
        assert rss.samples > 10
        assert rss.peak < RSS_LIMIT_KIB, f"server RSS reached {rss.peak // 1024} MiB"
        # no temporary file is left beside the stored one
        assert [p.name for p in stored.parent.iterdir()] == ["big file.bin"]
    finally:
        requests.delete(
            proc.files_url + "/large/big%20file.bin", headers={"Authorization": f"Bearer {token}"}, timeout=60
        )
        stored.unlink(missing_ok=True)
    assert not stored.exists()
