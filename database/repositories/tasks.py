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

    @staticmethod
    def using_input(model_id: str) -> dict[str, Any]:
        """The query of the tasks that use a model as an input model: ``execution.model``
        (v0.16) or an entry of ``models.input`` (2.13)."""
        return {"$or": [{"execution.model": model_id}, {"models.input.model": model_id}]}

    def replace_input_model(self, query: Mapping[str, Any], model_id: str, model_ref: str) -> int:
        """The tasks matching ``query`` that use ``model_id`` as an input model use
        ``model_ref`` there instead, in both places; the number changed."""
        changed = 0
        where = {"$and": [dict(query), self.using_input(model_id)]}
        for doc in self._coll.find(where, {"execution.model": 1, "models.input": 1}):
            update: dict[str, Any] = {}
            if (doc.get("execution") or {}).get("model") == model_id:
                update["execution.model"] = model_ref
            inputs = list((doc.get("models") or {}).get("input") or ())
            if any(item.get("model") == model_id for item in inputs):
                update["models.input"] = [
                    {**item, "model": model_ref} if item.get("model") == model_id else item for item in inputs
                ]
            changed += int(self._coll.update_one({"_id": doc["_id"]}, {"$set": update}).modified_count)
        return changed

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
        it was read with and meets ``where``. Queuing also drops the development tag, and
        any other status drops ``enqueue_status`` (the status before queuing: the task has
        left its queue). Whether a task matched."""
        update: dict[str, Any] = {"$set": dict(fields)}
        unset = tuple(unset)
        if fields.get("status") != TaskStatus.queued and "enqueue_status" not in fields:
            unset += ("enqueue_status",)
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

    # --- the task rules' reads and writes (bll/task/) ------------------------------------

    def insert(self, fields: Mapping[str, Any]) -> str:
        """Store a new task, checked by the document class (``choices`` of status and
        type, ``required``, lengths and types; mongoengine's ``ValidationError``, 400/800,
        when it is not valid) and stored as given; its id."""
        return self._insert_as_given(fields)

    def set_fields(self, task_id: str, fields: Mapping[str, Any]) -> int:
        """Set (dotted) fields of the task; the number matched (0 or 1)."""
        return int(self._coll.update_one({"_id": task_id}, {"$set": dict(fields)}).matched_count)

    def edit_fields(self, task_id: str, sets: Mapping[str, Any] | None = None, unsets: Sequence[str] = ()) -> int:
        """Set and unset (dotted) fields of the task; the number matched (0 or 1)."""
        update: dict[str, Any] = {}
        if sets:
            update["$set"] = dict(sets)
        if unsets:
            update["$unset"] = dict.fromkeys(unsets, 1)
        return int(self._coll.update_one({"_id": task_id}, update).matched_count)

    def start_object(self, task_id: str, field: str) -> None:
        """A missing or null ``field`` becomes {} (a dotted ``$set`` below a missing or
        null parent is not portable)."""
        self._coll.update_one({"_id": task_id, field: None}, {"$set": {field: {}}})

    def set_artifacts_if(self, task_id: str, current: Any, artifacts: list[dict[str, Any]], now: datetime) -> bool:
        """Replace the task's artifacts while they are still ``current`` (a compare and
        set); whether they were replaced."""
        result = document_locks.update_one(
            self._coll,
            {"_id": task_id, "execution.artifacts": current},
            {"$set": {"execution.artifacts": artifacts, "last_update": now}},
        )
        return bool(result.matched_count)

    def restore_after_failed_enqueue(self, task_id: str, status: Any, queue_id: str | None) -> None:
        """Put back the status and queue the task had before an enqueue that failed (and
        no ``enqueue_status``: it was not queued)."""
        update: dict[str, Any] = {"$set": {"status": status}, "$unset": {"enqueue_status": 1}}
        if queue_id:
            update["$set"]["execution.queue"] = queue_id
        else:
            update["$unset"]["execution.queue"] = 1
        self._coll.update_one({"_id": task_id}, update)

    def restore_after_failed_publish(self, task_id: str, status: Any) -> None:
        """A task left ``publishing`` by a publish that failed gets its status back."""
        self._coll.update_one({"_id": task_id, "status": TaskStatus.publishing}, {"$set": {"status": status}})

    def status_and_queue(self, task_id: str) -> dict[str, Any]:
        """The stored ``status`` and ``execution.queue`` of the task ({} when gone)."""
        return self._coll.find_one({"_id": task_id}, {"status": 1, "execution.queue": 1}) or {}

    def hold(self, task_id: str) -> Any:
        """A context holding the task's document lock (on a document server; else none)."""
        return document_locks.hold_document(self._coll, task_id)

    def published_children(self, task_id: str) -> int:
        return int(self._coll.count_documents({"parent": task_id, "status": TaskStatus.published}))

    def reparent_children(self, task_id: str, parent: str) -> int:
        """The task's children get ``parent`` as their parent; the number modified."""
        return int(self._coll.update_many({"parent": task_id}, {"$set": {"parent": parent}}).modified_count)

    def input_of_another(self, model_id: str, task_id: str) -> bool:
        """Whether a task other than ``task_id`` uses the model as an input model."""
        return self._exists({"_id": {"$ne": task_id}, **self.using_input(model_id)})

    def remove(self, task_id: str, to_trash: bool, trash: str) -> None:
        """Delete the task; with ``to_trash`` keep a copy in the collection ``trash``."""
        if to_trash:
            stored = self._coll.find_one({"_id": task_id})
            if stored:
                self._coll.database[trash].replace_one({"_id": task_id}, stored, upsert=True)
        self._coll.delete_one({"_id": task_id})

    def set_project(self, task_ids: list[str], company_id: str, project: str | None, now: datetime) -> int:
        """The company's tasks of ``task_ids`` belong to ``project`` (None: to none)."""
        update: dict[str, Any] = (
            {"$set": {"project": project, "last_update": now}}
            if project
            else {"$unset": {"project": 1}, "$set": {"last_update": now}}
        )
        query = {"_id": {"$in": task_ids}, "company": company_id}
        return int(self._coll.update_many(query, update).matched_count)
