"""The models.* rules: a model's life (create, edit, publish with ``ready``, delete) and
its link to the task that created it (``task.output.model``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC
from typing import Any

from dateutil import parser as date_parser

from ..database.repositories.base import OwnedRepository
from ..database.repositories.models import ModelRepository
from ..database.repositories.projects import ProjectRepository
from ..database.repositories.tasks import TaskRepository
from ..database.repositories.users import UserRepository
from ..database.vocabulary import TaskStatus, new_id, utcnow
from ..protocol import errors
from ..protocol.versions import V2_13, Version
from . import metadata
from .auth.identity import Identity
from .organization import (
    OrgBLL,
    apply_joins,
    conform_tag_filter,
    conform_tags_in,
    conform_tags_out,
    for_output,
    public_or_company,
    split_joins,
    writable,
)
from .project_tree import with_descendants
from .projects import check_name
from .query import QuerySpec, get_all_docs, split_filters
from .scroll import Scroll

#: the fields get_all_ex's ``filters`` (2.27) may name, as the reference's model list fields
FILTERABLE = ("tags", "system_tags", "framework", "uri", "id", "user", "project", "task", "parent", "metadata.*")
SPEC = QuerySpec(
    pattern_fields=("name", "comment"),
    fields=("ready",),
    list_fields=("tags", "system_tags", "framework", "uri", "id", "user", "project", "task", "parent"),
    datetime_fields=("last_update",),
    # what the reference's text index covers
    text_fields=("name", "_id", "comment", "parent", "task", "project"),
)
CREATE_FIELDS = (
    "name",
    "tags",
    "system_tags",
    "task",
    "comment",
    "uri",
    "project",
    "parent",
    "framework",
    "design",
    "labels",
    "ready",
)
# what models.update (and update_for_task on an existing model) may set: the reference's
# user-settable model fields (not ready, task or parent)
UPDATE_FIELDS = ("name", "comment", "tags", "system_tags", "created", "ui_cache", "project", "uri")
# metadata (create / edit / update) is read from API 2.13 on
METADATA_VERSION = Version(2, 13)
# returned only when asked for with only_fields
_EXCLUDED_BY_DEFAULT = "ui_cache"
_UPDATABLE_TASK_STATES = (TaskStatus.created, TaskStatus.in_progress)
# the states from which a task may be published without force (clearml-server v0.16.1's
# state machine, server/bll/task/utils.py)
_PUBLISHABLE = (TaskStatus.stopped, TaskStatus.closed, TaskStatus.failed, TaskStatus.completed, TaskStatus.publishing)


class ModelBLL:
    def __init__(
        self,
        org: OrgBLL,
        models: ModelRepository,
        tasks: TaskRepository,
        projects: ProjectRepository,
        users: UserRepository,
    ) -> None:
        self.org = org
        self._models = models
        self._tasks = tasks
        self._projects = projects
        # references checked on create/edit: (field, repository, what the error expects)
        self._references: tuple[tuple[str, OwnedRepository, str], ...] = (
            ("task", tasks, "Task"),
            ("project", projects, "Project"),
            ("parent", models, "Model"),
        )
        # references get_all_ex can join (``only_fields: ["project.name"]``)
        self._joins = {"project": projects, "task": tasks, "parent": models, "user": users}

    # --- reading --------------------------------------------------------------------------

    def get_by_id(self, company_id: str, model_id: str, version: Version) -> dict[str, Any]:
        doc = self._models.get(model_id, public_or_company(company_id))
        if not doc:
            raise errors.INVALID_MODEL_ID("no such public or company model", id=model_id, company=company_id)
        doc.pop(_EXCLUDED_BY_DEFAULT, None)
        return for_output(metadata.to_api(doc), version)

    def get_by_task_id(self, company_id: str, task_id: str, version: Version) -> dict[str, Any]:
        task = self._tasks.get(task_id, {"company": company_id}, ["output"])
        if not task:
            raise errors.INVALID_TASK_ID(id=task_id, company=company_id)
        if not task.get("output"):
            raise errors.MISSING_TASK_FIELDS(field="output")
        if not task["output"].get("model"):
            raise errors.MISSING_TASK_FIELDS(field="output.model")
        return self.get_by_id(company_id, task["output"]["model"], version)

    def get_all(self, company_id: str, request: Mapping[str, Any], version: Version) -> list[dict[str, Any]]:
        return self.listing(company_id, request, version)[0]

    def listing(
        self,
        company_id: str,
        request: Mapping[str, Any],
        version: Version,
        scrolled: bool = False,
        allow_public: bool = True,
        condition: Mapping[str, Any] | None = None,
    ) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        """get_all: the models and the answer's extra fields (``scroll_id`` when
        ``scrolled``, API 2.15, and the request scrolls). ``metadata.<key>.<field>`` keys
        of the request filter on metadata (a list: any of the values). ``condition``: one
        more that every model meets (get_all_ex's ``filters``)."""
        request = metadata.escape_request(conform_tag_filter("model", request, version))
        if version >= V2_13 and request.get("include_subprojects") and request.get("project"):
            projects = request["project"]
            values = projects if isinstance(projects, list) else [projects]
            request = {**request, "project": with_descendants(self._projects, values)}
        only = [str(f) for f in request.get("only_fields") or ()]
        if not any(not f.startswith("-") for f in only):
            request = {**request, "only_fields": [*only, f"-{_EXCLUDED_BY_DEFAULT}"]}
        base = metadata.filter_of(request)
        if not allow_public:  # get_all_ex 2.23
            base = {"$and": [base, {"company": company_id}]} if base else {"company": company_id}
        if condition is not None:
            base = {"$and": [base, dict(condition)]} if base else dict(condition)
        scroll = Scroll.of(request) if scrolled else None
        window = scroll.window if scroll else None
        request = Scroll.ordered(request) if scroll else request
        docs = get_all_docs(self._models, company_id, request, SPEC, base_filter=base, window=window)
        models = [for_output(metadata.to_api(d), version) for d in docs]
        return models, ({"scroll_id": scroll.next_id(len(models))} if scroll else {})

    def get_all_ex(
        self, company_id: str, request: Mapping[str, Any], version: Version, scrolled: bool = False
    ) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        """get_all_ex (and get_by_id_ex): get_all with the joins of only_fields; with
        ``include_stats`` (2.20) each model's ``stats``; from 2.27 ``filters``."""
        request, condition = split_filters(request, version, FILTERABLE, metadata.escape_path)
        request, joins = split_joins(request, self._joins)
        allow_public = version < Version(2, 23) or request.get("allow_public") is not False
        with_stats = bool(request.get("include_stats")) and version >= Version(2, 20)
        only = list(request.get("only_fields") or [])
        drop_labels = with_stats and bool(only) and "labels" not in only
        if drop_labels:
            request = {**request, "only_fields": [*only, "labels"]}
        models, extra = self.listing(company_id, request, version, scrolled, allow_public, condition)
        apply_joins(models, joins, self._joins)
        if with_stats:
            for model in models:
                labels = model.pop("labels", None) if drop_labels else model.get("labels")
                model["stats"] = {"labels_count": len(labels) if isinstance(labels, dict) else 0}
        return models, extra

    def get_frameworks(self, company_id: str, projects: Sequence[str] | None) -> list[str]:
        query: dict[str, Any] = public_or_company(company_id)
        if projects:
            query["project"] = {"$in": list(projects)}
        return sorted({f for f in self._models.distinct("framework", query) if isinstance(f, str) and f})

    # --- writing --------------------------------------------------------------------------

    def create(self, identity: Identity, request: Mapping[str, Any], version: Version) -> dict[str, Any]:
        company = "" if request.get("public") else identity.company
        fields = _with_metadata({k: request[k] for k in CREATE_FIELDS if k in request}, request, version)
        check_name(fields)
        conform_tags_in("model", fields, version)
        _sort_tags(fields)
        if fields.get("project") and not self._projects.exists(fields["project"], {"company": company}):
            raise errors.VALIDATION_ERROR("Invalid project ids", project=fields["project"])
        if fields.get("task"):
            self._task_for_writing(identity.company, fields["task"])
        model_id = self._models.create(
            {"id": new_id(), "user": identity.user, "company": company, "created": utcnow()} | fields
        )
        return {"id": model_id, "created": True}

    def edit(self, identity: Identity, request: Mapping[str, Any], version: Version) -> dict[str, Any]:
        company_id, model_id = identity.company, request["model"]
        self._own_model(company_id, model_id)
        fields = _with_metadata({k: request[k] for k in CREATE_FIELDS if k in request}, request, version)
        check_name(fields)
        self._check_references(company_id, fields)
        conform_tags_in("model", fields, version)
        fields = self._prepare_update(company_id, fields)
        task_id = fields.get("task") or (self._models.get(model_id, None, ["task"]) or {}).get("task")
        self._report_iteration(company_id, task_id, request.get("iteration"))
        return self._apply(company_id, model_id, fields, version)

    def update(self, identity: Identity, request: Mapping[str, Any], version: Version) -> dict[str, Any]:
        company_id, model_id = identity.company, request["model"]
        self._own_model(company_id, model_id)
        fields = _with_metadata({k: request[k] for k in UPDATE_FIELDS if k in request}, request, version)
        check_name(fields)
        if "created" in fields:
            fields["created"] = _parse_datetime("created", fields["created"])
        conform_tags_in("model", fields, version)
        fields = self._prepare_update(company_id, fields)
        # the task is checked and gets the iteration, but is not a field models.update sets
        if request.get("task"):
            self._task_for_writing(company_id, request["task"])
        self._report_iteration(company_id, request.get("task"), request.get("iteration"))
        return self._apply(company_id, model_id, fields, version) if fields else {"updated": 0, "fields": {}}

    def update_for_task(self, identity: Identity, request: Mapping[str, Any], version: Version) -> dict[str, Any]:
        """Create the task's output model (or update the one it has), or point the task at
        ``override_model_id``; only while the task is ``created`` or ``in_progress``."""
        company_id, task_id = identity.company, request["task"]
        uri, override = request.get("uri"), request.get("override_model_id")
        if bool(uri) == bool(override):
            raise errors.MISSING_REQUIRED_FIELDS("exactly one field is required", fields=["uri", "override_model_id"])
        task = self._task_for_writing(company_id, task_id)
        if task.get("status") not in _UPDATABLE_TASK_STATES:
            raise errors.INVALID_TASK_STATUS(
                f"model can only be updated for tasks in the {list(_UPDATABLE_TASK_STATES)} states",
                id=task_id,
                status=task.get("status"),
            )
        if override:
            if not self._models.exists(override, {"company": company_id}):
                raise errors.INVALID_MODEL_ID(id=override, company=company_id)
            self._set_task_output(company_id, task_id, override, request.get("iteration"))
            return {"id": override, "created": True}
        data = {k: request[k] for k in ("uri", "name", "comment", "tags", "system_tags") if k in request}
        data.setdefault("name", task.get("name"))
        data.setdefault("comment", f"Created by task `{task.get('name')}` ({task_id})")
        data["task"] = task_id
        existing = (task.get("output") or {}).get("model")
        if existing:
            update = {**data, "model": existing, "iteration": request.get("iteration")}
            result = self.update(identity, {k: v for k, v in update.items() if v is not None}, version)
            return {**result, "id": existing, "created": False}
        conform_tags_in("model", data, version)
        _sort_tags(data)
        execution = task.get("execution") or {}
        model_id = self._models.create(
            {
                "id": new_id(),
                "created": utcnow(),
                "user": identity.user,
                "company": company_id,
                "project": task.get("project"),
                "framework": execution.get("framework"),
                "parent": execution.get("model"),
                "design": execution.get("model_desc") or {},
                "labels": execution.get("model_labels") or {},
                "ready": task.get("status") == TaskStatus.published,
            }
            | data
        )
        self._set_task_output(company_id, task_id, model_id, request.get("iteration"))
        return {"id": model_id, "created": True}

    def set_ready(self, identity: Identity, request: Mapping[str, Any]) -> dict[str, Any]:
        """Publish the model; with ``publish_task`` (default) also publish the task that
        created it, when it is not published yet (its status must allow publishing unless
        ``force_publish_task``)."""
        company_id, model_id = identity.company, request["model"]
        self._own_model(company_id, model_id)
        model = self._models.get(model_id, None, ["ready", "task"]) or {}
        if model.get("ready"):
            raise errors.MODEL_IS_READY(id=model_id, company=company_id)
        result: dict[str, Any] = {}
        task_id = model.get("task")
        if task_id and request.get("publish_task", True):
            task = self._tasks.get(task_id, {"company": company_id}, ["status", "project"])
            if task and task.get("status") != TaskStatus.published:
                data = self._publish_task(task, bool(request.get("force_publish_task")))
                result["published_task"] = {"id": task_id, "data": data}
        updated = self._models.set_ready(model_id, company_id, utcnow())
        return {"updated": updated, **result}

    def delete(self, company_id: str, model_id: str, force: bool) -> dict[str, Any]:
        """Refused while tasks use the model as their input (400/205) or while the task that
        created it is published (400/206), unless ``force``: those tasks then point at
        ``__DELETED__<id>``."""
        self._own_model(company_id, model_id)
        model = self._models.get(model_id, None, ["task", "uri"]) or {}
        tasks = self._tasks
        using = {**tasks.using_input(model_id), **public_or_company(company_id)}
        num_using = tasks.count(using)
        if num_using and not force:
            raise errors.MODEL_IN_USE("as execution model, use force=True to delete", num_tasks=num_using)
        creator = tasks.get(model["task"], None, ["status"]) if model.get("task") else None
        published_creator = bool(creator and creator.get("status") == TaskStatus.published)
        if published_creator and not force:
            raise errors.MODEL_CREATING_TASK_EXISTS("and published, use force=True to delete", task=model["task"])
        deleted_ref = f"__DELETED__{model_id}"
        if num_using:
            tasks.replace_input_model(public_or_company(company_id), model_id, deleted_ref)
        if published_creator:
            tasks.set_output_model(model["task"], deleted_ref, f"model deleted on {utcnow().isoformat()}")
        return {"deleted": self._models.delete(model_id, company_id) > 0, "url": model.get("uri")}

    def add_or_update_metadata(
        self, company_id: str, model_id: str, items: Sequence[Mapping[str, Any]], replace: bool
    ) -> int:
        self._own_model(company_id, model_id)
        return self._models.change(
            model_id, company_id, {**metadata.set_update(items, replace), "last_update": utcnow()}
        )

    def delete_metadata(self, company_id: str, model_id: str, keys: Sequence[str]) -> int:
        self._own_model(company_id, model_id)
        return self._models.change(model_id, company_id, {"last_update": utcnow()}, metadata.unset_paths(keys))

    def set_public(self, company_id: str, ids: Sequence[str], public: bool) -> dict[str, int]:
        return {"updated": self.org.set_public(self._models, company_id, ids, errors.INVALID_MODEL_ID, public)}

    # --- helpers --------------------------------------------------------------------------

    def _task_for_writing(self, company_id: str, task_id: str) -> dict[str, Any]:
        writable(self._tasks, company_id, task_id, errors.INVALID_TASK_ID)
        task = self._tasks.get(task_id, None, ["name", "status", "project", "output", "execution"])
        assert task is not None
        return task

    def _check_references(self, company_id: str, fields: Mapping[str, Any]) -> None:
        for field, repository, kind in self._references:
            value = fields.get(field)
            if value and not repository.exists(value, public_or_company(company_id)):
                raise errors.VALIDATION_ERROR(f"expecting {kind} id", id=value, field=field)

    def _prepare_update(self, company_id: str, fields: dict[str, Any]) -> dict[str, Any]:
        _sort_tags(fields)
        if "uri" in fields:
            # a new file: what the UI cached about the old one is stale
            fields["ui_cache"] = fields.pop("ui_cache", {})
        if fields.get("task"):
            self._task_for_writing(company_id, fields["task"])
        return fields

    def _apply(self, company_id: str, model_id: str, fields: dict[str, Any], version: Version) -> dict[str, Any]:
        if not fields:
            return {"updated": 0}
        updated = self._models.update(model_id, company_id, fields)
        conform_tags_out([fields], version)
        return {"updated": updated, "fields": fields}

    def _report_iteration(self, company_id: str, task_id: str | None, iteration: int | None) -> None:
        if task_id and iteration is not None:
            self._tasks.report_iteration(task_id, company_id, iteration, utcnow())

    def _set_task_output(self, company_id: str, task_id: str, model_id: str, iteration: int | None) -> None:
        self._tasks.set_output(task_id, company_id, model_id, iteration, utcnow())

    def _own_model(self, company_id: str, model_id: str) -> None:
        """A model is written only by its own company: any other id, a public model's too, is
        400/201, as the reference looks models up in the caller's company alone (tasks and
        projects answer 403/21 for a public one)."""
        if not self._models.exists(model_id, {"company": company_id}):
            raise errors.INVALID_MODEL_ID(id=model_id, company=company_id)

    def _publish_task(self, task: Mapping[str, Any], force: bool) -> dict[str, Any]:
        """Publish a task with one conditional update on its current status (400/121 when
        it changed meanwhile); the project's ``last_update`` follows."""
        status = task.get("status")
        if not force and status not in _PUBLISHABLE:
            raise errors.INVALID_TASK_STATUS(
                "Invalid status change", task=task["id"], current_status=status, new_status=TaskStatus.published
            )
        now = utcnow()
        fields = {
            "status": TaskStatus.published,
            "status_reason": "",
            "status_message": "",
            "status_changed": now,
            "last_update": now,
            "published": now,
        }
        if not self._tasks.set_if_status(task["id"], status, fields):
            raise errors.FAILED_CHANGING_TASK_STATUS(task=task["id"], expected=status)
        if task.get("project"):
            self._projects.touch(task["project"], now)
        return {"updated": 1, "fields": fields}


def _with_metadata(fields: dict[str, Any], request: Mapping[str, Any], version: Version) -> dict[str, Any]:
    """The fields with the request's metadata in its stored form (API 2.13 on)."""
    if version >= METADATA_VERSION and isinstance(request.get("metadata"), (Mapping, list)):
        fields["metadata"] = metadata.from_api(request["metadata"])
    return fields


def _sort_tags(fields: dict[str, Any]) -> None:
    """Model tags are kept sorted, as the reference's sorted list fields."""
    for key in ("tags", "system_tags"):
        if isinstance(fields.get(key), list):
            fields[key] = sorted(fields[key])


def _parse_datetime(field: str, value: Any) -> Any:
    try:
        parsed = date_parser.isoparse(str(value))
    except ValueError as ex:
        raise errors.VALIDATION_ERROR(f"invalid date-time: {ex}", field=field) from None
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(UTC).replace(tzinfo=None)
    return parsed
