"""The embedded statistics store: one SQLite file (WAL) in the data directory.

Two tables mirror the reference's Elasticsearch documents, with the company as a column
instead of in the index name (the month suffix of the ES indices only partitions data,
so it has no counterpart here). Values of ``worker_stats`` are stored rounded to 32
bits, as ES keeps its ``float`` fields, so both stores aggregate the same numbers.

Charts over days of reports would scan millions of rows, so each write also maintains
per-minute roll-ups, exact for count/sum/min/max and for "who reported": a read whose
interval is a whole number of minutes takes the whole minutes of its range from the
roll-ups and only the partial minutes at its edges from the raw rows. Metric names are
kept per worker in a small table of their own.
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
CREATE TABLE IF NOT EXISTS worker_stats_minute (
    company TEXT NOT NULL,
    metric TEXT NOT NULL,
    minute INTEGER NOT NULL,
    worker TEXT NOT NULL,
    variant TEXT NOT NULL,
    n INTEGER NOT NULL,
    total REAL NOT NULL,
    low REAL NOT NULL,
    high REAL NOT NULL,
    PRIMARY KEY (company, metric, minute, worker, variant)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS worker_activity_minute (
    company TEXT NOT NULL,
    minute INTEGER NOT NULL,
    worker TEXT NOT NULL,
    active INTEGER NOT NULL,
    PRIMARY KEY (company, minute, worker)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS worker_metric_keys (
    company TEXT NOT NULL,
    worker TEXT NOT NULL,
    category TEXT NOT NULL,
    metric TEXT NOT NULL,
    PRIMARY KEY (company, worker, category, metric)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS queue_metrics (
    company TEXT NOT NULL,
    timestamp INTEGER NOT NULL,
    queue TEXT NOT NULL,
    average_waiting_time REAL NOT NULL,
    queue_length INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS queue_metrics_time ON queue_metrics (company, timestamp);
"""


MINUTE = 60_000

_UPSERT_MINUTE = (
    "INSERT INTO worker_stats_minute VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
    " ON CONFLICT (company, metric, minute, worker, variant) DO UPDATE SET n = n + excluded.n,"
    " total = total + excluded.total, low = MIN(low, excluded.low), high = MAX(high, excluded.high)"
)
_UPSERT_ACTIVITY = (
    "INSERT INTO worker_activity_minute VALUES (?, ?, ?, ?)"
    " ON CONFLICT (company, minute, worker) DO UPDATE SET active = MAX(active, excluded.active)"
)


def _whole_minutes(span: TimeRange) -> tuple[int, int]:
    """[start, end) of the whole minutes inside the span that the roll-ups may answer;
    empty (both ``to_ms + 1``) when the interval is not a whole number of minutes."""
    first = -(-span.from_ms // MINUTE) * MINUTE
    end = (span.to_ms + 1) // MINUTE * MINUTE
    if span.interval_ms % MINUTE or end <= first:
        return span.to_ms + 1, span.to_ms + 1
    return first, end


def _rollups(company_id: str, stats: Sequence[WorkerStat]) -> tuple[list[tuple[Any, ...]], ...]:
    """Rows for the per-minute value, activity and metric-name tables."""
    values: dict[tuple[str, str, int, str], list[float]] = {}
    active: dict[tuple[int, str], int] = {}
    keys = set()
    for s in stats:
        minute = s.timestamp - s.timestamp % MINUTE
        value = as_float32(s.value)
        acc = values.setdefault((s.metric, s.worker, minute, s.variant), [0, 0.0, value, value])
        acc[0] += 1
        acc[1] += value
        acc[2], acc[3] = min(acc[2], value), max(acc[3], value)
        active[(minute, s.worker)] = max(active.get((minute, s.worker), 0), int(bool(s.task)))
        keys.add((company_id, s.worker, s.category, s.metric))
    return (
        [
            (company_id, metric, minute, worker, variant, *acc)
            for (metric, worker, minute, variant), acc in values.items()
        ],
        [(company_id, minute, worker, flag) for (minute, worker), flag in active.items()],
        sorted(keys),
    )


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

    def _write(self, *statements: tuple[str, list[tuple[Any, ...]]]) -> None:
        """Run ``(sql, rows)`` statements in one transaction."""
        if not any(rows for _, rows in statements):
            return
        with self._db() as db:
            db.execute("BEGIN")
            try:
                for sql, rows in statements:
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
        minutes, activity, keys = _rollups(company_id, stats)
        self._write(
            ("INSERT INTO worker_stats VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows),
            (_UPSERT_MINUTE, minutes),
            (_UPSERT_ACTIVITY, activity),
            ("INSERT OR IGNORE INTO worker_metric_keys VALUES (?, ?, ?, ?)", keys),
        )

    def add_queue_metrics(self, company_id: str, metrics: Sequence[QueueMetric]) -> None:
        rows = [(company_id, m.timestamp, m.queue, m.average_waiting_time, m.queue_length) for m in metrics]
        self._write(("INSERT INTO queue_metrics VALUES (?, ?, ?, ?, ?)", rows))

    def metric_keys(self, company_id: str, worker_ids: Sequence[str] | None) -> dict[str, list[str]]:
        where, params = _in("worker", worker_ids)
        rows = self._read(
            f"SELECT DISTINCT category, metric FROM worker_metric_keys WHERE company = ?{where}"
            " ORDER BY category, metric",
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
        first, end = _whole_minutes(span)
        where = f"{metric_in}{worker_in}"
        raw = (
            "SELECT worker, metric, variant, timestamp - timestamp % ? AS bucket, 1, value, value, value"
            f" FROM worker_stats WHERE company = ? AND timestamp >= ? AND timestamp <= ?{where}"
        )
        rows = self._read(
            f"SELECT worker, metric, {'variant' if split else 'NULL'}, bucket, SUM(n), SUM(total) / SUM(n),"
            " MIN(low), MAX(high) FROM ("
            " SELECT worker, metric, variant, minute - minute % ? AS bucket, n, total, low, high"
            f" FROM worker_stats_minute WHERE company = ? AND minute >= ? AND minute < ?{where}"
            f" UNION ALL {raw} UNION ALL {raw}) GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4",
            [
                *(span.interval_ms, company_id, first, end, *metric_params, *worker_params),
                *(span.interval_ms, company_id, span.from_ms, first - 1, *metric_params, *worker_params),
                *(span.interval_ms, company_id, end, span.to_ms, *metric_params, *worker_params),
            ],
        )
        return [StatBucket(*row) for row in rows]

    def worker_activity(self, company_id: str, span: TimeRange, active_only: bool) -> list[tuple[int, int]]:
        first, end = _whole_minutes(span)
        raw = (
            "SELECT timestamp - timestamp % ? AS bucket, worker FROM worker_stats"
            f" WHERE company = ? AND timestamp >= ? AND timestamp <= ?{' AND task IS NOT NULL' if active_only else ''}"
        )
        rows = self._read(
            "SELECT bucket, COUNT(DISTINCT worker) FROM ("
            " SELECT minute - minute % ? AS bucket, worker FROM worker_activity_minute"
            f" WHERE company = ? AND minute >= ? AND minute < ?{' AND active = 1' if active_only else ''}"
            f" UNION ALL {raw} UNION ALL {raw}) GROUP BY 1 ORDER BY 1",
            [
                *(span.interval_ms, company_id, first, end),
                *(span.interval_ms, company_id, span.from_ms, first - 1),
                *(span.interval_ms, company_id, end, span.to_ms),
            ],
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
