"""File server benchmark: upload and download throughput against a plain disk copy.

    .venv/bin/python bench/fileserver.py [--size-mb 1024] [--runs 3]
        [--client lean,python,curl] [--baseline both|cache|durable] [--block-kib 1024] [--no-warm]

Starts ``stationmaster serve`` with its file server on a free loopback port (token
authentication on, as deployed) and, in each of ``--runs`` runs, measures one after the
other (interleaved, so all variants share the machine's load of the moment):

- disk copy: ``shutil.copyfile`` of the source file to a new file in the same folder
  (on Linux ``copy_file_range``: the kernel copies page-cache pages, no user space);
- for each ``--client``, upload: ``POST /`` of the file as one multipart part with a
  Content-Length, until the server answers, i.e. the file is complete at its place;
  then download: ``GET`` of the stored file, written to a local file.

Clients:

- ``lean`` (the headline): what the server can deliver to a client that costs little.
  Upload: ``http.client`` headers, the file body by ``socket.sendfile``. Download:
  ``http.client`` without a socket timeout, ``readinto`` a reused buffer of
  ``--block-kib`` (default 1024) and unbuffered ``os.write`` to the target.
- ``splice`` (Linux): upload as ``lean``; download moved socket -> pipe -> file by
  ``os.splice``, never entering user space.
- ``python``: the bench's earlier client, ``requests``-like: 1 MiB ``send`` blocks for the
  upload (as the SDK's MultipartEncoder sends), ``http.client`` with a 300 s socket timeout
  (as ``requests`` has when given a timeout) reading ``--block-kib`` into a reused buffer.
- ``curl``: the same requests made by curl (``-F`` upload, ``-o`` download).

Baselines (``--baseline``, default both; every figure is printed under both):

- ``cache``: every step ends when its written file is in the page cache (``sync`` before
  each step, so no step pays for another's write-back). This is the headline: the copy
  needs no user space at all, so it is the strictest baseline, and a ratio against it
  shows the server's cost rather than the disk's.
- ``durable``: the copy, the upload and the download each end with ``fsync`` of the file
  written (the bench fsyncs the stored file after the server's answer): data on disk.
  Ratios here are closer to 1, as the disk's write speed dominates every variant.

Before each timed step a scratch file of the same size is written and deleted (see
``Timer``; ``--no-warm`` skips it), and ``sync`` runs. Every upload and download is
checked byte for byte against the source, outside the timed section. Prints the median
MB/s (MB = 10^6 bytes) of each, upload and download as a share of the disk-copy speed
(target: at least 50%), and the CPU seconds per GiB the server (from ``/proc/<pid>/stat``)
and the client (or the copy) spent: on a shared machine the wall-clock ratio swings with
the load, the CPU figures are steadier; also how many CPUs other processes (and kernel
threads) kept busy during the timed steps, so a disturbed run shows as one. Every file made is removed at the end.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import functools
import http.client
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from support.client import ApiClient
from support.files import Part, free_port, get_stream, rss_kib, upload, write_pattern
from support.server import ServerProcess

_BLOCK = 1 << 20
_STORED = "bench/source.bin"
_F_SETPIPE_SZ = getattr(fcntl, "F_SETPIPE_SZ", 1031)


def python_upload(base_url: str, source: Path, token: str) -> None:
    reply = upload(base_url, [Part("/" + _STORED, source)], token, timeout=600)
    assert reply.status == 200, reply.body


def python_download(base_url: str, token: str, target: Path, block: int = _BLOCK) -> None:
    with get_stream(base_url, _STORED, token) as resp:
        assert resp.status == 200, resp.status
        total = 0
        buffer = bytearray(block)
        view = memoryview(buffer)
        with open(target, "wb") as out:
            while n := resp.readinto(buffer):
                out.write(view[:n])
                total += n


def _connection(base_url: str) -> http.client.HTTPConnection:
    url = urlsplit(base_url)
    return http.client.HTTPConnection(url.hostname or "127.0.0.1", url.port)  # blocking: no socket timeout


def lean_upload(base_url: str, source: Path, token: str) -> None:
    boundary = uuid.uuid4().hex
    head = Part("/" + _STORED, source).head(boundary)
    tail = f"\r\n--{boundary}--\r\n".encode()
    conn = _connection(base_url)
    try:
        conn.putrequest("POST", "/")
        conn.putheader("Content-Type", f"multipart/form-data; boundary={boundary}")
        conn.putheader("Content-Length", str(len(head) + source.stat().st_size + len(tail)))
        conn.putheader("Authorization", f"Bearer {token}")
        conn.endheaders()
        assert conn.sock is not None
        conn.sock.sendall(head)
        with open(source, "rb") as handle:
            conn.sock.sendfile(handle)
        conn.sock.sendall(tail)
        resp = conn.getresponse()
        assert resp.status == 200, resp.read()
        assert resp.read() == f'["{_STORED}"]'.encode()
    finally:
        conn.close()


@contextlib.contextmanager
def _get(base_url: str, token: str) -> Iterator[tuple[http.client.HTTPConnection, http.client.HTTPResponse]]:
    conn = _connection(base_url)
    try:
        conn.request("GET", "/" + _STORED, headers={"Authorization": f"Bearer {token}"})
        resp = conn.getresponse()
        assert resp.status == 200, resp.status
        yield conn, resp
    finally:
        conn.close()


def _write_all(fd: int, data: memoryview) -> None:
    while data:
        data = data[os.write(fd, data) :]


def lean_download(base_url: str, token: str, target: Path, block: int = _BLOCK) -> None:
    buffer = bytearray(block)
    view = memoryview(buffer)
    with _get(base_url, token) as (_, resp), open(target, "wb", buffering=0) as out:
        while n := resp.readinto(buffer):
            _write_all(out.fileno(), view[:n])
        assert resp.length == 0, "response shorter than its Content-Length"


def splice_download(base_url: str, token: str, target: Path, block: int = _BLOCK) -> None:
    with _get(base_url, token) as (conn, resp), open(target, "wb", buffering=0) as out:
        assert conn.sock is not None and resp.length is not None and resp.fp is not None
        # The body bytes http.client already buffered with the headers go first.
        early = resp.fp.read1(len(resp.fp.peek(1)))[: resp.length]
        _write_all(out.fileno(), memoryview(early))
        left = resp.length - len(early)
        pipe_r, pipe_w = os.pipe()
        try:
            with contextlib.suppress(OSError):
                fcntl.fcntl(pipe_w, _F_SETPIPE_SZ, block)
            while left:
                moved = os.splice(conn.sock.fileno(), pipe_w, min(block, left), flags=os.SPLICE_F_MOVE)
                assert moved, "response shorter than its Content-Length"
                left -= moved
                while moved:
                    moved -= os.splice(pipe_r, out.fileno(), moved, flags=os.SPLICE_F_MOVE)
        finally:
            os.close(pipe_r)
            os.close(pipe_w)


def curl_upload(base_url: str, source: Path, token: str) -> None:
    # curl sends the file as one part with a Content-Length, like the SDK
    out = subprocess.run(
        ["curl", "-sS", "-H", f"Authorization: Bearer {token}", "-F", f"/{_STORED}=@{source}", base_url + "/"],
        check=True,
        capture_output=True,
    )
    assert out.stdout == f'["{_STORED}"]'.encode(), out.stdout


def curl_download(base_url: str, token: str, target: Path, block: int = _BLOCK) -> None:
    headers = ["-H", f"Authorization: Bearer {token}"]
    subprocess.run(["curl", "-sSf", *headers, "-o", str(target), f"{base_url}/{_STORED}"], check=True)


Send = Callable[[str, Path, str], None]
Fetch = Callable[[str, str, Path, int], None]
CLIENTS: dict[str, tuple[Send, Fetch]] = {
    "lean": (lean_upload, lean_download),
    "splice": (lean_upload, splice_download),
    "python": (python_upload, python_download),
    "curl": (curl_upload, curl_download),
}


def fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def same_bytes(a: Path, b: Path) -> bool:
    with open(a, "rb") as one, open(b, "rb") as other:
        while True:
            block = one.read(4 * _BLOCK)
            if block != other.read(4 * _BLOCK):
                return False
            if not block:
                return True


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def busy_cpu_seconds() -> float:
    """CPU time all processes of the machine spent so far (not idle, not waiting for I/O)."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = fields[:8]
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def _own_cpu() -> float:
    """CPU time of this process and of its finished children (curl)."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


class Timer:
    """Wall time of actions, and the CPU time the server and this process (the client,
    or the copy) spent during them.

    With ``warm`` (a path), each action is preceded by writing and deleting a scratch file
    of ``size`` bytes there. On this VM a large ``write(2)`` after a few idle seconds often
    costs 4-12x the CPU (1 GiB after 5 s idle: 0.75-2.25 CPU s/GiB, 0.5-1.4 GB/s in 10 of
    13 trials; right after another such write: 0.18 s/GiB, 5-6 GB/s), probably the host
    taking back free guest memory. ``copy_file_range`` (the disk copy) does not pay it, the
    server's upload and a client's download do; warming makes every step start alike.
    """

    def __init__(self, pid: int, warm: Path | None = None, size: int = 0) -> None:
        self.pid = pid
        self.warm = warm
        self.size = size
        self.wall: dict[str, list[float]] = {}
        self.cpu: dict[str, list[float]] = {}
        self.own_cpu: dict[str, list[float]] = {}
        # CPU seconds that other processes (and kernel threads) spent per second of step
        self.others: list[float] = []

    def _warm_up(self) -> None:
        if self.warm is None:
            return
        block = os.urandom(_BLOCK)
        with open(self.warm, "wb", buffering=0) as scratch:
            for offset in range(0, self.size, _BLOCK):
                scratch.write(block[: self.size - offset])
        os.sync()
        self.warm.unlink()

    def __call__(self, name: str, action: Callable[[], object]) -> float:
        self._warm_up()
        # Write back what earlier steps left dirty, so no step pays for another's writes.
        os.sync()
        cpu, own, busy = cpu_seconds(self.pid), _own_cpu(), busy_cpu_seconds()
        started = time.perf_counter()
        action()
        elapsed = time.perf_counter() - started
        cpu, own, busy = cpu_seconds(self.pid) - cpu, _own_cpu() - own, busy_cpu_seconds() - busy
        self.wall.setdefault(name, []).append(elapsed)
        self.cpu.setdefault(name, []).append(cpu)
        self.own_cpu.setdefault(name, []).append(own)
        self.others.append(max(busy - cpu - own, 0.0) / elapsed)
        return elapsed


_MODES = {"cache": (False,), "durable": (True,), "both": (False, True)}


def run(size_mb: int, runs: int, clients: list[str], baseline: str, block: int, warm: bool) -> None:
    size = size_mb * _BLOCK
    loads = [os.getloadavg()[0]]
    with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_DIR")) as tmp:
        work = Path(tmp)
        source, copy, down = work / "source.bin", work / "copy.bin", work / "down.bin"
        write_pattern(source, size)
        with ServerProcess(work / "data", files_port=free_port()) as proc:
            key, secret = proc.admin_credentials()
            token = ApiClient(proc.url, key=key, secret=secret).login().token
            assert token and proc.proc
            stored = work / "data" / "files" / _STORED
            timer, peak = Timer(proc.proc.pid, work / "warm.bin" if warm else None, size), 0

            def step(name: str, durable: bool, action: Callable[[], object], written: Path) -> str:
                def timed() -> None:
                    action()
                    if durable:
                        fsync_file(written)

                elapsed = timer(name + (" durable" if durable else ""), timed)
                assert same_bytes(source, written), f"{name}: the bytes differ from the source"
                return f"{name} {size / elapsed / 1e6:.0f}"

            for index in range(runs):
                figures = []
                for durable in _MODES[baseline]:
                    figures.append(step("copy", durable, lambda: shutil.copyfile(source, copy), copy))
                    copy.unlink()
                    for client in clients:
                        send, fetch = CLIENTS[client]
                        upload_step = functools.partial(send, proc.files_url, source, token)
                        figures.append(step(f"{client} up", durable, upload_step, stored))
                        peak = max(peak, rss_kib(proc.proc.pid))
                        download_step = functools.partial(fetch, proc.files_url, token, down, block)
                        figures.append(step(f"{client} down", durable, download_step, down))
                        down.unlink()
                        stored.unlink()
                    figures.append("|")
                loads.append(os.getloadavg()[0])
                others = statistics.mean(timer.others[-len(figures) + figures.count("|") :])
                print(
                    f"run {index + 1} (MB/s): {', '.join(figures)}; load {loads[-1]:.1f}, "
                    f"other processes {others:.2f} CPUs",
                    flush=True,
                )
    print(f"\nmemory warmed before each step: {'yes' if warm else 'no (--no-warm)'}", end="")
    report(timer, size, size_mb, runs, clients, baseline, block, peak, loads)
    print(
        f"CPUs busy with other processes and kernel threads during the timed steps: "
        f"median {statistics.median(timer.others):.2f}, max {max(timer.others):.2f} (of {os.cpu_count()})"
    )


def report(
    timer: Timer,
    size: int,
    size_mb: int,
    runs: int,
    clients: list[str],
    baseline: str,
    block: int,
    peak_kib: int,
    loads: list[float],
) -> None:
    gib = size / (1 << 30)

    def rate(name: str) -> float:
        return size / statistics.median(timer.wall[name]) / 1e6

    def server_cpu(name: str) -> float:
        return statistics.median(timer.cpu[name]) / gib

    def own_cpu(name: str) -> float:
        return statistics.median(timer.own_cpu[name]) / gib

    print(
        f"; file of {size_mb} MiB, median of {runs} runs, python/lean reads of {block >> 10} KiB; "
        f"load average {min(loads):.1f}-{max(loads):.1f} on {os.cpu_count()} CPUs; "
        f"server RSS after the uploads {peak_kib / 1024:.0f} MiB"
    )
    ratios: dict[str, float] = {}
    for durable in _MODES[baseline]:
        suffix = " durable" if durable else ""
        copy = rate("copy" + suffix)
        print("\ndurable: each step ends with fsync of the file written" if durable else "\npage cache (headline)")
        copy_cpu = own_cpu("copy" + suffix)
        print(f"  disk copy (shutil.copyfile)   {copy:7.0f} MB/s          copy CPU {copy_cpu:.2f} s/GiB")
        for client in clients:
            for kind, label in (("up", "upload  "), ("down", "download")):
                name = f"{client} {kind}{suffix}"
                ratios[name] = rate(name) / copy
                print(
                    f"  {client:<6} {label}              {rate(name):7.0f} MB/s  {ratios[name]:5.0%}"
                    f"   server CPU {server_cpu(name):.2f}, client CPU {own_cpu(name):.2f} s/GiB"
                )
    headline = "lean" if "lean" in clients else clients[0]
    suffix = " durable" if baseline == "durable" else ""
    verdicts = []
    for kind in ("up", "down"):
        ratio = ratios[f"{headline} {kind}{suffix}"]
        verdicts.append(f"{kind}load {ratio:.0%} ({'met' if ratio >= 0.5 else 'NOT met'})")
    base = "durable" if suffix else "page-cache"
    print(f"\ntarget >= 50% of the {base} disk copy, {headline} client: {', '.join(verdicts)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size-mb", type=int, default=1024, help="file size in MiB (default 1024)")
    parser.add_argument("--runs", type=int, default=3, help="runs per measurement (default 3)")
    parser.add_argument(
        "--client",
        default="lean,python,curl",
        help=f"comma-separated HTTP clients, run interleaved, from {', '.join(CLIENTS)} (default lean,python,curl)",
    )
    parser.add_argument(
        "--baseline",
        choices=sorted(_MODES),
        default="both",
        help="cache: steps end in the page cache (headline); durable: each ends with fsync; both (default)",
    )
    parser.add_argument(
        "--block-kib", type=int, default=1024, help="read size of the python and lean downloads (default 1024)"
    )
    parser.add_argument(
        "--no-warm",
        action="store_true",
        help="do not write and delete a scratch file of the same size before each step (see Timer)",
    )
    args = parser.parse_args()
    clients = [name.strip() for name in args.client.split(",") if name.strip()]
    unknown = [name for name in clients if name not in CLIENTS]
    if unknown or not clients:
        parser.error(f"unknown client(s) {', '.join(unknown) or '(none)'}; choose from {', '.join(CLIENTS)}")
    run(args.size_mb, args.runs, clients, args.baseline, args.block_kib << 10, not args.no_warm)


if __name__ == "__main__":
    main()
