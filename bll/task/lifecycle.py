"""Status actions: started/stopped/failed/completed/close/stop, enqueue/dequeue,
publish, reset and delete with their side effects (docs/tasks.md "Status changes")."""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import timedelta
from typing import Any, Protocol

from ...config import Config
from ...database.repositories.models import ModelRepository
from ...database.repositories.tasks import TaskRepository
from ...database.vocabulary import TaskStatus as S
from ...database.vocabulary import TaskSystemTags, utcnow
from ...protocol import errors
from ...protocol.versions import V2_10, Version
from ..auth.identity import Identity
from .access import TaskAccess
from .state_machine import StatusChange, apply_status_change, check_transition

DELETED_PREFIX = "__DELETED__"
# From API 2.10 (the reference after v0.16.1) a task is enqueued from these statuses
# without force (its state machine's moves into queued), and a dequeue without
# new_status puts back the status it had before (enqueue_status); below, v0.16.1's
# rules: only a draft is enqueued and a dequeued task becomes created.
LATER_QUEUEING = V2_10
ENQUEUE_FROM = frozenset({S.created, S.stopped, S.failed})
TRASH_COLLECTION = "task__trash"


class QueueOps(Protocol):
    def add_task(self, company_id: str, queue_id: str, task_id: str) -> int: ...
    def remove_task(self, company_id: str, queue_id: str, task_id: str) -> int: ...
    def remove_task_everywhere(self, company_id: str, task_id: str) -> int: ...
    def default_queue_id(self, company_id: str) -> str: ...
    def get_by_id(self, company_id: str, queue_id: str) -> dict[str, Any]: ...


class EventOps(Protocol):
    def delete_task_events(self, company_id: str, task_ids: Any) -> int: ...
    def debug_image_urls(self, company_id: str, task_ids: Any) -> list[str]: ...


def _change(request: Mapping[str, Any], new_status: str, **extra: Any) -> StatusChange:
    return StatusChange(
        new_status=new_status,
        status_reason=request.get("status_reason"),
        status_message=request.get("status_message"),
        force=bool(request.get("force")),
        **extra,
    )


def dequeue_status(request: Mapping[str, Any]) -> str | None:
    """The ``new_status`` of a dequeue (2.26), refused when it is ``queued``: the task
    leaves its queue, so it cannot stay queued (400/12)."""
    new_status = request.get("new_status")
    if new_status == S.queued:
        raise errors.VALIDATION_ERROR("field new_status: a dequeued task cannot stay queued", field="new_status")
    return new_status


class TaskLifecycle:
    def __init__(
        self, config: Config, queues: QueueOps, events: EventOps, access: TaskAccess, models: ModelRepository
    ) -> None:
        self.config = config
        self.queues = queues
        self.events = events
        self.access = access
        self.tasks = access.tasks
        self.models = models

    def _apply(self, task: Mapping[str, Any], change: StatusChange) -> dict[str, Any]:
        result = apply_status_change(self.tasks, task, change)
        self.access.touch_project(task.get("project"))
        return result

    def set_status(self, company_id: str, request: Mapping[str, Any], new_status: str) -> dict[str, Any]:
        """stopped / failed / completed / close: a plain transition (with its timestamps)."""
        task = self.access.get_for_write(company_id, request["task"])
        extra: dict[str, Any] = {}
        if new_status in (S.stopped, S.completed):
            extra["set"] = {"completed": utcnow()}
        return self._apply(task, _change(request, new_status, **extra))

    def started(self, company_id: str, request: Mapping[str, Any]) -> dict[str, Any]:
        task = self.access.get_for_write(company_id, request["task"], ("started",))
        now = utcnow()
        # keep the first start time; a null one is replaced
        extra = {"min": {"started": now}} if task.get("started") else {"set": {"started": now}}
        result = self._apply(task, _change(request, S.in_progress, **extra))
        return {"started": result["updated"], **result}

    def _run_by_worker(self, task: Mapping[str, Any]) -> bool:
        timeout = float(self.config.get("apiserver.workers.task_update_timeout"))
        last_update = task.get("last_update")
        return bool(
            task.get("status") == S.in_progress
            and task.get("last_worker")
            and last_update is not None
            and utcnow() - last_update < timedelta(seconds=timeout)
        )

    def stop(self, identity: Identity, request: Mapping[str, Any]) -> dict[str, Any]:
        """Stop directly, or ask the worker running the task to stop ("stopping")."""
        task = self.access.get_for_write(
            identity.company, request["task"], ("system_tags", "last_worker", "last_update")
        )
        if TaskSystemTags.development in (task.get("system_tags") or ()) or not self._run_by_worker(task):
            new_status, message = S.stopped, f"Stopped by {identity.user_name or identity.user}"
        else:
            new_status, message = str(task.get("status")), "stopping"
        change = _change(request, new_status)
        change.status_message = message
        return self._apply(task, change)

    # --- queues ----------------------------------------------------------------------

    def enqueue(self, company_id: str, request: Mapping[str, Any], *, version: Version) -> dict[str, Any]:
        """Queue the task; its status before is kept as ``enqueue_status`` (answered from
        2.10). From 2.10 a stopped or failed task is enqueued too, and with ``force`` one
        of any status but queued (docs/tasks.md "Status changes")."""
        queue_id = request.get("queue") or self.queues.default_queue_id(company_id)
        task = self.access.get_for_write(company_id, request["task"], ("execution.queue",))
        self.queues.get_by_id(company_id, queue_id)
        later = version >= LATER_QUEUEING
        previous = str(task.get("status") or S.created)
        sets = {"execution.queue": queue_id, "enqueue_status": previous}
        change = _change(request, S.queued, allow_same=False, set=sets)
        if previous == S.queued:  # already in a queue, even with force: it would sit in two
            check_transition(previous, S.queued, allow_same=False)
        change.force = later and (bool(request.get("force")) or previous in ENQUEUE_FROM)
        result = self._apply(task, change)
        try:
            self.queues.add_task(company_id, queue_id, task["id"])
        except Exception:
            # put the task back the way it was, whatever its status now is
            previous_queue = (task.get("execution") or {}).get("queue")
            self.tasks.restore_after_failed_enqueue(task["id"], task.get("status"), previous_queue)
            raise
        if not later:  # v0.16.1 had no such field
            result["fields"].pop("enqueue_status")
        return {"queued": 1, **result}

    def _remove_from_queue(self, company_id: str, task: Mapping[str, Any], silent: bool) -> dict[str, Any] | None:
        queue_id = (task.get("execution") or {}).get("queue")
        if silent and (task.get("status") != S.queued or not queue_id):
            return None
        if task.get("status") != S.queued:
            raise errors.INVALID_TASK_ID(status=task.get("status"), expected=S.queued)
        if not queue_id:
            raise errors.MISSING_REQUIRED_FIELDS("task has no queue value", field="execution.queue")
        try:
            removed = self.queues.remove_task(company_id, queue_id, task["id"])
        except errors.ApiError:
            if not silent:
                raise
            removed = 0
        return {"removed": removed}

    def dequeue(self, company_id: str, request: Mapping[str, Any], *, version: Version) -> dict[str, Any]:
        """Take a queued task out of its queue (2.25 ``remove_from_all_queues``: then out
        of every other queue holding it too); it becomes ``new_status`` (2.26: any status
        but queued), else from 2.10 the status it had before queuing (``enqueue_status``),
        else ``created``; the change is forced from 2.10 (as the reference forces it)."""
        new_status = dequeue_status(request)
        task = self.access.get_for_write(company_id, request["task"], ("execution.queue", "enqueue_status"))
        later = version >= LATER_QUEUEING
        # the removal and the status change as one, on a document server: a racing dequeue
        # waits for both, so its removal finds the status already moved
        with self.tasks.hold(task["id"]):
            try:
                self._remove_from_queue(company_id, task, silent=False)
            except errors.ApiError as exc:
                # Another call took the task out of the queue between our read and our removal:
                # that is a lost race on the task's status, not a task missing from its queue.
                if (exc.code, exc.subcode) == (400, 703) and _status_moved(self.tasks, task):
                    raise errors.FAILED_CHANGING_TASK_STATUS(task=task["id"], expected=S.queued) from exc
                raise
            if request.get("remove_from_all_queues"):
                self.queues.remove_task_everywhere(company_id, task["id"])
            before = task.get("enqueue_status") if later else None
            unset = ("execution.queue", "enqueue_status") if later else ("execution.queue",)
            change = _change(request, new_status or before or S.created, unset=unset)
            change.force = bool(new_status) or later
            return {"dequeued": 1, **self._apply(task, change)}

    # --- publish ---------------------------------------------------------------------

    def publish(self, company_id: str, request: Mapping[str, Any]) -> dict[str, Any]:
        task = self.access.get_for_write(company_id, request["task"], ("output",))
        force = bool(request.get("force"))
        previous = task.get("status")
        if not force:
            check_transition(str(previous), S.published)
        model_id = (task.get("output") or {}).get("model")
        publishing = self._apply(task, StatusChange(S.publishing, force=True))["fields"]
        try:
            if request["publish_model"] and model_id:
                self._publish_model(company_id, model_id)
            change = _change(request, S.published, set={"published": utcnow()})
            change.force = True
            result = self._apply(dict(task, status=S.publishing, status_changed=publishing["status_changed"]), change)
        except Exception:
            self.tasks.restore_after_failed_publish(task["id"], previous)
            raise
        return {**result, "committed_versions_results": []}

    def _publish_model(self, company_id: str, model_id: str) -> None:
        model = self.models.get(model_id, fields=("ready", "company"))
        if not model or model.get("ready"):
            return
        if model.get("company") != company_id:
            raise errors.INVALID_MODEL_ID(id=model_id, company=company_id)
        self.models.set_ready(model_id, company_id, utcnow())

    # --- reset and delete ------------------------------------------------------------

    def _output_models(self, company_id: str, task: Mapping[str, Any]) -> list[dict[str, Any]]:
        ids = self.models.ids_of_task(task["id"], company_id)
        output_model = (task.get("output") or {}).get("model")
        if output_model:
            ids.add(output_model)
        return list(self.models.get_many(list(ids), {"company": company_id}, ("ready",)).values())

    def _cleanup(
        self, company_id: str, task: Mapping[str, Any], force: bool, request: Mapping[str, Any]
    ) -> dict[str, Any]:
        """Detach children and output models, delete unused draft models (all kept with
        ``delete_output_models: false``) and the events; with ``return_file_urls`` the
        answer's ``urls`` name the files of what went (2.13)."""
        task_id = task["id"]
        models = self._output_models(company_id, task)
        if not force:
            published_children = self.tasks.published_children(task_id)
            if published_children:
                raise errors.TASK_CANNOT_BE_DELETED(
                    "has published children, use force=True", task=task_id, children=published_children
                )
            published_models = [m["id"] for m in models if m.get("ready")]
            if published_models:
                raise errors.TASK_CANNOT_BE_DELETED(
                    "has published output models, use force=True", task=task_id, models=len(published_models)
                )
        deleted_id = f"{DELETED_PREFIX}{task_id}"
        updated_children = self.tasks.reparent_children(task_id, deleted_id)
        keep: list[str] = []
        drop: list[str] = []
        delete_models = request.get("delete_output_models", True) is not False
        for model in models:
            in_use = self.tasks.input_of_another(model["id"], task_id)
            (keep if model.get("ready") or in_use or not delete_models else drop).append(model["id"])
        urls = self._file_urls(company_id, task, drop) if request.get("return_file_urls") else None
        updated_models = self.models.set_task(keep, deleted_id) if keep else 0
        deleted_models = self.models.delete_ids(drop) if drop else 0
        deleted_events = self.events.delete_task_events(company_id, [task_id])
        answer: dict[str, Any] = {
            "updated_children": updated_children,
            "updated_models": updated_models,
            "deleted_models": deleted_models,
            "events": {"deleted": deleted_events},
        }
        if urls is not None:
            answer["urls"] = urls
        return answer

    def _file_urls(self, company_id: str, task: Mapping[str, Any], model_ids: list[str]) -> dict[str, list[str]]:
        """The files the caller may delete with the task: its output artifacts' and the
        deleted models' uris, and its debug images' urls."""
        artifacts = (task.get("execution") or {}).get("artifacts") or ()
        artifact_urls = [a["uri"] for a in artifacts if a.get("uri") and a.get("mode", "output") == "output"]
        models = self.models.get_many(model_ids, {"company": company_id}, ("uri",)).values() if model_ids else ()
        return {
            "model_urls": sorted({str(m["uri"]) for m in models if m.get("uri")}),
            "event_urls": self.events.debug_image_urls(company_id, [task["id"]]),
            "artifact_urls": list(dict.fromkeys(artifact_urls)),
        }

    def reset(self, company_id: str, request: Mapping[str, Any]) -> dict[str, Any]:
        task = self.access.get_for_write(company_id, request["task"])
        force = bool(request.get("force"))
        if not force and task.get("status") == S.published:
            raise errors.INVALID_TASK_STATUS(task_id=task["id"], status=task.get("status"))
        answer: dict[str, Any] = {}
        dequeued = self._remove_from_queue(company_id, task, silent=True)
        if dequeued:
            answer["dequeued"] = dequeued
        answer.update(self._cleanup(company_id, task, force, request))
        sets: dict[str, Any] = {"last_iteration": 0, "last_metrics": {}, "metric_stats": {}}
        unsets = ["output.result", "output.model", "models.output", "output.error", "last_worker", "last_worker_report"]
        unsets += ["started", "completed", "published"]
        if request.get("clear_all"):
            sets["execution"] = {"test_split": 0, "artifacts": []}
            unsets.append("script")
        else:
            unsets.append("execution.queue")
            artifacts = (task.get("execution") or {}).get("artifacts")
            if artifacts:
                sets["execution.artifacts"] = [a for a in artifacts if a.get("mode") == "input"]
        reason, message = request.get("status_reason") or "reset", request.get("status_message") or "reset"
        change = StatusChange(S.created, reason, message, force=force, set=sets, unset=tuple(unsets))
        result = self._apply(task, change)
        result["fields"].pop("execution.artifacts", None)
        result["fields"].pop("execution", None)
        return {**answer, **result}

    def delete(self, company_id: str, request: Mapping[str, Any]) -> dict[str, Any]:
        task = self.access.get_for_write(company_id, request["task"])
        force = bool(request.get("force"))
        if task.get("status") != S.created and not force:
            raise errors.TASK_CANNOT_BE_DELETED(
                "due to status, use force=True", task=task["id"], expected=S.created, current=task.get("status")
            )
        self._remove_from_queue(company_id, task, silent=True)
        result = self._cleanup(company_id, task, force, request)
        self.tasks.remove(task["id"], bool(request["move_to_trash"]), TRASH_COLLECTION)
        self.access.touch_project(task.get("project"))
        return {"deleted": True, **result}


def _status_moved(tasks: TaskRepository, task: Mapping[str, Any], wait_s: float = 0.2) -> bool:
    """Whether the stored task left the status (or queue) it was read with. A concurrent
    dequeue removes the queue entry a moment before it changes the status, so a task that
    still looks queued is watched briefly; one whose entry an agent popped stays queued."""
    deadline = time.monotonic() + wait_s
    while True:
        current = tasks.status_and_queue(task["id"])
        queue = (current.get("execution") or {}).get("queue")
        if current.get("status") != task.get("status") or queue != (task.get("execution") or {}).get("queue"):
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.02)
