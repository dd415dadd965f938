"""The Elasticsearch statistics store's request bodies, built with elasticsearch-dsl, are
the ones it sent when they were written as dicts (``data/stats_es_bodies.json`` holds
those, captured from the dict version on a span of 1000..5000 ms in 100 ms buckets)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from stationmaster.database.events import stats_es
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
