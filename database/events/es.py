"""The Elasticsearch 7 event store (production).

Indices and templates are the reference server's (``es_templates``): one index per
event type and company. Reads on a missing index answer empty, as the reference does.
Paging uses ``search_after`` on the query's sort (``id`` → ``_id``), so one cursor
format serves both stores. Queries and aggregations are built with elasticsearch-dsl (the
``*_body`` functions, checked against the bodies they replaced by
tests/unit/test_es_bodies.py); writes are raw bulk requests.
"""

from __future__ import annotations

import json
import threading
import warnings
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from elasticsearch import Elasticsearch, helpers
from elasticsearch.exceptions import ElasticsearchWarning, NotFoundError
from elasticsearch_dsl import A, Q, Search
from elasticsearch_dsl.aggs import Agg
from elasticsearch_dsl.query import Query

from . import base
from .base import EventPage, EventQuery, IterationsQuery, LogCut, take_id
from .es_templates import event_index_name, install_templates

_SORT = {"timestamp": "timestamp", "iter": "iter", "metric": "metric", "variant": "variant", "id": "_id"}
# ES refuses more buckets than search.max_buckets (65535 by default) in one response.
_MAX_BUCKETS = 50000
_MAX_SERIES_PER_QUERY = 50
# events per bulk request: large enough to amortise a request, small enough (~0.5-1 MB
# of scalar events) to stay well below http.max_content_length
BULK_SIZE = 2000
# bulk item errors caused by an event's content (the caller's fault: 400, not 500)
_CONTENT_ERRORS = frozenset(("mapper_parsing_exception", "illegal_argument_exception"))


class EsEventStore(base.EventStore):
    def __init__(self, hosts: Sequence[Any], **client_args: Any) -> None:
        self.es = Elasticsearch(list(hosts), **client_args)
        # Sorting on _id is deprecated in ES 7; it is what the reference does, so the
        # warning is noise here.
        warnings.filterwarnings("ignore", category=ElasticsearchWarning)
        install_templates(self.es, ("events",))
        self._refresher = _SharedRefresh(self.es)

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
        """Index the events (bulks of ``BULK_SIZE``, no refresh each), then refresh the
        indices written: when ``add`` returns, the next search sees every event (what the
        SDK relies on). Concurrent ``add`` calls share one refresh (``_SharedRefresh``)."""
        written = 0
        indices: set[str] = set()
        failed: list[dict[str, Any]] = []
        for chunk in _chunks(events, BULK_SIZE):
            lines = []
            for event in chunk:
                index = event_index_name(company_id, event["type"])
                indices.add(index)
                lines.append(_dumps({"index": {"_index": index, "_id": take_id(event)}}))
                lines.append(_dumps(event))
            lines.append("")
            # only the errors come back: a 2,000-item response is otherwise ~200 KB to parse
            res = self.es.bulk(body="\n".join(lines), filter_path="errors,items.*.error,items.*._id")
            errors = [item for entry in res.get("items", ()) for item in entry.values() if "error" in item]
            failed.extend(errors)
            written += len(chunk) - len(errors)
        if indices:
            self._refresher.refresh(indices)
        if failed:
            by_content = [e for e in failed if e["error"].get("type") in _CONTENT_ERRORS]
            if len(by_content) == len(failed):
                reason = str(by_content[0]["error"].get("reason", ""))[:300]
                raise base.EventsRejected(f"{len(failed)} event(s) not stored: {reason}")
            raise helpers.BulkIndexError(f"{len(failed)} document(s) failed to index.", failed)
        return written

    def delete_tasks(self, company_id: str, task_ids: Sequence[str]) -> int:
        if not task_ids:
            return 0
        res = self.es.delete_by_query(
            index=self._index(company_id, None),
            body={"query": Q("terms", task=list(task_ids)).to_dict()},
            refresh=True,
            ignore_unavailable=True,
            allow_no_indices=True,
            conflicts="proceed",
        )
        return int(res.get("deleted", 0))

    def delete_log_lines(self, company_id: str, cut: LogCut) -> int:
        must = [Q("term", task=cut.task)]
        if cut.before_ms is not None:
            must.append(Q("range", timestamp={"lt": cut.before_ms}))
        if cut.include_metrics:
            must.append(Q("terms", metric=list(cut.include_metrics)))
        must_not = [Q("terms", metric=list(cut.exclude_metrics))] if cut.exclude_metrics else []
        res = self.es.delete_by_query(
            index=self._index(company_id, "log"),
            body={"query": Q("bool", filter=must, must_not=must_not).to_dict()},
            refresh=True,
            ignore_unavailable=True,
            allow_no_indices=True,
            conflicts="proceed",
        )
        return int(res.get("deleted", 0))

    # --- reads -------------------------------------------------------------------------

    def search(self, company_id: str, query: EventQuery) -> EventPage:
        if not query.tasks:
            return EventPage([], 0)
        res = self._search(company_id, query.event_type, search_body(query))
        hits = res["hits"]["hits"]
        total = res["hits"].get("total", {}).get("value", 0) if query.with_total else 0
        return EventPage([h["_source"] for h in hits], int(total), list(hits[-1]["sort"]) if hits else None)

    def count(self, company_id: str, event_type: str | None, tasks: Sequence[str]) -> int:
        if not tasks:
            return 0
        body = Search().query(_filtered(EventQuery(event_type, tasks))).to_dict()
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
        out = []
        after: dict[str, Any] | None = None
        while True:
            body = series_body(q, after)
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
            if len(found.get("buckets", [])) < _SERIES_PAGE or "after_key" not in found:
                break
            after = found["after_key"]
        return sorted(out, key=lambda s: (s.task, s.metric, s.variant))

    def histogram(self, company_id: str, request: base.HistogramRequest) -> base.HistogramResult:
        result: base.HistogramResult = {}
        interval = max(1, int(request.interval))
        per_query = min(_MAX_SERIES_PER_QUERY, max(1, _MAX_BUCKETS // max(1, request.buckets_per_series)))
        for chunk in _chunks(request.series, per_query):
            res = self._search(company_id, "training_stats_scalar", histogram_body(request.field, interval, chunk))
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
        if query.limit <= 0:
            return []
        res = self._search(company_id, query.event_type, iterations_body(query))
        buckets = (res.get("aggregations") or {}).get("iters", {}).get("buckets", [])
        return [int(b["key"]) for b in buckets]

    def latest_values(self, company_id: str, task: str) -> list[base.LatestValue]:
        res = self._search(company_id, "training_stats_scalar", latest_values_body(task))
        out = []
        for metric, variant, bucket in _walk(res.get("aggregations"), ("metric", "variant")):
            value = float(bucket["last"]["hits"]["hits"][0]["fields"]["value"][0])
            out.append(base.LatestValue(task, metric, variant, value, int(bucket["wmax"]["value"] or 0)))
        return sorted(out, key=lambda v: (v.metric, v.variant))


# --- request bodies (elasticsearch-dsl) ----------------------------------------------

_SERIES_PAGE = 1000  # composite paging: any number of series, never above search.max_buckets


def _filters(q: EventQuery) -> list[Query]:
    must = [Q("terms", task=list(q.tasks))]
    if q.event_type:
        must.append(Q("term", type=q.event_type))
    for name, values in (("metric", q.metrics), ("variant", q.variants), ("iter", q.iters)):
        if values is not None:
            must.append(Q("terms", **{name: list(values)}))
    if q.series is not None:
        should = [Q("bool", must=[Q("term", metric=m), Q("term", variant=v)]) for m, v in q.series]
        must.append(Q("bool", should=should, minimum_should_match=1))
    if q.urls is not None:
        must.append(Q("terms", url=list(q.urls)))
    if q.metric_variants is not None:
        must.append(metric_variants_query(q.metric_variants))
    for name, lt, gt, eq in (("iter", q.iter_lt, q.iter_gt, None), ("timestamp", q.ts_lt, q.ts_gt, q.ts_eq)):
        bounds = _range(lt, gt, eq)
        if bounds:
            must.append(Q("range", **{name: bounds}))
    return must


def metric_variants_query(metric_variants: Mapping[str, Sequence[str]]) -> Query:
    """Events of the metrics, each of any variant (no variants listed) or of the listed."""
    should = [
        Q("bool", filter=[Q("term", metric=m), Q("terms", variant=list(v))]) if v else Q("term", metric=m)
        for m, v in metric_variants.items()
    ]
    return Q("bool", should=should, minimum_should_match=1)


def _filtered(q: EventQuery) -> Query:
    return Q("bool", filter=_filters(q))


def _aggs_only(query: Query, name: str, agg: Agg) -> dict[str, Any]:
    search = Search().extra(size=0).query(query)
    search.aggs.bucket(name, agg)
    body: dict[str, Any] = search.to_dict()
    return body


def search_body(query: EventQuery) -> dict[str, Any]:
    search = Search().query(_filtered(query))
    search = search.sort(*({_SORT[f]: {"order": "desc" if desc else "asc"}} for f, desc in query.sort))
    search = search.extra(size=min(query.size, base.MAX_SIZE), track_total_hits=bool(query.with_total))
    if query.after is not None:
        search = search.extra(search_after=list(query.after))
    body: dict[str, Any] = search.to_dict()
    return body


def series_body(q: EventQuery, after: dict[str, Any] | None = None) -> dict[str, Any]:
    sources = [{name: A("terms", field=name)} for name in ("task", "metric", "variant")]
    composite = A("composite", size=_SERIES_PAGE, sources=sources, **({"after": after} if after else {}))
    composite.metric("iters", "stats", field="iter").metric("ts", "stats", field="timestamp")
    return _aggs_only(_filtered(q), "series", composite)


def histogram_body(field: str, interval: int, series: Sequence[tuple[str, str, str]]) -> dict[str, Any]:
    if field == "iter":
        hist = A("histogram", field="iter", interval=interval, min_doc_count=1)
    else:
        hist = A("date_histogram", field="timestamp", fixed_interval=f"{interval}ms", min_doc_count=1)
    hist.metric("avg_value", "avg", field="value")
    should = [Q("bool", must=[Q("term", task=t), Q("term", metric=m), Q("term", variant=v)]) for t, m, v in series]
    query = Q("bool", filter=[Q("bool", should=should, minimum_should_match=1)])
    size = len(series)
    name, agg = _nested_terms(("task", size), ("metric", size), ("variant", size), leaf={"hist": hist})
    return _aggs_only(query, name, agg)


def iterations_body(q: IterationsQuery) -> dict[str, Any]:
    must = [Q("term", task=q.task), Q("term", type=q.event_type)]
    if q.metric is not None:
        must.append(Q("term", metric=q.metric))
    if q.variant is not None:
        must.append(Q("term", variant=q.variant))
    bounds = _range(q.below, q.above, None)
    if bounds:
        must.append(Q("range", iter=bounds))
    order = {"_key": "desc" if q.descending else "asc"}
    iters = A("terms", field="iter", size=min(q.limit, base.MAX_SIZE), order=order)
    return _aggs_only(Q("bool", filter=must), "iters", iters)


def latest_values_body(task: str) -> dict[str, Any]:
    last = A(
        "top_hits",
        size=1,
        sort=[{"iter": {"order": "desc"}}, {"timestamp": {"order": "desc"}}, {"_id": {"order": "desc"}}],
        docvalue_fields=["value"],
        _source=False,
    )
    leaf = {"last": last, "wmax": A("max", field="@timestamp")}
    query = Q("bool", filter=[Q("term", task=task), Q("range", value={"gt": 0})])
    name, agg = _nested_terms(("metric", 1000), ("variant", 1000), leaf=leaf)
    return _aggs_only(query, name, agg)


def _dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


class _SharedRefresh:
    """Refresh on demand, shared by concurrent writers (a group commit).

    A writer whose bulk is done asks for a refresh of its indices and returns once a
    refresh that *started after its bulk* has finished. While one refresh runs, the
    writers that arrive meanwhile queue their indices; the first of them to wake runs
    one refresh for all of them. With N concurrent writers there are at most about N/2
    refreshes per round instead of N, and a single writer pays one refresh per batch,
    as with ``refresh=true``, but never waits for the periodic refresh that
    ``refresh=wait_for`` waits for (1 s by default).
    """

    def __init__(self, es: Elasticsearch) -> None:
        self.es = es
        self._cond = threading.Condition()
        self._pending: set[str] = set()
        self._requested = 0  # tickets handed out
        self._done = 0  # every ticket up to this one is refreshed
        self._running = False

    def refresh(self, indices: Iterable[str]) -> None:
        with self._cond:
            self._pending.update(indices)
            self._requested += 1
            ticket = self._requested
            while self._done < ticket:
                if self._running:
                    self._cond.wait()
                    continue
                todo, upto = self._pending, self._requested
                self._pending, self._running = set(), True
                ok = False
                self._cond.release()
                try:
                    self.es.indices.refresh(index=",".join(sorted(todo)), ignore_unavailable=True)
                    ok = True
                finally:
                    self._cond.acquire()
                    self._running = False
                    if ok:
                        self._done = max(self._done, upto)
                    else:  # the next waiter tries again; this writer gets the error
                        self._pending.update(todo)
                    self._cond.notify_all()


def _range(lt: int | None, gt: int | None, eq: int | None) -> dict[str, int]:
    bounds = {"lt": lt, "gt": gt, "gte": eq, "lte": eq}
    return {k: v for k, v in bounds.items() if v is not None}


def _nested_terms(*levels: tuple[str, int], leaf: dict[str, Agg]) -> tuple[str, Agg]:
    """Terms aggregations nested in ``levels`` order (keys ascending), ``leaf`` inside the
    innermost; (name, aggregation) of the outermost."""
    inner = leaf
    for name, size in reversed(levels):
        agg = A("terms", field=name, size=max(1, size), order={"_key": "asc"})
        for child, sub in inner.items():
            agg.bucket(child, sub)
        inner = {name: agg}
    ((outer, top),) = inner.items()
    return outer, top


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
