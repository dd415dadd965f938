"""The narrow scalar table of the SQLite event store.

Scalar events are by far the most numerous (an SDK reports one per metric, variant and
iteration) and, as clients send them, all alike: task, iteration, metric, variant,
value, timestamps and worker. Those are kept one row each in ``scalars``, keyed by an
integer series id (``scalar_series``: company, task, metric, variant) and the
iteration, in one B-tree with no secondary index: about 60 bytes a point instead of
~800 in the general ``events`` table with its JSON copy and three text-keyed indexes.
A scalar event with anything else (another field, no iteration, a non-numeric value
kind) stays in ``events``; the view ``all_events`` reads both as one table.

The view gives a narrow row the id "#<sid>:<iter>", unique per row and made by SQLite
without a call into Python; ids only break ties in sort orders. (The ES document id of the
same point is the md5 of "<task>-<iter>-<metric>-<variant>", a text two series can share —
metric "a-b" with variant "c", metric "a" with variant "b-c" — so ES, like the reference,
keeps one document for both points where the narrow table keeps two.)

``raw`` holds the value as sent (the column has no type affinity: an integer stays an
integer), ``value`` the 32-bit float an ES ``float`` field would keep, for aggregations.
"""

from __future__ import annotations

import threading
from array import array
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from itertools import repeat
from typing import Any

from .base import IterationsQuery, Points, PointsQuery, as_float32, iso_ms, point_id
from .gc_pause import gc_paused
from .sqlite_columns import SeriesColumns
from .sqlite_series import Summary

SCALAR = "training_stats_scalar"

SCHEMA = """
CREATE TABLE IF NOT EXISTS scalar_series (
    sid INTEGER PRIMARY KEY AUTOINCREMENT,  -- never reused: in-memory state is keyed by it
    company TEXT NOT NULL,
    task TEXT NOT NULL,
    metric TEXT NOT NULL,
    variant TEXT NOT NULL,
    UNIQUE (company, task, metric, variant)
);
CREATE TABLE IF NOT EXISTS scalars (
    sid INTEGER NOT NULL,
    iter INTEGER NOT NULL,
    timestamp INTEGER NOT NULL,
    wtime INTEGER NOT NULL,
    value REAL NOT NULL,
    raw NOT NULL,
    worker TEXT NOT NULL,
    PRIMARY KEY (sid, iter)
) WITHOUT ROWID;
"""

VIEW = """
CREATE VIEW all_events AS
    SELECT company, type, id, task, iter, metric, variant, timestamp, wtime, value, doc,
        NULL AS raw, NULL AS worker
    FROM events
    UNION ALL
    SELECT s.company, 'training_stats_scalar', '#' || p.sid || ':' || p.iter,
        s.task, p.iter, s.metric, s.variant, p.timestamp, p.wtime, p.value, NULL, p.raw, p.worker
    FROM scalar_series s JOIN scalars p ON p.sid = s.sid
"""


def ensure_view(conn: Any) -> None:
    """Create ``all_events``, or replace one of an earlier definition (in a transaction:
    a reader on another connection never finds it missing)."""
    sql = VIEW.strip()

    def current() -> Any:
        row = conn.execute("SELECT sql FROM sqlite_master WHERE type = 'view' AND name = 'all_events'").fetchone()
        return row[0] if row else None

    if current() == sql:
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        if current() != sql:
            conn.execute("DROP VIEW IF EXISTS all_events")
            conn.execute(sql)
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


#: The fields of a scalar event as the business layer hands it over when it fits a
#: narrow row.
_NARROW_KEYS = frozenset(("type", "task", "iter", "metric", "variant", "value", "timestamp", "@timestamp", "worker"))

_INT64 = 2**63

#: (task, metric, variant)
SeriesKey = tuple[str, str, str]


@lru_cache(maxsize=64)
def write_time(text: Any) -> int:
    """``@timestamp`` (ISO, ms) as epoch ms; every event of one batch shares it."""
    if not isinstance(text, str):
        return 0
    try:
        return int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() * 1000)
    except ValueError:
        return 0


def float32s(values: list[Any]) -> list[float]:
    """The values as 32-bit floats keep them (all within the float32 range: checked on
    the way in; beyond it, infinite as ES would make them)."""
    try:
        return array("f", values).tolist()
    except OverflowError:
        return [as_float32(v) for v in values]


def fits(event: dict[str, Any]) -> bool:
    """Whether a normalised event is kept as a narrow scalar row."""
    return (
        event["type"] == SCALAR
        and event.keys() == _NARROW_KEYS
        and type(event["iter"]) is int
        and (type(event["value"]) is float or (type(event["value"]) is int and -_INT64 <= event["value"] < _INT64))
        and type(event["worker"]) is str
    )


def document(task: str, metric: str, variant: str, row: Sequence[Any]) -> dict[str, Any]:
    """The event document of a narrow row: ``row`` is (iter, timestamp, wtime, raw, worker)."""
    iteration, timestamp, wtime, raw, worker = row
    return {
        "timestamp": timestamp,
        "type": SCALAR,
        "task": task,
        "iter": iteration,
        "metric": metric,
        "variant": variant,
        "value": raw,
        "@timestamp": iso_ms(wtime),
        "worker": worker,
    }


class SeriesIds:
    """(company, task, metric, variant) → ``scalar_series.sid``, remembered in memory.

    Ids found or made by a write are remembered at the end of its transaction
    (``remember``; ``forget_keys`` if the commit then fails), so a rolled-back id is never
    handed out; ``forget`` runs inside the transaction deleting the series. Writers are
    serialised by SQLite's write lock. At most ``max_entries`` are kept (least recently
    used first out; a forgotten one is read again)."""

    def __init__(self, max_entries: int = 100_000) -> None:
        self.max_entries = max_entries
        self._ids: OrderedDict[tuple[str, str, str, str], int] = OrderedDict()
        self._lock = threading.Lock()

    def resolve(
        self, conn: Any, company_id: str, keys: Iterable[SeriesKey], *, create: bool = True
    ) -> tuple[dict[SeriesKey, int], dict[tuple[str, str, str, str], int], set[int]]:
        """The ids of ``keys`` (made when missing unless ``create`` is false: then
        absent ones are left out), those not yet remembered, and those made now."""
        found: dict[SeriesKey, int] = {}
        learned: dict[tuple[str, str, str, str], int] = {}
        made: set[int] = set()
        for key in keys:
            full = (company_id, *key)
            sid = self._ids.get(full)
            if sid is not None:
                self._ids.move_to_end(full)
            else:
                inserted = (
                    create
                    and conn.execute(
                        "INSERT OR IGNORE INTO scalar_series (company, task, metric, variant) VALUES (?,?,?,?)", full
                    ).rowcount
                )
                row = conn.execute(
                    "SELECT sid FROM scalar_series WHERE company = ? AND task = ? AND metric = ? AND variant = ?", full
                ).fetchone()
                if row is None:
                    continue
                sid = learned[full] = row[0]
                if inserted:
                    made.add(sid)
            found[key] = sid
        return found, learned, made

    def remember(self, learned: dict[tuple[str, str, str, str], int]) -> None:
        with self._lock:
            self._ids.update(learned)
            while len(self._ids) > self.max_entries:
                self._ids.popitem(last=False)

    def forget_keys(self, learned: dict[tuple[str, str, str, str], int]) -> None:
        with self._lock:
            for full in learned:
                self._ids.pop(full, None)

    def forget(self, company_id: str, task_ids: Sequence[str]) -> None:
        tasks = set(task_ids)
        with self._lock:
            for full in [k for k in self._ids if k[0] == company_id and k[1] in tasks]:
                del self._ids[full]


def _present_iters(conn: Any, sid: int, iters: Sequence[int]) -> set[int]:
    """Which of ``iters`` the series holds already (one range read when they are dense,
    as a batch of consecutive iterations is)."""
    low, high = min(iters), max(iters)
    if high - low <= 4 * len(iters):
        rows = conn.execute("SELECT iter FROM scalars WHERE sid = ? AND iter BETWEEN ? AND ?", (sid, low, high))
        return {r[0] for r in rows}
    found: set[int] = set()
    unique = sorted(set(iters))
    for start in range(0, len(unique), 900):
        chunk = unique[start : start + 900]
        marks = ",".join("?" * len(chunk))
        rows = conn.execute(f"SELECT iter FROM scalars WHERE sid = ? AND iter IN ({marks})", [sid, *chunk])
        found.update(r[0] for r in rows)
    return found


@dataclass
class Batch:
    """A batch of narrow scalar events and what writing it needs besides."""

    events: Sequence[dict[str, Any]]
    #: ids of these events that the ``events`` table held (the caller deleted them)
    wide_existing: set[str]
    #: the series' new ``gen`` (sqlite_series.next_generation)
    gen: int
    columns: SeriesColumns


def write(
    conn: Any, company_id: str, batch: Batch, ids: SeriesIds
) -> tuple[Summary, dict[tuple[str, str, str, str], int]]:
    """Insert or overwrite narrow scalar events (in the caller's transaction), keeping the
    in-memory columns of their series in step. Returns the series summary of the batch
    and the series ids it learned (for SeriesIds.remember)."""
    groups: dict[SeriesKey, list[dict[str, Any]]] = {}
    for event in batch.events:
        groups.setdefault((event["task"], event["metric"], event["variant"]), []).append(event)
    sids, learned, made = ids.resolve(conn, company_id, groups)
    summary: Summary = {}
    for key, members in groups.items():
        sid = sids[key]
        iters = [e["iter"] for e in members]
        timestamps = [e["timestamp"] for e in members]
        raws = [e["value"] for e in members]
        present = _present_iters(conn, sid, iters)
        appended = not present and not batch.wide_existing and len(set(iters)) == len(iters)
        if appended:
            new = len(iters)  # the common case: iterations not seen before
        else:
            new = 0
            for event in members:
                new += event["iter"] not in present and point_id(event) not in batch.wide_existing
                present.add(event["iter"])
        summary[(SCALAR, *key)] = [new, new, min(iters), max(iters), min(timestamps), max(timestamps)]
        values = float32s(raws)
        _keep_columns(conn, company_id, batch, (sid, key), (iters, values), appended=appended, made=sid in made)
        wtimes = [write_time(e["@timestamp"]) for e in members]
        workers = [e["worker"] for e in members]
        rows = zip(repeat(sid), iters, timestamps, wtimes, values, raws, workers, strict=False)
        conn.executemany("INSERT OR REPLACE INTO scalars VALUES (?,?,?,?,?,?,?)", rows)
    return summary, learned


def _keep_columns(
    conn: Any,
    company_id: str,
    batch: Batch,
    series: tuple[int, SeriesKey],
    points: tuple[list[int], list[float]],
    *,
    appended: bool,
    made: bool,
) -> None:
    """Start, extend or drop the series' columns (see sqlite_columns)."""
    columns = batch.columns
    sid, key = series
    if not appended:
        columns.drop([sid])
        return
    iters, values = points
    if any(a >= b for a, b in zip(iters, iters[1:], strict=False)):
        iters, values = (list(p) for p in zip(*sorted(zip(iters, values, strict=True)), strict=True))
    if made:
        columns.start(sid, batch.gen, iters, values)
    elif columns.has(sid):
        row = conn.execute(
            "SELECT gen FROM series WHERE company = ? AND type = ? AND task = ? AND metric = ? AND variant = ?",
            (company_id, SCALAR, *key),
        ).fetchone()
        columns.add(sid, row[0] if row else -1, batch.gen, iters, values)


def drop_overwritten(
    conn: Any, company_id: str, ids: SeriesIds, events: Iterable[dict[str, Any]]
) -> tuple[set[str], list[int]]:
    """Delete the narrow rows that wide scalar ``events`` (with an iteration) replace;
    returns those events' ids and the series ids of the rows deleted."""
    keyed = [e for e in events if e["type"] == SCALAR and isinstance(e.get("iter"), int)]
    if not keyed:
        return set(), []
    sids, _, _ = ids.resolve(conn, company_id, {(e["task"], e["metric"], e["variant"]) for e in keyed}, create=False)
    replaced: set[str] = set()
    touched: list[int] = []
    for event in keyed:
        sid = sids.get((event["task"], event["metric"], event["variant"]))
        if sid is None:
            continue
        if conn.execute("DELETE FROM scalars WHERE sid = ? AND iter = ?", (sid, event["iter"])).rowcount:
            replaced.add(point_id(event))
            touched.append(sid)
    return replaced, touched


def latest(conn: Any, company_id: str, task: str) -> list[tuple[str, str, Any, int, tuple[int, int]]]:
    """Per narrow series of the task with a positive value: (metric, variant, the value
    as sent at the highest such iteration, the newest write time of one, (iter, ts))."""
    rows = conn.execute(
        "SELECT s.metric, s.variant, p.raw, m.wmax, p.iter, p.timestamp FROM scalar_series s"
        " JOIN (SELECT sid, max(iter) AS top, max(wtime) AS wmax FROM scalars"
        "  WHERE sid IN (SELECT sid FROM scalar_series WHERE company = ? AND task = ?) AND value > 0"
        "  GROUP BY sid) m ON m.sid = s.sid"
        " JOIN scalars p ON p.sid = m.sid AND p.iter = m.top",
        (company_id, task),
    )
    return [(metric, variant, raw, wmax, (it, ts)) for metric, variant, raw, wmax, it, ts in rows]


def iterations(conn: Any, company_id: str, query: IterationsQuery, limit: int) -> list[list[int]]:
    """Per narrow series of the query, its first ``limit`` iterations in the query's order."""
    where = "company = ? AND task = ?"
    params: list[Any] = [company_id, query.task]
    for column, value in (("metric", query.metric), ("variant", query.variant)):
        if value is not None:
            where += f" AND {column} = ?"
            params.append(value)
    bounds = ""
    for op, bound in (("<", query.below), (">", query.above)):
        if bound is not None:
            bounds += f" AND iter {op} {int(bound)}"
    order = "DESC" if query.descending else "ASC"
    sids = [r[0] for r in conn.execute(f"SELECT sid FROM scalar_series WHERE {where}", params)]
    sql = f"SELECT iter FROM scalars WHERE sid = ?{bounds} ORDER BY iter {order} LIMIT ?"
    return [[r[0] for r in conn.execute(sql, (sid, limit))] for sid in sids]


def series_of(conn: Any, company_id: str, task_ids: Sequence[str]) -> list[int]:
    marks = ",".join("?" * len(task_ids))
    rows = conn.execute(
        f"SELECT sid FROM scalar_series WHERE company = ? AND task IN ({marks})", [company_id, *task_ids]
    )
    return [r[0] for r in rows]


def delete_tasks(conn: Any, company_id: str, task_ids: Sequence[str]) -> int:
    marks = ",".join("?" * len(task_ids))
    chosen = f"SELECT sid FROM scalar_series WHERE company = ? AND task IN ({marks})"
    deleted = conn.execute(f"DELETE FROM scalars WHERE sid IN ({chosen})", [company_id, *task_ids]).rowcount
    conn.execute(f"DELETE FROM scalar_series WHERE company = ? AND task IN ({marks})", [company_id, *task_ids])
    return int(deleted)


def points(conn: Any, company_id: str, query: PointsQuery) -> Points:
    """``EventStore.scalar_points`` over the narrow table (see there); ties of a timestamp
    are ordered by iteration, which the key then holds."""
    where, params = "company = ? AND task = ? AND metric = ?", [company_id, query.task, query.metric]
    if query.variants:
        where += f" AND variant IN ({','.join('?' * len(query.variants))})"
        params += list(query.variants)
    series = conn.execute(f"SELECT variant, sid FROM scalar_series WHERE {where} ORDER BY variant", params).fetchall()
    after = list(query.after) if query.after is not None else None
    found: list[tuple[str, list[Any], list[Any]]] = []
    count = 0
    last_key = after
    by_iter = query.field == "iter"
    for variant, sid in series:
        if count >= query.size:
            break
        if after is not None and variant < after[0]:
            continue
        sql, args = "sid = ?", [sid]
        if after is not None and variant == after[0]:
            if by_iter:
                sql, args = sql + " AND iter > ?", [*args, after[1]]
            else:
                sql += " AND (timestamp > ? OR (timestamp = ? AND iter > ?))"
                args += [after[1], after[1], after[2]]
        order = "iter" if by_iter else "timestamp, iter"
        columns = "iter, raw" if by_iter else "timestamp, raw, iter"
        with gc_paused():  # many row tuples, no cycles (gc_pause.py)
            rows = conn.execute(
                f"SELECT {columns} FROM scalars WHERE {sql} ORDER BY {order} LIMIT ?", [*args, query.size - count]
            ).fetchall()
            if rows:
                xs, values, *_ = zip(*rows, strict=True)  # columns in C, not a loop per point
                found.append((variant, list(xs), list(values)))
                count += len(rows)
                last_key = [variant, rows[-1][0], rows[-1][-1]]
            del rows
    return found, last_key
