"""The projects.* rules: names unique per company, delete guards, task statistics; from
API 2.13 the project tree (bll/project_tree.py), from 2.14 hidden projects."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from ..database.repositories.models import ModelRepository
from ..database.repositories.projects import ProjectRepository
from ..database.repositories.tasks import TaskRepository
from ..database.repositories.users import UserRepository
from ..database.vocabulary import TaskStatus, new_id, utcnow
from ..protocol import errors
from ..protocol.versions import V2_10, V2_13, V2_14, Version
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
from .project_children import STATS_FILTERS, child_filter, dataset_filter, select, stats_filter, tags_filter
from .project_tree import HIDDEN, TREE_FIELDS, ProjectTree, with_descendants
from .query import FILTERS_VERSION, QuerySpec, field_filter, get_all_docs, split_filters
from .scroll import Scroll
from .task.params import unescape_key

ARCHIVED = "archived"
#: get_all / get_all_ex scroll (size, scroll_id, refresh_scroll) from 2.15; get_all_ex's
#: stats_with_children from 2.16
SCROLL_VERSION = Version(2, 15)
STATS_CHILDREN_VERSION = Version(2, 16)
#: get_all_ex's include_stats_filter from 2.17, include_dataset_stats from 2.20
STATS_FILTER_VERSION = Version(2, 17)
DATASET_STATS_VERSION = Version(2, 20)
#: get_all_ex's allow_public from 2.23, children_type from 2.24, children_tags from 2.25
ALLOW_PUBLIC_VERSION = Version(2, 23)
CHILDREN_TYPE_VERSION = Version(2, 24)
CHILDREN_TAGS_VERSION = Version(2, 25)
STATES = ("active", "archived")
EDITABLE = ("name", "description", "tags", "system_tags", "default_output_destination")
SPEC = QuerySpec(
    pattern_fields=("name", "description"),
    list_fields=("tags", "system_tags", "id"),
    text_fields=("name", "_id", "description"),  # what the reference's text index covers
)
#: from 2.13: the tree's filters (``parent`` and ``path`` list filters, ``basename`` exact)
TREE_SPEC = QuerySpec(
    pattern_fields=SPEC.pattern_fields,
    list_fields=(*SPEC.list_fields, "parent", "path"),
    fields=("basename",),
    text_fields=SPEC.text_fields,
)
#: the fields get_all_ex's ``filters`` (2.27) may name, as the reference's project list fields
FILTERABLE = ("id", "tags", "system_tags", "parent", "path")
# only these task types count towards a project's run time (as in the reference)
_RUNTIME_TYPES = ("training", "testing")
#: a task completed and then queued, running or failed again does not count as recently completed
_NOT_RECENTLY_COMPLETED = (TaskStatus.queued, TaskStatus.in_progress, TaskStatus.failed)


def check_name(fields: dict[str, Any]) -> None:
    """Names are stripped and at least 3 characters long (400/800 otherwise)."""
    if "name" in fields:
        fields["name"] = fields["name"].strip()
        if len(fields["name"]) < 3:
            raise errors.DATA_VALIDATION_ERROR("name must be at least 3 characters long", field="name")


class ProjectBLL:
    def __init__(
        self,
        org: OrgBLL,
        projects: ProjectRepository,
        tasks: TaskRepository,
        models: ModelRepository,
        users: UserRepository,
        max_depth: int,
        delete_events: Callable[[str, list[str]], int],
    ) -> None:
        """``max_depth``: the deepest project path (services.projects.sub_projects.max_depth);
        ``delete_events``: deletes the events of tasks and models (projects.delete with
        ``delete_contents``)."""
        self.org = org
        self._projects = projects
        self._tasks = tasks
        self._models = models
        # references get_all_ex can join (``only_fields: ["user.name"]``)
        self._refs: dict[str, Any] = {"user": users}
        self._tree_refs: dict[str, Any] = {"user": users, "parent": projects}
        self.tree = ProjectTree(projects, tasks, models, max_depth, delete_events)

    def create(self, identity: Identity, request: Mapping[str, Any], version: Version) -> str:
        """From 2.13 a name with '/' is a path: the missing ancestors are created."""
        fields = {k: request[k] for k in EDITABLE if k in request}
        conform_tags_in("project", fields, version)
        parent = None
        if version >= V2_13:
            parent = self.tree.prepare_create(identity.company, identity.user, fields)
        else:
            check_name(fields)
            fields |= {"basename": fields["name"], "parent": None, "path": []}
        now = utcnow()
        project_id = self._projects.create(
            {"id": new_id(), "user": identity.user, "company": identity.company, "created": now, "last_update": now}
            | fields
        )
        if parent:
            self._projects.touch(parent, now)
        return project_id

    def get_by_id(self, company_id: str, project_id: str, version: Version) -> dict[str, Any]:
        doc = self._projects.get(project_id, public_or_company(company_id))
        if not doc:
            raise errors.INVALID_PROJECT_ID(id=project_id)
        return _tree_out(for_output(doc, version), version, keep_path=True)

    def listing(self, company_id: str, request: Mapping[str, Any], version: Version, ex: bool) -> dict[str, Any]:
        """The answer of get_all (``ex``: get_all_ex): the projects, and from 2.15 with
        ``size`` or a ``scroll_id`` one page of them and the next page's ``scroll_id``."""
        scroll = Scroll.of(request) if version >= SCROLL_VERSION else None
        if scroll:
            request = Scroll.ordered(request)
        window = scroll.window if scroll else None
        if ex:
            projects = self.get_all_ex(company_id, request, version, window=window)
        else:
            projects = self.get_all(company_id, request, version, window=window)
        return {"projects": projects, **({"scroll_id": scroll.next_id(len(projects))} if scroll else {})}

    def get_all(
        self,
        company_id: str,
        request: Mapping[str, Any],
        version: Version,
        *,
        by_id: bool | None = None,
        window: tuple[int, int] | None = None,
        allow_public: bool = True,
        condition: Mapping[str, Any] | None = None,
    ) -> list[dict[str, Any]]:
        """``by_id``: whether the caller named ids (then hidden projects are listed too);
        by default, whether the request filters by id. ``window``: (skip, limit) of a
        scroll. ``allow_public``: false lists the company's own projects only.
        ``condition``: one more that every project meets (get_all_ex's ``filters``)."""
        request = conform_tag_filter("project", request, version)
        spec = SPEC
        base: dict[str, Any] | None = None
        by_id = bool(request.get("id")) if by_id is None else by_id
        if version >= V2_13:
            request, spec = _tree_search(request), TREE_SPEC
            if version >= V2_14 and not request.get("search_hidden") and not by_id:
                base = {"system_tags": {"$nin": [HIDDEN]}}
        if condition is not None:
            base = {"$and": [base, dict(condition)]} if base else dict(condition)
        docs = get_all_docs(
            self._projects, company_id, request, spec, allow_public=allow_public, base_filter=base, window=window
        )
        only = request.get("only_fields") or ()
        keep_path, fill = "path" in only, not only or "basename" in only
        return [_tree_out(for_output(d, version), version, keep_path, fill) for d in docs]

    def get_all_ex(
        self, company_id: str, request: Mapping[str, Any], version: Version, window: tuple[int, int] | None = None
    ) -> list[dict[str, Any]]:
        """get_all with joins; from 2.13 ``active_users``, ``check_own_contents`` and
        statistics over each project's descendants; from 2.14 hidden projects marked;
        from 2.24 ``children_type`` (2.25 ``children_tags``); from 2.27 ``filters`` and
        ``children_tags_filter`` (which replaces ``children_tags``)."""
        named = request.get("filters") if version >= FILTERS_VERSION else None
        request, condition = split_filters(request, version, FILTERABLE)
        if isinstance(named, dict) and named.get("parent") is not None:
            # filters.parent replaces the tree search's parent, shallow_search's top level too
            request.pop("shallow_search", None)
        users: list[str] = list(request.get("active_users") or []) if version >= V2_13 else []
        kind = request.get("children_type") if version >= CHILDREN_TYPE_VERSION else None
        tags = request.get("children_tags") if version >= CHILDREN_TAGS_VERSION else None
        given = request.get("children_tags_filter") if version >= FILTERS_VERSION else None
        if given:  # a condition (a dict) instead of a list filter: bll/project_children.py
            tags = field_filter("children_tags_filter", "tags", given)
        allow_public = not request.get("non_public")  # 2.1 non_public; 2.23 allow_public wins
        if version >= ALLOW_PUBLIC_VERSION and request.get("allow_public") is not None:
            allow_public = bool(request["allow_public"])
        selected: set[str] | None = None
        by_id = bool(request.get("id"))
        if users or kind:
            repositories = (self._projects, self._tasks, self._models)
            ids, selected = select(
                repositories,
                company_id,
                users=users,
                requested=request.get("id"),
                children_type=kind,
                children_tags=tags,
                allow_public=allow_public,
            )
            if not ids:
                return []
            request = {**request, "id": ids}
        projects = self._listed_ex(company_id, request, version, by_id, window, allow_public, condition)
        state = request.get("stats_for_state")
        if state is not None and state not in STATES:
            raise errors.FIELDS_VALUE_ERROR(stats_for_state=state)
        ids = [str(p["id"]) for p in projects if "id" in p]
        explicit = request.get("include_stats_filter") if version >= STATS_FILTER_VERSION else None
        chosen = stats_filter(explicit) if explicit is not None else None
        children = _Children(kind, tags, users, selected, chosen)
        if version >= V2_13 and request.get("check_own_contents") and ids:
            own = self._own_contents(company_id, ids, state, children)
            for project in projects:
                project.update(own.get(str(project.get("id")), {}))
        if request.get("include_stats") and projects:
            self._add_stats(company_id, projects, request, version, children)
        if version >= DATASET_STATS_VERSION and request.get("include_dataset_stats") and projects:
            found = self._dataset_runtime(company_id, ids, users)
            for project in projects:
                project["dataset_stats"] = found.get(str(project.get("id")))
        return projects

    def _dataset_runtime(self, company_id: str, ids: list[str], users: list[str]) -> dict[str, dict[str, int]]:
        """include_dataset_stats (2.20): the file count and size of each project's last
        updated active task that has a runtime (a dataset version's)."""
        query: dict[str, Any] = {
            **public_or_company(company_id),
            "project": {"$in": ids},
            "system_tags": {"$nin": [ARCHIVED]},
            "runtime": {"$exists": True},
        }
        if users:
            query["user"] = {"$in": users}
        latest: dict[str, dict[str, Any]] = {}
        for task in self._tasks.find(query, {"project": 1, "runtime": 1, "last_update": 1}):
            runtime = task.get("runtime")
            if not isinstance(runtime, dict) or not runtime:
                continue
            current = latest.get(task["project"])
            stamp = task.get("last_update")
            if current is None or (stamp is not None and (current["at"] is None or stamp >= current["at"])):
                latest[task["project"]] = {"at": stamp, "runtime": runtime}
        return {
            pid: {
                "file_count": int(found["runtime"].get("ds_file_count", 0) or 0),
                "total_size": int(found["runtime"].get("ds_total_size", 0) or 0),
            }
            for pid, found in latest.items()
        }

    def _listed_ex(
        self,
        company_id: str,
        request: Mapping[str, Any],
        version: Version,
        by_id: bool,
        window: tuple[int, int] | None,
        allow_public: bool,
        condition: Mapping[str, Any] | None = None,
    ) -> list[dict[str, Any]]:
        refs = self._tree_refs if version >= V2_13 else self._refs
        request, joins = split_joins(request, refs)
        mark_hidden = version >= V2_14 and bool(request.get("search_hidden"))
        only = list(request.get("only_fields") or [])
        drop_tags = mark_hidden and bool(only) and "system_tags" not in only
        if drop_tags:
            request = {**request, "only_fields": [*only, "system_tags"]}
        projects = self.get_all(
            company_id, request, version, by_id=by_id, window=window, allow_public=allow_public, condition=condition
        )
        apply_joins(projects, joins, refs)
        for project in projects:
            if version >= V2_13 and isinstance(project.get("parent"), str):
                project["parent"] = {"id": project["parent"]}  # expanded, as the reference does
            tags = project.pop("system_tags", None) if drop_tags else project.get("system_tags")
            if mark_hidden and HIDDEN in (tags or []):
                project["hidden"] = True
        return projects

    def _add_stats(
        self,
        company_id: str,
        projects: list[dict[str, Any]],
        request: Mapping[str, Any],
        version: Version,
        selection: _Children,
    ) -> None:
        state = request.get("stats_for_state")
        states = [s for s in STATES if state is None or s == state]
        ids = [str(p["id"]) for p in projects if "id" in p]
        children: dict[str, list[dict[str, Any]]] = {}
        with_children = version < STATS_CHILDREN_VERSION or request.get("stats_with_children", True)
        if version >= V2_13 and with_children:
            search_hidden = bool(request.get("search_hidden")) or selection.kind is not None
            children = self.tree.children_of(ids, search_hidden)
            if selection.selected is not None:
                children = {pid: [c for c in found if c["id"] in selection.selected] for pid, found in children.items()}
        members = {pid: [pid, *(c["id"] for c in children.get(pid, []))] for pid in ids}
        if selection.kind == "dataset":
            per_project = self._dataset_stats(company_id, members, selection)
        else:
            every = [m for group in members.values() for m in group]
            stats = self._stats(company_id, every, selection.users, selection.task_filter())
            per_project = {
                pid: {s: _summed([stats[m][s] for m in group if m in stats], version) for s in states}
                for pid, group in members.items()
            }
        for project in projects:
            pid = str(project.get("id"))
            project["stats"] = per_project.get(pid, {})
            if version >= V2_13:
                found = sorted(children.get(pid, []), key=lambda c: str(c["name"]))
                project["sub_projects"] = [{"id": c["id"], "name": c["name"]} for c in found]

    def _dataset_stats(
        self, company_id: str, members: Mapping[str, list[str]], selection: _Children
    ) -> dict[str, dict[str, Any]]:
        """children_type dataset: ``stats.datasets`` — how many dataset projects are
        below each project (in it or its descendants) and their tags."""
        every = [m for group in members.values() for m in group]
        base = child_filter(company_id, selection.users, selection.tags)
        query = {"$and": [dataset_filter(base), {"parent": {"$in": every}}]}
        found = list(self._projects.find(query, {"parent": 1, "tags": 1}))
        answer: dict[str, dict[str, Any]] = {}
        for pid, group in members.items():
            datasets = [d for d in found if d.get("parent") in set(group)]
            tags = sorted({t for d in datasets for t in d.get("tags") or []})
            answer[pid] = {"datasets": {"count": len(datasets), "tags": tags}}
        return answer

    def _own_contents(
        self, company_id: str, ids: list[str], state: str | None, selection: _Children
    ) -> dict[str, dict[str, int]]:
        """check_own_contents (2.13): each project's own tasks and models (not its
        descendants'), of the state asked for, of the active users and the children_type
        when given; with children_type dataset its own dataset projects instead."""
        if selection.kind == "dataset":
            base = child_filter(company_id, selection.users, selection.tags)
            counts = {pid: {"own_datasets": 0} for pid in ids}
            for doc in self._projects.find({"$and": [dataset_filter(base), {"parent": {"$in": ids}}]}, {"parent": 1}):
                counts[doc["parent"]]["own_datasets"] += 1
            return counts
        query: dict[str, Any] = {**public_or_company(company_id)}
        if state == ARCHIVED:
            query["system_tags"] = ARCHIVED
        elif state is not None:
            query["system_tags"] = {"$nin": [ARCHIVED]}
        if selection.users:
            query["user"] = {"$in": selection.users}
        extra = selection.task_filter()
        found: dict[str, dict[str, int]] = {pid: {"own_tasks": 0, "own_models": 0} for pid in ids}
        for key, repository in (("own_tasks", self._tasks), ("own_models", self._models)):
            scoped: dict[str, Any] = {**query, "project": {"$in": ids}}
            if extra and repository is self._tasks:
                scoped = {"$and": [scoped, extra]}
            elif extra:
                continue  # a pipeline or a report is a task: no model counts
            for doc in repository.find(scoped, {"project": 1}):
                found[doc["project"]][key] += 1
        return found

    def _stats(
        self,
        company_id: str,
        project_ids: list[str],
        users: Sequence[str] = (),
        extra: Mapping[str, Any] | None = None,
    ) -> dict[str, dict[str, Any]]:
        """Task counts per status and run time (seconds, completed − started) per
        project, separately for active and archived tasks (of ``users`` when given); with
        the total, the tasks completed in the last 24 hours (not queued, running or
        failed since) and the latest ``started`` (``last_task_run``)."""
        result: dict[str, dict[str, Any]] = defaultdict(lambda: {s: _empty_stats() for s in STATES})
        day_ago = utcnow() - timedelta(hours=24)
        query = {**public_or_company(company_id), "project": {"$in": project_ids}}
        if users:
            query["user"] = {"$in": list(users)}
        if extra:
            query = {"$and": [query, dict(extra)]}
        fields = {"project": 1, "status": 1, "system_tags": 1, "type": 1, "started": 1, "completed": 1}
        for task in self._tasks.find_for_reading(query, fields):  # only read: no copy per task
            system_tags = task.get("system_tags")
            state = ARCHIVED if isinstance(system_tags, list) and ARCHIVED in system_tags else "active"
            section = result[task["project"]][state]
            status = task.get("status") or TaskStatus.unknown
            section["status_count"][status] = section["status_count"].get(status, 0) + 1
            section["total_tasks"] += 1
            started, completed = task.get("started"), task.get("completed")
            if task.get("type") in _RUNTIME_TYPES and started and completed and completed > started:
                section["total_runtime"] += math.floor((completed - started).total_seconds())
            if completed and completed > day_ago and status not in _NOT_RECENTLY_COMPLETED:
                section["completed_tasks_24h"] += 1
            section["last_task_run"] = _latest(section["last_task_run"], started)
        return result

    def update(self, company_id: str, project_id: str, request: Mapping[str, Any], version: Version) -> dict[str, Any]:
        """From 2.13 a new name keeps the project's location and renames its descendants."""
        writable(self._projects, company_id, project_id, errors.INVALID_PROJECT_ID)
        fields = {k: request[k] for k in EDITABLE if k in request}
        if version < V2_13:
            check_name(fields)
        conform_tags_in("project", fields, version)
        old = self._projects.get(project_id, None, ["name"]) or {}
        renamed = version >= V2_13 and "name" in fields and fields["name"] != old.get("name")
        if renamed:
            fields.update(self.tree.rename(company_id, old, fields["name"]))
        fields["last_update"] = utcnow()
        updated = self._projects.update(project_id, company_id, fields)
        if renamed:
            self.tree.rename_descendants(project_id, str(old["name"]), fields["name"])
        conform_tags_out([fields], version)
        return {"updated": updated, "fields": fields}

    def move(self, identity: Identity, project_id: str, new_location: str | None) -> dict[str, int]:
        return {"moved": self.tree.move(identity.company, identity.user, project_id, new_location or "")}

    def merge(self, company_id: str, project_id: str, destination: str | None) -> dict[str, int]:
        return self.tree.merge(company_id, project_id, destination)

    def validate_delete(self, company_id: str, project_id: str) -> dict[str, int]:
        writable(self._projects, company_id, project_id, errors.INVALID_PROJECT_ID)
        return self.tree.validate_delete(company_id, project_id)

    def delete_tree(self, company_id: str, project_id: str, force: bool, delete_contents: bool) -> dict[str, Any]:
        """projects.delete from 2.13: the project with its descendants."""
        writable(self._projects, company_id, project_id, errors.INVALID_PROJECT_ID)
        return self.tree.delete(company_id, project_id, force, delete_contents)

    def delete(self, company_id: str, project_id: str, force: bool) -> dict[str, Any]:
        """Refused while active (non-archived) tasks or models are in the project, unless
        ``force``; then every task and model of the project is left without a project."""
        writable(self._projects, company_id, project_id, errors.INVALID_PROJECT_ID)
        holders: tuple[tuple[TaskRepository | ModelRepository, errors.ErrorKind], ...] = (
            (self._tasks, errors.PROJECT_HAS_TASKS),
            (self._models, errors.PROJECT_HAS_MODELS),
        )
        for repository, error in holders:
            if not force and repository.any_active_in_project(project_id):
                raise error("use force=true to delete", id=project_id)
        moved = self._tasks.leave_project(project_id)
        self._models.leave_project(project_id)
        deleted = self._projects.delete(project_id, company_id)
        return {"deleted": deleted, "disassociated_tasks": moved}

    def _in_project(self, project_id: str, include_subprojects: bool) -> Any:
        """A tasks filter on ``project``: the project, with its descendants'
        (``include_subprojects``, 2.13)."""
        if not include_subprojects:
            return project_id
        return {"$in": with_descendants(self._projects, [project_id])}

    def unique_metric_variants(
        self, company_id: str, project_id: str | None, include_subprojects: bool = False
    ) -> list[dict[str, str]]:
        """Every (metric, variant) pair in the ``last_metrics`` of the project's tasks
        (all projects without one; with ``include_subprojects`` its descendants' too), with
        the hashes used as keys there."""
        query: dict[str, Any] = public_or_company(company_id)
        if project_id:
            query["project"] = self._in_project(project_id, include_subprojects)
        found: dict[tuple[str, str], dict[str, str]] = {}
        for task in self._tasks.find(query, {"last_metrics": 1}):
            for metric_hash, variants in (task.get("last_metrics") or {}).items():
                for variant_hash, item in (variants or {}).items():
                    if not isinstance(item, dict) or "metric" not in item:
                        continue
                    metric, variant = str(item.get("metric")), str(item.get("variant"))
                    found.setdefault(
                        (metric, variant),
                        {
                            "metric": metric,
                            "metric_hash": metric_hash,
                            "variant": variant,
                            "variant_hash": variant_hash,
                        },
                    )
        return [found[k] for k in sorted(found)]

    def hyper_parameters(
        self, company_id: str, project_id: str | None, page: int, page_size: int, include_subprojects: bool = False
    ) -> dict[str, Any]:
        """The distinct (section, name) pairs of the tasks' hyper-parameters, sorted, paged
        (with ``include_subprojects`` the descendants' tasks too)."""
        query: dict[str, Any] = public_or_company(company_id)
        if project_id:
            query["project"] = self._in_project(project_id, include_subprojects)
        pairs: set[tuple[str, str]] = set()
        for task in self._tasks.find(query, {"hyperparams": 1}):
            for section, params in (task.get("hyperparams") or {}).items():
                pairs.update((section, name) for name in params or {})
        page, page_size = max(0, page), max(1, page_size)
        ordered = sorted(pairs)
        chosen = ordered[page * page_size : (page + 1) * page_size]
        return {
            "total": len(ordered),
            "remaining": max(0, len(ordered) - (page * page_size + len(chosen))),
            "parameters": [{"section": unescape_key(s), "name": unescape_key(n)} for s, n in chosen],
        }

    def active_users(self, company_id: str, project_ids: list[str], user_ids: list[str] | None) -> set[str]:
        """Who created tasks or models in these projects (any project when empty), for
        ``users.get_all_ex`` with ``active_in_projects``."""
        query: dict[str, Any] = {"company": company_id}
        if project_ids:  # with their subprojects (API 2.13 trees)
            query["project"] = {"$in": with_descendants(self._projects, project_ids)}
        if user_ids:
            query["user"] = {"$in": user_ids}
        users: set[str] = set()
        for repository in (self._tasks, self._models):
            users.update(u for u in repository.distinct("user", query) if isinstance(u, str))
        return users

    def get_tags(self, company_id: str, entity: str, request: Mapping[str, Any]) -> dict[str, list[str]]:
        return self.org.get_tags(
            company_id,
            [entity],
            include_system=bool(request.get("include_system")),
            tag_filter=request.get("filter"),
            projects=request.get("projects"),
        )

    def set_public(self, company_id: str, ids: Sequence[str], public: bool) -> dict[str, int]:
        return {"updated": self.org.set_public(self._projects, company_id, ids, errors.INVALID_PROJECT_ID, public)}


@dataclass(frozen=True)
class _Children:
    """get_all_ex's selection by children: ``kind`` (children_type), ``tags``
    (children_tags; from 2.27 children_tags_filter's condition, a dict), ``users``
    (active_users) and the projects selected (None: all)."""

    kind: str | None
    tags: Any
    users: list[str]
    selected: set[str] | None
    explicit: dict[str, Any] | None = None  # include_stats_filter (2.17), when sent

    def task_filter(self) -> dict[str, Any] | None:
        """What the statistics count: the include_stats_filter when sent, else a pipeline
        or report selection's tasks."""
        if self.explicit is not None:
            return self.explicit or None
        if self.kind not in STATS_FILTERS:
            return None
        kind = STATS_FILTERS[str(self.kind)]
        return {"$and": [kind, tags_filter(self.tags)]} if self.tags else dict(kind)


def _empty_stats() -> dict[str, Any]:
    return {
        "total_runtime": 0,
        "status_count": dict.fromkeys(TaskStatus.ALL, 0),
        "total_tasks": 0,
        "completed_tasks_24h": 0,
        "last_task_run": None,
    }


def _latest(a: datetime | None, b: Any) -> datetime | None:
    if not isinstance(b, datetime):
        return a
    return b if a is None or b > a else a


def _summed(sections: list[dict[str, Any]], version: Version) -> dict[str, Any]:
    """One project's statistics section with its descendants' added; below 2.10 only
    v0.16.1's ``total_runtime`` and ``status_count``."""
    total = _empty_stats()
    for section in sections:
        for key in ("total_runtime", "total_tasks", "completed_tasks_24h"):
            total[key] += section[key]
        total["last_task_run"] = _latest(total["last_task_run"], section["last_task_run"])
        for status, count in section["status_count"].items():
            total["status_count"][status] = total["status_count"].get(status, 0) + count
    if version < V2_10:
        return {k: total[k] for k in ("total_runtime", "status_count")}
    return total


def _tree_search(request: Mapping[str, Any]) -> dict[str, Any]:
    """A 2.13 get_all request as a filter: ``path`` is not filtered on directly; a
    ``parent`` matches at any depth (``path``), with ``shallow_search`` only the direct
    children (and without a ``parent`` the top level)."""
    request = {k: v for k, v in request.items() if k != "path"}
    if not request.get("shallow_search"):
        if "parent" in request:
            request["path"] = request.pop("parent")
    elif "parent" not in request:
        request["parent"] = [None]
    return request


def _tree_out(doc: dict[str, Any], version: Version, keep_path: bool, fill_basename: bool = True) -> dict[str, Any]:
    """Below 2.13 a project answers without its tree fields; from 2.13 without ``path``
    unless asked for (as the reference excludes it by default)."""
    if version < V2_13:
        for field in TREE_FIELDS:
            doc.pop(field, None)
        return doc
    if fill_basename and "name" in doc and "basename" not in doc:
        doc["basename"] = doc["name"]  # stored before the tree: a top-level project
    if not keep_path:
        doc.pop("path", None)
    return doc
