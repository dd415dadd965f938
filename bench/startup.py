"""Start-up benchmark: from spawning ``stationmaster serve`` to its first answer.

    .venv/bin/python bench/startup.py [--runs 7] [--python LABEL=PYTHON ...]

Each ``--python`` is the interpreter of a virtual environment where the package is
installed as a user installs it (``pip install .``: a wheel, byte-compiled); the default
is this interpreter. Variants run interleaved, run by run, so they share the machine's
load. Every run uses a fresh data directory (the first start of a server: company, admin
user, queue); two cases:

- first: a fresh, empty user cache folder (``STATIONMASTER_CACHE_DIR``) — the first start
  after installing;
- again: a cache folder shared by the runs (filled by a start before them) — any later
  start.

Measured per run: wall time from spawning to the first answered ``debug.ping``, and the
CPU time (user + system) the server process used by then, read from /proc — the CPU
figure varies far less with the load of other processes than the wall time does.
Prints the medians, the load average before and after, and the number of cores.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

_READY = re.compile(rb"API on http://[^:]+:(\d+)")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def one_start(python: str, cache_dir: Path, timeout: float = 120) -> tuple[float, float]:
    """(wall seconds, server CPU seconds) from spawn to the first answered debug.ping."""
    with tempfile.TemporaryDirectory() as tmp:
        log_path = Path(tmp) / "log"
        # (older versions kept their cache in $XDG_CACHE_HOME/stationmaster only)
        env = dict(os.environ, STATIONMASTER_CACHE_DIR=str(cache_dir), XDG_CACHE_HOME=str(cache_dir / "xdg"))
        cmd = [python, "-m", "stationmaster.server.cli", "serve", "--data-dir", f"{tmp}/data"]
        with open(log_path, "wb") as log:
            started = time.perf_counter()
            proc = subprocess.Popen(
                [*cmd, "--port", "0", "--files-port", "0"], stdout=log, stderr=subprocess.STDOUT, env=env
            )
        try:
            deadline = started + timeout
            while time.perf_counter() < deadline:
                match = _READY.search(log_path.read_bytes())
                if match and _answers(int(match.group(1))):
                    return time.perf_counter() - started, cpu_seconds(proc.pid)
                if proc.poll() is not None:
                    raise RuntimeError(f"server exited with {proc.returncode}: {log_path.read_text()}")
                time.sleep(0.005)
            raise RuntimeError(f"not ready after {timeout}s")
        finally:
            proc.terminate()
            proc.wait(30)


def _answers(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/debug.ping", timeout=2) as reply:
            return bool(reply.status == 200)
    except OSError:
        return False


def load() -> str:
    return " / ".join(f"{x:.1f}" for x in os.getloadavg())


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--python", action="append", default=[], metavar="LABEL=PYTHON", help="a variant (repeatable)")
    args = parser.parse_args()
    variants = dict(v.split("=", 1) for v in args.python) or {"this": sys.executable}
    print(f"{os.cpu_count()} cores, load (1/5/15 min) before: {load()}")
    results: dict[tuple[str, str], list[tuple[float, float]]] = {}
    with tempfile.TemporaryDirectory() as caches:
        for label, python in variants.items():  # fill each variant's shared cache
            one_start(python, Path(caches) / label)
        for run in range(args.runs):
            for label, python in variants.items():
                first = one_start(python, Path(caches) / f"{label}-first-{run}")
                results.setdefault((label, "first"), []).append(first)
                again = one_start(python, Path(caches) / label)
                results.setdefault((label, "again"), []).append(again)
    print(f"load after: {load()}")
    print(f"{'variant':20} {'start':6} {'wall s (median)':>16} {'CPU s (median)':>15}  wall runs")
    for (label, case), values in results.items():
        wall = statistics.median(v[0] for v in values)
        cpu = statistics.median(v[1] for v in values)
        runs = " ".join(f"{v[0]:.2f}" for v in values)
        print(f"{label:20} {case:6} {wall:16.2f} {cpu:15.2f}  {runs}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
