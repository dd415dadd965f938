"""Task documents: create, read, edit, update, clone, artifacts, publicity."""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

from ...config import Config
from ...database.repositories.projects import ProjectRepository
from ...database.repositories.tasks import TaskRepository
from ...database.repositories.users import UserRepository
from ...database.vocabulary import TaskStatus, new_id, utcnow
from ...protocol import errors
from ...protocol.versions import V2_9, V2_10, Version
from ...schema import SchemaRepo
from ..auth.identity import Identity
from ..organization import apply_joins, public_or_company, split_joins
from ..project_tree import with_descendants
from ..query import QuerySpec, get_all_docs, split_filters
from ..scroll import Scroll
from . import task_models
from .access import TaskAccess
from .params import escape_configuration, escape_hyperparams, escape_path, prepare_for_save
from .shaping import conform_filter_tags, conform_request_tags, task_for_output

TASK_QUERY = QuerySpec(
    pattern_fields=("name", "comment"),
    list_fields=("id", "user", "tags", "system_tags", "type", "status", "project", "parent"),
    datetime_fields=("status_changed", "last_update", "created", "started", "completed"),
    range_fields=("created", "started", "active_duration", "last_iteration", "last_metrics.*"),
    fields=("last_worker",),
    text_fields=("_id", "name", "comment", "script.repository", "script.entry_point", "execution.model"),
)
#: Request fields the rules handle themselves; every other property of the request
#: schema (tasks.create / tasks.edit / tasks.update) is stored as given.
_NOT_STORED_AS_GIVEN = {
    "tasks.create": ("output_dest",),
    "tasks.edit": ("task", "force", "output_dest"),
    "tasks.update": ("task", "output__error"),
}
#: the fields get_all_ex's ``filters`` (2.27) may name, as the reference's task list fields
FILTERABLE = (
    "id",
    "user",
    "tags",
    "system_tags",
    "type",
    "status",
    "project",
    "parent",
    "hyperparams.*",
    "execution.queue",
    "models.input.model",
)
JOIN_REFS = {"project": ProjectRepository(), "parent": TaskRepository(), "user": UserRepository()}
V2_15 = Version(2, 15)
#: the system tag of tasks get_all leaves out from 2.10 unless search_hidden
HIDDEN_TAG = "hidden"
OUTPUT_SCHEMES = ("s3", "gs", "azure", "http", "https", "file")
_LEGACY_PROJECTIONS = (("execution.parameters", "hyperparams"), ("execution.model_desc", "configuration"))


def _check_name(name: Any) -> str:
    name = str(name or "").strip()
    if len(name) < 3:
        raise errors.DATA_VALIDATION_ERROR("name must be at least 3 characters long", field="name")
    return name


def _sorted_artifacts(artifacts: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    items = [{"mode": "output", **a} for a in artifacts]
    return sorted(items, key=lambda a: (a.get("key", ""), a["mode"]))


def _execution(value: Mapping[str, Any] | None) -> dict[str, Any]:
    execution = dict(value or {})
    execution.setdefault("test_split", 0)
    execution["artifacts"] = _sorted_artifacts(execution.get("artifacts") or ())
    return execution


def _cloned_params(source: Mapping[str, Any], request: Mapping[str, Any]) -> tuple[dict[str, Any], Any, Any]:
    """(execution, hyperparams, configuration) of a clone: no queue, input artifacts only,
    ``execution_overrides`` merged (legacy parameters in them become items), then the
    request's new hyper-parameters / configuration if given."""
    execution = copy.deepcopy(source.get("execution") or {})
    execution.pop("queue", None)
    execution["artifacts"] = [a for a in execution.get("artifacts") or () if a.get("mode") == "input"]
    for key, value in (request.get("execution_overrides") or {}).items():
        if isinstance(value, dict) and isinstance(execution.get(key), dict):
            execution[key] = {**execution[key], **value}
        else:
            execution[key] = value
    params: dict[str, Any] = {"execution": execution}
    prepare_for_save(params, previous=source)
    hyperparams = params.get("hyperparams") or source.get("hyperparams") or {}
    configuration = params.get("configuration") or source.get("configuration") or {}
    # the schema's names, and the ones the 0.16 server really read; empty means the source's
    new_hyperparams = request.get("new_task_hyperparams") or request.get("new_hyperparams")
    new_configuration = request.get("new_task_configuration") or request.get("new_configuration")
    if new_hyperparams:
        hyperparams = escape_hyperparams(new_hyperparams)
    if new_configuration:
        configuration = escape_configuration(new_configuration)
    return execution, hyperparams, configuration


_DEFAULT_SCRIPT = {"binary": "python", "repository": "", "entry_point": ""}


def _cloned_system_tags(source: Mapping[str, Any], given: Sequence[str] | None, version: Version) -> list[str]:
    """``new_task_system_tags``, else none at API 2.9 and below (the 0.16 server); later
    versions copy the source's without ``development`` and ``archived``."""
    if given:
        return sorted(set(given))
    if version <= V2_9:
        return []
    return sorted(set(source.get("system_tags") or ()) - {"development", "archived"})


@dataclass(frozen=True)
class TaskFields:
    """The request fields stored as given, by action: read from the schema, so that a
    property added there is stored without a second list here."""

    create: tuple[str, ...]
    edit: tuple[str, ...]
    update: tuple[str, ...]

    @classmethod
    def from_schemas(cls, schemas: SchemaRepo) -> TaskFields:
        def stored(name: str) -> tuple[str, ...]:
            skip = _NOT_STORED_AS_GIVEN[name]
            return tuple(f for f in schemas.request_properties(name) if f not in skip)

        return cls(create=stored("tasks.create"), edit=stored("tasks.edit"), update=stored("tasks.update"))


def hidden_filter(request: Mapping[str, Any], version: Version) -> dict[str, Any] | None:
    """The condition that leaves hidden tasks (system tag ``hidden``: reports, the SDK's
    hidden helpers) out of a tasks listing: from 2.10 (the reference after 0.16), unless
    the request has ``search_hidden`` or names task ``id``s; None where none applies."""
    if version >= V2_10 and not request.get("search_hidden") and not request.get("id"):
        return {"system_tags": {"$ne": HIDDEN_TAG}}
    return None


class TaskBLL:
    def __init__(self, config: Config, fields: TaskFields, access: TaskAccess) -> None:
        self.config = config
        self.fields = fields
        self.access = access
        self.tasks = access.tasks

    # --- reading ---------------------------------------------------------------------

    def get_by_id(self, company_id: str, task_id: str, version: Version) -> dict[str, Any]:
        return task_for_output(self.access.get_for_read(company_id, task_id), version)

    def get_all(
        self,
        company_id: str,
        request: Mapping[str, Any],
        version: Version,
        *,
        joins: bool = False,
        base_filter: Mapping[str, Any] | None = None,
        window: tuple[int, int] | None = None,
    ) -> list[dict[str, Any]]:
        """``get_all`` (and with ``joins`` ``get_all_ex``, where ``only_fields`` may name
        fields of the referenced project, parent task or user, e.g. ``project.name``).
        ``base_filter``: a condition every task also meets; ``window``: (skip, limit)
        instead of the request's paging (a scroll)."""
        request = dict(conform_filter_tags(request, version))
        only = request.get("only_fields")
        if only:
            if version < V2_9:  # whole legacy fields are read from their new homes
                legacy = tuple(old for old, _ in _LEGACY_PROJECTIONS)
                extra = [new for old, new in _LEGACY_PROJECTIONS if f"{old}" in only]
                only = [f for f in only if f not in legacy] + extra
            request["only_fields"] = [escape_path(str(f)) for f in only]
        order = request.get("order_by")
        if order:
            order = [order] if isinstance(order, str) else order
            request["order_by"] = [escape_path(str(f), ordering=True) for f in order]
        wanted: dict[str, list[str]] = {}
        if joins:
            split, wanted = split_joins(request, JOIN_REFS)
            request = dict(split)
        docs = get_all_docs(self.tasks, company_id, request, TASK_QUERY, base_filter=base_filter, window=window)
        if wanted:
            apply_joins(docs, wanted, JOIN_REFS)
        projected = [str(f) for f in request.get("only_fields") or ()]
        tasks = [task_for_output(doc, version, whole=not projected) for doc in docs]
        if projected and version >= task_models.V2_13:
            for task in tasks:  # the fields every task has, when named: their defaults
                task_models.defaults(task, projected)
        return tasks

    def listing_filter(
        self, request: Mapping[str, Any], version: Version, *, joins: bool
    ) -> tuple[dict[str, Any], dict[str, Any] | None]:
        """What a tasks listing (``listing``, the CSV download) runs: the request without
        the get_all_ex ``filters`` (``joins``) and with ``include_subprojects``' project
        ids, and the base filter (those ``filters``, the hidden tasks left out)."""
        condition = None
        if joins:
            request, condition = split_filters(request, version, FILTERABLE, escape_path)
        base = hidden_filter(request, version)
        if condition is not None:
            base = {"$and": [base, condition]} if base else condition
        projects = request.get("project")
        if request.get("include_subprojects") and projects:
            values = projects if isinstance(projects, list) else [projects]
            request = {**request, "project": with_descendants(self.access.projects, values)}
        return dict(request), base

    def listing(
        self, company_id: str, request: Mapping[str, Any], version: Version, *, joins: bool = False
    ) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        """tasks.get_all / get_all_ex as the version asks: from 2.10 (the reference after
        0.16) without the hidden tasks (``hidden_filter``); with ``include_subprojects``
        (get_all_ex 2.13, get_all 2.26: the handler passes it where declared) the
        ``project`` filter takes the projects below those given; get_all_ex (``joins``)
        from 2.27 with ``filters`` (``bll/query.py: split_filters``); from 2.15 scrolled
        with ``size`` / ``scroll_id`` (``bll/scroll.py``). The tasks and the answer's extra
        fields (``scroll_id``)."""
        request, base = self.listing_filter(request, version, joins=joins)
        scroll = Scroll.of(request) if version >= V2_15 else None
        if scroll:
            request = Scroll.ordered(request)
        tasks = self.get_all(
            company_id, request, version, joins=joins, base_filter=base, window=scroll.window if scroll else None
        )
        return tasks, ({"scroll_id": scroll.next_id(len(tasks))} if scroll else {})

    def get_types(self, company_id: str, projects: Sequence[str] | None) -> list[str]:
        query: dict[str, Any] = public_or_company(company_id)
        if projects:
            query["project"] = {"$in": list(projects)}
        return sorted(t for t in self.tasks.distinct("type", query) if t)

    # --- creating --------------------------------------------------------------------

    def _prepare(
        self,
        company_id: str,
        request: Mapping[str, Any],
        version: Version,
        previous: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """The checked, storable fields of a create or edit request. On edit, ``script``
        and ``execution`` are merged key by key into the stored ones."""
        names = self.fields.create if previous is None else self.fields.edit
        fields = {k: copy.deepcopy(request[k]) for k in names if request.get(k) is not None}
        conform_request_tags(fields, version)
        script = fields.get("script")
        if script:
            fields["script"] = {k: v.strip() if isinstance(v, str) else v for k, v in script.items()}
        for key in ("script", "execution"):
            if previous is not None and key in fields and isinstance(previous.get(key), dict):
                fields[key] = {**previous[key], **fields[key]}
        prepare_for_save(fields, previous)
        if "execution" in fields or previous is None:
            fields["execution"] = _execution(fields.get("execution"))
        fields.update(task_models.prepare_for_save(fields, request, utcnow()))
        for kind in (task_models.INPUT, task_models.OUTPUT):
            for item in fields.get(f"models.{kind}") or ():
                self.access.check_input_model(company_id, item["model"])
        if "name" in fields or previous is None:
            fields["name"] = _check_name(fields.get("name"))
        self.access.check_project(company_id, fields.get("project"))
        self.access.check_parent(company_id, fields.get("parent"))
        self.access.check_input_model(company_id, (fields.get("execution") or {}).get("model"))
        for key in ("tags", "system_tags"):
            if key in fields or previous is None:
                fields[key] = sorted(set(fields.get(key) or ()))
        destination = request.get("output_dest")
        if destination:
            scheme = urlparse(destination).scheme
            if scheme not in OUTPUT_SCHEMES:
                raise errors.FIELDS_VALUE_ERROR("unsupported scheme for output destination", dest=destination)
        return fields

    def build_new(self, identity: Identity, request: Mapping[str, Any], version: Version) -> dict[str, Any]:
        """A validated task document for ``tasks.create`` / ``tasks.validate``."""
        fields = self._prepare(identity.company, request, version)
        now = utcnow()
        doc: dict[str, Any] = {
            "_id": new_id(),
            "company": identity.company,
            "user": identity.user,
            "status": TaskStatus.created,
            "created": now,
            "last_update": now,
            "last_iteration": 0,
            **fields,
        }
        # like the reference's default Output(): clients expect the object to exist
        doc["output"] = {"destination": request["output_dest"]} if request.get("output_dest") is not None else {}
        output_model = doc.pop("output.model", None)
        if output_model:
            doc["output"]["model"] = output_model
        models = {k.partition(".")[2]: doc.pop(k) for k in list(doc) if k.startswith("models.")}
        if models:
            doc["models"] = models
        if version >= V2_10 and not doc.get("script"):
            # the reference's default Script() after v0.16: clearml 2.1's Dataset sets
            # task.data.script.diff on a task it created without one
            doc["script"] = dict(_DEFAULT_SCRIPT)
        return doc

    def create(self, identity: Identity, request: Mapping[str, Any], version: Version) -> str:
        doc = self.build_new(identity, request, version)
        self.tasks.insert(doc)
        self.access.touch_project(doc.get("project"))
        return str(doc["_id"])

    # --- changing --------------------------------------------------------------------

    def edit(self, company_id: str, request: Mapping[str, Any], version: Version) -> dict[str, Any]:
        task = self.access.get_for_write(company_id, request["task"])
        if not request.get("force") and task.get("status") != TaskStatus.created:
            raise errors.INVALID_TASK_STATUS(expected=TaskStatus.created, status=task.get("status"))
        fields = self._prepare(company_id, request, version, previous=task)
        if request.get("output_dest") is not None:
            fields["output.destination"] = request["output_dest"]
        return self._write(task, fields)

    def update(self, company_id: str, request: Mapping[str, Any], version: Version) -> dict[str, Any]:
        task = self.access.get_for_write(company_id, request["task"])
        fields = {k: request[k] for k in self.fields.update if request.get(k) is not None}
        conform_request_tags(fields, version)
        if "name" in fields:
            fields["name"] = _check_name(fields["name"])
        if request.get("output__error") is not None:
            fields["output.error"] = request["output__error"]
        self.access.check_project(company_id, fields.get("project"))
        return self._write(task, fields)

    def update_batch(self, company_id: str, items: Sequence[Mapping[str, Any]], version: Version) -> int:
        for item in items:  # every item is checked before anything is written
            self.access.get_for_write(company_id, item["task"])
            self.access.check_project(company_id, item.get("project"))
        return sum(self.update(company_id, item, version)["updated"] for item in items)

    def _write(self, task: Mapping[str, Any], fields: dict[str, Any]) -> dict[str, Any]:
        if not fields:
            return {"updated": 0}
        fields["last_update"] = utcnow()
        unsets = [k for k, v in fields.items() if v is None]  # a field set to None is removed
        sets = {k: v for k, v in fields.items() if v is not None}
        matched = self.tasks.edit_fields(task["id"], sets, unsets)
        self.access.touch_project(fields.get("project") or task.get("project"))
        shown = dict(fields)
        if "hyperparams" in shown or "configuration" in shown:
            task_for_output(shown, V2_9)
        return {"updated": matched, "fields": shown}

    def set_requirements(self, company_id: str, task_id: str, requirements: dict[str, Any]) -> dict[str, Any]:
        task = self.access.get_for_write(company_id, task_id, ("script",))
        if not task.get("script"):
            raise errors.MISSING_TASK_FIELDS("Task has no script field", task=task_id)
        matched = self.tasks.set_fields(task_id, {"script.requirements": requirements, "last_update": utcnow()})
        return {"updated": matched, "fields": {"script.requirements": requirements}}

    def add_or_update_artifacts(
        self, company_id: str, task_id: str, artifacts: Sequence[Mapping[str, Any]], check_status: bool = False
    ) -> dict[str, list[str]]:
        """Add artifacts, or replace those of the same key and mode; with ``check_status``
        only a draft or running task's (400/110)."""
        for _attempt in range(10):  # optimistic: retry if another writer changed the list
            task = self.access.get_for_write(company_id, task_id, ("execution.artifacts",))
            if check_status and task.get("status") not in (TaskStatus.created, TaskStatus.in_progress):
                raise errors.INVALID_TASK_STATUS(
                    task_id=task_id, status=task.get("status"), expected=[TaskStatus.created, TaskStatus.in_progress]
                )
            current = (task.get("execution") or {}).get("artifacts")
            merged = {(a.get("key"), a.get("mode", "output")): a for a in current or ()}
            added: list[str] = []
            updated: list[str] = []
            for artifact in artifacts:
                item = dict(artifact)
                item.setdefault("mode", "output")
                key = (item["key"], item["mode"])
                (updated if key in merged else added).append(item["key"])
                merged[key] = item
            if self.tasks.set_artifacts_if(task_id, current, _sorted_artifacts(merged.values()), utcnow()):
                return {"added": added, "updated": updated}
        raise errors.UPDATE_FAILED("artifacts changed concurrently", task=task_id)

    # --- models (2.13) ----------------------------------------------------------------

    def _models_of(self, company_id: str, task_id: str) -> tuple[dict[str, Any], dict[str, list[dict[str, Any]]]]:
        task = self.access.get_for_write(company_id, task_id, ("models", "execution.model", "output.model"))
        shown = copy.deepcopy(task)
        task_models.for_output(shown, task_models.V2_13)
        models = shown.get("models") or {}
        return task, {kind: list(models.get(kind) or []) for kind in (task_models.INPUT, task_models.OUTPUT)}

    def _write_models(self, task: Mapping[str, Any], models: Mapping[str, list[dict[str, Any]]], kind: str) -> int:
        legacy = "execution.model" if kind == task_models.INPUT else "output.model"
        fields = {f"models.{kind}": models[kind], legacy: task_models.legacy_model(models, kind)}
        return int(self._write(task, fields)["updated"])

    def add_or_update_model(self, company_id: str, request: Mapping[str, Any]) -> int:
        """tasks.add_or_update_model (2.13): the task's model of that type and name is
        ``model`` (added, or replacing the entry of the same name); ``iteration`` raises
        the task's last iteration."""
        task_id, kind, model_id = request["task"], request["type"], request["model"]
        self.access.check_input_model(company_id, model_id)
        with self.tasks.hold(task_id):
            task, models = self._models_of(company_id, task_id)
            entry = {"name": request["name"], "model": model_id, "updated": utcnow()}
            models[kind] = [m for m in models[kind] if m.get("name") != entry["name"]] + [entry]
            updated = self._write_models(task, models, kind)
        if request.get("iteration") is not None:
            self.tasks.report_iteration(task_id, company_id, int(request["iteration"]), utcnow())
        return updated

    def delete_models(self, company_id: str, request: Mapping[str, Any]) -> int:
        """tasks.delete_models (2.13): remove the task's model entries of those names and
        types (absent ones are ignored)."""
        task_id = request["task"]
        with self.tasks.hold(task_id):
            task, models = self._models_of(company_id, task_id)
            updated = 0
            for kind in (task_models.INPUT, task_models.OUTPUT):
                names = {m["name"] for m in request["models"] if m["type"] == kind}
                kept = [m for m in models[kind] if m.get("name") not in names]
                if len(kept) != len(models[kind]):
                    models[kind] = kept
                    updated = max(updated, self._write_models(task, models, kind))
        return updated

    def ping(self, company_id: str, task_id: str) -> None:
        self.access.get_for_write(company_id, task_id, ("_id",))
        self.tasks.set_fields(task_id, {"last_update": utcnow()})

    def set_public(self, company_id: str, ids: Sequence[str], public: bool) -> int:
        ids = list(dict.fromkeys(ids))
        found = self.tasks.movable_to_public(ids, company_id, public)
        missing = [i for i in ids if i not in found]
        if missing:
            raise errors.INVALID_TASK_ID(ids=missing)
        return self.tasks.move_to_public(ids, company_id, public)

    # --- cloning ---------------------------------------------------------------------

    def _clone_models_and_container(
        self, company_id: str, source: Mapping[str, Any], request: Mapping[str, Any], doc: dict[str, Any]
    ) -> None:
        """The clone keeps the source's input models (2.13 lists; not its output models) and
        its container, or takes ``new_task_input_models`` / ``new_task_container``."""
        stored: Mapping[str, Any] = source["models"] if isinstance(source.get("models"), dict) else {}
        inputs = request.get("new_task_input_models")
        if inputs is None and "model" not in (request.get("execution_overrides") or {}):
            inputs = stored.get(task_models.INPUT)
        if inputs is not None:
            items = task_models.prepare_for_save({"models": {task_models.INPUT: inputs}}, {}, utcnow())
            for item in items["models.input"]:
                self.access.check_input_model(company_id, item["model"])
            doc["models"] = {task_models.INPUT: items["models.input"], task_models.OUTPUT: []}
            first = task_models.legacy_model(doc["models"], task_models.INPUT)
            execution = doc["execution"]
            if first:
                execution["model"] = first
            elif request.get("new_task_input_models") is not None:
                execution.pop("model", None)
        container = request.get("new_task_container")
        if container is None:
            container = source.get("container")
        if container is not None:
            fields: dict[str, Any] = {"container": container, "execution": doc["execution"]}
            task_models.prepare_for_save(fields, {}, utcnow())
            doc["container"], doc["execution"] = fields["container"], fields["execution"]

    def clone(self, identity: Identity, request: Mapping[str, Any], version: Version) -> str:
        company_id = identity.company
        source = self.access.get_for_read(company_id, request["task"])
        execution, hyperparams, configuration = _cloned_params(source, request)
        project = request.get("new_task_project") or source.get("project")
        parent = request.get("new_task_parent") or source.get("parent")
        validate_all = bool(request.get("validate_references"))
        if validate_all or request.get("new_task_project"):
            self.access.check_project(company_id, project)
        if validate_all or request.get("new_task_parent"):
            self.access.check_parent(company_id, parent)
        if validate_all or (request.get("execution_overrides") or {}).get("model") is not None:
            self.access.check_input_model(company_id, execution.get("model"))
        fields = {"tags": request.get("new_task_tags"), "system_tags": request.get("new_task_system_tags")}
        conform_request_tags(fields, version)
        now = utcnow()
        output = source.get("output") or {}
        doc = {
            "_id": new_id(),
            "company": company_id,
            "user": identity.user,
            "name": _check_name(request.get("new_task_name") or source.get("name")),
            "comment": request.get("new_task_comment") or source.get("comment"),
            "type": source.get("type"),
            "status": TaskStatus.created,
            "created": now,
            "last_update": now,
            "last_iteration": 0,
            "parent": parent,
            "project": project,
            "tags": sorted(set(fields["tags"] if fields["tags"] is not None else source.get("tags") or [])),
            "system_tags": _cloned_system_tags(source, fields["system_tags"], version),
            "script": source.get("script"),
            "output": {"destination": output["destination"]} if output.get("destination") else {},
            "execution": _execution(execution),
            "hyperparams": hyperparams,
            "configuration": configuration,
        }
        self._clone_models_and_container(company_id, source, request, doc)
        self.tasks.insert({k: v for k, v in doc.items() if v is not None})
        self.access.touch_project(project)
        return str(doc["_id"])
