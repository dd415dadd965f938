"""The one-pass json-lines parser answers exactly as the line-by-line one."""

from __future__ import annotations

import pytest

from stationmaster.protocol import errors, request_data
from stationmaster.protocol.request_data import parse_json_lines

BODIES = [
    b'{"a":1}\n{"b":2}\n',
    b'{"a":1}\r\n\r\n  {"b":2}',
    b'{"a":1},{"b":"\n"}',
    b'{"a":\n1}',
    b'{"a":[1\n,2]}',
    b'\xc2\xa0{"a":1}',
    b'{"a":1}\xc2\xa0',
    b'{"a":1}\r{"b":2}',
    b'{"a": 99999999999999999999}',
    b'{"a": 9999999999999999999}\n{"b": 1}',
    b'{"a": 999999999999999999}',
    b'{"a": "12345678901234567890123"}',
    b"[1]",
    b"",
    b"\n\n",
    b'{"a":"\xe2\x80\xa8"}',
    b'{"a":"\xc2\x85"}\n{"b":1}',
    b'{"a":1} {"b":2}',
    b'  \t{"a":[1,2]}  ',
    b'{"a":1}\n{"b":',
    b'{"a":1}\n\x0c\n{"b":2}',
]


def _line_by_line(raw: bytes) -> object:
    """The reference answer: force the per-line path."""
    original = request_data._parse_plain_lines
    request_data._parse_plain_lines = lambda *_: None  # type: ignore[assignment]
    try:
        return _answer(raw)
    finally:
        request_data._parse_plain_lines = original


def _answer(raw: bytes) -> object:
    try:
        return parse_json_lines(raw)
    except errors.ApiError as ex:
        return (ex.code, ex.subcode, ex.msg)


@pytest.mark.parametrize("raw", BODIES)
def test_fast_path_agrees_with_line_by_line(raw: bytes) -> None:
    assert _answer(raw) == _line_by_line(raw)


def test_fast_path_is_taken_for_plain_batches() -> None:
    body = b"\n".join(b'{"task": "t", "iter": %d, "value": 1.5}' % n for n in range(100))
    assert request_data._parse_plain_lines(body.decode(), False) == parse_json_lines(body)
    assert len(parse_json_lines(body)) == 100


def test_long_digit_runs_are_found() -> None:
    assert request_data._has_long_digits(b'{"a": 1234567890123456789}')
    assert not request_data._has_long_digits(b'{"a": 123456789012345678, "b": 1700000000000}')


def test_task_update_newest_value_wins_ties_by_batch_order_and_keeps_value_types() -> None:
    from datetime import datetime

    from stationmaster.bll.events.writing import _task_update, name_key

    def scalar(value: float, ts: int) -> dict[str, object]:
        return {
            "type": "training_stats_scalar",
            "task": "t",
            "metric": "m",
            "variant": "v",
            "iter": 1,
            "value": value,
            "timestamp": ts,
        }

    events = [scalar(2, 5), scalar(1.0, 7), scalar(3, 7), scalar(1, 6), scalar(3.0, 1)]
    update = _task_update(events, [], datetime(2026, 1, 1))
    prefix = f"last_metrics.{name_key('m')}.{name_key('v')}"
    assert update["$set"][f"{prefix}.value"] == 3  # the later of the two newest (timestamp 7)
    # of equal extremes the later one is kept, with its type (as min()/max() of the pair do)
    assert update["$min"][f"{prefix}.min_value"] == 1 and type(update["$min"][f"{prefix}.min_value"]) is int
    assert update["$max"][f"{prefix}.max_value"] == 3 and type(update["$max"][f"{prefix}.max_value"]) is float
