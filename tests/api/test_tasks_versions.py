"""Version-dependent task behaviour: the legacy parameter bridge below 2.9, one tag
list below 2.3, float versions below 2.1, handler minimum versions."""

from __future__ import annotations

import uuid

from support.client import ApiClient


def test_legacy_parameters_below_2_9(tenant: ApiClient) -> None:
    old = tenant.with_version("2.8")
    params = {"lr": 0.1, "TF_DEFINE/batch": 32, "a.b": "x"}
    task_id = old.tasks.create(
        name="legacy", type="training", execution={"parameters": params, "model_desc": {"design": "net"}}
    )["id"]
    task = old.tasks.get_by_id(task=task_id)["task"]
    assert task["execution"]["parameters"] == {"lr": "0.1", "TF_DEFINE/batch": "32", "a.b": "x"}
    assert task["execution"]["model_desc"] == {"design": "net"}
    new = tenant.with_version("2.9").tasks.get_by_id(task=task_id)["task"]
    assert "parameters" not in new["execution"] and "model_desc" not in new["execution"]
    assert new["hyperparams"]["Args"]["lr"] == {"section": "Args", "name": "lr", "type": "legacy", "value": "0.1"}
    assert new["hyperparams"]["Args"]["a.b"]["value"] == "x"  # escaped in storage, plain in the API
    assert new["hyperparams"]["TF_DEFINE"]["batch"]["value"] == "32"
    assert new["configuration"]["design"] == {"name": "design", "type": "legacy", "value": "net"}


def test_legacy_edit_replaces_only_legacy_items(tenant: ApiClient) -> None:
    task_id = tenant.tasks.create(
        name="mixed",
        type="training",
        hyperparams={
            "Args": {"old": {"section": "Args", "name": "old", "value": "1", "type": "legacy"}},
            "Custom": {"keep": {"section": "Custom", "name": "keep", "value": "k"}},
        },
    )["id"]
    tenant.with_version("2.5").tasks.edit(task=task_id, execution={"parameters": {"new": 2}})
    task = tenant.tasks.get_by_id(task=task_id)["task"]
    assert set(task["hyperparams"]["Args"]) == {"new"}
    assert task["hyperparams"]["Custom"]["keep"]["value"] == "k"
    tasks = tenant.with_version("2.5").tasks.get_all(id=[task_id], only_fields=["execution.parameters"])["tasks"]
    assert tasks[0]["execution"]["parameters"] == {"new": "2"}


def test_hyperparams_keys_escaped_round_trip(tenant: ApiClient) -> None:
    odd = {"sec.1$": {"_x.y__z%": {"section": "sec.1$", "name": "_x.y__z%", "value": "v"}}}
    task_id = tenant.tasks.create(name="odd keys", type="training", hyperparams=odd)["id"]
    assert tenant.tasks.get_by_id(task=task_id)["task"]["hyperparams"] == odd
    listed = tenant.tasks.get_all(id=[task_id], only_fields=["hyperparams"])["tasks"][0]
    assert listed["hyperparams"] == odd


def test_tags_below_2_3(tenant: ApiClient) -> None:
    old = tenant.with_version("2.2")
    task_id = old.tasks.create(name="tagged", type="training", tags=["archived", "mine"])["id"]
    new = tenant.tasks.get_by_id(task=task_id)["task"]
    assert new["tags"] == ["mine"] and new["system_tags"] == ["archived"]
    merged = old.tasks.get_by_id(task=task_id)["task"]
    assert sorted(merged["tags"]) == ["archived", "mine"]
    assert [t["id"] for t in old.tasks.get_all(id=[task_id], tags=["archived"])["tasks"]] == [task_id]
    assert old.tasks.get_all(id=[task_id], tags=["__$not", "archived"])["tasks"] == []
    assert [t["id"] for t in old.tasks.get_all(id=[task_id], tags=["__$not", "development"])["tasks"]] == [task_id]
    assert old.call("tasks.create", {"name": "bad tag", "type": "training", "tags": ["__$x"]}).code == (400, 16)


def test_float_versions_below_2_1(tenant: ApiClient) -> None:
    task_id = tenant.tasks.create(name=f"t {uuid.uuid4().hex[:4]}", type="training")["id"]
    reply = tenant.call("tasks.get_by_id", {"task": task_id}, version="2.0")
    assert reply.status == 200 and reply.data["task"]["id"] == task_id
    endpoint = reply.meta["endpoint"]
    assert endpoint["requested_version"] == 2.0 and endpoint["actual_version"] == 1.0
    reply = tenant.call("tasks.get_by_id", {"task": task_id}, version="2.9")
    assert reply.meta["endpoint"]["requested_version"] == "2.9"


def test_handler_minimum_versions(tenant: ApiClient) -> None:
    assert tenant.call("tasks.make_public", {"ids": ["x"]}, version="2.8").status == 404
    assert tenant.call("tasks.completed", {"task": "x"}, version="2.1").status == 404
    reply = tenant.call("tasks.get_hyper_params", {"tasks": ["x" * 32]}, version="2.1")
    assert reply.code == (400, 101)  # handler 1.0 serves it
    # a version above the maximum goes to the newest handler
    assert tenant.call("tasks.get_all", {"id": ["x"]}, version="2.15").status == 200


def test_a_task_created_without_script_has_the_default_one_from_2_10(tenant: ApiClient) -> None:
    """clearml 2.1's Dataset.create makes a task without a script and then sets
    task.data.script.diff: from API 2.10 a new task has the reference's default script;
    below, as in v0.16.1, none."""
    new = tenant.with_version("2.13").tasks.create(name="dataset task", type="data_processing")["id"]
    script = tenant.tasks.get_by_id(task=new)["task"]["script"]
    assert script == {"binary": "python", "repository": "", "entry_point": ""}
    tenant.with_version("2.13").tasks.set_requirements(task=new, requirements={"pip": "numpy"})
    given = tenant.with_version("2.13").tasks.create(
        name="with script", type="training", script={"repository": "https://example.org/r.git", "entry_point": "a.py"}
    )["id"]
    assert tenant.tasks.get_by_id(task=given)["task"]["script"]["entry_point"] == "a.py"
    old = tenant.with_version("2.9").tasks.create(name="old caller", type="training")["id"]
    assert "script" not in tenant.with_version("2.9").tasks.get_by_id(task=old)["task"]
