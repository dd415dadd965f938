"""The embedded event store: one SQLite database (WAL) in the data directory.

One table holds every event; the company and type columns play the part of the
reference's ``events-<type>-<company>`` indices. Scalar values are kept twice: the
document as sent, and a ``value`` column rounded to 32-bit float as an ES ``float``
field holds it, so aggregations give the same numbers on both stores.
"""

from __future__ import annotations

import heapq
import itertools
import json
import os
import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from . import sqlite_scalars, sqlite_series
from .base import (
    MAX_SIZE,
    EventPage,
    EventQuery,
    EventStore,
    HistogramRequest,
    HistogramResult,
    IterationsQuery,
    LatestValue,
    LogCut,
    Points,
    PointsQuery,
    SeriesInfo,
    as_float32,
    event_id,
    point_id,
    take_id,
)
from .sqlite_columns import SeriesColumns
from .sqlite_scalars import write_time

_SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    company TEXT NOT NULL,
    type TEXT NOT NULL,
    id TEXT NOT NULL,
    task TEXT NOT NULL,
    iter INTEGER,
    metric TEXT NOT NULL DEFAULT '',
    variant TEXT NOT NULL DEFAULT '',
    timestamp INTEGER NOT NULL,
    wtime INTEGER NOT NULL DEFAULT 0,
    value REAL,
    doc TEXT NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS events_id ON events (company, type, id);
-- covering the series statistics and the histograms (no table lookups)
CREATE INDEX IF NOT EXISTS events_series ON events (company, type, task, metric, variant, iter, timestamp, value);
-- timestamp order with the id tie-breaker: log pages read 500 entries, not the whole log
CREATE INDEX IF NOT EXISTS events_time ON events (company, type, task, timestamp, id);
"""

# Parallel per-series reads of one histogram (the reference uses 4 as well).
_READ_THREADS = 4
# Commits between two checkpoints of the WAL into the database file. The checkpoint (and
# its fsync) runs on a thread of its own, not in the request that commits: SQLite's
# automatic checkpoint cost each ingest request several milliseconds.
_CHECKPOINT_EVERY = 16
# WAL size (bytes) beyond which the checkpointer makes the WAL start over, and to which
# SQLite truncates the file then (journal_size_limit).
_WAL_LIMIT = 64 * 1024 * 1024
# Page cache of each connection (KiB; SQLite's default is 2 MiB).
_CACHE_KIB = 16384
_dumps = json.JSONEncoder(separators=(",", ":")).encode
_COLUMNS = {"timestamp": "timestamp", "iter": "iter", "metric": "metric", "variant": "variant", "id": "id"}


def _row(company_id: str, event: dict[str, Any]) -> tuple[Any, ...]:
    event_id = take_id(event)  # the store consumes the dicts (documented in EventStore.add)
    value = event.get("value") if event["type"] == "training_stats_scalar" else None
    iteration = event.get("iter")
    return (
        company_id,
        event["type"],
        event_id,
        event["task"],
        iteration if isinstance(iteration, int) else None,
        event.get("metric", ""),
        event.get("variant", ""),
        int(event["timestamp"]),
        write_time(event.get("@timestamp")),
        as_float32(value) if isinstance(value, int | float) else None,
        _dumps(event),
    )


# Points of series kept in memory as columns (16 bytes each: ~64 MB at most), see sqlite_columns.
_COLUMN_POINTS = 4_000_000
# Bucketed points kept by the histogram cache (about 120 bytes each: ~120 MB at most).
_HISTOGRAM_CACHE_POINTS = 1_000_000


class _HistogramCache:
    """Bucketed series, least recently used first out. Keys hold the series' ``gen``
    (changed by every write to it), so an entry is never stale: it is simply not found."""

    def __init__(self, max_points: int) -> None:
        self.max_points = max_points
        self._entries: OrderedDict[tuple[Any, ...], list[tuple[int, float]]] = OrderedDict()
        self._points = 0
        self._lock = threading.Lock()

    def get(self, key: tuple[Any, ...]) -> list[tuple[int, float]] | None:
        if key[-1] is None:
            return None
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
            return found

    def put(self, key: tuple[Any, ...], points: list[tuple[int, float]]) -> None:
        if key[-1] is None or len(points) > self.max_points:
            return
        with self._lock:
            old = self._entries.pop(key, None)
            self._points += len(points) - (len(old) if old is not None else 0)
            self._entries[key] = points
            while self._points > self.max_points:
                _, dropped = self._entries.popitem(last=False)
                self._points -= len(dropped)


class _Checkpointer:
    """Copies the WAL into the database file every ``_CHECKPOINT_EVERY`` commits, on its
    own thread and connection (PASSIVE: it never blocks readers or the writer), and once
    more at ``stop``. Durability is that of ``synchronous=NORMAL`` with automatic
    checkpoints: a commit is in the WAL, the checkpoint syncs the database file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._commits = 0
        self._wake = threading.Condition()
        self._stopping = False
        self._thread: threading.Thread | None = None

    def committed(self) -> None:
        with self._wake:
            self._commits += 1
            if self._commits < _CHECKPOINT_EVERY or self._stopping:
                return
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="events-checkpoint", daemon=True)
                self._thread.start()
            self._wake.notify()

    def _run(self) -> None:
        conn = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
        try:
            while True:
                with self._wake:
                    while self._commits < _CHECKPOINT_EVERY and not self._stopping:
                        self._wake.wait()
                    stopping, self._commits = self._stopping, 0
                conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
                if stopping or self._wal_size() > _WAL_LIMIT:
                    # A passive checkpoint racing a busy writer never finishes the WAL, and
                    # the WAL only starts over once one has: this one waits for the writer.
                    conn.execute("PRAGMA wal_checkpoint(RESTART)")
                if stopping:
                    return
        finally:
            conn.close()

    def _wal_size(self) -> int:
        try:
            return os.path.getsize(f"{self.path}-wal")
        except OSError:
            return 0

    def stop(self) -> None:
        with self._wake:
            self._stopping = True
            self._wake.notify()
            thread = self._thread
        if thread is not None:
            thread.join()
        self._thread = None
        with self._wake:
            self._stopping = False


class _Where:
    """Builds a WHERE clause and its parameters."""

    def __init__(self, company_id: str) -> None:
        self.parts = ["company = ?"]
        self.params: list[Any] = [company_id]

    def add(self, sql: str, *params: Any) -> None:
        self.parts.append(sql)
        self.params.extend(params)

    def one_of(self, column: str, values: Sequence[Any]) -> None:
        self.add(f"{column} IN ({','.join('?' * len(values))})", *values)

    @property
    def sql(self) -> str:
        return " AND ".join(self.parts)


class SqliteEventStore(EventStore):
    def __init__(self, path: Path, column_points: int = _COLUMN_POINTS) -> None:
        self.path = path
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self._executor: ThreadPoolExecutor | None = None
        self._checkpointer = _Checkpointer(path)
        self._histograms = _HistogramCache(_HISTOGRAM_CACHE_POINTS)
        self._series_ids = sqlite_scalars.SeriesIds()
        self._columns = SeriesColumns(column_points)
        self._loader: ThreadPoolExecutor | None = None
        self._loading: set[int] = set()
        conn = self._conn()
        conn.executescript(_SCHEMA)
        conn.executescript(sqlite_scalars.SCHEMA)
        sqlite_scalars.ensure_view(conn)
        sqlite_series.upgrade(conn)
        conn.executescript(sqlite_series.SCHEMA)
        with self._tx() as tx:
            sqlite_series.rebuild_if_missing(tx)

    # --- connections -------------------------------------------------------------------

    def _conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA wal_autocheckpoint=0")  # see _Checkpointer
            # index pages of a growing store stay in memory: 15-20% less CPU per ingested event
            conn.execute(f"PRAGMA cache_size=-{_CACHE_KIB}")
            conn.execute(f"PRAGMA journal_size_limit={_WAL_LIMIT}")
            self._local.conn = conn
            with self._lock:
                self._connections.append(conn)
        return conn

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        conn = self._conn()
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
        self._checkpointer.committed()

    def _pool(self) -> ThreadPoolExecutor:
        with self._lock:
            if self._executor is None:
                self._executor = ThreadPoolExecutor(_READ_THREADS, thread_name_prefix="events-read")
            return self._executor

    def close(self) -> None:
        if self._loader is not None:
            self._loader.shutdown(wait=True, cancel_futures=True)
            self._loader = None
        self._checkpointer.stop()
        if self._executor is not None:
            self._executor.shutdown(wait=True)
            self._executor = None
        with self._lock:
            for conn in self._connections:
                try:
                    conn.close()
                except sqlite3.Error:
                    pass
            self._connections.clear()
        self._local = threading.local()

    # --- writes ------------------------------------------------------------------------

    def add(self, company_id: str, events: Sequence[dict[str, Any]]) -> int:
        fitting = [sqlite_scalars.fits(e) for e in events]
        kept: Sequence[int] = range(len(events))
        if any(fitting) and not all(fitting):  # one point sent in both shapes in one batch: the later one
            keys = [(e["type"], event_id(e)) for e in events]
            last = {key: i for i, key in enumerate(keys)}
            kept = [i for i in kept if last[keys[i]] == i]
        narrow = [events[i] for i in kept if fitting[i]]
        wide = [events[i] for i in kept if not fitting[i]]
        learned: dict[tuple[str, str, str, str], int] = {}
        try:
            with self._tx() as conn:
                learned = self._add(conn, company_id, narrow, wide)
                # remembered inside the transaction: a task deleted right after the commit
                # must find its series ids to forget (writers are serialised by SQLite)
                self._series_ids.remember(learned)
        except BaseException:
            self._series_ids.forget_keys(learned)
            raise
        return len(events)

    def _add(
        self, conn: sqlite3.Connection, company_id: str, narrow: list[dict[str, Any]], wide: list[dict[str, Any]]
    ) -> dict[tuple[str, str, str, str], int]:
        """Write a batch in the caller's transaction; returns the series ids it learned."""
        replaced, touched = sqlite_scalars.drop_overwritten(conn, company_id, self._series_ids, wide)
        self._columns.drop(touched)  # their columns hold the points just moved out
        rows = [_row(company_id, e) for e in wide]
        summary = sqlite_series.summarise(sqlite_series.wide_points(conn, company_id, rows, replaced))
        learned: dict[tuple[str, str, str, str], int] = {}
        gen = sqlite_series.next_generation()
        if narrow:
            in_events = self._wide_scalars_replaced(conn, company_id, narrow)
            batch = sqlite_scalars.Batch(narrow, in_events, gen, self._columns)
            narrow_summary, learned = sqlite_scalars.write(conn, company_id, batch, self._series_ids)
            for key, entry in narrow_summary.items():
                sqlite_series.merge(summary, key, entry)
        sqlite_series.record(conn, company_id, summary, gen)
        conn.executemany(
            "INSERT OR REPLACE INTO events "
            "(company, type, id, task, iter, metric, variant, timestamp, wtime, value, doc) "
            "VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            rows,
        )
        return learned

    @staticmethod
    def _wide_scalars_replaced(conn: sqlite3.Connection, company_id: str, events: Sequence[dict[str, Any]]) -> set[str]:
        """Delete the ``events`` rows of scalar events now written as narrow rows (a task
        whose scalars were once kept there); returns their ids."""
        tasks = {e["task"] for e in events}
        held = [
            t
            for t in tasks
            if conn.execute(
                "SELECT 1 FROM events WHERE company = ? AND type = ? AND task = ? LIMIT 1",
                (company_id, sqlite_scalars.SCALAR, t),
            ).fetchone()
        ]
        if not held:
            return set()
        pairs = [(sqlite_scalars.SCALAR, point_id(e)) for e in events if e["task"] in held]
        found = {event_id for _, event_id in sqlite_series.existing_ids(conn, company_id, pairs)}
        ids = sorted(found)
        for start in range(0, len(ids), 900):
            chunk = ids[start : start + 900]
            conn.execute(
                f"DELETE FROM events WHERE company = ? AND type = ? AND id IN ({','.join('?' * len(chunk))})",
                [company_id, sqlite_scalars.SCALAR, *chunk],
            )
        return found

    def delete_tasks(self, company_id: str, task_ids: Sequence[str]) -> int:
        if not task_ids:
            return 0
        where = _Where(company_id)
        where.one_of("task", list(task_ids))
        with self._tx() as conn:
            conn.execute(f"DELETE FROM series WHERE {where.sql}", where.params)
            sids = sqlite_scalars.series_of(conn, company_id, list(task_ids))
            narrow = sqlite_scalars.delete_tasks(conn, company_id, list(task_ids))
            self._columns.drop(sids)
            self._series_ids.forget(company_id, list(task_ids))
            return narrow + conn.execute(f"DELETE FROM events WHERE {where.sql}", where.params).rowcount

    def delete_log_lines(self, company_id: str, cut: LogCut) -> int:
        where = _Where(company_id)
        where.add("type = ?", _LOG)
        where.add("task = ?", cut.task)
        summary = _Where(company_id)
        summary.add("type = ?", _LOG)
        summary.add("task = ?", cut.task)
        if cut.before_ms is not None:
            where.add("timestamp < ?", cut.before_ms)
        if cut.include_metrics:
            where.one_of("metric", list(cut.include_metrics))
        if cut.exclude_metrics:
            excluded = list(cut.exclude_metrics)
            where.add(f"metric NOT IN ({','.join('?' * len(excluded))})", *excluded)
        with self._tx() as conn:  # log lines live in the general table only
            deleted = int(conn.execute(f"DELETE FROM events WHERE {where.sql}", where.params).rowcount)
            if deleted:  # the task's log summary, counted again from what is left
                conn.execute(f"DELETE FROM series WHERE {summary.sql}", summary.params)
                conn.execute(
                    "INSERT INTO series SELECT company, type, task, metric, variant, count(iter), count(*), min(iter), "
                    f"max(iter), min(timestamp), max(timestamp), ? FROM events WHERE {summary.sql} "
                    "GROUP BY company, type, task, metric, variant",
                    (sqlite_series.next_generation(), *summary.params),
                )
            return deleted

    # --- reads -------------------------------------------------------------------------

    def _where(self, company_id: str, q: EventQuery) -> _Where:
        where = _Where(company_id)
        if q.event_type:
            where.add("type = ?", q.event_type)
        where.one_of("task", list(q.tasks))
        if q.metrics is not None:
            where.one_of("metric", list(q.metrics))
        if q.variants is not None:
            where.one_of("variant", list(q.variants))
        if q.iters is not None:
            where.one_of("iter", list(q.iters))
        if q.series is not None:
            pairs = " OR ".join("(metric = ? AND variant = ?)" for _ in q.series)
            where.add(f"({pairs or '0'})", *(v for pair in q.series for v in pair))
        if q.urls is not None:
            where.add(f"json_extract(doc, '$.url') IN ({','.join('?' * len(q.urls))})", *q.urls)
        if q.metric_variants is not None:
            where.add(*_metric_variants_clause(q.metric_variants))
        bounds: list[tuple[str, str, int | None]] = [("iter", "<", q.iter_lt), ("iter", ">", q.iter_gt)]
        bounds += [("timestamp", "<", q.ts_lt), ("timestamp", ">", q.ts_gt), ("timestamp", "=", q.ts_eq)]
        for column, op, value in bounds:
            if value is not None:
                where.add(f"{column} {op} ?", value)
        return where

    def search(self, company_id: str, query: EventQuery) -> EventPage:
        if not query.tasks:
            return EventPage([], 0)
        where = self._where(company_id, query)
        conn = self._conn()
        table = _table(query.event_type)
        total = 0
        if query.with_total:
            total = conn.execute(f"SELECT count(*) FROM {table} WHERE {where.sql}", where.params).fetchone()[0]
        columns = [_COLUMNS[f] for f, _ in query.sort]
        if query.after is not None:
            where.add(*_after_clause(query.sort, query.after))
        order = ", ".join(f"{c} {'DESC' if desc else 'ASC'}" for c, (_, desc) in zip(columns, query.sort, strict=True))
        # narrow rows (no doc) are rebuilt from their columns; the events table has none
        narrow_columns = "NULL, NULL" if table == "events" else "raw, worker"
        rows = conn.execute(
            f"SELECT doc, task, metric, variant, iter, timestamp, wtime, {narrow_columns}, "
            f"{', '.join(columns)} FROM {table} WHERE {where.sql} ORDER BY {order} LIMIT ?",
            [*where.params, min(query.size, MAX_SIZE)],
        ).fetchall()
        narrow = sqlite_scalars.document
        events = [json.loads(r[0]) if r[0] is not None else narrow(r[1], r[2], r[3], r[4:9]) for r in rows]
        return EventPage(events, total, list(rows[-1][9:]) if rows else None)

    def scalar_points(self, company_id: str, query: PointsQuery) -> Points:
        """From the narrow table, series by series along its primary key (by iteration) or
        by a bounded sort (by timestamp); the general path when the metric has points in
        the general table (sent with extra fields)."""
        conn = self._conn()
        if conn.execute(
            "SELECT 1 FROM events WHERE company = ? AND type = ? AND task = ? AND metric = ? LIMIT 1",
            (company_id, sqlite_scalars.SCALAR, query.task, query.metric),
        ).fetchone():
            return super().scalar_points(company_id, query)
        return sqlite_scalars.points(conn, company_id, query)

    def count(self, company_id: str, event_type: str | None, tasks: Sequence[str]) -> int:
        return sqlite_series.count(self._conn(), company_id, event_type, tasks) if tasks else 0

    def series(
        self, company_id: str, event_type: str, tasks: Sequence[str], metrics: Sequence[str] | None = None
    ) -> list[SeriesInfo]:
        if not tasks:
            return []
        where = _Where(company_id)
        where.add("type = ?", event_type)
        where.one_of("task", list(tasks))
        if metrics is not None:
            where.one_of("metric", list(metrics))
        rows = (
            self._conn()
            .execute(
                "SELECT task, metric, variant, count, coalesce(min_iter, 0), coalesce(max_iter, 0), min_ts, max_ts "
                f"FROM series WHERE {where.sql} ORDER BY task, metric, variant",
                where.params,
            )
            .fetchall()
        )
        return [SeriesInfo(*r) for r in rows]

    def histogram(self, company_id: str, request: HistogramRequest) -> HistogramResult:
        if not request.series:
            return {}
        column = "iter" if request.field == "iter" else "timestamp"
        interval = max(1, int(request.interval))
        # the series' points in both tables (the view would compute every column per row)
        sql = (
            f"SELECT ({column} - ({column} % ?5) - (CASE WHEN {column} % ?5 < 0 THEN ?5 ELSE 0 END)) AS k, avg(value) "
            f"FROM (SELECT p.{column} AS {column}, p.value AS value"
            " FROM scalar_series s JOIN scalars p ON p.sid = s.sid"
            "  WHERE s.company = ?1 AND s.task = ?2 AND s.metric = ?3 AND s.variant = ?4"
            f" UNION ALL SELECT {column}, value FROM events WHERE company = ?1 AND type = 'training_stats_scalar'"
            f"  AND task = ?2 AND metric = ?3 AND variant = ?4 AND {column} IS NOT NULL AND value IS NOT NULL) "
            "GROUP BY k ORDER BY k"
        )
        summaries = self._summaries(company_id, request.series)
        result: HistogramResult = {}
        queried: list[tuple[str, str, str]] = []
        for series in request.series:
            gen, count, sid = summaries.get(series, (None, 0, None))
            found = self._histograms.get((company_id, *series, column, interval, gen))
            if found is None and column == "iter" and sid is not None and gen is not None:
                found = self._columns.buckets(sid, gen, count, interval)  # held in memory: no scan
                if found is not None:
                    self._histograms.put((company_id, *series, column, interval, gen), found)
            if found is None:
                queried.append(series)
            elif found:
                result[series] = list(found)

        def one(series: tuple[str, str, str]) -> list[tuple[int, float]]:
            gen, count, sid = summaries.get(series, (None, 0, None))
            rows = self._conn().execute(sql, (company_id, *series, interval)).fetchall()
            found = [(int(k), float(v)) for k, v in rows]
            self._histograms.put((company_id, *series, column, interval, gen), found)
            if column == "iter" and sid is not None and gen is not None:
                self._load_later(sid, count)
            return found

        # sqlite3 releases the GIL while a query runs: series are bucketed in parallel
        points = self._pool().map(one, queried) if len(queried) > 1 else map(one, queried)
        result.update({series: found for series, found in zip(queried, points, strict=True) if found})
        return {series: result[series] for series in request.series if series in result}

    def _load_later(self, sid: int, count: int) -> None:
        """Have a series that SQL had to bucket read into columns, on a thread of the
        store (reading costs about two SQL bucketings; the next histogram after a write
        then needs none). Series too large to keep are left to SQL."""
        if not 0 < count <= self._columns.max_points // 8 or self._columns.has(sid):
            return
        with self._lock:
            if sid in self._loading:
                return
            self._loading.add(sid)
            if self._loader is None:
                self._loader = ThreadPoolExecutor(1, thread_name_prefix="events-columns")
            self._loader.submit(self._load_columns, sid)

    def _load_columns(self, sid: int) -> None:
        """Read a series' points into columns, in one snapshot with its summary row (an
        entry of a gen a write has passed since is never used, see sqlite_columns)."""
        try:
            self._read_columns(sid)
        finally:
            with self._lock:
                self._loading.discard(sid)

    def _read_columns(self, sid: int) -> None:
        conn = self._conn()
        conn.execute("BEGIN")
        try:
            summary = conn.execute(
                "SELECT g.gen, g.count FROM scalar_series s JOIN series g ON g.company = s.company"
                " AND g.task = s.task AND g.metric = s.metric AND g.variant = s.variant"
                " AND g.type = 'training_stats_scalar' WHERE s.sid = ?",
                (sid,),
            ).fetchone()
            rows = conn.execute("SELECT iter, value FROM scalars WHERE sid = ? ORDER BY iter", (sid,)).fetchall()
        finally:
            conn.execute("COMMIT")
        if summary is None or len(rows) != summary[1]:
            return  # gone, or with points in the events table: SQL answers
        self._columns.start(sid, summary[0], [r[0] for r in rows], [r[1] for r in rows])

    def _summaries(
        self, company_id: str, series: Sequence[tuple[str, str, str]]
    ) -> dict[tuple[str, str, str], tuple[int, int, int | None]]:
        """(gen, count, narrow series id or None) of each scalar series; a write to a
        series changes its ``gen``."""
        tasks = sorted({task for task, _, _ in series})
        rows = self._conn().execute(
            "SELECT g.task, g.metric, g.variant, g.gen, g.count, s.sid FROM series g LEFT JOIN scalar_series s"
            " ON s.company = g.company AND s.task = g.task AND s.metric = g.metric AND s.variant = g.variant"
            f" WHERE g.company = ? AND g.type = 'training_stats_scalar' AND g.task IN ({','.join('?' * len(tasks))})",
            [company_id, *tasks],
        )
        return {(t, m, v): (g, c, s) for t, m, v, g, c, s in rows}

    def iterations(self, company_id: str, query: IterationsQuery) -> list[int]:
        q = query
        where = _Where(company_id)
        where.add("type = ?", q.event_type)
        where.add("task = ?", q.task)
        where.add("iter IS NOT NULL")
        if q.metric is not None:
            where.add("metric = ?", q.metric)
        if q.variant is not None:
            where.add("variant = ?", q.variant)
        if q.below is not None:
            where.add("iter < ?", q.below)
        if q.above is not None:
            where.add("iter > ?", q.above)
        limit = max(0, min(q.limit, MAX_SIZE))
        order = "DESC" if q.descending else "ASC"
        conn = self._conn()
        rows = conn.execute(
            f"SELECT DISTINCT iter FROM events WHERE {where.sql} ORDER BY iter {order} LIMIT ?", [*where.params, limit]
        )
        found = [r[0] for r in rows]
        if q.event_type != sqlite_scalars.SCALAR:
            return found
        # each narrow series in iteration order (its key), merged
        per_series = sqlite_scalars.iterations(conn, company_id, q, limit)
        merged = heapq.merge(found, *per_series, reverse=q.descending)
        return list(itertools.islice((i for i, _ in itertools.groupby(merged)), limit))

    def latest_values(self, company_id: str, task: str) -> list[LatestValue]:
        """Per series, the value of the newest (iter, timestamp, id) positive point and the
        newest write time of a positive point."""
        conn = self._conn()
        newest: dict[tuple[str, str], tuple[tuple[Any, ...], Any, int]] = {}
        for metric, variant, value, wmax, order in sqlite_scalars.latest(conn, company_id, task):
            newest[(metric, variant)] = (order, value, wmax)
        wide = conn.execute(
            "SELECT metric, variant, value, wmax, iter, timestamp, id FROM ("
            " SELECT metric, variant, json_extract(doc, '$.value') AS value, iter, timestamp, id,"
            "  max(wtime) OVER (PARTITION BY metric, variant) AS wmax,"
            "  row_number() OVER (PARTITION BY metric, variant ORDER BY iter DESC, timestamp DESC, id DESC) AS rn"
            " FROM events WHERE company = ? AND type = 'training_stats_scalar' AND task = ? AND value > 0"
            ") WHERE rn = 1",
            (company_id, task),
        )
        for metric, variant, value, wmax, *order in wide:
            found = newest.get((metric, variant))
            if found is None:
                newest[(metric, variant)] = (_order_key(*order), value, wmax)
                continue
            key = _order_key(*order)
            narrow_key = (
                *found[0][:2],
                point_id({"task": task, "iter": found[0][0], "metric": metric, "variant": variant}),
            )
            better = (key, value) if key > narrow_key else (found[0], found[1])
            newest[(metric, variant)] = (*better, max(wmax, found[2]))
        return [
            LatestValue(task, metric, variant, as_float32(value), wmax)
            for (metric, variant), (_, value, wmax) in sorted(newest.items())
        ]


def _order_key(iteration: int | None, timestamp: int, event_id: str) -> tuple[Any, ...]:
    """(iter, timestamp, id) comparable, a missing iteration lowest (as SQLite's DESC puts it last)."""
    return (iteration if iteration is not None else -(2**64), timestamp, event_id)


_LOG = "log"


def _metric_variants_clause(metric_variants: Mapping[str, Sequence[str]]) -> tuple[Any, ...]:
    parts: list[str] = []
    params: list[Any] = []
    for metric, variants in metric_variants.items():
        if variants:
            parts.append(f"(metric = ? AND variant IN ({','.join('?' * len(variants))}))")
            params += [metric, *variants]
        else:
            parts.append("metric = ?")
            params.append(metric)
    return (f"({' OR '.join(parts) or '0'})", *params)


def _table(event_type: str | None) -> str:
    """Where events of a type are: scalars also in the narrow table (see sqlite_scalars)."""
    return "events" if event_type and event_type != sqlite_scalars.SCALAR else "all_events"


def _after_clause(sort: Sequence[tuple[str, bool]], after: Sequence[Any]) -> tuple[Any, ...]:
    """Keyset condition ``(a, b, ...) > (x, y, ...)`` honouring each column's direction and
    SQLite's place for NULL (first ascending, last descending; an event without ``iter``)."""
    ors = []
    params: list[Any] = []
    for i, (name, desc) in enumerate(sort):
        ands = []
        for j in range(i):
            column, value = _COLUMNS[sort[j][0]], after[j]
            ands.append(f"{column} IS NULL" if value is None else f"{column} = ?")
            params.extend(() if value is None else (value,))
        column, value = _COLUMNS[name], after[i]
        if value is None:
            ands.append("0" if desc else f"{column} IS NOT NULL")
        else:
            ands.append(f"({column} < ? OR {column} IS NULL)" if desc else f"{column} > ?")
            params.append(value)
        ors.append("(" + " AND ".join(ands) + ")")
    return ("(" + " OR ".join(ors) + ")", *params)
