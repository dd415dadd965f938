"""The API tests' response check (tests/support/responses.py) finds what it must."""

from __future__ import annotations

from pathlib import Path

from support.responses import ResponseChecker

from stationmaster.schema import load_schemas

SCHEMA = """
_description: "x"
_definitions {
    thing { type: object, properties { id { type: string } } }
}
act {
    "2.1" {
        description: "d"
        request { type: object }
        response { type: object, properties { thing { "$ref": "#/definitions/thing" } } }
    }
    "2.5" {
        description: "d"
        request { type: object }
        response { type: object, properties { count { type: integer } } }
    }
}
"""


def _envelope(version: str | float, data: dict, code: int = 200) -> dict:
    endpoint = {"name": "svc.act", "requested_version": version, "actual_version": "2.1"}
    return {"meta": {"endpoint": endpoint, "result_code": code}, "data": data}


def test_a_mismatch_names_the_action_version_and_field(tmp_path: Path) -> None:
    (tmp_path / "svc.conf").write_text(SCHEMA)
    checker = ResponseChecker(load_schemas(tmp_path))
    checker(_envelope("2.1", {"thing": {"id": 5}}))  # through the definitions
    checker(_envelope("2.6", {"count": "many"}))  # the block for the requested version
    checker(_envelope(2.0, {"thing": {"id": "a"}}))  # float versions of old clients
    problems = checker.take()
    assert len(problems) == 2
    assert problems[0].startswith("svc.act v2.1: response field thing.id:")
    assert problems[1].startswith("svc.act v2.6: response field count:")
    assert checker.take() == []


def test_errors_raw_bodies_and_unknown_actions_are_not_checked(tmp_path: Path) -> None:
    (tmp_path / "svc.conf").write_text(SCHEMA)
    checker = ResponseChecker(load_schemas(tmp_path))
    checker(_envelope("2.6", {"count": "many"}, code=400))
    checker({"raw": "log text"})
    checker({"meta": {"endpoint": {"name": "svc.nosuch", "requested_version": "2.1"}, "result_code": 200}})
    assert checker.take() == [] and checker.checked == 0
