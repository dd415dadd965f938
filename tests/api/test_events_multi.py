"""Multi-task reads of later API versions on both event stores: get_multi_task_metrics
(2.28), the metrics filter (2.14 / 2.28) of histograms and plots, and
get_multi_task_plots 2.26 (last_iters_per_task_metric)."""

from __future__ import annotations

import pytest
from support.client import ApiClient
from support.events_api import add, fails, image, new_model, new_task, ok, plot, scalar, tenant_of


@pytest.fixture
def api(events_root: ApiClient) -> ApiClient:
    return tenant_of(events_root)


def test_multi_task_metrics(api: ApiClient) -> None:
    one, two = new_task(api), new_task(api)
    add(api, [scalar(one, 1, 1.0, variant="a"), scalar(two, 1, 1.0, variant="b"), scalar(two, 1, 1.0, metric="acc")])
    add(api, [image(one, 1, "u")])
    every = ok(api, "events.get_multi_task_metrics", {"tasks": [one, two]}, "2.28")
    assert every == {
        "metrics": [
            {"metric": "acc", "variants": ["train"]},
            {"metric": "img", "variants": ["v"]},
            {"metric": "loss", "variants": ["a", "b"]},
        ]
    }
    scalars = {"tasks": [one, two], "event_type": "training_stats_scalar"}
    assert [m["metric"] for m in ok(api, "events.get_multi_task_metrics", scalars, "2.28")["metrics"]] == [
        "acc",
        "loss",
    ]
    model = new_model(api)
    add(api, [{**scalar(model, 1, 1.0, metric="m"), "model_event": True}], "2.22")
    of_model = ok(api, "events.get_multi_task_metrics", {"tasks": [model], "model_events": True}, "2.28")
    assert of_model == {"metrics": [{"metric": "m", "variants": ["train"]}]}
    fails(api, "events.get_multi_task_metrics", {"tasks": ["nosuch"]}, "2.28", 400, 101)
    fails(api, "events.get_multi_task_metrics", {"tasks": [one], "event_type": "x"}, "2.28", 400, 12)


def test_metrics_filter_on_histograms(api: ApiClient) -> None:
    one, two = new_task(api), new_task(api)
    events = [
        scalar(t, i, float(i), metric=m, variant=v) for t in (one, two) for i in range(3) for m in "xy" for v in "ab"
    ]
    add(api, events)
    only = {"task": one, "metrics": [{"metric": "x", "variants": ["b"]}, {"metric": "y"}]}
    hist = ok(api, "events.scalar_metrics_iter_histogram", only, "2.14")
    assert {m: sorted(v) for m, v in hist.items()} == {"x": ["b"], "y": ["a", "b"]}
    multi = {"tasks": [one, two], "metrics": [{"metric": "y", "variants": ["a"]}]}
    found = ok(api, "events.multi_task_scalar_metrics_iter_histogram", multi, "2.28")["metrics"]
    assert list(found) == ["y"] and list(found["y"]) == ["a"] and sorted(found["y"]["a"]) == sorted([one, two])


def test_plots_metrics_filter_and_last_iterations_per_metric(api: ApiClient) -> None:
    one, two = new_task(api, "one"), new_task(api, "two")
    add(api, [plot(one, i, "p") for i in range(5)] + [plot(one, 1, "q"), plot(two, 7, "p")])
    filtered = ok(api, "events.get_task_plots", {"task": one, "iters": 5, "metrics": [{"metric": "q"}]}, "2.14")
    assert [(p["metric"], p["iter"]) for p in filtered["plots"]] == [("q", 1)]
    per_metric = ok(api, "events.get_multi_task_plots", {"tasks": [one, two], "iters": 1}, "2.26")
    plots = per_metric["plots"]
    assert set(plots["p"]["v"][one]) == {"4"} and set(plots["q"]["v"][one]) == {"1"}
    assert set(plots["p"]["v"][two]) == {"7"}
    # per task (the 1.8 rule): q's iteration 1 is not among task one's last iteration
    per_task = {"tasks": [one, two], "iters": 1, "last_iters_per_task_metric": False}
    assert "q" not in ok(api, "events.get_multi_task_plots", per_task, "2.26")["plots"]
    only_q = {"tasks": [one, two], "iters": 1, "metrics": [{"metric": "q"}]}
    assert list(ok(api, "events.get_multi_task_plots", only_q, "2.28")["plots"]) == ["q"]


def test_later_fields_sent_with_an_older_version_are_not_read(api: ApiClient) -> None:
    # the 2.14 / 2.28 filters are not part of the older blocks: not validated, so not read
    task = new_task(api)
    add(api, [scalar(task, 1, 1.0, metric="x"), scalar(task, 1, 1.0, metric="y")])
    garbage = [{"metric": {}, "variants": 3}]
    hist = ok(api, "events.scalar_metrics_iter_histogram", {"task": task, "metrics": garbage}, "2.9")
    assert sorted(hist) == ["x", "y"]
    multi = {"tasks": [task], "metrics": garbage}  # metrics: from 2.28
    assert sorted(ok(api, "events.multi_task_scalar_metrics_iter_histogram", multi, "2.22")["metrics"]) == ["x", "y"]
    fails(api, "events.scalar_metrics_iter_histogram", {"task": task, "metrics": garbage}, "2.14", 400, 12)
    images = {"metrics": [{"task": task, "metric": "img", "variants": {"a": 1}}]}
    assert ok(api, "events.debug_images", images, "2.10")["metrics"] == [
        {"task": task, "metric": "img", "iterations": []}
    ]
    clear = {"task": task, "include_metrics": 5}
    assert ok(api, "events.clear_task_log", clear, "2.19") == {"deleted": 0}
    fails(api, "events.clear_task_log", clear, "2.30", 400, 12)
