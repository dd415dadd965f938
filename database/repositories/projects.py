"""Projects, collection ``project``: raw pymongo."""

from __future__ import annotations

from datetime import datetime

from ..model.project import Project
from .base import OwnedRepository


class ProjectRepository(OwnedRepository):
    document = Project

    def touch(self, project_id: str, now: datetime) -> None:
        self._coll.update_one({"_id": project_id}, {"$set": {"last_update": now}})
