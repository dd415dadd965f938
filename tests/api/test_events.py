"""events.* end to end, once on the embedded SQLite store and once on a server whose
event store is a real Elasticsearch 7.17 node: any difference between them fails."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
import requests
from support.client import ApiClient
from support.events_api import T0, add, image, log, md5, new_task, ok, scalar, tenant_of


@pytest.fixture
def api(events_root: ApiClient) -> ApiClient:
    return tenant_of(events_root)


# --- writing ------------------------------------------------------------------------------


def test_batch_stores_valid_events_and_reports_each_rejection(api: ApiClient) -> None:
    task = new_task(api)
    events = [scalar(task, i, i * 0.5) for i in range(5)]
    events += [
        {"task": task, "type": "unknown_type"},
        {"type": "log", "msg": "no task"},
        {"task": task, "msg": "no type"},
        scalar(task, 7, "seven"),
        scalar(task, "7.5", 1.0),
        scalar(task, 8, True),
        scalar(str(uuid.uuid4().hex), 1, 1.0),
    ]
    result = add(api, events)
    assert result["added"] == 5
    assert result["errors"] == 7
    info = result["errors_info"]
    assert sum(info.values()) == 7
    assert info["Invalid event type unknown_type"] == 1
    assert info["Event must have a 'task' field"] == 1
    assert info["Event must have a 'type' field"] == 1
    assert info["Scalar value must be a finite number (32-bit float range)"] == 2
    assert info["iter must be an integer"] == 1
    assert info["Invalid task id"] == 1
    stored = ok(api, "events.get_task_events", {"task": task})
    assert stored["total"] == 5
    assert sorted(e["iter"] for e in stored["events"]) == [0, 1, 2, 3, 4]


def test_nan_and_infinite_values_are_rejected(api: ApiClient) -> None:
    task = new_task(api)
    body = "\n".join(
        [
            json.dumps(scalar(task, 1, float("nan"))),
            json.dumps(scalar(task, 2, float("inf"))),
            json.dumps(scalar(task, 3, 1e39)),  # beyond a 32-bit float: ES would refuse it
            json.dumps(scalar(task, 3, 1.5)),
        ]
    )
    reply = requests.post(
        api.url("events.add_batch"),
        data=body,
        headers={**api.auth_headers(), "Content-Type": "application/json-lines"},
        timeout=30,
    )
    data = reply.json()["data"]
    assert (data["added"], data["errors"]) == (1, 3)


def test_nothing_added_is_400_131_with_the_reasons(api: ApiClient) -> None:
    task = new_task(api)
    reply = api.call("events.add_batch", batch=[{"task": task, "type": "bogus"}, scalar(task, "x", 1)])
    assert reply.code == (400, 131)
    assert "Invalid event type bogus" in reply.meta["result_msg"]
    assert ok(api, "events.get_task_events", {"task": task})["total"] == 0


def test_empty_and_malformed_batches(api: ApiClient) -> None:
    task = new_task(api)
    headers = {**api.auth_headers(), "Content-Type": "application/json-lines"}
    empty = requests.post(api.url("events.add_batch"), data=b"\n\n", headers=headers, timeout=30).json()
    assert (empty["meta"]["result_code"], empty["meta"]["result_subcode"]) == (400, 17)
    body = json.dumps(scalar(task, 1, 1.0)) + "\n{not json\n"
    bad = requests.post(api.url("events.add_batch"), data=body, headers=headers, timeout=30).json()
    assert bad["meta"]["result_code"] == 400
    assert "line 2" in bad["meta"]["result_msg"]
    huge = json.dumps(scalar(task, 2**63, 1.0))  # no store keeps integers beyond 64 bits
    too_big = requests.post(api.url("events.add_batch"), data=huge, headers=headers, timeout=30).json()
    assert (too_big["meta"]["result_code"], too_big["meta"]["result_subcode"]) == (400, 12)
    assert "line 1" in too_big["meta"]["result_msg"] and "iter" in too_big["meta"]["result_msg"]
    assert ok(api, "events.get_task_events", {"task": task})["total"] == 0


def test_resent_points_overwrite_and_log_lines_are_all_kept(api: ApiClient) -> None:
    """A re-sent scalar point overwrites the first one; log lines are never merged: the
    same line (timestamp, level, worker, message) sent twice is kept and returned twice,
    as the reference keeps it (each log event has its own id)."""
    task = new_task(api)
    batch = [scalar(task, i, 1.0) for i in range(3)] + [log(task, f"line {i}", T0) for i in range(3)]
    add(api, batch)
    add(api, batch)
    assert ok(api, "events.get_task_events", {"task": task})["total"] == 9
    add(api, [scalar(task, 1, 9.0)])  # the same point again, a new value
    data = ok(api, "events.get_scalar_metric_data", {"task": task, "metric": "loss"})
    assert data["total"] == 3
    assert {e["iter"]: e["value"] for e in data["events"]}[1] == 9.0
    progress = log(task, "epoch 1: 50%", T0 + 5)
    add(api, [progress])
    add(api, [progress])
    for version in ("2.9", "1.7"):
        lines = ok(api, "events.get_task_log", {"task": task, "batch_size": 100}, version=version)["events"]
        assert [e["msg"] for e in lines].count("epoch 1: 50%") == 2, version
    text = api.call("events.download_task_log", {"task": task, "line_type": "text", "line_format": "{msg}"})
    assert text.envelope["raw"].splitlines().count("epoch 1: 50%") == 2


def test_events_add_single_and_published_tasks(api: ApiClient) -> None:
    task = new_task(api)
    assert ok(api, "events.add", scalar(task, 1, 2.0))["added"] == 1
    api.tasks.publish(task=task, force=True)
    refused = api.call("events.add_batch", batch=[scalar(task, 2, 2.0)])
    assert refused.code == (400, 131)
    assert "published" in refused.meta["result_msg"]
    allowed = ok(api, "events.add", {**scalar(task, 3, 2.0), "allow_locked": True})
    assert allowed["added"] == 1
    assert api.call("events.delete_for_task", {"task": task}).code == (400, 101)
    assert ok(api, "events.delete_for_task", {"task": task, "allow_locked": True})["deleted"] == 2


def test_another_companys_task_is_rejected(api: ApiClient, events_root: ApiClient) -> None:
    other = tenant_of(events_root)
    foreign = new_task(other)
    mine = new_task(api)
    result = add(api, [scalar(foreign, 1, 1.0), scalar(mine, 1, 1.0)])
    assert (result["added"], result["errors_info"]) == (1, {"Invalid task id": 1})
    assert api.call("events.get_task_events", {"task": foreign}).code == (400, 101)
    assert ok(other, "events.get_task_events", {"task": foreign})["total"] == 0


def test_public_task_events_are_readable_by_other_companies(api: ApiClient, events_root: ApiClient) -> None:
    task = new_task(api)
    add(api, [scalar(task, i, 1.0) for i in range(3)] + [log(task, "public line", T0)])
    reader = tenant_of(events_root)
    assert reader.call("events.get_task_events", {"task": task}).code == (400, 101)
    api.tasks.make_public(ids=[task])
    assert ok(reader, "events.get_task_events", {"task": task})["total"] == 4
    assert ok(reader, "events.scalar_metrics_iter_histogram", {"task": task})["loss"]["train"]["x"] == [0, 1, 2]
    assert [e["msg"] for e in ok(reader, "events.get_task_log", {"task": task})["events"]] == ["public line"]
    refused = reader.call("events.add_batch", batch=[scalar(task, 9, 1.0)])
    assert refused.code == (400, 131)  # readable, but not the reader's to write
    assert reader.call("events.delete_for_task", {"task": task}).code == (400, 101)


def test_worker_defaults_to_the_worker_header(api: ApiClient) -> None:
    task = new_task(api)
    event = {"task": task, "type": "log", "msg": "from the agent", "timestamp": T0}
    reply = api.call(
        "events.add_batch",
        batch=[event, {**event, "worker": "own", "msg": "x"}],
        headers={"X-Trains-Worker": "gpu-box"},
    )
    assert reply.data["added"] == 2
    events = ok(api, "events.get_task_events", {"task": task})["events"]
    assert sorted(e["worker"] for e in events) == ["gpu-box", "own"]


def test_task_statistics_follow_the_events(api: ApiClient) -> None:
    task = new_task(api)
    before = api.tasks.get_by_id(task=task)["task"]
    add(api, [scalar(task, 3, 5.0, ts=T0 + 1), scalar(task, 1, -2.0, ts=T0 + 2), scalar(task, 2, 7.5, ts=T0 + 3)])
    add(api, [scalar(task, 50, 1.0, metric=":monitor:machine", variant="cpu")])
    add(api, [image(task, 4, "http://files/a.png")])
    doc = api.tasks.get_by_id(task=task)["task"]
    assert doc["last_iteration"] == 4  # the :monitor: metric does not move it
    entry = doc["last_metrics"][md5("loss")][md5("train")]
    assert entry == {
        "metric": "loss",
        "variant": "train",
        "value": 7.5,
        "min_value": -2.0,
        "max_value": 7.5,
        "min_value_iteration": 1,
        "max_value_iteration": 2,
    }
    assert doc["last_metrics"][md5(":monitor:machine")][md5("cpu")]["value"] == 1.0
    stats = doc["metric_stats"][md5("img")]
    assert stats["metric"] == "img"
    assert "training_debug_image" in stats["event_stats_by_type"]
    assert doc["last_update"] != before.get("last_update")
    add(api, [scalar(task, 9, -10.0, ts=T0 + 10)])
    entry = api.tasks.get_by_id(task=task)["task"]["last_metrics"][md5("loss")][md5("train")]
    assert (entry["value"], entry["min_value"], entry["max_value"]) == (-10.0, -10.0, 7.5)


# --- scalar histograms --------------------------------------------------------------------


def test_histogram_returns_every_point_below_samples(api: ApiClient) -> None:
    task = new_task(api)
    add(api, [scalar(task, i, float(i)) for i in range(10)] + [scalar(task, i, 1.0, variant="val") for i in (0, 5)])
    data = ok(api, "events.scalar_metrics_iter_histogram", {"task": task})
    assert data["loss"]["train"] == {"name": "train", "x": list(range(10)), "y": [float(i) for i in range(10)]}
    assert data["loss"]["val"] == {"name": "val", "x": [0, 5], "y": [1.0, 1.0]}


def test_histogram_downsamples_by_bucket_average(api: ApiClient) -> None:
    task = new_task(api)
    add(api, [scalar(task, i, float(i)) for i in range(100)])
    data = ok(api, "events.scalar_metrics_iter_histogram", {"task": task, "samples": 10})
    series = data["loss"]["train"]
    assert series["x"] == list(range(0, 100, 10))
    assert series["y"] == [i * 10 + 4.5 for i in range(10)]
    one = ok(api, "events.scalar_metrics_iter_histogram", {"task": task, "samples": 1})["loss"]["train"]
    assert (one["x"], one["y"]) == ([0], [49.5])


def test_histogram_single_point_and_huge_iterations(api: ApiClient) -> None:
    task = new_task(api)
    big = 10**12
    add(api, [scalar(task, 7, 3.0, metric="one")] + [scalar(task, big * i, 2.0, metric="big") for i in range(4)])
    data = ok(api, "events.scalar_metrics_iter_histogram", {"task": task, "samples": 2})
    assert data["one"]["train"]["x"] == [7]
    assert data["one"]["train"]["y"] == [3.0]
    # interval = ceil((3e12 + 1) / 2): two buckets
    assert data["big"]["train"]["x"] == [0, (3 * big) // 2 + 1]
    assert data["big"]["train"]["y"] == [2.0, 2.0]


def test_histogram_samples_are_validated(api: ApiClient) -> None:
    task = new_task(api)
    for samples in (0, 6001):
        reply = api.call("events.scalar_metrics_iter_histogram", {"task": task, "samples": samples})
        assert reply.code == (400, 12)
        assert "samples" in reply.meta["result_msg"]
    assert api.call("events.scalar_metrics_iter_histogram", {"task": task, "key": "epoch"}).code == (400, 12)


def test_histogram_by_timestamp_and_iso_time(api: ApiClient) -> None:
    task = new_task(api)
    add(api, [scalar(task, i, float(i), ts=T0 + 1000 * i) for i in range(3)])
    by_ts = ok(api, "events.scalar_metrics_iter_histogram", {"task": task, "key": "timestamp"})["loss"]["train"]
    assert by_ts["x"] == [T0, T0 + 1000, T0 + 2000]
    iso = ok(api, "events.scalar_metrics_iter_histogram", {"task": task, "key": "iso_time"})["loss"]["train"]
    assert iso["x"] == ["2023-11-14T22:13:20.000Z", "2023-11-14T22:13:21.000Z", "2023-11-14T22:13:22.000Z"]
    assert iso["y"] == [0.0, 1.0, 2.0]


def test_multi_task_histogram(api: ApiClient, events_root: ApiClient) -> None:
    first, second = new_task(api, "first task"), new_task(api, "second task")
    add(api, [scalar(first, i, 1.0) for i in range(3)] + [scalar(second, i, 2.0) for i in range(2)])
    data = ok(api, "events.multi_task_scalar_metrics_iter_histogram", {"tasks": [first, second]})
    per_task = data["metrics"]["loss"]["train"]
    assert per_task[first] == {"name": "first task", "x": [0, 1, 2], "y": [1.0, 1.0, 1.0]}
    assert per_task[second] == {"name": "second task", "x": [0, 1], "y": [2.0, 2.0]}
    as_text = ok(api, "events.multi_task_scalar_metrics_iter_histogram", {"tasks": f"{first}, {second}"})
    assert as_text == data
    foreign = new_task(tenant_of(events_root))
    reply = api.call("events.multi_task_scalar_metrics_iter_histogram", {"tasks": [first, foreign]})
    assert reply.code == (400, 101)
    too_many = api.call("events.multi_task_scalar_metrics_iter_histogram", {"tasks": [first] * 101})
    assert too_many.code == (400, 12)


# --- other metric reads -------------------------------------------------------------------


def test_latest_values_metric_names_and_metric_data(api: ApiClient) -> None:
    task = new_task(api)
    add(
        api,
        [scalar(task, i, float(i + 1)) for i in range(12)]
        + [scalar(task, 3, 0.5, metric="acc", variant="val"), scalar(task, 2, -1.0, metric="neg")],
    )
    add(api, [{"task": task, "type": "plot", "iter": 20, "metric": "roc", "variant": "v", "plot_str": "{}"}])
    latest = ok(api, "events.get_task_latest_scalar_values", {"task": task})
    assert latest["metrics"] == [
        {"name": "acc", "variants": [{"name": "val", "last_value": 0.5, "last_10_value": 0.5}]},
        {"name": "loss", "variants": [{"name": "train", "last_value": 12.0, "last_10_value": 12.0}]},
    ]
    assert (latest["last_iter"], latest["name"], latest["status"]) == (20, "events task", "created")
    assert latest["last_timestamp"] > 0
    names = ok(api, "events.get_scalar_metrics_and_variants", {"task": task})["metrics"]
    assert {k: sorted(v) for k, v in names.items()} == {"acc": ["val"], "loss": ["train"], "neg": ["train"]}
    metrics = ok(api, "events.get_task_metrics", {"tasks": [task], "event_type": "plot"}, version="2.9")
    assert metrics == {"metrics": [{"task": task, "metrics": ["roc"]}]}
    data = ok(api, "events.get_scalar_metric_data", {"task": task, "metric": "loss"})
    assert [e["iter"] for e in data["events"]] == list(range(11, -1, -1))
    assert (data["returned"], data["total"]) == (12, 12)
    end = ok(api, "events.get_scalar_metric_data", {"task": task, "metric": "loss", "scroll_id": data["scroll_id"]})
    assert (end["events"], end["scroll_id"]) == ([], "FFFF")


def test_vector_metrics(api: ApiClient) -> None:
    task = new_task(api)
    vectors = [
        {"task": task, "type": "training_stats_vector", "iter": i, "metric": "hist", "variant": "w", "values": [i, 2.5]}
        for i in (2, 1)
    ]
    add(api, vectors)
    assert ok(api, "events.get_vector_metrics_and_variants", {"task": task}) == {"metrics": {"hist": ["w"]}}
    data = ok(api, "events.vector_metrics_iter_histogram", {"task": task, "metric": "hist", "variant": "w"})
    assert data == {"metric": "hist", "variant": "w", "vectors": [[1, 2.5], [2, 2.5]], "iterations": [1, 2]}
    bad = api.call("events.add_batch", batch=[{**vectors[0], "values": ["a"]}])
    assert bad.code == (400, 131)


# --- generic events and scroll ids --------------------------------------------------------


def test_task_events_paging_scroll_ids_and_ffff(api: ApiClient) -> None:
    task, other = new_task(api), new_task(api)
    add(api, [scalar(task, i, 1.0) for i in range(7)] + [log(task, "x", T0 + 100)])
    seen: list[int] = []
    scroll = None
    for _ in range(4):
        page = ok(api, "events.get_task_events", {"task": task, "batch_size": 3, "scroll_id": scroll, "order": "desc"})
        assert page["total"] == 8
        seen += [e["timestamp"] for e in page["events"]]
        scroll = page["scroll_id"]
        if not page["events"]:
            break
    assert scroll == "FFFF"
    assert seen == sorted(seen, reverse=True) and len(seen) == 8
    again = ok(api, "events.get_task_events", {"task": task, "scroll_id": "FFFF"})
    assert (again["events"], again["returned"], again["scroll_id"]) == ([], 0, "FFFF")
    only_logs = ok(api, "events.get_task_events", {"task": task, "event_type": "log"})
    assert only_logs["total"] == 1
    assert api.call("events.get_task_events", {"task": task, "scroll_id": "not-a-scroll"}).code == (400, 1104)
    first = ok(api, "events.get_task_events", {"task": task, "batch_size": 1})
    assert api.call("events.get_task_events", {"task": other, "scroll_id": first["scroll_id"]}).code == (400, 1104)


def test_unknown_task_is_400_101(api: ApiClient) -> None:
    for endpoint in ("events.get_task_events", "events.scalar_metrics_iter_histogram", "events.get_task_log"):
        assert api.call(endpoint, {"task": "no-such-task"}).code == (400, 101)


# --- logs ---------------------------------------------------------------------------------


def test_task_log_pages_backwards_without_splitting_a_timestamp(api: ApiClient) -> None:
    task = new_task(api)
    stamps = [T0, T0 + 1, T0 + 1, T0 + 1, T0 + 2, T0 + 3]
    add(api, [log(task, f"m{i}", ts) for i, ts in enumerate(stamps)])
    page = ok(api, "events.get_task_log", {"task": task, "batch_size": 3})
    assert [e["msg"] for e in page["events"]] == ["m5", "m4", "m3", "m2", "m1"]
    assert (page["returned"], page["total"]) == (5, 6)
    rest = ok(api, "events.get_task_log", {"task": task, "batch_size": 3, "from_timestamp": T0 + 1})
    assert [e["msg"] for e in rest["events"]] == ["m0"]
    assert ok(api, "events.get_task_log", {"task": task, "from_timestamp": T0})["events"] == []
    asc = ok(api, "events.get_task_log", {"task": task, "batch_size": 2, "order": "asc"})
    assert [e["msg"] for e in asc["events"]] == ["m4", "m5"]  # the SDK's "last N lines"
    later = ok(api, "events.get_task_log", {"task": task, "batch_size": 2, "navigate_earlier": False})
    assert [e["msg"] for e in later["events"]] == ["m0", "m1", "m2", "m3"]
    after = ok(
        api, "events.get_task_log", {"task": task, "navigate_earlier": False, "from_timestamp": T0 + 1, "order": "desc"}
    )
    assert [e["msg"] for e in after["events"]] == ["m5", "m4"]


def test_task_log_scroll_forms(api: ApiClient) -> None:
    task = new_task(api)
    add(api, [log(task, f"m{i}", T0 + i) for i in range(5)])
    v1 = ok(api, "events.get_task_log", {"task": task, "batch_size": 3}, version="1.5")
    assert [e["msg"] for e in v1["events"]] == ["m4", "m3", "m2"]
    v1_next = ok(api, "events.get_task_log", {"task": task, "batch_size": 3, "scroll_id": v1["scroll_id"]}, "1.5")
    assert [e["msg"] for e in v1_next["events"]] == ["m1", "m0"]
    head = ok(api, "events.get_task_log", {"task": task, "batch_size": 2}, version="2.8")
    assert [e["msg"] for e in head["events"]] == ["m1", "m0"]  # from the head, each page newest first
    tail = ok(api, "events.get_task_log", {"task": task, "batch_size": 2, "from": "tail", "order": "asc"}, "2.8")
    assert [e["msg"] for e in tail["events"]] == ["m3", "m4"]
    assert api.call("events.get_task_log", {"task": task, "scroll_id": "zzz"}, version="2.8").code == (400, 1104)


def test_download_task_log(api: ApiClient) -> None:
    task = new_task(api)
    add(api, [log(task, "first", T0), log(task, "second", T0 + 1, level="error")])
    text = api.call("events.download_task_log", {"task": task, "line_type": "text", "line_format": "{level}|{msg}"})
    assert text.status == 200
    assert text.headers["Content-Type"].startswith("text/plain")
    assert "attachment" in text.headers["Content-Disposition"]
    assert text.envelope["raw"] == "info|first\nerror|second\n"
    as_json = api.call("events.download_task_log", {"task": task})
    lines = [json.loads(line) for line in as_json.envelope["raw"].splitlines()]
    assert [(line["msg"], line["worker"]) for line in lines] == [("first", "w1"), ("second", "w1")]
    assert "asctime" in lines[0] and "task" not in lines[0]
    bad = api.call("events.download_task_log", {"task": task, "line_type": "text", "line_format": "{nope}"})
    assert bad.code == (400, 16)


# --- debug images and plots ---------------------------------------------------------------


def test_debug_images_iterator_with_url_reuse(api: ApiClient) -> None:
    task = new_task(api)
    # file names are reused every 3 iterations: only iterations 4..6 still show their image
    add(api, [image(task, i, f"http://files/img_{i % 3}.png") for i in range(7)])
    add(api, [image(task, i, f"http://files/other_{i}.png", metric="other") for i in range(2)])
    request: dict[str, Any] = {"metrics": [{"task": task, "metric": "img"}], "iters": 2}
    first = ok(api, "events.debug_images", request)
    iterations = first["metrics"][0]["iterations"]
    assert [i["iter"] for i in iterations] == [6, 5]
    assert iterations[0]["events"][0]["url"] == "http://files/img_0.png"
    second = ok(api, "events.debug_images", {**request, "scroll_id": first["scroll_id"]})
    assert [i["iter"] for i in second["metrics"][0]["iterations"]] == [4]
    third = ok(api, "events.debug_images", {**request, "scroll_id": second["scroll_id"]})
    assert third["metrics"][0]["iterations"] == []
    # the window is the last page returned (iteration 4), so the later page comes back
    newer = ok(api, "events.debug_images", {**request, "scroll_id": third["scroll_id"], "navigate_earlier": False})
    assert [i["iter"] for i in newer["metrics"][0]["iterations"]] == [6, 5]
    fresh = ok(api, "events.debug_images", {**request, "scroll_id": third["scroll_id"], "refresh": True})
    assert [i["iter"] for i in fresh["metrics"][0]["iterations"]] == [6, 5]
    wrong = api.call(
        "events.debug_images",
        {**request, "metrics": [{"task": task, "metric": "other"}], "scroll_id": first["scroll_id"]},
    )
    assert wrong.code == (400, 1104)
    assert api.call("events.debug_images", {**request, "scroll_id": uuid.uuid4().hex}).code == (400, 1104)
    both = ok(
        api, "events.debug_images", {"metrics": [{"task": task, "metric": "other"}, {"task": task, "metric": "img"}]}
    )
    assert {m["metric"]: [i["iter"] for i in m["iterations"]] for m in both["metrics"]} == {"img": [6], "other": [1]}


def test_debug_images_2_7_paging_follows_the_page_edges(api: ApiClient) -> None:
    """At 2.7 (and 2.9) the scroll state covers only the metrics that have images, and
    after each page its window is that page's edges: navigating later after reaching the
    earliest page returns the next page again, not nothing."""
    task = new_task(api)
    add(api, [image(task, i, f"http://files/a_{i}.png") for i in range(1, 8)])
    add(api, [image(task, i, f"http://files/b_{i}.png", variant="w") for i in (2, 4)])
    bare = new_task(api, "no images")
    for version in ("2.7", "2.9"):
        empty = ok(api, "events.debug_images", {"metrics": [{"task": bare, "metric": "img"}]}, version=version)
        assert empty["metrics"] == [], version
        request: dict[str, Any] = {"metrics": [{"task": task, "metric": "img"}], "iters": 3}
        first = ok(api, "events.debug_images", request, version=version)
        scroll, pages = first["scroll_id"], [[i["iter"] for i in first["metrics"][0]["iterations"]]]
        for earlier in (True, True, True, False, False):
            reply = ok(
                api,
                "events.debug_images",
                {**request, "scroll_id": scroll, "navigate_earlier": earlier},
                version=version,
            )
            scroll = reply["scroll_id"]
            pages.append([i["iter"] for i in reply["metrics"][0]["iterations"]])
        # newest first; earlier: 4..2, 1, the end (the window stays at 1); later: 2..4, 5..7
        assert pages == [[7, 6, 5], [4, 3, 2], [1], [], [4, 3, 2], [7, 6, 5]], (version, pages)
        newest = ok(api, "events.debug_images", request, version=version)["metrics"][0]["iterations"]
        assert [e["url"] for e in newest[0]["events"]] == ["http://files/a_7.png"]
        # a metric without images is not in the state: its scroll id does not fit the request
        mixed = {"metrics": [{"task": task, "metric": "img"}, {"task": task, "metric": "none"}]}
        first = ok(api, "events.debug_images", mixed, version=version)
        assert [m["metric"] for m in first["metrics"]] == ["img"]
        again = api.call("events.debug_images", {**mixed, "scroll_id": first["scroll_id"]}, version=version)
        assert again.code == (400, 1104)


def test_debug_images_older_forms(api: ApiClient) -> None:
    task = new_task(api)
    add(api, [image(task, i, f"http://files/{i}.png", variant=v) for i in range(4) for v in ("a", "b")])
    v18 = ok(api, "events.debug_images", {"task": task, "iters": 2}, version="2.1")
    assert v18["task"] == task
    assert sorted((e["iter"], e["variant"]) for e in v18["images"]) == [(2, "a"), (2, "b"), (3, "a"), (3, "b")]
    assert v18["total"] == 4
    v10 = ok(api, "events.debug_images", {"task": task, "iters": 1}, version="1.5")
    assert sorted((e["iter"], e["variant"]) for e in v10["images"]) == [(3, "a"), (3, "b")]
    done = ok(api, "events.debug_images", {"task": task, "iters": 2, "scroll_id": v18["scroll_id"]}, version="2.1")
    assert (done["images"], done["scroll_id"]) == ([], "FFFF")


def test_plots(api: ApiClient) -> None:
    task, other = new_task(api, "plot task"), new_task(api, "plot task 2")

    def plot(t: str, it: int, variant: str) -> dict:
        return {"task": t, "type": "plot", "iter": it, "metric": "roc", "variant": variant, "plot_str": f"p{it}"}

    add(api, [plot(task, i, "a") for i in range(3)] + [plot(task, 0, "b"), plot(other, 5, "a")])
    last = ok(api, "events.get_task_plots", {"task": task, "iters": 2})
    assert [(p["variant"], p["iter"]) for p in last["plots"]] == [("a", 2), ("a", 1), ("b", 0)]
    done = ok(api, "events.get_task_plots", {"task": task, "scroll_id": last["scroll_id"]})
    assert (done["plots"], done["scroll_id"]) == ([], "FFFF")
    v10 = ok(api, "events.get_task_plots", {"task": task, "iters": 1}, version="1.5")
    assert sorted((p["variant"], p["iter"]) for p in v10["plots"]) == [("a", 2), ("b", 0)]
    multi = ok(api, "events.get_multi_task_plots", {"tasks": [task, other], "iters": 1})
    roc = multi["plots"]["roc"]
    assert roc["a"][task]["2"]["name"] == "plot task"
    assert [p["plot_str"] for p in roc["a"][task]["2"]["plots"]] == ["p2"]
    assert roc["a"][other]["5"]["name"] == "plot task 2"
    assert multi["returned"] == 1
    assert set(multi["plots"]["roc"]["a"][task]) == {"2"}  # 1.8: each task's last iteration
    v10_multi = ok(api, "events.get_multi_task_plots", {"tasks": [task, other], "iters": 1}, version="1.5")
    assert set(v10_multi["plots"]["roc"]["a"][task]) == {"0", "1", "2"}  # 1.0: the newest 10,000 events


# --- deletes ------------------------------------------------------------------------------


def test_delete_for_task_and_reset(api: ApiClient) -> None:
    task, keep = new_task(api), new_task(api)
    add(api, [scalar(task, i, 1.0) for i in range(3)] + [log(task, "x", T0), scalar(keep, 1, 1.0)])
    assert ok(api, "events.delete_for_task", {"task": task}) == {"deleted": 4}
    assert ok(api, "events.get_task_events", {"task": task})["total"] == 0
    assert ok(api, "events.get_task_events", {"task": keep})["total"] == 1
    assert api.call("events.delete_for_task", {"task": "missing"}).code == (400, 101)
    add(api, [scalar(keep, 2, 1.0)])
    api.tasks.reset(task=keep, force=True)
    assert ok(api, "events.get_task_events", {"task": keep})["total"] == 0
