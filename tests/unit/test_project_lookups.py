"""bll/project_lookups.py below the API: the numeric order of distinct values, and
``include_subprojects`` over a project tree's ``path`` (the tree itself is another
issue's; here its documents are written directly). On mongomock and the embedded store."""

from __future__ import annotations

from datetime import datetime

import pytest
from support.documents import documents_fixture  # noqa: F401 - the "documents" fixture

from stationmaster.bll.project_lookups import ProjectLookups, natural_key
from stationmaster.bll.project_tree import with_descendants
from stationmaster.config.parsed import user_cache_dirs
from stationmaster.database.repositories import Documents
from stationmaster.protocol.versions import Version
from stationmaster.schema import load_schemas

NOW = datetime(2026, 1, 1, 12, 0, 0)


@pytest.fixture
def lookups(documents: Documents) -> ProjectLookups:
    schemas = load_schemas(cache_dirs=user_cache_dirs())
    return ProjectLookups(schemas, documents.projects, documents.tasks, documents.models, documents.users)


def test_values_sort_as_the_numeric_collation() -> None:
    values = ["10", "9", "b", "A", "v10", "v9", "1.5", "1.10", ""]
    assert sorted(values, key=natural_key) == ["", "1.5", "1.10", "9", "10", "A", "b", "v9", "v10"]


def _tree(documents: Documents) -> None:
    """top → mid → leaf, and a stranger project; one task with a parameter in each."""
    projects = documents.projects._coll
    for pid, path in (("top", []), ("mid", ["top"]), ("leaf", ["top", "mid"]), ("else", [])):
        projects.insert_one({"_id": pid, "name": f"{pid} project", "company": "c1", "path": path, "created": NOW})
        params = {"Args": {"lr": {"section": "Args", "name": "lr", "value": f"{pid}-lr"}}}
        documents.tasks._coll.insert_one(
            {"_id": f"t-{pid}", "name": f"task {pid}", "company": "c1", "project": pid, "hyperparams": params}
        )


def test_include_subprojects_follows_the_path(documents: Documents, lookups: ProjectLookups) -> None:
    _tree(documents)
    assert with_descendants(documents.projects, ["mid"]) == ["mid", "leaf"]
    assert sorted(with_descendants(documents.projects, ["top", "else"])) == ["else", "leaf", "mid", "top"]
    assert with_descendants(documents.projects, ["-top", None, "mid"]) == ["-top", None, "mid", "leaf"]
    assert with_descendants(documents.projects, ["else", "__$not", "top"]) == ["else", "__$not", "top"]
    request = {"projects": ["mid"], "section": "Args", "name": "lr", "include_subprojects": True}
    assert lookups.hyperparam_values("c1", request)["values"] == ["leaf-lr", "mid-lr"]
    flat = lookups.hyperparam_values("c1", {**request, "include_subprojects": False})
    assert flat == {"total": 1, "values": ["mid-lr"]}


def test_active_users_reach_the_projects_ancestors(documents: Documents, lookups: ProjectLookups) -> None:
    _tree(documents)
    documents.tasks._coll.update_one({"_id": "t-leaf"}, {"$set": {"user": "u1"}})
    counts = lookups.entities_count("c1", {"projects": {}, "active_users": ["u1"]}, Version(2, 22))
    assert counts == {"projects": 3}  # leaf, and mid and top above it


def test_counts_include_subprojects(documents: Documents, lookups: ProjectLookups) -> None:
    _tree(documents)
    documents.tasks._coll.update_one({"_id": "t-leaf"}, {"$set": {"type": "report"}})
    version = Version(2, 23)
    assert lookups.entities_count("c1", {"reports": {"project": ["top"]}}, version) == {"reports": 1}
    assert lookups.entities_count("c1", {"tasks": {"project": "mid"}}, version) == {"tasks": 1}
    under = {"tasks": {"project": ["mid"], "include_subprojects": True}}
    assert lookups.entities_count("c1", under, version) == {"tasks": 2}
    excluding = {"tasks": {"project": ["-mid"], "include_subprojects": True}}
    assert lookups.entities_count("c1", excluding, version) == {"tasks": 3}
