"""The embedded statistics store: one SQLite file (WAL) in the data directory.

Two tables mirror the reference's Elasticsearch documents, with the company as a column
instead of in the index name (the month suffix of the ES indices only partitions data,
so it has no counterpart here). Values of ``worker_stats`` are stored rounded to 32
bits, as ES keeps its ``float`` fields, so both stores aggregate the same numbers.

Charts over days of reports would scan millions of rows, so each write also maintains
per-minute and per-hour roll-ups, exact for count/sum/min/max and for "who reported". A
read takes the whole hours of its range from the hourly roll-ups when its interval is a
whole number of hours, the whole minutes left from the minute roll-ups when it is a whole
number of minutes, and only the rest (partial minutes at the edges, or everything for
other intervals) from the raw rows. Metric names are kept per worker in a small table.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from .base import as_float32
from .stats_base import (
    SERVING_FIELDS,
    QueueBucket,
    QueueMetric,
    ServingBucket,
    ServingStat,
    StatBucket,
    StatsStore,
    TimeRange,
    WorkerStat,
)

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
CREATE TABLE IF NOT EXISTS serving_stats (
    company TEXT NOT NULL,
    timestamp INTEGER NOT NULL,
    container_id TEXT NOT NULL,
    endpoint_url TEXT,
    {serving_columns}
);
CREATE INDEX IF NOT EXISTS serving_stats_url ON serving_stats (company, endpoint_url, timestamp);
""".replace("{serving_columns}", ",\n    ".join(f"{name} REAL" for name in SERVING_FIELDS))


MINUTE = 60_000
HOUR = 3_600_000
#: Roll-up levels, coarsest first: (name, length in ms).
LEVELS = (("hour", HOUR), ("minute", MINUTE))

_ROLLUP_SCHEMA = """
CREATE TABLE IF NOT EXISTS worker_stats_{level} (
    company TEXT NOT NULL,
    metric TEXT NOT NULL,
    period INTEGER NOT NULL,
    worker TEXT NOT NULL,
    variant TEXT NOT NULL,
    n INTEGER NOT NULL,
    total REAL NOT NULL,
    low REAL NOT NULL,
    high REAL NOT NULL,
    PRIMARY KEY (company, metric, period, worker, variant)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS worker_activity_{level} (
    company TEXT NOT NULL,
    period INTEGER NOT NULL,
    worker TEXT NOT NULL,
    active INTEGER NOT NULL,
    PRIMARY KEY (company, period, worker)
) WITHOUT ROWID;
"""
_UPSERT_VALUES = (
    "INSERT INTO worker_stats_{level} VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
    " ON CONFLICT (company, metric, period, worker, variant) DO UPDATE SET n = n + excluded.n,"
    " total = total + excluded.total, low = MIN(low, excluded.low), high = MAX(high, excluded.high)"
)
_UPSERT_ACTIVITY = (
    "INSERT INTO worker_activity_{level} VALUES (?, ?, ?, ?)"
    " ON CONFLICT (company, period, worker) DO UPDATE SET active = MAX(active, excluded.active)"
)

Segment = tuple[str | None, int, int]  # (roll-up level or None for raw rows, start, end), [start, end)


def _segments(span: TimeRange) -> list[Segment]:
    """The span cut into pieces each answered by one source: whole periods of a level
    (only when the interval is a whole number of them), raw rows for the rest."""
    pieces: list[Segment] = [(None, span.from_ms, span.to_ms + 1)]
    for level, length in LEVELS:
        if span.interval_ms % length:
            continue
        cut: list[Segment] = []
        for source, start, end in pieces:
            first, last = -(-start // length) * length, end // length * length
            if source is not None or last <= first:
                cut.append((source, start, end))
                continue
            cut += [(None, start, first), (level, first, last), (None, last, end)]
        pieces = [p for p in cut if p[1] < p[2]]
    return pieces


def _rollups(company_id: str, stats: Sequence[WorkerStat], length: int) -> tuple[list[tuple[Any, ...]], ...]:
    """Rows of one level's value and activity roll-ups for a batch of documents."""
    values: dict[tuple[str, int, str, str], list[float]] = {}
    active: dict[tuple[int, str], int] = {}
    for s in stats:
        period = s.timestamp - s.timestamp % length
        value = as_float32(s.value)
        acc = values.setdefault((s.metric, period, s.worker, s.variant), [0, 0.0, value, value])
        acc[0] += 1
        acc[1] += value
        acc[2], acc[3] = min(acc[2], value), max(acc[3], value)
        active[(period, s.worker)] = max(active.get((period, s.worker), 0), int(bool(s.task)))
    return (
        [(company_id, *key, *acc) for key, acc in values.items()],
        [(company_id, period, worker, flag) for (period, worker), flag in active.items()],
    )


def _f32(value: float | None) -> float | None:
    return None if value is None else as_float32(value)


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
        self._conn.executescript(_SCHEMA + "".join(_ROLLUP_SCHEMA.format(level=level) for level, _ in LEVELS))

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
        if len(statements) == 1 and len(statements[0][1]) == 1:  # one row: atomic by itself
            with self._db() as db:
                db.execute(statements[0][0], statements[0][1][0])
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
        rows: list[tuple[Any, ...]] = [
            (company_id, s.timestamp, s.worker, s.task, s.category, s.metric, s.variant, as_float32(s.value), s.company)
            for s in stats
        ]
        keys: list[tuple[Any, ...]] = sorted({(company_id, s.worker, s.category, s.metric) for s in stats})
        statements: list[tuple[str, list[tuple[Any, ...]]]] = [
            ("INSERT INTO worker_stats VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows),
            ("INSERT OR IGNORE INTO worker_metric_keys VALUES (?, ?, ?, ?)", keys),
        ]
        for level, length in LEVELS:
            values, activity = _rollups(company_id, stats, length)
            statements += [
                (_UPSERT_VALUES.format(level=level), values),
                (_UPSERT_ACTIVITY.format(level=level), activity),
            ]
        self._write(*statements)

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
        parts, params = [], []
        for level, start, end in _segments(span):
            if level is None:
                parts.append(
                    "SELECT worker, metric, variant, timestamp - timestamp % ?, 1, value, value, value"
                    f" FROM worker_stats WHERE company = ? AND timestamp >= ? AND timestamp < ?{metric_in}{worker_in}"
                )
            else:
                parts.append(
                    "SELECT worker, metric, variant, period - period % ?, n, total, low, high"
                    f" FROM worker_stats_{level} WHERE company = ? AND period >= ? AND period < ?{metric_in}{worker_in}"
                )
            params += [span.interval_ms, company_id, start, end, *metric_params, *worker_params]
        rows = self._read(
            f"SELECT worker, metric, {'variant' if split else 'NULL'}, bucket, SUM(n), SUM(total) / SUM(n),"
            " MIN(low), MAX(high) FROM (SELECT NULL AS worker, NULL AS metric, NULL AS variant, NULL AS bucket,"
            " NULL AS n, NULL AS total, NULL AS low, NULL AS high WHERE 0"
            f"{''.join(' UNION ALL ' + p for p in parts)}) GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4",
            params,
        )
        return [StatBucket(*row) for row in rows]

    def worker_activity(self, company_id: str, span: TimeRange, active_only: bool) -> list[tuple[int, int]]:
        parts, params = [], []
        for level, start, end in _segments(span):
            if level is None:
                parts.append(
                    "SELECT timestamp - timestamp % ?, worker FROM worker_stats"
                    " WHERE company = ? AND timestamp >= ? AND timestamp < ?"
                    + (" AND task IS NOT NULL" if active_only else "")
                )
            else:
                parts.append(
                    f"SELECT period - period % ?, worker FROM worker_activity_{level}"
                    " WHERE company = ? AND period >= ? AND period < ?" + (" AND active = 1" if active_only else "")
                )
            params += [span.interval_ms, company_id, start, end]
        rows = self._read(
            "SELECT bucket, COUNT(DISTINCT worker) FROM (SELECT NULL AS bucket, NULL AS worker WHERE 0"
            f"{''.join(' UNION ALL ' + p for p in parts)}) GROUP BY 1 ORDER BY 1",
            params,
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

    def add_serving_stats(self, company_id: str, stat: ServingStat) -> None:
        row = (
            company_id,
            stat.timestamp,
            stat.container_id,
            stat.endpoint_url,
            *(_f32(stat.values.get(name)) for name in SERVING_FIELDS),
        )
        marks = ", ".join("?" * len(row))
        self._write((f"INSERT INTO serving_stats VALUES ({marks})", [row]))

    def serving_stats(self, company_id: str, endpoint_url: str, span: TimeRange, field: str) -> list[ServingBucket]:
        if field not in SERVING_FIELDS:
            raise ValueError(f"not a serving statistics field: {field!r}")
        rows = self._read(
            f"SELECT timestamp - timestamp % ? AS bucket, container_id, AVG({field}) FROM serving_stats"
            " WHERE company = ? AND endpoint_url = ? AND timestamp BETWEEN ? AND ?"
            " GROUP BY bucket, container_id ORDER BY bucket, container_id",
            [span.interval_ms, company_id, endpoint_url, span.from_ms, span.to_ms],
        )
        return [ServingBucket(int(date), container, value) for date, container, value in rows]

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
