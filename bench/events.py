"""Event store benchmark: ingest through HTTP and the two heavy reads, per store.

    .venv/bin/python bench/events.py [--runs 5] [--batches 20] [--points 1000000]
                                     [--log-lines 1000000] [--stores sqlite,elasticsearch]

For each event store (the embedded SQLite store, and Elasticsearch 7.17 from
tests/services/elasticsearch when it can be started) a fresh ``stationmaster serve``
is started and measured; every figure is the median of ``--runs`` runs:

- ingest: ``events.add_batch`` with 1,000 scalar events per request (json-lines, as the
  clearml SDK sends them: its seven fields and ``model_event``), ``--batches`` requests
  per client, with 1 and with 4 concurrent clients: events per second;
- ``events.scalar_metrics_iter_histogram`` (default 6000 samples) of one task holding
  ``--points`` scalar points in 20 series: latency;
- ``events.get_task_log`` pages of 500 lines (newest page, and a page in the middle via
  ``from_timestamp``) of one task holding ``--log-lines`` lines: latency;
- model events: the same ingest (1 client) of the same lines marked ``model_event: true``
  against a model, through ``/v2.22/events.add_batch``: events per second;
- ``events.scalar_metrics_iter_raw`` (2.22): every point of one series of ``--raw-points``
  points, paged by scroll id with ``batch_size`` 200,000: milliseconds end to end;
- ``events.next_debug_image_sample`` (2.22): one step of the navigation over a task of
  1,000 iterations x 3 variants of debug images (100 files each, reused): milliseconds.

With ``--mlflow <path to the mlflow executable>`` (e.g. a separate venv with
``pip install mlflow``), the same ingest is measured on an MLflow tracking server
(``mlflow server`` on loopback, SQLite backend store) through its REST ``runs/log-batch``
with 1,000 metrics per request, as the peer; the ratios are printed.

Prints one table; the figures are recorded in docs/events.md.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import json
import os
import signal
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from support.client import ApiClient
from support.server import ServerProcess

T0 = 1_700_000_000_000
SERIES = 20


def scalar_body(
    task: str, first_point: int, count: int = 1000, series_count: int = SERIES, model: bool = False
) -> bytes:
    lines = []
    for n in range(first_point, first_point + count):
        it, series = divmod(n, series_count)
        event = {
            "task": task,
            "type": "training_stats_scalar",
            "iter": it,
            "metric": f"metric{series % 4}",
            "variant": f"variant{series}",
            "value": (n % 997) / 7.0,
            "timestamp": T0 + it,
            # the clearml SDK's lines carry this request option from API 2.23 on
            "model_event": model,
        }
        lines.append(json.dumps(event))
    return "\n".join(lines).encode()


def log_body(task: str, first_line: int, count: int = 1000) -> bytes:
    lines = [
        json.dumps(
            {"task": task, "type": "log", "level": "info", "msg": f"line {n}", "timestamp": T0 + n, "worker": "w"}
        )
        for n in range(first_line, first_line + count)
    ]
    return "\n".join(lines).encode()


def cpu_seconds(pid: int | None) -> float:
    """User + system CPU time of a process so far (from /proc/<pid>/stat)."""
    if pid is None:
        return float("nan")
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Bench:
    def __init__(self, api: ApiClient, pid: int | None = None) -> None:
        self.api = api
        self.pid = pid
        self.headers = {**api.auth_headers(), "Content-Type": "application/json-lines"}
        #: server CPU seconds per 100,000 ingested events, per run of ``ingest``
        self.cpu_per_100k: list[float] = []
        #: server CPU seconds per read of ``raw_series``
        self.raw_cpu: list[float] = []
        self.first_ms = float("nan")

    def task(self, name: str) -> str:
        return str(self.api.tasks.create(name=name, type="training")["id"])

    def model(self, name: str) -> str:
        return str(self.api.models.create(name=name, uri="file:///m.pt", ready=False)["id"])

    def post_all(self, bodies: list[bytes], clients: int, version: str | None = None) -> float:
        return post_all(self.api.url("events.add_batch", version), bodies, clients, self.headers)

    def ingest(self, runs: int, batches: int, clients: int, model: bool = False) -> float:
        rates = []
        for run in range(runs):
            owner = self.model(f"ingest {run}") if model else self.task(f"ingest {clients} {run}")
            bodies = [scalar_body(owner, b * 1000, model=model) for b in range(batches * clients)]
            cpu = cpu_seconds(self.pid)
            rates.append(len(bodies) * 1000 / self.post_all(bodies, clients, "2.22" if model else None))
            self.cpu_per_100k.append((cpu_seconds(self.pid) - cpu) * 100_000 / (len(bodies) * 1000))
        return statistics.median(rates)

    def fill(self, make: Callable[[str, int], bytes], task: str, total: int) -> None:
        for start in range(0, total, 50_000):
            bodies = [make(task, n) for n in range(start, min(total, start + 50_000), 1000)]
            self.post_all(bodies, 4)

    def raw_series(self, runs: int, task: str) -> float:
        """Median milliseconds to read every point of the task's one series, paged (the
        server's CPU seconds of each read in ``raw_cpu``)."""
        times = []
        for _ in range(runs):
            cpu = cpu_seconds(self.pid)
            request: dict[str, Any] = {"task": task, "metric": {"metric": "metric0"}, "batch_size": 200_000}
            started, points = time.perf_counter(), 0
            while True:
                reply = self.api.call("events.scalar_metrics_iter_raw", request, version="2.22")
                assert reply.status == 200, reply.envelope
                if not reply.data["returned"]:
                    break
                points += reply.data["returned"]
                request["scroll_id"] = reply.data["scroll_id"]
            times.append(time.perf_counter() - started)
            self.raw_cpu.append(cpu_seconds(self.pid) - cpu)
            assert points > 0
        return statistics.median(times) * 1000

    def sample_steps(self, steps: int = 60) -> float:
        """Median milliseconds of one next_debug_image_sample step (earlier, then later)."""
        task = self.task("samples")
        lines = [
            json.dumps(
                {
                    "task": task,
                    "type": "training_debug_image",
                    "iter": i,
                    "metric": "img",
                    "variant": f"v{v}",
                    "key": f"img/v{v}",
                    "url": f"http://files/img_v{v}_{i % 100}.png",
                    "timestamp": T0 + i,
                }
            )
            for i in range(1000)
            for v in range(3)
        ]
        self.post_all(["\n".join(lines[n : n + 1000]).encode() for n in range(0, len(lines), 1000)], 1)
        start = {"task": task, "metric": "img", "variant": "v1"}
        scroll = self.api.call("events.get_debug_image_sample", start, version="2.22").data["scroll_id"]
        times = []
        for n in range(steps):
            request = {"task": task, "scroll_id": scroll, "navigate_earlier": n < steps // 2}
            started = time.perf_counter()
            reply = self.api.call("events.next_debug_image_sample", request, version="2.22")
            times.append(time.perf_counter() - started)
            assert reply.status == 200 and reply.data["event"], reply.envelope
        return statistics.median(times) * 1000

    def latency(self, runs: int, endpoint: str, data: dict) -> float:
        """Median milliseconds of ``runs`` calls; the first call's is kept in ``first_ms``."""
        times = []
        for _ in range(runs):
            started = time.perf_counter()
            reply = self.api.call(endpoint, data)
            times.append(time.perf_counter() - started)
            assert reply.status == 200, reply.envelope
        self.first_ms = times[0] * 1000
        return statistics.median(times) * 1000


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def mlflow_bodies(run_id: str, batches: int) -> list[bytes]:
    bodies = []
    for b in range(batches):
        metrics = []
        for n in range(b * 1000, b * 1000 + 1000):
            it, series = divmod(n, SERIES)
            metrics.append({"key": f"metric{series}", "value": (n % 997) / 7.0, "timestamp": T0 + it, "step": it})
        bodies.append(json.dumps({"run_id": run_id, "metrics": metrics}).encode())
    return bodies


def _wait_for_mlflow(proc: Any, base: str) -> dict[str, Any]:
    """Until the workers answer (the parent accepts connections before they are up)."""
    deadline = time.monotonic() + 300
    while True:
        try:
            reply = requests.post(f"{base}/experiments/create", json={"name": "bench"}, timeout=10)
            if reply.ok:
                return dict(reply.json())
        except requests.RequestException:
            pass
        if time.monotonic() > deadline or proc.poll() is not None:
            raise RuntimeError("mlflow server did not start")
        time.sleep(1)


def measure_mlflow(executable: str, args: argparse.Namespace) -> dict[str, float]:
    """MLflow tracking server (SQLite backend store) ingesting the same points."""
    import subprocess

    with tempfile.TemporaryDirectory() as tmp:
        port = free_port()
        cmd = [executable, "server", "--host", "127.0.0.1", "--port", str(port)]
        cmd += ["--backend-store-uri", f"sqlite:///{tmp}/mlflow.db", "--default-artifact-root", f"{tmp}/artifacts"]
        # its own process group: the server forks uvicorn workers, stopped with it
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        try:
            base = f"http://127.0.0.1:{port}/api/2.0/mlflow"
            experiment = _wait_for_mlflow(proc, base)
            figures = {}
            for clients in (1, 4):
                rates = []
                for _ in range(args.runs):
                    bodies: list[bytes] = []
                    for _client in range(clients):
                        run = requests.post(
                            f"{base}/runs/create", json={"experiment_id": experiment["experiment_id"]}, timeout=30
                        ).json()["run"]["info"]["run_id"]
                        bodies += mlflow_bodies(run, args.batches)
                    rates.append(len(bodies) * 1000 / post_all(f"{base}/runs/log-batch", bodies, clients, {}))
                figures[f"ingest, {clients} client{'s' if clients > 1 else ''} (events/s)"] = statistics.median(rates)
            return figures
        finally:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(10)


def post_all(url: str, bodies: list[bytes], clients: int, headers: dict[str, str]) -> float:
    """Send the bodies from ``clients`` threads (keep-alive sessions); seconds taken."""
    chunks = [bodies[i::clients] for i in range(clients)]
    errors: list[str] = []

    def run(chunk: list[bytes]) -> None:
        session = requests.Session()
        for body in chunk:
            try:
                reply = session.post(
                    url, data=body, headers=headers or {"Content-Type": "application/json"}, timeout=300
                )
            except requests.RequestException as ex:  # a run with a failed request does not count
                errors.append(f"{type(ex).__name__}: {ex}")
                return
            if reply.status_code != 200:
                errors.append(reply.text[:200])

    threads = [threading.Thread(target=run, args=(c,)) for c in chunks]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise RuntimeError(errors[0])
    return time.perf_counter() - started


@contextlib.contextmanager
def served(store: str) -> Iterator[ServerProcess]:
    with tempfile.TemporaryDirectory() as tmp, contextlib.ExitStack() as stack:
        env = {}
        if store == "elasticsearch":
            from support.services import elasticsearch_node

            url = urlsplit(stack.enter_context(elasticsearch_node()))
            env["STATIONMASTER__hosts__elastic__events__hosts"] = json.dumps([{"host": url.hostname, "port": url.port}])
        proc = ServerProcess(Path(tmp) / "data", env=env)
        proc.start(timeout=300)  # a loaded machine starts slowly
        stack.callback(proc.stop)
        yield proc


def measure(store: str, args: argparse.Namespace) -> dict[str, float]:
    with served(store) as proc:
        key, secret = proc.admin_credentials()
        pid = proc.proc.pid if proc.proc is not None else None
        bench = Bench(ApiClient(proc.url, key=key, secret=secret).login(), pid)
        figures = {"ingest, 1 client (events/s)": bench.ingest(args.runs, args.batches, 1)}
        figures["ingest, 1 client: server CPU s per 100k events"] = statistics.median(bench.cpu_per_100k)
        bench.cpu_per_100k.clear()
        figures["ingest, 4 clients (events/s)"] = bench.ingest(args.runs, args.batches, 4)
        figures["ingest, 4 clients: server CPU s per 100k events"] = statistics.median(bench.cpu_per_100k)
        task = bench.task("histogram")
        bench.fill(scalar_body, task, args.points)
        histogram = {"task": task}
        figures[f"histogram, {args.points:,} points / {SERIES} series (ms)"] = bench.latency(
            args.runs, "events.scalar_metrics_iter_histogram", histogram
        )
        figures["histogram, first request after the writes (ms)"] = bench.first_ms
        task = bench.task("log")
        bench.fill(log_body, task, args.log_lines)
        newest = {"task": task, "batch_size": 500}
        middle = {"task": task, "batch_size": 500, "from_timestamp": T0 + args.log_lines // 2}
        figures[f"log page of 500, newest, {args.log_lines:,} lines (ms)"] = bench.latency(
            args.runs, "events.get_task_log", newest
        )
        figures["log page of 500, middle (ms)"] = bench.latency(args.runs, "events.get_task_log", middle)
        bench.cpu_per_100k.clear()
        if args.no_later:  # a server before issue 17 (an A/B's "before" side)
            return figures
        figures["model-event ingest, 1 client (events/s)"] = bench.ingest(args.runs, args.batches, 1, model=True)
        if args.raw_points:
            task = bench.task("raw")
            one_series = functools.partial(scalar_body, series_count=1)
            bench.fill(lambda t, n: one_series(t, n), task, args.raw_points)
            figures[f"raw scalars, {args.raw_points:,} points of 1 series (ms)"] = bench.raw_series(args.runs, task)
            figures["raw scalars: server CPU s per read"] = statistics.median(bench.raw_cpu)
        figures["debug image sample, one navigation step (ms)"] = bench.sample_steps()
        return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--batches", type=int, default=20, help="1000-event requests per client and run")
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--log-lines", type=int, default=1_000_000)
    parser.add_argument("--raw-points", type=int, default=1_000_000, help="0: no raw-scalars figure")
    parser.add_argument("--no-later", action="store_true", help="only the figures of API 2.9 actions")
    parser.add_argument("--stores", default="sqlite,elasticsearch")
    parser.add_argument("--mlflow", help="path of an mlflow executable: measure MLflow's ingest as the peer")
    args = parser.parse_args()
    results: dict[str, dict[str, float]] = {}
    targets: list[tuple[str, Callable[[], dict[str, float]]]] = []
    if args.mlflow:
        targets.append(("mlflow", lambda: measure_mlflow(args.mlflow, args)))
    targets += [(store, functools.partial(measure, store, args)) for store in args.stores.split(",")]
    for name, run in targets:
        try:
            results[name] = run()
        except BaseException as ex:  # e.g. no Java for ES: report and go on
            if isinstance(ex, KeyboardInterrupt):
                raise
            print(f"{name}: not measured ({type(ex).__name__}: {ex})", file=sys.stderr)
    names = list(dict.fromkeys(name for figures in results.values() for name in figures))
    stores = list(results)
    print(f"{'figure (median of ' + str(args.runs) + ')':<52}" + "".join(f"{s:>16}" for s in stores))
    for name in names:
        print(f"{name:<52}" + "".join(f"{results[s].get(name, float('nan')):>16,.1f}" for s in stores))
    if "mlflow" in results:
        for store in (s for s in stores if s != "mlflow"):
            for name, peer in results["mlflow"].items():
                print(f"{store} / mlflow, {name}: {results[store].get(name, float('nan')) / peer:.2f}x")


if __name__ == "__main__":
    main()
