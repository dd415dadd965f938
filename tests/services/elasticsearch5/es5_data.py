"""Reference-server (≤ 0.15) shaped data in an Elasticsearch 5.6 node: the ES 5 index
templates of that era (typed ``_default_`` mappings, required routing) and generators
for events of every type, worker statistics and queue metrics, loaded with ``_bulk``.
"""

from __future__ import annotations

import hashlib
import json
import urllib.request
import uuid
from collections.abc import Iterator
from typing import Any

EVENT_FIELDS = {
    "@timestamp": {"type": "date"},
    "task": {"type": "keyword"},
    "type": {"type": "keyword"},
    "worker": {"type": "keyword"},
    "timestamp": {"type": "date"},
    "iter": {"type": "long"},
    "metric": {"type": "keyword"},
    "variant": {"type": "keyword"},
    "value": {"type": "float"},
}

ES5_TEMPLATES: dict[str, dict[str, Any]] = {
    "events": {
        "template": "events-*",
        "order": 0,
        "settings": {"number_of_shards": 1, "number_of_replicas": 0},
        "mappings": {"_default_": {"_routing": {"required": True}, "properties": EVENT_FIELDS}},
    },
    "events_log": {
        "template": "events-log-*",
        "order": 1,
        "mappings": {
            "_default_": {"properties": {"msg": {"type": "text", "index": False}, "level": {"type": "keyword"}}}
        },
    },
    "events_plot": {
        "template": "events-plot-*",
        "order": 1,
        "mappings": {"_default_": {"properties": {"plot_str": {"type": "text", "index": False}}}},
    },
    "events_training_debug_image": {
        "template": "events-training_debug_image-*",
        "order": 1,
        "mappings": {"_default_": {"properties": {"key": {"type": "keyword"}, "url": {"type": "keyword"}}}},
    },
    "worker_stats": {
        "template": "worker_stats_*",
        "settings": {"number_of_shards": 1, "number_of_replicas": 0},
        "mappings": {
            "stat": {
                "properties": {
                    "timestamp": {"type": "date"},
                    "worker": {"type": "keyword"},
                    "company": {"type": "keyword"},
                    "task": {"type": "keyword"},
                    "category": {"type": "keyword"},
                    "metric": {"type": "keyword"},
                    "variant": {"type": "keyword"},
                    "value": {"type": "float"},
                    "unit": {"type": "keyword"},
                }
            }
        },
    },
    "queue_metrics": {
        "template": "queue_metrics_*",
        "settings": {"number_of_shards": 1, "number_of_replicas": 0},
        "mappings": {
            "metrics": {
                "properties": {
                    "timestamp": {"type": "date"},
                    "queue": {"type": "keyword"},
                    "average_waiting_time": {"type": "float"},
                    "queue_length": {"type": "integer"},
                }
            }
        },
    },
}

BASE_MS = 1_590_000_000_000


def request(url: str, method: str = "GET", body: Any = None, ndjson: bytes | None = None) -> Any:
    data, ctype = None, "application/json"
    if ndjson is not None:
        data, ctype = ndjson, "application/x-ndjson"
    elif body is not None:
        data = json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": ctype})
    with urllib.request.urlopen(req, timeout=300) as resp:
        raw = resp.read()
    return json.loads(raw) if raw else None


def install_es5_templates(url: str) -> None:
    for name, body in ES5_TEMPLATES.items():
        request(f"{url}/_template/{name}", "PUT", body)


def _event_id(*parts: Any) -> str:
    return hashlib.md5("-".join(str(p) for p in parts).encode()).hexdigest()


def _iso(ms: int) -> str:
    import datetime

    dt = datetime.datetime.fromtimestamp(ms / 1000, tz=datetime.UTC)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


def scalar_events(company: str, task: str, iters: int, metrics: int = 2, variants: int = 2) -> Iterator[tuple]:
    """(index, type, id, routing, source) for a task's scalar series, ids as the reference made them."""
    index = f"events-training_stats_scalar-{company}"
    for it in range(iters):
        ts = BASE_MS + it * 1000
        for m in range(metrics):
            for v in range(variants):
                metric, variant = f"metric{m}", f"variant{v}"
                src = {
                    "timestamp": ts,
                    "type": "training_stats_scalar",
                    "task": task,
                    "iter": it,
                    "metric": metric,
                    "variant": variant,
                    "value": round(0.5 * it + m - v / 3, 6),
                    "@timestamp": _iso(ts + 7),
                    "worker": "worker-1",
                }
                yield index, "event", _event_id(task, it, metric, variant), task, src


def other_events(company: str, task: str, n: int) -> Iterator[tuple]:
    """``n`` each of vector, debug-image, plot and log events of a task."""
    for it in range(n):
        ts = BASE_MS + it * 1000
        common = {"timestamp": ts, "task": task, "iter": it, "@timestamp": _iso(ts), "worker": "worker-1"}
        yield (
            f"events-training_stats_vector-{company}",
            "event",
            _event_id(task, it, "hist", "v"),
            task,
            {**common, "type": "training_stats_vector", "metric": "hist", "variant": "v", "value": [it, it + 0.5, 2.0]},
        )
        key = f"{task}/samples/img_{it % 3}.png"
        yield (
            f"events-training_debug_image-{company}",
            "event",
            _event_id(task, it, "samples", "img", key),
            task,
            {
                **common,
                "type": "training_debug_image",
                "metric": "samples",
                "variant": "img",
                "key": key,
                "url": f"http://files/{key}?it={it}",
            },
        )
        plot = {"data": [{"x": [1, 2, it], "y": [3, 4, 5], "type": "scatter"}], "layout": {"title": f"p{it}"}}
        yield (
            f"events-plot-{company}",
            "event",
            _event_id(task, it, "plots", "p"),
            task,
            {**common, "type": "plot", "metric": "plots", "variant": "p", "plot_str": json.dumps(plot)},
        )
        yield (
            f"events-log-{company}",
            "event",
            uuid.uuid4().hex,
            task,
            {
                **common,
                "type": "log",
                "level": "info",
                "msg": f"line {it} of {task} ünïcode ✓",
                "metric": "",
                "variant": "",
            },
        )


def stats_docs(company: str, n: int) -> Iterator[tuple]:
    """Worker statistics and queue metrics of one month (reference ≤ 0.15 types ``stat`` / ``metrics``)."""
    for i in range(n):
        ts = BASE_MS + i * 10_000
        yield (
            f"worker_stats_{company}_2020-05",
            "stat",
            _event_id(company, "stat", i),
            None,
            {
                "timestamp": ts,
                "worker": "worker-1",
                "company": company,
                "task": "t1",
                "category": "cpu",
                "metric": "cpu_usage",
                "variant": str(i % 4),
                "value": float(i % 100),
                "unit": "%",
            },
        )
        yield (
            f"queue_metrics_{company}_2020-05",
            "metrics",
            _event_id(company, "queue", i),
            None,
            {"timestamp": ts, "queue": "q1", "average_waiting_time": i / 10, "queue_length": i % 7},
        )


def bulk_load(url: str, docs: Iterator[tuple], chunk: int = 5000) -> int:
    """Index (index, type, id, routing, source) tuples; refreshes at the end."""
    total = 0
    lines: list[str] = []

    def flush() -> None:
        if not lines:
            return
        res = request(f"{url}/_bulk", "POST", ndjson=("\n".join(lines) + "\n").encode())
        if res.get("errors"):
            bad = next(i for i in res["items"] if i["index"].get("error"))
            raise RuntimeError(f"bulk load failed: {bad}")
        lines.clear()

    for index, doc_type, doc_id, routing, source in docs:
        action: dict[str, Any] = {"_index": index, "_type": doc_type, "_id": doc_id}
        if routing:
            action["_routing"] = routing
        lines.append(json.dumps({"index": action}))
        lines.append(json.dumps(source))
        total += 1
        if len(lines) >= 2 * chunk:
            flush()
    flush()
    request(f"{url}/_refresh", "POST")
    return total
