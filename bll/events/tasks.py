"""The task (and model) documents event reads and writes resolve.

Events reported against a model (``model_event: true``, API 2.22) are kept like a task's,
with the model id in their ``task`` field; model and task ids never collide, so the id
alone says whose events they are. The reads of model events resolve the id as a model.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from ...database.model.model import Model
from ...database.model.task import Task
from ...database.raw import as_api, collection, projection_of
from ...protocol import errors
from ..organization import public_or_company
from ..task.access import get_for_read, get_many_for_read

_OWNER = ("company", "company_origin")


def task_for_read(
    company_id: str, task_id: str, fields: Iterable[str] = ("company",), *, model_events: bool = False
) -> dict[str, Any]:
    """The caller's task or a public one (the one rule: ``bll/task/access.py``), with
    its owners; 400/101 otherwise. With ``model_events`` the id is a model's (400/201)."""
    if model_events:
        return models_for_read(company_id, [task_id], fields)[0]
    return get_for_read(company_id, task_id, {*_OWNER, *fields})


def tasks_for_read(
    company_id: str, task_ids: Sequence[str], fields: Iterable[str] = ("company",), *, model_events: bool = False
) -> list[dict]:
    """The tasks in the given order, with their owners; 400/101 naming the first one not
    readable. With ``model_events`` the ids are models' (400/201)."""
    if model_events:
        return models_for_read(company_id, task_ids, fields)
    return get_many_for_read(company_id, task_ids, {*_OWNER, *fields})


def models_for_read(company_id: str, model_ids: Sequence[str], fields: Iterable[str] = ("company",)) -> list[dict]:
    """The caller's or public models in the given order; 400/201 naming the first other."""
    ids = list(dict.fromkeys(model_ids))
    found = collection(Model).find(
        {"_id": {"$in": ids}, **public_or_company(company_id)}, projection_of({*_OWNER, *fields})
    )
    docs = {d["_id"]: as_api(d) or {} for d in found}
    for model_id in ids:
        if model_id not in docs:
            raise errors.INVALID_MODEL_ID(id=model_id)
    return [docs[m] for m in ids]


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


def model_for_write(company_id: str, model_id: str) -> dict[str, Any]:
    """The caller's own model (with ``ready``); 400/201 otherwise."""
    doc = collection(Model).find_one({"_id": model_id, "company": company_id}, {"_id": 1, "ready": 1})
    if doc is None:
        raise errors.INVALID_MODEL_ID(id=model_id)
    return as_api(doc) or {}


def task_statuses(company_id: str, task_ids: Sequence[str]) -> dict[str, Any]:
    """Status of each of the caller's own tasks among ``task_ids`` (others are absent)."""
    found = collection(Task).find({"_id": {"$in": list(task_ids)}, "company": company_id}, {"_id": 1, "status": 1})
    return {doc["_id"]: doc.get("status") for doc in found}


def models_ready(company_id: str, model_ids: Sequence[str]) -> dict[str, bool]:
    """``ready`` (published) of each of the caller's own models among ``model_ids``."""
    found = collection(Model).find({"_id": {"$in": list(model_ids)}, "company": company_id}, {"_id": 1, "ready": 1})
    return {doc["_id"]: bool(doc.get("ready")) for doc in found}


def stored_last_metrics(coll: Any, company_id: str, doc_id: str) -> dict[str, Any]:
    """The ``last_metrics`` a task (or model) document holds now."""
    doc = coll.find_one({"_id": doc_id, "company": company_id}, {"last_metrics": 1})
    found = (doc or {}).get("last_metrics")
    return found if isinstance(found, dict) else {}


def task_collection() -> Any:
    return collection(Task)


def model_collection() -> Any:
    return collection(Model)
