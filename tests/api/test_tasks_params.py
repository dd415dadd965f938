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


def test_parameter_lists_are_sorted(tenant: ApiClient) -> None:
    """get_hyper_params lists each task's items by (section, name), get_configurations by
    name, whatever order they were written in."""
    task_id = tenant.tasks.create(name="sorted", type="training")["id"]
    items = [hp("b", "z", "1"), hp("a", "y", "2"), hp("b", "a", "3"), hp("A", "x", "4")]
    for item in items:  # one at a time: the stored order is the write order
        tenant.tasks.edit_hyper_params(task=task_id, hyperparams=[item])
    for name in ("zeta", "alpha", "Mid"):
        tenant.tasks.edit_configuration(task=task_id, configuration=[{"name": name, "value": name}])
    for version in ("2.9", None):
        api = tenant.with_version(version)
        got = api.tasks.get_hyper_params(tasks=[task_id])["params"][0]["hyperparams"]
        assert [(i["section"], i["name"]) for i in got] == [("A", "x"), ("a", "y"), ("b", "a"), ("b", "z")]
        config = api.tasks.get_configurations(tasks=[task_id])["configurations"][0]["configuration"]
        assert [c["name"] for c in config] == ["Mid", "alpha", "zeta"]


def test_user_properties_are_editable_in_every_status(tenant: ApiClient) -> None:
    """Edits and deletes touching only the ``properties`` section (any letter case, stored
    as ``properties``) are allowed in every status, as ``Task.set_user_properties()`` on a
    running task needs; anything else still needs a created task or force (400/110)."""
    task_id = tenant.tasks.create(name="props", type="training")["id"]
    tenant.tasks.started(task=task_id)
    api = tenant.with_version("2.9")
    reply = api.call("tasks.edit_hyper_params", {"task": task_id, "hyperparams": [hp("properties", "a", "1")]})
    assert reply.code == (200, 0), reply.meta
    assert api.tasks.edit_hyper_params(task=task_id, hyperparams=[hp("Properties", "b", "2")])["updated"] == 1
    stored = api.tasks.get_by_id(task=task_id)["task"]["hyperparams"]
    assert set(stored) == {"properties"} and set(stored["properties"]) == {"a", "b"}
    assert stored["properties"]["b"]["section"] == "properties"
    mixed = [hp("properties", "c", "3"), hp("Args", "lr", "0.1")]
    assert api.call("tasks.edit_hyper_params", {"task": task_id, "hyperparams": mixed}).code == (400, 110)
    gone = api.tasks.delete_hyper_params(task=task_id, hyperparams=[{"section": "PROPERTIES", "name": "a"}])
    assert gone["deleted"] == 1
    assert set(api.tasks.get_by_id(task=task_id)["task"]["hyperparams"]["properties"]) == {"b"}
    reply = api.call("tasks.delete_hyper_params", {"task": task_id, "hyperparams": [{"section": "Args"}]})
    assert reply.code == (400, 110)
    tenant.tasks.stopped(task=task_id)
    tenant.tasks.publish(task=task_id)
    assert api.tasks.edit_hyper_params(task=task_id, hyperparams=[hp("properties", "c", "3")])["updated"] == 1
