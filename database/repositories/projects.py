"""Projects, collection ``project``: raw pymongo."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from ..model.project import Project
from ..raw import as_api
from .base import OwnedRepository


class ProjectRepository(OwnedRepository):
    document = Project

    def touch(self, project_id: str, now: datetime) -> None:
        """The project's ``last_update`` is ``now`` (one of its tasks or models changed)."""
        self._coll.update_one({"_id": project_id}, {"$set": {"last_update": now}})

    def touch_many(self, project_ids: Sequence[str], now: datetime) -> None:
        self._coll.update_many({"_id": {"$in": list(project_ids)}}, {"$set": {"last_update": now}})

    # --- the project tree (API 2.13) -------------------------------------------------------

    def by_names(self, names: Sequence[str], company_id: str) -> list[dict[str, Any]]:
        """The company's and the public projects with one of these names (``id``, ``name``,
        ``company``, ``parent``, ``path``)."""
        fields = {"name": 1, "company": 1, "parent": 1, "path": 1}
        found = self._coll.find({"name": {"$in": list(names)}, "company": {"$in": [company_id, ""]}}, fields)
        return [as_api(d) or {} for d in found]

    def descendants(self, project_ids: Sequence[str], query: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        """Every project below one of ``project_ids``, at any depth (``id``, ``name``,
        ``parent``, ``path``, ``system_tags``, ``basename``), within ``query``."""
        fields = {"name": 1, "parent": 1, "path": 1, "system_tags": 1, "basename": 1}
        found = self._coll.find({"path": {"$in": list(project_ids)}, **(query or {})}, fields)
        return [as_api(d) or {} for d in found]

    def place(self, project_id: str, fields: Mapping[str, Any]) -> int:
        """Set the tree fields (``name``, ``parent``, ``path``, ``last_update``...) of a
        project, a None one unset; the number matched."""
        update: dict[str, Any] = {"$set": {k: v for k, v in fields.items() if v is not None}}
        unset = {k: 1 for k, v in fields.items() if v is None}
        if unset:
            update["$unset"] = unset
        return int(self._coll.update_one({"_id": project_id}, update).matched_count)

    def delete_ids(self, project_ids: Sequence[str]) -> int:
        return int(self._coll.delete_many({"_id": {"$in": list(project_ids)}}).deleted_count)

    def fill_pre_tree(self) -> int:
        """Give the projects stored before the tree (no ``basename``: an older Stationmaster's)
        the fields of a top-level project of their whole name, as a 2.9 ``create`` stores
        them now; the number filled."""
        filled = 0
        for doc in self._coll.find({"basename": {"$exists": False}}, {"name": 1}):
            tree: dict[str, Any] = {"basename": str(doc.get("name") or ""), "parent": None, "path": []}
            filled += int(
                self._coll.update_one(
                    {"_id": doc["_id"], "basename": {"$exists": False}}, {"$set": tree}
                ).modified_count
            )
        return filled
