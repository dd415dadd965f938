"""Statistics benchmark: recording cost and chart reads over a week of reports.

    .venv/bin/python bench/worker_stats.py [--runs 5] [--workers 10] [--days 7] [--es | --es-url URL]

In process, through ``StatsBLL`` on the SQLite store (and on Elasticsearch: ``--es-url``
names a node, ``--es`` starts the test suite's ES 7.17 node for the run):

1. the median time of one ``record_worker_stats`` (a report of 8 CPU cores, 2 GPUs and
   the scalar fields: 28 values) and of one ``record_queue_metrics`` (one queue of 20
   entries);
2. ``--workers`` workers reporting once a minute for ``--days`` days are loaded, then the
   median time of ``workers.get_stats`` (cpu_usage avg + gpu_usage max, hourly points,
   whole range; and split by variant), ``get_activity_report`` (hourly) and
   ``get_metric_keys``.

Each figure is the median of ``--runs`` runs. Prints a table.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def _import_package() -> None:
    """Make ``stationmaster`` importable from the checkout (the repo root is the package)."""
    try:
        import stationmaster  # noqa: F401
    except ImportError:
        link = Path(tempfile.mkdtemp(prefix="sm-bench-")) / "stationmaster"
        link.symlink_to(ROOT)
        sys.path.insert(0, str(link.parent))


def median_ms(func: Callable[[], Any], runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        func()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def machine_stats(minute: int) -> dict[str, Any]:
    return {
        "cpu_usage": [float((minute + core) % 100) for core in range(8)],
        "cpu_temperature": [40.0 + minute % 20],
        "gpu_usage": [float(minute % 100), float((minute * 3) % 100)],
        "gpu_temperature": [50.0, 55.0],
        "gpu_memory_used": [4000.0, 6000.0],
        "gpu_memory_free": [12000.0, 10000.0],
        "memory_used": 16000.0 + minute % 1000,
        "memory_free": 48000.0,
        "network_tx": 1.5,
        "network_rx": 2.5,
        "disk_free_home": 100000.0,
        "disk_free_temp": 50000.0,
        "disk_read": 0.5,
        "disk_write": 0.25,
    }


def load_week(bll: Any, company: str, workers: int, days: int, start: int) -> float:
    """Store the reports through the store in daily batches; returns seconds."""
    from stationmaster.bll.statistics import machine_stat_docs

    started = time.perf_counter()
    for w in range(workers):
        for day in range(days):
            docs = []
            for minute in range(day * 1440, (day + 1) * 1440):
                ts = (start + minute * 60) * 1000
                task = "task" if w % 2 == 0 else None
                docs.extend(machine_stat_docs(f"worker-{w}", ts, task, "bench", machine_stats(minute)))
            bll.store.add_worker_stats(company, docs)
    return time.perf_counter() - started


def bench_store(name: str, store: Any, args: argparse.Namespace) -> list[tuple[str, str, str]]:
    from stationmaster.bll.statistics import StatsBLL
    from stationmaster.config import Config

    bll = StatsBLL(Config({}), SimpleNamespace(stats=store))  # type: ignore[arg-type]
    company = uuid.uuid4().hex
    rows = []
    report = {"worker": "w", "timestamp": int(time.time() * 1000), "task": "t", "machine_stats": machine_stats(0)}
    worker = {"id": "w", "company": {"id": company, "name": "bench"}}
    record = median_ms(lambda: bll.record_worker_stats(company, worker, report), args.runs * 20)
    rows.append((name, "record_worker_stats (28 values)", f"{record:.2f} ms"))
    now = datetime.utcnow()
    queue = {"id": "q", "entries": [{"task": f"t{i}", "added": now - timedelta(seconds=i)} for i in range(20)]}
    record = median_ms(lambda: bll.record_queue_metrics(company, [queue]), args.runs * 20)
    rows.append((name, "record_queue_metrics (20 entries)", f"{record:.2f} ms"))

    company = uuid.uuid4().hex
    start = (int(time.time()) // 86400 - args.days) * 86400
    seconds = load_week(bll, company, args.workers, args.days, start)
    values = args.workers * args.days * 1440 * 28
    rows.append((name, f"load {values:,} values", f"{seconds:.1f} s ({values / seconds:,.0f}/s)"))
    span = {"from_date": start, "to_date": start + args.days * 86400 - 1, "interval": 3600}
    items = [{"key": "cpu_usage", "aggregation": "avg"}, {"key": "gpu_usage", "aggregation": "max"}]
    reads = {
        "get_stats (2 metrics, hourly)": lambda: bll.get_stats(company, {**span, "items": items}),
        "get_stats split by variant": lambda: bll.get_stats(
            company, {**span, "items": items, "split_by_variant": True}
        ),
        "get_activity_report (hourly)": lambda: bll.get_activity_report(company, span),
        "get_metric_keys": lambda: bll.get_metric_keys(company, None),
    }
    for label, read in reads.items():
        rows.append((name, label, f"{median_ms(read, args.runs):.0f} ms"))
    return rows


def bench_es(url: str, args: argparse.Namespace) -> list[tuple[str, str, str]]:
    from stationmaster.database.events.stats_es import EsStatsStore

    store = EsStatsStore.connect([url], {"timeout": 120})
    try:
        return bench_store("es", store, args)
    finally:
        store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--workers", type=int, default=10)
    parser.add_argument("--days", type=int, default=7)
    parser.add_argument("--es-url", default=None)
    parser.add_argument("--es", action="store_true", help="start the test suite's ES node")
    args = parser.parse_args()
    _import_package()
    from stationmaster.database.events.stats_sqlite import SqliteStatsStore

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        store = SqliteStatsStore(Path(tmp) / "statistics.sqlite")
        rows += bench_store("sqlite", store, args)
        store.close()
    if args.es:
        sys.path.insert(0, str(ROOT / "tests" / "services" / "elasticsearch"))
        from es_node import EsNode, build  # type: ignore[import-not-found]

        build()
        node = EsNode(heap="1g")
        try:
            rows += bench_es(node.start(timeout=300), args)
        finally:
            node.stop()
    elif args.es_url:
        rows += bench_es(args.es_url, args)
    width = max(len(r[1]) for r in rows)
    for store_name, label, figure in rows:
        print(f"{store_name:7} {label:{width}}  {figure}")


if __name__ == "__main__":
    main()
