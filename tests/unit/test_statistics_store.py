"""The statistics store contract, on the SQLite store and on a real Elasticsearch 7.17
node: the same documents give the same buckets."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from support.stats_store import (
    new_company,
    stats_store_fixture,  # noqa: F401 - the "stats_store" fixture
)

from stationmaster.database.events.base import as_float32
from stationmaster.database.events.stats_base import QueueBucket, QueueMetric, TimeRange, WorkerStat

T0 = 1_700_000_040_000  # a multiple of 60 s, in ms
MIN = 60_000
HOUR = 3_600_000


def stat(ts: int, worker: str, metric: str, variant: str, value: float, task: str | None = None) -> WorkerStat:
    return WorkerStat(ts, worker, metric.partition("_")[0], metric, variant, value, task, "acme")


def sample_stats() -> list[WorkerStat]:
    return [
        stat(T0, "w1", "cpu_usage", "0", 10.0, "t1"),
        stat(T0, "w1", "cpu_usage", "1", 30.0, "t1"),
        stat(T0 + 30_000, "w1", "cpu_usage", "0", 20.0, "t1"),
        stat(T0 + 30_000, "w1", "cpu_usage", "1", 33.3, "t1"),
        stat(T0 + MIN, "w1", "cpu_usage", "0", 50.0),
        stat(T0, "w1", "memory_used", "total", 1024.0, "t1"),
        stat(T0 + 5_000, "w2", "cpu_usage", "0", 5.0),
        stat(T0 + 2 * MIN, "w2", "gpu_usage", "0", 70.0),
        stat(T0 + 2 * MIN, "w2", "gpu_usage", "1", 90.0),
    ]


SPAN = TimeRange(T0, T0 + 10 * MIN, MIN)


def query(
    store: Any,
    company: str,
    metrics: tuple[str, ...] = ("cpu_usage",),
    span: TimeRange = SPAN,
    workers: list[str] | None = None,
    split: bool = False,
) -> list[tuple[Any, ...]]:
    return [
        (b.worker, b.metric, b.variant, b.date, b.count, b.avg, b.min, b.max)
        for b in store.worker_stats(company, span, metrics, workers, split)
    ]


def test_worker_stats_buckets_per_worker_and_metric(stats_store: Any) -> None:
    company = new_company()
    stats_store.add_worker_stats(company, sample_stats())
    rows = query(stats_store, company)
    v333 = as_float32(33.3)
    assert rows == [
        ("w1", "cpu_usage", None, T0, 4, pytest.approx((10 + 30 + 20 + v333) / 4), 10.0, v333),
        ("w1", "cpu_usage", None, T0 + MIN, 1, 50.0, 50.0, 50.0),
        ("w2", "cpu_usage", None, T0, 1, 5.0, 5.0, 5.0),
    ]


def test_worker_stats_split_by_variant_and_filters(stats_store: Any) -> None:
    company = new_company()
    stats_store.add_worker_stats(company, sample_stats())
    rows = query(stats_store, company, ("cpu_usage", "gpu_usage"), workers=["w2"], split=True)
    assert rows == [
        ("w2", "cpu_usage", "0", T0, 1, 5.0, 5.0, 5.0),
        ("w2", "gpu_usage", "0", T0 + 2 * MIN, 1, 70.0, 70.0, 70.0),
        ("w2", "gpu_usage", "1", T0 + 2 * MIN, 1, 90.0, 90.0, 90.0),
    ]
    assert query(stats_store, company, ("no_such_metric",)) == []


def test_worker_stats_range_is_inclusive(stats_store: Any) -> None:
    company = new_company()
    stats_store.add_worker_stats(company, sample_stats())
    rows = query(stats_store, company, span=TimeRange(T0 + 30_000, T0 + MIN, MIN))
    assert [(r[0], r[3], r[4]) for r in rows] == [("w1", T0, 2), ("w1", T0 + MIN, 1)]
    rows = query(stats_store, company, span=TimeRange(T0 + 30_001, T0 + MIN - 1, MIN))
    assert rows == []


def test_metric_keys_by_category(stats_store: Any) -> None:
    company = new_company()
    assert stats_store.metric_keys(company, None) == {}
    stats_store.add_worker_stats(company, sample_stats())
    assert stats_store.metric_keys(company, None) == {
        "cpu": ["cpu_usage"],
        "gpu": ["gpu_usage"],
        "memory": ["memory_used"],
    }
    assert stats_store.metric_keys(company, ["w1"]) == {"cpu": ["cpu_usage"], "memory": ["memory_used"]}
    assert stats_store.metric_keys(company, ["nobody"]) == {}


def test_activity_counts_distinct_workers(stats_store: Any) -> None:
    company = new_company()
    stats_store.add_worker_stats(company, sample_stats())
    assert stats_store.worker_activity(company, SPAN, False) == [
        (T0, 2),
        (T0 + MIN, 1),
        (T0 + 2 * MIN, 1),
    ]
    assert stats_store.worker_activity(company, SPAN, True) == [(T0, 1)]


def test_queue_metrics_pick_the_longest_wait(stats_store: Any) -> None:
    company = new_company()
    stats_store.add_queue_metrics(
        company,
        [
            QueueMetric(T0, "q1", 5.0, 2),
            QueueMetric(T0 + 10_000, "q1", 12.5, 1),
            QueueMetric(T0 + 20_000, "q1", 12.5, 3),
            QueueMetric(T0 + 20_000, "q2", 0.0, 0),
            QueueMetric(T0 + MIN, "q2", 4.0, 1),
        ],
    )
    assert stats_store.queue_metrics(company, SPAN, None) == [
        QueueBucket(T0, "q1", 12.5, 3),
        QueueBucket(T0, "q2", 0.0, 0),
        QueueBucket(T0 + MIN, "q2", 4.0, 1),
    ]
    assert stats_store.queue_metrics(company, SPAN, ["q2"]) == [
        QueueBucket(T0, "q2", 0.0, 0),
        QueueBucket(T0 + MIN, "q2", 4.0, 1),
    ]


def test_companies_are_separate(stats_store: Any) -> None:
    mine, other = new_company(), new_company()
    stats_store.add_worker_stats(other, sample_stats())
    stats_store.add_queue_metrics(other, [QueueMetric(T0, "q1", 1.0, 1)])
    assert query(stats_store, mine) == []
    assert stats_store.metric_keys(mine, None) == {}
    assert stats_store.worker_activity(mine, SPAN, False) == []
    assert stats_store.queue_metrics(mine, SPAN, None) == []


@pytest.mark.es
def test_es_layout_is_the_references(es_url: str) -> None:
    """Monthly per-company indices, the reference's field names, templates in place."""
    from elasticsearch import Elasticsearch

    from stationmaster.database.events.stats_base import month_suffix
    from stationmaster.database.events.stats_es import EsStatsStore

    es = Elasticsearch([es_url])
    store = EsStatsStore(es)
    company = new_company()
    store.add_worker_stats(company, [stat(T0, "w1", "gpu_memory_used", "1", 2048.0, "t1")])
    store.add_queue_metrics(company, [QueueMetric(T0, "q1", 1.5, 2)])
    es.indices.refresh(index="*_" + company + "_*")
    docs = es.search(index=f"worker_stats_{company}_{month_suffix()}")["hits"]["hits"]
    assert [d["_source"] for d in docs] == [
        {
            "timestamp": T0,
            "worker": "w1",
            "company": "acme",
            "task": "t1",
            "category": "gpu",
            "metric": "gpu_memory_used",
            "variant": "1",
            "value": 2048.0,
        }
    ]
    docs = es.search(index=f"queue_metrics_{company}_{month_suffix()}")["hits"]["hits"]
    assert [d["_source"] for d in docs] == [
        {"timestamp": T0, "queue": "q1", "average_waiting_time": 1.5, "queue_length": 2}
    ]
    mapping = es.indices.get_mapping(index=f"worker_stats_{company}_*")
    properties = next(iter(mapping.values()))["mappings"]["properties"]
    assert properties["value"] == {"type": "float"} and properties["worker"] == {"type": "keyword"}
    for name in ("worker_stats", "queue_metrics", "serving_stats"):
        assert es.indices.get_index_template(name=name)["index_templates"][0]["name"] == name
    store.close()


def test_configuration_chooses_the_store(tmp_path: Path) -> None:
    from stationmaster.config import Config
    from stationmaster.database.events.factory import open_stats_store
    from stationmaster.database.events.stats_sqlite import SqliteStatsStore

    embedded = open_stats_store(Config({"hosts": {"elastic": {"workers": {"hosts": []}}}}), tmp_path)
    assert isinstance(embedded, SqliteStatsStore) and embedded.path == tmp_path / "statistics.sqlite"
    embedded.close()
    with pytest.raises(RuntimeError):
        embedded.metric_keys("c", None)


@pytest.mark.es
def test_configuration_names_es_hosts_as_the_reference(tmp_path: Path, es_url: str) -> None:
    from stationmaster.config import Config
    from stationmaster.database.events.factory import open_stats_store
    from stationmaster.database.events.stats_es import EsStatsStore

    host, port = es_url.rsplit("/", 1)[-1].split(":")
    hosts = {"hosts": [{"host": host, "port": int(port)}], "args": {"timeout": 30}}
    store = open_stats_store(Config({"hosts": {"elastic": {"workers": hosts}}}), tmp_path)
    assert isinstance(store, EsStatsStore)
    company = new_company()
    store.add_worker_stats(company, sample_stats())
    assert store.metric_keys(company, ["w2"]) == {"cpu": ["cpu_usage"], "gpu": ["gpu_usage"]}
    store.close()
    assert not (tmp_path / "statistics.sqlite").exists()


def test_ranges_cutting_through_minutes(stats_store: Any) -> None:
    """Reports every 37 s for 3 hours; ranges that start and end inside a minute or an
    hour, and intervals of whole hours, whole minutes and neither, against a plain-Python
    oracle (the SQLite store answers whole hours and minutes from roll-ups, the edges
    from raw rows)."""
    company = new_company()
    docs = [
        stat(T0 + s * 1000, f"w{s % 2}", "cpu_usage", str(s % 3), float(s % 11), "t" if s % 5 == 0 else None)
        for s in range(0, 3 * 3600, 37)
    ]
    stats_store.add_worker_stats(company, docs)
    for span in (
        TimeRange(T0 + 30_500, T0 + 3 * MIN + 10_000, MIN),
        TimeRange(T0 + 1, T0 + 9 * MIN + 59_999, 2 * MIN),
        TimeRange(T0 + 5_000, T0 + 8 * MIN, 45_000),
        TimeRange(T0 + 61_000, T0 + 170 * MIN + 1, HOUR),
        TimeRange(T0 - T0 % HOUR + HOUR, T0 - T0 % HOUR + 3 * HOUR - 1, 2 * HOUR),
        TimeRange(T0, T0 + 180 * MIN, 20 * MIN),
    ):
        inside = [d for d in docs if span.from_ms <= d.timestamp <= span.to_ms]
        groups: dict[tuple[str, int], list[WorkerStat]] = {}
        for d in inside:
            groups.setdefault((d.worker, d.timestamp - d.timestamp % span.interval_ms), []).append(d)
        expected = [
            (w, "cpu_usage", None, b, len(g), pytest.approx(sum(d.value for d in g) / len(g)),
             min(d.value for d in g), max(d.value for d in g))
            for (w, b), g in sorted(groups.items())
        ]  # fmt: skip
        assert query(stats_store, company, span=span) == expected
        active: dict[int, set[str]] = {}
        everyone: dict[int, set[str]] = {}
        for d in inside:
            bucket = d.timestamp - d.timestamp % span.interval_ms
            everyone.setdefault(bucket, set()).add(d.worker)
            if d.task:
                active.setdefault(bucket, set()).add(d.worker)
        assert stats_store.worker_activity(company, span, False) == [(b, len(w)) for b, w in sorted(everyone.items())]
        assert stats_store.worker_activity(company, span, True) == [(b, len(w)) for b, w in sorted(active.items())]


def test_serving_stats_average_per_bucket_and_container(stats_store: Any) -> None:
    from stationmaster.database.events.stats_base import ServingStat

    company = new_company()
    url = "http://serve/model_a"
    for ts, container, values in [
        (T0, "c1", {"requests_num": 10.0, "latency_ms": 20.0}),
        (T0 + 30_000, "c1", {"requests_num": 20.0}),
        (T0 + 10_000, "c2", {"requests_num": 5.0, "latency_ms": 40.0}),
        (T0 + MIN, "c2", {"requests_num": 7.5}),
        (T0 + 11 * MIN, "c1", {"requests_num": 99.0}),  # outside the span
    ]:
        stats_store.add_serving_stats(company, ServingStat(ts, container, url, values))
    stats_store.add_serving_stats(company, ServingStat(T0, "c3", "http://serve/other", {"requests_num": 1.0}))
    stats_store.add_serving_stats(new_company(), ServingStat(T0, "c9", url, {"requests_num": 1.0}))
    found = [(b.date, b.container_id, b.value) for b in stats_store.serving_stats(company, url, SPAN, "requests_num")]
    assert found == [(T0, "c1", 15.0), (T0, "c2", 5.0), (T0 + MIN, "c2", 7.5)]
    latency = [(b.date, b.container_id, b.value) for b in stats_store.serving_stats(company, url, SPAN, "latency_ms")]
    assert latency == [(T0, "c1", 20.0), (T0, "c2", 40.0), (T0 + MIN, "c2", None)]
    with pytest.raises(ValueError):
        stats_store.serving_stats(company, url, SPAN, "requests_num; DROP TABLE serving_stats")
