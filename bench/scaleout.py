"""Scale-out benchmark: 1, 2 and 4 API processes on the team configuration.

    .venv/bin/python bench/scaleout.py [--processes 1,2,4] [--runs 3] [--seconds 5]
                                       [--connections 32] [--batches 10] [--clients 4]

Starts the team configuration's stores as the tests do (FerretDB 1.24.2 on SQLite,
the Elasticsearch 7.17 test node, redis-server; tests/support/services.py), then per
process count a fresh ``stationmaster serve --workers N`` on them, and measures, each
the median of ``--runs`` runs:

- authenticated round trips/s: ``users.get_current_user`` with a Bearer token (a token
  check and one user document read from FerretDB), ``--connections`` keep-alive
  connections driven by ``wrk`` (``apt-get install wrk``) for ``--seconds``;
- ``events.add_batch`` events/s: ``--clients`` concurrent clients each posting
  ``--batches`` json-lines requests of 1,000 scalar events (bench/events.py's bodies).

For each run it also prints where the machine's CPU went (cores used, from
``/proc/<pid>/stat`` of every process this script started: the API workers, FerretDB,
Elasticsearch, redis-server, wrk, and this script's own client threads), so the
bottleneck can be named: on a 2-core machine the sum reaching ~2 cores means CPU-bound,
and the largest share says on what; the machine's other processes (a shared machine)
are shown apart.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from core import wrk
from events import post_all, scalar_body
from support.client import ApiClient
from support.server import ServerProcess

TICK = os.sysconf("SC_CLK_TCK")


def _descendants(pid: int) -> Iterator[int]:
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            children = (task / "children").read_text().split()
        except OSError:
            continue
        for child in map(int, children):
            yield child
            yield from _descendants(child)


def _component(pid: int) -> str:
    try:
        cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return "gone"
    for needle, name in (
        ("stationmaster.server.cli", "API"),
        ("ferretdb", "FerretDB"),
        ("java", "Elasticsearch"),
        ("redis-server", "redis"),
        ("wrk", "wrk"),
    ):
        if needle in cmd:
            return name
    return "other"


def _cpu(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICK


def _machine_busy() -> float:
    """CPU seconds the machine has been busy (all cores, from /proc/stat)."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle, iowait
    return (sum(fields[:8]) - idle) / TICK


class CpuShares:
    """CPU seconds per component of this script's process tree over one measurement
    (processes that ended inside it, e.g. wrk, are counted by their parent's
    cumulative children time: here, this script's own ``cutime``)."""

    def __init__(self) -> None:
        self.before = self._snapshot()
        self.machine = _machine_busy()
        self.started = time.monotonic()

    @staticmethod
    def _snapshot() -> dict[int, tuple[str, float]]:
        me = os.getpid()
        shares = {pid: (_component(pid), _cpu(pid)) for pid in _descendants(me)}
        times = os.times()
        shares[me] = ("client (this script + wrk)", times.user + times.system + times.children_user)
        shares[-1] = ("client (this script + wrk)", times.children_system)
        return shares

    def cores(self) -> dict[str, float]:
        after = self._snapshot()
        wall = time.monotonic() - self.started
        used: dict[str, float] = {}
        for pid, (name, cpu) in after.items():
            start = self.before.get(pid, (name, 0.0))[1]
            key = "client (this script + wrk)" if name == "wrk" else name
            used[key] = used.get(key, 0.0) + max(cpu - start, 0.0) / wall
        shares = {k: v for k, v in sorted(used.items(), key=lambda kv: -kv[1]) if v >= 0.005}
        # what the whole machine ran meanwhile, other users' processes included
        shares["not started here"] = max((_machine_busy() - self.machine) / wall - sum(used.values()), 0.0)
        return shares


def measured(run: Callable[[], float], runs: int) -> tuple[float, dict[str, float]]:
    """Median figure of ``runs`` runs, and the median cores per component."""
    figures, shares = [], []
    for _ in range(runs):
        cpu = CpuShares()
        figures.append(run())
        shares.append(cpu.cores())
    names = {name for share in shares for name in share}
    cores = {name: statistics.median(share.get(name, 0.0) for share in shares) for name in names}
    return statistics.median(figures), dict(sorted(cores.items(), key=lambda kv: -kv[1]))


def ingest(api: ApiClient, clients: int, batches: int) -> float:
    task = str(api.tasks.create(name=f"scaleout {time.monotonic_ns()}", type="training")["id"])
    bodies = [scalar_body(task, b * 1000) for b in range(batches * clients)]
    headers = {**api.auth_headers(), "Content-Type": "application/json-lines"}
    return len(bodies) * 1000 / post_all(api.url("events.add_batch"), bodies, clients, headers)


def measure(server: ServerProcess, args: argparse.Namespace) -> tuple[float, dict[str, float], float, dict[str, float]]:
    """(round trips/s, their cores, events/s, their cores) of one served configuration."""
    key, secret = server.admin_credentials()
    api = ApiClient(server.url, key=key, secret=secret).login()
    url = f"{server.url}/users.get_current_user"
    wrk(url, args.connections, 1, api.token)  # warm every worker
    rtt, rtt_cores = measured(lambda: wrk(url, args.connections, args.seconds, api.token)[0], args.runs)
    eps, eps_cores = measured(lambda: ingest(api, args.clients, args.batches), args.runs)
    return rtt, rtt_cores, eps, eps_cores


def show(cores: dict[str, float]) -> str:
    mine = {k: v for k, v in cores.items() if k != "not started here"}
    text = ", ".join(f"{name} {value:.2f}" for name, value in mine.items())
    return (
        f"{text} (sum {sum(mine.values()):.2f}; other processes of the machine {cores.get('not started here', 0):.2f})"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--processes", default="1,2,4")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--batches", type=int, default=10, help="1000-event requests per client and run")
    parser.add_argument("--clients", type=int, default=4)
    args = parser.parse_args()
    from support.services import TeamStores, elasticsearch_node, ferretdb_server, redis_server

    results: list[tuple[int, float, dict[str, float], float, dict[str, float]]] = []
    with ExitStack() as stack, tempfile.TemporaryDirectory() as tmp:
        redis = stack.enter_context(redis_server())
        es = stack.enter_context(elasticsearch_node())
        mongo = stack.enter_context(ferretdb_server())
        stores = TeamStores(mongo, es, redis)
        for n, count in enumerate(int(p) for p in args.processes.split(",")):
            root = Path(tmp) / f"n{count}"
            config = stores.config_dir(root / "config", f"bench{n}", redis_db=2 * n)
            server = ServerProcess(root / "data", config_dir=config, extra_args=["--workers", str(count)])
            with server:
                rtt, rtt_cores, eps, eps_cores = measure(server, args)
            results.append((count, rtt, rtt_cores, eps, eps_cores))
            print(f"{count} API processes: {rtt:.0f} round trips/s; {eps:.0f} events/s", flush=True)
    print(
        f"\nteam configuration (FerretDB 1.24.2/SQLite, Elasticsearch 7.17, redis-server), medians of {args.runs} "
        f"runs; {os.cpu_count()} cores"
    )
    print(f"{'processes':>9}  {'round trips/s':>13}  {'events/s':>9}")
    for count, rtt, _, eps, _ in results:
        print(f"{count:>9}  {rtt:>13.0f}  {eps:>9.0f}")
    print("\ncores used during the measurement (median), per component:")
    for count, _, rtt_cores, _, eps_cores in results:
        print(f"  {count} processes, round trips: {show(rtt_cores)}")
        print(f"  {count} processes, add_batch:   {show(eps_cores)}")
    print("load average " + " ".join(f"{v:.1f}" for v in os.getloadavg()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
