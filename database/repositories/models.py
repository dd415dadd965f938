"""Models, collection ``model``: raw pymongo."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from .. import document_locks
from ..model.model import Model
from .base import InProjects
from .updates import set_and_unset


class ModelRepository(InProjects):
    document = Model

    def set_ready(self, model_id: str, company_id: str, now: datetime) -> int:
        """Mark the company's model ready; the number modified."""
        result = self._coll.update_one(
            {"_id": model_id, "company": company_id}, {"$set": {"ready": True, "last_update": now}}
        )
        return int(result.modified_count)

    def set_project(self, model_ids: list[str], company_id: str, project: str | None, now: datetime) -> int:
        """The company's models of ``model_ids`` belong to ``project`` (None: to none)."""
        update: dict[str, Any] = (
            {"$set": {"project": project, "last_update": now}}
            if project
            else {"$unset": {"project": 1}, "$set": {"last_update": now}}
        )
        query = {"_id": {"$in": model_ids}, "company": company_id}
        return int(self._coll.update_many(query, update).matched_count)

    def change(self, model_id: str, company_id: str, set_fields: Mapping[str, Any], unset: Iterable[str] = ()) -> int:
        """Set and unset fields of the company's model in one update; the number matched."""
        return set_and_unset(self._coll, model_id, company_id, set_fields, unset)

    def hold(self, model_id: str) -> Any:
        """A context holding the model's document lock (on a document server; else none):
        a read, change and write of it as one."""
        return document_locks.hold_document(self._coll, model_id)

    def ids_of_task(self, task_id: str, company_id: str) -> set[str]:
        """The company's models created by the task."""
        return {d["_id"] for d in self._coll.find({"task": task_id, "company": company_id}, {"_id": 1})}

    def set_task(self, model_ids: Sequence[str], task_ref: str) -> int:
        """The models' ``task`` becomes ``task_ref``; the number modified."""
        return int(
            self._coll.update_many({"_id": {"$in": list(model_ids)}}, {"$set": {"task": task_ref}}).modified_count
        )

    def delete_ids(self, model_ids: Sequence[str]) -> int:
        return int(self._coll.delete_many({"_id": {"$in": list(model_ids)}}).deleted_count)
