"""StatsBLL over both statistics stores: recording status reports and queue changes,
and the four chart reads with their failure cases."""

from __future__ import annotations

from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from support.stats_store import (
    new_company,
    stats_store_fixture,  # noqa: F401 - the "stats_store" fixture
)

from stationmaster.bll.statistics import StatsBLL, machine_stat_docs
from stationmaster.config import Config
from stationmaster.protocol.errors import ApiError

T0 = 1_700_000_040  # seconds, a multiple of 60


@pytest.fixture
def bll(stats_store: Any) -> StatsBLL:
    stats = StatsBLL(
        Config({"services": {"queues": {"metrics_before_from_date": 0}}}), SimpleNamespace(stats=stats_store)
    )  # type: ignore[arg-type]
    stats.clock = lambda: float(T0)
    return stats


def report(worker: str, ts: float, task: str | None = None, **machine_stats: Any) -> dict[str, Any]:
    return {"worker": worker, "timestamp": int(ts * 1000), "task": task, "machine_stats": machine_stats}


def record(bll: StatsBLL, company: str, *reports: dict[str, Any]) -> None:
    for r in reports:
        bll.record_worker_stats(company, {"id": r["worker"], "company": {"id": company, "name": "acme"}}, r)


def stats_request(**kwargs: Any) -> dict[str, Any]:
    request: dict[str, Any] = {"from_date": T0, "to_date": T0 + 600, "interval": 60, "items": [{"key": "cpu_usage"}]}
    request.update(kwargs)
    return request


def test_machine_stats_become_one_document_per_value() -> None:
    docs = machine_stat_docs(
        "w", 5, "t", "acme", {"cpu_usage": [1, 2.5], "memory_used": 100, "gpu_usage": None, "disk_read": "x"}
    )
    assert [(d.category, d.metric, d.variant, d.value) for d in docs] == [
        ("cpu", "cpu_usage", "0", 1.0),
        ("cpu", "cpu_usage", "1", 2.5),
        ("memory", "memory_used", "total", 100.0),
    ]
    assert {(d.worker, d.timestamp, d.task, d.company) for d in docs} == {("w", 5, "t", "acme")}


def test_metric_keys_after_reports(bll: StatsBLL) -> None:
    company = new_company()
    with pytest.raises(ApiError) as exc:
        bll.get_metric_keys(company, None)
    assert (exc.value.code, exc.value.subcode) == (400, 1005)
    record(bll, company, report("w1", T0, cpu_usage=[10, 20], memory_used=512, gpu_memory_used=[100]))
    record(bll, company, {"worker": "w2", "timestamp": T0 * 1000})  # no machine_stats: nothing stored
    assert bll.get_metric_keys(company, None) == [
        {"name": "cpu", "metric_keys": ["cpu_usage"]},
        {"name": "gpu", "metric_keys": ["gpu_memory_used"]},
        {"name": "memory", "metric_keys": ["memory_used"]},
    ]
    with pytest.raises(ApiError):
        bll.get_metric_keys(company, ["w2"])


def test_get_stats_aggregations_and_variants(bll: StatsBLL) -> None:
    company = new_company()
    record(
        bll,
        company,
        report("w1", T0, cpu_usage=[10, 20], memory_used=512),
        report("w1", T0 + 30, cpu_usage=[30, 40], memory_used=1024),
        report("w1", T0 + 60, cpu_usage=[50, 50]),
        report("w2", T0 + 5, cpu_usage=[1]),
    )
    items = [
        {"key": "cpu_usage", "aggregation": "max"},
        {"key": "cpu_usage"},
        {"key": "memory_used", "aggregation": "min"},
    ]
    workers = bll.get_stats(company, stats_request(items=items, worker_ids=["w1"]))
    assert workers == [
        {
            "worker": "w1",
            "metrics": [
                {
                    "metric": "cpu_usage",
                    "dates": [T0 * 1000, (T0 + 60) * 1000],
                    "stats": [{"aggregation": "max", "values": [40, 50]}, {"aggregation": "avg", "values": [25, 50]}],
                },
                {"metric": "memory_used", "dates": [T0 * 1000], "stats": [{"aggregation": "min", "values": [512]}]},
            ],
        }
    ]
    split = bll.get_stats(company, stats_request(split_by_variant=True))
    assert [(w["worker"], m["variant"], m["stats"][0]["values"]) for w in split for m in w["metrics"]] == [
        ("w1", "0", [20, 50]),
        ("w1", "1", [30, 50]),
        ("w2", "0", [1]),
    ]
    assert bll.get_stats(company, stats_request(items=[{"key": "no_such_metric"}])) == []


def test_report_timestamp_in_seconds_is_scaled(bll: StatsBLL) -> None:
    company = new_company()
    record(bll, company, {"worker": "w", "timestamp": T0 + 61, "machine_stats": {"cpu_usage": [7]}})
    workers = bll.get_stats(company, stats_request())
    assert workers[0]["metrics"][0]["dates"] == [(T0 + 60) * 1000]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"to_date": T0}, "from_date"),
        ({"to_date": T0 - 60}, "from_date"),
        ({"interval": 0}, "interval"),
        # found by the OpenAPI fuzzer (issue 13): a 500 OverflowError in the stores before
        ({"interval": 121645100408831999, "to_date": 6582809218512340.0}, "to_date"),
        ({"interval": 121645100408831999, "to_date": 2 * 121645100408831999}, "to_date"),
    ],
)
def test_bad_ranges_are_refused(bll: StatsBLL, change: dict[str, Any], field: str) -> None:
    company = new_company()
    for read in (bll.get_stats, bll.get_activity_report, bll.get_queue_metrics):
        with pytest.raises(ApiError) as exc:
            read(company, stats_request(**change))
        assert (exc.value.code, exc.value.subcode) == (400, 16)
        assert field in exc.value.msg


def test_interval_too_small_for_the_range(bll: StatsBLL) -> None:
    with pytest.raises(ApiError) as exc:
        bll.get_activity_report(new_company(), stats_request(to_date=T0 + 86400 * 30, interval=1))
    assert (exc.value.code, exc.value.subcode) == (400, 16)
    assert "interval" in exc.value.msg


def test_activity_report_fills_gaps_and_drops_the_incomplete_interval(bll: StatsBLL) -> None:
    company = new_company()
    record(
        bll,
        company,
        report("w1", T0, task="t1", cpu_usage=[1]),
        report("w2", T0 + 10, cpu_usage=[1]),
        report("w1", T0 + 180, cpu_usage=[1]),
        report("w2", T0 + 550, task="t2", cpu_usage=[1]),  # in the last interval, of which 30 s are asked
    )
    result = bll.get_activity_report(company, {"from_date": T0, "to_date": T0 + 570, "interval": 60})
    minute = 60_000
    # w2 in the popped last interval still extends the series: zeros up to it
    assert result["total"] == {"dates": [T0 * 1000 + i * minute for i in range(9)], "counts": [2, 0, 0, 1] + [0] * 5}
    assert result["active"] == {"dates": [T0 * 1000 + i * minute for i in range(9)], "counts": [1] + [0] * 8}
    empty = bll.get_activity_report(new_company(), {"from_date": T0, "to_date": T0 + 600, "interval": 60})
    assert empty == {"total": {"dates": [], "counts": []}, "active": {"dates": [], "counts": []}}


def queue(queue_id: str, *waited: float) -> dict[str, Any]:
    now = datetime.utcfromtimestamp(T0)
    return {
        "id": queue_id,
        "entries": [{"task": f"t{i}", "added": now - timedelta(seconds=w)} for i, w in enumerate(waited)],
    }


def test_queue_metrics_per_queue_and_total(bll: StatsBLL) -> None:
    company = new_company()
    bll.record_queue_metrics(company, [queue("q1", 10, 20), queue("q2")])
    bll.clock = lambda: float(T0 + 60)
    bll.record_queue_metrics(company, [queue("q2", 0)])  # added at T0, recorded at T0 + 60: waited 60 s
    request = {"from_date": T0, "to_date": T0 + 600, "interval": 60}
    assert bll.get_queue_metrics(company, {**request, "queue_ids": ["q1", "q9"]}) == [
        {"queue": "q1", "dates": [T0 * 1000], "avg_waiting_times": [15.0], "queue_lengths": [2]},
        {"queue": "q9", "dates": [], "avg_waiting_times": [], "queue_lengths": []},
    ]
    total = bll.get_queue_metrics(company, request)
    # second bucket: q1 keeps its (15 s, 2) from the first one; q2 has one task waiting 60 s
    assert total == [
        {
            "queue": "total",
            "dates": [T0 * 1000, (T0 + 60) * 1000],
            "avg_waiting_times": [15.0, pytest.approx((15 * 2 + 60 * 1) / 3)],
            "queue_lengths": [2, 3],
        }
    ]
    assert bll.get_queue_metrics(new_company(), request) == [
        {"queue": "total", "dates": [], "avg_waiting_times": [], "queue_lengths": []}
    ]


def test_recording_never_fails_the_caller(bll: StatsBLL) -> None:
    company = new_company()
    bll.record_queue_metrics(company, [{}, {"id": "q1", "entries": [{"task": "t", "added": "not a date"}, "junk"]}])
    request = {"from_date": T0, "to_date": T0 + 60, "interval": 60, "queue_ids": ["q1"]}
    assert bll.get_queue_metrics(company, request)[0]["queue_lengths"] == [0]
    bll.stores.stats.close()  # type: ignore[attr-defined]
    bll.record_queue_metrics(company, [queue("q1", 5)])
    record(bll, company, report("w1", T0, cpu_usage=[1]))


def test_queue_metric_one_pass_agrees_with_the_general_path() -> None:
    """The one-pass sum over naive datetimes (issue 24) gives the per-entry loop's figures."""
    from datetime import UTC, datetime, timedelta

    from stationmaster.bll.statistics import _queue_metric

    now = 1_800_000_000.0
    start = datetime.fromtimestamp(now, tz=UTC).replace(tzinfo=None)
    naive = [{"task": str(i), "added": start - timedelta(seconds=i, microseconds=i * 7)} for i in range(500)]
    fast = _queue_metric({"id": "q", "entries": naive}, now)
    # an ISO text entry sends the whole queue through the general path
    mixed = _queue_metric({"id": "q", "entries": [*naive, {"task": "x", "added": "not a date"}]}, now)
    assert fast.queue_length == mixed.queue_length == 500
    assert fast.average_waiting_time == pytest.approx(mixed.average_waiting_time, rel=1e-12)
    assert fast.average_waiting_time == pytest.approx(sum(i + i * 7e-6 for i in range(500)) / 500, rel=1e-12)
    aware = [{"added": start.replace(tzinfo=UTC) - timedelta(seconds=10)}, {"added": start - timedelta(seconds=20)}]
    assert _queue_metric({"id": "q", "entries": aware}, now).average_waiting_time == pytest.approx(15.0)


@pytest.mark.parametrize(
    "odd",
    [
        {"task": "x"},
        "junk",
        {"task": "x", "added": 1_799_999_990},
        {"task": "x", "added": None},
        ["x", "y"],
        {"task": "x", "added": "2027-01-15T07:59:50Z"},
    ],
    ids=["no added", "not a mapping", "epoch seconds", "null added", "a list", "ISO text"],
)
def test_queue_metric_any_odd_entry_takes_the_general_path(odd: Any) -> None:
    """The one-pass sum checks no entry: each shape it cannot sum sends the queue to the
    per-entry loop, which counts what it can read (ISO text, 10 s before ``now``)."""
    from datetime import UTC, datetime, timedelta

    from stationmaster.bll.statistics import _queue_metric

    now = 1_800_000_000.0
    start = datetime.fromtimestamp(now, tz=UTC).replace(tzinfo=None)
    entries = [{"task": "a", "added": start - timedelta(seconds=20)}, odd]
    metric = _queue_metric({"id": "q", "entries": entries}, now)
    readable = isinstance(odd, dict) and isinstance(odd.get("added"), str)
    assert metric.queue_length == (2 if readable else 1)
    assert metric.average_waiting_time == pytest.approx(15.0 if readable else 20.0)


def test_wait_sums_carry_the_sum_over_pops_and_appends(monkeypatch: pytest.MonkeyPatch) -> None:
    """The embedded store hands out the same entry objects pop after pop: the sum is
    carried over (only the entries removed or added are summed), and always equals the
    sum afresh and the per-entry loop's figures."""
    from datetime import UTC, datetime, timedelta

    from stationmaster.bll import statistics

    now = 1_800_000_000.0
    start = datetime.fromtimestamp(now, tz=UTC).replace(tzinfo=None)
    entries = [{"task": str(i), "added": start - timedelta(seconds=i, microseconds=i)} for i in range(300)]
    summed: list[int] = []
    original = statistics._added_sum
    monkeypatch.setattr(statistics, "_added_sum", lambda items: summed.append(len(items)) or original(items))
    sums = statistics.WaitSums()
    queue = entries
    for step in range(6):
        if step % 3 == 2:
            queue = [*queue, {"task": f"new{step}", "added": start}]  # an append
        elif step:
            queue = queue[1:]  # a pop
        carried = statistics._queue_metric({"id": "q", "entries": queue}, now, sums)
        afresh = statistics._queue_metric({"id": "q", "entries": queue}, now)
        general = statistics._queue_metric({"id": "q", "entries": [*queue, "junk"]}, now)
        assert carried == afresh
        assert carried.average_waiting_time == pytest.approx(general.average_waiting_time, rel=1e-12)
    # with the sums: 300 once, then 1 per pop or append; without them every entry each time
    assert summed[::3] == [300, 1, 1, 1, 1, 1]  # (each step sums afresh twice more, for the comparisons)
    copies = [dict(e) for e in queue]  # a document server's entries: new objects each time
    summed.clear()
    assert statistics._queue_metric({"id": "q", "entries": copies}, now, sums) == afresh
    assert summed == [len(copies)]


def test_a_queue_too_long_for_one_timedelta_sum_takes_the_general_path() -> None:
    from datetime import UTC, datetime, timedelta

    from stationmaster.bll import statistics

    now = 1_800_000_000.0
    start = datetime.fromtimestamp(now, tz=UTC).replace(tzinfo=None)
    entries = [{"task": str(i), "added": start - timedelta(seconds=10)} for i in range(60_000)]
    for sums in (None, statistics.WaitSums()):
        metric = statistics._queue_metric({"id": "q", "entries": entries}, now, sums)
        assert metric.queue_length == 60_000
        assert metric.average_waiting_time == pytest.approx(10.0)
