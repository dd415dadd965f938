"""Tasks of several ids at once: the ``*_many`` actions (API 2.13) through the single
task's rules, and archive / move / update_tags (2.12, 2.27), delete_artifacts (2.10)
(docs/tasks.md "Several tasks at once")."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ...database.repositories.base import ARCHIVED
from ...database.repositories.projects import ProjectRepository
from ...database.vocabulary import TaskStatus as S
from ...database.vocabulary import utcnow
from ...protocol import errors
from ...protocol.versions import Version
from ..auth.identity import Identity
from ..batch import run_batch
from ..model_batch import move_target, project_named
from ..projects import ProjectBLL
from ..queues import QueueBLL
from ..workers import WorkerBLL
from .lifecycle import TaskLifecycle, dequeue_status

_STATUS_TEXT = ("status_reason", "status_message")
_CLEANUP = ("delete_output_models", "return_file_urls", "delete_external_artifacts")


def _options(request: Mapping[str, Any], names: Iterable[str], **defaults: Any) -> dict[str, Any]:
    """The single action's options from a batch request (its defaults where not sent)."""
    chosen = {name: request[name] for name in names if name in request}
    return {**defaults, **chosen}


class QueueTarget:
    """The queue an enqueue goes to: ``queue`` (id), or ``queue_name`` (2.20; the queue
    of that name, created when missing), else the company's default queue; and whether
    a worker listens to it (``verify_watched_queue``, 2.22)."""

    def __init__(self, queues: QueueBLL, workers: WorkerBLL) -> None:
        self._queues = queues
        self._workers = workers

    def resolve(self, identity: Identity, request: Mapping[str, Any]) -> dict[str, Any]:
        """The request with ``queue`` set when it named the queue by ``queue_name``."""
        name = request.get("queue_name")
        if not name:
            return dict(request)
        if request.get("queue"):
            raise errors.FIELDS_CONFLICT("queue and queue_name cannot be used together", fields=["queue", "queue_name"])
        queue_id = self._queues.id_by_name(identity.company, name)
        if queue_id is None:
            try:
                queue_id = self._queues.create(identity.company, name, user=identity.user)
            except errors.ApiError:
                queue_id = self._queues.id_by_name(identity.company, name)  # created meanwhile
                if queue_id is None:
                    raise
        return {**request, "queue": queue_id}

    def watched(self, company_id: str, request: Mapping[str, Any], queue_id: str | None) -> dict[str, Any]:
        """``{queue_watched}`` when the request asks for it, else nothing."""
        if not request.get("verify_watched_queue"):
            return {}
        queue_id = queue_id or self._queues.default_queue_id(company_id)
        workers = self._workers.get_all(company_id)
        return {"queue_watched": any(queue_id in (w.get("queues") or ()) for w in workers)}

    def enqueue(
        self, lifecycle: TaskLifecycle, identity: Identity, request: Mapping[str, Any], *, version: Version
    ) -> dict[str, Any]:
        """tasks.enqueue with the queue chosen as above."""
        request = self.resolve(identity, request)
        result = lifecycle.enqueue(identity.company, request, version=version)
        return {**result, **self.watched(identity.company, request, request.get("queue"))}


class TaskBatch:
    def __init__(
        self,
        lifecycle: TaskLifecycle,
        projects: tuple[ProjectBLL, ProjectRepository],
        queue_target: QueueTarget,
    ) -> None:
        self.queue_target = queue_target
        self._life = lifecycle
        self._access = lifecycle.access
        self._tasks = lifecycle.tasks
        self._project_rules, self._projects = projects

    # --- archive ---------------------------------------------------------------------

    def _archive_one(
        self, company_id: str, task_id: str, request: Mapping[str, Any], archive: bool, version: Version
    ) -> bool:
        """Dequeue a queued task (as tasks.dequeue of that version), then add (or remove)
        the ``archived`` system tag."""
        task = self._access.get_for_write(company_id, task_id, ("system_tags", "execution.queue"))
        if archive and task.get("status") == S.queued:
            options = {"task": task_id, **_options(request, _STATUS_TEXT)}
            self._life.dequeue(company_id, options, version=version)
        tags = set(task.get("system_tags") or ())
        tags = tags | {ARCHIVED} if archive else tags - {ARCHIVED}
        fields: dict[str, Any] = {"system_tags": sorted(tags), "last_update": utcnow()}
        fields.update(_options(request, _STATUS_TEXT))
        self._tasks.set_fields(task_id, fields)
        self._access.touch_project(task.get("project"))
        return True

    def archive(self, company_id: str, request: Mapping[str, Any], *, version: Version) -> int:
        """tasks.archive (2.12): all of ``tasks`` or none (400/101 naming the first id not
        the caller's); how many were archived."""
        ids = list(dict.fromkeys(request["tasks"]))
        for task_id in ids:
            self._access.get_for_write(company_id, task_id, ("_id",))
        return sum(self._archive_one(company_id, task_id, request, True, version) for task_id in ids)

    def archive_many(
        self, company_id: str, request: Mapping[str, Any], archive: bool, *, version: Version
    ) -> dict[str, Any]:
        answer = "archived" if archive else "unarchived"
        return run_batch(
            lambda task_id: {answer: self._archive_one(company_id, task_id, request, archive, version)},
            request["ids"],
        )

    # --- the single actions, per id --------------------------------------------------

    def stop_many(self, identity: Identity, request: Mapping[str, Any]) -> dict[str, Any]:
        options = _options(request, ("force", *_STATUS_TEXT))
        return run_batch(lambda task_id: self._life.stop(identity, {"task": task_id, **options}), request["ids"])

    def reset_many(self, company_id: str, request: Mapping[str, Any]) -> dict[str, Any]:
        options = _options(request, ("force", "clear_all", *_CLEANUP))

        def one(task_id: str) -> dict[str, Any]:
            result = self._life.reset(company_id, {"task": task_id, **options})
            answer: dict[str, Any] = {
                k: result[k] for k in ("updated", "fields", "deleted_models", "urls") if k in result
            }
            return {"dequeued": bool(result.get("dequeued")), **answer}

        return run_batch(one, request["ids"])

    def delete_many(self, company_id: str, request: Mapping[str, Any]) -> dict[str, Any]:
        options = _options(request, ("force", "move_to_trash", *_CLEANUP), move_to_trash=False)

        def one(task_id: str) -> dict[str, Any]:
            result = self._life.delete(company_id, {"task": task_id, **options})
            result.pop("events", None)
            return result

        return run_batch(one, request["ids"])

    def publish_many(self, company_id: str, request: Mapping[str, Any]) -> dict[str, Any]:
        options = _options(request, ("force", "publish_model", *_STATUS_TEXT), publish_model=True)

        def one(task_id: str) -> dict[str, Any]:
            result = self._life.publish(company_id, {"task": task_id, **options})
            return {"updated": result["updated"], "fields": result["fields"]}

        return run_batch(one, request["ids"])

    def enqueue_many(self, identity: Identity, request: Mapping[str, Any], *, version: Version) -> dict[str, Any]:
        request = self.queue_target.resolve(identity, request)
        options = _options(request, ("queue", *_STATUS_TEXT))

        def one(task_id: str) -> dict[str, Any]:
            result = self._life.enqueue(identity.company, {"task": task_id, **options}, version=version)
            return {"queued": bool(result["queued"]), "updated": result["updated"], "fields": result["fields"]}

        answer = run_batch(one, request["ids"])
        return {**answer, **self.queue_target.watched(identity.company, request, request.get("queue"))}

    def dequeue_many(self, company_id: str, request: Mapping[str, Any], *, version: Version) -> dict[str, Any]:
        dequeue_status(request)  # a bad one refuses the whole batch
        options = _options(request, ("new_status", "remove_from_all_queues", *_STATUS_TEXT))

        def one(task_id: str) -> dict[str, Any]:
            result = self._life.dequeue(company_id, {"task": task_id, **options}, version=version)
            return {"dequeued": bool(result["dequeued"]), "updated": result["updated"], "fields": result["fields"]}

        return run_batch(one, request["ids"])

    # --- move and tags ---------------------------------------------------------------

    def move(self, identity: Identity, request: Mapping[str, Any], version: Version) -> dict[str, Any]:
        """tasks.move (2.12): the company's tasks of ``ids`` go to ``project`` (null: no
        project) or to the project named ``project_name`` (created when missing);
        ``{project_id}``. 400/11 with neither, 400/401 for a project not the company's."""
        company_id = identity.company
        project = move_target((self._project_rules, self._projects), identity, request, version)
        ids = list(dict.fromkeys(request["ids"]))
        tasks = self._tasks.get_many(ids, {"company": company_id}, ("project",)).values()
        before = {str(t.get("project")) for t in tasks}
        self._tasks.set_project(ids, company_id, project, utcnow())
        for touched in before | {str(project)}:
            if touched != "None":
                self._access.touch_project(touched)
        return {"project_id": project}

    def project_named(self, identity: Identity, name: str, version: Version) -> str:
        """The id of the company's project of that name, created when missing."""
        return project_named((self._project_rules, self._projects), identity, name, version)

    def update_tags(
        self, company_id: str, ids: Sequence[str], add: Iterable[str] | None, remove: Iterable[str] | None
    ) -> int:
        """Add and remove user tags of the company's tasks (other ids are skipped); how
        many tasks matched."""
        add_set, remove_set = set(add or ()), set(remove or ())
        changed = 0
        for task_id in dict.fromkeys(ids):
            with self._tasks.hold(task_id):
                task = self._tasks.get_own(task_id, company_id, ("tags",))
                if task is None:
                    continue
                before = list(task.get("tags") or [])
                after = sorted((set(before) | add_set) - remove_set)
                if after != before:
                    self._tasks.set_fields(task_id, {"tags": after, "last_update": utcnow()})
                changed += 1
        return changed

    # --- artifacts -------------------------------------------------------------------

    def delete_artifacts(self, company_id: str, request: Mapping[str, Any]) -> int:
        """tasks.delete_artifacts (2.10): remove the artifacts of those keys (and modes,
        output by default); how many were removed. Only a draft or running task's unless
        ``force`` (400/110)."""
        task_id = request["task"]
        wanted = {(a["key"], a.get("mode") or "output") for a in request["artifacts"]}
        for _attempt in range(10):  # optimistic: retry if another writer changed the list
            task = self._access.get_for_write(company_id, task_id, ("execution.artifacts",))
            if not request.get("force") and task.get("status") not in (S.created, S.in_progress):
                raise errors.INVALID_TASK_STATUS(
                    task_id=task_id, status=task.get("status"), expected=[S.created, S.in_progress]
                )
            current = (task.get("execution") or {}).get("artifacts")
            kept = [a for a in current or () if (a.get("key"), a.get("mode", "output")) not in wanted]
            deleted = len(current or ()) - len(kept)
            if not deleted:
                return 0
            if self._tasks.set_artifacts_if(task_id, current, kept, utcnow()):
                return deleted
        raise errors.UPDATE_FAILED("artifacts changed concurrently", task=task_id)
