"""The embedded statistics store: one SQLite file (WAL) in the data directory.

Two tables mirror the reference's Elasticsearch documents, with the company as a column
instead of in the index name (the month suffix of the ES indices only partitions data,
so it has no counterpart here). Values of ``worker_stats`` are stored rounded to 32
bits, as ES keeps its ``float`` fields, so both stores aggregate the same numbers.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from .stats_base import QueueBucket, QueueMetric, StatBucket, StatsStore, TimeRange, WorkerStat, as_float32

FILE_NAME = "statistics.sqlite"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS worker_stats (
    company TEXT NOT NULL,
    timestamp INTEGER NOT NULL,
    worker TEXT NOT NULL,
    task TEXT,
    category TEXT NOT NULL,
    metric TEXT NOT NULL,
    variant TEXT NOT NULL,
    value REAL NOT NULL,
    company_name TEXT
);
CREATE INDEX IF NOT EXISTS worker_stats_time ON worker_stats (company, timestamp);
CREATE INDEX IF NOT EXISTS worker_stats_metric ON worker_stats (company, metric, timestamp);
CREATE TABLE IF NOT EXISTS queue_metrics (
    company TEXT NOT NULL,
    timestamp INTEGER NOT NULL,
    queue TEXT NOT NULL,
    average_waiting_time REAL NOT NULL,
    queue_length INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS queue_metrics_time ON queue_metrics (company, timestamp);
"""


def _in(column: str, values: Sequence[str] | None) -> tuple[str, list[Any]]:
    """`` AND column IN (?, ...)`` for a non-empty list, else nothing."""
    if not values:
        return "", []
    return f" AND {column} IN ({', '.join('?' * len(values))})", list(values)


class SqliteStatsStore(StatsStore):
    """Thread-safe: one connection, serialised by a lock (statements are short)."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = sqlite3.connect(
            str(path), check_same_thread=False, isolation_level=None, timeout=30
        )
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.executescript(_SCHEMA)

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            if self._conn is None:
                raise RuntimeError("the statistics store is closed")
            yield self._conn

    def _write(self, sql: str, rows: list[tuple[Any, ...]]) -> None:
        if not rows:
            return
        with self._db() as db:
            db.execute("BEGIN")
            try:
                db.executemany(sql, rows)
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")

    def _read(self, sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
        with self._db() as db:
            return db.execute(sql, params).fetchall()

    def add_worker_stats(self, company_id: str, stats: Sequence[WorkerStat]) -> None:
        rows = [
            (company_id, s.timestamp, s.worker, s.task, s.category, s.metric, s.variant, as_float32(s.value), s.company)
            for s in stats
        ]
        self._write("INSERT INTO worker_stats VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)

    def add_queue_metrics(self, company_id: str, metrics: Sequence[QueueMetric]) -> None:
        rows = [(company_id, m.timestamp, m.queue, m.average_waiting_time, m.queue_length) for m in metrics]
        self._write("INSERT INTO queue_metrics VALUES (?, ?, ?, ?, ?)", rows)

    def metric_keys(self, company_id: str, worker_ids: Sequence[str] | None) -> dict[str, list[str]]:
        where, params = _in("worker", worker_ids)
        rows = self._read(
            f"SELECT DISTINCT category, metric FROM worker_stats WHERE company = ?{where} ORDER BY category, metric",
            [company_id, *params],
        )
        keys: dict[str, list[str]] = {}
        for category, metric in rows:
            keys.setdefault(category, []).append(metric)
        return keys

    def worker_stats(
        self, company_id: str, span: TimeRange, metrics: Sequence[str], workers: Sequence[str] | None, split: bool
    ) -> list[StatBucket]:
        metric_in, metric_params = _in("metric", metrics)
        worker_in, worker_params = _in("worker", workers)
        variant = "variant" if split else "NULL"
        rows = self._read(
            f"SELECT worker, metric, {variant}, timestamp - timestamp % ? AS bucket,"
            " COUNT(*), AVG(value), MIN(value), MAX(value)"
            " FROM worker_stats WHERE company = ? AND timestamp BETWEEN ? AND ?"
            f"{metric_in}{worker_in} GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4",
            [span.interval_ms, company_id, span.from_ms, span.to_ms, *metric_params, *worker_params],
        )
        return [StatBucket(*row) for row in rows]

    def worker_activity(self, company_id: str, span: TimeRange, active_only: bool) -> list[tuple[int, int]]:
        active = " AND task IS NOT NULL" if active_only else ""
        rows = self._read(
            "SELECT timestamp - timestamp % ? AS bucket, COUNT(DISTINCT worker) FROM worker_stats"
            f" WHERE company = ? AND timestamp BETWEEN ? AND ?{active} GROUP BY 1 ORDER BY 1",
            [span.interval_ms, company_id, span.from_ms, span.to_ms],
        )
        return [(int(date), int(count)) for date, count in rows]

    def queue_metrics(self, company_id: str, span: TimeRange, queue_ids: Sequence[str] | None) -> list[QueueBucket]:
        queue_in, queue_params = _in("queue", queue_ids)
        rows = self._read(
            "SELECT bucket, queue, average_waiting_time, queue_length FROM ("
            " SELECT timestamp - timestamp % ? AS bucket, queue, average_waiting_time, queue_length,"
            " ROW_NUMBER() OVER (PARTITION BY timestamp - timestamp % ?, queue"
            " ORDER BY average_waiting_time DESC, queue_length DESC) AS rank"
            " FROM queue_metrics WHERE company = ? AND timestamp BETWEEN ? AND ?"
            f"{queue_in}) WHERE rank = 1 ORDER BY bucket, queue",
            [span.interval_ms, span.interval_ms, company_id, span.from_ms, span.to_ms, *queue_params],
        )
        return [QueueBucket(int(b), q, float(w), int(n)) for b, q, w, n in rows]

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
