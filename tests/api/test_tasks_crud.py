"""tasks.create / validate / get_by_id / edit / update / update_batch / clone /
set_requirements / add_or_update_artifacts / ping / get_types: happy paths and errors."""

from __future__ import annotations

import uuid

from support.client import ApiClient

MISSING = "0" * 32


def new_task(api: ApiClient, **fields: object) -> str:
    data = {"name": f"task {uuid.uuid4().hex[:6]}", "type": "training", **fields}
    return str(api.tasks.create(**data)["id"])


def test_create_and_get_by_id(tenant: ApiClient) -> None:
    project = tenant.projects.create(name=f"p {uuid.uuid4().hex[:6]}", description="d")["id"]
    task_id = new_task(
        tenant,
        project=project,
        comment="c",
        tags=["b", "a"],
        system_tags=["development"],
        script={"repository": "r", "entry_point": "x.py"},
        output_dest="file:///tmp/out",
        input={"view": {}},  # sent by clearml below 2.20; ignored
        method="get",
    )
    task = tenant.tasks.get_by_id(task=task_id)["task"]
    assert task["id"] == task_id and len(task_id) == 32
    assert task["status"] == "created" and task["type"] == "training" and task["project"] == project
    assert task["tags"] == ["a", "b"] and task["system_tags"] == ["development"]
    assert task["script"]["binary"] == "python" and task["script"]["entry_point"] == "x.py"
    assert task["output"] == {"destination": "file:///tmp/out"}
    assert task["user"] == tenant.user_id  # type: ignore[attr-defined]
    assert task["created"].endswith("+00:00") and task["last_iteration"] == 0
    assert task["execution"]["artifacts"] == [] and "company_origin" not in task
    bare = tenant.tasks.get_by_id(task=new_task(tenant))["task"]
    assert bare["output"] == {}  # the SDK reads output.destination and needs the object


def test_create_bad_input(tenant: ApiClient) -> None:
    assert tenant.call("tasks.create", {"name": "abc"}).code == (400, 12)  # no type
    assert tenant.call("tasks.create", {"name": "abc", "type": "nope"}).code == (400, 12)
    assert tenant.call("tasks.create", {"name": "ab", "type": "training"}).code == (400, 800)
    reply = tenant.call("tasks.create", {"name": "abc", "type": "training", "project": MISSING})
    assert reply.code == (400, 401)
    reply = tenant.call("tasks.create", {"name": "abc", "type": "training", "parent": MISSING})
    assert reply.code == (400, 101)
    assert tenant.call("tasks.get_all", {"name": "abc"}).data["tasks"] == []  # nothing written


def test_validate_does_not_create(tenant: ApiClient) -> None:
    assert tenant.call("tasks.validate", {"name": "valid one", "type": "testing"}).data == {}
    assert tenant.call("tasks.validate", {"name": "x", "type": "testing"}).code == (400, 800)
    assert tenant.tasks.get_all(name="valid one")["tasks"] == []


def test_get_by_id_unknown_and_other_company(tenant: ApiClient, make_tenant) -> None:  # type: ignore[no-untyped-def]
    assert tenant.call("tasks.get_by_id", {"task": MISSING}).code == (400, 101)
    assert tenant.call("tasks.get_by_id", {}).code == (400, 12)
    other = make_tenant()
    task_id = new_task(other)
    assert tenant.call("tasks.get_by_id", {"task": task_id}).code == (400, 101)
    assert tenant.call("tasks.edit", {"task": task_id, "name": "mine now"}).code == (400, 101)


def test_edit_replaces_fields_in_created(tenant: ApiClient) -> None:
    task_id = new_task(tenant)
    reply = tenant.call(
        "tasks.edit",
        {
            "task": task_id,
            "name": "renamed",
            "script": {"repository": "git", "entry_point": "run.py"},
            "execution": {"docker_cmd": "img", "artifacts": [{"key": "b", "type": "t"}, {"key": "a", "type": "t"}]},
            "output_dest": "s3://bucket",
            "runtime": {"x": 1},
        },
    )
    assert reply.status == 200 and reply.data["updated"] == 1
    assert reply.data["fields"]["name"] == "renamed"
    task = tenant.tasks.get_by_id(task=task_id)["task"]
    assert task["name"] == "renamed" and task["script"]["repository"] == "git"
    assert [a["key"] for a in task["execution"]["artifacts"]] == ["a", "b"]
    assert task["execution"]["artifacts"][0]["mode"] == "output"
    assert task["output"]["destination"] == "s3://bucket" and "runtime" not in task


def test_edit_runtime_only_is_a_no_op(tenant: ApiClient) -> None:
    task_id = new_task(tenant)
    reply = tenant.call("tasks.edit", {"task": task_id, "force": True, "runtime": {"a": 1}})
    assert reply.status == 200 and reply.data["updated"] == 0


def test_edit_needs_created_or_force(tenant: ApiClient) -> None:
    task_id = new_task(tenant)
    tenant.tasks.started(task=task_id)
    reply = tenant.call("tasks.edit", {"task": task_id, "comment": "x"})
    assert reply.code == (400, 110)
    assert tenant.tasks.get_by_id(task=task_id)["task"].get("comment") is None
    assert tenant.tasks.edit(task=task_id, comment="x", force=True)["updated"] == 1
    assert tenant.call("tasks.edit", {"task": task_id, "force": True, "type": "bad"}).code == (400, 12)
    assert tenant.call("tasks.edit", {"task": task_id, "force": True, "project": MISSING}).code == (400, 401)


def test_update_any_status_and_batch(tenant: ApiClient) -> None:
    first, second = new_task(tenant), new_task(tenant)
    tenant.tasks.started(task=first)
    reply = tenant.tasks.update(task=first, comment="note", tags=["t"], output__error="boom")
    assert reply["updated"] == 1 and reply["fields"]["comment"] == "note"
    task = tenant.tasks.get_by_id(task=first)["task"]
    assert task["comment"] == "note" and task["tags"] == ["t"] and task["output"]["error"] == "boom"
    assert tenant.tasks.update(task=first)["updated"] == 0
    reply = tenant.call(
        "tasks.update_batch", batch=[{"task": first, "name": "n one"}, {"task": second, "name": "n two"}]
    )
    assert reply.status == 200 and reply.data == {"updated": 2}
    assert tenant.call("tasks.update_batch", batch=[]).code == (400, 17)
    assert tenant.call("tasks.update_batch", {"task": second, "comment": "one object"}).data == {"updated": 1}
    reply = tenant.call("tasks.update_batch", batch=[{"task": first, "name": "never"}, {"task": MISSING}])
    assert reply.code == (400, 101)
    assert tenant.tasks.get_by_id(task=first)["task"]["name"] == "n one"  # nothing written


def test_clone(tenant: ApiClient) -> None:
    source = new_task(
        tenant,
        script={"entry_point": "a.py"},
        hyperparams={"Args": {"lr": {"section": "Args", "name": "lr", "value": "0.1"}}},
        configuration={"cfg": {"name": "cfg", "value": "x=1"}},
        execution={
            "queue": "q",
            "artifacts": [{"key": "in", "type": "t", "mode": "input"}, {"key": "out", "type": "t"}],
        },
    )
    tenant.tasks.started(task=source)
    clone_id = tenant.tasks.clone(task=source, new_task_name="the clone", new_task_parent=source)["id"]
    clone = tenant.tasks.get_by_id(task=clone_id)["task"]
    assert clone["status"] == "created" and clone["name"] == "the clone" and clone["parent"] == source
    assert clone["hyperparams"]["Args"]["lr"]["value"] == "0.1" and clone["configuration"]["cfg"]["value"] == "x=1"
    assert [a["key"] for a in clone["execution"]["artifacts"]] == ["in"]
    assert "queue" not in clone["execution"] and clone["script"]["entry_point"] == "a.py"
    override = {"Args": {"lr": {"section": "Args", "name": "lr", "value": "0.5"}}}
    clone2 = tenant.tasks.clone(task=source, new_task_hyperparams=override)["id"]
    assert tenant.tasks.get_by_id(task=clone2)["task"]["hyperparams"]["Args"]["lr"]["value"] == "0.5"
    assert tenant.call("tasks.clone", {"task": MISSING}).code == (400, 101)
    assert tenant.call("tasks.clone", {"task": source, "new_task_project": MISSING}).code == (400, 401)
    assert tenant.call("tasks.clone", {"task": source}, version="2.4").status == 200  # handler 1.0


def test_set_requirements(tenant: ApiClient) -> None:
    task_id = new_task(tenant, script={"entry_point": "a.py"})
    reply = tenant.tasks.set_requirements(task=task_id, requirements={"pip": ["a==1", "b"], "conda": ""})
    assert reply["updated"] == 1
    assert tenant.tasks.get_by_id(task=task_id)["task"]["script"]["requirements"]["pip"] == ["a==1", "b"]
    bare = new_task(tenant)
    assert tenant.call("tasks.set_requirements", {"task": bare, "requirements": {}}).code == (400, 122)
    assert tenant.call("tasks.set_requirements", {"task": task_id}).code == (400, 12)


def test_add_or_update_artifacts(tenant: ApiClient) -> None:
    task_id = new_task(tenant)
    art = {"key": "a", "type": "json", "uri": "http://f/a.json", "content_size": 10, "timestamp": 1}
    assert tenant.tasks.add_or_update_artifacts(task=task_id, artifacts=[art]) == {"added": ["a"], "updated": []}
    reply = tenant.tasks.add_or_update_artifacts(
        task=task_id, artifacts=[dict(art, uri="u2"), {"key": "b", "type": "t"}]
    )
    assert reply == {"added": ["b"], "updated": ["a"]}
    artifacts = tenant.tasks.get_by_id(task=task_id)["task"]["execution"]["artifacts"]
    assert [(a["key"], a.get("uri")) for a in artifacts] == [("a", "u2"), ("b", None)]
    bad = tenant.call("tasks.add_or_update_artifacts", {"task": task_id, "artifacts": [{"key": "x"}]})
    assert bad.code == (400, 12)
    assert tenant.call("tasks.add_or_update_artifacts", {"task": task_id, "artifacts": []}, version="2.5").status == 404


def test_ping_refreshes_last_update(tenant: ApiClient) -> None:
    task_id = new_task(tenant)
    before = tenant.tasks.get_by_id(task=task_id)["task"]["last_update"]
    assert tenant.call("tasks.ping", {"task": task_id}).data == {}
    assert tenant.tasks.get_by_id(task=task_id)["task"]["last_update"] >= before
    assert tenant.call("tasks.ping", {"task": MISSING}).code == (400, 101)


def test_get_types(tenant: ApiClient) -> None:
    project = tenant.projects.create(name=f"p {uuid.uuid4().hex[:6]}", description="d")["id"]
    new_task(tenant, project=project, type="testing")
    new_task(tenant, project=project, type="inference")
    assert tenant.tasks.get_types(projects=[project])["types"] == ["inference", "testing"]


def test_edit_merges_script_and_execution(tenant: ApiClient) -> None:
    task_id = new_task(tenant, script={"repository": "r", "entry_point": " a.py "}, execution={"docker_cmd": "img"})
    assert tenant.tasks.get_by_id(task=task_id)["task"]["script"]["entry_point"] == "a.py"  # stripped
    tenant.tasks.edit(task=task_id, script={"branch": "main"}, execution={"framework": "torch"})
    task = tenant.tasks.get_by_id(task=task_id)["task"]
    assert task["script"]["repository"] == "r" and task["script"]["branch"] == "main"
    assert task["execution"]["docker_cmd"] == "img" and task["execution"]["framework"] == "torch"


def test_edit_status_field_and_output_scheme(tenant: ApiClient) -> None:
    task_id = new_task(tenant)
    assert tenant.tasks.edit(task=task_id, status="stopped")["fields"]["status"] == "stopped"
    assert tenant.call("tasks.edit", {"task": task_id, "force": True, "status": "bogus"}).code == (400, 12)
    reply = tenant.call("tasks.create", {"name": "abc", "type": "training", "output_dest": "ftp://x/y"})
    assert reply.code == (400, 16)


def test_input_model_checks(tenant: ApiClient) -> None:
    reply = tenant.call("tasks.create", {"name": "abc", "type": "training", "execution": {"model": MISSING}})
    assert reply.code == (400, 201)
    created = tenant.call("models.create", {"name": "draft model", "uri": "file:///m", "ready": False})
    if created.status != 200:
        return  # models.* not served in this build
    model = created.data["id"]
    reply = tenant.call("tasks.create", {"name": "abc", "type": "training", "execution": {"model": model}})
    assert reply.code == (400, 202)
    task_id = new_task(tenant)
    assert tenant.tasks.edit(task=task_id, force=True, execution={"model": model})["updated"] == 1
