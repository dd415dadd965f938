"""API 2.27 ``filters`` of tasks.get_all_ex and projects.get_all_ex, and projects.get_all_ex's
``children_tags_filter``: per field ``any`` / ``all`` with ``include`` / ``exclude`` lists and
``op`` between the two parts (docs/tasks.md "Field filters", docs/projects.md)."""

from __future__ import annotations

import csv
import io
import uuid
from typing import Any

import pytest
from support.client import ApiClient

V = "2.27"


def _name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:6]}"


def _error(reply: Any, field: str) -> None:
    assert reply.code == (400, 12), reply.meta
    assert field in reply.meta["result_msg"], reply.meta


@pytest.fixture
def tasks(tenant: ApiClient) -> dict[str, str]:
    """Four tasks of one project: t1 tags a, b (training, system tag x, lr 0.1); t2 tag a
    (testing); t3 tag c; t4 no tags."""
    project = tenant.projects.create(name=_name("Filters"), description="")["id"]
    params = {"Args": {"lr": {"section": "Args", "name": "lr", "value": "0.1"}}}
    made = {
        "t1": {"tags": ["a", "b"], "type": "training", "system_tags": ["x"], "hyperparams": params},
        "t2": {"tags": ["a"], "type": "testing"},
        "t3": {"tags": ["c"], "type": "training"},
        "t4": {"type": "training"},
    }
    ids = {
        key: tenant.tasks.create(name=f"task {key}", project=project, **fields)["id"] for key, fields in made.items()
    }
    return {"project": project, **ids}


def _found(
    tenant: ApiClient, tasks: dict[str, str], version: str = V, action: str = "get_all_ex", **request: Any
) -> set[str]:
    reply = tenant.call(
        f"tasks.{action}", {"project": [tasks["project"]], "only_fields": ["id"], **request}, version=version
    )
    assert reply.status == 200, reply.meta
    names = {task_id: key for key, task_id in tasks.items()}
    return {names[t["id"]] for t in reply.data["tasks"]}


def _tags(**condition: Any) -> dict[str, Any]:
    return {"tags": condition}


def test_tasks_any_and_all_include_and_exclude(tenant: ApiClient, tasks: dict[str, str]) -> None:
    def found(**condition: Any) -> set[str]:
        return _found(tenant, tasks, filters=_tags(**condition))

    assert found(any={"include": ["a"]}) == {"t1", "t2"}
    assert found(any={"include": ["b", "c"]}) == {"t1", "t3"}
    assert found(all={"include": ["a", "b"]}) == {"t1"}
    assert found(all={"exclude": ["a"]}) == {"t3", "t4"}
    assert found(all={"exclude": ["a", "c"]}) == {"t4"}
    assert found(any={"exclude": ["a", "b"]}) == {"t2", "t3", "t4"}  # not both of them
    assert found(any={"include": ["c"], "exclude": ["a"]}) == {"t3", "t4"}  # c, or not a
    assert found(all={"include": ["a"], "exclude": ["b"]}) == {"t2"}
    # op joins the any and the all parts (and by default)
    assert found(any={"include": ["a", "c"]}, all={"exclude": ["b"]}) == {"t2", "t3"}
    assert found(any={"include": ["c"]}, all={"include": ["a"]}, op="and") == set()
    assert found(any={"include": ["c"]}, all={"include": ["a"]}, op="or") == {"t1", "t2", "t3"}
    # a null value: an empty field (excluded: a field that is not empty)
    assert found(any={"include": [None]}) == {"t4"}
    assert found(any={"include": [None, "c"]}) == {"t3", "t4"}
    assert found(all={"exclude": [None]}) == {"t1", "t2", "t3"}
    # nothing set: no condition
    assert found() == {"t1", "t2", "t3", "t4"}
    assert found(any={}, all={"include": []}) == {"t1", "t2", "t3", "t4"}
    assert found(any=None, op=None) == {"t1", "t2", "t3", "t4"}


def test_tasks_several_fields_and_the_plain_filters(tenant: ApiClient, tasks: dict[str, str]) -> None:
    def found(**request: Any) -> set[str]:
        return _found(tenant, tasks, **request)

    several = {"tags": {"any": {"include": ["a"]}}, "type": {"all": {"exclude": ["training"]}}}
    assert found(filters=several) == {"t2"}
    assert found(filters={"system_tags": {"any": {"include": ["x"]}}, "status": {"any": {"include": ["created"]}}}) == {
        "t1"
    }
    assert found(filters={"id": {"any": {"include": [tasks["t1"], tasks["t3"]]}}}) == {"t1", "t3"}
    assert found(filters={"hyperparams.Args.lr.value": {"any": {"include": ["0.1"]}}}) == {"t1"}
    assert found(filters={"tags": None}) == {"t1", "t2", "t3", "t4"}
    # a field in filters replaces the plain list filter of that field; the others still hold
    assert found(tags=["c"], filters=_tags(any={"include": ["a"]})) == {"t1", "t2"}
    assert found(type=["testing"], filters=_tags(any={"include": ["a"]})) == {"t2"}
    in_project = {"project": {"any": {"include": [tasks["project"]]}}}
    assert _found(tenant, tasks, project=["elsewhere"], filters=in_project) == {"t1", "t2", "t3", "t4"}
    # with a scroll as without
    assert found(size=10, filters=_tags(all={"include": ["a"]})) == {"t1", "t2"}


def test_tasks_filters_from_2_27_and_only_in_get_all_ex(tenant: ApiClient, tasks: dict[str, str]) -> None:
    condition = _tags(any={"include": ["c"]})
    every = {"t1", "t2", "t3", "t4"}
    assert _found(tenant, tasks, "2.26", filters=condition) == every
    assert _found(tenant, tasks, "2.15", filters=condition) == every
    assert _found(tenant, tasks, "2.27", action="get_all", filters=condition) == every  # get_all has none
    assert _found(tenant, tasks, "2.31", filters=condition) == {"t3"}
    unversioned = tenant.call("tasks.get_all_ex", {"project": [tasks["project"]], "filters": condition})
    assert unversioned.status == 200 and [t["id"] for t in unversioned.data["tasks"]] == [tasks["t3"]]
    # wrong input is ignored too below 2.27, as any field the version does not know
    bad = tenant.call("tasks.get_all_ex", {"project": [tasks["project"]], "filters": {"name": 1}}, version="2.26")
    assert bad.status == 200, bad.meta


@pytest.mark.parametrize(
    ("filters", "field"),
    [
        ({"tags": {"op": "xor", "any": {"include": ["a"]}}}, "filters.tags.op"),
        ({"name": {"any": {"include": ["a"]}}}, "filters.name"),
        ({"comment": {"any": {"include": ["a"]}}}, "filters.comment"),
        ({"$where": {"any": {"include": ["a"]}}}, "filters.$where"),
        ({"hyperparams.$where": {"any": {"include": ["a"]}}}, "filters.hyperparams.$where"),
        ({"tags": {"any": {"include": "a"}}}, "filters.tags.any.include"),
        ({"tags": {"any": {"include": [1]}}}, "filters.tags.any.include"),
        ({"tags": {"any": {"includes": ["a"]}}}, "includes"),
        ({"tags": {"none": {"include": ["a"]}}}, "none"),
        ({"tags": {"all": ["a"]}}, "filters.tags.all"),
        ({"tags": ["a"]}, "filters.tags"),
    ],
)
def test_tasks_bad_filters(tenant: ApiClient, tasks: dict[str, str], filters: Any, field: str) -> None:
    reply = tenant.call("tasks.get_all_ex", {"project": [tasks["project"]], "filters": filters}, version=V)
    _error(reply, field)


def test_tasks_filters_not_an_object(tenant: ApiClient) -> None:
    _error(tenant.call("tasks.get_all_ex", {"filters": ["tags"]}, version=V), "filters")
    _error(tenant.call("tasks.get_all_ex", {"filters": "tags"}, version=V), "filters")


# --- projects ---------------------------------------------------------------------------


def _projects(tenant: ApiClient, version: str = V, **request: Any) -> Any:
    return tenant.call("projects.get_all_ex", request, version=version)


def _basenames(tenant: ApiClient, root: str, version: str = V, **request: Any) -> set[str]:
    base = {"parent": [root], "shallow_search": True, "only_fields": ["id", "basename"]}
    reply = _projects(tenant, version, **{**base, **request})
    assert reply.status == 200, reply.meta
    return {p["basename"] for p in reply.data["projects"]}


@pytest.fixture
def tree(tenant: ApiClient) -> dict[str, str]:
    """A root with P1 (tags a, b), P2 (tag a, system tag s) and P3 (no tags)."""
    root_name = _name("FilterRoot")
    root = tenant.projects.create(name=root_name, description="")["id"]
    made = {"P1": {"tags": ["a", "b"]}, "P2": {"tags": ["a"], "system_tags": ["s"]}, "P3": {}}
    ids = {
        key: tenant.call(
            "projects.create", {"name": f"{root_name}/{key}", "description": "", **fields}, version=V
        ).data["id"]
        for key, fields in made.items()
    }
    return {"root": root, "root_name": root_name, **ids}


def test_projects_filters(tenant: ApiClient, tree: dict[str, str]) -> None:
    def found(version: str = V, **request: Any) -> set[str]:
        return _basenames(tenant, tree["root"], version, **request)

    assert found() == {"P1", "P2", "P3"}
    assert found(filters=_tags(any={"include": ["a"]})) == {"P1", "P2"}
    assert found(filters=_tags(all={"include": ["a", "b"]})) == {"P1"}
    assert found(filters=_tags(all={"exclude": ["b"]})) == {"P2", "P3"}
    assert found(filters=_tags(any={"exclude": ["a", "b"]})) == {"P2", "P3"}
    assert found(filters=_tags(any={"include": [None]})) == {"P3"}
    assert found(filters=_tags(any={"include": ["b"]}, all={"include": ["a"]}, op="or")) == {"P1", "P2"}
    two = {"tags": {"any": {"include": ["a"]}}, "system_tags": {"all": {"exclude": ["s"]}}}
    assert found(filters=two) == {"P1"}
    assert found(filters={"id": {"any": {"include": [tree["P3"], tree["P2"]]}}}) == {"P2", "P3"}
    # the plain tags filter is replaced, the tree search (parent, shallow_search) still holds
    assert found(tags=["b"], filters=_tags(all={"exclude": ["b"]})) == {"P2", "P3"}
    # filters.parent replaces the tree search (parent, and shallow_search's top level)
    deeper = tenant.call("projects.create", {"name": f"{tree['root_name']}/P1/sub", "description": ""}, version=V)
    assert deeper.status == 200, deeper.meta
    assert found(filters={"parent": {"any": {"include": [tree["P1"]]}}}) == {"sub"}
    assert found(parent=[tree["P1"]], filters={"parent": {"any": {"include": [tree["root"]]}}}) == {"P1", "P2", "P3"}
    assert _basenames(tenant, tree["P1"], shallow_search=False) == {"sub"}
    # path: the projects below the root, at any depth
    deep = tenant.call("projects.create", {"name": f"{tree['root_name']}/P3/deep", "description": ""}, version=V)
    assert deep.status == 200, deep.meta
    below = _projects(
        tenant, filters={"path": {"all": {"include": [tree["root"]]}}}, only_fields=["basename"], search_hidden=True
    )
    assert below.status == 200, below.meta
    assert {p["basename"] for p in below.data["projects"]} == {"P1", "P2", "P3", "sub", "deep"}
    # from 2.27 only
    assert found("2.25", filters=_tags(any={"include": ["b"]})) == {"P1", "P2", "P3"}
    assert found("2.31", filters=_tags(any={"include": ["b"]})) == {"P1"}
    # projects.get_all has no filters
    plain = tenant.call(
        "projects.get_all",
        {"parent": [tree["root"]], "shallow_search": True, "filters": _tags(any={"include": ["b"]})},
        version=V,
    )
    assert plain.status == 200 and len(plain.data["projects"]) == 3


@pytest.mark.parametrize(
    ("request_", "field"),
    [
        ({"filters": {"name": {"any": {"include": ["x"]}}}}, "filters.name"),
        ({"filters": {"user": {"any": {"include": ["x"]}}}}, "filters.user"),
        ({"filters": {"tags": {"op": "nand"}}}, "filters.tags.op"),
        ({"filters": {"tags": {"all": {"exclude": [3]}}}}, "filters.tags.all.exclude"),
        ({"filters": "tags"}, "filters"),
        ({"children_type": "report", "children_tags_filter": {"op": "xor"}}, "children_tags_filter.op"),
        (
            {"children_type": "report", "children_tags_filter": {"any": {"include": "t1"}}},
            "children_tags_filter.any.include",
        ),
        ({"children_type": "report", "children_tags_filter": ["t1"]}, "children_tags_filter"),
    ],
)
def test_projects_bad_filters(tenant: ApiClient, request_: dict[str, Any], field: str) -> None:
    _error(_projects(tenant, **request_), field)


def test_projects_children_tags_filter(tenant: ApiClient, tree: dict[str, str]) -> None:
    for key, tags in (("P1", ["t1"]), ("P2", ["t1", "t2"]), ("P3", [])):
        report = tenant.call("reports.create", {"name": f"report {key}", "project": tree[key], "tags": tags}, version=V)
        assert report.status == 200, report.meta

    def found(version: str = V, **request: Any) -> set[str]:
        return _basenames(tenant, tree["root"], version, children_type="report", **request)

    assert found() == {"P1", "P2", "P3"}
    assert found(children_tags_filter={"any": {"include": ["t1", "t2"]}}) == {"P1", "P2"}
    assert found(children_tags_filter={"all": {"include": ["t1", "t2"]}}) == {"P2"}
    assert found(children_tags_filter={"all": {"exclude": ["t1"]}}) == {"P3"}
    assert found(children_tags_filter={"any": {"include": [None]}}) == {"P3"}
    assert found(children_tags_filter={"any": {"include": ["t2"]}, "all": {"exclude": ["t1"]}, "op": "or"}) == {
        "P2",
        "P3",
    }
    # it replaces children_tags
    assert found(children_tags=["nothing"]) == set()
    assert found(children_tags=["nothing"], children_tags_filter={"any": {"include": ["t2"]}}) == {"P2"}
    # from 2.27 only; without children_type it selects nothing
    assert found("2.26", children_tags_filter={"all": {"include": ["t2"]}}) == {"P1", "P2", "P3"}
    no_type = _projects(
        tenant,
        parent=[tree["root"]],
        shallow_search=True,
        only_fields=["basename"],
        children_tags_filter={"all": {"include": ["t2"]}},
    )
    assert no_type.status == 200 and len(no_type.data["projects"]) == 3
    # the statistics count the children it selects
    reply = _projects(
        tenant,
        id=[tree["P2"]],
        children_type="report",
        children_tags_filter={"all": {"include": ["t1"], "exclude": ["t2"]}},
        include_stats=True,
        check_own_contents=True,
    )
    assert reply.status == 200 and reply.data["projects"] == [], reply.meta
    reply = _projects(
        tenant,
        id=[tree["P1"], tree["P2"]],
        children_type="report",
        children_tags_filter={"any": {"include": ["t2"]}},
        include_stats=True,
    )
    assert reply.status == 200, reply.meta
    (project,) = reply.data["projects"]  # its report is in its .reports child
    assert project["id"] == tree["P2"] and project["stats"]["active"]["status_count"]["created"] == 1


def test_projects_include_stats_filter_takes_field_filters(tenant: ApiClient, tree: dict[str, str]) -> None:
    for tags in (["a"], ["a", "b"], []):
        tenant.tasks.create(name="counted task", type="training", project=tree["P1"], tags=tags)

    def created(stats_filter: dict[str, Any], version: str = V) -> Any:
        reply = _projects(tenant, version, id=[tree["P1"]], include_stats=True, include_stats_filter=stats_filter)
        if reply.status != 200:
            return reply.code
        return reply.data["projects"][0]["stats"]["active"]["status_count"]["created"]

    assert created({"tags": {"any": {"include": ["a"]}}}) == 2
    assert created({"tags": {"all": {"include": ["a", "b"]}}}) == 1
    assert created({"tags": {"any": {"include": [None]}}, "type": ["training"]}) == 1
    assert created({"tags": {"all": {"exclude": ["b"]}}, "type": ["-training"]}) == 0
    assert created({"tags": {"op": "xor"}}) == (400, 12)
    assert created({"tags": {}}) == (400, 12)


# --- models -----------------------------------------------------------------------------


def test_models_filters(tenant: ApiClient) -> None:
    project = tenant.projects.create(name=_name("ModelFilters"), description="")["id"]
    meta = {"epochs.n": {"key": "epochs.n", "type": "int", "value": "12"}}
    made = {"m1": {"tags": ["a", "b"], "metadata": meta}, "m2": {"tags": ["a"], "framework": "keras"}, "m3": {}}
    ids = {
        key: tenant.call(
            "models.create", {"name": f"model {key}", "uri": "file:///m", "project": project, **fields}, version=V
        ).data["id"]
        for key, fields in made.items()
    }
    names = {model_id: key for key, model_id in ids.items()}

    def found(version: str = V, **filters: Any) -> Any:
        request = {"project": [project], "only_fields": ["id"], "filters": filters}
        reply = tenant.call("models.get_all_ex", request, version=version)
        return {names[m["id"]] for m in reply.data["models"]} if reply.status == 200 else reply

    assert found(tags={"any": {"include": ["b"]}}) == {"m1"}
    assert found(tags={"all": {"exclude": ["b"]}}) == {"m2", "m3"}
    assert found(tags={"any": {"include": [None]}}) == {"m3"}
    assert found(framework={"any": {"include": ["keras"]}}) == {"m2"}
    assert found(**{"metadata.epochs.n.value": {"any": {"include": ["12"]}}}) == {"m1"}
    assert found("2.23", tags={"any": {"include": ["b"]}}) == {"m1", "m2", "m3"}
    _error(found(name={"any": {"include": ["x"]}}), "filters.name")
    _error(found(tags={"op": "both"}), "filters.tags.op")
    count = tenant.call(
        "organization.get_entities_count",
        {"models": {"project": [project], "filters": {"tags": {"all": {"include": ["a"]}}}}},
        version=V,
    )
    assert count.status == 200 and count.data == {"models": 2}, count.meta


# --- where get_all_ex queries are taken: entities counts, CSV downloads -------------------


def test_entities_count_reads_filters_from_2_27(tenant: ApiClient, tasks: dict[str, str], tree: dict[str, str]) -> None:
    def counted(version: str = V, **request: Any) -> Any:
        reply = tenant.call("organization.get_entities_count", request, version=version)
        return reply.data if reply.status == 200 else reply

    in_project = {"project": [tasks["project"]]}
    assert counted(tasks={**in_project, "filters": _tags(all={"include": ["a"]})}) == {"tasks": 2}
    assert counted("2.26", tasks={**in_project, "filters": _tags(all={"include": ["a"]})}) == {"tasks": 4}
    projects = {"id": [tree["P1"], tree["P2"], tree["P3"]], "filters": _tags(all={"exclude": ["b"]})}
    assert counted(projects=projects) == {"projects": 2}
    _error(counted(tasks={**in_project, "filters": {"name": {"any": {"include": ["a"]}}}}), "tasks.filters.name")
    _error(counted(tasks={**in_project, "filters": _tags(op="xor")}), "tasks.filters.tags.op")


def test_task_downloads_read_filters_from_2_27(tenant: ApiClient, tasks: dict[str, str]) -> None:
    def rows(version: str = V, **filters: Any) -> Any:
        request = {
            "entity_type": "task",
            "project": [tasks["project"]],
            "only_fields": ["id"],
            "field_mappings": [{"field": "id"}],
            "filters": filters,
        }
        reply = tenant.call("organization.prepare_download_for_get_all", request, version=version)
        if reply.status != 200:
            return reply
        got = tenant.call("organization.download_for_get_all", {"prepare_id": reply.data["prepare_id"]}, version=V)
        assert got.status == 200, got.meta
        return sorted(row[0] for row in list(csv.reader(io.StringIO(got.envelope["raw"].lstrip("\ufeff"))))[1:])

    assert rows(tags={"any": {"include": ["b", "c"]}}) == sorted([tasks["t1"], tasks["t3"]])
    assert len(rows("2.26", tags={"any": {"include": ["b", "c"]}})) == 4
    _error(rows(tags={"any": {"include": "b"}}), "filters.tags.any.include")
