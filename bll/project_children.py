"""projects.get_all_ex's selection by children (API 2.13 ``active_users``, 2.24
``children_type``, 2.25 ``children_tags``): the projects under which entities of a kind
(of some users, with some tags) are found, with every ancestor of those.

- ``dataset``: the projects holding a dataset project (system tag ``dataset``; the
  ``.datasets`` folder not counted);
- ``pipeline``: the projects holding a pipeline task (system tag ``pipeline``);
- ``report``: the projects holding a report (system tag ``reports``);
- none (``active_users`` only): the projects the users created or hold tasks or models of
  theirs.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..database.repositories.models import ModelRepository
from ..database.repositories.projects import ProjectRepository
from ..database.repositories.tasks import TaskRepository
from ..protocol import errors
from .project_tree import DATASET_TAG, DATASETS_PROJECT, PIPELINE_TAG, REPORTS_TAG, with_descendants
from .query import QuerySpec, build_filter, field_filter, field_path

CHILDREN_TYPES = ("pipeline", "report", "dataset")
_SPEC = QuerySpec(list_fields=("user", "tags"))
#: what the statistics of a children_type count (task filters)
STATS_FILTERS: dict[str, dict[str, Any]] = {
    "pipeline": {"system_tags": PIPELINE_TAG, "type": "controller"},
    "report": {"system_tags": REPORTS_TAG, "type": "report"},
}


def child_filter(company_id: str, users: Sequence[str], tags: Any, allow_public: bool = True) -> dict[str, Any]:
    """The company's (and public) entities of ``users`` (any when empty) matching the
    ``tags`` list filter (any when empty), or ``tags`` itself when it is a condition (a
    dict: 2.27 ``children_tags_filter``)."""
    request: dict[str, Any] = {}
    if users:
        request["user"] = list(users)
    if tags and not isinstance(tags, dict):
        request["tags"] = tags
    built = build_filter(company_id, request, _SPEC, allow_public=allow_public)
    return {"$and": [built, tags]} if tags and isinstance(tags, dict) else built


def tags_filter(tags: Any) -> dict[str, Any]:
    """Only the ``tags`` list filter (or condition) of ``child_filter`` (no company scope)."""
    if isinstance(tags, dict):
        return tags
    built = build_filter("-", {"tags": tags}, _SPEC, allow_public=False)
    clauses = built["$and"][1:] if "$and" in built else []
    return {"$and": clauses} if clauses else {}


def stats_filter(fields: Any) -> dict[str, Any]:
    """get_all_ex's ``include_stats_filter`` (2.17): for each task field the values it may
    have (a leading '-' excludes one), or a field filter ``{any, all, op}`` (as 2.27's
    ``filters``, which the reference takes here too), as the tasks that the statistics count."""
    if not isinstance(fields, dict):
        raise errors.VALIDATION_ERROR("an object of field: [values] expected", field="include_stats_filter")
    lists: dict[str, Any] = {}
    conditions: list[dict[str, Any]] = []
    for name, values in fields.items():
        if isinstance(values, dict) and values:
            where = f"include_stats_filter.{name}"
            condition = field_filter(where, field_path(where, name), values)
            conditions.extend([condition] if condition is not None else [])
            continue
        if not (values and isinstance(values, list) and all(isinstance(v, str) for v in values)):
            raise errors.VALIDATION_ERROR(f"List of strings expected for the field: {name}", field=name)
        lists[name] = values
    clauses: list[dict[str, Any]] = []
    if lists:
        built = build_filter("-", lists, QuerySpec(list_fields=tuple(lists)), allow_public=False)
        clauses = built["$and"][1:] if "$and" in built else []
    clauses.extend(conditions)
    return {"$and": clauses} if clauses else {}


def dataset_filter(base: dict[str, Any]) -> dict[str, Any]:
    return {"$and": [base, {"system_tags": DATASET_TAG, "basename": {"$ne": DATASETS_PROJECT}}]}


def select(
    repositories: tuple[ProjectRepository, TaskRepository, ModelRepository],
    company_id: str,
    *,
    users: Sequence[str],
    requested: Any,
    children_type: str | None,
    children_tags: Any,
    allow_public: bool,
) -> tuple[list[str], set[str]]:
    """The ids get_all_ex lists (within ``requested`` when given) and every selected
    project with its ancestors (the descendants the statistics may count)."""
    projects, tasks, models = repositories
    requested_ids = [str(r) for r in (requested if isinstance(requested, list) else [requested] if requested else [])]
    within: list[str] | None = None
    if requested_ids:
        within = with_descendants(projects, requested_ids)
    child = child_filter(company_id, users, children_tags if children_type else None, allow_public)

    def scoped(field: str, query: dict[str, Any]) -> dict[str, Any]:
        return {"$and": [query, {field: {"$in": within}}]} if within is not None else query

    found: set[str] = set()
    if children_type == "dataset":
        found.update(str(p) for p in projects.distinct("parent", scoped("parent", dataset_filter(child))) if p)
    elif children_type in ("pipeline", "report"):
        tag = PIPELINE_TAG if children_type == "pipeline" else REPORTS_TAG
        query = scoped("project", {"$and": [child, {"system_tags": tag}]})
        found.update(str(p) for p in tasks.distinct("project", query) if p)
    else:
        found.update(str(i) for i in projects.distinct("_id", scoped("_id", child)))
        for repository in (tasks, models):
            found.update(str(p) for p in repository.distinct("project", scoped("project", child)) if p)
    selected = set(found)
    for doc in projects.get_many(list(found), None, ["path"]).values():
        selected.update(doc.get("path") or [])
    ids = sorted(selected & set(requested_ids)) if requested_ids else sorted(selected)
    return ids, selected
