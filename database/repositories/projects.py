"""Projects, collection ``project``: raw pymongo."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from ..model.project import Project
from .base import OwnedRepository


class ProjectRepository(OwnedRepository):
    document = Project

    def touch(self, project_id: str, now: datetime) -> None:
        """The project's ``last_update`` is ``now`` (one of its tasks or models changed)."""
        self._coll.update_one({"_id": project_id}, {"$set": {"last_update": now}})

    def touch_many(self, project_ids: Sequence[str], now: datetime) -> None:
        self._coll.update_many({"_id": {"$in": list(project_ids)}}, {"$set": {"last_update": now}})
