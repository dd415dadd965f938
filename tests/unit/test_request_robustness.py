"""The request path's guards: integers within int64 and numbers finite (400/12 naming the
field), nulls taking defaults, over-deep bodies rejected."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from stationmaster.protocol.errors import ApiError
from stationmaster.protocol.request_data import parse_body, parse_json_lines
from stationmaster.schema import load_schemas

SERVICE = """
_description: "x"
act {
    "1.0" {
        description: "d"
        request {
            type: object
            properties {
                count { type: integer }
                low { type: integer, minimum: 5 }
                either { type: [integer, "null"] }
                ratio { type: number }
                nested { type: object, properties { n { type: integer }, r { type: number } } }
            }
        }
        response { type: object }
    }
}
"""


def errors_of(tmp_path: Path, data: dict[str, object]) -> list[tuple[str, str]]:
    (tmp_path / "svc.conf").write_text(SERVICE)
    action = load_schemas(tmp_path).action("svc.act")
    assert action is not None
    block = action.versions[0]
    return [(".".join(map(str, e.absolute_path)), e.message) for e in block.validator.iter_errors(data)]


@pytest.mark.parametrize(
    "data, path",
    [
        ({"count": 2**63}, "count"),
        ({"count": -(2**63) - 1}, "count"),
        ({"low": 10**20}, "low"),
        ({"either": 10**20}, "either"),
        ({"nested": {"n": 10**19}}, "nested.n"),
        ({"ratio": math.nan}, "ratio"),
        ({"ratio": math.inf}, "ratio"),
        ({"nested": {"r": -math.inf}}, "nested.r"),
        ({"count": math.nan}, "count"),
    ],
)
def test_out_of_range_and_non_finite_are_rejected(tmp_path: Path, data: dict[str, object], path: str) -> None:
    assert [p for p, _ in errors_of(tmp_path, data)] == [path]


def test_bounds_keep_declared_limits_and_ordinary_values(tmp_path: Path) -> None:
    ok = {"count": 2**63 - 1, "low": 5, "either": None, "ratio": 1e308, "nested": {"n": -(2**63), "r": 0.5}}
    assert errors_of(tmp_path, ok) == []
    assert errors_of(tmp_path, {"low": 4}) == [("low", "4 is less than the minimum of 5")]
    assert errors_of(tmp_path, {"ratio": True}) and errors_of(tmp_path, {"count": 1.5})


def test_the_declared_schema_is_not_changed(tmp_path: Path) -> None:
    (tmp_path / "svc.conf").write_text(SERVICE)
    action = load_schemas(tmp_path).action("svc.act")
    assert action is not None and action.versions[0].request is not None
    assert "maximum" not in action.versions[0].request["properties"]["count"]  # the OpenAPI text stays as written


def test_a_null_field_with_a_default_gets_the_default(tmp_path: Path) -> None:
    (tmp_path / "svc.conf").write_text(
        SERVICE.replace("count { type: integer }", "count { type: integer, default: 3 }").replace(
            "n { type: integer }", "n { type: integer, default: 4 }"
        )
    )
    action = load_schemas(tmp_path).action("svc.act")
    assert action is not None and action.versions[0].shaper is not None
    shape = action.versions[0].shaper.shape
    assert shape({"count": None}) == {"count": 3}
    assert shape({"count": None, "nested": {"n": None}}) == {"count": 3, "nested": {"n": 4}}
    assert shape({"either": None}) == {"either": None, "count": 3}  # nullable: kept
    assert shape({"ratio": None}) == {"count": 3}


@pytest.mark.parametrize(
    "body, where",
    [
        (b'{"a": {"b": [1, 100000000000000000000]}}', "field a.b.1"),
        (b'{"a": -9223372036854775809}', "field a"),
        (b'{"design": {"x": {"y": 9223372036854775808}}}', "field design.x.y"),
    ],
)
def test_integers_beyond_int64_anywhere_in_a_body_are_400_12(body: bytes, where: str) -> None:
    with pytest.raises(ApiError) as info:
        parse_body(body)
    assert (info.value.code, info.value.subcode) == (400, 12) and where in info.value.msg
    with pytest.raises(ApiError) as info:
        parse_json_lines(b'{"ok": 1}\n' + body)
    assert (info.value.code, info.value.subcode) == (400, 12) and f"(line 2: {where}:" in info.value.msg


def test_int64_edges_and_long_digit_strings_pass() -> None:
    body = b'{"a": 9223372036854775807, "b": -9223372036854775808, "id": "12345678901234567890123", "f": 1e300}'
    assert parse_body(body)["a"] == 2**63 - 1
    assert parse_json_lines(body)[0]["id"] == "12345678901234567890123"


def test_a_body_nested_too_deeply_is_400() -> None:
    deep = b"[" * 100_000 + b"]" * 100_000
    for parse in (parse_body, parse_json_lines):
        with pytest.raises(ApiError) as info:
            parse(b'{"a": ' + deep + b"}")
        assert info.value.code == 400 and "nested too deeply" in info.value.msg
