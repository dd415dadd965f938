"""Reports (tasks of type ``report``, API 2.23): the writes of the reports rules beyond a
task's, on the ``task`` collection: raw pymongo, as the tasks'."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .base import ARCHIVED
from .tasks import TaskRepository


class ReportRepository(TaskRepository):
    def set_archived(self, task_id: str, archived: bool, fields: Mapping[str, Any]) -> int:
        """Add (``archived``) or remove the archived system tag of the task and set
        ``fields``, in one update; the number matched (0 or 1)."""
        tag_op = {"$addToSet": {"system_tags": ARCHIVED}} if archived else {"$pull": {"system_tags": ARCHIVED}}
        return int(self._coll.update_one({"_id": task_id}, {**tag_op, "$set": dict(fields)}).matched_count)

    def count_in_project(self, project_id: str) -> int:
        """How many tasks (of any type) the project holds."""
        return int(self._coll.count_documents({"project": project_id}))
