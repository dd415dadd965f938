"""The serving.* rules: model-serving containers (clearml-serving) registering,
reporting, and the endpoint lists and charts the web app shows.

Containers live only in the workers Redis, as workers do: one JSON record per container
under ``serving_container_<company>_<container id>`` with a TTL of its registration
timeout, and per company a sorted set ``serving_containers_<company>`` of the container
ids scored by the time their record expires (listing reads the set instead of scanning
keys, and drops what expired). Each status report is also stored in the statistics
store (SQLite or the ``serving_stats_*`` indices) for ``get_endpoint_metrics_history``.
"""

from __future__ import annotations

import json
import math
import time
from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from redis import Redis

from ..config import Config
from ..database.events.stats_base import ServingBucket, ServingStat, TimeRange
from ..protocol import errors
from .statistics import StatsBLL, checked_dates

#: The report fields a container record keeps besides the times.
_REPORT_FIELDS = (
    "container_id",
    "endpoint_name",
    "endpoint_url",
    "model_name",
    "model_source",
    "model_version",
    "preprocess_artifact",
    "input_type",
    "input_size",
    "reference",
    "uptime_sec",
    "requests_num",
    "requests_min",
    "latency_ms",
)
#: Most buckets one chart may span.
MAX_BUCKETS = 10_000
_MS = 1000

#: metric_type → (stored field, chart title, how the containers' values add up)
CHARTS: dict[str, tuple[str, str, str]] = {
    "requests": ("requests_num", "Number of Requests", "sum"),
    "requests_min": ("requests_min", "Requests per Minute", "sum"),
    "latency_ms": ("latency_ms", "Average Latency (ms)", "avg"),
    "cpu_count": ("cpu_num", "CPU Count", "sum"),
    "gpu_count": ("gpu_num", "GPU Count", "sum"),
    "cpu_util": ("cpu_usage", "Average CPU Load (%)", "avg"),
    "gpu_util": ("gpu_usage", "Average GPU Utilization (%)", "avg"),
    "ram_total": ("memory_total", "RAM Total (GB)", "sum"),
    "ram_free": ("memory_free", "RAM Free (GB)", "sum"),
    "gpu_ram_total": ("gpu_memory_total", "GPU RAM Total (GB)", "sum"),
    "gpu_ram_free": ("gpu_memory_free", "GPU RAM Free (GB)", "sum"),
    "network_rx": ("network_rx", "Network Throughput RX (MBps)", "sum"),
    "network_tx": ("network_tx", "Network Throughput TX (MBps)", "sum"),
}


#: The charts' numbers are single-precision floats (Elasticsearch ``float``; the mapping
#: refuses a larger one, which was a 500 on the team stores): larger ones are left out on
#: both stores, as non-finite ones are.
_CHART_MAX = 3.4028234663852886e38


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    if abs(value) > _CHART_MAX:
        return None
    return float(value)


def _mean(value: Any) -> tuple[float | None, int | None]:
    """A reported value or list of values (one per core/GPU): (their mean, how many)."""
    if isinstance(value, list):
        numbers = [n for n in (_number(v) for v in value) if n is not None]
        return (sum(numbers) / len(numbers), len(numbers)) if numbers else (None, None)
    number = _number(value)
    return (number, 1) if number is not None else (None, None)


def chart_values(report: Mapping[str, Any]) -> dict[str, float]:
    """The numbers of one status report as ``SERVING_FIELDS`` (absent ones left out)."""
    values: dict[str, float | None] = {
        name: _number(report.get(name)) for name in ("requests_num", "requests_min", "uptime_sec", "latency_ms")
    }
    stats = report.get("machine_stats") or {}
    for category in ("cpu", "gpu"):
        usage, count = _mean(stats.get(f"{category}_usage"))
        values[f"{category}_usage"] = usage
        values[f"{category}_num"] = None if count is None else float(count)
    for category in ("memory", "gpu_memory"):
        free, _ = _mean(stats.get(f"{category}_free"))
        used, _ = _mean(stats.get(f"{category}_used"))
        values[f"{category}_free"], values[f"{category}_used"] = free, used
        if free is not None or used is not None:
            values[f"{category}_total"] = (free or 0.0) + (used or 0.0)
    for name in ("disk_free_home", "network_rx", "network_tx"):
        values[name], _ = _mean(stats.get(name))
    return {k: v for k, v in values.items() if v is not None}


def _iso(moment: datetime) -> str:
    return moment.replace(tzinfo=None).isoformat()


def _naive(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


class ServingBLL:
    def __init__(self, config: Config, redis: Redis, stats: StatsBLL) -> None:
        self.redis = redis
        self.stats = stats
        self.auto_register = bool(config.get("services.serving.container_auto_register"))
        self.auto_unregister = bool(config.get("services.serving.container_auto_unregister"))
        self.default_timeout = int(config.get("services.serving.default_container_timeout_sec"))
        self.min_interval = int(config.get("services.serving.min_chart_interval_sec"))

    @staticmethod
    def _key(company_id: str, container_id: str) -> str:
        return f"serving_container_{company_id}_{container_id}"

    @staticmethod
    def _index(company_id: str) -> str:
        return f"serving_containers_{company_id}"

    # --- containers ------------------------------------------------------------------

    def _save(self, company_id: str, entry: dict[str, Any]) -> None:
        timeout = int(entry["register_timeout"])
        pipe = self.redis.pipeline()
        pipe.set(self._key(company_id, entry["container_id"]), json.dumps(entry), ex=timeout)
        pipe.zadd(self._index(company_id), {entry["container_id"]: time.time() + timeout})
        pipe.execute()

    def _entry(self, company_id: str, container_id: str) -> dict[str, Any] | None:
        raw = self.redis.get(self._key(company_id, container_id))
        return json.loads(raw) if raw else None

    def _record(
        self, request: Mapping[str, Any], ip: str | None, registered: str, timeout: int, now: datetime
    ) -> dict[str, Any]:
        entry = {name: request.get(name) for name in _REPORT_FIELDS}
        entry.update(ip=ip or "", register_time=registered, register_timeout=timeout, last_activity_time=_iso(now))
        return entry

    def register(self, company_id: str, request: Mapping[str, Any], ip: str | None) -> None:
        now = datetime.now(UTC)
        timeout = int(request.get("timeout") or self.default_timeout)
        self._save(company_id, self._record(request, ip, _iso(now), timeout, now))

    def unregister(self, company_id: str, container_id: str) -> None:
        removed = self.redis.delete(self._key(company_id, container_id))
        self.redis.zrem(self._index(company_id), container_id)
        if not removed and not self.auto_unregister:
            raise errors.CONTAINER_NOT_REGISTERED(container=container_id)

    def status_report(self, company_id: str, report: Mapping[str, Any], ip: str | None) -> None:
        now = datetime.now(UTC)
        container_id = report["container_id"]
        known = self._entry(company_id, container_id)
        if known is None and not self.auto_register:
            raise errors.CONTAINER_NOT_REGISTERED(container=container_id)
        if known is not None:
            ip = ip or known.get("ip")
            registered, timeout = known["register_time"], int(known["register_timeout"])
        else:
            registered, timeout = _iso(now), self.default_timeout
        self._save(company_id, self._record(report, ip, registered, timeout, now))
        stat = ServingStat(int(now.timestamp() * _MS), container_id, report.get("endpoint_url"), chart_values(report))
        self.stats.store.add_serving_stats(company_id, stat)

    def _all(self, company_id: str) -> list[dict[str, Any]]:
        index = self._index(company_id)
        self.redis.zremrangebyscore(index, "-inf", time.time())
        ids = [i.decode() if isinstance(i, bytes) else str(i) for i in self.redis.zrange(index, 0, -1)]
        if not ids:
            return []
        records = self.redis.mget([self._key(company_id, i) for i in ids])
        gone = [i for i, raw in zip(ids, records, strict=True) if not raw]
        if gone:
            self.redis.zrem(index, *gone)
        entries = [json.loads(raw) for raw in records if raw]
        entries.sort(key=lambda e: e["container_id"])
        return entries

    # --- reads -------------------------------------------------------------------------

    def endpoints(self, company_id: str) -> list[dict[str, Any]]:
        by_url: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for entry in self._all(company_id):
            if entry.get("endpoint_url"):
                by_url[entry["endpoint_url"]].append(entry)
        return [_summary(url, entries) for url, entries in sorted(by_url.items())]

    def loading_instances(self, company_id: str) -> list[dict[str, Any]]:
        return [
            {
                "id": e["container_id"],
                **_model_info(e),
                "uptime_sec": e.get("uptime_sec"),
                "last_update": _naive(e["last_activity_time"]),
            }
            for e in self._all(company_id)
            if not e.get("endpoint_url")
        ]

    def endpoint_details(self, company_id: str, endpoint_url: str) -> dict[str, Any]:
        entries = [e for e in self._all(company_id) if e.get("endpoint_url") == endpoint_url]
        if not endpoint_url or not entries:
            raise errors.NO_CONTAINERS_FOR_URL(url=endpoint_url)
        uptimes = [e["uptime_sec"] for e in entries if e.get("uptime_sec") is not None]
        return {
            **_model_info(entries[0]),
            "uptime_sec": max(uptimes) if uptimes else None,
            "last_update": _naive(max(e["last_activity_time"] for e in entries)),
            "instances": [
                {
                    "id": e["container_id"],
                    "uptime_sec": e.get("uptime_sec"),
                    "requests": e.get("requests_num"),
                    "requests_min": e.get("requests_min"),
                    "latency_ms": e.get("latency_ms"),
                    "last_update": _naive(e["last_activity_time"]),
                    "reference": e.get("reference") or [],
                }
                for e in entries
            ],
        }

    def metrics_history(self, company_id: str, request: Mapping[str, Any]) -> dict[str, Any]:
        from_s, to_s, interval = checked_dates(request, self.min_interval, MAX_BUCKETS)
        field, title, how = CHARTS[request["metric_type"]]
        span = TimeRange(int(from_s * _MS), int(to_s * _MS), interval * _MS)
        result: dict[str, Any] = {
            "computed_interval": interval,
            "total": {"title": title, "dates": [], "values": []},
            "instances": {},
        }
        buckets = self.stats.store.serving_stats(company_id, request["endpoint_url"], span, field)
        if not buckets:
            return result
        return {**result, **_chart(buckets, span, title, how, bool(request["instance_charts"]))}


def _model_info(entry: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "endpoint": entry.get("endpoint_name"),
        "model": entry.get("model_name"),
        "url": entry.get("endpoint_url"),
        "model_source": entry.get("model_source"),
        "model_version": entry.get("model_version"),
        "preprocess_artifact": entry.get("preprocess_artifact"),
        "input_type": entry.get("input_type"),
        "input_size": entry.get("input_size"),
    }


def _average(values: Sequence[float], digits: int | None) -> float | int | None:
    if not values:
        return None
    mean = sum(values) / len(values)
    return round(mean, digits) if digits else round(mean)


def _summary(url: str, entries: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    def present(name: str) -> list[Any]:
        return [e[name] for e in entries if e.get(name) is not None]

    uptimes = present("uptime_sec")
    return {
        "endpoint": entries[0].get("endpoint_name"),
        "model": entries[0].get("model_name"),
        "url": url,
        "instances": len(entries),
        "uptime_sec": max(uptimes) if uptimes else None,
        "requests": sum(present("requests_num")),
        "requests_min": _average(present("requests_min"), 2),
        "latency_ms": _average(present("latency_ms"), None),
        "last_update": _naive(max(present("last_activity_time"), default=None)),
    }


def _rounded(values: Sequence[float]) -> list[float]:
    return [round(v, 2) if v else 0 for v in values]


def _chart(
    buckets: Sequence[ServingBucket], span: TimeRange, title: str, how: str, per_instance: bool
) -> dict[str, Any]:
    """Every bucket of the span (empty ones as 0) up to the last complete one; the total
    of a bucket is the sum (or the mean) of the containers' values that reported in it."""
    step = span.interval_ms
    by_date: dict[int, dict[str, float]] = defaultdict(dict)
    for b in buckets:
        by_date[b.date][b.container_id] = b.value or 0.0
    containers = sorted({b.container_id for b in buckets})
    last_valid = span.to_ms - 0.9 * step
    dates = [d for d in range(span.from_ms - span.from_ms % step, span.to_ms + 1, step) if d <= last_valid]
    totals = []
    for date in dates:
        values = list(by_date.get(date, {}).values())
        if how == "sum":
            totals.append(sum(values))
        else:
            totals.append(sum(values) / len(values) if values else 0.0)
    instances = {}
    if per_instance:
        instances = {
            c: {"title": c, "dates": dates, "values": _rounded([by_date.get(d, {}).get(c, 0.0) for d in dates])}
            for c in containers
        }
    return {"total": {"title": title, "dates": dates, "values": _rounded(totals)}, "instances": instances}
