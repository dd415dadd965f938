"""The envelope format and the error table."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from stationmaster.protocol import envelope, errors
from stationmaster.protocol.versions import Version


def build(requested: str, actual: str = "1.0") -> dict:
    return envelope.build(
        call_id="c", trx="t", endpoint="a.b", requested=Version.parse(requested), actual=Version.parse(actual)
    )


def test_versions_are_floats_below_2_1() -> None:
    assert build("2.0")["meta"]["endpoint"] == {"name": "a.b", "requested_version": 2.0, "actual_version": 1.0}
    assert build("1.5")["meta"]["endpoint"]["requested_version"] == 1.5


def test_versions_are_strings_from_2_1() -> None:
    assert build("2.1")["meta"]["endpoint"] == {"name": "a.b", "requested_version": "2.1", "actual_version": "1.0"}
    assert build("2.10", "2.10")["meta"]["endpoint"]["actual_version"] == "2.10"


def test_data_is_never_null() -> None:
    assert build("2.9")["data"] == {}


def test_datetimes_are_iso_with_utc_offset() -> None:
    naive = datetime(2020, 8, 23, 12, 34, 56, 123000)
    assert json.loads(envelope.dumps({"t": naive}))["t"] == "2020-08-23T12:34:56.123000+00:00"
    whole = datetime(2020, 8, 23, 12, 34, 56, tzinfo=UTC)
    assert json.loads(envelope.dumps({"t": whole}))["t"] == "2020-08-23T12:34:56+00:00"


def test_non_finite_floats_become_null() -> None:
    assert json.loads(envelope.dumps({"a": [1.0, float("nan"), float("inf")]})) == {"a": [1.0, None, None]}


def test_error_codes_are_unique() -> None:
    kinds = errors.all_kinds()
    pairs = [(k.code, k.subcode) for k in kinds]
    names = [k.name for k in kinds]
    assert len(pairs) == len(set(pairs)), "duplicate (code, subcode)"
    assert len(names) == len(set(names)), "duplicate name"


def test_reference_codes_present() -> None:
    expected = {
        (400, 2): "request_path_has_invalid_version",
        (400, 12): "validation_error",
        (400, 101): "invalid_task_id",
        (400, 121): "failed_changing_task_status",
        (400, 131): "events_not_added",
        (400, 701): "invalid_queue_id",
        (400, 1104): "invalid_scroll_id",
        (401, 20): "no_credentials",
        (401, 22): "invalid_credentials",
        (401, 30): "invalid_token",
        (403, 20): "role_not_allowed",
        (403, 21): "no_write_permission",
        (500, 0): "general_error",
    }
    by_pair = {(k.code, k.subcode): k.name for k in errors.all_kinds()}
    for pair, name in expected.items():
        assert by_pair[pair] == name


def test_error_message_format() -> None:
    error = errors.INVALID_TASK_ID("not found", id="abc")
    assert (error.code, error.subcode) == (400, 101)
    assert error.msg == "Invalid task id (not found): id=abc"
    assert error.data == {"id": "abc"}


def test_no_error_code_above_500() -> None:
    # The SDK retries 501+ forever.
    assert all(k.code <= 500 for k in errors.all_kinds())
