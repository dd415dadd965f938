"""The lookups under projects (issue 16): the distinct values of a hyper-parameter or
of a model metadata key, the metadata keys, the projects' tags, the tasks' parents,
the users who created tasks or models (projects.*), and the entity counts of
``organization.get_entities_count``.

Scopes follow the reference (clearml-server v2.0.0): values, keys, parents and users
are read from the company's tasks and models and the public ones (``allow_public``
where the request has it); project tags from the company's own projects only. No
projects (absent or empty) means every project; an unknown project id is no error, it
only matches nothing. ``include_subprojects`` adds the projects whose ``path`` (their
ancestors' ids, the project tree's field) holds a requested one: until projects have
a tree there are none, and it changes nothing.

Decisions where the reference's answer is an accident of its aggregation: ``total`` is
the number of distinct values or keys over every page (the reference counts the page's),
``remaining`` the number after this page; a negative ``page`` reads the first page and a
``page_size`` below 1 one value per page, as the reference clamps them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ..database.repositories import CollectionReader
from ..database.repositories.models import ModelRepository
from ..database.repositories.projects import ProjectRepository
from ..database.repositories.tasks import TaskRepository
from ..database.repositories.users import UserRepository
from ..protocol import errors
from ..protocol.versions import Version
from ..schema import SchemaRepo
from . import metadata
from .models import FILTERABLE as MODEL_FILTERABLE
from .models import SPEC as MODEL_QUERY
from .organization import public_or_company
from .patterns import pattern
from .project_tree import with_descendants
from .projects import FILTERABLE as PROJECT_FILTERABLE
from .projects import SPEC as PROJECT_QUERY
from .query import QuerySpec, build_filter, split_filters
from .task.params import escape_key, escape_path, unescape_key
from .task.task_bll import FILTERABLE as TASK_FILTERABLE
from .task.task_bll import TASK_QUERY

ARCHIVED = "archived"
HIDDEN = "hidden"
REPORT_TYPE = "report"

# organization.get_entities_count: the request key → which get_all filter it is
_COUNTED: dict[str, tuple[str, QuerySpec]] = {
    "projects": ("projects", PROJECT_QUERY),
    "tasks": ("tasks", TASK_QUERY),
    "models": ("models", MODEL_QUERY),
    "pipelines": ("projects", PROJECT_QUERY),
    "datasets": ("projects", PROJECT_QUERY),
    "reports": ("tasks", TASK_QUERY),
}
#: the fields a filter's ``filters`` (2.27, as its service's get_all_ex) may name, and
#: their stored paths
_FILTERABLE: dict[str, tuple[tuple[str, ...], Callable[[str], str]]] = {
    "tasks": (TASK_FILTERABLE, escape_path),
    "projects": (PROJECT_FILTERABLE, str),
    "models": (MODEL_FILTERABLE, metadata.escape_path),
}
# the kinds whose hidden entities are counted only with search_hidden (the reference's)
_HIDING = ("projects", "tasks")

_DIGITS = re.compile(r"(\d+)")


def natural_key(value: str) -> tuple[Any, ...]:
    """Orders strings as the reference's numeric collation does: runs of digits compare
    as numbers ("2" < "10", "v9" < "v10"), the rest case-insensitively first."""
    parts = _DIGITS.split(value)
    key: list[Any] = []
    for index, part in enumerate(parts):
        if index % 2:
            key.append((0, int(part), ""))
        elif part:
            key.append((1, 0, part.casefold()))
    return (tuple(key), value)


def _page(values: Sequence[Any], page: int, page_size: int) -> tuple[list[Any], int]:
    """The page's items (negative pages read the first, sizes below 1 are 1) and how
    many follow it."""
    page, page_size = max(0, int(page)), max(1, int(page_size))
    start = page * page_size
    chosen = list(values[start : start + page_size])
    return chosen, max(0, len(values) - start - len(chosen))


class ProjectLookups:
    def __init__(
        self,
        schemas: SchemaRepo,
        projects: ProjectRepository,
        tasks: TaskRepository,
        models: ModelRepository,
        users: UserRepository,
    ) -> None:
        self._schemas = schemas
        self._projects = projects
        self._tasks = tasks
        self._models = models
        self._users = users

    # --- scopes ------------------------------------------------------------------------

    def _in_projects(self, project_ids: Sequence[str] | None, include_subprojects: bool) -> dict[str, Any]:
        """The clause of entities in these projects ({} for every project)."""
        if not project_ids:
            return {}
        ids = list(dict.fromkeys(project_ids))
        if include_subprojects:
            ids = with_descendants(self._projects, ids)
        return {"project": {"$in": ids}}

    @staticmethod
    def _company(company_id: str, allow_public: bool) -> dict[str, Any]:
        return public_or_company(company_id) if allow_public else {"company": company_id}

    # --- distinct values ---------------------------------------------------------------

    def _distinct_values(
        self, reader: CollectionReader, query: dict[str, Any], path: str, value_pattern: Any = None
    ) -> list[str]:
        """The distinct string ``value`` of the item at ``path`` (an escaped dotted path)
        in the documents, in numeric order."""
        found: set[str] = set()
        for doc in reader.find({**query, path: {"$exists": True}}, {path: 1}):
            item: Any = doc
            for part in path.split("."):
                item = item.get(part) if isinstance(item, Mapping) else None
            value = item.get("value") if isinstance(item, Mapping) else None
            if isinstance(value, str) and (value_pattern is None or value_pattern.search(value)):
                found.add(value)
        return sorted(found, key=natural_key)

    def hyperparam_values(self, company_id: str, request: Mapping[str, Any]) -> dict[str, Any]:
        """projects.get_hyperparam_values: the values of ``hyperparams.<section>.<name>``."""
        query = {
            **self._company(company_id, request.get("allow_public", True)),
            **self._in_projects(request.get("projects"), request.get("include_subprojects", True)),
        }
        path = f"hyperparams.{escape_key(request['section'])}.{escape_key(request['name'])}"
        text = request.get("pattern")
        matcher = pattern(text, "pattern", ignore_case=True) if text else None
        values = self._distinct_values(self._tasks, query, path, matcher)
        chosen, _ = _page(values, request.get("page", 0), request.get("page_size", 500))
        return {"total": len(values), "values": chosen}

    def model_metadata_values(self, company_id: str, request: Mapping[str, Any]) -> dict[str, Any]:
        """projects.get_model_metadata_values: the values of the models' ``metadata.<key>``."""
        query = {
            **self._company(company_id, request.get("allow_public", True)),
            **self._in_projects(request.get("projects"), request.get("include_subprojects", True)),
        }
        path = f"{metadata.FIELD}.{escape_key(request['key'])}"
        values = self._distinct_values(self._models, query, path)
        chosen, _ = _page(values, request.get("page", 0), request.get("page_size", 500))
        return {"total": len(values), "values": chosen}

    def model_metadata_keys(self, company_id: str, request: Mapping[str, Any]) -> dict[str, Any]:
        """projects.get_model_metadata_keys: the models' metadata keys, sorted, paged."""
        project = request.get("project")
        query = {
            **public_or_company(company_id),
            **self._in_projects([project] if project else None, request.get("include_subprojects", True)),
        }
        keys: set[str] = set()
        for doc in self._models.find(query, {metadata.FIELD: 1}):
            stored = doc.get(metadata.FIELD)
            if isinstance(stored, Mapping):
                keys.update(unescape_key(k) for k in stored if isinstance(k, str))
        ordered = sorted(keys)
        chosen, remaining = _page(ordered, request.get("page", 0), request.get("page_size", 500))
        return {"total": len(ordered), "remaining": remaining, "keys": chosen}

    # --- tags, parents, users ----------------------------------------------------------

    def project_tags(self, company_id: str, request: Mapping[str, Any]) -> dict[str, list[str]]:
        """projects.get_project_tags: the tags (and system tags with ``include_system``;
        else an empty list) of the company's projects, those of ``projects`` and under
        them when given, matching the tag filter when given."""
        tag_filter = {k: v for k, v in (request.get("filter") or {}).items() if k in ("tags", "system_tags") and v}
        query = build_filter(company_id, tag_filter, PROJECT_QUERY, allow_public=False)
        if request.get("projects"):
            within = with_descendants(self._projects, list(dict.fromkeys(request["projects"])))
            query = {"$and": [query, {"_id": {"$in": within}}]}
        fields = ("tags", "system_tags") if request.get("include_system") else ("tags",)
        result: dict[str, list[str]] = {"tags": [], "system_tags": []}
        for field in fields:
            result[field] = sorted({v for v in self._projects.distinct(field, query) if isinstance(v, str)})
        return result

    def task_parents(self, company_id: str, request: Mapping[str, Any]) -> list[dict[str, Any]]:
        """projects.get_task_parents: the distinct parents of the tasks in the projects
        (in ``tasks_state``), ``{id, name, project: {id, name}}`` by name."""
        clauses: list[dict[str, Any]] = [
            public_or_company(company_id),
            self._in_projects(request.get("projects"), request.get("include_subprojects", True)),
        ]
        state = request.get("tasks_state")
        if state == ARCHIVED:
            clauses.append({"system_tags": {"$in": [ARCHIVED]}})
        elif state is not None:
            clauses.append({"system_tags": {"$nin": [ARCHIVED]}})
        query = {"$and": [c for c in clauses if c]}
        name = request.get("task_name")
        name_pattern = pattern(name, "task_name") if name else None  # checked even when nothing matches
        parent_ids = [p for p in self._tasks.distinct("parent", query) if isinstance(p, str) and p]
        if not parent_ids:
            return []
        parent_query: dict[str, Any] = {"_id": {"$in": parent_ids}, **public_or_company(company_id)}
        if name_pattern is not None:
            parent_query = {"$and": [parent_query, {"name": {"$regex": name_pattern}}]}
        parents = list(self._tasks.find(parent_query, {"name": 1, "project": 1}))
        project_ids = list({p["project"] for p in parents if isinstance(p.get("project"), str)})
        names = {d["_id"]: d.get("name") for d in self._projects.find({"_id": {"$in": project_ids}}, {"name": 1})}
        result = []
        for parent in parents:
            entry: dict[str, Any] = {"id": parent["_id"], "name": parent.get("name") or ""}
            project = parent.get("project")
            if isinstance(project, str) and project:
                entry["project"] = {"id": project, **({"name": names[project]} if names.get(project) else {})}
            result.append(entry)
        return sorted(result, key=lambda p: (p["name"], p["id"]))

    def user_names(self, company_id: str, request: Mapping[str, Any]) -> list[dict[str, str]]:
        """projects.get_user_names: who created the tasks (or models) of the projects,
        ``{id, name}`` by name."""
        reader = self._models if request.get("entity") == "model" else self._tasks
        query = {
            **public_or_company(company_id),
            **self._in_projects(request.get("projects"), request.get("include_subprojects", True)),
        }
        user_ids = [u for u in reader.distinct("user", query) if isinstance(u, str) and u]
        if not user_ids:
            return []
        users = [
            {"id": d["_id"], **({"name": d["name"]} if isinstance(d.get("name"), str) else {})}
            for d in self._users.find({"_id": {"$in": user_ids}}, {"name": 1})
        ]
        return sorted(users, key=lambda u: (u.get("name", ""), u["id"]))

    # --- organization.get_entities_count -------------------------------------------------

    def entities_count(self, company_id: str, request: Mapping[str, Any], version: Version) -> dict[str, int]:
        """For each kind the request holds a filter for, how many match it (the get_all
        filter of its service, checked against that service's get_all_ex request)."""
        allow_public = request.get("allow_public", True) is not False
        users = [u for u in request.get("active_users") or () if isinstance(u, str)]
        result: dict[str, int] = {}
        for kind, (service, spec) in _COUNTED.items():
            criteria = request.get(kind)
            if criteria is None:
                continue
            data = self._checked(f"{service}.get_all_ex", kind, criteria, version)
            clauses: list[dict[str, Any]] = []
            filterable, path = _FILTERABLE[service]
            data, condition = split_filters(data, version, filterable, path, f"{kind}.")
            clauses.extend([condition] if condition is not None else [])
            if kind == "reports":
                data["type"] = [REPORT_TYPE]
            if service != "projects" and (kind == "reports" or data.get("include_subprojects")):
                data = self._with_subproject_filter(data)
            if kind in _HIDING and not request.get("search_hidden"):
                clauses.append({"system_tags": {"$nin": [HIDDEN]}})
            if service == "models":
                data = metadata.escape_request(data)
                found = metadata.filter_of(data)
                clauses.extend([found] if found else [])
            if users and service == "projects":
                ids = self._active_projects(company_id, users, allow_public)
                if not ids:
                    result[kind] = 0
                    continue
                clauses.append({"_id": {"$in": ids}})
            elif users and not data.get("user"):
                data["user"] = users
            query = build_filter(company_id, data, spec, allow_public=allow_public)
            reader = {"projects": self._projects, "tasks": self._tasks, "models": self._models}[service]
            result[kind] = sum(1 for _ in reader.find({"$and": [query, *clauses]}, {"_id": 1}))
        return result

    def _with_subproject_filter(self, data: dict[str, Any]) -> dict[str, Any]:
        """The filter with its ``project`` ids and the projects under them (reports
        always, as the reference; tasks and models with ``include_subprojects``). A
        filter's excluded or null values stay as they are."""
        value = data.get("project")
        ids = [value] if isinstance(value, str) else value
        if not isinstance(ids, list) or not ids:
            return data
        return {**data, "project": with_descendants(self._projects, ids)}

    def _active_projects(self, company_id: str, users: Sequence[str], allow_public: bool) -> list[str]:
        """The projects the users created or created a task or a model in, with their
        ancestors (their ``path``, in a project tree)."""
        query = {**self._company(company_id, allow_public), "user": {"$in": list(users)}}
        ids = {d["_id"] for d in self._projects.find(query, {"_id": 1})}
        for reader in (self._tasks, self._models):
            ids.update(p for p in reader.distinct("project", query) if isinstance(p, str) and p)
        for doc in self._projects.find({"_id": {"$in": list(ids)}, "path": {"$exists": True}}, {"path": 1}):
            ids.update(p for p in doc.get("path") or () if isinstance(p, str))
        return sorted(ids)

    def _checked(self, action: str, kind: str, criteria: Any, version: Version) -> dict[str, Any]:
        """The criteria as a checked get_all filter: shaped and validated as ``action``'s
        request at ``version`` (400/12 naming ``<kind>.<field>``)."""
        if not isinstance(criteria, Mapping):
            raise errors.VALIDATION_ERROR(f"field {kind}: expected an object", field=kind)
        schema = self._schemas.action(action)
        data = dict(criteria)
        if schema is None:
            return data
        return schema.block_for(version).checked(data, under=(kind,))
