"""tasks.get/edit/delete_hyper_params and the configuration actions."""

from __future__ import annotations

from support.client import ApiClient

MISSING = "0" * 32


def hp(section: str, name: str, value: str) -> dict[str, str]:
    return {"section": section, "name": name, "value": value}


def test_edit_get_delete_hyper_params(tenant: ApiClient) -> None:
    task_id = tenant.tasks.create(name="params", type="training")["id"]
    items = [hp("Args", "lr", "0.1"), hp("Args", "bs", "8"), hp("Net.x", "$d", "1")]
    assert tenant.tasks.edit_hyper_params(task=task_id, hyperparams=items)["updated"] == 1
    got = tenant.tasks.get_hyper_params(tasks=[task_id])["params"]
    assert got[0]["task"] == task_id
    assert sorted((i["section"], i["name"], i["value"]) for i in got[0]["hyperparams"]) == [
        ("Args", "bs", "8"),
        ("Args", "lr", "0.1"),
        ("Net.x", "$d", "1"),
    ]
    tenant.tasks.edit_hyper_params(task=task_id, hyperparams=[hp("Args", "lr", "0.2")])
    task = tenant.tasks.get_by_id(task=task_id)["task"]
    assert task["hyperparams"]["Args"]["lr"]["value"] == "0.2" and "bs" in task["hyperparams"]["Args"]
    tenant.tasks.edit_hyper_params(task=task_id, hyperparams=[hp("Args", "z", "1")], replace_hyperparams="section")
    task = tenant.tasks.get_by_id(task=task_id)["task"]
    assert set(task["hyperparams"]["Args"]) == {"z"} and "Net.x" in task["hyperparams"]
    deleted = tenant.tasks.delete_hyper_params(task=task_id, hyperparams=[{"section": "Net.x", "name": "$d"}])
    assert deleted["deleted"] == 1
    assert tenant.tasks.get_by_id(task=task_id)["task"]["hyperparams"]["Net.x"] == {}
    tenant.tasks.delete_hyper_params(task=task_id, hyperparams=[{"section": "Net.x"}])
    tenant.tasks.edit_hyper_params(task=task_id, hyperparams=[hp("B", "b", "1")], replace_hyperparams="all")
    assert set(tenant.tasks.get_by_id(task=task_id)["task"]["hyperparams"]) == {"B"}


def test_hyper_params_errors(tenant: ApiClient) -> None:
    task_id = tenant.tasks.create(name="params", type="training")["id"]
    assert tenant.call("tasks.get_hyper_params", {"tasks": [MISSING]}).code == (400, 101)
    bad = tenant.call("tasks.edit_hyper_params", {"task": task_id, "hyperparams": [{"name": "x"}]})
    assert bad.code == (400, 12)
    bad = tenant.call("tasks.edit_hyper_params", {"task": task_id, "hyperparams": [], "replace_hyperparams": "x"})
    assert bad.code == (400, 12)
    tenant.tasks.started(task=task_id)
    reply = tenant.call("tasks.edit_hyper_params", {"task": task_id, "hyperparams": [hp("A", "a", "1")]})
    assert reply.code == (400, 110)
    assert tenant.tasks.edit_hyper_params(task=task_id, hyperparams=[hp("A", "a", "1")], force=True)["updated"] == 1
    assert tenant.call("tasks.delete_hyper_params", {"task": task_id, "hyperparams": []}).code == (400, 12)


def test_configuration_actions(tenant: ApiClient) -> None:
    task_id = tenant.tasks.create(name="config", type="training")["id"]
    items = [{"name": "a.conf", "value": "x=1", "type": "hocon"}, {"name": "b", "value": "y"}]
    assert tenant.tasks.edit_configuration(task=task_id, configuration=items)["updated"] == 1
    names = tenant.tasks.get_configuration_names(tasks=[task_id])["configurations"]
    assert names == [{"task": task_id, "names": ["a.conf", "b"]}]
    got = tenant.tasks.get_configurations(tasks=[task_id], names=["a.conf"])["configurations"]
    assert got == [{"task": task_id, "configuration": [items[0]]}]
    tenant.tasks.edit_configuration(
        task=task_id, configuration=[{"name": "c", "value": "z"}], replace_configuration=True
    )
    assert set(tenant.tasks.get_by_id(task=task_id)["task"]["configuration"]) == {"c"}
    assert tenant.tasks.delete_configuration(task=task_id, configuration=["c"])["deleted"] == 1
    assert tenant.tasks.get_by_id(task=task_id)["task"]["configuration"] == {}
    assert tenant.call("tasks.edit_configuration", {"task": task_id, "configuration": [{"value": "v"}]}).code == (
        400,
        12,
    )
    assert tenant.call("tasks.get_configurations", {"tasks": [MISSING]}).code == (400, 101)
    tenant.tasks.started(task=task_id)
    reply = tenant.call("tasks.delete_configuration", {"task": task_id, "configuration": ["c"]})
    assert reply.code == (400, 110)
