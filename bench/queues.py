"""Queue benchmark: the cost of one pop and get_next_task throughput over HTTP.

    .venv/bin/python bench/queues.py [--runs 5] [--entries 1000] [--pollers 50]

1. In process, on the embedded store (litemongo), the median time of one pop from a
   queue holding ``--entries`` entries, for three implementations:
   - ``mongoengine modify``: ``Queue.objects(...).modify(pop__entries=-1)``, the
     reference server's way;
   - ``raw find_one_and_update``: the same ``$pop`` through the raw collection;
   - ``pop_head``: what the server uses (``database/queue_ops.py``);
   and the whole ``ctx.queues.get_next_task`` (pop_head plus the statistics hook
   ``ctx.stats.record_queue_metrics``; the difference is the hook's cost); and one append
   (``add_task``) through raw ``find_one_and_update`` vs ``push_entry``.
2. Over HTTP: a served instance, ``--entries`` tasks queued, ``--pollers`` concurrent
   keep-alive clients (``http.client`` threads of this process) calling
   ``/v2.14/queues.get_next_task`` until the queue is empty; pops per second, the number
   of duplicates / losses (must be 0), and the CPU per pop of the server and of the
   pollers themselves.

Each figure is the median of ``--runs`` runs.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import io
import json
import os
import statistics
import sys
import tempfile
import time
import urllib.parse
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "bench"))

from support.client import ApiClient  # noqa: E402
from support.server import ServerProcess  # noqa: E402


def _import_package() -> None:
    """Make the repo importable as the ``stationmaster`` package (setup.cfg maps it to the root)."""
    try:
        import stationmaster  # noqa: F401
    except ImportError:
        link_dir = Path(tempfile.mkdtemp())
        (link_dir / "stationmaster").symlink_to(ROOT)
        sys.path.insert(0, str(link_dir))


def measure_pop(entries: int, pops: int) -> dict[str, float]:
    """Median milliseconds per pop for each implementation, in process on a served
    instance's embedded stores (one fresh queue of ``entries`` entries each), plus the
    whole ``ctx.queues.get_next_task`` and the statistics hook it calls."""
    _import_package()
    from pymongo import ReturnDocument

    from stationmaster.config import load_config
    from stationmaster.database.model.base import new_id, utcnow
    from stationmaster.database.model.queue import Queue
    from stationmaster.database.queue_ops import pop_head, push_entry
    from stationmaster.database.raw import collection
    from stationmaster.server.runner import ServerRunner

    with tempfile.TemporaryDirectory() as tmp:
        runner = ServerRunner(load_config([]), Path(tmp), "127.0.0.1", 0, 0)
        with contextlib.redirect_stdout(io.StringIO()):
            runner.start()
        assert runner.ctx is not None
        ctx = runner.ctx
        coll = collection(Queue)
        company = "bench"

        def fresh() -> str:
            qid = new_id()
            items = [{"task": new_id(), "added": utcnow()} for _ in range(entries + pops)]
            coll.insert_one({"_id": qid, "company": company, "name": qid, "entries": items})
            return qid

        def via_mongoengine(qid: str) -> None:
            Queue.objects(id=qid, company=company).modify(pop__entries=-1, last_update=utcnow(), upsert=False)

        def via_raw(qid: str) -> None:
            coll.find_one_and_update(
                {"_id": qid, "company": company},
                {"$pop": {"entries": -1}, "$set": {"last_update": utcnow()}},
                return_document=ReturnDocument.BEFORE,
            )

        def via_pop_head(qid: str) -> None:
            pop_head(coll, qid, company, utcnow())

        def via_bll(qid: str) -> None:
            ctx.queues.get_next_task(company, qid)

        def add_raw(qid: str) -> None:
            task = new_id()
            coll.find_one_and_update(
                {"_id": qid, "company": company, "entries.task": {"$ne": task}},
                {"$push": {"entries": {"task": task, "added": utcnow()}}, "$set": {"last_update": utcnow()}},
                return_document=ReturnDocument.AFTER,
            )

        def add_push_entry(qid: str) -> None:
            push_entry(coll, qid, company, {"task": new_id(), "added": utcnow()}, utcnow())

        ways: dict[str, Callable[[str], None]] = {
            "mongoengine modify": via_mongoengine,
            "raw find_one_and_update": via_raw,
            "pop_head": via_pop_head,
            "ctx.queues.get_next_task": via_bll,
            "add: raw find_one_and_update": add_raw,
            "add: push_entry": add_push_entry,
        }
        result = {}
        try:
            for name, pop in ways.items():
                qid = fresh()
                times = []
                for _ in range(pops):
                    started = time.perf_counter()
                    pop(qid)
                    times.append(time.perf_counter() - started)
                result[name] = statistics.median(times) * 1000
        finally:
            runner.stop()
    return result


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (from /proc/<pid>/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure_http(
    entries: int, pollers: int, profile: Path | None = None
) -> tuple[float, int, int, float, float, float, float]:
    """(pops per second, duplicates, lost, empty polls per second, server CPU ms per
    pop, server CPU ms per empty poll, the pollers' own CPU ms per pop) for one served
    instance; the empty polls are the same pollers on the drained queue: the cost of the
    HTTP path alone (authentication, validation, envelope), the ceiling for the pops. The
    pollers run in this process and share the machine's cores with the server."""
    with tempfile.TemporaryDirectory() as tmp:
        server = ServerProcess(Path(tmp) / "data")
        with server:
            key, secret = server.admin_credentials()
            api = ApiClient(server.url, key=key, secret=secret).login()
            queue = api.queues.create(name=f"bench-{uuid.uuid4().hex[:8]}")["id"]
            # queues.add_task takes only tasks of the caller's company (400/101 otherwise)
            with ThreadPoolExecutor(4) as pool:
                tasks = list(
                    pool.map(lambda i: str(api.tasks.create(name=f"bench {i}", type="training")["id"]), range(entries))
                )
                list(pool.map(lambda t: api.queues.add_task(queue=queue, task=t), tasks))

            call = _lean_caller(server.url, api.auth_headers(), "/v2.14/queues.get_next_task", {"queue": queue})

            def poll(_: int) -> list[str]:
                got = []
                with call() as next_task:
                    while True:
                        data = next_task()
                        if not data.get("entry"):
                            return got
                        got.append(data["entry"]["task"])

            assert server.proc is not None
            pid = server.proc.pid
            started, cpu_started, own_started = time.perf_counter(), cpu_seconds(pid), time.process_time()
            with _profiled(pid, profile, "pops"), ThreadPoolExecutor(pollers) as pool:
                results = list(pool.map(poll, range(pollers)))
            elapsed = time.perf_counter() - started
            cpu_pop = (cpu_seconds(pid) - cpu_started) * 1000 / entries
            own_pop = (time.process_time() - own_started) * 1000 / entries

            def poll_empty(_: int) -> None:
                with call() as next_task:
                    for _ in range(entries // pollers):
                        next_task()

            started, cpu_started = time.perf_counter(), cpu_seconds(pid)
            with _profiled(pid, profile, "empty polls"), ThreadPoolExecutor(pollers) as pool:
                list(pool.map(poll_empty, range(pollers)))
            empty_rate = (entries // pollers) * pollers / (time.perf_counter() - started)
            cpu_empty = (cpu_seconds(pid) - cpu_started) * 1000 / ((entries // pollers) * pollers)
    counts = Counter(t for got in results for t in got)
    duplicates = sum(n - 1 for n in counts.values() if n > 1)
    lost = len(set(tasks) - set(counts))
    return entries / elapsed, duplicates, lost, empty_rate, cpu_pop, cpu_empty, own_pop


def _lean_caller(
    base_url: str, auth: dict[str, str], path: str, body: dict[str, Any]
) -> Callable[[], contextlib.AbstractContextManager[Callable[[], dict[str, Any]]]]:
    """A poller's keep-alive connection as a function answering ``data`` of one call.

    The pollers run in this process, on the cores the server uses: ``requests`` spent
    ~1.35 ms of CPU a call here (more than the server, ~1 ms), so the pops/s measured the
    client. ``http.client`` with a prepared request costs a fraction of that; it still
    reads and checks every answer (status 200, envelope ``meta.result_code``)."""
    parsed = urllib.parse.urlsplit(base_url)
    payload = json.dumps(body).encode()
    headers = {**auth, "Content-Type": "application/json", "Content-Length": str(len(payload))}

    @contextlib.contextmanager
    def connect() -> Iterator[Callable[[], dict[str, Any]]]:
        conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=30)

        def one() -> dict[str, Any]:
            conn.request("GET", path, payload, headers)
            reply = conn.getresponse()
            envelope = json.loads(reply.read())
            if reply.status != 200 or envelope["meta"]["result_code"] != 200:
                raise RuntimeError(f"{path}: {reply.status} {envelope.get('meta')}")
            data: dict[str, Any] = envelope["data"]
            return data

        try:
            yield one
        finally:
            conn.close()

    return connect


@contextlib.contextmanager
def _profiled(pid: int, directory: Path | None, phase: str) -> Iterator[None]:
    """py-spy on the server while the block runs, its summary printed (``--profile``)."""
    if directory is None:
        yield
        return
    from profiling import py_spy

    with py_spy(pid, directory / f"queues-{phase.replace(' ', '-')}-{pid}.txt") as profile:
        yield
    print(f"profile of the server, {phase}: {profile.summary()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--entries", type=int, default=1000)
    parser.add_argument("--pollers", type=int, default=50)
    parser.add_argument("--pops", type=int, default=200, help="pops timed per implementation and run")
    parser.add_argument("--http-only", action="store_true", help="skip the in-process measures")
    parser.add_argument("--profile", type=Path, help="record py-spy profiles of the server into this folder")
    args = parser.parse_args()

    if not args.http_only:
        pop_runs = [measure_pop(args.entries, args.pops) for _ in range(args.runs)]
        print(f"one pop / add on a queue of ~{args.entries} entries, embedded store (median of {args.runs} runs):")
        for name in pop_runs[0]:
            print(f"  {name:<26} {statistics.median(r[name] for r in pop_runs):7.3f} ms")
        base = statistics.median(r["mongoengine modify"] for r in pop_runs)
        fast = statistics.median(r["pop_head"] for r in pop_runs)
        print(f"  speed-up of pop_head over mongoengine modify: {base / fast:.1f}x")
        whole = statistics.median(r["ctx.queues.get_next_task"] for r in pop_runs)
        print(f"  get_next_task beyond pop_head (the statistics hook): {whole - fast:.3f} ms")

    http_runs = [measure_http(args.entries, args.pollers, args.profile) for _ in range(args.runs)]
    rates = [r[0] for r in http_runs]
    print(
        f"HTTP /v2.14/queues.get_next_task, {args.pollers} pollers, {args.entries} tasks "
        f"(median of {args.runs} runs): {statistics.median(rates):.0f} pops/s "
        f"(min {min(rates):.0f}, max {max(rates):.0f}); "
        f"duplicates {sum(r[1] for r in http_runs)}, lost {sum(r[2] for r in http_runs)}"
    )
    print(
        f"  the same pollers on the empty queue (HTTP path alone): "
        f"{statistics.median(r[3] for r in http_runs):.0f} calls/s"
    )
    print(
        f"  server CPU per call: {statistics.median(r[4] for r in http_runs):.2f} ms per pop, "
        f"{statistics.median(r[5] for r in http_runs):.2f} ms per empty poll; "
        f"the pollers' CPU {statistics.median(r[6] for r in http_runs):.2f} ms per pop; load average "
        + " ".join(f"{v:.1f}" for v in os.getloadavg())
    )


if __name__ == "__main__":
    main()
