"""models.* beyond v0.16.1 (API 2.11 - 2.27): metadata and its filters, the batch
actions, update_tags, get_by_id_ex, scrolled listings and stats, delete's url."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from support.client import ApiClient
from support.models_api import new_model, unique

V = "2.27"


def _call(api: ApiClient, action: str, data: dict[str, Any], version: str = V) -> dict[str, Any]:
    reply = api.call(f"models.{action}", data, version=version)
    assert reply.status == 200, reply.meta
    return reply.data


def _model(api: ApiClient, model: str, version: str = V) -> dict[str, Any]:
    return dict(_call(api, "get_by_id", {"model": model}, version)["model"])


def test_metadata_create_edit_and_actions(tenant: ApiClient) -> None:
    meta = {"epochs.n": {"key": "epochs.n", "type": "int", "value": "10"}}
    model = _call(tenant, "create", {"name": unique(), "uri": "u", "metadata": meta})["id"]
    assert _model(tenant, model)["metadata"] == meta
    items = [{"key": "acc", "type": "float", "value": "0.9"}, {"key": "epochs.n", "value": "12"}]
    assert _call(tenant, "add_or_update_metadata", {"model": model, "metadata": items}) == {"updated": 1}
    assert _model(tenant, model)["metadata"] == {"acc": items[0], "epochs.n": {"key": "epochs.n", "value": "12"}}
    assert _call(tenant, "delete_metadata", {"model": model, "keys": ["acc", "nope"]}) == {"updated": 1}
    assert set(_model(tenant, model)["metadata"]) == {"epochs.n"}
    replace = {"model": model, "metadata": [{"key": "only", "value": "x"}], "replace_metadata": True}
    _call(tenant, "add_or_update_metadata", replace)
    assert _model(tenant, model)["metadata"] == {"only": {"key": "only", "value": "x"}}
    _call(tenant, "edit", {"model": model, "metadata": {"e": {"value": "1"}}})
    assert _model(tenant, model)["metadata"] == {"e": {"key": "e", "value": "1"}}
    _call(tenant, "update", {"model": model, "metadata": {"u": {"value": "2"}}})
    assert _model(tenant, model)["metadata"] == {"u": {"key": "u", "value": "2"}}
    # below 2.13 metadata is no field of edit
    tenant.with_version("2.9").models.edit(model=model, metadata={"old": {"value": "3"}})
    assert _model(tenant, model)["metadata"] == {"u": {"key": "u", "value": "2"}}


def test_metadata_as_a_list_of_items_in_create_edit_update(tenant: ApiClient) -> None:
    """The SDK's bundle (clearml 2.1, v2_23) declares metadata of create / edit / update as a
    list of items; a dictionary by key is accepted too (the reference's own schema)."""
    items = [{"key": "a", "type": "int", "value": "1"}, {"key": "b.c", "value": "x"}]
    model = _call(tenant, "create", {"name": unique(), "uri": "u", "metadata": items})["id"]
    assert _model(tenant, model)["metadata"] == {"a": items[0], "b.c": items[1]}
    _call(tenant, "edit", {"model": model, "metadata": [{"key": "e", "value": "2"}]})
    assert _model(tenant, model)["metadata"] == {"e": {"key": "e", "value": "2"}}
    _call(tenant, "update", {"model": model, "metadata": [{"key": "u", "value": "3"}]})
    assert _model(tenant, model)["metadata"] == {"u": {"key": "u", "value": "3"}}
    for bad in ([{"key": "k", "value": 5}], "text", [1]):
        reply = tenant.call("models.edit", {"model": model, "metadata": bad}, version=V)
        assert reply.code == (400, 12) and "metadata" in reply.meta["result_msg"], bad
    assert _model(tenant, model)["metadata"] == {"u": {"key": "u", "value": "3"}}


def test_get_all_filters_on_last_update(tenant: ApiClient) -> None:
    project = tenant.projects.create(name=unique("proj"), description="d")["id"]
    model = new_model(tenant, project=project)
    new_model(tenant, project=project)  # never changed: no last_update
    _call(tenant, "add_or_update_metadata", {"model": model, "metadata": [{"key": "k", "value": "v"}]})
    stamp = _model(tenant, model)["last_update"]  # set by changes, not by models.create
    for version in ("2.9", V):
        found = tenant.with_version(version).models.get_all(project=[project], last_update=[f">={stamp}"])
        assert [m["id"] for m in found["models"]] == [model]
        found = tenant.with_version(version).models.get_all(project=[project], last_update=[f"<{stamp}"])
        assert found["models"] == []
    reply = tenant.call("models.get_all", {"last_update": [">=not a date"]}, version=V)
    assert reply.code == (400, 12) and "last_update" in reply.meta["result_msg"]


def test_metadata_filters_projection_and_order(tenant: ApiClient) -> None:
    project = tenant.projects.create(name=unique("proj"), description="d")["id"]
    a = _call(tenant, "create", {"name": unique(), "uri": "u", "project": project, "metadata": {"k.1": {"value": "b"}}})
    b = _call(tenant, "create", {"name": unique(), "uri": "u", "project": project, "metadata": {"k.1": {"value": "a"}}})
    new_model(tenant, project=project)
    found = _call(tenant, "get_all", {"project": [project], "metadata.k.1.value": ["b"], "only_fields": ["id"]})
    assert [m["id"] for m in found["models"]] == [a["id"]]
    found = _call(tenant, "get_all_ex", {"project": [project], "metadata.k.1.value": "a", "only_fields": ["id"]})
    assert [m["id"] for m in found["models"]] == [b["id"]]
    ordered = _call(
        tenant,
        "get_all",
        {
            "project": [project],
            "metadata.k.1.value": ["a", "b"],
            "order_by": ["metadata.k.1.value"],
            "only_fields": ["metadata.k.1.value"],
        },
    )["models"]
    assert [m["id"] for m in ordered] == [b["id"], a["id"]]
    assert ordered[0]["metadata"] == {"k.1": {"value": "a"}}
    reply = tenant.call("models.get_all", {"metadata.k.value": {"$ne": 1}}, version=V)
    assert reply.code == (400, 12)


def test_metadata_errors(tenant: ApiClient, make_tenant) -> None:  # type: ignore[no-untyped-def]
    model = new_model(tenant)
    for action, body in (("add_or_update_metadata", {"metadata": []}), ("delete_metadata", {"keys": ["a"]})):
        assert tenant.call(f"models.{action}", {"model": "nope", **body}, version=V).code == (400, 201)
        assert make_tenant().call(f"models.{action}", {"model": model, **body}, version=V).code == (400, 201)
        assert tenant.call(f"models.{action}", {"model": model, **body}, version="2.12").status == 404
    reply = tenant.call("models.add_or_update_metadata", {"model": model, "metadata": [{"type": "x"}]}, version=V)
    assert reply.code == (400, 12) and "key" in reply.meta["result_msg"]
    reply = tenant.call("models.add_or_update_metadata", {"model": model, "metadata": {"a": 1}}, version=V)
    assert reply.code == (400, 12)


def test_archive_and_unarchive_many(tenant: ApiClient) -> None:
    a, b = new_model(tenant), new_model(tenant)
    result = _call(tenant, "archive_many", {"ids": [a, b, "nope"]}, "2.13")
    assert result["succeeded"] == [{"id": a, "archived": True}, {"id": b, "archived": True}]
    ((failed),) = result["failed"]
    assert failed["id"] == "nope" and failed["error"]["codes"] == [400, 201] and failed["error"]["msg"]
    assert "archived" in _model(tenant, a)["system_tags"]
    result = _call(tenant, "unarchive_many", {"ids": [a]})
    assert result == {"succeeded": [{"id": a, "unarchived": True}], "failed": []}
    assert "archived" not in _model(tenant, a)["system_tags"]
    assert tenant.call("models.archive_many", {"ids": []}, version=V).code == (400, 12)
    assert tenant.call("models.archive_many", {"ids": "x"}, version=V).code == (400, 12)
    # served from 1.0, as the reference serves it (its handler names no min_version)
    assert tenant.call("models.archive_many", {"ids": [a]}, version="2.1").status == 200


def test_delete_many_and_delete_url(tenant: ApiClient) -> None:
    a = new_model(tenant, uri="s3://b/a.pt")
    used = new_model(tenant, ready=True, uri="s3://b/used.pt")
    tenant.tasks.create(name=unique("task"), type="training", execution={"model": used})
    result = _call(tenant, "delete_many", {"ids": [a, used]})
    assert result["succeeded"] == [{"id": a, "deleted": True, "url": "s3://b/a.pt"}]
    assert [f["id"] for f in result["failed"]] == [used] and result["failed"][0]["error"]["codes"] == [400, 205]
    result = _call(tenant, "delete_many", {"ids": [used], "force": True})
    assert result == {"succeeded": [{"id": used, "deleted": True, "url": "s3://b/used.pt"}], "failed": []}
    b, c = new_model(tenant, uri="file:///b.pt"), new_model(tenant)
    assert _call(tenant, "delete", {"model": b}, "2.13") == {"deleted": True, "url": "file:///b.pt"}
    assert tenant.with_version("2.9").models.delete(model=c) == {"deleted": True}  # 2.9: no url


def test_publish_many(tenant: ApiClient) -> None:
    task = tenant.tasks.create(name=unique("task"), type="training")["id"]
    tenant.tasks.started(task=task)
    tenant.tasks.stopped(task=task)
    with_task, ready = new_model(tenant, task=task), new_model(tenant, ready=True)
    result = _call(tenant, "publish_many", {"ids": [with_task, ready]})
    ((done),) = result["succeeded"]
    assert done["id"] == with_task and done["updated"] is True
    assert done["published_task"]["id"] == task and done["published_task"]["data"]["updated"] == 1
    assert [f["id"] for f in result["failed"]] == [ready]
    assert tenant.tasks.get_by_id(task=task)["task"]["status"] == "published"
    other = new_model(tenant)
    result = _call(tenant, "publish_many", {"ids": [other], "publish_tasks": False})
    assert result == {"succeeded": [{"id": other, "updated": True, "published_task": None}], "failed": []}


def test_update_tags(tenant: ApiClient) -> None:
    a, b = new_model(tenant, tags=["x", "y"]), new_model(tenant, tags=["y"])
    body = {"ids": [a, b, "nope"], "add_tags": ["z"], "remove_tags": ["y"]}
    assert _call(tenant, "update_tags", body) == {"updated": 2}
    assert _model(tenant, a)["tags"] == ["x", "z"] and _model(tenant, b)["tags"] == ["z"]
    assert tenant.call("models.update_tags", body, version="2.1").data == {"updated": 2}  # served from 1.0
    assert tenant.call("models.update_tags", {"ids": [a], "add_tags": "z"}, version=V).code == (400, 12)


def test_concurrent_update_tags_keep_every_tag(tenant: ApiClient) -> None:
    """Each update_tags reads, changes and writes the list: racing callers (on the team
    configuration, several API processes) must not lose each other's tags."""
    model = new_model(tenant, tags=[])
    tags = [f"t{i}" for i in range(12)]
    barrier = threading.Barrier(len(tags))

    def add(tag: str) -> int:
        client = tenant.with_version(None)  # one HTTP session per thread
        barrier.wait(timeout=30)
        return client.call("models.update_tags", {"ids": [model], "add_tags": [tag]}, version=V).status

    with ThreadPoolExecutor(len(tags)) as pool:
        assert set(pool.map(add, tags)) == {200}
    assert _model(tenant, model)["tags"] == sorted(tags)


def test_get_by_id_ex_and_stats(tenant: ApiClient) -> None:
    project = tenant.projects.create(name=unique("proj"), description="d")["id"]
    a = new_model(tenant, project=project, labels={"cat": 1, "dog": 2})
    b = new_model(tenant, project=project)
    found = _call(tenant, "get_by_id_ex", {"id": [a], "only_fields": ["name", "project.name"]}, "2.11")["models"]
    assert [m["id"] for m in found] == [a] and "name" in found[0]["project"]
    assert tenant.call("models.get_by_id_ex", {}, version="2.11").code == (400, 12)
    stats = _call(tenant, "get_all_ex", {"project": [project], "include_stats": True, "only_fields": ["id"]})["models"]
    assert {m["id"]: m["stats"] for m in stats} == {a: {"labels_count": 2}, b: {"labels_count": 0}}
    assert all("labels" not in m for m in stats)
    plain = _call(tenant, "get_all_ex", {"project": [project], "include_stats": True}, "2.15")["models"]
    assert all("stats" not in m for m in plain)


def test_scrolled_get_all_and_allow_public(tenant: ApiClient, make_tenant) -> None:  # type: ignore[no-untyped-def]
    project = tenant.projects.create(name=unique("proj"), description="d")["id"]
    ids = [new_model(tenant, project=project) for _ in range(5)]
    for action in ("get_all", "get_all_ex"):
        seen: list[str] = []
        data = _call(tenant, action, {"project": [project], "size": 2, "order_by": ["created"], "only_fields": ["id"]})
        while data["models"]:
            seen += [m["id"] for m in data["models"]]
            # the scroll id carries the position: the query is sent again with it
            query = {"project": [project], "size": 2, "order_by": ["created"], "scroll_id": data["scroll_id"]}
            data = _call(tenant, action, query)
        assert sorted(seen) == sorted(ids), action
        assert tenant.call(f"models.{action}", {"scroll_id": "x"}, version=V).code == (400, 1104)
    other = make_tenant()
    public = new_model(other, ready=True)
    other.models.make_public(ids=[public])
    listed = {m["id"] for m in _call(tenant, "get_all_ex", {"id": [public]})["models"]}
    assert listed == {public}
    assert _call(tenant, "get_all_ex", {"id": [public], "allow_public": False})["models"] == []
    assert len(_call(tenant, "get_all_ex", {"id": [public], "allow_public": False}, "2.20")["models"]) == 1


def test_move(tenant: ApiClient, make_tenant) -> None:  # type: ignore[no-untyped-def]
    project = tenant.projects.create(name=unique("proj"), description="d")["id"]
    a, b = new_model(tenant), new_model(tenant)
    assert _call(tenant, "move", {"ids": [a, b], "project": project}, "2.12") == {"project_id": project}
    assert _model(tenant, a)["project"] == project and _model(tenant, b)["project"] == project
    name = unique("target")
    created = _call(tenant, "move", {"ids": [a], "project_name": name})["project_id"]
    assert tenant.projects.get_by_id(project=created)["project"]["name"] == name
    assert _call(tenant, "move", {"ids": [b], "project_name": name}) == {"project_id": created}  # found by name
    assert _call(tenant, "move", {"ids": [a], "project": None}) == {"project_id": None}
    assert "project" not in _model(tenant, a)
    assert tenant.call("models.move", {"ids": [a]}, version=V).code == (400, 11)
    assert tenant.call("models.move", {"ids": [a], "project": "nope"}, version=V).code == (400, 401)
    stranger = make_tenant()
    assert stranger.call("models.move", {"ids": [a], "project": None}, version=V).status == 200
    assert _model(tenant, a).get("project") is None  # another company's model is skipped
    _call(tenant, "move", {"ids": [a], "project": project})
    stranger.call("models.move", {"ids": [a], "project": None}, version=V)
    assert _model(tenant, a)["project"] == project
