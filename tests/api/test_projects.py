"""projects.*: names, delete guards, statistics, tags, versions, tenancy and public projects."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from support.client import ApiClient


def unique(prefix: str = "proj") -> str:
    return f"{prefix} {uuid.uuid4().hex[:8]}"


def new_project(api: ApiClient, **fields: Any) -> str:
    fields.setdefault("name", unique())
    fields.setdefault("description", "test project")
    return str(api.projects.create(**fields)["id"])


def new_task(api: ApiClient, project: str | None = None, **fields: Any) -> str:
    fields.setdefault("name", unique("task"))
    fields.setdefault("type", "training")
    if project:
        fields["project"] = project
    return str(api.tasks.create(**fields)["id"])


# --- create / get_by_id -------------------------------------------------------------------


def test_create_and_get_by_id(tenant: ApiClient) -> None:
    name = unique()
    pid = new_project(tenant, name=name, description="d", tags=["t1"], default_output_destination="s3://b/x")
    assert re.fullmatch(r"[0-9a-f]{32}", pid)
    project = tenant.projects.get_by_id(project=pid)["project"]
    assert project["id"] == pid and project["name"] == name and project["description"] == "d"
    assert project["tags"] == ["t1"] and project["system_tags"] == []
    assert project["default_output_destination"] == "s3://b/x"
    assert project["company"] == tenant.company_id and project["user"] == tenant.user_id  # type: ignore[attr-defined]
    assert project["created"] == project["last_update"] and "company_origin" not in project


@pytest.mark.parametrize(
    "body, field",
    [
        ({"description": "d"}, "name"),
        ({"name": "abcdef"}, "description"),
        ({"name": 5, "description": "d"}, "name"),
        ({"name": "abcdef", "description": "d", "tags": "x"}, "tags"),
    ],
)
def test_create_bad_input(tenant: ApiClient, body: dict[str, Any], field: str) -> None:
    reply = tenant.call("projects.create", body)
    assert reply.code == (400, 12) and field in reply.meta["result_msg"]


def test_name_rules(tenant: ApiClient, make_tenant) -> None:  # type: ignore[no-untyped-def]
    assert tenant.call("projects.create", {"name": " ab ", "description": "d"}).code == (400, 800)
    name = unique()
    new_project(tenant, name=name)
    assert tenant.call("projects.create", {"name": name, "description": "again"}).code == (400, 801)
    assert tenant.call("projects.create", {"name": f"  {name} ", "description": "padded"}).code == (400, 801)
    new_project(make_tenant(), name=name)  # unique per company only


def test_unknown_ids(tenant: ApiClient) -> None:
    for action, body in [
        ("get_by_id", {"project": "nope"}),
        ("update", {"project": "nope", "name": "new name"}),
        ("delete", {"project": "nope"}),
        ("make_public", {"ids": ["nope"]}),
        ("make_private", {"ids": ["nope"]}),
    ]:
        assert tenant.call(f"projects.{action}", body).code == (400, 401), action


# --- get_all / get_all_ex -----------------------------------------------------------------


def test_get_all_filters(tenant: ApiClient) -> None:
    base = unique("flt")
    a = new_project(tenant, name=f"{base}-a", tags=["red"])
    b = new_project(tenant, name=f"{base}-b", tags=["blue"], description="second")
    c = new_project(tenant, name=f"{base}.c", system_tags=["archived"])
    # clients send anchored regexes (SDK) and escaped, unanchored ones (agent)
    exact = tenant.projects.get_all(name=f"^{re.escape(base)}-a$", only_fields=["id"])["projects"]
    assert exact == [{"id": a}]
    assert {p["id"] for p in tenant.projects.get_all(name=re.escape(base))["projects"]} == {a, b, c}
    assert [p["id"] for p in tenant.projects.get_all(name=re.escape(f"{base}.c"))["projects"]] == [c]
    assert [p["id"] for p in tenant.projects.get_all(id=[a, b], tags=["blue"])["projects"]] == [b]
    not_red = tenant.projects.get_all(id=[a, b, c], tags=["__$not", "red"])["projects"]
    assert {p["id"] for p in not_red} == {b, c}
    active = tenant.projects.get_all(id=[a, b, c], system_tags=["-archived"])["projects"]
    assert {p["id"] for p in active} == {a, b}
    assert [p["id"] for p in tenant.projects.get_all(description="^sec")["projects"]] == [b]
    ordered = tenant.projects.get_all(id=[a, b, c], order_by=["-name"], only_fields=["name"])["projects"]
    assert [p["name"] for p in ordered] == [f"{base}.c", f"{base}-b", f"{base}-a"]
    page = tenant.projects.get_all(id=[a, b, c], order_by=["name"], page=1, page_size=2)["projects"]
    assert [p["id"] for p in page] == [c]
    assert tenant.call("projects.get_all", {"page": 0}).code[0] == 400
    assert tenant.projects.get_all(id=a)["projects"] == tenant.projects.get_all(id=[a])["projects"]  # one value
    assert tenant.call("projects.get_all", {"id": 5}).code == (400, 12)


def test_get_all_ex_without_and_with_stats(tenant: ApiClient) -> None:
    pid = new_project(tenant)
    empty = new_project(tenant)
    plain = tenant.projects.get_all_ex(id=[pid])["projects"]
    assert len(plain) == 1 and "stats" not in plain[0]

    new_task(tenant, pid)
    new_task(tenant, pid)
    stopped = new_task(tenant, pid)
    tenant.tasks.started(task=stopped)
    tenant.tasks.stopped(task=stopped)
    archived = new_task(tenant, pid, system_tags=["archived"])
    assert archived

    by_id = {p["id"]: p for p in tenant.projects.get_all_ex(id=[pid, empty], include_stats=True)["projects"]}
    stats = by_id[pid]["stats"]
    assert set(stats) == {"active"}
    counts = stats["active"]["status_count"]
    assert counts["created"] == 2 and counts["stopped"] == 1 and counts["published"] == 0
    assert set(counts) >= {"created", "queued", "in_progress", "stopped", "published", "closed", "failed", "unknown"}
    assert isinstance(stats["active"]["total_runtime"], int)
    assert sum(by_id[empty]["stats"]["active"]["status_count"].values()) == 0

    both = tenant.projects.get_all_ex(id=[pid], include_stats=True, stats_for_state=None)["projects"][0]["stats"]
    assert both["archived"]["status_count"]["created"] == 1 and both["active"]["status_count"]["created"] == 2
    only_archived = tenant.projects.get_all_ex(id=[pid], include_stats=True, stats_for_state="archived")
    assert set(only_archived["projects"][0]["stats"]) == {"archived"}
    reply = tenant.call("projects.get_all_ex", {"include_stats": True, "stats_for_state": "deleted"})
    assert reply.code == (400, 12) and "stats_for_state" in reply.meta["result_msg"]


# --- update -------------------------------------------------------------------------------


def test_update(tenant: ApiClient) -> None:
    pid = new_project(tenant)
    new_name = unique("renamed")
    result = tenant.projects.update(project=pid, name=new_name, description="changed", tags=["x", "y"])
    assert result["updated"] == 1
    assert {"name", "description", "tags", "last_update"} <= set(result["fields"])
    project = tenant.projects.get_by_id(project=pid)["project"]
    assert (project["name"], project["description"], project["tags"]) == (new_name, "changed", ["x", "y"])
    assert project["last_update"] > project["created"]

    other = new_project(tenant)
    assert tenant.call("projects.update", {"project": other, "name": new_name}).code == (400, 801)
    assert tenant.call("projects.update", {"project": other, "name": "ab"}).code == (400, 800)
    assert tenant.call("projects.update", {"project": other, "tags": [1]}).code == (400, 12)
    assert tenant.call("projects.update", {"name": "no id"}).code == (400, 12)


# --- delete -------------------------------------------------------------------------------


def test_delete_empty_project(tenant: ApiClient) -> None:
    tenant = tenant.with_version("2.9")  # v0.16.1's answer (2.13: tests/api/test_projects_tree.py)
    pid = new_project(tenant)
    assert tenant.projects.delete(project=pid) == {"deleted": 1, "disassociated_tasks": 0}
    assert tenant.call("projects.get_by_id", {"project": pid}).code == (400, 401)


def test_delete_refused_with_tasks_unless_forced(tenant: ApiClient) -> None:
    tenant = tenant.with_version("2.9")  # v0.16.1's answer (2.13: tests/api/test_projects_tree.py)
    pid = new_project(tenant)
    tasks = [new_task(tenant, pid), new_task(tenant, pid, system_tags=["archived"])]
    reply = tenant.call("projects.delete", {"project": pid})
    assert reply.code == (400, 402)
    assert tenant.projects.get_by_id(project=pid)["project"]["id"] == pid
    assert tenant.projects.delete(project=pid, force=True) == {"deleted": 1, "disassociated_tasks": 2}
    for task_id in tasks:
        assert "project" not in tenant.tasks.get_by_id(task=task_id)["task"]


def test_delete_refused_with_models_and_ignores_archived(tenant: ApiClient) -> None:
    pid = new_project(tenant)
    tenant.models.create(name=unique("model"), uri="file:///m", project=pid)
    assert tenant.call("projects.delete", {"project": pid}).code == (400, 405)
    assert tenant.projects.delete(project=pid, force=True)["deleted"] == 1

    only_archived = new_project(tenant)
    new_task(tenant, only_archived, system_tags=["archived"])
    assert tenant.projects.delete(project=only_archived)["deleted"] == 1


# --- statistics of the tasks: metrics and hyper-parameters ---------------------------------


def test_unique_metric_variants(tenant: ApiClient) -> None:
    pid = new_project(tenant)
    task = new_task(tenant, pid)
    assert tenant.projects.get_unique_metric_variants(project=pid)["metrics"] == []
    events = [
        {"task": task, "type": "training_stats_scalar", "iter": 1, "metric": m, "variant": v, "value": 1.0}
        for m, v in (("loss", "train"), ("loss", "val"), ("acc", "val"))
    ]
    tenant.call("events.add_batch", batch=events)
    metrics = tenant.projects.get_unique_metric_variants(project=pid)["metrics"]
    assert [(m["metric"], m["variant"]) for m in metrics] == [("acc", "val"), ("loss", "train"), ("loss", "val")]
    last = tenant.tasks.get_by_id(task=task)["task"]["last_metrics"]
    for m in metrics:
        assert last[m["metric_hash"]][m["variant_hash"]]["metric"] == m["metric"]


def test_get_hyper_parameters(tenant: ApiClient) -> None:
    pid = new_project(tenant)
    params = {
        "Args": {"lr": {"section": "Args", "name": "lr", "value": "0.1"}},
        "opt": {
            "b.x": {"section": "opt", "name": "b.x", "value": "1"},
            "a": {"section": "opt", "name": "a", "value": "2"},
        },
    }
    new_task(tenant, pid, hyperparams=params)
    new_task(tenant, pid, hyperparams={"Args": {"lr": {"section": "Args", "name": "lr", "value": "0.2"}}})
    result = tenant.projects.get_hyper_parameters(project=pid)
    pairs = [(p["section"], p["name"]) for p in result["parameters"]]
    assert pairs == [("Args", "lr"), ("opt", "a"), ("opt", "b.x")]
    assert (result["total"], result["remaining"]) == (3, 0)
    paged = tenant.projects.get_hyper_parameters(project=pid, page=0, page_size=2)
    assert len(paged["parameters"]) == 2 and (paged["total"], paged["remaining"]) == (3, 1)
    assert tenant.with_version("2.8").call("projects.get_hyper_parameters", {"project": pid}).code == (404, 0)


# --- tags -----------------------------------------------------------------------------------


def test_task_and_model_tags_per_project(tenant: ApiClient) -> None:
    p1, p2 = new_project(tenant), new_project(tenant)
    new_task(tenant, p1, tags=["a", "b"])
    new_task(tenant, p1, tags=["c"], system_tags=["archived"])
    new_task(tenant, p2, tags=["z"])
    tenant.models.create(name=unique("model"), uri="file:///m", project=p1, tags=["m1"], system_tags=["s1"])

    assert tenant.projects.get_task_tags(projects=[p1]) == {"tags": ["a", "b", "c"]}
    assert tenant.projects.get_task_tags(projects=[p1, p2])["tags"] == ["a", "b", "c", "z"]
    with_system = tenant.projects.get_task_tags(projects=[p1], include_system=True)
    assert with_system == {"tags": ["a", "b", "c"], "system_tags": ["archived"]}
    active = tenant.projects.get_task_tags(projects=[p1], filter={"system_tags": ["__$not", "archived"]})
    assert active["tags"] == ["a", "b"]
    models = tenant.projects.get_model_tags(projects=[p1], include_system=True)
    assert models == {"tags": ["m1"], "system_tags": ["s1"]}
    assert tenant.projects.get_model_tags(projects=[p2]) == {"tags": []}
    assert tenant.with_version("2.7").call("projects.get_task_tags", {}).code == (404, 0)


def test_tags_before_2_3_are_one_list(tenant: ApiClient) -> None:
    old = tenant.with_version("2.1")
    pid = old.projects.create(name=unique(), description="d", tags=["archived", "mine"])["id"]
    stored = tenant.projects.get_by_id(project=pid)["project"]
    assert (stored["tags"], stored["system_tags"]) == (["mine"], ["archived"])
    assert sorted(old.projects.get_by_id(project=pid)["project"]["tags"]) == ["archived", "mine"]
    assert tenant.call("projects.create", {"name": unique(), "description": "d", "tags": ["__$not"]}).code == (400, 16)


# --- tenancy and public projects --------------------------------------------------------------


def test_other_company_cannot_see_or_write(tenant: ApiClient, make_tenant) -> None:  # type: ignore[no-untyped-def]
    pid = new_project(tenant)
    stranger = make_tenant()
    assert stranger.call("projects.get_by_id", {"project": pid}).code == (400, 401)
    assert pid not in {p["id"] for p in stranger.projects.get_all()["projects"]}
    assert pid not in {p["id"] for p in stranger.projects.get_all_ex(id=[pid])["projects"]}
    assert stranger.call("projects.update", {"project": pid, "name": unique()}).code == (400, 401)
    assert stranger.call("projects.delete", {"project": pid, "force": True}).code == (400, 401)
    assert stranger.call("projects.make_public", {"ids": [pid]}).code == (400, 401)
    colleague = make_tenant(company=tenant.company_id)  # type: ignore[attr-defined]
    assert colleague.projects.get_by_id(project=pid)["project"]["id"] == pid


def test_public_projects(tenant: ApiClient, make_tenant) -> None:  # type: ignore[no-untyped-def]
    pid = new_project(tenant)
    stranger = make_tenant()
    assert tenant.projects.make_public(ids=[pid]) == {"updated": 1}
    project = stranger.projects.get_by_id(project=pid)["project"]
    assert project["company"] == "" and "company_origin" not in project
    assert pid in {p["id"] for p in stranger.projects.get_all(id=[pid])["projects"]}
    for api in (tenant, stranger):
        assert api.call("projects.update", {"project": pid, "name": unique()}).code == (403, 21)
        assert api.call("projects.delete", {"project": pid}).code == (403, 21)
    assert stranger.call("projects.make_private", {"ids": [pid]}).code == (400, 401)
    assert tenant.call("projects.make_public", {"ids": [pid]}).code == (400, 401)  # not the company's any more
    assert tenant.projects.make_private(ids=[pid]) == {"updated": 1}
    assert stranger.call("projects.get_by_id", {"project": pid}).code == (400, 401)
    assert tenant.projects.update(project=pid, description="mine again")["updated"] == 1
    assert tenant.with_version("2.8").call("projects.make_public", {"ids": [pid]}).code == (404, 0)
    assert tenant.call("projects.make_public", {}).code == (400, 12)


def test_get_all_ex_user_join_and_active_users(tenant: ApiClient, make_tenant) -> None:  # type: ignore[no-untyped-def]
    pid = new_project(tenant)
    found = tenant.projects.get_all_ex(id=[pid], only_fields=["name", "user.name"])["projects"]
    user_name = tenant.users.get_current_user()["user"]["name"]
    assert found[0]["user"] == {"id": tenant.user_id, "name": user_name}  # type: ignore[attr-defined]

    colleague = make_tenant(company=tenant.company_id)  # type: ignore[attr-defined]
    idle = make_tenant(company=tenant.company_id)  # type: ignore[attr-defined]
    new_task(colleague, pid)
    other = new_project(tenant)
    tenant.models.create(name=unique("model"), uri="u", project=other)
    active = tenant.users.get_all_ex(active_in_projects=[pid])["users"]
    assert {u["id"] for u in active} == {colleague.user_id}
    everywhere = {u["id"] for u in tenant.users.get_all_ex(active_in_projects=[])["users"]}
    assert everywhere == {colleague.user_id, tenant.user_id}  # type: ignore[attr-defined]
    assert idle.user_id not in everywhere
