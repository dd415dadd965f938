"""Core benchmark: start-up time, idle memory and round trips per second.

    .venv/bin/python bench/core.py [--runs 5] [--seconds 3]

Starts ``stationmaster serve`` on a fresh data directory and measures, each as the median
of ``--runs`` runs:

- start-up: from spawning the process to the first answered ``debug.ping``;
- idle RSS of the server process after start-up;
- round trips per second of ``debug.ping`` (no authentication) and of an authenticated
  ``users.get_current_user`` (Bearer token) with 1, 8 and 32 concurrent keep-alive
  connections (``--connections``), driven by ``wrk`` (Debian package ``wrk``) from one
  thread, and the server's CPU time per call (user + system, ``/proc/<pid>/stat``),
  which depends less on the other load of a shared machine.

Prints a table; the figures are recorded in bench/README.md.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from support.client import ApiClient
from support.server import ServerProcess


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def measure_startup(runs: int) -> tuple[float, float]:
    times, rss = [], []
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as tmp:
            proc = ServerProcess(Path(tmp) / "data")
            started = time.perf_counter()
            proc.start()
            times.append(time.perf_counter() - started)
            time.sleep(1.0)
            assert proc.proc is not None
            rss.append(rss_mb(proc.proc.pid))
            proc.stop()
    return statistics.median(times), statistics.median(rss)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (from /proc/<pid>/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wrk(url: str, connections: int, seconds: int, token: str | None) -> tuple[float, int]:
    """(round trips per second, requests completed)."""
    cmd = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency"]
    if token:
        cmd += ["-H", f"Authorization: Bearer {token}"]
    out = subprocess.run(cmd + [url], capture_output=True, text=True, check=True).stdout
    match = re.search(r"Requests/sec:\s+([\d.]+)", out)
    total = re.search(r"(\d+) requests in", out)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if errors:
        raise RuntimeError(f"{errors.group(1)} failed responses from {url}")
    assert match and total, out
    return float(match.group(1)), int(total.group(1))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seconds", type=int, default=3)
    parser.add_argument("--connections", default="1,8,32", help="comma-separated connection counts")
    parser.add_argument("--no-startup", action="store_true", help="skip the start-up and memory runs")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        print("wrk is needed: apt-get install wrk", file=sys.stderr)
        return 2

    counts = [int(c) for c in args.connections.split(",")]
    if not args.no_startup:
        startup, idle = measure_startup(args.runs)
        print(f"start-up (spawn to first answer), median of {args.runs}: {startup:.2f} s")
        print(f"idle RSS, median of {args.runs}: {idle:.0f} MB")

    with tempfile.TemporaryDirectory() as tmp, ServerProcess(Path(tmp) / "data") as proc:
        key, secret = proc.admin_credentials()
        token = ApiClient(proc.url, key=key, secret=secret).login().token
        assert proc.proc is not None
        pid = proc.proc.pid
        print(
            f"\nround trips/s and server CPU µs per call, median of {args.runs} runs of {args.seconds} s "
            "(wrk, keep-alive)"
        )
        print(f"{'endpoint':<32}" + "".join(f"{f'{c} conn/s':>12}{'CPU µs':>8}" for c in counts))
        for name, path, auth in (
            ("debug.ping", "/debug.ping", None),
            ("users.get_current_user (Bearer)", "/users.get_current_user", token),
        ):
            row = []
            for connections in counts:
                rates, cpu = [], []
                for _ in range(args.runs):
                    cpu_started = cpu_seconds(pid)
                    rate, calls = wrk(proc.url + path, connections, args.seconds, auth)
                    rates.append(rate)
                    cpu.append((cpu_seconds(pid) - cpu_started) * 1e6 / max(calls, 1))
                row.append(f"{statistics.median(rates):>12.0f}{statistics.median(cpu):>8.0f}")
            print(f"{name:<32}" + "".join(row))
    print("load average " + " ".join(f"{v:.1f}" for v in os.getloadavg()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
