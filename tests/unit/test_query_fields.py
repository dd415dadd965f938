"""Field names that come from a request (``_any_``/``_all_`` fields, ``only_fields``) are
paths, never operators: ``$where`` would run code on MongoDB."""

from __future__ import annotations

from typing import Any

import mongomock
import pytest

from stationmaster.bll.query import QuerySpec, get_all_docs
from stationmaster.database.repositories import CollectionReader
from stationmaster.protocol.errors import ApiError


@pytest.fixture
def coll() -> Any:
    c = mongomock.MongoClient().db.task
    c.insert_one({"_id": "t1", "company": "c1", "name": "a", "hyperparams": {"My Section": {"a%2Eb": {"value": "1"}}}})
    return c


def run(coll: Any, **request: Any) -> list[str]:
    return [d["id"] for d in get_all_docs(CollectionReader(coll), "c1", request, QuerySpec())]


@pytest.mark.parametrize("name", ["$where", "a.$where", "", "a..b", "tags\x00"])
def test_field_names_from_the_request_are_never_operators(coll: Any, name: str) -> None:
    for request in (
        {"_any_": {"pattern": "x", "fields": [name]}},
        {"only_fields": [name]},
        {"only_fields": ["-" + name]},
    ):
        if not name and "only_fields" in request:
            continue  # empty entries are ignored
        with pytest.raises(ApiError) as exc:
            run(coll, **request)
        assert (exc.value.code, exc.value.subcode) == (400, 12)


def test_field_paths_may_hold_escaped_and_spaced_names(coll: Any) -> None:
    assert run(coll, id=["t1"], only_fields=["hyperparams.My Section.a%2Eb"]) == ["t1"]
