"""Reading a task for the caller: their company's tasks, plus public ones for reading."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from ...database.model.base import utcnow
from ...database.model.project import Project
from ...database.model.task import Task
from ...database.raw import as_api, collection, projection_of
from ...protocol import errors
from ..organization import public_or_company


def tasks() -> Any:
    return collection(Task)


def get_for_read(company_id: str, task_id: str, fields: Iterable[str] | None = None) -> dict[str, Any]:
    """The task if the caller's company owns it or it is public; 400/101 otherwise."""
    doc = tasks().find_one({"_id": task_id, **public_or_company(company_id)}, projection_of(fields))
    if doc is None:
        raise errors.INVALID_TASK_ID(id=task_id)
    task = as_api(doc) or {}
    task.setdefault("status_changed", None)  # never changed yet: a change is conditional on that too
    return task


def get_many_for_read(company_id: str, task_ids: Sequence[str], fields: Iterable[str] | None = None) -> list[dict]:
    """The tasks (each the caller's or public) in the given order; 400/101 naming the first
    one not readable."""
    ids = list(dict.fromkeys(task_ids))
    found = tasks().find({"_id": {"$in": ids}, **public_or_company(company_id)}, projection_of(fields))
    docs = {d["_id"]: as_api(d) or {} for d in found}
    for task_id in ids:
        if task_id not in docs:
            raise errors.INVALID_TASK_ID(id=task_id)
    return [docs[t] for t in ids]


def get_for_write(company_id: str, task_id: str, fields: Iterable[str] | None = None) -> dict[str, Any]:
    """The caller's own task; 403/21 for a public one, 400/101 for anything else."""
    # status and status_changed: what a status change is conditional on
    wanted = set(fields or ()) | {"status", "status_changed", "project"} if fields else None
    doc = tasks().find_one({"_id": task_id, "company": company_id}, projection_of(wanted))
    if doc is None:
        if tasks().find_one({"_id": task_id, "company": {"$in": ["", None]}}, {"_id": 1}):
            raise errors.NO_WRITE_PERMISSION("public tasks cannot be changed", task=task_id)
        raise errors.INVALID_TASK_ID(id=task_id)
    task = as_api(doc) or {}
    task.setdefault("status_changed", None)  # never changed yet: a change is conditional on that too
    return task


def touch_project(project_id: str | None) -> None:
    """Keep the project's ``last_update`` current after a change to one of its tasks."""
    if project_id:
        collection(Project).update_one({"_id": project_id}, {"$set": {"last_update": utcnow()}})


def check_project(company_id: str, project_id: str | None) -> None:
    if project_id and not collection(Project).find_one(
        {"_id": project_id, **public_or_company(company_id)}, {"_id": 1}
    ):
        raise errors.INVALID_PROJECT_ID(id=project_id)


def check_parent(company_id: str, parent_id: str | None) -> None:
    if parent_id and not tasks().find_one({"_id": parent_id, **public_or_company(company_id)}, {"_id": 1}):
        raise errors.INVALID_TASK_ID("invalid parent", parent=parent_id)
