"""projects.* lookups (API 2.12 - 2.27) and organization.get_entities_count (2.20 - 2.23):
distinct hyper-parameter and metadata values, metadata keys, project tags, task parents,
the users of a project's entities, and entity counts (docs/projects.md "Lookups")."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from support.client import ApiClient

V = "2.31"


def unique(prefix: str = "lk") -> str:
    return f"{prefix} {uuid.uuid4().hex[:8]}"


def _call(api: ApiClient, action: str, data: dict[str, Any], version: str = V) -> dict[str, Any]:
    reply = api.call(action, data, version=version)
    assert reply.status == 200, reply.meta
    return reply.data


def _error(api: ApiClient, action: str, data: dict[str, Any], version: str = V) -> tuple[tuple[int, int], str]:
    reply = api.call(action, data, version=version)
    assert reply.status != 200, reply.data
    return reply.code, str(reply.meta.get("result_msg"))


def _project(api: ApiClient, **fields: Any) -> str:
    fields.setdefault("name", unique("proj"))
    fields.setdefault("description", "lookups")
    return str(api.projects.create(**fields)["id"])


def _task(api: ApiClient, project: str | None = None, **fields: Any) -> str:
    fields.setdefault("name", unique("task"))
    fields.setdefault("type", "training")
    if project:
        fields["project"] = project
    return str(api.tasks.create(**fields)["id"])


def _params(**values: str) -> dict[str, Any]:
    """hyperparams with the section "Args" holding ``values`` (name → value)."""
    return {"Args": {n: {"section": "Args", "name": n, "value": v} for n, v in values.items()}}


def _model(api: ApiClient, project: str | None = None, **fields: Any) -> str:
    fields.setdefault("name", unique("model"))
    fields.setdefault("uri", "file:///m.bin")
    if project:
        fields["project"] = project
    return str(_call(api, "models.create", fields, "2.13")["id"])


# --- get_hyperparam_values ----------------------------------------------------------------


def test_hyperparam_values_distinct_in_numeric_order(tenant: ApiClient) -> None:
    pid = _project(tenant)
    for value in ("10", "9", "b", "9", "A", "1.5"):
        _task(tenant, pid, hyperparams=_params(lr=value))
    _task(tenant, pid, hyperparams=_params(other="x"))
    _task(tenant, hyperparams=_params(lr="elsewhere"))  # another project
    request = {"projects": [pid], "section": "Args", "name": "lr"}
    assert _call(tenant, "projects.get_hyperparam_values", request, "2.13") == {
        "total": 5,
        "values": ["1.5", "9", "10", "A", "b"],
    }
    # every project when none are given (the company's tasks)
    every = _call(tenant, "projects.get_hyperparam_values", {"section": "Args", "name": "lr", "allow_public": False})
    assert every == {"total": 6, "values": ["1.5", "9", "10", "A", "b", "elsewhere"]}
    # paging (2.26): total counts every page
    paged = _call(tenant, "projects.get_hyperparam_values", {**request, "page": 1, "page_size": 2})
    assert paged == {"total": 5, "values": ["10", "A"]}
    # pattern (2.27): case-insensitive regular expression
    found = _call(tenant, "projects.get_hyperparam_values", {**request, "pattern": "^[ab]$"})
    assert found == {"total": 2, "values": ["A", "b"]}


def test_hyperparam_values_escaped_keys_and_public_tasks(root_api: ApiClient, make_tenant: Any) -> None:
    owner, other = make_tenant(), make_tenant()
    pid = _project(owner)
    params = {"a.b": {"$x": {"section": "a.b", "name": "$x", "value": "v1"}}}
    task = _task(owner, pid, hyperparams=params)
    request = {"projects": [pid], "section": "a.b", "name": "$x"}
    assert _call(owner, "projects.get_hyperparam_values", request) == {"total": 1, "values": ["v1"]}
    assert _call(other, "projects.get_hyperparam_values", request) == {"total": 0, "values": []}
    assert owner.tasks.make_public(ids=[task])["updated"] == 1
    assert _call(other, "projects.get_hyperparam_values", request) == {"total": 1, "values": ["v1"]}
    private = {**request, "allow_public": False}
    assert _call(other, "projects.get_hyperparam_values", private) == {"total": 0, "values": []}


def test_hyperparam_values_failures(tenant: ApiClient) -> None:
    # an unknown project is no error: nothing matches (as the reference)
    unknown = {"projects": [uuid.uuid4().hex], "section": "Args", "name": "lr"}
    assert _call(tenant, "projects.get_hyperparam_values", unknown) == {"total": 0, "values": []}
    code, message = _error(tenant, "projects.get_hyperparam_values", {"section": "Args"})
    assert code == (400, 12) and "name" in message
    code, message = _error(tenant, "projects.get_hyperparam_values", {**unknown, "name": ""})
    assert code == (400, 12) and "name" in message  # no stored parameter has an empty name
    code, message = _error(tenant, "projects.get_hyperparam_values", {**unknown, "page": "x"})
    assert code == (400, 12) and "page" in message
    code, message = _error(tenant, "projects.get_hyperparam_values", {**unknown, "page_size": 1.5})
    assert code == (400, 12) and "page_size" in message
    code, message = _error(tenant, "projects.get_hyperparam_values", {**unknown, "pattern": "(a)\\1"})
    assert code == (400, 21) and "pattern" in message
    # below its first version the action is not there
    assert tenant.call("projects.get_hyperparam_values", unknown, version="2.12").status == 404


def test_hyperparam_values_negative_paging_reads_the_first_page(tenant: ApiClient) -> None:
    pid = _project(tenant)
    for value in ("1", "2", "3"):
        _task(tenant, pid, hyperparams=_params(lr=value))
    request = {"projects": [pid], "section": "Args", "name": "lr", "page": -3, "page_size": 0}
    assert _call(tenant, "projects.get_hyperparam_values", request) == {"total": 3, "values": ["1"]}


# --- model metadata -----------------------------------------------------------------------


def test_model_metadata_keys_and_values(tenant: ApiClient) -> None:
    pid = _project(tenant)
    _model(tenant, pid, metadata={"size": {"key": "size", "type": "int", "value": "10"}})
    _model(tenant, pid, metadata={"size": {"key": "size", "value": "9"}, "a.b": {"key": "a.b", "value": "x"}})
    _model(tenant, pid, metadata={"size": {"key": "size", "value": "10"}})
    _model(tenant, metadata={"elsewhere": {"key": "elsewhere", "value": "1"}})
    keys = _call(tenant, "projects.get_model_metadata_keys", {"project": pid}, "2.17")
    assert keys == {"total": 2, "remaining": 0, "keys": ["a.b", "size"]}
    page = _call(tenant, "projects.get_model_metadata_keys", {"project": pid, "page": 0, "page_size": 1})
    assert page == {"total": 2, "remaining": 1, "keys": ["a.b"]}
    every = _call(tenant, "projects.get_model_metadata_keys", {})  # public models' keys too
    assert {"a.b", "elsewhere", "size"} <= set(every["keys"])
    values = _call(tenant, "projects.get_model_metadata_values", {"projects": [pid], "key": "size"}, "2.17")
    assert values == {"total": 2, "values": ["9", "10"]}
    dotted = _call(tenant, "projects.get_model_metadata_values", {"projects": [pid], "key": "a.b"})
    assert dotted == {"total": 1, "values": ["x"]}
    paged = _call(
        tenant, "projects.get_model_metadata_values", {"projects": [pid], "key": "size", "page": 1, "page_size": 1}
    )
    assert paged == {"total": 2, "values": ["10"]}


def test_model_metadata_failures(tenant: ApiClient) -> None:
    unknown = uuid.uuid4().hex
    assert _call(tenant, "projects.get_model_metadata_keys", {"project": unknown}) == {
        "total": 0,
        "remaining": 0,
        "keys": [],
    }
    empty = {"total": 0, "values": []}
    assert _call(tenant, "projects.get_model_metadata_values", {"projects": [unknown], "key": "k"}) == empty
    code, message = _error(tenant, "projects.get_model_metadata_values", {"projects": [unknown]})
    assert code == (400, 12) and "key" in message
    code, message = _error(tenant, "projects.get_model_metadata_values", {"key": ""})
    assert code == (400, 12) and "key" in message
    code, message = _error(tenant, "projects.get_model_metadata_keys", {"project": unknown, "page_size": "big"})
    assert code == (400, 12) and "page_size" in message
    assert tenant.call("projects.get_model_metadata_keys", {}, version="2.16").status == 404


# --- get_project_tags ---------------------------------------------------------------------


def test_project_tags(tenant: ApiClient, make_tenant: Any) -> None:
    a = _project(tenant, tags=["red", "blue"], system_tags=["pipeline"])
    b = _project(tenant, tags=["green"])
    _project(tenant, tags=["other"])
    public = _project(tenant, tags=["shared"])
    assert tenant.projects.make_public(ids=[public])["updated"] == 1
    request = {"projects": [a, b]}
    assert _call(tenant, "projects.get_project_tags", request, "2.17") == {
        "tags": ["blue", "green", "red"],
        "system_tags": [],
    }
    with_system = _call(tenant, "projects.get_project_tags", {**request, "include_system": True})
    assert with_system == {"tags": ["blue", "green", "red"], "system_tags": ["pipeline"]}
    filtered = _call(tenant, "projects.get_project_tags", {**request, "filter": {"system_tags": ["pipeline"]}})
    assert filtered["tags"] == ["blue", "red"]
    excluded = _call(tenant, "projects.get_project_tags", {**request, "filter": {"tags": ["-green"]}})
    assert excluded["tags"] == ["blue", "red"]
    every = _call(tenant, "projects.get_project_tags", {})["tags"]
    assert every == ["blue", "green", "other", "red"]  # not the public project's (company only)
    stranger = make_tenant()
    assert _call(stranger, "projects.get_project_tags", request) == {"tags": [], "system_tags": []}
    code, message = _error(tenant, "projects.get_project_tags", {"projects": "not-a-list"})
    assert code == (400, 12) and "projects" in message
    assert tenant.call("projects.get_project_tags", {}, version="2.16").status == 404


# --- get_task_parents ---------------------------------------------------------------------


def test_task_parents(tenant: ApiClient) -> None:
    pid, other = _project(tenant), _project(tenant)
    zeta = _task(tenant, other, name="zeta parent")
    alpha = _task(tenant, name="alpha parent")  # without a project
    _task(tenant, pid, parent=zeta)
    _task(tenant, pid, parent=zeta)
    _task(tenant, pid, parent=alpha, system_tags=["archived"])
    _task(tenant, pid)
    project_name = tenant.projects.get_by_id(project=other)["project"]["name"]
    active = _call(tenant, "projects.get_task_parents", {"projects": [pid]}, "2.12")["parents"]
    assert active == [{"id": zeta, "name": "zeta parent", "project": {"id": other, "name": project_name}}]
    archived = _call(tenant, "projects.get_task_parents", {"projects": [pid], "tasks_state": "archived"})
    assert archived["parents"] == [{"id": alpha, "name": "alpha parent"}]
    both = _call(tenant, "projects.get_task_parents", {"projects": [pid], "tasks_state": None})
    assert [p["id"] for p in both["parents"]] == [alpha, zeta]  # by name
    named = _call(tenant, "projects.get_task_parents", {"projects": [pid], "tasks_state": None, "task_name": "^zeta"})
    assert [p["id"] for p in named["parents"]] == [zeta]
    flat = _call(tenant, "projects.get_task_parents", {"projects": [pid], "include_subprojects": False}, "2.13")
    assert flat["parents"] == active


def test_task_parents_failures(tenant: ApiClient) -> None:
    unknown = {"projects": [uuid.uuid4().hex]}
    assert _call(tenant, "projects.get_task_parents", unknown) == {"parents": []}
    code, message = _error(tenant, "projects.get_task_parents", {**unknown, "tasks_state": "deleted"})
    assert code == (400, 12) and "tasks_state" in message
    code, message = _error(tenant, "projects.get_task_parents", {**unknown, "task_name": "(?=x)"})
    assert code == (400, 21) and "task_name" in message
    assert tenant.call("projects.get_task_parents", unknown, version="2.11").status == 404


# --- get_user_names -----------------------------------------------------------------------


def test_user_names(tenant: ApiClient, make_tenant: Any) -> None:
    colleague = make_tenant(company=tenant.company_id)  # type: ignore[attr-defined]
    pid = _project(tenant)
    _task(tenant, pid)
    _task(colleague, pid)
    _model(colleague, pid)
    ids = [tenant.user_id, colleague.user_id]  # type: ignore[attr-defined]
    names = {i: tenant.users.get_by_id(user=i)["user"]["name"] for i in ids}
    expected = sorted(({"id": i, "name": n} for i, n in names.items()), key=lambda u: u["name"])
    assert _call(tenant, "projects.get_user_names", {"projects": [pid]}, "2.26") == {"users": expected}
    models = _call(tenant, "projects.get_user_names", {"projects": [pid], "entity": "model"})
    assert models == {"users": [{"id": ids[1], "name": names[ids[1]]}]}
    assert _call(tenant, "projects.get_user_names", {"projects": [uuid.uuid4().hex]}) == {"users": []}
    code, message = _error(tenant, "projects.get_user_names", {"entity": "queue"})
    assert code == (400, 12) and "entity" in message
    assert tenant.call("projects.get_user_names", {}, version="2.25").status == 404


# --- organization.get_entities_count --------------------------------------------------------


def test_entities_count(tenant: ApiClient, make_tenant: Any) -> None:
    colleague = make_tenant(company=tenant.company_id)  # type: ignore[attr-defined]
    run = uuid.uuid4().hex[:8]  # other tests' public projects are counted too: filter by name
    pid = _project(tenant, name=f"{run} count")
    _project(tenant, name=f"{run} pipe", system_tags=["pipeline"])
    _project(tenant, name=f"{run} data", system_tags=["dataset"])
    _project(tenant, name=f"{run} hide", system_tags=["hidden"])
    colleague_project = _project(colleague, name=f"{run} colleague")
    _task(tenant, pid)
    _task(tenant, pid, system_tags=["archived"])
    _task(tenant, pid, system_tags=["hidden"])
    _task(colleague, colleague_project)
    _model(tenant, pid, metadata={"k": {"key": "k", "value": "v"}})
    _model(colleague, pid)
    mine = {"name": f"^{run} "}
    request = {
        "projects": mine,
        "tasks": {"project": [pid]},
        "models": {"project": [pid]},
        "pipelines": {**mine, "system_tags": ["pipeline"]},
        "datasets": {**mine, "system_tags": ["dataset"]},
    }
    counts = _call(tenant, "organization.get_entities_count", request, "2.20")
    assert counts == {"projects": 4, "tasks": 2, "models": 2, "pipelines": 1, "datasets": 1}
    # only the kinds asked for
    assert _call(tenant, "organization.get_entities_count", {"models": {"project": pid}}) == {"models": 2}
    # the get_all filters: list rules, patterns, metadata
    archived = {"tasks": {"project": [pid], "system_tags": ["-archived"]}, "models": {"metadata.k.value": "v"}}
    assert _call(tenant, "organization.get_entities_count", archived) == {"tasks": 1, "models": 1}
    named = {"projects": {"name": f"^{run} count$"}}
    assert _call(tenant, "organization.get_entities_count", named) == {"projects": 1}
    # search_hidden (2.22)
    hidden = {"projects": mine, "tasks": {"project": [pid]}, "search_hidden": True}
    assert _call(tenant, "organization.get_entities_count", hidden) == {"projects": 5, "tasks": 3}
    # active_users (2.22): the colleague's tasks and models, the projects they worked in
    active = {**request, "active_users": [colleague.user_id]}  # type: ignore[attr-defined]
    counts = _call(tenant, "organization.get_entities_count", active, "2.22")
    assert counts == {"projects": 2, "tasks": 0, "models": 1, "pipelines": 0, "datasets": 0}
    nobody = {"projects": {}, "active_users": [uuid.uuid4().hex]}
    assert _call(tenant, "organization.get_entities_count", nobody) == {"projects": 0}
    # reports (2.23): tasks of type report
    assert _call(tenant, "organization.get_entities_count", {"reports": {"project": [pid]}}, "2.23") == {"reports": 0}


def test_entities_count_public(tenant: ApiClient, make_tenant: Any) -> None:
    owner = make_tenant()
    pid = _project(owner)
    task = _task(owner, pid)
    assert owner.tasks.make_public(ids=[task])["updated"] == 1
    seen = _call(tenant, "organization.get_entities_count", {"tasks": {"project": [pid]}})
    assert seen == {"tasks": 1}
    private = {"tasks": {"project": [pid]}, "allow_public": False}
    assert _call(tenant, "organization.get_entities_count", private, "2.23") == {"tasks": 0}


def test_entities_count_failures(tenant: ApiClient) -> None:
    assert _call(tenant, "organization.get_entities_count", {}) == {}
    unknown = {"tasks": {"project": [uuid.uuid4().hex]}, "projects": {"id": [uuid.uuid4().hex]}}
    assert _call(tenant, "organization.get_entities_count", unknown) == {"tasks": 0, "projects": 0}
    code, message = _error(tenant, "organization.get_entities_count", {"tasks": []})
    assert code == (400, 12) and "tasks" in message
    code, message = _error(tenant, "organization.get_entities_count", {"tasks": {"page": "x"}})
    assert code == (400, 12) and "tasks.page" in message
    code, message = _error(tenant, "organization.get_entities_count", {"tasks": {"status": {"$where": "1"}}})
    assert code == (400, 12) and "tasks.status" in message  # no operator reaches the database
    code, message = _error(tenant, "organization.get_entities_count", {"projects": {"name": 5}})
    assert code == (400, 12) and "projects.name" in message
    code, message = _error(tenant, "organization.get_entities_count", {"models": {"name": "(a)\\1"}})
    assert code == (400, 21) and "name" in message
    code, message = _error(tenant, "organization.get_entities_count", {"tasks": {"status_changed": ["bad date"]}})
    assert code == (400, 12) and "status_changed" in message
    assert tenant.call("organization.get_entities_count", {}, version="2.19").status == 404


@pytest.mark.parametrize("version", ["2.20", "2.23", "2.31"])
def test_entities_count_every_version(tenant: ApiClient, version: str) -> None:
    name = unique("versioned")
    _project(tenant, name=name)
    request = {"projects": {"name": f"^{name}$"}}
    assert _call(tenant, "organization.get_entities_count", request, version) == {"projects": 1}


# --- include_subprojects over the project tree (API 2.13) -----------------------------------


def test_lookups_include_subprojects(tenant: ApiClient) -> None:
    top = unique("tree")
    parent = str(_call(tenant, "projects.create", {"name": top, "description": "d"}, "2.13")["id"])
    child = str(_call(tenant, "projects.create", {"name": f"{top}/child", "description": "d"}, "2.13")["id"])
    stored = _call(tenant, "projects.get_by_id", {"project": child}, "2.13")["project"]
    if stored.get("parent") != parent:
        pytest.skip("no project tree at this revision: include_subprojects reaches no project")
    _task(tenant, parent, hyperparams=_params(lr="top"), parent=_task(tenant, child, name="a parent"))
    _task(tenant, child, hyperparams=_params(lr="below"), tags=["t"])
    _model(tenant, child, metadata={"k": {"key": "k", "value": "v"}})
    request = {"projects": [parent], "section": "Args", "name": "lr"}
    assert _call(tenant, "projects.get_hyperparam_values", request)["values"] == ["below", "top"]
    flat = {**request, "include_subprojects": False}
    assert _call(tenant, "projects.get_hyperparam_values", flat)["values"] == ["top"]
    keys = _call(tenant, "projects.get_model_metadata_keys", {"project": parent})["keys"]
    assert keys == ["k"]
    assert (
        _call(tenant, "projects.get_model_metadata_keys", {"project": parent, "include_subprojects": False})["keys"]
        == []
    )
    values = _call(tenant, "projects.get_model_metadata_values", {"projects": [parent], "key": "k"})
    assert values == {"total": 1, "values": ["v"]}
    users = _call(tenant, "projects.get_user_names", {"projects": [parent], "entity": "model"})["users"]
    assert [u["id"] for u in users] == [tenant.user_id]  # type: ignore[attr-defined]
    parents = _call(tenant, "projects.get_task_parents", {"projects": [parent]})["parents"]
    assert [p["name"] for p in parents] == ["a parent"]
    _call(tenant, "projects.update", {"project": child, "tags": ["child tag"]}, "2.13")
    tags = _call(tenant, "projects.get_project_tags", {"projects": [parent]})
    assert tags == {"tags": ["child tag"], "system_tags": []}


def test_entities_count_reports(tenant: ApiClient) -> None:
    pid = _project(tenant)
    _task(tenant, pid)
    report = _call(tenant, "reports.create", {"name": unique("report"), "project": pid}, "2.23")
    assert report["project_id"] != pid  # the hidden .reports project
    own = {"allow_public": False}
    counts = _call(tenant, "organization.get_entities_count", {**own, "reports": {}, "tasks": {}, "projects": {}})
    assert counts == {"reports": 1, "tasks": 1, "projects": 1}  # a report is a hidden task
    hidden = {**own, "tasks": {}, "projects": {}, "search_hidden": True}
    assert _call(tenant, "organization.get_entities_count", hidden) == {"tasks": 2, "projects": 2}
    in_project = {**own, "reports": {"project": [report["project_id"]]}}
    assert _call(tenant, "organization.get_entities_count", in_project) == {"reports": 1}
