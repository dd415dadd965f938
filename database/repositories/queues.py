"""Queues, collection ``queue``: raw pymongo; the entry operations are
``database.queue_ops``'s atomic ones, called as they are."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from .. import queue_ops
from ..model.queue import Queue
from .base import RawRepository
from .updates import set_and_unset


class QueueRepository(RawRepository):
    document = Queue

    def get(self, queue_id: str, company_id: str) -> dict[str, Any] | None:
        return self._find_one({"_id": queue_id, "company": company_id})

    def tagged(self, company_id: str, tag: str, limit: int = 0) -> list[dict[str, Any]]:
        """The company's queues with the system tag (``_id`` and ``name``), ``limit`` of them."""
        return list(self._coll.find({"company": company_id, "system_tags": tag}, {"name": 1}).limit(limit))

    def existing_ids(self, company_id: str, queue_ids: list[str]) -> set[str]:
        return {d["_id"] for d in self._coll.find({"_id": {"$in": queue_ids}, "company": company_id}, {"_id": 1})}

    def names_and_entries(self, queue_ids: list[str]) -> Iterable[dict[str, Any]]:
        return self._coll.find({"_id": {"$in": queue_ids}}, {"name": 1, "entries": 1})

    def create(self, fields: Mapping[str, Any]) -> str:
        """Insert a new queue (DuplicateKeyError when its name is taken); its id."""
        return self._insert(fields)

    def save(self, fields: Mapping[str, Any]) -> str:
        """Store the queue, replacing one with its id; its id."""
        return self._save(fields)

    def name_taken(self, company_id: str, name: str, other_than: str | None = None) -> bool:
        query: dict[str, Any] = {"company": company_id, "name": name}
        if other_than:
            query["_id"] = {"$ne": other_than}
        return self._exists(query)

    def update(self, queue_id: str, company_id: str, fields: Mapping[str, Any]) -> int:
        """Set fields of the company's queue (DuplicateKeyError for a name taken); the
        number matched."""
        res = self._coll.update_one({"_id": queue_id, "company": company_id}, {"$set": dict(fields)})
        return int(res.matched_count)

    def change(self, queue_id: str, company_id: str, set_fields: Mapping[str, Any], unset: Iterable[str] = ()) -> int:
        """Set and unset fields of the company's queue in one update; the number matched."""
        return set_and_unset(self._coll, queue_id, company_id, set_fields, unset)

    def delete(self, queue_id: str, company_id: str, only_if_empty: bool) -> dict[str, Any] | None:
        """Delete the queue (``only_if_empty``: in the same operation as the emptiness
        check); the document as it was deleted (its last entries), None when nothing was."""
        query: dict[str, Any] = {"_id": queue_id, "company": company_id}
        if only_if_empty:
            query["entries.0"] = {"$exists": False}
        doc: dict[str, Any] | None = self._coll.find_one_and_delete(query)
        return doc

    def entries_with_task(self, queue_id: str, company_id: str, task_id: str) -> dict[str, Any] | None:
        """The queue's entries when the task is among them (raw, ``_id``), else None."""
        return self._coll.find_one({"_id": queue_id, "company": company_id, "entries.task": task_id}, {"entries": 1})

    def push_entry(
        self, queue_id: str, company_id: str, entry: dict[str, Any], now: datetime, position: int = -1
    ) -> dict[str, Any] | None:
        """Insert the entry at ``position`` (-1: the end) unless its task is queued; the
        document afterwards."""
        return queue_ops.push_entry(self._coll, queue_id, company_id, entry, now, position=position)

    def pull_task(self, queue_id: str, company_id: str, task_id: str, now: datetime) -> dict[str, Any] | None:
        """Remove every entry of the task if it is queued; the document before."""
        return queue_ops.pull_task(self._coll, queue_id, company_id, task_id, now)

    def pop_head(self, queue_id: str, company_id: str, now: datetime) -> dict[str, Any] | None:
        """Remove the head entry; the document before (None: no such queue)."""
        return queue_ops.pop_head(self._coll, queue_id, company_id, now)
