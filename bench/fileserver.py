"""File server benchmark: upload and download throughput against a plain disk copy.

    .venv/bin/python bench/fileserver.py [--size-mb 1024] [--runs 3] [--client python|curl] [--block-kib 1024]

Starts ``stationmaster serve`` with its file server on a free loopback port (token
authentication on, as deployed) and, for ``--runs`` runs each, measures:

- disk copy: ``shutil.copyfile`` of the source file to a new file in the same folder;
- upload: ``POST /`` of the file as one multipart part with a Content-Length, streamed
  from disk in 1 MiB blocks (as the SDK's MultipartEncoder sends it), until the server
  answers, i.e. the file is complete at its place;
- download: ``GET`` of the stored file, read into a reused buffer of ``--block-kib``
  (default 1024) and written to a local file.

Before each timed step the page cache is written back (``sync``), so no step pays for
the writes of the one before.

``--client curl`` drives the same requests with curl instead of Python's http.client.
Prints the median MB/s (MB = 10^6 bytes) of each, upload and download as a share of the
disk-copy speed (target: at least 50%), and the CPU seconds per GiB the server and the
client (or the copy) spent: on a shared, loaded machine the wall-clock ratio mostly
reflects how much CPU each path needs, so the CPU figures are the steadier ones.
Every file made is removed at the end.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from support.client import ApiClient  # noqa: E402
from support.files import Part, free_port, get_stream, rss_kib, upload, write_pattern  # noqa: E402
from support.server import ServerProcess  # noqa: E402

_BLOCK = 1 << 20


def python_upload(base_url: str, source: Path, token: str) -> None:
    reply = upload(base_url, [Part("/bench/source.bin", source)], token, timeout=600)
    assert reply.status == 200, reply.body


def python_download(base_url: str, token: str, target: Path, block: int = _BLOCK) -> None:
    with get_stream(base_url, "bench/source.bin", token) as resp:
        assert resp.status == 200, resp.status
        total = 0
        buffer = bytearray(block)
        view = memoryview(buffer)
        with open(target, "wb") as out:
            while n := resp.readinto(buffer):
                out.write(view[:n])
                total += n


def curl_upload(base_url: str, source: Path, token: str) -> None:
    # curl sends the file as one part with a Content-Length, like the SDK
    out = subprocess.run(
        ["curl", "-sS", "-H", f"Authorization: Bearer {token}", "-F", f"/bench/source.bin=@{source}", base_url + "/"],
        check=True,
        capture_output=True,
    )
    assert out.stdout == b'["bench/source.bin"]', out.stdout


def curl_download(base_url: str, token: str, target: Path, block: int = _BLOCK) -> None:
    headers = ["-H", f"Authorization: Bearer {token}"]
    subprocess.run(["curl", "-sSf", *headers, "-o", str(target), base_url + "/bench/source.bin"], check=True)


CLIENTS = {"python": (python_upload, python_download), "curl": (curl_upload, curl_download)}


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _own_cpu() -> float:
    """CPU time of this process and of its finished children (curl)."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


class Timer:
    """Wall time of actions, and the CPU time the server and this process (the client,
    or the copy) spent during them."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.wall: dict[str, list[float]] = {}
        self.cpu: dict[str, list[float]] = {}
        self.own_cpu: dict[str, list[float]] = {}

    def __call__(self, name: str, action: Callable[[], object]) -> float:
        # Write back what earlier steps left dirty, so no step pays for another's writes.
        os.sync()
        cpu, own = cpu_seconds(self.pid), _own_cpu()
        started = time.perf_counter()
        action()
        elapsed = time.perf_counter() - started
        self.wall.setdefault(name, []).append(elapsed)
        self.cpu.setdefault(name, []).append(cpu_seconds(self.pid) - cpu)
        self.own_cpu.setdefault(name, []).append(_own_cpu() - own)
        return elapsed


def run(size_mb: int, runs: int, client: str, block: int) -> None:
    send, fetch = CLIENTS[client]
    size = size_mb * _BLOCK
    with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_DIR")) as tmp:
        work = Path(tmp)
        source = work / "source.bin"
        write_pattern(source, size)
        with ServerProcess(work / "data", files_port=free_port()) as proc:
            key, secret = proc.admin_credentials()
            token = ApiClient(proc.url, key=key, secret=secret).login().token
            assert token and proc.proc
            stored = work / "data" / "files" / "bench" / "source.bin"
            timer, peak = Timer(proc.proc.pid), 0
            for index in range(runs):
                copy = timer("copy", lambda: shutil.copyfile(source, work / "copy.bin"))
                (work / "copy.bin").unlink()
                up = timer("up", lambda: send(proc.files_url, source, token))
                assert stored.stat().st_size == size
                peak = max(peak, rss_kib(proc.proc.pid))
                down = timer("down", lambda: fetch(proc.files_url, token, work / "down.bin", block))
                assert (work / "down.bin").stat().st_size == size
                (work / "down.bin").unlink()
                stored.unlink()
                print(
                    f"run {index + 1}: copy {size / copy / 1e6:.0f} MB/s, "
                    f"upload {size / up / 1e6:.0f} MB/s, download {size / down / 1e6:.0f} MB/s",
                    flush=True,
                )
    print(f"\nclient: {client}" + (f", download blocks of {block >> 10} KiB" if client == "python" else ""), end="")
    report(timer, size, size_mb, runs, peak)


def report(timer: Timer, size: int, size_mb: int, runs: int, peak_kib: int) -> None:
    rate = {name: size / statistics.median(times) / 1e6 for name, times in timer.wall.items()}
    gib = size / (1 << 30)
    cpu = {name: statistics.median(times) / gib for name, times in timer.cpu.items()}
    own = {name: statistics.median(times) / gib for name, times in timer.own_cpu.items()}
    load = os.getloadavg()[0]
    print(f"; file of {size_mb} MiB, median of {runs} runs; load average {load:.1f} on {os.cpu_count()} CPUs")
    print(f"server RSS after the uploads: {peak_kib / 1024:.0f} MiB")
    print(f"  disk copy (shutil.copyfile)  {rate['copy']:8.0f} MB/s                    CPU {own['copy']:.2f} s/GiB")
    for name, label in (("up", "upload   (POST multipart)"), ("down", "download (GET)           ")):
        print(
            f"  {label}    {rate[name]:8.0f} MB/s   {rate[name] / rate['copy']:5.0%} of disk copy"
            f"   server CPU {cpu[name]:.2f} s/GiB, client CPU {own[name]:.2f} s/GiB"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size-mb", type=int, default=1024, help="file size in MiB (default 1024)")
    parser.add_argument("--runs", type=int, default=3, help="runs per measurement (default 3)")
    parser.add_argument(
        "--client",
        choices=sorted(CLIENTS),
        default="python",
        help="HTTP client: python (http.client, 1 MiB blocks; default) or curl",
    )
    parser.add_argument(
        "--block-kib", type=int, default=1024, help="read size of the python client's download (default 1024)"
    )
    args = parser.parse_args()
    run(args.size_mb, args.runs, args.client, args.block_kib << 10)


if __name__ == "__main__":
    main()
