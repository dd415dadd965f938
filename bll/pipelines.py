"""pipelines.*: runs of a pipeline are clones of its controller task (type ``controller``,
system tag ``pipeline``) in the pipeline's project, as clearml's PipelineController makes
them; a run is started by cloning the controller with new arguments and enqueueing the
clone, and deleted with the step tasks it launched (its children)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from ..database.repositories.projects import ProjectRepository
from ..database.repositories.tasks import TaskRepository
from ..protocol import errors
from ..protocol.versions import Version
from .auth.identity import Identity
from .batch import run_batch
from .organization import public_or_company
from .queues import QueueBLL
from .task.lifecycle import TaskLifecycle
from .task.task_bll import TaskBLL
from .workers import WorkerBLL

#: The hyper-parameter section of a controller's arguments (clearml's PipelineController).
ARGS_SECTION = "Args"
PIPELINE_TAG = "pipeline"


class PipelineBLL:
    def __init__(
        self,
        tasks: TaskBLL,
        lifecycle: TaskLifecycle,
        queues: QueueBLL,
        workers: WorkerBLL,
        task_docs: TaskRepository,
        project_docs: ProjectRepository,
    ) -> None:
        self._tasks = tasks
        self._lifecycle = lifecycle
        self._queues = queues
        self._workers = workers
        self._task_docs = task_docs
        self._project_docs = project_docs

    # --- start_pipeline ----------------------------------------------------------------

    def start(self, identity: Identity, request: Mapping[str, Any], version: Version) -> dict[str, Any]:
        """Clone the controller with the request's ``args`` in its Args section and enqueue
        the clone. Everything that can be refused is checked before the clone is made (an
        unknown task or queue leaves nothing behind)."""
        company_id = identity.company
        source = self._tasks.get_by_id(company_id, request["task"], version)
        queue_id = request.get("queue") or self._queues.default_queue_id(company_id)
        self._queues.get_by_id(company_id, queue_id)
        clone = {
            "task": source["id"],
            "new_task_name": self._run_name(company_id, source),
            "new_task_hyperparams": _with_args(source.get("hyperparams") or {}, request.get("args") or ()),
        }
        run_id = self._tasks.clone(identity, clone, version)
        try:
            queued = self._lifecycle.enqueue(
                company_id,
                {"task": run_id, "queue": queue_id, "status_reason": "", "status_message": "Starting pipeline"},
                version=version,
            )
        except Exception:
            self._lifecycle.delete(company_id, {"task": run_id, "force": True, "move_to_trash": False})
            raise
        answer: dict[str, Any] = {"pipeline": run_id, "enqueued": bool(queued.get("queued"))}
        if request.get("verify_watched_queue"):
            answer["queue_watched"] = any(
                queue_id in (worker.get("queues") or ()) for worker in self._workers.get_all(company_id)
            )
        return answer

    def _run_name(self, company_id: str, source: Mapping[str, Any]) -> str:
        """As the reference names runs: the last part of the project's name, then `` #N``
        with N the number of runs in the project already named so (none: the bare name);
        the controller's own name when it is in no project."""
        project = self._project_docs.get(source["project"], fields=["name"]) if source.get("project") else None
        if not project:
            return str(source.get("name") or "")
        prefix = str(project.get("name") or "").rpartition("/")[2]
        pattern = re.compile(rf"{re.escape(prefix)}( #\d+)?$")
        named = self._task_docs.find(
            {"company": company_id, "project": source["project"], "system_tags": PIPELINE_TAG}, {"name": 1}
        )
        runs = sum(1 for doc in named if pattern.match(str(doc.get("name") or "")))
        return f"{prefix} #{runs}" if runs else prefix

    # --- delete_runs -------------------------------------------------------------------

    def delete_runs(self, company_id: str, request: Mapping[str, Any]) -> dict[str, Any]:
        """Delete the runs named that are controller tasks of the project (others are
        ignored, as in the reference), each with its step tasks; 400/401 for a project the
        caller cannot read, 400/1010 when no run of the project would remain. Each run succeeds or fails on its own."""
        project = request["project"]
        if not self._project_docs.exists(project, public_or_company(company_id)):
            raise errors.INVALID_PROJECT_ID(id=project)
        runs = {
            doc["_id"]
            for doc in self._task_docs.find(
                {"company": company_id, "project": project, "type": "controller"}, {"_id": 1}
            )
        }
        if not runs - set(request["ids"]):
            raise errors.CANNOT_REMOVE_ALL_RUNS(project=project)
        chosen = [i for i in request["ids"] if i in runs]
        return run_batch(lambda run_id: self._delete_run(company_id, project, run_id), chosen)

    def _delete_run(self, company_id: str, project: str, run_id: str) -> dict[str, Any]:
        # the run's steps: its children in the pipeline's project, where the SDK puts them
        # (a clone of a step made elsewhere keeps the parent, and is not the run's)
        query = {"company": company_id, "project": project, "parent": run_id}
        steps = [doc["_id"] for doc in self._task_docs.find(query, {"_id": 1})]
        for step in steps:
            self._lifecycle.delete(company_id, {"task": step, "force": True, "move_to_trash": False})
        result = self._lifecycle.delete(company_id, {"task": run_id, "force": True, "move_to_trash": False})
        return {**result, "deleted_steps": len(steps)}


def _with_args(hyperparams: Mapping[str, Any], args: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The hyper-parameters with the Args section's values replaced or added (type and
    description of an existing parameter kept); values are stored as text."""
    merged = {section: dict(params) for section, params in hyperparams.items()}
    section = merged.setdefault(ARGS_SECTION, {})
    for arg in args:
        name = str(arg["name"])
        value = arg.get("value")
        section[name] = {
            **(section.get(name) or {}),
            "section": ARGS_SECTION,
            "name": name,
            "value": "" if value is None else str(value),
        }
    return merged
