"""The statistics store: worker machine statistics, queue metrics and the status reports
of model-serving containers.

Two implementations share this contract: ``stats_sqlite.SqliteStatsStore`` (embedded
default, a SQLite file in the data directory) and ``stats_es.EsStatsStore``
(Elasticsearch 7, the reference server's ``worker_stats_<company>_<YYYY-MM>`` and
``queue_metrics_<company>_<YYYY-MM>`` indices). Both answer the same questions with the
same numbers; the business rules (bucket filling, averaging across queues, response
shapes) live in ``bll/statistics.py``.

Times are epoch milliseconds throughout. A bucket of ``interval_ms`` starts at
``timestamp - timestamp % interval_ms`` (the ES ``date_histogram`` with a fixed interval
and no offset). A range is ``from_ms <= timestamp <= to_ms``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

#: The aggregations ``workers.get_stats`` offers, in the reference's order.
AGGREGATIONS: tuple[str, ...] = ("avg", "min", "max")


@dataclass(frozen=True)
class WorkerStat:
    """One reported value: a document of ``worker_stats_*`` (field names as the reference's)."""

    timestamp: int  # ms
    worker: str
    category: str  # the metric's prefix: cpu, gpu, memory, network, disk, ...
    metric: str  # the machine_stats field: cpu_usage, gpu_memory_used, ...
    variant: str  # "total" for a single value, else the index within the reported list
    value: float
    task: str | None = None
    company: str | None = None  # the company's name, as the reference stores it


@dataclass(frozen=True)
class QueueMetric:
    """One queue's state after a change: a document of ``queue_metrics_*``."""

    timestamp: int  # ms
    queue: str
    average_waiting_time: float  # seconds
    queue_length: int


@dataclass(frozen=True)
class TimeRange:
    """``from_ms <= timestamp <= to_ms`` cut into buckets of ``interval_ms``."""

    from_ms: int
    to_ms: int
    interval_ms: int


@dataclass(frozen=True)
class StatBucket:
    """avg/min/max/count of one (worker, metric[, variant]) in one time bucket."""

    worker: str
    metric: str
    variant: str | None  # None unless split by variant
    date: int  # bucket start, ms
    count: int
    avg: float
    min: float
    max: float


@dataclass(frozen=True)
class QueueBucket:
    """One queue in one time bucket: the document with the longest average waiting time
    (ties: the longest queue), as the reference's ``top_hits`` picks it."""

    date: int  # bucket start, ms
    queue: str
    average_waiting_time: float
    queue_length: int


#: The numeric fields of a serving container's report kept for charts (the reference's
#: ``serving_stats_*`` document fields).
SERVING_FIELDS: tuple[str, ...] = (
    "requests_num",
    "requests_min",
    "uptime_sec",
    "latency_ms",
    "cpu_usage",
    "cpu_num",
    "gpu_usage",
    "gpu_num",
    "memory_free",
    "memory_used",
    "memory_total",
    "gpu_memory_free",
    "gpu_memory_used",
    "gpu_memory_total",
    "disk_free_home",
    "network_rx",
    "network_tx",
)


@dataclass(frozen=True)
class ServingStat:
    """One status report of a serving container: ``values`` holds the reported
    ``SERVING_FIELDS`` (absent ones are left out)."""

    timestamp: int  # ms
    container_id: str
    endpoint_url: str | None
    values: dict[str, float]


@dataclass(frozen=True)
class ServingBucket:
    """The average of one field over one container's reports in one time bucket (None
    when none of them had the field)."""

    date: int  # bucket start, ms
    container_id: str
    value: float | None


class TooManyBuckets(Exception):
    """The requested range and interval need more buckets than the store allows."""


class StatsStore(ABC):
    """Persistence of worker statistics and queue metrics, per company."""

    @abstractmethod
    def add_worker_stats(self, company_id: str, stats: Sequence[WorkerStat]) -> None:
        """Store the documents of one status report (all or nothing)."""

    @abstractmethod
    def add_queue_metrics(self, company_id: str, metrics: Sequence[QueueMetric]) -> None:
        """Store one document per changed queue (all or nothing)."""

    @abstractmethod
    def metric_keys(self, company_id: str, worker_ids: Sequence[str] | None) -> dict[str, list[str]]:
        """Category → sorted metric names seen for the workers (all when empty)."""

    @abstractmethod
    def worker_stats(
        self, company_id: str, span: TimeRange, metrics: Sequence[str], workers: Sequence[str] | None, split: bool
    ) -> list[StatBucket]:
        """Non-empty buckets of the given metrics, per worker and metric (and variant
        when ``split``), ordered by worker, metric, variant, date."""

    @abstractmethod
    def worker_activity(self, company_id: str, span: TimeRange, active_only: bool) -> list[tuple[int, int]]:
        """(bucket start, number of distinct workers) of the non-empty buckets, in date
        order; ``active_only`` counts only reports that named a task."""

    @abstractmethod
    def queue_metrics(self, company_id: str, span: TimeRange, queue_ids: Sequence[str] | None) -> list[QueueBucket]:
        """The representative document per (bucket, queue), in date then queue order."""

    @abstractmethod
    def add_serving_stats(self, company_id: str, stat: ServingStat) -> None:
        """Store one serving container's status report."""

    @abstractmethod
    def serving_stats(self, company_id: str, endpoint_url: str, span: TimeRange, field: str) -> list[ServingBucket]:
        """Per (bucket, container) with reports for the endpoint in the span: the
        average of ``field`` (one of ``SERVING_FIELDS``), in date then container order."""

    @abstractmethod
    def close(self) -> None:
        """Release connections; the store is unusable afterwards."""


def month_suffix(now: datetime | None = None) -> str:
    """``YYYY-MM`` of the write time (UTC): the reference names monthly indices by it."""
    return (now or datetime.now(UTC)).strftime("%Y-%m")


def bucket_start(timestamp_ms: int, interval_ms: int) -> int:
    return timestamp_ms - timestamp_ms % interval_ms
