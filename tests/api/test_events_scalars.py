"""Later scalar reads on both event stores: scalar_metrics_iter_raw (2.16 / 2.22),
get_task_single_value_metrics (2.20+), and last_metrics' min/max value iterations."""

from __future__ import annotations

import pytest
from support.client import ApiClient
from support.events_api import T0, add, fails, new_model, new_task, ok, scalar, tenant_of

SINGLE = -(2**31)


@pytest.fixture
def api(events_root: ApiClient) -> ApiClient:
    return tenant_of(events_root)


def test_raw_scalars_page_every_point_by_scroll_id(api: ApiClient) -> None:
    task = new_task(api)
    points = [scalar(task, i, float(i), variant=v) for i in range(25) for v in ("a", "b")]
    add(api, points + [scalar(task, 3, 9.0, metric="other")])
    request = {"task": task, "metric": {"metric": "loss"}, "batch_size": 20, "count_total": True}
    seen: dict[str, list] = {"a": [], "b": []}
    answer = ok(api, "events.scalar_metrics_iter_raw", request, "2.16")
    pages = 0
    while answer["returned"]:
        pages += 1
        assert answer["total"] == 50
        for variant, series in answer["variants"].items():
            assert series["y"] == [float(i) for i in series["iter"]]
            seen[variant] += series["iter"]
        answer = ok(api, "events.scalar_metrics_iter_raw", {**request, "scroll_id": answer["scroll_id"]}, "2.16")
    assert pages == 3
    assert seen == {"a": list(range(25)), "b": list(range(25))}
    # past the end: still nothing, the total kept
    again = ok(api, "events.scalar_metrics_iter_raw", {**request, "scroll_id": answer["scroll_id"]}, "2.16")
    assert again["returned"] == 0 and again["total"] == 50


def test_raw_scalars_variants_keys_and_bad_input(api: ApiClient) -> None:
    task = new_task(api)
    add(api, [scalar(task, i, float(i), variant=v, ts=T0 + 10 * i) for i in range(5) for v in ("a", "b")])
    one = {"task": task, "metric": {"metric": "loss", "variants": ["b"]}, "key": "timestamp"}
    answer = ok(api, "events.scalar_metrics_iter_raw", one, "2.16")
    assert answer["total"] is None and answer["returned"] == 5
    assert answer["variants"] == {"b": {"y": [0.0, 1.0, 2.0, 3.0, 4.0], "timestamp": [T0 + 10 * i for i in range(5)]}}
    iso = ok(api, "events.scalar_metrics_iter_raw", {**one, "key": "iso_time"}, "2.16")
    assert iso["variants"]["b"]["iso_time"] == answer["variants"]["b"]["timestamp"]
    base = {"task": task, "metric": {"metric": "loss"}}
    fails(api, "events.scalar_metrics_iter_raw", {**base, "scroll_id": "garbage"}, "2.16", 400, 1104)
    other = ok(api, "events.scalar_metrics_iter_raw", one, "2.16")["scroll_id"]
    fails(api, "events.scalar_metrics_iter_raw", {**base, "scroll_id": other}, "2.16", 400, 1104)
    fails(api, "events.scalar_metrics_iter_raw", {**base, "batch_size": -1}, "2.16", 400, 12)
    fails(api, "events.scalar_metrics_iter_raw", {**base, "key": "x"}, "2.16", 400, 12)
    fails(api, "events.scalar_metrics_iter_raw", {"task": task, "metric": "loss"}, "2.16", 400, 12)
    fails(api, "events.scalar_metrics_iter_raw", {"task": "nosuch", "metric": {"metric": "loss"}}, "2.16", 400, 101)
    fails(api, "events.scalar_metrics_iter_raw", base, "2.15", 404, 0)


def test_raw_scalars_of_a_model(api: ApiClient) -> None:
    model = new_model(api)
    add(api, [{**scalar(model, i, 1.0), "model_event": True} for i in range(3)], "2.22")
    request = {"task": model, "metric": {"metric": "loss"}, "model_events": True}
    assert ok(api, "events.scalar_metrics_iter_raw", request, "2.22")["variants"]["train"]["iter"] == [0, 1, 2]


def test_single_value_metrics(api: ApiClient) -> None:
    task, empty = new_task(api, "with values"), new_task(api)
    add(
        api,
        [
            scalar(task, SINGLE, 0.9, metric="Summary", variant="accuracy", ts=T0),
            scalar(task, SINGLE, 12.0, metric="Summary", variant="epochs", ts=T0 + 1),
            scalar(task, 1, 5.0),
        ],
    )
    answer = ok(api, "events.get_task_single_value_metrics", {"tasks": [task, empty]}, "2.20")
    assert answer == {
        "tasks": [
            {
                "task": task,
                "task_name": "with values",
                "values": [
                    {"metric": "Summary", "variant": "accuracy", "value": 0.9, "timestamp": T0},
                    {"metric": "Summary", "variant": "epochs", "value": 12.0, "timestamp": T0 + 1},
                ],
            }
        ]
    }
    only = {"tasks": [task], "metrics": [{"metric": "Summary", "variants": ["epochs"]}]}
    (entry,) = ok(api, "events.get_task_single_value_metrics", only, "2.28")["tasks"]
    assert [v["variant"] for v in entry["values"]] == ["epochs"]
    fails(api, "events.get_task_single_value_metrics", {"tasks": ["nosuch"]}, "2.20", 400, 101)
    fails(api, "events.get_task_single_value_metrics", {}, "2.20", 400, 12)


def test_last_metrics_keep_the_iterations_of_min_and_max(api: ApiClient) -> None:
    task = new_task(api)
    add(api, [scalar(task, 1, 5.0), scalar(task, 2, 1.0), scalar(task, 3, 9.0)])
    add(api, [scalar(task, 4, 3.0), scalar(task, 5, 0.5)])

    def last() -> dict:
        (metric,) = api.tasks.get_by_id(task=task)["task"]["last_metrics"].values()
        (variant,) = metric.values()
        return dict(variant)

    found = last()
    assert (found["min_value"], found["min_value_iteration"]) == (0.5, 5)
    assert (found["max_value"], found["max_value_iteration"]) == (9.0, 3)
    add(api, [scalar(task, 6, 9.0)])  # a tie: the later point counts, as for the value
    assert last()["max_value_iteration"] == 6
