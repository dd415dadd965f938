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
from dataclasses import dataclass
from typing import Any

from pymongo.errors import DuplicateKeyError

from ..database.repositories import as_api
from ..database.repositories.queues import QueueRepository
from ..database.repositories.tasks import TaskRepository
from ..database.vocabulary import TaskStatus, new_id, utcnow
from ..protocol import errors
from ..protocol.versions import Version
from . import metadata
from .query import QuerySpec, get_all_docs
from .scroll import Scroll
from .statistics import StatsBLL

DEFAULT_TAG = "default"
MIN_NAME_LENGTH = 3
QUERY = QuerySpec(pattern_fields=("name",), list_fields=("id", "tags", "system_tags"), text_fields=("name",))

# The version each later request field of create / update is read from.
FIELD_VERSIONS = {"metadata": Version(2, 13), "display_name": Version(2, 31)}
# From this version on the answers follow the reference's post-0.16 behaviour: the moves
# answer the entry's actual index, a forced delete resets the queued tasks.
LATER_BEHAVIOUR = Version(2, 10)


@dataclass(frozen=True)
class Listing:
    """How a get_all / get_all_ex request of a given version is answered."""

    scroll: bool = False  # 2.15: size / scroll_id
    max_entries: bool = False  # 2.20: max_task_entries
    hide: bool = False  # 2.21: hidden queues only with search_hidden

    @classmethod
    def at(cls, version: Version) -> Listing:
        return cls(version >= Version(2, 15), version >= Version(2, 20), version >= Version(2, 21))


def fields_at(request: Mapping[str, Any], version: Version) -> dict[str, Any]:
    """The request without the later fields its version does not declare."""
    return {k: v for k, v in request.items() if version >= FIELD_VERSIONS.get(k, version)}


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
        self,
        stats: StatsBLL,
        updatable: Iterable[str],
        queues: QueueRepository,
        tasks: TaskRepository,
        hidden_tags: Iterable[str] = (),
    ) -> None:
        """``updatable``: what queues.update may change, the properties of its request
        schema but the queue id (``build_context`` reads them from the schema);
        ``hidden_tags``: the system tags of hidden queues (services.queues.hidden_tags)."""
        self._stats = stats
        self._updatable = tuple(updatable)
        self._queues = queues
        self._tasks = tasks
        self._hidden_tags = list(hidden_tags)

    # --- reading ----------------------------------------------------------------------

    def get_by_id(self, company_id: str, queue_id: str, max_entries: int | None = None) -> dict[str, Any]:
        """The queue document (``id``, ``name``, ``entries``, ...); 400/701 if unknown.
        ``max_entries``: only the head of the entries (2.20 ``max_task_entries``)."""
        doc = self._queues.get(queue_id, company_id)
        if not doc:
            raise errors.INVALID_QUEUE_ID(id=queue_id)
        return _limited(metadata.to_api(doc), max_entries)

    def get_all(
        self, company_id: str, request: Mapping[str, Any], listing: Listing = Listing()
    ) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        """The company's queues matching a get_all request (queues are never public), and
        the answer's extra fields (the next ``scroll_id`` when scrolling)."""
        base = None
        if listing.hide and self._hidden_tags and not any(request.get(k) for k in ("search_hidden", "id", "name")):
            base = {"system_tags": {"$nin": self._hidden_tags}}
        scroll = Scroll.of(request) if listing.scroll else None
        window = scroll.window if scroll else None
        request = Scroll.ordered(request) if scroll else request
        docs = get_all_docs(
            self._queues, company_id, request, QUERY, allow_public=False, base_filter=base, window=window
        )
        max_entries = request.get("max_task_entries") if listing.max_entries else None
        queues = [_limited(metadata.to_api(d), max_entries) for d in docs]
        return queues, ({"scroll_id": scroll.next_id(len(queues))} if scroll else {})

    def count_entries(self, company_id: str, queue_id: str) -> int:
        return len(self.get_by_id(company_id, queue_id).get("entries") or [])

    def peek(self, company_id: str, queue_id: str) -> str | None:
        """The task at the head of the queue (left there), None when it is empty."""
        entries = self.get_by_id(company_id, queue_id, max_entries=1).get("entries") or []
        return entries[0].get("task") if entries else None

    def id_by_name(self, company_id: str, name: str) -> str | None:
        """The id of the company's queue of exactly that name, None when there is none."""
        found = list(self._queues.find({"company": company_id, "name": name}, {"_id": 1}, limit=1))
        return str(found[0]["_id"]) if found else None

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
        more: Mapping[str, Any] | None = None,
    ) -> str:
        """A new queue; ``more``: its later fields (``metadata``, ``display_name``)."""
        name = self._valid_name(company_id, name)
        now = utcnow()
        fields: dict[str, Any] = {
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
        more = more or {}
        if more.get("metadata"):
            fields["metadata"] = metadata.from_api(more["metadata"])
        if more.get("display_name") is not None:
            fields["display_name"] = more["display_name"]
        return self._queues.create(fields)

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
        stored = dict(changes)
        if "metadata" in stored:
            stored["metadata"] = metadata.from_api(stored["metadata"])
        try:
            matched = self._queues.update(queue_id, company_id, {**stored, "last_update": utcnow()})
        except DuplicateKeyError:  # a concurrent create or rename took the name
            raise errors.EXPECTED_UNIQUE_DATA("queue name already exists", name=changes.get("name")) from None
        return int(matched > 0), changes

    def delete(self, company_id: str, queue_id: str, force: bool, reset_tasks: bool = False) -> list[str]:
        """Delete the queue; a queue with entries only with ``force`` (else 400/702).
        ``reset_tasks`` (API 2.10+): its queued tasks go back to their status before
        queuing; the ids of those reset."""
        deleted = self._queues.delete(queue_id, company_id, only_if_empty=not force)
        if deleted is not None:
            # the entries the deletion itself removed: a task popped just before stays taken
            waiting = [e.get("task") for e in deleted.get("entries") or []] if reset_tasks else []
            return self._reset_tasks(company_id, queue_id, waiting, f"Queue {queue_id} was deleted")
        self.get_by_id(company_id, queue_id)
        raise errors.QUEUE_NOT_EMPTY("use force=true to delete", id=queue_id)

    def add_or_update_metadata(
        self, company_id: str, queue_id: str, items: Sequence[Mapping[str, Any]], replace: bool
    ) -> int:
        update = metadata.set_update(items, replace)
        return self._change(company_id, queue_id, update)

    def delete_metadata(self, company_id: str, queue_id: str, keys: Sequence[str]) -> int:
        return self._change(company_id, queue_id, {}, metadata.unset_paths(keys))

    def _change(self, company_id: str, queue_id: str, set_fields: dict[str, Any], unset: Sequence[str] = ()) -> int:
        matched = self._queues.change(queue_id, company_id, {**set_fields, "last_update": utcnow()}, unset)
        if not matched:
            raise errors.INVALID_QUEUE_ID(id=queue_id)
        return 1

    # --- entries ----------------------------------------------------------------------

    def add_task(self, company_id: str, queue_id: str, task_id: str, set_execution_queue: bool = False) -> int:
        """Append the task; 400/101 when it is not a task of the caller's company (the
        reference took any id, which get_next_task then handed out), 400/701 unknown
        queue, 400/706 when it is already queued. ``set_execution_queue`` (2.31): the
        task's ``execution.queue`` becomes the queue."""
        if not self._tasks.exists(task_id, {"company": company_id}):
            self.get_by_id(company_id, queue_id)  # an unknown queue is named first
            raise errors.INVALID_TASK_ID(id=task_id)
        now = utcnow()
        doc = self._queues.push_entry(queue_id, company_id, {"task": task_id, "added": now}, now)
        if doc is None:
            self.get_by_id(company_id, queue_id)
            raise errors.TASK_ALREADY_QUEUED(task=task_id)
        self._record(company_id, doc)
        if set_execution_queue:
            self._tasks.update(task_id, company_id, {"execution.queue": queue_id})
        return 1

    def remove_task(self, company_id: str, queue_id: str, task_id: str, reset_status: bool = False) -> int:
        """Remove every entry of the task; 400/703 when it is not in the queue.
        ``reset_status`` (2.31): the task goes back to its status before queuing."""
        before = self._queues.pull_task(queue_id, company_id, task_id, utcnow())
        if before is None:
            raise errors.INVALID_QUEUE_OR_TASK_NOT_QUEUED(task=task_id, id=queue_id, company=company_id)
        entries = before.get("entries") or []
        kept = [e for e in entries if e.get("task") != task_id]
        self._record(company_id, {**before, "entries": kept})
        if reset_status:
            self._reset_tasks(company_id, queue_id, [task_id], f"Task was removed from the queue {queue_id}")
        return len(entries) - len(kept)

    def remove_task_everywhere(self, company_id: str, task_id: str) -> int:
        """Take the task out of every queue of the company that holds it (tasks.dequeue
        2.25 ``remove_from_all_queues``); how many queues held it. A queue the task
        left meanwhile is skipped."""
        holding = [d["_id"] for d in self._queues.find({"company": company_id, "entries.task": task_id}, {"_id": 1})]
        removed = 0
        for queue_id in holding:
            try:
                self.remove_task(company_id, str(queue_id), task_id)
            except errors.ApiError:
                continue
            removed += 1
        return removed

    def clear(self, company_id: str, queue_id: str) -> list[str]:
        """Take every waiting task out of the queue (each by the atomic pull of one task,
        so that a task queued meanwhile stays) and reset their statuses; the ids reset."""
        waiting = [e.get("task") for e in self.get_by_id(company_id, queue_id).get("entries") or []]
        before = None
        pulled = []  # only these: a task an agent popped meanwhile is the agent's now
        for task_id in waiting:
            doc = self._queues.pull_task(queue_id, company_id, task_id, utcnow())
            if doc is not None:
                before = doc
                pulled.append(task_id)
        if before is not None:
            self._record(company_id, self._queues.get(queue_id, company_id) or before)
        return self._reset_tasks(company_id, queue_id, pulled, f"Queue {queue_id} was cleared")

    def _reset_tasks(self, company_id: str, queue_id: str, task_ids: Sequence[str], reason: str) -> list[str]:
        """The queued tasks of ``task_ids`` still assigned to the queue go back to the
        status they had before queuing (``created`` when unknown), through the tasks'
        conditional status change; the ids changed."""
        if not task_ids:
            return []
        query = {"_id": {"$in": list(task_ids)}, "company": company_id, "execution.queue": queue_id}
        query["status"] = TaskStatus.queued
        found = list(self._tasks.find(query, {"status": 1, "status_changed": 1, "enqueue_status": 1}))
        reset = []
        for doc in found:
            now = utcnow()
            task = {"id": doc["_id"], "status": doc.get("status"), "status_changed": doc.get("status_changed")}
            fields = {
                "status": doc.get("enqueue_status") or TaskStatus.created,
                "status_reason": reason,
                "status_message": "",
                "status_changed": now,
                "last_update": now,
            }
            if self._tasks.change_status(task, fields, unset=("execution.queue", "enqueue_status")):
                reset.append(doc["_id"])
        return reset

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

    def take_task(self, company_id: str, queue_id: str, task_id: str) -> dict[str, Any] | None:
        """get_next_task 2.21 ``task``: the head entry when it is the task's, taken out
        by the atomic pull of that task (of two callers one gets it); None otherwise."""
        entries = self.get_by_id(company_id, queue_id, max_entries=1).get("entries") or []
        if not entries or entries[0].get("task") != task_id:
            return None
        before = self._queues.pull_task(queue_id, company_id, task_id, utcnow())
        if before is None:
            return None
        kept = [e for e in before.get("entries") or [] if e.get("task") != task_id]
        self._record(company_id, {**before, "entries": kept})
        return {"task": entries[0]["task"], "added": entries[0]["added"]}

    def task_info(self, task_id: str) -> dict[str, Any] | None:
        """``{company, user}`` of a task handed out (get_next_task 2.14 get_task_info)."""
        found = list(self._tasks.find({"_id": task_id}, {"company": 1, "user": 1}, limit=1))
        return {"company": found[0].get("company"), "user": found[0].get("user")} if found else None

    def reposition(
        self, company_id: str, queue_id: str, task_id: str, position: PositionFunc, actual: bool = False
    ) -> int:
        """Move the task's entry to ``position(current index)``; returns the new index
        (-1: the end; with ``actual``, API 2.10+, the index the entry has afterwards).
        As the reference: a pull then a positioned push, 703 when the task is not
        queued, 704/705 when a concurrent change got in between."""
        doc = self._queues.entries_with_task(queue_id, company_id, task_id)
        if doc is None:
            raise errors.INVALID_QUEUE_OR_TASK_NOT_QUEUED(task=task_id, id=queue_id, company=company_id)
        entries = doc["entries"]
        current = next(i for i, e in enumerate(entries) if e.get("task") == task_id)
        new_position = position(current)
        if actual:  # the index within the list as it will be
            last = len(entries) - 1
            new_position = last if new_position < 0 else min(new_position, last)
        if new_position == current:
            return new_position
        if self._queues.pull_task(queue_id, company_id, task_id, utcnow()) is None:
            raise errors.REMOVED_DURING_REPOSITION(task=task_id, id=queue_id)
        pushed = self._queues.push_entry(queue_id, company_id, entries[current], utcnow(), position=new_position)
        if pushed is None:
            raise errors.FAILED_ADDING_DURING_REPOSITION(task=task_id, id=queue_id)
        self._record(company_id, pushed)
        if actual:
            return next(i for i, e in enumerate(pushed.get("entries") or []) if e.get("task") == task_id)
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


def _limited(doc: dict[str, Any], max_entries: int | None) -> dict[str, Any]:
    if max_entries and max_entries > 0 and isinstance(doc.get("entries"), list):
        doc["entries"] = doc["entries"][:max_entries]
    return doc
