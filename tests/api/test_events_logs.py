"""Logs up to API 2.30 on both event stores: get_task_log 2.30 (metrics filter),
clear_task_log (2.19 / 2.30, allow_locked, threshold_sec, include/exclude metrics) and
clear_scroll (2.18)."""

from __future__ import annotations

import time

import pytest
from support.client import ApiClient
from support.events_api import T0, add, fails, image, log, new_task, ok, tenant_of


@pytest.fixture
def api(events_root: ApiClient) -> ApiClient:
    return tenant_of(events_root)


def metric_log(task: str, msg: str, ts: int, metric: str) -> dict:
    return {**log(task, msg, ts), "metric": metric}


def test_task_log_2_30_filters_by_metric(api: ApiClient) -> None:
    task = new_task(api)
    lines = [log(task, f"plain {i}", T0 + i) for i in range(3)]
    lines += [metric_log(task, f"m {i}", T0 + 10 + i, "stdout") for i in range(4)]
    add(api, lines)
    every = ok(api, "events.get_task_log", {"task": task}, "2.30")
    assert every["total"] == 7 and every["returned"] == 7
    only = ok(api, "events.get_task_log", {"task": task, "metrics": [{"metric": "stdout"}], "batch_size": 2}, "2.30")
    assert only["total"] == 4
    assert [e["msg"] for e in only["events"]] == ["m 3", "m 2"]
    # the filter is of 2.30: a 2.9 caller's metrics are not read
    older = ok(api, "events.get_task_log", {"task": task, "metrics": [{"metric": "stdout"}]}, "2.9")
    assert older["total"] == 7
    fails(api, "events.get_task_log", {"task": task, "metrics": [{"variants": ["x"]}]}, "2.30", 400, 12)
    fails(api, "events.get_task_log", {"task": task, "metrics": "stdout"}, "2.30", 400, 12)


def test_clear_task_log(api: ApiClient) -> None:
    task = new_task(api)
    now = int(time.time() * 1000)
    old = [log(task, f"old {i}", now - 3_600_000 + i) for i in range(3)]
    recent = [log(task, f"new {i}", now - 1000 + i) for i in range(2)]
    add(api, old + recent + [image(task, 1, "u")])
    assert ok(api, "events.clear_task_log", {"task": task, "threshold_sec": 600}, "2.19") == {"deleted": 3}
    left = ok(api, "events.get_task_log", {"task": task}, "2.9")
    assert left["total"] == 2 and sorted(e["msg"] for e in left["events"]) == ["new 0", "new 1"]
    assert ok(api, "events.clear_task_log", {"task": task}, "2.19") == {"deleted": 2}
    assert ok(api, "events.get_task_log", {"task": task}, "2.9")["total"] == 0
    # other events stay
    assert ok(api, "events.get_task_events", {"task": task})["total"] == 1


def test_clear_task_log_by_metrics_and_locked_tasks(api: ApiClient) -> None:
    task = new_task(api)
    add(api, [metric_log(task, "a", T0, "a"), metric_log(task, "b", T0 + 1, "b"), log(task, "c", T0 + 2)])
    assert ok(api, "events.clear_task_log", {"task": task, "include_metrics": ["a"]}, "2.30") == {"deleted": 1}
    assert ok(api, "events.clear_task_log", {"task": task, "exclude_metrics": ["b"]}, "2.30") == {"deleted": 1}
    (left,) = ok(api, "events.get_task_log", {"task": task}, "2.30")["events"]
    assert left["msg"] == "b"
    api.tasks.publish(task=task, force=True)
    fails(api, "events.clear_task_log", {"task": task}, "2.30", 400, 101)
    assert ok(api, "events.clear_task_log", {"task": task, "allow_locked": True}, "2.30") == {"deleted": 1}
    fails(api, "events.clear_task_log", {"task": "nosuch"}, "2.30", 400, 101)
    fails(api, "events.clear_task_log", {"task": task, "threshold_sec": -1}, "2.30", 400, 12)
    fails(api, "events.clear_task_log", {}, "2.30", 400, 12)


def test_clear_scroll(api: ApiClient) -> None:
    task = new_task(api)
    add(api, [image(task, i, f"u{i}") for i in range(3)])
    request = {"metrics": [{"task": task, "metric": "img"}], "iters": 1}
    first = ok(api, "events.debug_images", request, "2.7")
    ok(api, "events.debug_images", {**request, "scroll_id": first["scroll_id"]}, "2.7")
    assert ok(api, "events.clear_scroll", {"scroll_id": first["scroll_id"]}, "2.18") == {}
    # its state is gone
    fails(api, "events.debug_images", {**request, "scroll_id": first["scroll_id"]}, "2.7", 400, 1104)
    # a paged read's cursor, an unknown id and FFFF are accepted alike
    page = ok(api, "events.get_task_events", {"task": task, "batch_size": 1})
    for scroll_id in (page["scroll_id"], "FFFF", "nosuch"):
        assert ok(api, "events.clear_scroll", {"scroll_id": scroll_id}, "2.18") == {}
    fails(api, "events.clear_scroll", {}, "2.18", 400, 12)
    fails(api, "events.clear_scroll", {"scroll_id": "x"}, "2.17", 404, 0)
