"""The Elasticsearch stores' request bodies, built with elasticsearch-dsl, are the ones
they sent when they were written as dicts: ``data/stats_es_bodies.json`` (the statistics
store, a span of 1000..5000 ms in 100 ms buckets) and ``data/es_event_bodies.json`` (the
event store) hold those, captured from the dict versions with the arguments below."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from elasticsearch_dsl import Q

from stationmaster.database.events import es, stats_es
from stationmaster.database.events.base import EventQuery, IterationsQuery
from stationmaster.database.events.stats_base import TimeRange

GOLDEN: dict[str, Any] = json.loads((Path(__file__).parent / "data" / "stats_es_bodies.json").read_text())
SPAN = TimeRange(1000, 5000, 100)
BUILT = {
    "metric_keys(None)": lambda: stats_es.metric_keys_body(None),
    "metric_keys(['w1','w2'])": lambda: stats_es.metric_keys_body(["w1", "w2"]),
    "worker_stats(['cpu','gpu'], None, split=False)": lambda: stats_es.worker_stats_body(
        SPAN, ["cpu", "gpu"], None, False
    ),
    "worker_stats(['cpu'], ['w1'], split=True)": lambda: stats_es.worker_stats_body(SPAN, ["cpu"], ["w1"], True),
    "worker_activity(active_only=False)": lambda: stats_es.worker_activity_body(SPAN, False),
    "worker_activity(active_only=True)": lambda: stats_es.worker_activity_body(SPAN, True),
    "queue_metrics(None)": lambda: stats_es.queue_metrics_body(SPAN, None),
    "queue_metrics(['q1'])": lambda: stats_es.queue_metrics_body(SPAN, ["q1"]),
}


def test_every_golden_body_is_checked() -> None:
    assert set(BUILT) == set(GOLDEN)


@pytest.mark.parametrize("case", sorted(GOLDEN))
def test_the_dsl_builds_the_former_body(case: str) -> None:
    assert BUILT[case]() == GOLDEN[case]


# --- the event store (database/events/es.py) -----------------------------------------

EVENT_GOLDEN: dict[str, Any] = json.loads((Path(__file__).parent / "data" / "es_event_bodies.json").read_text())
SERIES_QUERY = EventQuery("training_stats_scalar", ["t1"], metrics=["m1"])
EVERY_FILTER = EventQuery(
    "training_stats_scalar",
    ["t1", "t2"],
    metrics=["m"],
    variants=["v"],
    iters=[1, 2],
    series=[("m", "v")],
    urls=["u"],
    iter_lt=5,
    iter_gt=1,
    ts_lt=9,
    ts_gt=3,
    sort=[("iter", False)],
    size=20000,
    with_total=True,
    after=[5, "x"],
)
EVENT_BUILT = {
    "search(log, sort timestamp desc + id)": lambda: es.search_body(
        EventQuery("log", ["t1"], sort=[("timestamp", True), ("id", False)], size=100)
    ),
    "search(every filter, after, with_total)": lambda: es.search_body(EVERY_FILTER),
    "search(any type, ts_eq)": lambda: es.search_body(EventQuery(None, ["t1"], ts_eq=7)),
    "count(plot)": lambda: {"query": es._filtered(EventQuery("plot", ["t1"])).to_dict()},
    "series(metrics)": lambda: es.series_body(SERIES_QUERY),
    "series(metrics), next page": lambda: es.series_body(SERIES_QUERY, {"task": "t1", "metric": "m1", "variant": "v"}),
    "histogram(iter, 2 series)": lambda: es.histogram_body("iter", 10, [("t1", "m", "v"), ("t2", "m", "w")]),
    "histogram(timestamp)": lambda: es.histogram_body("timestamp", 1000, [("t1", "m", "v")]),
    "iterations(default)": lambda: es.iterations_body(IterationsQuery("training_debug_image", "t1", limit=5)),
    "iterations(metric, variant, bounds, ascending)": lambda: es.iterations_body(
        IterationsQuery("plot", "t1", metric="m", variant="v", below=9, above=2, limit=20000, descending=False)
    ),
    "latest_values": lambda: es.latest_values_body("t1"),
    "delete_tasks": lambda: {"query": Q("terms", task=["t1", "t2"]).to_dict()},
}


def test_every_event_golden_body_is_checked() -> None:
    assert set(EVENT_BUILT) == set(EVENT_GOLDEN)


@pytest.mark.parametrize("case", sorted(EVENT_GOLDEN))
def test_the_event_store_builds_the_former_body(case: str) -> None:
    assert EVENT_BUILT[case]() == EVENT_GOLDEN[case]
