"""The reports.* rules (API 2.23): a report is a task of type ``report`` with the system
tags ``hidden`` and ``reports``, its text in ``report`` and the external files it uses in
``report_assets``. It lives in the hidden project ``<project>/.reports`` of the project it
belongs to (``.reports`` for the root), made on first use and deleted when its last
report leaves. Subprojects are projects named ``<parent>/<name>`` here: the ``.reports``
project is found and made by that full name (docs/reports.md).

``get_task_data`` chooses tasks (or models) with the get_all filters and answers the
event data a report embeds, read by the events readers (``bll/events``)."""

from __future__ import annotations

import re
import textwrap
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ..database.repositories.projects import ProjectRepository
from ..database.repositories.reports import ReportRepository
from ..database.vocabulary import TaskStatus, TaskType, new_id, utcnow
from ..protocol import errors
from ..protocol.versions import Version
from .auth.identity import Identity
from .events.bll import EventsBLL
from .events.reading import DEBUG_IMAGE
from .events.tasks import events_company
from .models import ModelBLL
from .organization import public_or_company, writable
from .patterns import literal
from .project_tree import ProjectTree, with_descendants
from .scroll import Scroll
from .task.access import TaskAccess
from .task.state_machine import StatusChange, apply_status_change
from .task.task_bll import TaskBLL

REPORTS_PROJECT = ".reports"
REPORTS_TAG = "reports"
HIDDEN = "hidden"
ARCHIVED = "archived"
#: What update changes; a published report only the first three.
UPDATABLE = ("name", "tags", "comment", "report", "report_assets")
_PUBLISHED_UPDATABLE = {"name", "tags", "comment"}
#: The event sections of get_task_data, none of them a task filter.
SECTIONS = ("debug_images", "plots", "scalar_metrics_iter_histogram", "single_value_metrics")
#: What search_text searches in a report (as the reference's text index, for reports).
TEXT_FIELDS = ("_id", "name", "comment", "report")
_NOT_FILTERS = (*SECTIONS, "model_events", "search_hidden", "include_subprojects", "allow_public")


def reports_project_name(project_name: str) -> str:
    """The ``.reports`` project of the project named so (the root: ``""``); a ``.reports``
    project's own name is kept."""
    name = project_name.strip("/")
    if name.rpartition("/")[2] == REPORTS_PROJECT:
        return name
    return f"{name}/{REPORTS_PROJECT}" if name else REPORTS_PROJECT


class ReportBLL:
    def __init__(
        self,
        tasks: TaskBLL,
        access: TaskAccess,
        reports: ReportRepository,
        projects: ProjectRepository,
        models: ModelBLL,
        events: EventsBLL,
        tree: ProjectTree,
    ) -> None:
        """``tree``: files a new ``.reports`` project in the project tree (API 2.13)."""
        self._tree = tree
        self._tasks = tasks
        self._access = access
        self._reports = reports
        self._projects = projects
        self._models = models
        self._events = events

    # --- the report and its project ------------------------------------------------------

    def _report_for_write(self, company_id: str, task_id: str) -> dict[str, Any]:
        """The caller's own report (400/101 for no such task, 403/21 for a public one,
        400/150 for a task that is not a report)."""
        task = self._access.get_for_write(company_id, task_id, ("type", "system_tags"))
        if task.get("type") != TaskType.report:
            raise errors.OPERATION_SUPPORTED_ON_REPORTS_ONLY(id=task_id)
        return task

    def _project_name(self, company_id: str, project_id: str) -> str:
        """The name of a project the caller may write to (400/401, 403/21)."""
        writable(self._projects, company_id, project_id, errors.INVALID_PROJECT_ID)
        project = self._projects.get(project_id, fields=("name",)) or {}
        return str(project.get("name") or "")

    def _find_or_create(self, identity: Identity, name: str, system_tags: Sequence[str], description: str) -> str:
        found = list(self._projects.find({"company": identity.company, "name": name}, {"_id": 1}, limit=1))
        if found:
            return str(found[0]["_id"])
        # made in the tree: under its project (parent, path), renamed and moved with it
        extra = {"description": description, "system_tags": sorted(system_tags)}
        project = self._tree.ensure(identity.company, identity.user, name, extra)
        assert project is not None  # a .reports name is never empty
        return str(project["id"])

    def _reports_project(self, identity: Identity, project_name: str) -> str:
        return self._find_or_create(
            identity, reports_project_name(project_name), (REPORTS_TAG, HIDDEN), "Reports project"
        )

    def _drop_if_empty(self, company_id: str, project_id: str | None) -> None:
        """Delete a ``.reports`` project that holds no task any more."""
        if not project_id:
            return
        project = self._projects.get(project_id, {"company": company_id}, ("name",))
        name = str((project or {}).get("name") or "")
        if name.rpartition("/")[2] == REPORTS_PROJECT and not self._reports.count_in_project(project_id):
            self._projects.delete(project_id, company_id)

    # --- writing -------------------------------------------------------------------------

    def create(self, identity: Identity, request: Mapping[str, Any]) -> dict[str, Any]:
        project = request.get("project")
        project_name = self._project_name(identity.company, project) if project else ""
        project_id = self._reports_project(identity, project_name)
        now = utcnow()
        doc: dict[str, Any] = {
            "_id": new_id(),
            "company": identity.company,
            "user": identity.user,
            "name": _name(request["name"]),
            "type": TaskType.report,
            "status": TaskStatus.created,
            "project": project_id,
            "tags": sorted(set(request.get("tags") or ())),
            "system_tags": sorted((HIDDEN, REPORTS_TAG)),
            "created": now,
            "last_update": now,
            "last_change": now,
            "last_changed_by": identity.user,
        }
        for key in ("comment", "report", "report_assets"):
            if request.get(key) is not None:
                doc[key] = request[key]
        self._reports.insert(doc)
        self._access.touch_project(project_id)
        return {"id": doc["_id"], "project_id": project_id}

    def update(self, identity: Identity, request: Mapping[str, Any]) -> dict[str, Any]:
        task = self._report_for_write(identity.company, request["task"])
        fields = {k: request[k] for k in UPDATABLE if request.get(k) is not None}
        if not fields:
            return {"updated": 0}
        limited = set(fields) <= _PUBLISHED_UPDATABLE
        if task.get("status") != TaskStatus.created and not limited:
            raise errors.INVALID_TASK_STATUS(
                "a published report takes only name, tags and comment",
                expected=TaskStatus.created,
                status=task.get("status"),
            )
        if "name" in fields:
            fields["name"] = _name(fields["name"])
        if "tags" in fields:
            fields["tags"] = sorted(set(fields["tags"]))
        now = utcnow()
        written = {**fields, "last_change": now, "last_changed_by": identity.user}
        if not limited:
            written["last_update"] = now
        updated = self._reports.set_fields(task["id"], written)
        if "report" in fields:
            fields["report"] = textwrap.shorten(str(fields["report"]), width=100)
        return {"updated": updated, "fields": fields}

    def move(self, identity: Identity, request: Mapping[str, Any]) -> dict[str, Any]:
        task = self._report_for_write(identity.company, request["task"])  # an unknown id first: 400/101
        if "project" not in request and not request.get("project_name"):
            raise errors.MISSING_REQUIRED_FIELDS("project or project_name is required", field="project")
        name = request.get("project_name")
        if name:
            name = str(name).strip("/")
            if name.rpartition("/")[2] != REPORTS_PROJECT:  # the named project exists too
                self._find_or_create(identity, name, (), "")
        elif request.get("project"):
            name = self._project_name(identity.company, request["project"])
        project_id = self._reports_project(identity, name or "")
        previous = task.get("project")
        if previous != project_id:
            now = utcnow()
            self._reports.set_fields(
                task["id"], {"project": project_id, "last_change": now, "last_changed_by": identity.user}
            )
            self._access.touch_project(project_id)
            self._drop_if_empty(identity.company, previous)
        return {"project_id": project_id}

    def publish(self, identity: Identity, request: Mapping[str, Any]) -> dict[str, Any]:
        task = self._report_for_write(identity.company, request["task"])
        now = utcnow()
        change = StatusChange(
            TaskStatus.published,
            status_reason="",
            status_message=_message(request),
            force=True,
            set={"published": now, "last_change": now, "last_changed_by": identity.user},
        )
        result = apply_status_change(self._reports, task, change, now)
        self._access.touch_project(task.get("project"))
        return result

    def set_archived(self, identity: Identity, request: Mapping[str, Any], archived: bool) -> int:
        task = self._report_for_write(identity.company, request["task"])
        fields = {
            "status_message": _message(request),
            "status_reason": "",
            "last_change": utcnow(),
            "last_changed_by": identity.user,
        }
        return self._reports.set_archived(task["id"], archived, fields)

    def delete(self, identity: Identity, request: Mapping[str, Any]) -> dict[str, Any]:
        task = self._report_for_write(identity.company, request["task"])
        status = task.get("status")
        if status != TaskStatus.created and ARCHIVED not in (task.get("system_tags") or ()) and not request["force"]:
            raise errors.TASK_CANNOT_BE_DELETED(
                "due to status, use force=True", task=task["id"], expected=TaskStatus.created, current=status
            )
        self._reports.remove(task["id"], False, "")
        self._drop_if_empty(identity.company, task.get("project"))
        return {"deleted": 1}

    # --- reading -------------------------------------------------------------------------

    def get_tags(self, company_id: str) -> dict[str, list[str]]:
        found = self._reports.distinct("tags", {"company": company_id, "type": TaskType.report})
        return {"tags": sorted({t for t in found if isinstance(t, str)})}

    def get_all_ex(
        self, company_id: str, request: Mapping[str, Any], version: Version, include_subprojects: bool
    ) -> dict[str, Any]:
        """The reports the task get_all filters choose; ``project`` names projects whose
        ``.reports`` project is searched (with ``include_subprojects`` also those below
        their subprojects), or ``.reports`` projects themselves."""
        query = {k: v for k, v in request.items() if k not in ("allow_public", "include_subprojects")}
        query["type"] = [TaskType.report]
        projects = request.get("project")
        if projects is not None:
            ids = self._reports_projects_of(company_id, _as_list(projects), include_subprojects)
            if not ids:
                return {"tasks": []}
            query["project"] = ids
        text = query.pop("search_text", None)
        searched = {"$or": [{f: {"$regex": literal(text, "search_text")}} for f in TEXT_FIELDS]} if text else None
        allow_public = request.get("allow_public") is not False
        tasks, extra = self._task_listing(company_id, query, version, allow_public, searched)
        return {"tasks": tasks, **extra}

    def _task_listing(
        self,
        company_id: str,
        query: dict[str, Any],
        version: Version,
        allow_public: bool,
        condition: Mapping[str, Any] | None = None,
    ) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        """The tasks of a get_all_ex query (scrolled with ``size`` / ``scroll_id``) that
        also meet ``condition``, without public ones unless ``allow_public``."""
        scroll = Scroll.of(query)
        for key in ("scroll_id", "size", "refresh_scroll"):
            query.pop(key, None)
        if scroll:
            query = Scroll.ordered(query)
        conditions = [dict(c) for c in (condition, None if allow_public else {"company": company_id}) if c]
        tasks = self._tasks.get_all(
            company_id,
            query,
            version,
            joins=True,
            base_filter={"$and": conditions} if conditions else None,
            window=scroll.window if scroll else None,
        )
        return tasks, ({"scroll_id": scroll.next_id(len(tasks))} if scroll else {})

    def _projects_named(self, company_id: str, project_ids: Sequence[str]) -> dict[str, str]:
        found = self._projects.find({**public_or_company(company_id), "_id": {"$in": list(project_ids)}}, {"name": 1})
        return {str(p["_id"]): str(p.get("name") or "") for p in found}

    def _below(self, company_id: str, names: Sequence[str]) -> list[dict[str, Any]]:
        """The projects named below any of ``names`` (``<name>/...``)."""
        if not names:
            return []
        prefix = "|".join(re.escape(n) for n in names)
        query = {**public_or_company(company_id), "name": {"$regex": f"^({prefix})/"}}
        return list(self._projects.find(query, {"name": 1}))

    def _reports_projects_of(self, company_id: str, project_ids: list[Any], include_subprojects: bool) -> list[str]:
        named = self._projects_named(company_id, [str(p) for p in project_ids if p])
        chosen = {pid for pid, name in named.items() if name.rpartition("/")[2] == REPORTS_PROJECT}
        parents = [name for name in named.values() if name.rpartition("/")[2] != REPORTS_PROJECT]
        for project in self._below(company_id, parents):
            name = str(project.get("name") or "")
            if name.rpartition("/")[2] != REPORTS_PROJECT:
                continue
            if include_subprojects or name.rpartition("/")[0] in parents:
                chosen.add(str(project["_id"]))
        if None in project_ids or "" in project_ids:  # the root's
            root = self._projects.find({"company": company_id, "name": REPORTS_PROJECT}, {"_id": 1})
            chosen.update(str(p["_id"]) for p in root)
        return sorted(chosen)

    def get_task_data(
        self, company_id: str, request: Mapping[str, Any], version: Version, model_events: bool
    ) -> dict[str, Any]:
        """The tasks (with ``model_events`` the models) the get_all filters choose, without
        hidden ones unless ``search_hidden`` or ids are given, and the event sections
        asked for."""
        query = {k: v for k, v in request.items() if k not in _NOT_FILTERS}
        if not request.get("search_hidden") and not request.get("id"):
            system_tags = query.get("system_tags")
            query["system_tags"] = [*_as_list(system_tags), f"-{HIDDEN}"] if system_tags else [f"-{HIDDEN}"]
        if request.get("include_subprojects") and query.get("project"):
            query["project"] = with_descendants(self._projects, _as_list(query["project"]))
        allow_public = request.get("allow_public") is not False
        if model_events:
            query.pop("type", None)  # models have no type; the rest are the models' filters
            query["allow_public"] = allow_public
            tasks, extra = self._models.get_all_ex(company_id, query, version, scrolled=True)
        else:
            tasks, extra = self._task_listing(company_id, query, version, allow_public)
        result: dict[str, Any] = {"tasks": tasks, **extra}
        ids = [str(t["id"]) for t in tasks if t.get("id")]
        wanted = [section for section in SECTIONS if request.get(section) is not None]
        groups = self._by_events_company(company_id, ids, model_events) if wanted and ids else []
        for section in wanted:
            result[section] = self._section(company_id, section, request[section], groups, model_events)
        return result

    def _by_events_company(self, company_id: str, ids: list[str], model_events: bool) -> list[list[str]]:
        """The ids grouped by whose events they are (the caller's, or a public task's
        owner): the multi-task readers read one company's events at a time."""
        owners = self._events.owners.tasks_for_read(company_id, ids, model_events=model_events)
        groups: dict[str, list[str]] = {}
        for owner in owners:
            groups.setdefault(events_company(company_id, owner), []).append(str(owner["id"]))
        return list(groups.values())

    def _section(
        self, company_id: str, section: str, options: Mapping[str, Any], groups: list[list[str]], model_events: bool
    ) -> Any:
        metrics = {m["metric"]: list(m.get("variants") or ()) for m in options.get("metrics") or ()} or None
        if section == "debug_images":
            ids = [task for group in groups for task in group]
            return self._debug_images(company_id, ids, options["iters"], metrics, model_events)
        if section == "plots":
            return _merged(self._plots(company_id, ids, options, metrics, model_events) for ids in groups)
        if section == "scalar_metrics_iter_histogram":
            histograms = self._events.metrics
            return _merged(
                histograms.multi_task_histogram(
                    company_id, ids, options["samples"], options["key"], model_events, metrics
                )
                for ids in groups
            )
        scalars = self._events.scalars
        return [item for ids in groups for item in scalars.single_values(company_id, ids, None, model_events)]

    def _debug_images(
        self,
        company_id: str,
        ids: list[str],
        iters: int,
        metrics: dict[str, list[str]] | None,
        model_events: bool,
    ) -> list[dict[str, Any]]:
        """Per task and metric (the given ones, else each of the task's), the images of
        its last ``iters`` iterations: the first page of events.debug_images."""
        wanted: list[tuple[str, str, Sequence[str]]] = []
        for task_id in ids:
            if metrics is not None:
                wanted += [(task_id, metric, variants) for metric, variants in metrics.items()]
                continue
            names = self._events.metrics.metrics_and_variants(company_id, task_id, DEBUG_IMAGE, model_events)
            wanted += [(task_id, name, []) for name in sorted(names)]
        if not wanted:
            return []
        iterator = self._events.debug_images
        page = iterator.get(
            company_id,
            wanted,
            iters=iters,
            navigate_earlier=True,
            refresh=False,
            scroll_id=None,
            model_events=model_events,
        )
        iterator.forget(page["scroll_id"])  # one page only: no state is kept
        return list(page["metrics"])

    def _plots(
        self,
        company_id: str,
        ids: list[str],
        options: Mapping[str, Any],
        metrics: dict[str, list[str]] | None,
        model_events: bool,
    ) -> dict[str, Any]:
        reader = self._events.reader
        iters = options["iters"]
        if options.get("last_iters_per_task_metric"):  # 2.26
            found = reader.multi_task_plots_per_metric(company_id, ids, iters, None, model_events, metrics)
            return dict(found["plots"])
        plots = dict(reader.multi_task_plots(company_id, ids, iters, None, True, model_events)["plots"])
        if metrics is None:
            return plots
        chosen: dict[str, Any] = {}
        for metric, variants in metrics.items():
            if metric in plots:
                chosen[metric] = {v: p for v, p in plots[metric].items() if not variants or v in variants}
        return chosen


def _name(value: Any) -> str:
    name = str(value).strip()
    if len(name) < 3:
        raise errors.DATA_VALIDATION_ERROR("name must be at least 3 characters long", field="name")
    return name


def _message(request: Mapping[str, Any]) -> str:
    """The status message: the request's ``message`` (what the reference reads) or its
    ``comment`` (what the reference's schema declares)."""
    return str(request.get("message") or request.get("comment") or "")


def _merged(parts: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """The nested answers of several companies' reads ({metric: {variant: {task: ...}}})
    as one: dictionaries merged key by key, tasks never collide."""
    result: dict[str, Any] = {}
    for part in parts:
        for key, value in part.items():
            if isinstance(value, Mapping) and isinstance(result.get(key), dict):
                result[key] = _merged([result[key], value])
            else:
                result[key] = dict(value) if isinstance(value, Mapping) else value
    return result


def _as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list) else [value]
