"""The Elasticsearch 7 statistics store, laid out as the reference server's.

Indices ``worker_stats_<company>_<YYYY-MM>``, ``queue_metrics_<company>_<YYYY-MM>`` and
``serving_stats_<company>_<YYYY-MM>``
(the month of the write, UTC; company ids lower-cased as ES index names must be), with
the index templates ``worker_stats``, ``queue_metrics`` and ``serving_stats`` (``mappings/stats_*.json``,
installed by ``es_templates``) re-applied at every start. Reads search ``<prefix>_<company>_*``.

Queries and aggregations are built with elasticsearch-dsl (``*_body``, checked against the
bodies they replaced by tests/unit/test_es_bodies.py); writes stay raw bulk requests.
Writes do not wait for a refresh (a status report must stay cheap); a read refreshes
the company's indices first, so what was written is always visible to the next read.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

from elasticsearch import Elasticsearch, TransportError, helpers
from elasticsearch_dsl import A, Q, Search
from elasticsearch_dsl.aggs import Agg
from elasticsearch_dsl.query import Query

from .es_templates import install_templates
from .stats_base import (
    SERVING_FIELDS,
    QueueBucket,
    QueueMetric,
    ServingBucket,
    ServingStat,
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


def _range(span: TimeRange) -> Query:
    return Q("range", timestamp={"gte": span.from_ms, "lte": span.to_ms, "format": "epoch_millis"})


def _histogram(interval_ms: int) -> Agg:
    return A("date_histogram", field="timestamp", fixed_interval=f"{interval_ms}ms", min_doc_count=1)


def _body(filters: Sequence[Query], name: str, agg: Agg) -> dict[str, Any]:
    """A search for aggregations only: no hits, ``filters`` in filter context."""
    search = Search().extra(size=0)
    if filters:
        search = search.query(Q("bool", filter=list(filters)))
    search.aggs.bucket(name, agg)
    body: dict[str, Any] = search.to_dict()
    return body


def metric_keys_body(worker_ids: Sequence[str] | None) -> dict[str, Any]:
    categories = A("terms", field="category", size=MAX_CATEGORIES)
    categories.bucket("metrics", "terms", field="metric", size=MAX_METRICS)
    body = _body((), "categories", categories)
    if worker_ids:
        body["query"] = Q("terms", worker=list(worker_ids)).to_dict()
    return body


def worker_stats_body(
    span: TimeRange, metrics: Sequence[str], workers: Sequence[str] | None, split: bool
) -> dict[str, Any]:
    filters = [_range(span), Q("terms", metric=list(metrics))]
    if workers:
        filters.append(Q("terms", worker=list(workers)))
    by_worker = A("terms", field="worker", size=MAX_WORKERS)
    by_metric = by_worker.bucket("metrics", "terms", field="metric", size=max(1, len(metrics)))
    parent = by_metric.bucket("variants", "terms", field="variant", size=MAX_VARIANTS) if split else by_metric
    dates = parent.bucket("dates", _histogram(span.interval_ms))
    for agg in ("avg", "min", "max"):
        dates.metric(agg, agg, field="value")
    return _body(filters, "workers", by_worker)


def worker_activity_body(span: TimeRange, active_only: bool) -> dict[str, Any]:
    filters = [_range(span)]
    if active_only:
        filters.append(Q("exists", field="task"))
    dates = _histogram(span.interval_ms)
    dates.metric("workers", "cardinality", field="worker", precision_threshold=40000)
    return _body(filters, "dates", dates)


def queue_metrics_body(span: TimeRange, queue_ids: Sequence[str] | None) -> dict[str, Any]:
    filters = [_range(span)]
    if queue_ids:
        filters.append(Q("terms", queue=list(queue_ids)))
    dates = _histogram(span.interval_ms)
    dates.bucket("queues", "terms", field="queue", size=MAX_QUEUES).metric(
        "top",
        "top_hits",
        size=1,
        sort=[{"average_waiting_time": {"order": "desc"}}, {"queue_length": {"order": "desc"}}],
        _source={"includes": ["average_waiting_time", "queue_length"]},
    )
    return _body(filters, "dates", dates)


def serving_stats_body(endpoint_url: str, span: TimeRange, field: str) -> dict[str, Any]:
    dates = _histogram(span.interval_ms)
    dates.bucket("containers", "terms", field="container_id", size=MAX_WORKERS).metric("value", "avg", field=field)
    return _body([Q("term", endpoint_url=endpoint_url), _range(span)], "dates", dates)


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
        body = metric_keys_body(worker_ids)
        aggs = self._search("worker_stats", company_id, body)
        return {
            c["key"]: sorted(m["key"] for m in _buckets(c, "metrics"))
            for c in sorted(_buckets(aggs, "categories"), key=lambda c: str(c["key"]))
        }

    def worker_stats(
        self, company_id: str, span: TimeRange, metrics: Sequence[str], workers: Sequence[str] | None, split: bool
    ) -> list[StatBucket]:
        body = worker_stats_body(span, metrics, workers, split)
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
        body = worker_activity_body(span, active_only)
        aggs = self._search("worker_stats", company_id, body)
        return [(int(d["key"]), int(d["workers"]["value"])) for d in _buckets(aggs, "dates")]

    def queue_metrics(self, company_id: str, span: TimeRange, queue_ids: Sequence[str] | None) -> list[QueueBucket]:
        body = queue_metrics_body(span, queue_ids)
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

    def add_serving_stats(self, company_id: str, stat: ServingStat) -> None:
        source = {
            "timestamp": stat.timestamp,
            "company_id": company_id,
            "container_id": stat.container_id,
            "endpoint_url": stat.endpoint_url,
            **{k: v for k, v in stat.values.items() if k in SERVING_FIELDS},
        }
        self._bulk(self._index("serving_stats", company_id), [source])

    def serving_stats(self, company_id: str, endpoint_url: str, span: TimeRange, field: str) -> list[ServingBucket]:
        if field not in SERVING_FIELDS:
            raise ValueError(f"not a serving statistics field: {field!r}")
        aggs = self._search("serving_stats", company_id, serving_stats_body(endpoint_url, span, field))
        return [
            ServingBucket(int(date["key"]), container["key"], container["value"]["value"])
            for date in _buckets(aggs, "dates")
            for container in sorted(_buckets(date, "containers"), key=lambda c: str(c["key"]))
        ]

    def close(self) -> None:
        self.es.close()
