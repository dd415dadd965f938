"""The task documents event reads and writes resolve."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from ...database.model.task import Task
from ...database.raw import as_api, collection, projection_of
from ...protocol import errors
from ..task.access import get_for_read, get_many_for_read

_OWNER = ("company", "company_origin")


def task_for_read(company_id: str, task_id: str, fields: Iterable[str] = ("company",)) -> dict[str, Any]:
    """The caller's task or a public one (the one rule: ``bll/task/access.py``), with
    its owners; 400/101 otherwise."""
    return get_for_read(company_id, task_id, {*_OWNER, *fields})


def tasks_for_read(company_id: str, task_ids: Sequence[str], fields: Iterable[str] = ("company",)) -> list[dict]:
    """The tasks in the given order, with their owners; 400/101 naming the first one not
    readable."""
    return get_many_for_read(company_id, task_ids, {*_OWNER, *fields})


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
