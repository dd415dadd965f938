"""The project tree's rules (bll/project_tree.py) on the repositories, without HTTP: the
name rules, ``ensure`` with the fields of a created project (a hidden ``.reports`` one),
and the plan a move makes. On mongomock and on the embedded store."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import mongoengine
import mongomock
import pytest

from stationmaster.bll.project_tree import ProjectTree, split_name
from stationmaster.database.embedded import client_class
from stationmaster.database.model.base import AUTH_DB, BACKEND_DB
from stationmaster.database.repositories import Documents
from stationmaster.database.stores import connect_documents_with
from stationmaster.protocol.errors import ApiError


@pytest.fixture(params=["mongomock", "litemongo"])
def tree(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ProjectTree]:
    if request.param == "mongomock":
        connect_documents_with(mongomock.MongoClient)
    else:
        connect_documents_with(client_class(tmp_path / "docs"))
    documents = Documents()
    yield ProjectTree(documents.projects, documents.tasks, documents.models, 4, lambda company, ids: 0)
    for alias in (BACKEND_DB, AUTH_DB):
        mongoengine.disconnect(alias)


def test_split_name() -> None:
    assert split_name(" a b //c / d/") == ("a b/c/d", "a b/c")
    assert split_name("top") == ("top", "")
    for empty in ("", "/", " / "):
        with pytest.raises(ApiError) as caught:
            split_name(empty)
        assert (caught.value.code, caught.value.subcode) == (400, 407)


def test_ensure_creates_the_ancestors_and_gives_the_leaf_its_fields(tree: ProjectTree) -> None:
    reports = tree.ensure("c1", "u1", "Top/Sub/.reports", {"system_tags": ["hidden", "reports"]})
    assert reports is not None
    top = tree.own_by_name("c1", "Top")
    sub = tree.own_by_name("c1", "Top/Sub")
    assert top and sub
    assert reports["path"] == [top["id"], sub["id"]] and reports["parent"] == sub["id"]
    found = {p["name"]: p for p in tree._projects.descendants([top["id"]])}
    assert found["Top/Sub/.reports"]["system_tags"] == ["hidden", "reports"]
    assert found["Top/Sub"].get("system_tags") == []
    again = tree.ensure("c1", "u1", "Top//Sub/.reports ")
    assert again and again["id"] == reports["id"]  # found, not created again
    assert tree.ensure("c1", "u1", " / ") is None


def test_a_move_plan_renames_and_repaths_the_subtree(tree: ProjectTree) -> None:
    leaf = tree.ensure("c1", "u1", "Aaa/Bbb/Ccc")
    target = tree.ensure("c1", "u1", "Xxx")
    assert leaf and target
    bbb = tree.own_by_name("c1", "Aaa/Bbb")
    assert bbb
    plan = dict(tree._plan("c1", bbb, target))
    assert plan[bbb["id"]]["name"] == "Xxx/Bbb" and plan[bbb["id"]]["path"] == [target["id"]]
    assert plan[leaf["id"]]["name"] == "Xxx/Bbb/Ccc" and plan[leaf["id"]]["path"] == [target["id"], bbb["id"]]
    assert tree.move("c1", "u1", bbb["id"], "") == 2
    assert tree.own_by_name("c1", "Bbb/Ccc") is not None
    with pytest.raises(ApiError) as caught:  # 4 levels at most here
        tree.move("c1", "u1", bbb["id"], "One/Two/Three")
    assert (caught.value.code, caught.value.subcode) == (400, 409)


def test_a_project_stored_before_the_tree_answers_its_name_as_basename() -> None:
    from stationmaster.bll.projects import _tree_out
    from stationmaster.protocol.versions import Version

    legacy = {"id": "p1", "name": "a/b", "path": []}
    assert _tree_out(dict(legacy), Version(2, 13), keep_path=False) == {"id": "p1", "name": "a/b", "basename": "a/b"}
    assert _tree_out(dict(legacy), Version(2, 13), keep_path=False, fill_basename=False) == {"id": "p1", "name": "a/b"}
    assert _tree_out(dict(legacy), Version(2, 9), keep_path=True) == {"id": "p1", "name": "a/b"}


def test_dataset_stats_read_the_last_updated_runtime(tree: ProjectTree) -> None:
    from datetime import datetime

    from stationmaster.bll.organization import OrgBLL
    from stationmaster.bll.projects import ProjectBLL
    from stationmaster.database.repositories import Documents

    documents = Documents()
    rules = ProjectBLL(
        OrgBLL(documents.tasks, documents.models),
        documents.projects,
        documents.tasks,
        documents.models,
        documents.users,
        10,
        lambda company, ids: 0,
    )
    project = tree.ensure("c1", "u1", "Datasets/one")
    assert project
    for i, (files, size) in enumerate([(1, 10), (2, 1000)]):
        fields = {"id": f"t{i}", "company": "c1", "name": f"version {i}", "type": "data_processing"}
        fields |= {"project": project["id"], "runtime": {"ds_file_count": files, "ds_total_size": size}}
        documents.tasks._insert_as_given(fields | {"last_update": datetime(2026, 1, 1, 12, i)})
    assert rules._dataset_runtime("c1", [project["id"]], []) == {project["id"]: {"file_count": 2, "total_size": 1000}}
    assert rules._dataset_runtime("c1", [project["id"]], ["someone else"]) == {}
