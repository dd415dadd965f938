"""Request validators: integers within int64, numbers finite (each a 400 naming the field)."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

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
