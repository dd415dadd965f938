"""Subprojects (API 2.13): a project name with '/' is a path.

Each project of a tree stores ``name`` (the full path, ``a/b/c``), ``basename`` (``c``),
``parent`` (the id of ``a/b``) and ``path`` (the ids of ``a`` and ``a/b``, the top one
first). Creating ``a/b/c`` creates the missing ancestors; renaming, moving and merging
keep the names and paths of every descendant consistent. docs/projects.md, "Subprojects".
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from pymongo.errors import DuplicateKeyError

from ..database.repositories.models import ModelRepository
from ..database.repositories.projects import ProjectRepository
from ..database.repositories.tasks import TaskRepository
from ..database.vocabulary import new_id, utcnow
from ..protocol import errors
from .query import NOT_MARKER

SEPARATOR = "/"
HIDDEN = "hidden"
ARCHIVED = "archived"
PIPELINE_TAG, PIPELINES_PROJECT = "pipeline", ".pipelines"
DATASET_TAG, DATASETS_PROJECT = "dataset", ".datasets"
REPORTS_TAG = "reports"
#: what the tree fields of a project are in an answer below 2.13 (not there)
TREE_FIELDS = ("basename", "parent", "path")
MIN_NAME = 3


def split_name(name: str, field: str = "name") -> tuple[str, str]:
    """``" a//b / c/"`` → (``"a/b/c"``, ``"a/b"``): the parts stripped, empty ones
    dropped; 400/407 when nothing is left."""
    parts = [p.strip() for p in name.split(SEPARATOR)]
    parts = [p for p in parts if p]
    if not parts:
        raise errors.INVALID_PROJECT_NAME(name=name, field=field)
    return SEPARATOR.join(parts), SEPARATOR.join(parts[:-1])


def depth(name: str) -> int:
    return len([p for p in name.split(SEPARATOR) if p.strip()])


def basename(name: str) -> str:
    return name.rpartition(SEPARATOR)[2]


def _check_length(name: str) -> None:
    if len(name) < MIN_NAME:
        raise errors.DATA_VALIDATION_ERROR(f"name must be at least {MIN_NAME} characters long", field="name", name=name)


def with_descendants(projects: ProjectRepository, project_ids: Iterable[Any]) -> list[Any]:
    """A project filter's values followed by the ids of every project below one of them
    (any depth: those whose ``path`` holds it), each id once: what ``include_subprojects``
    and the statistics over children read. Values that are not a project id to include
    (a null, an excluded ``-id``, ``__$not`` and the value after it) are kept as they
    are and not expanded."""
    values = list(project_ids)
    plain, negated = [], False
    for value in values:
        if isinstance(value, str) and value and not negated and value != NOT_MARKER and not value.startswith("-"):
            plain.append(value)
        negated = value == NOT_MARKER
    seen = {v for v in values if isinstance(v, str)}
    below = [c["id"] for c in projects.descendants(list(dict.fromkeys(plain)))] if plain else []
    below = [b for b in dict.fromkeys(below) if b not in seen]
    if negated:  # a trailing marker must not come to exclude a descendant
        return [*below, *values]
    return [*values, *below]


class ProjectTree:
    """The tree rules over the company's projects, their tasks and models."""

    def __init__(
        self,
        projects: ProjectRepository,
        tasks: TaskRepository,
        models: ModelRepository,
        max_depth: int,
        delete_events: Callable[[str, list[str]], int],
    ) -> None:
        self._projects = projects
        self._tasks = tasks
        self._models = models
        self.max_depth = max_depth
        self._delete_events = delete_events

    # --- placing projects ---------------------------------------------------------------

    def check_depth(self, name: str) -> None:
        if depth(name) > self.max_depth:
            raise errors.PROJECT_PATH_EXCEEDS_MAX(max_depth=self.max_depth)

    def own_by_name(self, company_id: str, name: str) -> dict[str, Any] | None:
        """The company's project of that name; None without one; 400/414 when only a
        public project has it (the company cannot write there)."""
        found = self._projects.by_names([name], company_id)
        own = [p for p in found if p.get("company") == company_id]
        if own:
            return own[0]
        if found:
            raise errors.PUBLIC_PROJECT_EXISTS(name=name)
        return None

    def ensure(
        self, company_id: str, user: str, name: str, extra: Mapping[str, Any] | None = None
    ) -> dict[str, Any] | None:
        """The company's project ``name`` (a path), created with its missing ancestors;
        None for the top level (an empty name). ``extra``: more fields of the project
        when it is created (e.g. the system tags of a hidden ``.reports`` project; its
        ancestors get none)."""
        parts = [p.strip() for p in name.split(SEPARATOR) if p.strip()]
        if not parts:
            return None
        name = SEPARATOR.join(parts)
        existing = self.own_by_name(company_id, name)
        if existing:
            return existing
        _check_length(name)
        parent = self.ensure(company_id, user, SEPARATOR.join(parts[:-1]))
        now = utcnow()
        fields = {"id": new_id(), "user": user, "company": company_id, "created": now, "last_update": now}
        fields |= {"name": name, "description": ""} | dict(extra or {}) | self.placement(name, parent)
        try:
            self._projects.create(fields)
        except DuplicateKeyError:
            # a concurrent call created it first: that one is the ancestor
            existing = self.own_by_name(company_id, name)
            if not existing:
                raise
            return existing
        if parent:
            self._projects.touch(parent["id"], now)
        return {"id": fields["id"], "name": name, "parent": fields["parent"], "path": fields["path"]}

    @staticmethod
    def placement(name: str, parent: Mapping[str, Any] | None) -> dict[str, Any]:
        """The tree fields of a project ``name`` under ``parent`` (None: the top level)."""
        if not parent:
            return {"basename": basename(name), "parent": None, "path": []}
        return {
            "basename": basename(name),
            "parent": parent["id"],
            "path": [*(parent.get("path") or []), parent["id"]],
        }

    def prepare_create(self, company_id: str, user: str, fields: dict[str, Any]) -> str | None:
        """The fields of a new project ``fields["name"]`` completed with its place in the
        tree, its ancestors created; the parent's id (None at the top level)."""
        self.check_depth(fields["name"])
        name, location = split_name(fields["name"])
        _check_length(name)
        if self.own_by_name(company_id, name):
            raise errors.EXPECTED_UNIQUE_DATA("project name exists", field="name", name=name)
        parent = self.ensure(company_id, user, location)
        fields["name"] = name
        fields.update(self.placement(name, parent))
        return parent["id"] if parent else None

    def rename(self, company_id: str, project: Mapping[str, Any], new_name: str) -> dict[str, Any]:
        """The fields a rename sets (``name``, ``basename``); the location must stay
        (400/408). The descendants' names follow once the project is updated
        (``rename_descendants``)."""
        new_name, new_location = split_name(new_name)
        _, old_location = split_name(str(project["name"]))
        if new_location != old_location:
            raise errors.CANNOT_UPDATE_PROJECT_LOCATION(name=new_name)
        _check_length(new_name)
        if new_name != project["name"] and self.own_by_name(company_id, new_name):
            raise errors.EXPECTED_UNIQUE_DATA("project name exists", field="name", name=new_name)
        return {"name": new_name, "basename": basename(new_name)}

    def rename_descendants(self, project_id: str, old_name: str, new_name: str) -> int:
        now = utcnow()
        updated = 0
        for child in self._projects.descendants([project_id]):
            suffix = str(child["name"])[len(old_name) :]
            updated += self._projects.place(child["id"], {"name": new_name + suffix, "last_update": now})
        return updated

    def _own(self, company_id: str, project_id: str) -> dict[str, Any]:
        project = self._projects.get_own(project_id, company_id, ["name", "parent", "path", "system_tags"])
        if not project:
            raise errors.INVALID_PROJECT_ID(id=project_id)
        return project

    def _plan(
        self, company_id: str, project: Mapping[str, Any], parent: Mapping[str, Any] | None
    ) -> list[tuple[str, dict[str, Any]]]:
        """The updates that move ``project`` and its subtree under ``parent`` (None: the
        top level), one per project; 400/801 when a new name is taken."""
        old_name, old_path = str(project["name"]), list(project.get("path") or [])
        new_name = SEPARATOR.join(p for p in (parent["name"] if parent else "", basename(old_name)) if p)
        placed = self.placement(new_name, parent)
        now = utcnow()
        updates = [(str(project["id"]), {"name": new_name, **placed, "last_update": now})]
        new_path = [*placed["path"], project["id"]]
        for child in self._projects.descendants([project["id"]]):
            child_path = new_path + list(child.get("path") or [])[len(old_path) + 1 :]
            fields = {"name": new_name + str(child["name"])[len(old_name) :], "path": child_path, "last_update": now}
            updates.append((str(child["id"]), fields))
        renamed = {fields["name"]: pid for pid, fields in updates}
        taken = [p["name"] for p in self._projects.by_names(list(renamed), company_id) if renamed[p["name"]] != p["id"]]
        if taken:
            raise errors.EXPECTED_UNIQUE_DATA("project name exists", field="name", name=sorted(taken)[0])
        return updates

    def _apply(self, updates: Sequence[tuple[str, Mapping[str, Any]]]) -> int:
        for project_id, fields in updates:
            self._projects.place(project_id, fields)
        return len(updates)

    def move(self, company_id: str, user: str, project_id: str, new_location: str) -> int:
        """Move a project with its subtree under ``new_location`` (a path, created when
        missing; empty: the top level); the number of projects moved."""
        project = self._own(company_id, project_id)
        location = SEPARATOR.join(p.strip() for p in (new_location or "").split(SEPARATOR) if p.strip())
        name = str(project["name"])
        if location == name or location.startswith(name + SEPARATOR):
            raise errors.PROJECT_CANNOT_BE_MOVED_UNDER_ITSELF(project=project_id, location=location)
        children = self._projects.descendants([project_id])
        old_depth = len(project.get("path") or [])
        for current in [project, *children]:
            if len(current.get("path") or []) + 1 - old_depth + depth(location) > self.max_depth:
                raise errors.PROJECT_PATH_EXCEEDS_MAX(max_depth=self.max_depth)
        current_parent = self._parent_of(company_id, project)
        if location == (current_parent["name"] if current_parent else ""):
            raise errors.PROJECT_SOURCE_AND_DESTINATION_ARE_THE_SAME(location=location)
        new_parent = self.ensure(company_id, user, location)
        if new_parent and (new_parent["id"] == project_id or project_id in (new_parent.get("path") or [])):
            raise errors.PROJECT_CANNOT_BE_MOVED_UNDER_ITSELF(project=project_id, parent=new_parent["id"])
        moved = self._apply(self._plan(company_id, project, new_parent))
        now = utcnow()
        for parent in (current_parent, new_parent):
            if parent:
                self._projects.touch(parent["id"], now)
        return moved

    def _parent_of(self, company_id: str, project: Mapping[str, Any]) -> dict[str, Any] | None:
        parent_id = project.get("parent")
        if not parent_id:
            return None
        return self._projects.get(parent_id, None, ["name", "path", "company"])

    def merge(self, company_id: str, source_id: str, destination_id: str | None) -> dict[str, int]:
        """Move the source's tasks, models and child projects into the destination (None:
        the top level) and delete the source."""
        if source_id == destination_id:
            raise errors.PROJECT_SOURCE_AND_DESTINATION_ARE_THE_SAME(source=source_id)
        source = self._own(company_id, source_id)
        destination = self._own(company_id, destination_id) if destination_id else None
        if destination and source_id in (destination.get("path") or []):
            raise errors.PROJECT_CANNOT_BE_MERGED_INTO_ITS_CHILD(source=source_id, destination=destination_id)
        descendants = self._projects.descendants([source_id])
        if destination:
            old_depth, new_depth = len(source.get("path") or []) + 1, len(destination.get("path") or []) + 1
            for child in descendants:
                if len(child.get("path") or []) + 1 - old_depth + new_depth > self.max_depth:
                    raise errors.PROJECT_PATH_EXCEEDS_MAX(max_depth=self.max_depth)
        children = [c for c in descendants if c.get("parent") == source_id]
        plans = [self._plan(company_id, child, destination) for child in children]
        names = [fields["name"] for plan in plans for _, fields in plan]
        if len(set(names)) < len(names):
            raise errors.EXPECTED_UNIQUE_DATA("project name exists", field="name")
        moved_entities = sum(r.move_to_project(source_id, destination_id) for r in (self._tasks, self._models))
        for plan in plans:
            self._apply(plan)
        self._projects.delete(source_id, company_id)
        if destination:
            self._projects.touch(destination["id"], utcnow())
        return {"moved_entities": moved_entities, "moved_projects": len(children)}

    # --- deleting a tree ------------------------------------------------------------------

    def _tree(self, company_id: str, project_id: str) -> tuple[list[str], list[str], list[str]]:
        """The project's ids with its descendants', and of those the pipeline and the
        dataset projects (their ``.pipelines`` / ``.datasets`` folders not counted)."""
        self._own(company_id, project_id)
        root = self._projects.get(project_id, None, ["system_tags", "basename"]) or {}
        projects = [root | {"id": project_id}, *self._projects.descendants([project_id])]

        def tagged(tag: str, folder: str) -> list[str]:
            return [p["id"] for p in projects if tag in (p.get("system_tags") or []) and p.get("basename") != folder]

        ids = [p["id"] for p in projects]
        return ids, tagged(PIPELINE_TAG, PIPELINES_PROJECT), tagged(DATASET_TAG, DATASETS_PROJECT)

    def validate_delete(self, company_id: str, project_id: str) -> dict[str, int]:
        ids, pipelines, datasets = self._tree(company_id, project_id)
        active = {"system_tags": {"$nin": [ARCHIVED]}}
        controllers = {"type": "controller", **active}
        answer = {
            "pipelines": len(self._tasks.projects_holding(pipelines, controllers)) if pipelines else 0,
            "datasets": len(self._tasks.projects_holding(datasets, active)) if datasets else 0,
        }
        regular = [i for i in ids if i not in set(pipelines) | set(datasets)]
        not_reports = {"system_tags": {"$nin": [REPORTS_TAG]}}
        reports = {"system_tags": REPORTS_TAG}
        counts: dict[str, tuple[TaskRepository | ModelRepository, dict[str, Any]]] = {
            "tasks": (self._tasks, not_reports),
            "non_archived_tasks": (self._tasks, {"system_tags": {"$nin": [REPORTS_TAG, ARCHIVED]}}),
            "models": (self._models, {}),
            "non_archived_models": (self._models, active),
            "reports": (self._tasks, reports),
            "non_archived_reports": (self._tasks, {"$and": [reports, active]}),
        }
        for key, (repository, query) in counts.items():
            answer[key] = repository.count_in_projects(regular, query) if regular else 0
        return answer

    def delete(self, company_id: str, project_id: str, force: bool, delete_contents: bool) -> dict[str, Any]:
        """Delete the project and its descendants. Without ``force``: refused while a
        pipeline has an active controller (400/413), a dataset a version (400/406), or
        another project of the tree active tasks (400/402) or models (400/405)."""
        ids, pipelines, datasets = self._tree(company_id, project_id)
        active = {"system_tags": {"$nin": [ARCHIVED]}}
        if not force:
            if pipelines and self._tasks.projects_holding(pipelines, {"type": "controller", **active}):
                raise errors.PROJECT_HAS_PIPELINES(
                    "please archive all the controllers or use force=true", id=project_id
                )
            if datasets and self._tasks.projects_holding(datasets, active):
                raise errors.PROJECT_HAS_DATASETS(
                    "please delete all the dataset versions or use force=true", id=project_id
                )
            regular = [i for i in ids if i not in set(pipelines) | set(datasets)]
            holders: tuple[tuple[TaskRepository | ModelRepository, errors.ErrorKind], ...] = (
                (self._tasks, errors.PROJECT_HAS_TASKS),
                (self._models, errors.PROJECT_HAS_MODELS),
            )
            for repository, error in holders:
                if regular and repository.projects_holding(regular, active):
                    raise error("use force=true", id=project_id)
        answer: dict[str, Any] = {"disassociated_tasks": 0, "deleted_models": 0, "deleted_tasks": 0}
        if delete_contents:
            answer |= self._delete_contents(company_id, ids)
        else:
            answer["disassociated_tasks"] = self._tasks.leave_projects(ids)
            self._models.leave_projects(ids)
        answer["deleted"] = self._projects.delete_ids(ids)
        return answer

    def _delete_contents(self, company_id: str, ids: Sequence[str]) -> dict[str, Any]:
        """Delete the models and tasks of the projects with their events; references from
        outside the projects are cleared (a parent task, a creating task) or point at
        ``__DELETED__<id>`` (an input model, a published task's output model)."""
        models = self._models.in_projects(ids, ["uri", "task"])
        model_ids = [m["id"] for m in models]
        outside = {"project": {"$nin": list(ids)}}
        for model_id in model_ids:
            self._tasks.replace_input_model(outside, model_id, f"__DELETED__{model_id}")
        tasks = self._tasks.in_projects(ids, ["execution.artifacts"])
        task_ids = [t["id"] for t in tasks]
        self._tasks.detach("parent", task_ids, ids)
        self._models.detach("task", task_ids, ids)
        artifact_urls: set[str] = set()
        for task in tasks:
            artifacts = (task.get("execution") or {}).get("artifacts") or []
            values = artifacts.values() if isinstance(artifacts, dict) else artifacts
            artifact_urls.update(
                a["uri"] for a in values if isinstance(a, dict) and a.get("mode") == "output" and a.get("uri")
            )
        if task_ids or model_ids:
            self._delete_events(company_id, task_ids + model_ids)
        return {
            "deleted_models": self._models.delete_in_projects(ids) if model_ids else 0,
            "deleted_tasks": self._tasks.delete_in_projects(ids) if task_ids else 0,
            "urls": {
                "model_urls": sorted({str(m["uri"]) for m in models if m.get("uri")}),
                "artifact_urls": sorted(artifact_urls),
            },
        }

    # --- reading ------------------------------------------------------------------------

    def children_of(self, project_ids: Sequence[str], search_hidden: bool) -> dict[str, list[dict[str, Any]]]:
        """Each project's descendants (any depth), hidden ones only with ``search_hidden``."""
        query = {} if search_hidden else {"system_tags": {"$nin": [HIDDEN]}}
        found = self._projects.descendants(project_ids, query)
        return {pid: [c for c in found if pid in (c.get("path") or [])] for pid in project_ids}
