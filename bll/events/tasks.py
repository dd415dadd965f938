"""The task documents event reads and writes resolve (raw reads of ``task``)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from ...database.model.task import Task
from ...database.raw import as_api, collection, projection_of
from ...server import errors

_OWNER = ("company", "company_origin")


def _readable(company_id: str) -> dict[str, Any]:
    return {"$in": [company_id, "", None]}


def task_for_read(company_id: str, task_id: str, fields: Iterable[str] = ("company",)) -> dict[str, Any]:
    """The caller's task or a public one; 400/101 otherwise."""
    doc = collection(Task).find_one(
        {"_id": task_id, "company": _readable(company_id)}, projection_of({*_OWNER, *fields})
    )
    if doc is None:
        raise errors.INVALID_TASK_ID(id=task_id)
    return as_api(doc) or {}


def tasks_for_read(company_id: str, task_ids: Sequence[str], fields: Iterable[str] = ("company",)) -> list[dict]:
    """The tasks in the given order; 400/101 naming the first one not readable."""
    ids = list(dict.fromkeys(task_ids))
    docs = {
        d["_id"]: as_api(d) or {}
        for d in collection(Task).find(
            {"_id": {"$in": ids}, "company": _readable(company_id)}, projection_of({*_OWNER, *fields})
        )
    }
    for task_id in ids:
        if task_id not in docs:
            raise errors.INVALID_TASK_ID(id=task_id)
    return [docs[t] for t in ids]


def events_company(company_id: str, task: dict[str, Any]) -> str:
    """Whose event indices hold the task's events: its company, for a public task the
    company it was made public from (``company_origin``), else the caller's."""
    return str(task.get("company") or task.get("company_origin") or company_id)


def task_for_write(company_id: str, task_id: str, fields: Iterable[str] = ("status",)) -> dict[str, Any]:
    """The caller's own task; 400/101 otherwise."""
    doc = collection(Task).find_one({"_id": task_id, "company": company_id}, projection_of({"status", *fields}))
    if doc is None:
        raise errors.INVALID_TASK_ID(id=task_id)
    return as_api(doc) or {}
