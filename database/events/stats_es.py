"""The Elasticsearch 7 statistics store, laid out as the reference server's.

Indices ``worker_stats_<company>_<YYYY-MM>`` and ``queue_metrics_<company>_<YYYY-MM>``
(the month of the write, UTC; company ids lower-cased as ES index names must be), with
the index templates ``worker_stats`` and ``queue_metrics`` (``mappings/stats_*.json``,
installed by ``es_templates``) re-applied at every start. Reads search ``<prefix>_<company>_*``.

Writes do not wait for a refresh (a status report must stay cheap); a read refreshes
the company's indices first, so what was written is always visible to the next read.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

from elasticsearch import Elasticsearch, TransportError, helpers

from .es_templates import install_templates
from .stats_base import (
    QueueBucket,
    QueueMetric,
    StatBucket,
    StatsStore,
    TimeRange,
    TooManyBuckets,
    WorkerStat,
    month_suffix,
)

# Upper bounds of the terms aggregations (the reference used ES's default of 10).
MAX_WORKERS = 1000
MAX_VARIANTS = 256
MAX_QUEUES = 1000
MAX_CATEGORIES = 100
MAX_METRICS = 1000


def _range(span: TimeRange) -> dict[str, Any]:
    return {"range": {"timestamp": {"gte": span.from_ms, "lte": span.to_ms, "format": "epoch_millis"}}}


def _histogram(interval_ms: int, aggs: dict[str, Any]) -> dict[str, Any]:
    return {
        "dates": {
            "date_histogram": {"field": "timestamp", "fixed_interval": f"{interval_ms}ms", "min_doc_count": 1},
            "aggs": aggs,
        }
    }


def _buckets(parent: dict[str, Any], name: str) -> list[dict[str, Any]]:
    return list(parent.get(name, {}).get("buckets", []))


class EsStatsStore(StatsStore):
    def __init__(self, es: Elasticsearch) -> None:
        self.es = es
        install_templates(es, ("stats",))

    @classmethod
    def connect(cls, hosts: Sequence[str | dict[str, Any]], args: dict[str, Any]) -> EsStatsStore:
        return cls(Elasticsearch(list(hosts), **args))

    @staticmethod
    def _index(prefix: str, company_id: str) -> str:
        return f"{prefix}_{company_id.lower()}_{month_suffix()}"

    def _bulk(self, index: str, sources: list[dict[str, Any]]) -> None:
        if sources:
            helpers.bulk(self.es, ({"_index": index, "_source": s} for s in sources))

    def _search(self, prefix: str, company_id: str, body: dict[str, Any]) -> dict[str, Any]:
        pattern = f"{prefix}_{company_id.lower()}_*"
        try:
            self.es.indices.refresh(index=pattern, ignore_unavailable=True, allow_no_indices=True)
            result: dict[str, Any] = self.es.search(index=pattern, ignore_unavailable=True, **body)
        except TransportError as exc:
            if "too_many_buckets" in str(exc.info):
                raise TooManyBuckets(str(exc.error)) from exc
            raise
        return result.get("aggregations") or {}

    def add_worker_stats(self, company_id: str, stats: Sequence[WorkerStat]) -> None:
        self._bulk(self._index("worker_stats", company_id), [asdict(s) for s in stats])

    def add_queue_metrics(self, company_id: str, metrics: Sequence[QueueMetric]) -> None:
        self._bulk(self._index("queue_metrics", company_id), [asdict(m) for m in metrics])

    def metric_keys(self, company_id: str, worker_ids: Sequence[str] | None) -> dict[str, list[str]]:
        body: dict[str, Any] = {
            "size": 0,
            "aggs": {
                "categories": {
                    "terms": {"field": "category", "size": MAX_CATEGORIES},
                    "aggs": {"metrics": {"terms": {"field": "metric", "size": MAX_METRICS}}},
                }
            },
        }
        if worker_ids:
            body["query"] = {"terms": {"worker": list(worker_ids)}}
        aggs = self._search("worker_stats", company_id, body)
        return {
            c["key"]: sorted(m["key"] for m in _buckets(c, "metrics"))
            for c in sorted(_buckets(aggs, "categories"), key=lambda c: str(c["key"]))
        }

    def worker_stats(
        self, company_id: str, span: TimeRange, metrics: Sequence[str], workers: Sequence[str] | None, split: bool
    ) -> list[StatBucket]:
        dates = _histogram(span.interval_ms, {agg: {agg: {"field": "value"}} for agg in ("avg", "min", "max")})
        per_metric = {"variants": {"terms": {"field": "variant", "size": MAX_VARIANTS}, "aggs": dates}}
        filters: list[dict[str, Any]] = [_range(span), {"terms": {"metric": list(metrics)}}]
        if workers:
            filters.append({"terms": {"worker": list(workers)}})
        body = {
            "size": 0,
            "query": {"bool": {"filter": filters}},
            "aggs": {
                "workers": {
                    "terms": {"field": "worker", "size": MAX_WORKERS},
                    "aggs": {
                        "metrics": {
                            "terms": {"field": "metric", "size": max(1, len(metrics))},
                            "aggs": per_metric if split else dates,
                        }
                    },
                }
            },
        }
        aggs = self._search("worker_stats", company_id, body)
        result: list[StatBucket] = []
        for worker in _buckets(aggs, "workers"):
            for metric in _buckets(worker, "metrics"):
                series = _buckets(metric, "variants") if split else [{**metric, "key": None}]
                for variant in series:
                    result.extend(
                        StatBucket(
                            worker["key"],
                            metric["key"],
                            variant["key"],
                            int(d["key"]),
                            int(d["doc_count"]),
                            d["avg"]["value"],
                            d["min"]["value"],
                            d["max"]["value"],
                        )
                        for d in _buckets(variant, "dates")
                    )
        result.sort(key=lambda b: (b.worker, b.metric, b.variant or "", b.date))
        return result

    def worker_activity(self, company_id: str, span: TimeRange, active_only: bool) -> list[tuple[int, int]]:
        filters: list[dict[str, Any]] = [_range(span)]
        if active_only:
            filters.append({"exists": {"field": "task"}})
        count = {"workers": {"cardinality": {"field": "worker", "precision_threshold": 40000}}}
        body = {"size": 0, "query": {"bool": {"filter": filters}}, "aggs": _histogram(span.interval_ms, count)}
        aggs = self._search("worker_stats", company_id, body)
        return [(int(d["key"]), int(d["workers"]["value"])) for d in _buckets(aggs, "dates")]

    def queue_metrics(self, company_id: str, span: TimeRange, queue_ids: Sequence[str] | None) -> list[QueueBucket]:
        filters: list[dict[str, Any]] = [_range(span)]
        if queue_ids:
            filters.append({"terms": {"queue": list(queue_ids)}})
        top = {
            "top": {
                "top_hits": {
                    "size": 1,
                    "sort": [{"average_waiting_time": {"order": "desc"}}, {"queue_length": {"order": "desc"}}],
                    "_source": {"includes": ["average_waiting_time", "queue_length"]},
                }
            }
        }
        queues = {"queues": {"terms": {"field": "queue", "size": MAX_QUEUES}, "aggs": top}}
        body = {"size": 0, "query": {"bool": {"filter": filters}}, "aggs": _histogram(span.interval_ms, queues)}
        aggs = self._search("queue_metrics", company_id, body)
        result: list[QueueBucket] = []
        for date in _buckets(aggs, "dates"):
            for queue in sorted(_buckets(date, "queues"), key=lambda q: str(q["key"])):
                source = queue["top"]["hits"]["hits"][0]["_source"]
                result.append(
                    QueueBucket(
                        int(date["key"]),
                        queue["key"],
                        float(source["average_waiting_time"]),
                        int(source["queue_length"]),
                    )
                )
        return result

    def close(self) -> None:
        self.es.close()
