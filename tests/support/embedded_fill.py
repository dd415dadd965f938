"""An embedded data directory filled directly through its stores (no server): tasks in
litemongo, scalar events (narrow rows) plus log lines and debug images in the SQLite
event store, worker statistics and queue metrics in the SQLite statistics store. For the
move-store unit tests and bench/move_store.py."""

from __future__ import annotations

import datetime
from pathlib import Path

from stationmaster.database.embedded import client_class
from stationmaster.database.events.factory import SQLITE_FILE
from stationmaster.database.events.sqlite import SqliteEventStore
from stationmaster.database.events.stats_base import QueueMetric, WorkerStat
from stationmaster.database.events.stats_sqlite import FILE_NAME, SqliteStatsStore

COMPANY = "d1bd92a3b039400cbafc60a7a5b1e52b"
T0 = 1_764_800_000_000  # ms, 2025-12-03


def fill(
    data_dir: Path, tasks: int = 20, scalars: int = 1000, logs: int = 50, stats: int = 30, company: str = COMPANY
) -> dict[str, int]:
    """Fill ``data_dir``; returns how many of each were written. ``scalars`` are spread
    over the first tasks, 2 metrics × 2 variants per iteration."""
    data_dir.mkdir(parents=True, exist_ok=True)
    client = client_class(data_dir / "documents")()
    created = datetime.datetime(2025, 12, 3, 10, 0, 0, 123000)
    client["auth"]["company"].insert_one({"_id": company, "name": "team"})
    client["backend"]["project"].insert_one({"_id": "p" * 32, "name": "proj", "company": company})
    client["backend"]["task"].insert_many(
        [
            {
                "_id": f"{i:032x}",
                "name": f"task {i}",
                "company": company,
                "project": "p" * 32,
                "created": created,
                "execution": {"parameters": {"lr": str(i)}, "queue": None},
                "tags": ["a", f"t{i % 7}"],
            }
            for i in range(tasks)
        ]
    )
    client.close()
    events = SqliteEventStore(data_dir / SQLITE_FILE)
    try:
        task = f"{0:032x}"
        batch: list[dict] = []
        for n in range(scalars):
            it, k = divmod(n, 4)
            batch.append(_scalar(task if tasks < 2 else f"{n % min(tasks, 10):032x}", it, k))
            if len(batch) >= 20000:
                events.add(company, batch)
                batch = []
        events.add(company, batch)
        events.add(company, [_log(task, i) for i in range(logs)])
        events.add(company, [_image(task, i) for i in range(3)])
    finally:
        events.close()
    store = SqliteStatsStore(data_dir / FILE_NAME)
    try:
        store.add_worker_stats(
            company,
            [WorkerStat(T0 + i * 1000, "w1", "cpu", "cpu_usage", "total", 0.5 + i, task, "team") for i in range(stats)],
        )
        store.add_queue_metrics(company, [QueueMetric(T0 + i * 1000, "q" * 32, 1.5, i) for i in range(stats)])
    finally:
        store.close()
    return {"tasks": tasks, "scalars": scalars, "logs": logs, "images": 3, "stats": stats}


def _scalar(task: str, iteration: int, k: int) -> dict:
    return {
        "type": "training_stats_scalar",
        "task": task,
        "iter": iteration,
        "metric": f"m{k // 2}",
        "variant": f"v{k % 2}",
        "value": iteration * 0.5 + k,
        "timestamp": T0 + iteration,
        "@timestamp": "2025-12-03T22:13:20.000Z",
        "worker": "w1",
    }


def _log(task: str, i: int) -> dict:
    return {
        "type": "log",
        "id": f"log-{i:06d}",
        "task": task,
        "iter": i,
        "timestamp": T0 + i,
        "@timestamp": "2025-12-03T22:13:20.000Z",
        "worker": "w1",
        "level": "info",
        "msg": f"line {i}",
    }


def _image(task: str, i: int) -> dict:
    return {
        "type": "training_debug_image",
        "task": task,
        "iter": i,
        "metric": "img",
        "variant": "v",
        "key": f"img/v/{i}",
        "url": f"http://127.0.0.1:8081/proj/{task}/img_{i}.png",
        "timestamp": T0 + i,
        "@timestamp": "2025-12-03T22:13:20.000Z",
        "worker": "w1",
    }
