"""The floor of waitress itself: round trips/s of a trivial WSGI application.

    .venv/bin/python bench/waitress_floor.py [--runs 3] [--seconds 3] [--connections 1,8,32]

Serves an application that answers a fixed 300-byte JSON body (about the size of a
``users.get_current_user`` answer) with waitress in a child process, configured as
``stationmaster serve`` configures it (4 threads, poll, the server's connection
limits), once with waitress's own channel and once with the server's
(``fileserver/http_channel.py``), and drives each with wrk (keep-alive, one thread), as
bench/core.py drives the API. Prints round trips/s and the server's CPU µs per call,
medians of ``--runs``: the API's figures from bench/core.py read against these.
With ``--switch-interval`` the child sets ``sys.setswitchinterval`` first, as the
embedded store does (0.0005 s).
"""

from __future__ import annotations

import argparse
import os
import re
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BODY = b'{"meta":{"result_code":200},"data":{"user":{"id":"__admin__","name":"admin"}}}'.ljust(300)


def _child(port: int, channel: str, switch_interval: float | None) -> None:
    import waitress

    if switch_interval:
        sys.setswitchinterval(switch_interval)

    def app(environ, start_response):  # type: ignore[no-untyped-def]
        start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(BODY)))])
        return [BODY]

    server = waitress.create_server(
        app, host="127.0.0.1", port=port, threads=4, asyncore_use_poll=True, connection_limit=1000
    )
    if channel == "stationmaster":
        from stationmaster.fileserver.http_channel import use_channel

        use_channel(server)
    server.run()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wrk(url: str, connections: int, seconds: int) -> tuple[float, int]:
    out = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", url], capture_output=True, text=True, check=True
    ).stdout
    rate = re.search(r"Requests/sec:\s+([\d.]+)", out)
    total = re.search(r"(\d+) requests in", out)
    assert rate and total, out
    return float(rate.group(1)), int(total.group(1))


def measure(channel: str, counts: list[int], runs: int, seconds: int, switch: float | None) -> list[str]:
    port = free_port()
    code = f"import sys; sys.path.insert(0, {str(ROOT / 'bench')!r}); import waitress_floor as w; "
    code += f"w._child({port}, {channel!r}, {switch!r})"
    env = {k: v for k, v in os.environ.items()}
    proc = subprocess.Popen([sys.executable, "-c", code], env=env, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError("the waitress child did not start") from None
                time.sleep(0.05)
        cells = []
        for connections in counts:
            rates, cpu = [], []
            for _ in range(runs):
                started = cpu_seconds(proc.pid)
                rate, calls = wrk(f"http://127.0.0.1:{port}/", connections, seconds)
                rates.append(rate)
                cpu.append((cpu_seconds(proc.pid) - started) * 1e6 / max(calls, 1))
            cells.append(f"{statistics.median(rates):>12.0f}{statistics.median(cpu):>8.0f}")
        return cells
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=3)
    parser.add_argument("--connections", default="1,8,32")
    parser.add_argument("--switch-interval", type=float, default=None)
    args = parser.parse_args()
    counts = [int(c) for c in args.connections.split(",")]
    print(f"trivial WSGI app on waitress, medians of {args.runs} runs of {args.seconds} s (wrk, keep-alive)")
    print(f"{'channel':<16}" + "".join(f"{f'{c} conn/s':>12}{'CPU µs':>8}" for c in counts))
    for channel in ("waitress", "stationmaster"):
        cells = measure(channel, counts, args.runs, args.seconds, args.switch_interval)
        print(f"{channel:<16}" + "".join(cells))
    print("load average " + " ".join(f"{v:.1f}" for v in os.getloadavg()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
