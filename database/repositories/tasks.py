"""Tasks, collection ``task``: raw pymongo."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from .. import document_locks
from ..model.task import Task
from ..vocabulary import TaskStatus, TaskSystemTags
from .base import InProjects


class TaskRepository(InProjects):
    document = Task

    def stale_in_progress(self, cutoff: datetime) -> list[dict[str, Any]]:
        """The tasks in progress not updated since ``cutoff`` (``_id``, ``project``)."""
        query = {"status": TaskStatus.in_progress, "last_update": {"$lt": cutoff}}
        return list(self._coll.find(query, {"project": 1}))

    def report_worker(self, task_id: str, company_id: str, worker: str, now: datetime) -> dict[str, Any] | None:
        """Record the worker's report on the company's task; the task's name (``_id``,
        ``name``) or None when there is no such task. An update and a read: FerretDB 1.24
        has no projection ("fields") in findAndModify."""
        query = {"_id": task_id, "company": company_id}
        found = self._coll.update_one(
            query, {"$set": {"last_worker": worker, "last_worker_report": now, "last_update": now}}
        )
        return self._coll.find_one(query, {"name": 1}) if found.matched_count else None

    def count(self, query: Mapping[str, Any]) -> int:
        return len(list(self._coll.find(dict(query), {"_id": 1})))

    def replace_execution_model(self, query: Mapping[str, Any], model_ref: str) -> None:
        """The tasks matching ``query`` use ``model_ref`` as their input model."""
        self._coll.update_many(dict(query), {"$set": {"execution.model": model_ref}})

    def set_output_model(self, task_id: str, model_ref: str, error: str) -> None:
        """The task's output model is ``model_ref`` (a deleted one), with an error."""
        self._coll.update_one({"_id": task_id}, {"$set": {"output.model": model_ref, "output.error": error}})

    def report_iteration(self, task_id: str, company_id: str, iteration: int, now: datetime) -> None:
        """``last_iteration`` goes up to ``iteration`` (never down)."""
        self._coll.update_one(
            {"_id": task_id, "company": company_id},
            {"$max": {"last_iteration": iteration}, "$set": {"last_update": now}},
        )

    def set_output(self, task_id: str, company_id: str, model_id: str, iteration: int | None, now: datetime) -> None:
        """The company's task has ``model_id`` as its output model (and the iteration)."""
        update: dict[str, Any] = {"$set": {"output.model": model_id, "last_update": now}}
        if iteration is not None:
            update["$max"] = {"last_iteration": iteration}
        self._coll.update_one({"_id": task_id, "company": company_id}, update)

    def set_if_status(self, task_id: str, status: Any, fields: Mapping[str, Any]) -> bool:
        """Set fields of the task while its status is still ``status`` (one conditional
        update); whether it was changed."""
        query = {"_id": task_id, "status": status}
        return bool(document_locks.update_one(self._coll, query, {"$set": dict(fields)}).modified_count)

    def change_status(
        self,
        task: Mapping[str, Any],
        fields: Mapping[str, Any],
        *,
        unset: Sequence[str] = (),
        lower_to: Mapping[str, Any] | None = None,
        where: Mapping[str, Any] | None = None,
    ) -> bool:
        """The one conditional update of a task's status: write ``fields`` (with the new
        ``status``), unset ``unset``, lower the ``lower_to`` fields to those values, only
        if the task still has the status (and ``status_changed``, when ``task`` holds it)
        it was read with and meets ``where``. Queuing also drops the development tag.
        Whether a task matched."""
        update: dict[str, Any] = {"$set": dict(fields)}
        if unset:
            update["$unset"] = dict.fromkeys(unset, 1)
        if lower_to:
            update["$min"] = dict(lower_to)
        if fields.get("status") == TaskStatus.queued:
            update["$pull"] = {"system_tags": TaskSystemTags.development}
        status = task.get("status")
        query: dict[str, Any] = (
            {"_id": task["id"], "status": status}
            if status
            else {"_id": task["id"], "status": {"$in": [None, TaskStatus.created]}}
        )
        if "status_changed" in task:  # None matches a task never changed (no such field)
            query["status_changed"] = task["status_changed"]
        query.update(where or {})
        return bool(document_locks.update_one(self._coll, query, update).matched_count)
