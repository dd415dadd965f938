"""Single-sample navigation on both event stores: get_debug_image_sample /
next_debug_image_sample (2.12 / 2.20 / 2.22) and get_plot_sample / next_plot_sample
(2.20 / 2.22), their Redis states and the images' valid ranges."""

from __future__ import annotations

import pytest
from support.client import ApiClient
from support.events_api import add, fails, image, new_task, ok, plot, tenant_of

V = "2.22"


@pytest.fixture
def api(events_root: ApiClient) -> ApiClient:
    return tenant_of(events_root)


def where(answer: dict) -> tuple:
    event = answer["event"]
    return (event["iter"], event["metric"], event["variant"]) if event else None


def test_debug_image_sample_navigation(api: ApiClient) -> None:
    task = new_task(api)
    # variant "a": 3 files reused over 6 iterations (iterations 0-2 overwritten since)
    events = [image(task, i, f"a{i % 3}", variant="a") for i in range(6)]
    events += [image(task, i, f"b{i}", variant="b") for i in range(2, 6)]
    events += [image(task, 4, "o", metric="other", variant="x")]
    add(api, events)
    first = ok(api, "events.get_debug_image_sample", {"task": task, "metric": "img", "variant": "a"}, V)
    assert where(first) == (5, "img", "a")
    assert (first["min_iteration"], first["max_iteration"]) == (3, 5)
    scroll = first["scroll_id"]
    step = {"task": task, "scroll_id": scroll}
    # later: the next variant at the same iteration, then the next iteration (nothing beyond 5)
    nxt = ok(api, "events.next_debug_image_sample", {**step, "navigate_earlier": False}, V)
    assert where(nxt) == (5, "img", "b") and nxt["min_iteration"] == 2
    assert ok(api, "events.next_debug_image_sample", {**step, "navigate_earlier": False}, V)["event"] is None
    # earlier: a at 5, b at 4, a at 4, ... and a's overwritten iterations are skipped
    seen = []
    while True:
        answer = ok(api, "events.next_debug_image_sample", {**step, "navigate_earlier": True}, V)
        if answer["event"] is None:
            break
        seen.append(where(answer))
    assert seen == [
        (5, "img", "a"),
        (4, "img", "b"),
        (4, "img", "a"),
        (3, "img", "b"),
        (3, "img", "a"),
        (2, "img", "b"),
    ]
    # an iteration asked for, and next_iteration
    at = ok(api, "events.get_debug_image_sample", {**step, "metric": "img", "variant": "b", "iteration": 3}, V)
    assert where(at) == (3, "img", "b")
    jump = ok(api, "events.next_debug_image_sample", {**step, "navigate_earlier": False, "next_iteration": True}, V)
    assert where(jump) == (4, "img", "a")
    # navigate_current_metric false: the other metric is reached too
    all_metrics = {"task": task, "metric": "img", "variant": "b", "iteration": 4, "navigate_current_metric": False}
    start = ok(api, "events.get_debug_image_sample", all_metrics, V)
    step2 = {"task": task, "scroll_id": start["scroll_id"], "navigate_earlier": False}
    assert where(ok(api, "events.next_debug_image_sample", step2, V)) == (4, "other", "x")


def test_debug_image_sample_bad_input(api: ApiClient) -> None:
    task, other = new_task(api), new_task(api)
    add(api, [image(task, 1, "u"), image(other, 1, "u")])
    first = ok(api, "events.get_debug_image_sample", {"task": task, "metric": "img", "variant": "v"}, "2.12")
    assert where(first) == (1, "img", "v")
    none = ok(api, "events.get_debug_image_sample", {"task": task, "metric": "img", "variant": "nosuch"}, V)
    assert none["event"] is None and none["min_iteration"] is None
    fails(api, "events.next_debug_image_sample", {"task": other, "scroll_id": first["scroll_id"]}, V, 400, 1104)
    fails(api, "events.next_debug_image_sample", {"task": task, "scroll_id": "nosuch"}, V, 400, 1104)
    request = {"task": task, "metric": "other", "variant": "v", "scroll_id": first["scroll_id"]}
    fails(api, "events.get_debug_image_sample", request, V, 400, 1104)
    fails(api, "events.get_debug_image_sample", {"task": task, "metric": "img"}, V, 400, 12)
    fails(api, "events.get_debug_image_sample", {"task": "nosuch", "metric": "img", "variant": "v"}, V, 400, 101)
    fails(api, "events.get_debug_image_sample", {"task": task, "metric": "img", "variant": "v"}, "2.11", 404, 0)
    # the state is released by clear_scroll
    ok(api, "events.clear_scroll", {"scroll_id": first["scroll_id"]}, V)
    fails(api, "events.next_debug_image_sample", {"task": task, "scroll_id": first["scroll_id"]}, V, 400, 1104)


def test_plot_sample_navigation(api: ApiClient) -> None:
    task = new_task(api)
    add(api, [plot(task, i, m, v) for i in (1, 2) for m in ("p", "q") for v in ("v1", "v2")] + [plot(task, 3, "p")])
    first = ok(api, "events.get_plot_sample", {"task": task, "metric": "p", "navigate_current_metric": False}, V)
    assert {(e["iter"], e["variant"]) for e in first["events"]} == {(3, "v")}
    assert (first["min_iteration"], first["max_iteration"]) == (1, 3)
    step = {"task": task, "scroll_id": first["scroll_id"]}
    back = ok(api, "events.next_plot_sample", step, V)  # earlier by default
    assert {(e["iter"], e["metric"], e["variant"]) for e in back["events"]} == {(2, "q", "v1"), (2, "q", "v2")}
    back = ok(api, "events.next_plot_sample", step, V)
    assert {(e["iter"], e["metric"]) for e in back["events"]} == {(2, "p")}
    at = ok(api, "events.get_plot_sample", {**step, "metric": "q", "iteration": 1, "navigate_current_metric": False}, V)
    assert {(e["iter"], e["metric"]) for e in at["events"]} == {(1, "q")}
    fails(api, "events.next_plot_sample", {"task": task, "scroll_id": "nosuch"}, V, 400, 1104)
    empty = ok(api, "events.get_plot_sample", {"task": task, "metric": "nosuch"}, "2.20")
    assert empty["events"] == [] and empty["min_iteration"] is None
