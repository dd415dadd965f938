"""The queues.* rules: queues of tasks waiting for workers, and their entries.

A queue is one document whose ``entries`` list (``{task, added}``) is the FIFO; every
change of the list is a single conditional update of that document, so it is atomic
on MongoDB and on the embedded store (which serialises every collection operation).
The pop of ``get_next_task`` is one ``find_one_and_update`` with ``$pop``: two pollers
can never receive the same entry, and an entry is never dropped.

After every change of the entries the statistics hook receives the queue document
(``ctx.stats.record_queue_metrics``), as the reference logs queue metrics then.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from pymongo.errors import DuplicateKeyError

from ..database.repositories import as_api
from ..database.repositories.queues import QueueRepository
from ..database.repositories.tasks import TaskRepository
from ..database.vocabulary import new_id, utcnow
from ..protocol import errors
from .query import QuerySpec, get_all_docs
from .statistics import StatsBLL

DEFAULT_TAG = "default"
MIN_NAME_LENGTH = 3
QUERY = QuerySpec(pattern_fields=("name",), list_fields=("id", "tags", "system_tags"), text_fields=("name",))

# Reposition rules of the move_task_* actions: current index -> new index (-1 = the end).
PositionFunc = Callable[[int], int]


def forward(count: int) -> PositionFunc:
    return lambda pos: max(0, pos - count)


def backward(count: int) -> PositionFunc:
    return lambda pos: max(0, pos + count)


def to_front(pos: int) -> int:
    return 0


def to_back(pos: int) -> int:
    return -1


class QueueBLL:
    def __init__(
        self, stats: StatsBLL, updatable: Iterable[str], queues: QueueRepository, tasks: TaskRepository
    ) -> None:
        """``updatable``: what queues.update may change, the properties of its request
        schema but the queue id (``build_context`` reads them from the schema)."""
        self._stats = stats
        self._updatable = tuple(updatable)
        self._queues = queues
        self._tasks = tasks

    # --- reading ----------------------------------------------------------------------

    def get_by_id(self, company_id: str, queue_id: str) -> dict[str, Any]:
        """The queue document (``id``, ``name``, ``entries``, ...); 400/701 if unknown."""
        doc = self._queues.get(queue_id, company_id)
        if not doc:
            raise errors.INVALID_QUEUE_ID(id=queue_id)
        return doc

    def get_all(self, company_id: str, request: Mapping[str, Any]) -> list[dict[str, Any]]:
        """The company's queues matching a get_all request (queues are never public)."""
        return get_all_docs(self._queues, company_id, request, QUERY, allow_public=False)

    def default_queue_id(self, company_id: str) -> str:
        return str(self.get_default(company_id)["id"])

    def get_default(self, company_id: str) -> dict[str, Any]:
        """The company's queue tagged ``default``: 400/707 without one, 400/708 with several."""
        found = self._queues.tagged(company_id, DEFAULT_TAG, limit=2)
        if not found:
            raise errors.NO_DEFAULT_QUEUE(company=company_id)
        if len(found) > 1:
            ids = [d["_id"] for d in self._queues.tagged(company_id, DEFAULT_TAG)]
            raise errors.MULTIPLE_DEFAULT_QUEUES(queues=ids)
        return {"id": found[0]["_id"], "name": found[0].get("name")}

    def existing_ids(self, company_id: str, queue_ids: Iterable[str]) -> set[str]:
        wanted = list(dict.fromkeys(queue_ids))
        if not wanted:
            return set()
        return self._queues.existing_ids(company_id, wanted)

    def summaries(self, queue_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        """``{id: {name, num_entries, next_task}}`` for the worker listing."""
        wanted = list(dict.fromkeys(queue_ids))
        if not wanted:
            return {}
        result = {}
        for doc in self._queues.names_and_entries(wanted):
            entries = doc.get("entries") or []
            result[doc["_id"]] = {
                "name": doc.get("name"),
                "num_entries": len(entries),
                "next_task": entries[0].get("task") if entries else None,
            }
        return result

    # --- the queue document -----------------------------------------------------------

    def create(
        self,
        company_id: str,
        name: str,
        tags: Sequence[str] | None = None,
        system_tags: Sequence[str] | None = None,
        user: str | None = None,
    ) -> str:
        name = self._valid_name(company_id, name)
        now = utcnow()
        return self._queues.create(
            {
                "id": new_id(),
                "name": name,
                "company": company_id,
                "user": user,
                "created": now,
                "tags": list(tags or []),
                "system_tags": list(system_tags or []),
                "entries": [],
                "last_update": now,
            }
        )

    def _valid_name(self, company_id: str, name: str, queue_id: str | None = None) -> str:
        name = (name or "").strip()
        if len(name) < MIN_NAME_LENGTH:
            raise errors.DATA_VALIDATION_ERROR(
                f"field 'name' must have at least {MIN_NAME_LENGTH} characters", name=name
            )
        if self._queues.name_taken(company_id, name, queue_id):
            raise errors.EXPECTED_UNIQUE_DATA("queue name already exists", name=name)
        return name

    def update(self, company_id: str, queue_id: str, fields: Mapping[str, Any]) -> tuple[int, dict[str, Any]]:
        """Set ``name``, ``tags``, ``system_tags``; returns (updated, the fields set)."""
        self.get_by_id(company_id, queue_id)
        changes = {k: v for k, v in fields.items() if k in self._updatable and v is not None}
        if "name" in changes:
            changes["name"] = self._valid_name(company_id, changes["name"], queue_id)
        if not changes:
            return 0, {}
        try:
            matched = self._queues.update(queue_id, company_id, {**changes, "last_update": utcnow()})
        except DuplicateKeyError:  # a concurrent create or rename took the name
            raise errors.EXPECTED_UNIQUE_DATA("queue name already exists", name=changes.get("name")) from None
        return int(matched > 0), changes

    def delete(self, company_id: str, queue_id: str, force: bool) -> None:
        """Delete the queue; a queue with entries only with ``force`` (else 400/702)."""
        if self._queues.delete(queue_id, company_id, only_if_empty=not force):
            return
        self.get_by_id(company_id, queue_id)
        raise errors.QUEUE_NOT_EMPTY("use force=true to delete", id=queue_id)

    # --- entries ----------------------------------------------------------------------

    def add_task(self, company_id: str, queue_id: str, task_id: str) -> int:
        """Append the task; 400/101 when it is not a task of the caller's company (the
        reference took any id, which get_next_task then handed out), 400/701 unknown
        queue, 400/706 when it is already queued."""
        if not self._tasks.exists(task_id, {"company": company_id}):
            self.get_by_id(company_id, queue_id)  # an unknown queue is named first
            raise errors.INVALID_TASK_ID(id=task_id)
        now = utcnow()
        doc = self._queues.push_entry(queue_id, company_id, {"task": task_id, "added": now}, now)
        if doc is None:
            self.get_by_id(company_id, queue_id)
            raise errors.TASK_ALREADY_QUEUED(task=task_id)
        self._record(company_id, doc)
        return 1

    def remove_task(self, company_id: str, queue_id: str, task_id: str) -> int:
        """Remove every entry of the task; 400/703 when it is not in the queue."""
        before = self._queues.pull_task(queue_id, company_id, task_id, utcnow())
        if before is None:
            raise errors.INVALID_QUEUE_OR_TASK_NOT_QUEUED(task=task_id, id=queue_id, company=company_id)
        entries = before.get("entries") or []
        kept = [e for e in entries if e.get("task") != task_id]
        self._record(company_id, {**before, "entries": kept})
        return len(entries) - len(kept)

    def get_next_task(self, company_id: str, queue_id: str) -> dict[str, Any] | None:
        """Pop the head entry atomically: ``{task, added}`` or None when empty."""
        before = self._queues.pop_head(queue_id, company_id, utcnow())
        if before is None:
            raise errors.INVALID_QUEUE_ID(id=queue_id)
        entries = before.get("entries") or []
        self._record(company_id, before)
        if not entries:
            return None
        return {"task": entries[0]["task"], "added": entries[0]["added"]}

    def reposition(self, company_id: str, queue_id: str, task_id: str, position: PositionFunc) -> int:
        """Move the task's entry to ``position(current index)``; returns the new index
        (-1: the end). As the reference: a pull then a positioned push, 703 when the task
        is not queued, 704/705 when a concurrent change got in between."""
        doc = self._queues.entries_with_task(queue_id, company_id, task_id)
        if doc is None:
            raise errors.INVALID_QUEUE_OR_TASK_NOT_QUEUED(task=task_id, id=queue_id, company=company_id)
        entries = doc["entries"]
        current = next(i for i, e in enumerate(entries) if e.get("task") == task_id)
        new_position = position(current)
        if new_position == current:
            return new_position
        if self._queues.pull_task(queue_id, company_id, task_id, utcnow()) is None:
            raise errors.REMOVED_DURING_REPOSITION(task=task_id, id=queue_id)
        pushed = self._queues.push_entry(queue_id, company_id, entries[current], utcnow(), position=new_position)
        if pushed is None:
            raise errors.FAILED_ADDING_DURING_REPOSITION(task=task_id, id=queue_id)
        self._record(company_id, pushed)
        return new_position

    def with_task_names(self, queues: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """``queues.get_all_ex``: each entry's ``task`` becomes ``{id, name}``."""
        task_ids = {e.get("task") for q in queues for e in q.get("entries") or []}
        names = {}
        if task_ids:
            found = self._tasks.find({"_id": {"$in": list(task_ids)}}, {"name": 1})
            names = {d["_id"]: d.get("name") for d in found}
        for queue in queues:
            for entry in queue.get("entries") or []:
                tid = entry.get("task")
                entry["task"] = {"id": tid, "name": names.get(tid)}
        return queues

    def _record(self, company_id: str, doc: Mapping[str, Any]) -> None:
        self._stats.record_queue_metrics(company_id, [as_api(doc) or {}])
