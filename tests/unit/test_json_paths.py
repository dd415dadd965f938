"""Issue 24: bodies are parsed and answers encoded by orjson, falling back to the json
module wherever orjson refuses or could differ; the results are the json module's."""

from __future__ import annotations

import json
import math
from datetime import UTC, date, datetime
from typing import Any

import pytest
from support.shapes import type_tree

from stationmaster.protocol import errors
from stationmaster.protocol.envelope import dumps
from stationmaster.protocol.request_data import parse_body, parse_json_lines

BODIES = [
    b'{"a": 1, "b": [1.5, -0, 1e-7, 1E5, true, null], "c": {"d": "\\u00e9\\n"}}',
    b'{"a": 1, "a": 2}',
    b'{"n": 18446744073709551615}',  # 2**64 - 1: orjson would keep it, json too (then the range check)
    b'{"n": 18446744073709551616}',  # 2**64: orjson reads a float, json an int
    b'{"n": NaN, "i": -Infinity}',
    b'\xef\xbb\xbf{"bom": 1}',
    b'{"x": 1e400}',
    b'{"s": "\\ud800"}',
    b'{"s": "\xed\xa0\x80"}',
    b'  {"ws": 1}  \n',
    b'[{"a": 1}, {"b": 2}]',
    b"[1, 2]",
    b'"text"',
    b"{" * 70 + b"}" * 70,
    b"{bad json",
]


def outcome(call: Any) -> Any:
    try:
        value = call()
    except errors.ApiError as ex:
        return ("error", ex.code, ex.subcode, str(ex))
    return ("value", json.dumps(value, sort_keys=True, default=repr), type_tree(value))


def _stdlib_only(monkeypatch: pytest.MonkeyPatch) -> None:
    import orjson

    def refuse(_: Any) -> Any:
        raise orjson.JSONDecodeError("refused", "", 0)

    monkeypatch.setattr("stationmaster.protocol.request_data.orjson.loads", refuse)


@pytest.mark.parametrize("raw", BODIES)
@pytest.mark.parametrize("batch", [False, True])
def test_a_body_parses_as_with_the_json_module(raw: bytes, batch: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    fast = outcome(lambda: parse_body(raw, batch=batch))
    _stdlib_only(monkeypatch)
    assert outcome(lambda: parse_body(raw, batch=batch)) == fast


@pytest.mark.parametrize(
    "raw",
    [
        b'{"a": 1}\n{"b": [2.5, null]}\r\n\n{"c": "x"}',
        b'{"a": NaN}\n{"b": 1}',
        b'{"a": "\\ud800"}\n{"b": 1}',
        b'{"n": 99999999999999999999}\n{"b": 1}',
        b'{"a": 1} {"b": 2}',
        b'{"a": 1}\n[1]',
        b'{"a": 1}\n' + b"{" * 70 + b"}" * 70,
    ],
)
def test_json_lines_parse_as_with_the_json_module(raw: bytes, monkeypatch: pytest.MonkeyPatch) -> None:
    fast = outcome(lambda: parse_json_lines(raw))
    _stdlib_only(monkeypatch)
    assert outcome(lambda: parse_json_lines(raw)) == fast


@pytest.mark.parametrize(
    "value",
    [
        {"a": datetime(2020, 1, 2, 3, 4, 5, 678000), "b": datetime(2020, 1, 2, tzinfo=UTC), "c": date(2020, 1, 2)},
        {"set": {1}, "tuple": (1, "x"), "bytes": b"\xff", "text": 'é\n\x1f"\\\u2028'},
        {"nan": math.nan, "inf": [math.inf, -math.inf], "ok": 0.5},
        {"big": 2**70, "key": {1: "int key"}},
        {"surrogate": "\ud800"},
        {"floats": [0.1, 1.0, 1e16, 1e-300, -0.0, 123456.789, 1e-5]},
    ],
)
def test_answers_are_what_the_json_module_wrote(value: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    fast = dumps(value)

    def refuse(*_: Any, **__: Any) -> Any:
        raise TypeError("refused")

    monkeypatch.setattr("stationmaster.protocol.envelope.orjson.dumps", refuse)
    stdlib = dumps(value)
    assert isinstance(fast, bytes)
    if "floats" in value:  # the same floats, perhaps written in another form (0.00001 / 1e-05)
        assert json.loads(fast) == json.loads(stdlib)
    else:
        assert fast == stdlib
