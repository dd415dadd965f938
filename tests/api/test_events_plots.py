"""events.plots (2.20 / 2.22) and debug_images 2.14 on both event stores: pages of
iterations per (task, metric), with variants and whole-task entries."""

from __future__ import annotations

import pytest
from support.client import ApiClient
from support.events_api import add, fails, image, new_task, ok, plot, scalar, tenant_of


@pytest.fixture
def api(events_root: ApiClient) -> ApiClient:
    return tenant_of(events_root)


def iterations(answer: dict) -> dict:
    return {
        (m["task"], m["metric"]): [(i["iter"], sorted(e["variant"] for e in i["events"])) for i in m["iterations"]]
        for m in answer["metrics"]
    }


def test_plots_page_iterations_like_debug_images(api: ApiClient) -> None:
    task = new_task(api)
    add(api, [plot(task, i, variant=v) for i in range(5) for v in ("a", "b")] + [plot(task, 1, metric="q")])
    request = {"metrics": [{"task": task, "metric": "p"}], "iters": 2}
    first = ok(api, "events.plots", request, "2.20")
    assert iterations(first) == {(task, "p"): [(4, ["a", "b"]), (3, ["a", "b"])]}
    nxt = ok(api, "events.plots", {**request, "scroll_id": first["scroll_id"]}, "2.20")
    assert iterations(nxt) == {(task, "p"): [(2, ["a", "b"]), (1, ["a", "b"])]}
    only_b = {"metrics": [{"task": task, "metric": "p", "variants": ["b"]}], "iters": 1}
    assert iterations(ok(api, "events.plots", only_b, "2.22")) == {(task, "p"): [(4, ["b"])]}
    whole = ok(api, "events.plots", {"metrics": [{"task": task}], "iters": 1}, "2.22")
    assert iterations(whole) == {(task, "p"): [(4, ["a", "b"])], (task, "q"): [(1, ["v"])]}
    fails(api, "events.plots", {"metrics": []}, "2.20", 400, 12)
    fails(api, "events.plots", {"metrics": [{"task": "nosuch", "metric": "p"}]}, "2.20", 400, 101)


def test_debug_images_2_14_variants(api: ApiClient) -> None:
    task = new_task(api)
    add(api, [image(task, i, f"u{i}{v}", variant=v) for i in range(3) for v in ("a", "b")])
    request = {"metrics": [{"task": task, "metric": "img", "variants": ["a"]}], "iters": 3}
    assert iterations(ok(api, "events.debug_images", request, "2.14")) == {
        (task, "img"): [(2, ["a"]), (1, ["a"]), (0, ["a"])]
    }
    whole = ok(api, "events.debug_images", {"metrics": [{"task": task}], "iters": 1}, "2.14")
    assert iterations(whole) == {(task, "img"): [(2, ["a", "b"])]}


def test_from_2_10_a_metric_without_images_is_listed_empty(api: ApiClient) -> None:
    bare, task = new_task(api), new_task(api)
    add(api, [image(task, 1, "u")])
    request = {"metrics": [{"task": bare, "metric": "img"}, {"task": task, "metric": "img"}]}
    for version in ("2.10", "2.22"):
        answer = ok(api, "events.debug_images", request, version)
        assert iterations(answer) == {(bare, "img"): [], (task, "img"): [(1, ["v"])]}, version
        again = ok(api, "events.debug_images", {**request, "scroll_id": answer["scroll_id"]}, version)
        assert iterations(again) == {(bare, "img"): [], (task, "img"): []}
    # below 2.10 the 0.16 answer: only metrics with images
    assert iterations(ok(api, "events.debug_images", request, "2.9")) == {(task, "img"): [(1, ["v"])]}
    plots = ok(api, "events.plots", {"metrics": [{"task": bare, "metric": "p"}]}, "2.20")
    assert iterations(plots) == {(bare, "p"): []}


def test_no_scroll_answers_without_a_scroll_id(api: ApiClient) -> None:
    """no_scroll (2.22, in clearml 2.1's bundle): the same events, no scroll_id; before 2.22
    the field is not declared and the answer keeps its scroll id."""
    task = new_task(api)
    add(api, [plot(task, i) for i in range(3)] + [scalar(task, i, float(i)) for i in range(3)])
    calls = (
        ("events.get_task_plots", {"task": task, "iters": 2}),
        ("events.get_multi_task_plots", {"tasks": [task], "iters": 2}),
        ("events.get_scalar_metric_data", {"task": task, "metric": "loss"}),
    )
    for action, request in calls:
        plain = ok(api, action, request, "2.22")
        quiet = ok(api, action, {**request, "no_scroll": True}, "2.23")
        assert "scroll_id" in plain and "scroll_id" not in quiet, action
        assert {k: v for k, v in plain.items() if k != "scroll_id"} == quiet, action
        assert "scroll_id" in ok(api, action, {**request, "no_scroll": True}, "2.9"), action
        fails(api, action, {**request, "no_scroll": "yes"}, "2.22", 400, 12)
