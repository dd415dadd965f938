"""The event store contract shared by the SQLite and Elasticsearch implementations.

Events are plain dicts, already normalised by the business layer (``bll/events``):
``id`` (the document id), ``type``, ``task``, ``iter``, ``metric``, ``variant``,
``timestamp`` (epoch ms), ``@timestamp`` (ISO string) and the type's own fields.
They are kept per company and event type, as the reference keeps them in
``events-<type>-<company>`` indices. Reads return the stored documents without
``id``; both stores must answer every call identically (an API suite checks it).
"""

from __future__ import annotations

import dataclasses
import hashlib
import struct
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

#: Fields a query may sort on; ``id`` is the tie-breaker that makes an order total.
SORT_FIELDS = ("timestamp", "iter", "metric", "variant", "id")
#: Reads return at most this many events at once (the reference caps ES sizes alike).
MAX_SIZE = 10000


@dataclass
class EventQuery:
    """A filtered, ordered page of one company's events.

    ``event_type`` None means every type. ``metrics`` / ``variants`` / ``iters`` restrict
    to those values, ``urls`` to debug images with these URLs; ``series`` to exact
    (metric, variant) pairs; ``metric_variants`` to metrics, each with any variant (an
    empty list) or only the listed ones (the API's ``metrics: [{metric, variants}]``);
    ``iter_*`` and ``ts_*`` compare ``iter`` and ``timestamp``.
    ``sort`` is a list of (field, descending); ``after`` continues
    after the sort key of the last event of the previous page (keyset paging)."""

    event_type: str | None
    tasks: Sequence[str]
    metrics: Sequence[str] | None = None
    variants: Sequence[str] | None = None
    iters: Sequence[int] | None = None
    series: Sequence[tuple[str, str]] | None = None
    urls: Sequence[str] | None = None
    metric_variants: Mapping[str, Sequence[str]] | None = None
    iter_lt: int | None = None
    iter_gt: int | None = None
    ts_lt: int | None = None
    ts_gt: int | None = None
    ts_eq: int | None = None
    sort: Sequence[tuple[str, bool]] = (("timestamp", False), ("id", False))
    after: Sequence[Any] | None = None
    size: int = 500
    with_total: bool = True


@dataclass
class PointsQuery:
    """Scalar points of one metric of a task (of the listed variants; none: all), ordered
    by variant, then ``field`` (``iter`` or ``timestamp``); ``after`` continues after the
    ``last_key`` of the previous answer."""

    task: str
    metric: str
    variants: Sequence[str] = ()
    field: str = "iter"
    after: Sequence[Any] | None = None
    size: int = 10000


#: Runs of points, each (variant, xs, values), and the key to continue after the last one.
Points = tuple[list[tuple[str, list[Any], list[Any]]], list[Any] | None]


@dataclass
class LogCut:
    """A task's log lines to delete: those with a ``timestamp`` below ``before_ms``
    (all when None), of the ``include_metrics`` only, not of the ``exclude_metrics``."""

    task: str
    before_ms: int | None = None
    include_metrics: Sequence[str] | None = None
    exclude_metrics: Sequence[str] | None = None


@dataclass
class EventPage:
    events: list[dict[str, Any]]
    total: int
    #: The sort key of the last returned event (for ``EventQuery.after``).
    last_key: list[Any] | None = None


@dataclass(frozen=True)
class SeriesInfo:
    """Statistics of one (task, metric, variant) series of one event type."""

    task: str
    metric: str
    variant: str
    count: int
    min_iter: int
    max_iter: int
    min_timestamp: int
    max_timestamp: int


@dataclass
class IterationsQuery:
    """Distinct iterations of one task's events of one type (optionally of one metric /
    variant), strictly below / above a bound, the first ``limit`` in the direction."""

    event_type: str
    task: str
    metric: str | None = None
    variant: str | None = None
    below: int | None = None
    above: int | None = None
    limit: int = 1
    descending: bool = True


@dataclass(frozen=True)
class LatestValue:
    task: str
    metric: str
    variant: str
    value: float
    max_timestamp: int


@dataclass
class HistogramRequest:
    """Average ``value`` of scalar events in buckets of ``interval`` over ``field``
    (``iter`` or ``timestamp``), for the listed (task, metric, variant) series."""

    field: str
    interval: int
    series: list[tuple[str, str, str]] = dataclasses.field(default_factory=list)
    #: An upper bound of the buckets one series yields (lets a store split its queries).
    buckets_per_series: int = 6000


#: (task, metric, variant) → [(bucket key, average value)] in ascending key order.
HistogramResult = dict[tuple[str, str, str], list[tuple[int, float]]]


_F32 = struct.Struct("f")


def point_id(event: dict[str, Any]) -> str:
    """The document id of an event other than a log line: a hash of
    "<task>[-<iter>]-<metric>-<variant>[-<key>]" over the fields present, so that a
    re-sent event overwrites the first one."""
    text = f"{event['task']}-{event['iter']}" if "iter" in event else event["task"]
    text = f"{text}-{event['metric']}-{event['variant']}"
    if "key" in event:
        text = f"{text}-{event['key']}"
    return md5(text)


def md5(text: str) -> str:
    """Hex md5 of ``text``: the document ids and name keys the reference uses."""
    return hashlib.md5(text.encode("utf-8")).hexdigest()  # a key, not a secret


def event_id(event: dict[str, Any]) -> str:
    """A log line's ``id`` (the business layer makes it), any other event's ``point_id``
    (an ``id`` it carries is not used: documents are keyed by their point)."""
    given = event.get("id")
    return given if given is not None and event["type"] == "log" else point_id(event)


class EventsRejected(ValueError):
    """The store refused events for their content (e.g. a timestamp Elasticsearch cannot
    map); the events of the batch it accepted are stored."""


def take_id(event: dict[str, Any]) -> str:
    """``event_id``, with ``id`` taken out of the event."""
    found = event_id(event)
    event.pop("id", None)
    return found


def iso_ms(ms: int) -> str:
    """Epoch milliseconds as the reference's ``@timestamp`` / ES ``strict_date_time``."""
    moment = datetime.fromtimestamp(ms / 1000, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


def as_float32(value: float) -> float:
    """The value as ES keeps it in a ``float`` field (aggregations see this): events and
    worker statistics alike; beyond the float range, an infinity of its sign."""
    try:
        return float(_F32.unpack(_F32.pack(value))[0])
    except OverflowError:
        return float("inf") if value > 0 else float("-inf")


class EventStore(ABC):
    """Persistence of task events. Thread-safe; one instance per server process."""

    @abstractmethod
    def add(self, company_id: str, events: Sequence[dict[str, Any]]) -> int:
        """Insert or overwrite (same type and id) the events; all or nothing.
        Returns how many were written. Log lines carry their ``id``, which the store
        takes out of the dicts; other events' ids are their ``point_id``."""

    @abstractmethod
    def delete_tasks(self, company_id: str, task_ids: Sequence[str]) -> int:
        """Delete every event of the tasks; returns the number deleted."""

    @abstractmethod
    def delete_log_lines(self, company_id: str, cut: LogCut) -> int:
        """Delete the log lines ``cut`` names; the number deleted."""

    def scalar_points(self, company_id: str, query: PointsQuery) -> Points:
        """Up to ``query.size`` points (any number: read MAX_SIZE at a time), see
        ``PointsQuery``. This form pages ``search``; a store may do it more directly."""
        found: list[tuple[str, list[Any], list[Any]]] = []
        count = 0
        page_query = EventQuery(
            "training_stats_scalar",
            [query.task],
            metric_variants={query.metric: list(query.variants)},
            # ties of a timestamp by iteration, as a store's direct form may order them
            sort=[(f, False) for f in dict.fromkeys(("variant", query.field, "iter", "id"))],
            after=query.after,
            with_total=False,
        )
        last_key = list(query.after) if query.after is not None else None
        while count < query.size:
            page_query.size = min(MAX_SIZE, query.size - count)
            page = self.search(company_id, page_query)
            for event in page.events:
                if not found or found[-1][0] != event["variant"]:
                    found.append((event["variant"], [], []))
                found[-1][1].append(event[query.field])
                found[-1][2].append(event["value"])
            count += len(page.events)
            if page.last_key is not None:
                last_key = page_query.after = page.last_key
            if len(page.events) < page_query.size:
                break
        return found, last_key

    @abstractmethod
    def search(self, company_id: str, query: EventQuery) -> EventPage:
        """One page of events matching ``query`` in its sort order."""

    @abstractmethod
    def count(self, company_id: str, event_type: str | None, tasks: Sequence[str]) -> int:
        """How many events the tasks have (of one type, or of all when None)."""

    @abstractmethod
    def series(
        self, company_id: str, event_type: str, tasks: Sequence[str], metrics: Sequence[str] | None = None
    ) -> list[SeriesInfo]:
        """Every series of the tasks (optionally only these metrics), ordered by task,
        metric, variant."""

    @abstractmethod
    def histogram(self, company_id: str, request: HistogramRequest) -> HistogramResult:
        """Bucketed averages of scalar values (non-empty buckets only)."""

    @abstractmethod
    def iterations(self, company_id: str, query: IterationsQuery) -> list[int]:
        """Distinct iterations of a task's events (see ``IterationsQuery``)."""

    @abstractmethod
    def latest_values(self, company_id: str, task: str) -> list[LatestValue]:
        """Per scalar series with positive values: the value at the highest iteration
        (ties: the latest timestamp, then id) and the series' latest timestamp; ordered
        by metric, variant."""

    @abstractmethod
    def close(self) -> None:
        """Release connections."""
