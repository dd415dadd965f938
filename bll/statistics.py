"""Worker machine statistics and queue metrics: recording (hooks called by the workers
and queues code) and the chart reads of ``workers.get_stats``,
``workers.get_activity_report``, ``workers.get_metric_keys`` and
``queues.get_queue_metrics``. Persistence is ``stores.stats`` (SQLite or ES); see
docs/statistics.md for the behaviour and where it differs from the reference.
"""

from __future__ import annotations

import logging
import math
import operator
import re
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from itertools import groupby, repeat
from operator import itemgetter
from typing import Any

from ..config import Config
from ..database.events.stats_base import (
    AGGREGATIONS,
    QueueBucket,
    QueueMetric,
    StatBucket,
    StatsStore,
    TimeRange,
    TooManyBuckets,
    WorkerStat,
)
from ..database.stores import Stores
from ..protocol import errors

log = logging.getLogger(__name__)

#: Most buckets one series may span ((to_date - from_date) / interval).
MAX_BUCKETS = 100_000
#: Report timestamps below this are taken as seconds (the schema says seconds, the
#: agents send milliseconds).
_MS_THRESHOLD = 100_000_000_000
_ADDED = itemgetter("added")
_EPOCH = datetime(1970, 1, 1)
_METRIC_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,63}$")
TOTAL_QUEUE = "total"


def _number(value: Any) -> float | None:
    """A finite number (not a bool), or None."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def _report_time_ms(value: Any, now: float) -> int:
    """The report's timestamp in ms; seconds are scaled, a missing one is ``now``."""
    number = _number(value)
    if number is None or number <= 0:
        return int(now * 1000)
    return int(number * 1000) if number < _MS_THRESHOLD else int(number)


def _added_seconds(value: Any) -> float | None:
    """An entry's ``added`` as epoch seconds (datetime naive = UTC, or ISO text)."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    if not isinstance(value, datetime):
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.timestamp()


class WaitSums:
    """Each queue's sum of its entries' ``added`` (as timedeltas from the epoch), carried
    from one metric to the next when the entries are the previous ones, the same objects,
    with some removed at the head or added at the end: the embedded store hands the same
    entry objects out pop after pop, so a queue of n entries then costs a check by
    identity, not n subtractions. Exact (timedelta sums, as the one-pass sum). Entries
    that are new objects (a document server's) are summed afresh. Thread-safe."""

    LIMIT = 1024  # queues remembered

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last: dict[str, tuple[list[Any], timedelta]] = {}

    def total(self, queue_id: str, entries: list[Any]) -> timedelta:
        """The sum; raises (TypeError, KeyError, IndexError, OverflowError) or answers
        something else than a timedelta for entries it cannot sum, as ``_added_sum``."""
        with self._lock:
            last = self._last.get(queue_id)
        total = None
        if last is not None:
            old, old_total = last
            cut = len(old) - len(entries)
            if cut >= 0 and all(map(operator.is_, entries, old[cut:])):
                total = old_total - _added_sum(old[:cut])
            elif cut < 0 and all(map(operator.is_, entries, old)):
                total = old_total + _added_sum(entries[len(old) :])
        if total is None:
            total = _added_sum(entries)
        if type(total) is timedelta:
            with self._lock:
                if queue_id not in self._last and len(self._last) >= self.LIMIT:
                    del self._last[next(iter(self._last))]
                self._last[queue_id] = (list(entries), total)
        return total


def _added_sum(entries: Sequence[Any]) -> Any:
    """The entries' ``added`` minus the epoch, summed: a timedelta for mappings holding
    naive datetimes, else an exception or another type (no check per entry)."""
    return sum(map(operator.sub, map(_ADDED, entries), repeat(_EPOCH)), timedelta())


def _queue_metric(queue: Mapping[str, Any], now: float, sums: WaitSums | None = None) -> QueueMetric:
    """Length and average waiting time (s) of the entries that have an ``added`` time.

    Runs on every queue change (each ``get_next_task``, over every entry of the queue).
    Stored entries are mappings holding naive UTC datetimes: their waits are the entries'
    count times ``now`` minus the sum of their ``added``, summed in one pass of C-level
    lookups and subtractions (timedeltas, exact to the microsecond) or carried over by
    ``sums``, with no check per entry: any other entry shape (not a mapping, no
    ``added``, an aware datetime, a number) makes the sum raise or give something else
    than a timedelta, and takes the general path."""
    now_naive = datetime.fromtimestamp(now, tz=UTC).replace(tzinfo=None)
    entries = queue.get("entries") or ()
    try:
        if sums is not None and type(entries) is list:
            added = sums.total(str(queue["id"]), entries)
        else:
            added = _added_sum(entries)
        waited = (now_naive - _EPOCH) * len(entries) - added if type(added) is timedelta else None
    except (TypeError, KeyError, IndexError, OverflowError):  # OverflowError: ~47,000 entries and more
        waited = None
    if waited is not None:
        count = len(entries)
        average = waited.total_seconds() / count if count else 0.0
        return QueueMetric(int(now * 1000), str(queue["id"]), max(0.0, average), count)
    total, count = 0.0, 0
    for entry in entries:
        if not isinstance(entry, Mapping):
            continue
        value = entry.get("added")
        if type(value) is datetime and value.tzinfo is None:
            total += (now_naive - value).total_seconds()
            count += 1
            continue
        seconds = _added_seconds(value)
        if seconds is not None:
            total += now - seconds
            count += 1
    average = total / count if count else 0.0
    return QueueMetric(int(now * 1000), str(queue["id"]), max(0.0, average), count)


def machine_stat_docs(
    worker: str, timestamp: int, task: str | None, company: str | None, machine_stats: Mapping[str, Any]
) -> list[WorkerStat]:
    """One document per reported value: ``category`` is the field's prefix, ``variant``
    ``total`` for a single value or the index within a list. Non-numeric values are
    skipped."""
    docs = []
    for field, value in machine_stats.items():
        if not isinstance(field, str) or not _METRIC_NAME.match(field):
            continue
        category = field.partition("_")[0]
        values = list(enumerate(value)) if isinstance(value, list | tuple) else [(None, value)]
        for index, item in values:
            number = _number(item)
            if number is None:
                continue
            variant = "total" if index is None else str(index)
            docs.append(WorkerStat(timestamp, worker, category, field, variant, number, task, company))
    return docs


class StatsBLL:
    def __init__(self, config: Config, stores: Stores) -> None:
        self.config = config
        self.stores = stores
        self.clock: Callable[[], float] = time.time  # seconds; tests replace it
        self._wait_sums = WaitSums()

    @property
    def store(self) -> StatsStore:
        if self.stores.stats is None:
            raise RuntimeError("the statistics store is not open")
        return self.stores.stats

    # --- recording ---------------------------------------------------------------

    def record_queue_metrics(self, company_id: str, queues: Sequence[Mapping[str, Any]]) -> None:
        """Called after every change of a queue's entries with the raw queue documents
        (``id``, ``entries: [{task, added}]``): stores each queue's length and the
        average time its entries have waited. Failures are logged, never raised: a
        queue operation does not fail because of its statistics."""
        now = self.clock()
        metrics = [_queue_metric(queue, now, self._wait_sums) for queue in queues if queue.get("id")]
        try:
            self.store.add_queue_metrics(company_id, metrics)
        except Exception:
            log.exception("could not store queue metrics of company %s", company_id)

    def record_worker_stats(self, company_id: str, worker: Mapping[str, Any], report: Mapping[str, Any]) -> None:
        """Called on ``workers.status_report`` with the worker's record and the request:
        stores ``machine_stats`` (nothing when absent). Failures are logged, never raised."""
        machine_stats = report.get("machine_stats")
        if not isinstance(machine_stats, Mapping):
            return
        company = worker.get("company")
        docs = machine_stat_docs(
            worker=str(report.get("worker") or worker.get("id")),
            timestamp=_report_time_ms(report.get("timestamp"), self.clock()),
            task=report.get("task") or None,
            company=company.get("name") if isinstance(company, Mapping) else None,
            machine_stats=machine_stats,
        )
        try:
            self.store.add_worker_stats(company_id, docs)
        except Exception:
            log.exception("could not store statistics of worker %s", report.get("worker"))

    # --- reads -------------------------------------------------------------------

    def get_metric_keys(self, company_id: str, worker_ids: Sequence[str] | None) -> list[dict[str, Any]]:
        keys = self.store.metric_keys(company_id, worker_ids or None)
        if not keys:
            raise errors.WORKER_STATS_NOT_FOUND(
                "no statistics found for the company's workers", workers=list(worker_ids or [])
            )
        return [{"name": category, "metric_keys": metrics} for category, metrics in keys.items()]

    def get_stats(self, company_id: str, request: Mapping[str, Any]) -> list[dict[str, Any]]:
        """``workers`` of ``workers.get_stats``: per worker, per requested metric (and
        variant), the bucket dates and one value list per requested aggregation."""
        span = _time_range(request)
        aggregations: dict[str, list[str]] = {}
        for item in request["items"]:
            aggs = aggregations.setdefault(item["key"], [])
            aggregation = item.get("aggregation") or item.get("category") or "avg"
            if aggregation not in aggs:
                aggs.append(aggregation)
        split = bool(request.get("split_by_variant"))
        workers = request.get("worker_ids") or None
        buckets = _bounded(lambda: self.store.worker_stats(company_id, span, list(aggregations), workers, split))
        result = []
        for worker, worker_buckets in groupby(buckets, key=lambda b: b.worker):
            metrics = [
                _metric_stats(metric, variant, list(series), aggregations[metric])
                for (metric, variant), series in groupby(worker_buckets, key=lambda b: (b.metric, b.variant))
            ]
            result.append({"worker": worker, "metrics": metrics})
        return result

    def get_activity_report(self, company_id: str, request: Mapping[str, Any]) -> dict[str, Any]:
        """``total`` and ``active`` (reports naming a task) series of worker counts."""
        span = _time_range(request)
        cutoff = (float(request["to_date"]) - 0.9 * int(request["interval"])) * 1000

        def series(active_only: bool) -> dict[str, list[int]]:
            found = _bounded(lambda: self.store.worker_activity(company_id, span, active_only))
            points = _fill_gaps(found, span.interval_ms)
            if points and points[-1][0] > cutoff:
                points.pop()  # the last interval is incomplete (10% tolerance), as the reference
            return {"dates": [d for d, _ in points], "counts": [c for _, c in points]}

        return {"total": series(False), "active": series(True)}

    def get_queue_metrics(self, company_id: str, request: Mapping[str, Any]) -> list[dict[str, Any]]:
        """Per requested queue its series; without ``queue_ids`` one ``total`` series
        averaged over the company's queues, weighted by their lengths."""
        span = _time_range(request)
        before = int(self.config.get("services.queues.metrics_before_from_date"))
        span = replace(span, from_ms=max(0, int(float(request["from_date"]) - before) * 1000))
        queue_ids = list(dict.fromkeys(request.get("queue_ids") or []))
        buckets = _bounded(lambda: self.store.queue_metrics(company_id, span, queue_ids or None))
        if not queue_ids:
            return [_queue_series(TOTAL_QUEUE, _average_over_queues(buckets))]
        by_queue: dict[str, list[tuple[int, float, int]]] = {q: [] for q in queue_ids}
        for b in buckets:
            by_queue.setdefault(b.queue, []).append((b.date, b.average_waiting_time, b.queue_length))
        return [_queue_series(queue, points) for queue, points in by_queue.items()]


#: 9999-12-31T23:59:59Z in epoch seconds (found by the OpenAPI fuzzer: larger dates and
#: intervals overflowed the statistics stores' integers in milliseconds, a 500).
_MAX_SECONDS = 253_402_300_799


def checked_dates(
    request: Mapping[str, Any], min_interval: int = 1, max_buckets: int = MAX_BUCKETS
) -> tuple[float, float, int]:
    """A chart request's ``from_date``, ``to_date`` (seconds) and ``interval`` (raised to
    ``min_interval``), or 400/16 naming the field that is out of order, beyond the year 9999
    or makes more than ``max_buckets`` points."""
    from_date, to_date = float(request["from_date"]), float(request["to_date"])
    interval = int(request["interval"])
    if from_date >= to_date:
        raise errors.FIELDS_VALUE_ERROR("from_date must be less than to_date", from_date=from_date, to_date=to_date)
    if interval < 1:
        raise errors.FIELDS_VALUE_ERROR("interval must be at least 1 second", interval=interval)
    for name, value in (("from_date", from_date), ("to_date", to_date), ("interval", interval)):
        if not -_MAX_SECONDS <= value <= _MAX_SECONDS:  # in ms it must fit the stores' 64-bit integers
            beyond = "is longer than 9999 years" if name == "interval" else "is beyond the year 9999"
            raise errors.FIELDS_VALUE_ERROR(f"{name} {beyond}", **{name: value})
    interval = max(interval, min_interval)
    if (to_date - from_date) / interval > max_buckets:
        raise errors.FIELDS_VALUE_ERROR(
            f"interval too small for the range: at most {max_buckets} points per series", interval=interval
        )
    return from_date, to_date, interval


def _time_range(request: Mapping[str, Any]) -> TimeRange:
    """The request's range in ms; ``to_date`` includes its whole second."""
    from_date, to_date, interval = checked_dates(request)
    return TimeRange(int(from_date) * 1000, int(to_date) * 1000 + 999, interval * 1000)


def _bounded(read: Any) -> Any:
    try:
        return read()
    except TooManyBuckets as exc:
        raise errors.FIELDS_VALUE_ERROR(f"interval too small for the range and workers: {exc}") from exc


def _metric_stats(metric: str, variant: str | None, series: list[StatBucket], aggs: list[str]) -> dict[str, Any]:
    entry: dict[str, Any] = {"metric": metric}
    if variant is not None:
        entry["variant"] = variant
    entry["dates"] = [b.date for b in series]
    entry["stats"] = [
        {"aggregation": agg, "values": [getattr(b, agg) for b in series]} for agg in aggs if agg in AGGREGATIONS
    ]
    return entry


def _fill_gaps(points: Iterable[tuple[int, int]], interval_ms: int) -> list[tuple[int, int]]:
    """Empty buckets between the first and the last non-empty one count 0 (ES
    ``date_histogram`` with ``min_doc_count: 0``)."""
    found = dict(points)
    if not found:
        return []
    first, last = min(found), max(found)
    return [(d, found.get(d, 0)) for d in range(first, last + 1, interval_ms)]


def _average_over_queues(buckets: Sequence[QueueBucket]) -> list[tuple[int, float, int]]:
    """Per bucket: total length and length-weighted average waiting time over all
    queues; a queue without a document in a bucket keeps its previous values."""
    last: dict[str, tuple[float, int]] = {}
    points = []
    for date, group in groupby(buckets, key=lambda b: b.date):
        for b in group:
            last[b.queue] = (b.average_waiting_time, b.queue_length)
        total = sum(length for _, length in last.values())
        average = sum(wait * length for wait, length in last.values()) / total if total else 0.0
        points.append((date, average, total))
    return points


def _queue_series(queue: str, points: Sequence[tuple[int, float, int]]) -> dict[str, Any]:
    return {
        "queue": queue,
        "dates": [d for d, _, _ in points],
        "avg_waiting_times": [w for _, w, _ in points],
        "queue_lengths": [n for _, _, n in points],
    }
