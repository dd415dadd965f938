"""The task (and model) documents event reads and writes resolve.

Events reported against a model (``model_event: true``, API 2.22) are kept like a task's,
with the model id in their ``task`` field; model and task ids never collide, so the id
alone says whose events they are. The reads of model events resolve the id as a model.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from ...database.repositories.models import ModelRepository
from ...database.repositories.tasks import TaskRepository
from ...protocol import errors
from ..organization import public_or_company
from ..task.access import TaskAccess

_OWNER = ("company", "company_origin")


def events_company(company_id: str, task: dict[str, Any]) -> str:
    """Whose event indices hold the task's events: its company, for a public task the
    company it was made public from (``company_origin``), else the caller's."""
    return str(task.get("company") or task.get("company_origin") or company_id)


class EventOwners:
    """The tasks and models events belong to, read for the events rules (the access
    rule is the tasks': ``bll/task/access.py``)."""

    def __init__(self, access: TaskAccess) -> None:
        self.access = access
        self.tasks: TaskRepository = access.tasks
        self.models: ModelRepository = access.models

    def task_for_read(
        self, company_id: str, task_id: str, fields: Iterable[str] = ("company",), *, model_events: bool = False
    ) -> dict[str, Any]:
        """The caller's task or a public one, with its owners; 400/101 otherwise. With
        ``model_events`` the id is a model's (400/201)."""
        if model_events:
            return self.models_for_read(company_id, [task_id], fields)[0]
        return self.access.get_for_read(company_id, task_id, {*_OWNER, *fields})

    def tasks_for_read(
        self,
        company_id: str,
        task_ids: Sequence[str],
        fields: Iterable[str] = ("company",),
        *,
        model_events: bool = False,
    ) -> list[dict]:
        """The tasks in the given order, with their owners; 400/101 naming the first one
        not readable. With ``model_events`` the ids are models' (400/201)."""
        if model_events:
            return self.models_for_read(company_id, task_ids, fields)
        return self.access.get_many_for_read(company_id, task_ids, {*_OWNER, *fields})

    def models_for_read(
        self, company_id: str, model_ids: Sequence[str], fields: Iterable[str] = ("company",)
    ) -> list[dict]:
        """The caller's or public models in the given order; 400/201 naming the first other."""
        ids = list(dict.fromkeys(model_ids))
        docs = self.models.get_many(ids, public_or_company(company_id), {*_OWNER, *fields})
        for model_id in ids:
            if model_id not in docs:
                raise errors.INVALID_MODEL_ID(id=model_id)
        return [docs[m] for m in ids]

    def task_for_write(self, company_id: str, task_id: str, fields: Iterable[str] = ("status",)) -> dict[str, Any]:
        """The caller's own task; 400/101 otherwise."""
        task = self.tasks.get_own(task_id, company_id, {"status", *fields})
        if task is None:
            raise errors.INVALID_TASK_ID(id=task_id)
        return task

    def model_for_write(self, company_id: str, model_id: str) -> dict[str, Any]:
        """The caller's own model (with ``ready``); 400/201 otherwise."""
        model = self.models.get_own(model_id, company_id, ("ready",))
        if model is None:
            raise errors.INVALID_MODEL_ID(id=model_id)
        return model

    def task_statuses(self, company_id: str, task_ids: Sequence[str]) -> dict[str, Any]:
        """Status of each of the caller's own tasks among ``task_ids`` (others are absent)."""
        found = self.tasks.get_many(list(task_ids), {"company": company_id}, ("status",))
        return {task_id: doc.get("status") for task_id, doc in found.items()}

    def models_ready(self, company_id: str, model_ids: Sequence[str]) -> dict[str, bool]:
        """``ready`` (published) of each of the caller's own models among ``model_ids``."""
        found = self.models.get_many(list(model_ids), {"company": company_id}, ("ready",))
        return {model_id: bool(doc.get("ready")) for model_id, doc in found.items()}
