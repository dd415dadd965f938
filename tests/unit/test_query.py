"""The shared get_all query language (bll/query.py) on a mongomock collection."""

from __future__ import annotations

import contextlib
import functools
import random
from datetime import datetime
from pathlib import Path
from typing import Any

import mongomock
import pytest

from stationmaster.bll.query import QuerySpec, build_filter, get_all_docs, sort_docs, split_filters
from stationmaster.database.embedded import client_class
from stationmaster.database.repositories import CollectionReader
from stationmaster.protocol.errors import ApiError
from stationmaster.protocol.versions import Version

SPEC = QuerySpec(
    pattern_fields=("name", "comment"),
    list_fields=("id", "user", "tags", "system_tags", "status", "project"),
    datetime_fields=("last_update",),
    fields=("parent",),
    text_fields=("name", "comment"),
)


@pytest.fixture(params=["mongomock", "litemongo"])
def coll(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    """The same queries on mongomock and on the embedded store the server runs on."""
    if request.param == "mongomock":
        c = mongomock.MongoClient().db.task
    else:
        c = client_class(tmp_path / "docs")().db.task
    docs = [
        ("t1", "c1", "train a", "created", ["x"], 3, datetime(2024, 1, 1)),
        ("t2", "c1", "train b", "failed", ["x", "y"], None, datetime(2024, 2, 1)),
        ("t3", "c1", "Eval", "completed", [], 1, datetime(2024, 3, 1)),
        ("t4", "c2", "train other company", "created", ["x"], 2, datetime(2024, 4, 1)),
        ("t5", "", "public train", "published", [], 10, datetime(2024, 5, 1)),
    ]
    for _id, company, name, status, tags, iteration, updated in docs:
        doc = {"_id": _id, "company": company, "name": name, "status": status, "tags": tags}
        doc["last_update"] = updated
        doc["comment"] = f"about {name}"
        if iteration is not None:
            doc["last_iteration"] = iteration
            doc["hyperparams"] = {"args": {"lr": {"value": str(iteration * 10)}}}
        c.insert_one(doc)
    return c


def ids(docs: list[dict[str, Any]]) -> list[str]:
    return [d["id"] for d in docs]


def run(coll: Any, **request: Any) -> list[str]:
    return ids(get_all_docs(CollectionReader(coll), "c1", request, SPEC))


def test_company_scope_includes_public_objects_only_when_allowed(coll: Any) -> None:
    assert sorted(run(coll)) == ["t1", "t2", "t3", "t5"]
    assert sorted(ids(get_all_docs(CollectionReader(coll), "c1", {}, SPEC, allow_public=False))) == ["t1", "t2", "t3"]


def test_name_is_a_regular_expression(coll: Any) -> None:
    assert sorted(run(coll, name="^train")) == ["t1", "t2"]
    assert run(coll, name="^train a$") == ["t1"]
    assert run(coll, name=r"train\ b") == ["t2"]
    with pytest.raises(ApiError) as exc:
        run(coll, name="(")
    # 400/21 invalid_regex_error, as the reference (issue 13: one code for every pattern)
    assert (exc.value.code, exc.value.subcode) == (400, 21) and "name" in str(exc.value)


def test_list_fields_in_not_and_null(coll: Any) -> None:
    assert sorted(run(coll, status=["created", "failed"])) == ["t1", "t2"]
    assert sorted(run(coll, status=["__$not", "created"])) == ["t2", "t3", "t5"]
    assert sorted(run(coll, tags=["-y"])) == ["t1", "t3", "t5"]
    assert sorted(run(coll, tags=[None])) == ["t3", "t5"]
    assert sorted(run(coll, tags=["y", None])) == ["t2", "t3", "t5"]
    assert run(coll, id=["t3", "t4"]) == ["t3"]


def test_not_null_leaves_out_empty_lists_on_both_stores(coll: Any) -> None:
    assert sorted(run(coll, tags=["__$not", None])) == ["t1", "t2"]
    assert sorted(run(coll, tags=["__$not", None, "__$not", "y"])) == ["t1"]


V2_27 = Version(2, 27)


def filtered(coll: Any, filters: Any, version: Version = V2_27, **request: Any) -> list[str]:
    request, condition = split_filters(
        {**request, "filters": filters}, version, ("id", "tags", "status", "hyperparams.*")
    )
    assert "filters" not in request
    return sorted(ids(get_all_docs(CollectionReader(coll), "c1", request, SPEC, base_filter=condition)))


def test_field_filters_any_all_include_exclude(coll: Any) -> None:
    # c1 and public: t1 [x], t2 [x, y], t3 [], t5 []
    assert filtered(coll, {"tags": {"any": {"include": ["y", "z"]}}}) == ["t2"]
    assert filtered(coll, {"tags": {"all": {"include": ["x", "y"]}}}) == ["t2"]
    assert filtered(coll, {"tags": {"any": {"exclude": ["x", "y"]}}}) == ["t1", "t3", "t5"]
    assert filtered(coll, {"tags": {"all": {"exclude": ["y"]}}}) == ["t1", "t3", "t5"]
    assert filtered(coll, {"tags": {"any": {"include": [None]}}}) == ["t3", "t5"]
    assert filtered(coll, {"tags": {"all": {"exclude": [None]}}}) == ["t1", "t2"]
    assert filtered(coll, {"tags": {"all": {"include": [None, "x"]}}}) == []
    assert filtered(coll, {"status": {"all": {"include": ["created"]}}}) == ["t1"]  # a scalar field
    both = {"any": {"include": ["y"]}, "all": {"exclude": ["x"]}}
    assert filtered(coll, {"tags": both}) == []
    assert filtered(coll, {"tags": {**both, "op": "or"}}) == ["t2", "t3", "t5"]
    assert filtered(coll, {"tags": {"any": {"include": ["x"]}}, "status": {"all": {"exclude": ["failed"]}}}) == ["t1"]
    assert filtered(coll, {"id": {"any": {"include": ["t3", "t4"]}}}) == ["t3"]
    assert filtered(coll, {"hyperparams.args.lr.value": {"any": {"include": ["30"]}}}) == ["t1"]
    # the plain list filter of a field named is replaced; below 2.27 filters are not read
    assert filtered(coll, {"tags": {"any": {"include": ["y"]}}}, tags=["__$not", "y"]) == ["t2"]
    assert filtered(coll, {"tags": {"any": {"include": ["y"]}}}, Version(2, 26)) == ["t1", "t2", "t3", "t5"]
    assert split_filters({"filters": {"tags": {"any": {}}}}, Version(2, 27), ("tags",)) == ({}, None)
    assert split_filters({"filters": {"tags": None}, "tags": ["a"]}, Version(2, 27), ("tags",)) == (
        {"tags": ["a"]},
        None,
    )


@pytest.mark.parametrize(
    ("filters", "field"),
    [
        ({"name": {"any": {"include": ["a"]}}}, "filters.name"),
        ({"hyperparams": {"any": {"include": ["a"]}}}, "filters.hyperparams"),  # only paths below it
        ({"hyperparams.$where": {"any": {"include": ["a"]}}}, "filters.hyperparams.$where"),
        ({"tags": {"op": "xor"}}, "filters.tags.op"),
        ({"tags": {"any": {"include": "a"}}}, "filters.tags.any.include"),
        ({"tags": {"all": {"exclude": [1]}}}, "filters.tags.all.exclude"),
        ({"tags": {"all": {"excludes": ["a"]}}}, "filters.tags.all.excludes"),
        ({"tags": {"every": {}}}, "filters.tags.every"),
        ({"tags": {"all": ["a"]}}, "filters.tags.all"),
        ({"tags": ["a"]}, "filters.tags"),
        (["tags"], "filters"),
    ],
)
def test_field_filters_refused(filters: Any, field: str) -> None:
    with pytest.raises(ApiError) as exc:
        split_filters({"filters": filters}, Version(2, 27), ("tags", "hyperparams.*"))
    assert (exc.value.code, exc.value.subcode) == (400, 12)
    assert f"field {field}" in str(exc.value)


def test_datetime_comparisons(coll: Any) -> None:
    assert sorted(run(coll, last_update=[">=2024-02-01", "<2024-05-01"])) == ["t2", "t3"]
    with pytest.raises(ApiError):
        run(coll, last_update=">=not a date")


def test_any_all_and_search_text_are_case_insensitive(coll: Any) -> None:
    assert sorted(run(coll, _any_={"pattern": "EVAL", "fields": ["name", "comment"]})) == ["t3"]
    assert sorted(run(coll, _all_={"pattern": "train", "fields": ["name", "comment"]})) == ["t1", "t2", "t5"]
    assert sorted(run(coll, search_text="TRAIN B")) == ["t2"]
    assert sorted(run(coll, search_text="a.b")) == []  # literal text, not a pattern


def test_order_by_puts_none_last_and_compares_params_numerically(coll: Any) -> None:
    assert run(coll, order_by=["last_iteration"]) == ["t3", "t1", "t5", "t2"]
    assert run(coll, order_by=["-last_iteration"]) == ["t5", "t1", "t3", "t2"]
    assert run(coll, order_by="-hyperparams.args.lr") == ["t5", "t1", "t3", "t2"]
    assert run(coll, order_by=["status", "-name"]) == ["t3", "t1", "t2", "t5"]


def test_paging(coll: Any) -> None:
    assert run(coll, order_by=["name"], page=0, page_size=2) == ["t3", "t5"]
    assert run(coll, order_by=["name"], page=1, page_size=2) == ["t1", "t2"]
    assert run(coll, order_by=["name"], page=5, page_size=2) == []
    with pytest.raises(ApiError) as exc:
        run(coll, page=1)
    assert (exc.value.code, exc.value.subcode) == (400, 11)
    with pytest.raises(ApiError) as exc:
        run(coll, page=-1, page_size=2)
    assert (exc.value.code, exc.value.subcode) == (400, 12)
    with pytest.raises(ApiError) as exc:
        run(coll, order_by=["@text_score"])
    assert (exc.value.code, exc.value.subcode) == (400, 16)


def test_projection_with_dotted_paths_and_exclusions(coll: Any) -> None:
    docs = get_all_docs(CollectionReader(coll), "c1", {"id": ["t1"], "only_fields": ["name", "hyperparams.args"]}, SPEC)
    assert docs == [{"id": "t1", "name": "train a", "hyperparams": {"args": {"lr": {"value": "30"}}}}]
    docs = get_all_docs(CollectionReader(coll), "c1", {"id": ["t1"], "only_fields": ["-comment", "-hyperparams"]}, SPEC)
    assert set(docs[0]) == {"id", "company", "name", "status", "tags", "last_update", "last_iteration"}
    docs = get_all_docs(
        CollectionReader(coll),
        "c1",
        {"id": ["t1"], "only_fields": ["name", "hyperparams", "-hyperparams.args.lr"]},
        SPEC,
    )
    assert docs[0]["hyperparams"] == {"args": {}}


def test_plain_fields_and_filter_shape(coll: Any) -> None:
    assert build_filter("c1", {}, SPEC, allow_public=False) == {"company": "c1"}
    assert run(coll, parent=["nope"]) == []


def _rank(field: str, value: Any) -> tuple[int, Any]:
    """The reference order of one value: nulls apart (-1), numbers < strings <
    datetimes (by timestamp) < anything else (by text); hyperparams strings compare as
    numbers when they are."""
    numeric_text = field.startswith("hyperparams.")
    if numeric_text and isinstance(value, dict):
        value = value.get("value")
    if value is None:
        return (-1, None)
    if numeric_text and isinstance(value, str):
        with contextlib.suppress(ValueError):
            return (0, float(value))
    kinds: tuple[tuple[Any, int, Any], ...] = (
        (bool | int | float, 0, float),
        (str, 1, str),
        (datetime, 2, datetime.timestamp),
    )
    return next(((rank, convert(value)) for kind, rank, convert in kinds if isinstance(value, kind)), (3, str(value)))


def _path(doc: Any, field: str) -> Any:
    for part in field.split("."):
        doc = doc.get(part) if isinstance(doc, dict) else None
    return doc


def _reference_order(docs: list[dict[str, Any]], order: list[tuple[str, bool]]) -> list[dict[str, Any]]:
    """The ordering rules as one comparison: per field, a null goes last for the first
    field and first for the others (either direction); ties keep the input order."""

    def compare(a: tuple[int, dict[str, Any]], b: tuple[int, dict[str, Any]]) -> int:
        for index, (field, descending) in enumerate(order):
            ra, rb = _rank(field, _path(a[1], field)), _rank(field, _path(b[1], field))
            if ra == rb:
                continue
            if ra[0] == -1 or rb[0] == -1:
                a_null = ra[0] == -1
                return (1 if a_null else -1) if index == 0 else (-1 if a_null else 1)
            return (-1 if ra < rb else 1) * (-1 if descending else 1)
        return -1 if a[0] < b[0] else 1

    return [d for _, d in sorted(enumerate(docs), key=functools.cmp_to_key(compare))]


@pytest.mark.parametrize("seed", range(6))
def test_sort_docs_matches_the_reference_rules(seed: int) -> None:
    rnd = random.Random(seed)
    pools: dict[str, list[Any]] = {
        "a": [None, 1, 2.5, True, "x", "y", datetime(2024, 1, 2), datetime(2023, 5, 1)],
        "b": [None, "p", "q", "r"],
        "t": [datetime(2024, 1, d) for d in range(1, 5)] + [None],
        "hyperparams.s.lr": [None, "0.1", "10", "2", "abc", 3],
    }
    docs = []
    for i in range(60):
        doc: dict[str, Any] = {"_id": f"d{i}"}
        for field, pool in pools.items():
            value = rnd.choice(pool)
            if rnd.random() < 0.1:
                continue  # missing
            if field.startswith("hyperparams."):
                doc["hyperparams"] = {"s": {"lr": {"value": value}}}
            else:
                doc[field] = value
        docs.append(doc)
    for order in (
        [("a", False)],
        [("a", True)],
        [("t", True)],
        [("b", False), ("t", True)],
        [("b", True), ("a", False), ("t", False)],
        [("hyperparams.s.lr", True), ("b", False)],
    ):
        expected = [d["_id"] for d in _reference_order(docs, order)]
        assert [d["_id"] for d in sort_docs(list(docs), order)] == expected, order
