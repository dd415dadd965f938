"""Model events (API 2.22) on both event stores: reported with ``model_event: true``,
read back with ``model_events: true``, deleted with ``events.delete_for_model``; and the
announced API level, which stays 2.9 while these actions are served on request."""

from __future__ import annotations

import jwt
import pytest
from support.client import ApiClient
from support.events_api import T0, add, fails, image, new_model, new_task, ok, scalar, tenant_of

V = "2.22"


@pytest.fixture
def api(events_root: ApiClient) -> ApiClient:
    return tenant_of(events_root)


def model_scalar(model: str, it: int, value: float, metric: str = "loss", variant: str = "train") -> dict:
    return {**scalar(model, it, value, metric, variant), "model_event": True}


def test_announced_version_is_2_31_and_older_versions_still_route(api: ApiClient, events_root: ApiClient) -> None:
    assert ok(api, "server.info", {})["api_version"] == "2.31"
    claims = jwt.decode(api.token, options={"verify_signature": False})
    assert claims["api_version"] == "2.31"
    task = new_task(api)
    for requested, actual in ((V, V), ("2.31", V), ("2.9", "1.0"), (None, V)):
        reply = api.call("events.add_batch", batch=[scalar(task, 1, 1.0)], version=requested)
        assert reply.status == 200, reply.envelope
        assert reply.envelope["meta"]["endpoint"]["actual_version"] == actual, requested


def test_model_scalars_are_read_back_as_model_events_only(api: ApiClient) -> None:
    model, task = new_model(api), new_task(api)
    result = add(api, [model_scalar(model, i, float(i)) for i in range(5)] + [scalar(task, 1, 7.0)], V)
    assert result == {"added": 6, "errors": 0, "errors_info": {}}
    hist = ok(api, "events.scalar_metrics_iter_histogram", {"task": model, "model_events": True}, V)
    assert hist["loss"]["train"]["x"] == [0, 1, 2, 3, 4]
    assert hist["loss"]["train"]["y"] == [0.0, 1.0, 2.0, 3.0, 4.0]
    # a model id is not a task's, a task id not a model's
    fails(api, "events.scalar_metrics_iter_histogram", {"task": model}, V, 400, 101)
    fails(api, "events.scalar_metrics_iter_histogram", {"task": task, "model_events": True}, V, 400, 201)
    names = ok(api, "events.get_scalar_metrics_and_variants", {"task": model, "model_events": True}, V)
    assert names["metrics"] == {"loss": ["train"]}
    metrics = ok(api, "events.get_task_metrics", {"tasks": [model], "model_events": True}, V)
    assert metrics["metrics"] == [{"task": model, "metrics": ["loss"]}]
    events = ok(api, "events.get_task_events", {"task": model, "model_events": True}, V)
    assert events["total"] == 5 and {e["task"] for e in events["events"]} == {model}
    multi = ok(api, "events.multi_task_scalar_metrics_iter_histogram", {"tasks": [model], "model_events": True}, V)
    assert multi["metrics"]["loss"]["train"][model]["y"] == [0.0, 1.0, 2.0, 3.0, 4.0]
    data = ok(api, "events.get_scalar_metric_data", {"task": model, "metric": "loss", "model_events": True}, V)
    assert data["total"] == 5


def test_model_statistics_follow_the_events(api: ApiClient) -> None:
    model = new_model(api)
    add(api, [model_scalar(model, 3, 2.0), model_scalar(model, 7, 0.5)], V)
    doc = api.models.get_by_id(model=model)["model"]
    assert doc["last_iteration"] == 7
    (metric,) = doc["last_metrics"].values()
    (variant,) = metric.values()
    assert variant["metric"] == "loss" and variant["variant"] == "train"
    assert (variant["value"], variant["min_value"], variant["max_value"]) == (0.5, 0.5, 2.0)
    assert "metric_stats" not in doc


def test_model_debug_images_plots_and_vectors(api: ApiClient) -> None:
    model = new_model(api)
    plot = {"task": model, "type": "plot", "iter": 1, "metric": "p", "variant": "v", "plot_str": "{}"}
    vector = {"task": model, "type": "training_stats_vector", "iter": 1, "metric": "vec", "variant": "v"}
    events = [{**image(model, 1, "u1"), "model_event": True}, {**plot, "model_event": True}]
    events.append({**vector, "values": [1.0, 2.0], "model_event": True})
    assert add(api, events, V)["added"] == 3
    images = ok(api, "events.debug_images", {"metrics": [{"task": model, "metric": "img"}], "model_events": True}, V)
    assert [i["iter"] for i in images["metrics"][0]["iterations"]] == [1]
    plots = ok(api, "events.get_task_plots", {"task": model, "model_events": True}, V)
    assert [p["metric"] for p in plots["plots"]] == ["p"]
    multi = ok(api, "events.get_multi_task_plots", {"tasks": [model], "model_events": True}, V)
    assert list(multi["plots"]["p"]["v"]) == [model]
    hist = {"task": model, "metric": "vec", "variant": "v", "model_events": True}
    assert ok(api, "events.vector_metrics_iter_histogram", hist, V)["vectors"] == [[1.0, 2.0]]
    vectors = ok(api, "events.get_vector_metrics_and_variants", {"task": model, "model_events": True}, V)
    assert vectors["metrics"] == {"vec": ["v"]}


def test_model_event_rejections(api: ApiClient, make_tenant) -> None:  # type: ignore[no-untyped-def]
    model, published = new_model(api), new_model(api, ready=True)
    other = new_model(make_tenant())
    log_line = {"task": model, "type": "log", "msg": "m", "timestamp": T0, "model_event": True}
    result = add(
        api,
        [model_scalar(model, 1, 1.0), log_line, model_scalar(published, 1, 1.0), model_scalar(other, 1, 1.0)],
        V,
    )
    assert result["added"] == 1
    assert result["errors_info"] == {
        "Task log events are not supported for models": 1,
        "Model is published (events cannot be added)": 1,
        "Invalid model id": 1,
    }
    # allow_locked per event; the model id may also be sent as "model"
    locked = {**model_scalar("", 2, 1.0), "model": published, "allow_locked": True}
    del locked["task"]
    assert add(api, [locked], V)["added"] == 1
    # one id with two settings → 400/12
    task = new_task(api)
    mixed = [scalar(task, 1, 1.0), {**scalar(task, 2, 1.0), "model_event": True}]
    reply = api.call("events.add_batch", batch=mixed, version=V)
    assert reply.status == 400 and reply.envelope["meta"]["result_subcode"] == 12, reply.envelope
    assert "model_event" in reply.envelope["meta"]["result_msg"]
    twice = [model_scalar(model, 3, 1.0), {**model_scalar(model, 4, 1.0), "allow_locked": True}]
    reply = api.call("events.add_batch", batch=twice, version=V)
    assert reply.status == 400 and "allow_locked" in reply.envelope["meta"]["result_msg"], reply.envelope
    # events.add takes the same options
    single = ok(api, "events.add", model_scalar(published, 5, 1.0) | {"allow_locked": True}, V)
    assert single["added"] == 1
    meta = fails(api, "events.add", model_scalar(published, 6, 1.0), V, 400, 131)
    assert "Model is published" in meta["result_msg"]


def test_before_2_22_model_event_is_dropped(api: ApiClient) -> None:
    model, task = new_model(api), new_task(api)
    # as the reference 0.16: the option is not an event field, the id must be a task's
    result = api.call("events.add_batch", batch=[model_scalar(model, 1, 1.0)], version="2.9")
    assert result.status == 400 and result.envelope["meta"]["result_subcode"] == 131
    assert add(api, [{**scalar(task, 1, 1.0), "model_event": False}], "2.9")["added"] == 1


def test_delete_for_model(api: ApiClient) -> None:
    model, published, task = new_model(api), new_model(api, ready=True), new_task(api)
    add(api, [model_scalar(model, i, 1.0) for i in range(3)] + [scalar(task, 1, 1.0)], V)
    add(api, [{**model_scalar(published, 1, 1.0), "allow_locked": True}], V)
    assert ok(api, "events.delete_for_model", {"model": model}, V) == {"deleted": 3}
    assert ok(api, "events.get_task_events", {"task": model, "model_events": True}, V)["total"] == 0
    assert ok(api, "events.get_task_events", {"task": task}, V)["total"] == 1
    fails(api, "events.delete_for_model", {"model": published}, V, 400, 201)
    assert ok(api, "events.delete_for_model", {"model": published, "allow_locked": True}, V) == {"deleted": 1}
    fails(api, "events.delete_for_model", {"model": task}, V, 400, 201)
    fails(api, "events.delete_for_model", {}, V, 400, 12)
