"""Tasks, collection ``task``: raw pymongo."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from ..model.task import Task
from .base import InProjects


class TaskRepository(InProjects):
    document = Task

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
        return bool(self._coll.update_one({"_id": task_id, "status": status}, {"$set": dict(fields)}).modified_count)
