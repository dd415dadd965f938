"""Subprojects (API 2.13) and hidden projects (2.14): a name with '/' is a path; parent,
path and basename; get_all's tree filters; renaming, moving and merging trees; deleting a
tree and validate_delete. Below 2.13 nothing of it changes (docs/projects.md)."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from support.client import ApiClient

V = "2.14"


def _root(prefix: str = "Root") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:6]}"


def _call(api: ApiClient, action: str, data: dict[str, Any], version: str = V) -> dict[str, Any]:
    reply = api.call(f"projects.{action}", data, version=version)
    assert reply.status == 200, reply.meta
    return reply.data


def _code(api: ApiClient, action: str, data: dict[str, Any], version: str = V) -> tuple[int, int]:
    return api.call(f"projects.{action}", data, version=version).code


def _create(api: ApiClient, name: str, version: str = V, **fields: Any) -> str:
    return str(_call(api, "create", {"name": name, "description": "", **fields}, version)["id"])


def _by_name(api: ApiClient, name: str, version: str = V) -> dict[str, Any]:
    found = _call(api, "get_all", {"name": f"^{name}$", "only_fields": ["id", "name", "basename", "parent", "path"]})
    assert len(found["projects"]) == 1, found
    return dict(found["projects"][0])


def _get(api: ApiClient, pid: str, version: str = V) -> dict[str, Any]:
    return dict(_call(api, "get_by_id", {"project": pid}, version)["project"])


def test_create_a_path_creates_the_missing_ancestors(tenant: ApiClient) -> None:
    root = _root()
    leaf = _create(tenant, f" {root}//Mid / Leaf/")
    top, mid = _by_name(tenant, root), _by_name(tenant, f"{root}/Mid")
    project = _get(tenant, leaf)
    assert project["name"] == f"{root}/Mid/Leaf" and project["basename"] == "Leaf"
    assert project["parent"] == mid["id"] and project["path"] == [top["id"], mid["id"]]
    assert mid["parent"] == top["id"] and mid["path"] == [top["id"]] and mid["basename"] == "Mid"
    assert top.get("parent") is None and top["path"] == [] and top["basename"] == root
    # an existing ancestor is reused; get_all answers no path unless asked
    sibling = _create(tenant, f"{root}/Mid/Other")
    assert _get(tenant, sibling)["path"] == [top["id"], mid["id"]]
    listed = _call(tenant, "get_all", {"id": [sibling]})["projects"][0]
    assert listed["parent"] == mid["id"] and "path" not in listed


def test_create_refusals(tenant: ApiClient) -> None:
    root = _root()
    assert _code(tenant, "create", {"name": "/", "description": ""}) == (400, 407)
    assert _code(tenant, "create", {"name": " / / ", "description": ""}) == (400, 407)
    assert _code(tenant, "create", {"name": "ab/cde", "description": ""}) == (400, 800)  # the ancestor "ab"
    _create(tenant, f"{root}/Child")
    assert _code(tenant, "create", {"name": f"{root}/Child", "description": ""}) == (400, 801)
    assert _code(tenant, "create", {"name": f"{root}//Child/", "description": ""}) == (400, 801)
    too_deep = "/".join([root, *(f"level{i}" for i in range(10))])
    assert _code(tenant, "create", {"name": too_deep, "description": ""}) == (400, 409)
    assert not _call(tenant, "get_all", {"name": f"^{root}/level0"})["projects"]  # nothing created


def test_a_public_project_name_cannot_be_an_ancestor(tenant: ApiClient, make_tenant) -> None:  # type: ignore[no-untyped-def]
    stranger = make_tenant()
    name = _root("Public")
    pid = _create(stranger, name)
    assert stranger.projects.make_public(ids=[pid]) == {"updated": 1}
    # the public project is visible to the tenant, which cannot write under it
    assert _code(tenant, "create", {"name": f"{name}/mine", "description": ""}) == (400, 414)
    assert _code(tenant, "create", {"name": name, "description": ""}) == (400, 414)


def test_below_2_13_a_name_with_a_slash_is_one_project(tenant: ApiClient) -> None:
    root = _root()
    pid = _create(tenant, f"{root}/flat", version="2.9")
    assert not _call(tenant, "get_all", {"name": f"^{root}$"}, "2.9")["projects"]
    project = _get(tenant, pid, "2.9")
    assert project["name"] == f"{root}/flat"
    assert not {"basename", "parent", "path"} & set(project)
    listed = _call(tenant, "get_all", {"id": [pid]}, "2.9")["projects"][0]
    assert not {"basename", "parent", "path"} & set(listed)
    # at 2.13 it is a top-level project, and it can hold a subproject
    top = _call(tenant, "get_all", {"shallow_search": True, "id": [pid]})["projects"]
    assert [p["id"] for p in top] == [pid]
    child = _create(tenant, f"{root}/flat/child")
    assert _get(tenant, child)["parent"] == pid
    # a 2.9 rename changes only that project's name; a 2.9 delete only that project
    assert _call(tenant, "update", {"project": pid, "name": f"{root}/renamed"}, "2.9")["updated"] == 1
    assert _get(tenant, child)["name"] == f"{root}/flat/child"
    assert _call(tenant, "delete", {"project": pid}, "2.9") == {"deleted": 1, "disassociated_tasks": 0}
    assert _get(tenant, child)["name"] == f"{root}/flat/child"


def test_get_all_tree_filters(tenant: ApiClient) -> None:
    root = _root("Search")
    p1 = _create(tenant, f"{root}/project1")
    p2 = _create(tenant, f"{root}/project1/project2")
    p4 = _create(tenant, f"{root}/project1/project2/project1")
    top = _by_name(tenant, root)["id"]

    def ids(**request: Any) -> set[str]:
        return {p["id"] for p in _call(tenant, "get_all", request)["projects"]}

    assert ids(name="project1", parent=[top]) == {p1, p2, p4}
    assert ids(name="project1", parent=[top], shallow_search=True) == {p1}
    assert ids(name="project1", parent=[p1]) == {p2, p4}
    assert ids(name="project1", parent=[p2]) == {p4}
    assert ids(basename="project2") == {p2}
    assert ids(basename="project2", shallow_search=True) == set()
    assert top in ids(shallow_search=True) and not {p1, p2, p4} & ids(shallow_search=True)
    assert ids(parent=[top], path=[p2]) == {p1, p2, p4}  # path is not a filter of its own
    # the same through get_all_ex, whose parent is {"id": ...}
    found = _call(tenant, "get_all_ex", {"id": [p2]})["projects"][0]
    assert found["parent"] == {"id": p1} and found["basename"] == "project2"
    joined = _call(tenant, "get_all_ex", {"id": [p2], "only_fields": ["parent.name"]})["projects"][0]
    assert joined["parent"] == {"id": p1, "name": f"{root}/project1"}


def test_hidden_projects(tenant: ApiClient) -> None:
    root = _root("Hidden")
    visible = _create(tenant, root)
    hidden = _create(tenant, f"{root}/.datasets/ds", system_tags=["hidden", "dataset"])
    folder = _by_name(tenant, f"{root}/.datasets")["id"]

    def ids(request: dict[str, Any], version: str = V, action: str = "get_all") -> set[str]:
        return {p["id"] for p in _call(tenant, action, {"parent": [visible], **request}, version)["projects"]}

    assert ids({}) == {folder}
    assert ids({"search_hidden": True}) == {folder, hidden}
    assert ids({}, "2.13") == {folder, hidden}  # hidden from 2.14 on
    assert {p["id"] for p in _call(tenant, "get_all", {"id": [hidden]})["projects"]} == {hidden}
    marked = _call(tenant, "get_all_ex", {"parent": [visible], "search_hidden": True, "only_fields": ["name"]})
    flags = {p["id"]: p.get("hidden") for p in marked["projects"]}
    assert flags == {folder: None, hidden: True}
    assert all("system_tags" not in p for p in marked["projects"])
    # the statistics of a project count its children's tasks, hidden ones only with search_hidden
    tenant.tasks.create(name="in hidden", type="training", project=hidden)
    tenant.tasks.create(name="in folder", type="training", project=folder)

    def stats(search_hidden: bool) -> dict[str, Any]:
        request = {"id": [visible], "include_stats": True, "search_hidden": search_hidden}
        return dict(_call(tenant, "get_all_ex", request)["projects"][0])

    shown = stats(False)
    assert shown["stats"]["active"]["status_count"]["created"] == 1
    assert shown["sub_projects"] == [{"id": folder, "name": f"{root}/.datasets"}]
    everything = stats(True)
    assert everything["stats"]["active"]["status_count"]["created"] == 2
    assert [p["id"] for p in everything["sub_projects"]] == [folder, hidden]
    # below 2.13 the statistics are the project's own
    old = _call(tenant, "get_all_ex", {"id": [visible], "include_stats": True}, "2.9")["projects"][0]
    assert old["stats"]["active"]["status_count"]["created"] == 0 and "sub_projects" not in old


def test_rename_renames_the_descendants(tenant: ApiClient) -> None:
    root = _root()
    pr1 = _create(tenant, f"{root}/Pr1")
    child = _create(tenant, f"{root}/Pr1/Pr2")
    assert _code(tenant, "update", {"project": pr1, "name": f"{root}x/Pr2"}) == (400, 408)
    assert _code(tenant, "update", {"project": pr1, "name": "Pr2"}) == (400, 408)
    result = _call(tenant, "update", {"project": pr1, "name": f"{root}/ Renamed "})
    assert result["updated"] == 1 and result["fields"]["name"] == f"{root}/Renamed"
    assert _get(tenant, pr1)["basename"] == "Renamed"
    assert _get(tenant, child)["name"] == f"{root}/Renamed/Pr2"
    other = _create(tenant, f"{root}/Taken")
    assert _code(tenant, "update", {"project": other, "name": f"{root}/Renamed"}) == (400, 801)


def test_move(tenant: ApiClient) -> None:
    a, b = _root("MoveA"), _root("MoveB")
    project = _create(tenant, f"{a}/Pr")
    child = _create(tenant, f"{a}/Pr/Child")
    grandchild = _create(tenant, f"{a}/Pr/Child/Deep")
    assert _call(tenant, "move", {"project": project, "new_location": f"{b}/Sub"}) == {"moved": 3}
    new_b, sub = _by_name(tenant, b), _by_name(tenant, f"{b}/Sub")
    moved = _get(tenant, grandchild)
    assert moved["name"] == f"{b}/Sub/Pr/Child/Deep" and moved["basename"] == "Deep"
    assert moved["path"] == [new_b["id"], sub["id"], project, child]
    assert _get(tenant, project)["parent"] == sub["id"]
    # the old location stays, empty
    assert not _call(tenant, "get_all", {"parent": [_by_name(tenant, a)["id"]]})["projects"]
    # to the top level
    assert _call(tenant, "move", {"project": child, "new_location": ""}) == {"moved": 2}
    top = _get(tenant, child)
    assert top["name"] == "Child" and top.get("parent") is None and top["path"] == []
    assert _get(tenant, grandchild)["path"] == [child]


def test_move_refusals(tenant: ApiClient, make_tenant) -> None:  # type: ignore[no-untyped-def]
    root = _root("MoveX")
    project = _create(tenant, f"{root}/Pr")
    _create(tenant, f"{root}/Pr/Child")
    assert _code(tenant, "move", {"project": project, "new_location": f"{root}/Pr"}) == (400, 411)
    assert _code(tenant, "move", {"project": project, "new_location": f"{root}/Pr/Child"}) == (400, 411)
    assert _code(tenant, "move", {"project": project, "new_location": f"{root}/Pr/Child/New"}) == (400, 411)
    assert not _call(tenant, "get_all", {"name": "/New$"})["projects"]  # nothing created
    assert _code(tenant, "move", {"project": project, "new_location": root}) == (400, 410)
    assert _code(tenant, "move", {"project": "no-such-project", "new_location": root}) == (400, 401)
    assert _code(tenant, "move", {"new_location": root}) == (400, 12)
    other = _root("MoveY")
    _create(tenant, f"{other}/Pr")
    assert _code(tenant, "move", {"project": project, "new_location": other}) == (400, 801)
    assert _get(tenant, project)["name"] == f"{root}/Pr"
    deep = "/".join(f"lvl{i}x" for i in range(9))
    assert _code(tenant, "move", {"project": project, "new_location": deep}) == (400, 409)
    assert _code(make_tenant(), "move", {"project": project, "new_location": other}) == (400, 401)
    # an action of 2.13 the reference also routes below it
    assert tenant.call("projects.move", {"project": project, "new_location": root}, version="2.9").code == (400, 410)


def test_merge(tenant: ApiClient) -> None:
    root = _root("Merge")
    destination = _create(tenant, f"{root}/Dest")
    source = _create(tenant, f"{root}/Src")
    child = _create(tenant, f"{root}/Src/Child")
    leaf = _create(tenant, f"{root}/Src/Child/Leaf")
    task = tenant.tasks.create(name="task t", type="training", project=source)["id"]
    archived = tenant.tasks.create(name="task a", type="training", project=source, system_tags=["archived"])["id"]
    model = tenant.models.create(name="model m", uri="file:///m", project=source)["id"]
    assert _code(tenant, "merge", {"project": source, "destination_project": source}) == (400, 410)
    assert _code(tenant, "merge", {"project": source, "destination_project": child}) == (400, 412)
    assert _code(tenant, "merge", {"project": source, "destination_project": "nope"}) == (400, 401)
    assert _code(tenant, "merge", {"project": "nope", "destination_project": destination}) == (400, 401)
    result = _call(tenant, "merge", {"project": source, "destination_project": destination})
    assert result == {"moved_entities": 3, "moved_projects": 1}
    assert _code(tenant, "get_by_id", {"project": source}) == (400, 401)
    assert _get(tenant, leaf)["name"] == f"{root}/Dest/Child/Leaf"
    assert _get(tenant, child)["parent"] == destination
    for tid in (task, archived):
        assert tenant.tasks.get_by_id(task=tid)["task"]["project"] == destination
    assert tenant.models.get_by_id(model=model)["model"]["project"] == destination


def test_merge_name_clash_changes_nothing(tenant: ApiClient) -> None:
    root = _root("Clash")
    destination = _create(tenant, f"{root}/Dest")
    _create(tenant, f"{root}/Dest/Child")
    source = _create(tenant, f"{root}/Src")
    _create(tenant, f"{root}/Src/Child")
    task = tenant.tasks.create(name="task t", type="training", project=source)["id"]
    assert _code(tenant, "merge", {"project": source, "destination_project": destination}) == (400, 801)
    assert tenant.tasks.get_by_id(task=task)["task"]["project"] == source
    assert _get(tenant, source)["name"] == f"{root}/Src"


def test_validate_delete_counts_the_tree(tenant: ApiClient) -> None:
    root = _root("Validate")
    top = _create(tenant, root)
    child = _create(tenant, f"{root}/child")
    tenant.tasks.create(name="task t", type="training", project=top)
    tenant.tasks.create(name="task a", type="training", project=child, system_tags=["archived"])
    tenant.models.create(name="model m", uri="file:///m", project=child)
    pipeline = _create(tenant, f"{root}/.pipelines/pipe", system_tags=["hidden", "pipeline"])
    tenant.tasks.create(name="controller", type="controller", project=pipeline, system_tags=["pipeline"])
    dataset = _create(tenant, f"{root}/.datasets/ds", system_tags=["hidden", "dataset"])
    tenant.tasks.create(name="version", type="data_processing", project=dataset, system_tags=["dataset"])
    assert _call(tenant, "validate_delete", {"project": top}, "2.26") == {
        "tasks": 2,
        "non_archived_tasks": 1,
        "models": 1,
        "non_archived_models": 1,
        "reports": 0,
        "non_archived_reports": 0,
        "pipelines": 1,
        "datasets": 1,
    }
    assert _call(tenant, "validate_delete", {"project": child})["non_archived_tasks"] == 0
    assert _code(tenant, "validate_delete", {"project": "nope"}) == (400, 401)
    # the refusals, in the reference's order
    assert _code(tenant, "delete", {"project": top}) == (400, 413)
    assert _code(tenant, "delete", {"project": f"{pipeline}"}) == (400, 413)
    assert _code(tenant, "delete", {"project": dataset}) == (400, 406)
    assert _code(tenant, "delete", {"project": child}) == (400, 405)  # its model is active


def test_delete_a_tree(tenant: ApiClient) -> None:
    root = _root("Delete")
    top = _create(tenant, root)
    child = _create(tenant, f"{root}/child")
    grandchild = _create(tenant, f"{root}/child/leaf")
    task = tenant.tasks.create(name="task t", type="training", project=grandchild)["id"]
    assert _code(tenant, "delete", {"project": top}) == (400, 402)
    assert _code(tenant, "delete", {"project": "nope"}) == (400, 401)
    assert _call(tenant, "delete", {"project": child, "force": True}) == {
        "deleted": 2,
        "disassociated_tasks": 1,
        "deleted_tasks": 0,
        "deleted_models": 0,
    }
    assert "project" not in tenant.tasks.get_by_id(task=task)["task"]
    for pid in (child, grandchild):
        assert _code(tenant, "get_by_id", {"project": pid}) == (400, 401)
    assert _get(tenant, top)["name"] == root
    # an empty tree needs no force
    assert _call(tenant, "delete", {"project": top})["deleted"] == 1


def test_delete_contents(tenant: ApiClient) -> None:
    root = _root("Contents")
    top = _create(tenant, root)
    child = _create(tenant, f"{root}/child")
    outside = _create(tenant, _root("Outside"))
    parent_task = tenant.tasks.create(name="task p", type="training", project=child)["id"]
    kept = tenant.tasks.create(name="task k", type="training", project=outside, parent=parent_task)["id"]
    model = tenant.models.create(name="model m", uri="file:///weights.bin", project=top)["id"]
    user = tenant.tasks.create(name="task u", type="training", project=outside, execution={"model": model})["id"]
    tenant.tasks.add_or_update_artifacts(
        task=parent_task, artifacts=[{"key": "a", "type": "file", "mode": "output", "uri": "file:///art"}]
    )
    result = _call(tenant, "delete", {"project": top, "force": True, "delete_contents": True})
    assert result == {
        "deleted": 2,
        "disassociated_tasks": 0,
        "deleted_tasks": 1,
        "deleted_models": 1,
        "urls": {"model_urls": ["file:///weights.bin"], "artifact_urls": ["file:///art"]},
    }
    assert tenant.call("tasks.get_by_id", {"task": parent_task}).code == (400, 101)
    assert tenant.call("models.get_by_id", {"model": model}).code == (400, 201)
    assert "parent" not in tenant.tasks.get_by_id(task=kept)["task"]
    assert tenant.tasks.get_by_id(task=user)["task"]["execution"]["model"] == f"__DELETED__{model}"


def test_concurrent_creates_share_their_new_ancestors(tenant: ApiClient) -> None:
    root = _root("Concurrent")
    names = [f"{root}/Mid/leaf{i}" for i in range(8)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        codes = list(
            pool.map(lambda n: tenant.call("projects.create", {"name": n, "description": ""}, version=V).code, names)
        )
    assert codes == [(200, 0)] * len(names)
    mid = _by_name(tenant, f"{root}/Mid")
    children = _call(tenant, "get_all", {"parent": [mid["id"]], "shallow_search": True})["projects"]
    assert sorted(p["name"] for p in children) == sorted(names)


def test_get_all_ex_active_users_and_own_contents(tenant: ApiClient, make_tenant) -> None:  # type: ignore[no-untyped-def]
    colleague = make_tenant(company=tenant.company_id)  # type: ignore[attr-defined]
    root = _root("Users")
    child = _create(colleague, f"{root}/Child")
    top = _by_name(tenant, root)["id"]
    me = tenant.user_id  # type: ignore[attr-defined]

    def ex(**request: Any) -> list[dict[str, Any]]:
        return list(_call(tenant, "get_all_ex", request)["projects"])

    assert ex(id=[top], active_users=[me]) == []  # the colleague created both
    task = tenant.tasks.create(name="mine", type="training", project=child)["id"]
    tenant.tasks.create(name="mine archived", type="training", project=child, system_tags=["archived"])
    colleague.tasks.create(name="theirs", type="training", project=child)
    tenant.models.create(name="my model", uri="file:///m", project=top)
    assert [p["id"] for p in ex(id=[top], active_users=[me])] == [top]
    hidden = _create(tenant, f"{root}/.hidden", system_tags=["hidden"])
    tenant.tasks.create(name="in hidden", type="training", project=hidden)
    assert hidden not in {p["id"] for p in ex(active_users=[me])}  # still hidden
    assert hidden in {p["id"] for p in ex(active_users=[me], search_hidden=True)}
    assert {p["id"] for p in ex(active_users=[me], parent=[top])} == {child}
    stats = ex(id=[top], active_users=[me], include_stats=True)[0]["stats"]["active"]["status_count"]
    assert stats["created"] == 1
    assert ex(id=[top], include_stats=True)[0]["stats"]["active"]["status_count"]["created"] == 2
    # own contents: the project's own, not its descendants'
    own = {p["id"]: (p["own_tasks"], p["own_models"]) for p in ex(id=[top, child], check_own_contents=True)}
    assert own == {top: (0, 1), child: (2, 0)}
    archived = ex(id=[child], check_own_contents=True, stats_for_state="archived")[0]
    assert archived["own_tasks"] == 1
    assert "own_tasks" not in ex(id=[child])[0]
    # users.get_all_ex's active_in_projects counts the subprojects too
    active = {u["id"] for u in tenant.users.get_all_ex(active_in_projects=[top])["users"]}
    assert active == {me, colleague.user_id}  # type: ignore[attr-defined]
    assert tenant.tasks.get_by_id(task=task)["task"]["project"] == child


def test_scroll_and_stats_with_children(tenant: ApiClient) -> None:
    root = _root("Scroll")
    top = _create(tenant, root)
    names = [f"{root}/p{i}" for i in range(5)]
    ids = [_create(tenant, n) for n in names]
    for action in ("get_all", "get_all_ex"):
        seen: list[str] = []
        answer = _call(tenant, action, {"parent": [top], "size": 2, "order_by": ["name"]}, "2.15")
        while answer["projects"]:
            seen += [p["id"] for p in answer["projects"]]
            answer = _call(
                tenant, action, {"parent": [top], "scroll_id": answer["scroll_id"], "order_by": ["name"]}, "2.15"
            )
        assert seen == ids
        again = {"parent": [top], "scroll_id": answer["scroll_id"], "refresh_scroll": True, "size": 1}
        assert len(_call(tenant, action, again, "2.15")["projects"]) == 5
        assert _code(tenant, action, {"scroll_id": "nonsense"}, "2.15") == (400, 1104)
        assert "scroll_id" not in _call(tenant, action, {"parent": [top], "size": 2})  # 2.14: no scroll
    tenant.tasks.create(name="below", type="training", project=ids[0])
    request = {"id": [top], "include_stats": True}
    counted = _call(tenant, "get_all_ex", request, "2.16")["projects"][0]
    assert counted["stats"]["active"]["status_count"]["created"] == 1 and len(counted["sub_projects"]) == 5
    own = _call(tenant, "get_all_ex", {**request, "stats_with_children": False}, "2.16")["projects"][0]
    assert own["stats"]["active"]["status_count"]["created"] == 0 and own["sub_projects"] == []


def test_a_reports_project_is_filed_in_the_tree(tenant: ApiClient) -> None:
    root = _root("Reports")
    project = _create(tenant, f"{root}/Sub")
    reply = tenant.call("reports.create", {"name": "my report", "project": project}, version="2.23")
    assert reply.status == 200, reply.meta
    reports = _get(tenant, reply.data["project_id"])
    assert reports["name"] == f"{root}/Sub/.reports" and reports["parent"] == project
    assert reports["path"] == [_by_name(tenant, root)["id"], project]
    assert "hidden" in reports["system_tags"]
    # it is renamed and moved with its project
    _call(tenant, "update", {"project": project, "name": f"{root}/Renamed"})
    assert _get(tenant, reports["id"])["name"] == f"{root}/Renamed/.reports"
    assert _call(tenant, "move", {"project": project, "new_location": ""}) == {"moved": 2}
    assert _get(tenant, reports["id"])["name"] == "Renamed/.reports"


def test_models_include_subprojects(tenant: ApiClient) -> None:
    root = _root("Models")
    top = _create(tenant, root)
    child = _create(tenant, f"{root}/child")
    other = _create(tenant, _root("Other"))
    mine = {tenant.models.create(name=f"model {p}", uri="file:///m", project=p)["id"]: p for p in (top, child, other)}

    def found(version: str, action: str, **request: Any) -> set[str]:
        reply = tenant.call(f"models.{action}", {"only_fields": ["id"], **request}, version=version)
        assert reply.status == 200, reply.meta
        return {m["id"] for m in reply.data["models"]} & set(mine)

    by_project = {p: m for m, p in mine.items()}
    assert found("2.13", "get_all_ex", project=[top]) == {by_project[top]}
    assert found("2.13", "get_all_ex", project=[top], include_subprojects=True) == {by_project[top], by_project[child]}
    assert found("2.26", "get_all", project=top, include_subprojects=True) == {by_project[top], by_project[child]}
    excluded = found("2.26", "get_all", project=["-" + top], include_subprojects=True)
    assert by_project[top] not in excluded and by_project[other] in excluded
    # models.move by name at 2.13 files the target in the tree
    moved = tenant.call(
        "models.move", {"ids": [by_project[other]], "project_name": f"{root}/new/place"}, version="2.13"
    )
    assert moved.status == 200, moved.meta
    assert _get(tenant, moved.data["project_id"])["parent"] == _by_name(tenant, f"{root}/new")["id"]


def test_get_all_ex_public_projects_or_not(tenant: ApiClient, make_tenant) -> None:  # type: ignore[no-untyped-def]
    stranger = make_tenant()
    public = _create(stranger, _root("Shared"))
    assert stranger.projects.make_public(ids=[public]) == {"updated": 1}
    mine = _create(tenant, _root("Mine"))

    def ids(version: str, **request: Any) -> set[str]:
        return {p["id"] for p in _call(tenant, "get_all_ex", {"id": [public, mine], **request}, version)["projects"]}

    assert ids("2.9") == {public, mine}
    assert ids("2.9", non_public=True) == {mine}
    assert ids("2.23", non_public=True) == {mine}
    assert ids("2.23", allow_public=False) == {mine}
    assert ids("2.23", allow_public=True, non_public=True) == {public, mine}


def test_get_all_ex_children_type(tenant: ApiClient) -> None:
    root = _create(tenant, _root("Kinds"))
    name = _get(tenant, root)["name"]
    ds_parent = _create(tenant, f"{name}/Project1")
    dataset = _create(
        tenant, f"{name}/Project1/.datasets/ds", system_tags=["hidden", "dataset"], tags=["hello", "world"]
    )
    tenant.tasks.create(name="dataset task", type="data_processing", project=dataset, system_tags=["dataset"])
    pipe_parent = _create(tenant, f"{name}/Project2")
    pipeline = _create(tenant, f"{name}/Project2/.pipelines/pipe", system_tags=["hidden", "pipeline"])
    tenant.tasks.create(name="controller", type="controller", project=pipeline, system_tags=["pipeline"])
    tenant.tasks.create(name="regular", type="training", project=pipeline)
    report_parent = _create(tenant, f"{name}/Project3")
    report = tenant.call(
        "reports.create", {"name": "a report", "project": report_parent, "tags": ["t1"]}, version="2.25"
    )
    assert report.status == 200, report.meta

    def listed(version: str = "2.25", **request: Any) -> dict[str, dict[str, Any]]:
        base = {"parent": [root], "shallow_search": True, "include_stats": True, "check_own_contents": True}
        answer = _call(tenant, "get_all_ex", {**base, **request}, version)["projects"]
        return {p["basename"]: p for p in answer}

    assert set(listed()) == {"Project1", "Project2", "Project3"}
    datasets = listed(children_type="dataset")
    assert set(datasets) == {"Project1"}
    assert datasets["Project1"]["stats"] == {"datasets": {"count": 1, "tags": ["hello", "world"]}}
    assert datasets["Project1"]["own_datasets"] == 0 and "own_tasks" not in datasets["Project1"]
    pipelines = listed(children_type="pipeline")
    assert set(pipelines) == {"Project2"}
    assert pipelines["Project2"]["stats"]["active"]["status_count"]["created"] == 1  # the controller only
    assert pipelines["Project2"]["own_tasks"] == 0
    reports = listed(children_type="report")
    assert set(reports) == {"Project3"}
    assert set(listed(children_type="report", children_tags=["t1"])) == {"Project3"}
    assert listed(children_type="report", children_tags=["other"]) == {}
    assert set(listed(children_type="dataset", children_tags=["-hello"])) == set()
    assert set(listed("2.23", children_type="dataset")) == {"Project1", "Project2", "Project3"}  # 2.24 on
    assert _code(tenant, "get_all_ex", {"children_type": "nonsense"}, "2.25") == (400, 12)
    assert ds_parent and pipe_parent


def test_get_all_ex_include_stats_filter_and_dataset_stats(tenant: ApiClient) -> None:
    root = _create(tenant, _root("Filtered"))
    name = _get(tenant, root)["name"]
    child = _create(tenant, f"{name}/child")
    tenant.tasks.create(name="training one", type="training", project=root)
    tenant.tasks.create(name="testing one", type="testing", project=child)
    tenant.tasks.create(name="tagged one", type="testing", project=child, tags=["x"])

    def created(version: str, **request: Any) -> int:
        answer = _call(tenant, "get_all_ex", {"id": [root], "include_stats": True, **request}, version)
        return int(answer["projects"][0]["stats"]["active"]["status_count"]["created"])

    assert created("2.17") == 3
    assert created("2.17", include_stats_filter={"type": ["testing"]}) == 2
    assert created("2.17", include_stats_filter={"type": ["testing"], "tags": ["-x"]}) == 1
    assert created("2.16", include_stats_filter={"type": ["testing"]}) == 3  # from 2.17
    bad = {"id": [root], "include_stats": True, "include_stats_filter": {"type": "testing"}}
    assert _code(tenant, "get_all_ex", bad, "2.17") == (400, 12)
    own = _call(
        tenant,
        "get_all_ex",
        {"id": [child], "check_own_contents": True, "include_stats_filter": {"tags": ["x"]}},
        "2.17",
    )
    assert own["projects"][0]["own_tasks"] == 1
    # no task with a runtime: dataset_stats is null
    stats = _call(tenant, "get_all_ex", {"id": [root], "include_dataset_stats": True}, "2.20")["projects"][0]
    assert "dataset_stats" in stats and stats["dataset_stats"] is None


def test_metric_variants_and_hyper_parameters_include_subprojects(tenant: ApiClient) -> None:
    top = _create(tenant, _root("Params"))
    child = _create(tenant, f"{_get(tenant, top)['name']}/child")
    params = {"Args": {"lr": {"section": "Args", "name": "lr", "value": "0.1"}}}
    task = tenant.tasks.create(name="child task", type="training", project=child, hyperparams=params)["id"]
    event = {"task": task, "type": "training_stats_scalar", "iter": 1, "metric": "loss", "variant": "val", "value": 1.0}
    assert tenant.call("events.add_batch", batch=[event]).status == 200

    def metrics(version: str, **request: Any) -> list[tuple[str, str]]:
        found = _call(tenant, "get_unique_metric_variants", {"project": top, **request}, version)["metrics"]
        return [(m["metric"], m["variant"]) for m in found]

    def parameters(version: str, **request: Any) -> list[tuple[str, str]]:
        found = _call(tenant, "get_hyper_parameters", {"project": top, **request}, version)["parameters"]
        return [(p["section"], p["name"]) for p in found]

    assert metrics("2.13") == [("loss", "val")] and parameters("2.13") == [("Args", "lr")]
    assert metrics("2.13", include_subprojects=False) == [] and parameters("2.13", include_subprojects=False) == []
    assert metrics("2.9") == [] and parameters("2.9") == []  # below 2.13: the project's own
