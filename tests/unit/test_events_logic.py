"""Pure event logic: normalising reported events, ids, task statistics updates,
histogram intervals, scroll ids, log line formats and plot grouping."""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

import pytest

from stationmaster.bll.events import cursor, writing
from stationmaster.bll.events.metrics import interval_for
from stationmaster.bll.events.reading import _checked_format, _group_plots
from stationmaster.bll.events.writing import (
    EventRejected,
    _task_update,
    iso_ms,
    md5,
    normalise,
    validate_batch,
)
from stationmaster.database.events.base import SeriesInfo, as_float32, take_id
from stationmaster.protocol.errors import ApiError

NOW = 1_700_000_000_123


def norm(raw: dict[str, Any], position: int = 0) -> dict[str, Any]:
    return normalise(raw, worker="hdr-worker", write_ms=NOW, position=position)


def test_normalise_fills_the_reference_defaults() -> None:
    event = norm({"task": "t", "type": "training stats scalar", "value": 1, "ts": 5, "method": "get"})
    assert event["type"] == "training_stats_scalar"
    assert event["timestamp"] == 5 and "ts" not in event
    assert (event["metric"], event["variant"], event["worker"]) == ("", "", "hdr-worker")
    assert event["@timestamp"] == "2023-11-14T22:13:20.123Z"
    assert "method" not in event
    assert norm({"task": "t", "type": "log", "msg": "m"})["timestamp"] == NOW
    assert norm({"task": "t", "type": "log", "timestamp": 1234.75})["timestamp"] == 1234
    vector = norm({"task": "t", "type": "training_stats_vector", "values": [1, 2.5]})
    assert vector["value"] == [1, 2.5] and "values" not in vector


@pytest.mark.parametrize(("raw_iter", "stored"), [(3, 3), (3.0, 3), ("12", 12), ("-4", -4), (10**15, 10**15)])
def test_integer_iterations_are_accepted(raw_iter: Any, stored: int) -> None:
    assert norm({"task": "t", "type": "plot", "iter": raw_iter})["iter"] == stored


@pytest.mark.parametrize("raw_iter", [3.5, "x", True, [1], {"a": 1}])
def test_other_iterations_are_rejected(raw_iter: Any) -> None:
    with pytest.raises(EventRejected, match="iter must be an integer"):
        norm({"task": "t", "type": "plot", "iter": raw_iter})


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ({"task": "t"}, "Event must have a 'type' field"),
        ({"task": "t", "type": "images"}, "Invalid event type images"),
        ({"type": "log"}, "Event must have a 'task' field"),
        ({"task": 5, "type": "log"}, "Event must have a 'task' field"),
        ({"task": "t", "type": "training_stats_scalar"}, "Scalar value must be a finite number"),
        ({"task": "t", "type": "training_stats_scalar", "value": math.nan}, "Scalar value must be a finite number"),
        ({"task": "t", "type": "training_stats_scalar", "value": -math.inf}, "Scalar value must be a finite number"),
        ({"task": "t", "type": "training_stats_scalar", "value": False}, "Scalar value must be a finite number"),
        ({"task": "t", "type": "training_stats_scalar", "value": 1e39}, "Scalar value must be a finite number"),
        ({"task": "t", "type": "plot", "iter": 2**63}, "iter must be an integer"),
        ({"task": "t", "type": "training_stats_vector", "values": [1, "a"]}, "Vector values must be a list"),
        ({"task": "t", "type": "log", "metric": 3}, "metric must be a string"),
        ({"task": "t", "type": "log", "timestamp": "soon"}, "timestamp must be an integer"),
    ],
)
def test_invalid_events_name_the_reason(raw: dict[str, Any], reason: str) -> None:
    with pytest.raises(EventRejected, match=reason.replace("(", r"\(")):
        norm(raw)


def test_ids_are_deterministic_per_point() -> None:
    base = {"task": "t", "type": "training_stats_scalar", "iter": 1, "metric": "m", "variant": "v", "value": 1}
    first, again = norm(dict(base)), norm({**base, "value": 2, "timestamp": 99})
    assert "id" not in first  # the stores derive it (database/events/base.py)
    assert take_id(first) == take_id(again) == md5("t-1-m-v")
    assert take_id(norm({**base, "iter": 2})) != md5("t-1-m-v")
    image = norm({"task": "t", "type": "training_debug_image", "iter": 1, "metric": "m", "variant": "v", "key": "k"})
    assert take_id(image) == md5("t-1-m-v-k")


def test_log_ids_keep_the_batch_order_and_never_repeat() -> None:
    line = {"task": "t", "type": "log", "msg": "same", "timestamp": 7}
    ids = [norm(dict(line), position=i)["id"] for i in range(3)]
    assert ids == sorted(ids) and len(set(ids)) == 3
    # the same line at the same place of another batch is another line (the reference keeps both)
    assert norm(dict(line), position=1)["id"] not in ids
    later = normalise(dict(line), worker="w", write_ms=NOW + 1, position=0)["id"]
    assert later > max(ids)  # a later batch's lines sort after an earlier one's on equal timestamps


def test_validate_batch_counts_reasons_and_checks_tasks() -> None:
    raw = [
        {"task": "ok", "type": "log", "msg": "a"},
        {"task": "locked", "type": "log", "msg": "b"},
        {"task": "unknown", "type": "log", "msg": "c"},
        {"task": "ok", "type": "nope"},
    ]
    result = validate_batch(raw, worker="w", valid_tasks={"ok": None, "locked": "Task is published"})
    assert [e["msg"] for e in result.events] == ["a"]
    assert dict(result.errors) == {"Task is published": 1, "Invalid task id": 1, "Invalid event type nope": 1}


def _scalar(it: int, value: float, ts: int, metric: str = "loss") -> dict[str, Any]:
    return norm(
        {"task": "t", "type": "training_stats_scalar", "iter": it, "metric": metric, "value": value, "timestamp": ts}
    )


def test_task_update_has_last_min_max_and_ignores_monitor_iterations() -> None:
    now = datetime(2026, 1, 1)
    events = [_scalar(5, 2.0, 10), _scalar(3, -1.0, 30), _scalar(4, 9.0, 20), _scalar(99, 1.0, 5, ":monitor:gpu")]
    update = _task_update(events, [":monitor:gpu"], now)
    prefix = f"last_metrics.{md5('loss')}.{md5('')}"
    assert update["$max"]["last_iteration"] == 5
    assert update["$set"][f"{prefix}.value"] == -1.0  # the latest timestamp wins
    assert update["$min"][f"{prefix}.min_value"] == -1.0
    assert update["$max"][f"{prefix}.max_value"] == 9.0
    assert update["$set"][f"metric_stats.{md5('loss')}.event_stats_by_type.training_stats_scalar.last_update"] == now
    assert update["$set"]["last_update"] == now
    logs_only = _task_update([norm({"task": "t", "type": "log", "msg": "x"})], [], now)
    assert logs_only == {"$set": {"last_update": now}}


def _series(count: int, low: int, high: int) -> SeriesInfo:
    return SeriesInfo("t", "m", "v", count, low, high, low, high)


def test_histogram_interval() -> None:
    assert interval_for(_series(99, 0, 10**9), 100, "iter") == 1
    assert interval_for(_series(100, 0, 99), 100, "iter") == 1
    assert interval_for(_series(100, 0, 100), 100, "iter") == 2
    assert interval_for(_series(5000, 0, 4999), 10, "iter") == 500
    assert interval_for(_series(4, 0, 3 * 10**12), 2, "timestamp") == 1_500_000_000_001


def test_scroll_ids_round_trip_and_refuse_other_queries() -> None:
    token = cursor.encode("log", ["t", True], [NOW, "abc"])
    assert cursor.decode(token, "log", ["t", True]) == [NOW, "abc"]
    for scroll, kind, scope in ((token, "log", ["other", True]), (token, "events", ["t", True]), ("%%%", "log", [])):
        with pytest.raises(ApiError) as info:
            cursor.decode(scroll, kind, scope)
        assert (info.value.code, info.value.subcode) == (400, 1104)


def test_log_line_format_checks() -> None:
    assert _checked_format("{level} {msg}") == "{level} {msg}\n"
    for bad, subcode in (("{nope} {msg}", 16), ("{msg", 16), ("", 11)):
        with pytest.raises(ApiError) as info:
            _checked_format(bad)
        assert info.value.subcode == subcode


def test_plots_grouped_by_metric_variant_task_iteration() -> None:
    events = [
        {"task": "a", "metric": "m", "variant": "v", "iter": 2, "plot_str": "x"},
        {"task": "a", "metric": "m", "variant": "v", "iter": 1, "plot_str": "y"},
        {"task": "b", "metric": "m", "variant": "w", "iter": 1, "plot_str": "z"},
    ]
    grouped = _group_plots(events, 1, {"a": "task a", "b": "task b"})
    assert grouped["m"]["v"]["a"]["2"] == {"name": "task a", "plots": [events[0]]}
    assert set(grouped["m"]["v"]["a"]) == {"1", "2"}
    assert grouped["m"]["w"]["b"]["1"]["name"] == "task b"


def test_iso_and_float32() -> None:
    assert iso_ms(0) == "1970-01-01T00:00:00.000Z"
    assert iso_ms(1_700_000_000_999) == "2023-11-14T22:13:20.999Z"
    assert as_float32(0.1) == pytest.approx(0.1, rel=1e-7) and as_float32(0.1) != 0.1
    assert as_float32(0.5) == 0.5
    assert as_float32(1e300) == math.inf


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"metric": "", "variant": ""},
        {"value": 3},  # an integer value: the general path
        {"value": -3.4028234663852886e38, "iter": -(2**63)},
        {"value": math.nan},
        {"value": 1e39},
        {"iter": True},
        {"iter": "7"},
        {"timestamp": 1.5},
        {"task": ""},
        {"metric": None},
        {"type": "training stats scalar"},
    ],
)
def test_the_sdk_scalar_shortcut_gives_what_the_general_path_gives(changes: dict[str, Any]) -> None:
    raw = {"timestamp": 5, "type": "training_stats_scalar", "task": "t", "iter": 1, "metric": "m", "variant": "v"}
    raw = {**raw, "value": 0.5, **changes}

    def outcome() -> Any:
        try:
            return norm(dict(raw))
        except EventRejected as ex:
            return str(ex)

    fast = outcome()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(writing, "_SDK_SCALAR_KEYS", frozenset())
        assert outcome() == fast


@pytest.mark.parametrize(
    "extra",
    [
        {"model_event": False},  # what the clearml SDK sends from API 2.23 on
        {"model_event": True, "allow_locked": False, "method": "add"},
        {"worker": "my-worker"},
        {"worker": ""},  # the header's worker
        {"worker": 5},  # not text: the general path
        {"allow_locked": "\ud800"},  # a lone surrogate: the general path rejects the event
        {"model_event": {"x": 1}},
    ],
)
def test_sdk_scalars_with_request_options_take_the_shortcut_with_the_same_result(extra: dict[str, Any]) -> None:
    """Issue 24: the SDK's real lines carry ``model_event`` (and may carry the other request
    options or a worker); they take the shortcut, and give what the general path gives."""
    raw = {"timestamp": 5, "type": "training_stats_scalar", "task": "t", "iter": 1, "metric": "m", "variant": "v"}
    raw = {**raw, "value": 0.5, **extra}
    taken = []
    shortcut = writing._sdk_scalar

    def spy(*args: Any) -> Any:
        result = shortcut(*args)
        taken.append(result is not None)
        return result

    def outcome() -> Any:
        try:
            return norm(dict(raw))
        except EventRejected as ex:
            return str(ex)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(writing, "_sdk_scalar", spy)
        fast = outcome()
    simple = all(v is None or type(v) is bool or (type(v) is str and v.isascii()) for v in extra.values())
    assert taken == [simple]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(writing, "_SDK_SCALAR_KEYS", frozenset())
        assert outcome() == fast


def test_a_client_id_is_dropped_from_events_other_than_log_lines() -> None:
    assert "id" not in norm({"task": "t", "type": "plot", "iter": 1, "id": "mine"})
    assert norm({"task": "t", "type": "log", "msg": "x", "id": "mine"})["id"] != "mine"
