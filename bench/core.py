"""Core benchmark: start-up time, idle memory and round trips per second.

    .venv/bin/python bench/core.py [--runs 5] [--seconds 3]

Starts ``stationmaster serve`` on a fresh data directory and measures, each as the median
of ``--runs`` runs:

- start-up: from spawning the process to the first answered ``debug.ping``;
- idle RSS of the server process after start-up;
- round trips per second of ``debug.ping`` (no authentication) and of an authenticated
  ``users.get_current_user`` (Bearer token) with 1, 8 and 32 concurrent keep-alive
  connections, driven by ``wrk`` (Debian package ``wrk``) from one thread.

Prints a table; the figures are recorded in bench/README.md.
"""

from __future__ import annotations

import argparse
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


def wrk(url: str, connections: int, seconds: int, token: str | None) -> float:
    cmd = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency"]
    if token:
        cmd += ["-H", f"Authorization: Bearer {token}"]
    out = subprocess.run(cmd + [url], capture_output=True, text=True, check=True).stdout
    match = re.search(r"Requests/sec:\s+([\d.]+)", out)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if errors:
        raise RuntimeError(f"{errors.group(1)} failed responses from {url}")
    assert match, out
    return float(match.group(1))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seconds", type=int, default=3)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        print("wrk is needed: apt-get install wrk", file=sys.stderr)
        return 2

    startup, idle = measure_startup(args.runs)
    print(f"start-up (spawn to first answer), median of {args.runs}: {startup:.2f} s")
    print(f"idle RSS, median of {args.runs}: {idle:.0f} MB")

    with tempfile.TemporaryDirectory() as tmp, ServerProcess(Path(tmp) / "data") as proc:
        key, secret = proc.admin_credentials()
        token = ApiClient(proc.url, key=key, secret=secret).login().token
        print(f"\nround trips/s, median of {args.runs} runs of {args.seconds} s (wrk, keep-alive)")
        print(f"{'endpoint':<32}{'1 conn':>10}{'8 conns':>10}{'32 conns':>10}")
        for name, path, auth in (
            ("debug.ping", "/debug.ping", None),
            ("users.get_current_user (Bearer)", "/users.get_current_user", token),
        ):
            row = []
            for connections in (1, 8, 32):
                results = [wrk(proc.url + path, connections, args.seconds, auth) for _ in range(args.runs)]
                row.append(statistics.median(results))
            print(f"{name:<32}" + "".join(f"{v:>10.0f}" for v in row))
    return 0


if __name__ == "__main__":
    sys.exit(main())
