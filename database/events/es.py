"""The Elasticsearch 7 event store (production).

Indices and templates are the reference server's (``es_templates``): one index per
event type and company. Reads on a missing index answer empty, as the reference does.
Paging uses ``search_after`` on the query's sort (``id`` → ``_id``), so one cursor
format serves both stores.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

from elasticsearch import Elasticsearch, helpers
from elasticsearch.exceptions import ElasticsearchWarning, NotFoundError

from . import base
from .base import EventPage, EventQuery, IterationsQuery, take_id
from .es_templates import event_index_name, install_templates

_SORT = {"timestamp": "timestamp", "iter": "iter", "metric": "metric", "variant": "variant", "id": "_id"}
# ES refuses more buckets than search.max_buckets (65535 by default) in one response.
_MAX_BUCKETS = 50000
_MAX_SERIES_PER_QUERY = 50


class EsEventStore(base.EventStore):
    def __init__(self, hosts: Sequence[Any], **client_args: Any) -> None:
        self.es = Elasticsearch(list(hosts), **client_args)
        # Sorting on _id is deprecated in ES 7; it is what the reference does, so the
        # warning is noise here.
        warnings.filterwarnings("ignore", category=ElasticsearchWarning)
        install_templates(self.es, ("events",))

    def close(self) -> None:
        self.es.close()

    def _index(self, company_id: str, event_type: str | None) -> str:
        return event_index_name(company_id, event_type or "*")

    def _search(self, company_id: str, event_type: str | None, body: dict[str, Any]) -> dict[str, Any]:
        try:
            return dict(
                self.es.search(
                    index=self._index(company_id, event_type),
                    body=body,
                    ignore_unavailable=True,
                    allow_no_indices=True,
                )
            )
        except NotFoundError:
            return {"hits": {"hits": [], "total": {"value": 0}}}

    # --- writes ------------------------------------------------------------------------

    def add(self, company_id: str, events: Sequence[dict[str, Any]]) -> int:
        actions = ({"_index": event_index_name(company_id, e["type"]), "_id": take_id(e), "_source": e} for e in events)
        written = 0
        for ok, _ in helpers.streaming_bulk(self.es, actions, chunk_size=500, refresh=True):
            written += int(ok)
        return written

    def delete_tasks(self, company_id: str, task_ids: Sequence[str]) -> int:
        if not task_ids:
            return 0
        res = self.es.delete_by_query(
            index=self._index(company_id, None),
            body={"query": {"terms": {"task": list(task_ids)}}},
            refresh=True,
            ignore_unavailable=True,
            allow_no_indices=True,
            conflicts="proceed",
        )
        return int(res.get("deleted", 0))

    # --- reads -------------------------------------------------------------------------

    @staticmethod
    def _filters(q: EventQuery) -> list[dict[str, Any]]:
        must: list[dict[str, Any]] = [{"terms": {"task": list(q.tasks)}}]
        if q.event_type:
            must.append({"term": {"type": q.event_type}})
        for name, values in (("metric", q.metrics), ("variant", q.variants), ("iter", q.iters)):
            if values is not None:
                must.append({"terms": {name: list(values)}})
        if q.series is not None:
            should = [{"bool": {"must": [{"term": {"metric": m}}, {"term": {"variant": v}}]}} for m, v in q.series]
            must.append({"bool": {"should": should, "minimum_should_match": 1}})
        if q.urls is not None:
            must.append({"terms": {"url": list(q.urls)}})
        for name, lt, gt, eq in (("iter", q.iter_lt, q.iter_gt, None), ("timestamp", q.ts_lt, q.ts_gt, q.ts_eq)):
            bounds = _range(lt, gt, eq)
            if bounds:
                must.append({"range": {name: bounds}})
        return must

    def search(self, company_id: str, query: EventQuery) -> EventPage:
        if not query.tasks:
            return EventPage([], 0)
        body: dict[str, Any] = {
            "query": {"bool": {"filter": self._filters(query)}},
            "sort": [{_SORT[f]: {"order": "desc" if desc else "asc"}} for f, desc in query.sort],
            "size": min(query.size, base.MAX_SIZE),
            "track_total_hits": bool(query.with_total),
        }
        if query.after is not None:
            body["search_after"] = list(query.after)
        res = self._search(company_id, query.event_type, body)
        hits = res["hits"]["hits"]
        total = res["hits"].get("total", {}).get("value", 0) if query.with_total else 0
        return EventPage([h["_source"] for h in hits], int(total), list(hits[-1]["sort"]) if hits else None)

    def count(self, company_id: str, event_type: str | None, tasks: Sequence[str]) -> int:
        if not tasks:
            return 0
        body = {"query": {"bool": {"filter": self._filters(EventQuery(event_type, tasks))}}}
        try:
            res = self.es.count(
                index=self._index(company_id, event_type), body=body, ignore_unavailable=True, allow_no_indices=True
            )
        except NotFoundError:
            return 0
        return int(res.get("count", 0))

    def series(
        self, company_id: str, event_type: str, tasks: Sequence[str], metrics: Sequence[str] | None = None
    ) -> list[base.SeriesInfo]:
        if not tasks:
            return []
        q = EventQuery(event_type, tasks, metrics=metrics)
        # composite paging: any number of series, never above search.max_buckets
        composite: dict[str, Any] = {
            "size": 1000,
            "sources": [{name: {"terms": {"field": name}}} for name in ("task", "metric", "variant")],
        }
        body = {
            "size": 0,
            "query": {"bool": {"filter": self._filters(q)}},
            "aggs": {
                "series": {
                    "composite": composite,
                    "aggs": {"iters": {"stats": {"field": "iter"}}, "ts": {"stats": {"field": "timestamp"}}},
                }
            },
        }
        out = []
        while True:
            found = (self._search(company_id, event_type, body).get("aggregations") or {}).get("series", {})
            for bucket in found.get("buckets", []):
                it, ts, key = bucket["iters"], bucket["ts"], bucket["key"]
                out.append(
                    base.SeriesInfo(
                        key["task"],
                        key["metric"],
                        key["variant"],
                        int(it["count"]),
                        int(it["min"] or 0),
                        int(it["max"] or 0),
                        int(ts["min"] or 0),
                        int(ts["max"] or 0),
                    )
                )
            if len(found.get("buckets", [])) < composite["size"] or "after_key" not in found:
                break
            composite["after"] = found["after_key"]
        return sorted(out, key=lambda s: (s.task, s.metric, s.variant))

    def histogram(self, company_id: str, request: base.HistogramRequest) -> base.HistogramResult:
        result: base.HistogramResult = {}
        interval = max(1, int(request.interval))
        per_query = min(_MAX_SERIES_PER_QUERY, max(1, _MAX_BUCKETS // max(1, request.buckets_per_series)))
        for chunk in _chunks(request.series, per_query):
            if request.field == "iter":
                hist: dict[str, Any] = {"histogram": {"field": "iter", "interval": interval, "min_doc_count": 1}}
            else:
                hist = {"date_histogram": {"field": "timestamp", "fixed_interval": f"{interval}ms", "min_doc_count": 1}}
            hist["aggs"] = {"avg_value": {"avg": {"field": "value"}}}
            should = [
                {"bool": {"must": [{"term": {"task": t}}, {"term": {"metric": m}}, {"term": {"variant": v}}]}}
                for t, m, v in chunk
            ]
            body = {
                "size": 0,
                "query": {"bool": {"filter": [{"bool": {"should": should, "minimum_should_match": 1}}]}},
                "aggs": _nested_terms(
                    ("task", len(chunk)), ("metric", len(chunk)), ("variant", len(chunk)), leaf={"hist": hist}
                ),
            }
            res = self._search(company_id, "training_stats_scalar", body)
            for task, metric, variant, bucket in _walk(res.get("aggregations"), ("task", "metric", "variant")):
                if (task, metric, variant) not in chunk:
                    continue
                points = [
                    (int(b["key"]), float(b["avg_value"]["value"]))
                    for b in bucket["hist"]["buckets"]
                    if b["doc_count"] and b["avg_value"]["value"] is not None
                ]
                if points:
                    result[(task, metric, variant)] = points
        return result

    def iterations(self, company_id: str, query: IterationsQuery) -> list[int]:
        q = query
        if q.limit <= 0:
            return []
        must: list[dict[str, Any]] = [{"term": {"task": q.task}}, {"term": {"type": q.event_type}}]
        if q.metric is not None:
            must.append({"term": {"metric": q.metric}})
        if q.variant is not None:
            must.append({"term": {"variant": q.variant}})
        bounds: dict[str, int] = {}
        if q.below is not None:
            bounds["lt"] = q.below
        if q.above is not None:
            bounds["gt"] = q.above
        if bounds:
            must.append({"range": {"iter": bounds}})
        body = {
            "size": 0,
            "query": {"bool": {"filter": must}},
            "aggs": {
                "iters": {
                    "terms": {
                        "field": "iter",
                        "size": min(q.limit, base.MAX_SIZE),
                        "order": {"_key": "desc" if q.descending else "asc"},
                    }
                }
            },
        }
        res = self._search(company_id, q.event_type, body)
        buckets = (res.get("aggregations") or {}).get("iters", {}).get("buckets", [])
        return [int(b["key"]) for b in buckets]

    def latest_values(self, company_id: str, task: str) -> list[base.LatestValue]:
        leaf = {
            "last": {
                "top_hits": {
                    "size": 1,
                    "sort": [{"iter": {"order": "desc"}}, {"timestamp": {"order": "desc"}}, {"_id": {"order": "desc"}}],
                    "docvalue_fields": ["value"],
                    "_source": False,
                }
            },
            "wmax": {"max": {"field": "@timestamp"}},
        }
        body = {
            "size": 0,
            "query": {"bool": {"filter": [{"term": {"task": task}}, {"range": {"value": {"gt": 0}}}]}},
            "aggs": _nested_terms(("metric", 1000), ("variant", 1000), leaf=leaf),
        }
        res = self._search(company_id, "training_stats_scalar", body)
        out = []
        for metric, variant, bucket in _walk(res.get("aggregations"), ("metric", "variant")):
            value = float(bucket["last"]["hits"]["hits"][0]["fields"]["value"][0])
            out.append(base.LatestValue(task, metric, variant, value, int(bucket["wmax"]["value"] or 0)))
        return sorted(out, key=lambda v: (v.metric, v.variant))


def _range(lt: int | None, gt: int | None, eq: int | None) -> dict[str, int]:
    bounds = {"lt": lt, "gt": gt, "gte": eq, "lte": eq}
    return {k: v for k, v in bounds.items() if v is not None}


def _nested_terms(*levels: tuple[str, int], leaf: dict[str, Any]) -> dict[str, Any]:
    aggs = leaf
    for name, size in reversed(levels):
        aggs = {name: {"terms": {"field": name, "size": max(1, size), "order": {"_key": "asc"}}, "aggs": aggs}}
    return aggs


def _walk(aggs: dict[str, Any] | None, levels: Sequence[str], prefix: tuple[str, ...] = ()) -> list[tuple[Any, ...]]:
    """Flatten nested terms buckets into (key1, key2, ..., leaf bucket) tuples."""
    if not aggs:
        return []
    name, rest = levels[0], levels[1:]
    out: list[tuple[Any, ...]] = []
    for bucket in aggs[name]["buckets"]:
        key = (*prefix, bucket["key"])
        out.extend(_walk(bucket, rest, key) if rest else [(*key, bucket)])
    return out


def _chunks(items: Sequence[Any], size: int) -> list[list[Any]]:
    return [list(items[i : i + size]) for i in range(0, len(items), size)]
