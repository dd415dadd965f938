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
    tenant = tenant.with_version(
        "2.9"
    )  # v0.16.1's behaviour (later versions: test_tasks_batch.py, test_tasks_models.py)
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
    tenant = tenant.with_version(
        "2.9"
    )  # v0.16.1's behaviour (later versions: test_tasks_batch.py, test_tasks_models.py)
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
    tenant = tenant.with_version(
        "2.9"
    )  # v0.16.1's behaviour (later versions: test_tasks_batch.py, test_tasks_models.py)
    task_id = new_task(tenant, script={"entry_point": "a.py"})
    reply = tenant.tasks.set_requirements(task=task_id, requirements={"pip": ["a==1", "b"], "conda": ""})
    assert reply["updated"] == 1
    assert tenant.tasks.get_by_id(task=task_id)["task"]["script"]["requirements"]["pip"] == ["a==1", "b"]
    bare = new_task(tenant)
    assert tenant.call("tasks.set_requirements", {"task": bare, "requirements": {}}).code == (400, 122)
    assert tenant.call("tasks.set_requirements", {"task": task_id}).code == (400, 12)


def test_add_or_update_artifacts(tenant: ApiClient) -> None:
    tenant = tenant.with_version(
        "2.9"
    )  # v0.16.1's behaviour (later versions: test_tasks_batch.py, test_tasks_models.py)
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


def test_input_model_need_not_be_ready(tenant: ApiClient) -> None:
    """An input model only has to exist in the caller's company or be public (400/201
    otherwise): the reference dropped the "must be ready" check (400/202) in API 2.4."""
    draft = tenant.models.create(name="draft model", uri="file:///m", ready=False)["id"]
    for version in ("2.9", "2.4", "2.1"):
        api = tenant.with_version(version)
        body = {"name": "abc", "type": "training", "execution": {"model": draft}}
        assert api.call("tasks.validate", body).status == 200, version
        task_id = api.tasks.create(**body)["id"]
        assert api.tasks.get_by_id(task=task_id)["task"]["execution"]["model"] == draft
        other = new_task(api)
        assert api.tasks.edit(task=other, execution={"model": draft})["updated"] == 1
        for action in ("tasks.create", "tasks.validate"):
            reply = api.call(action, {"name": "abc", "type": "training", "execution": {"model": MISSING}})
            assert reply.code == (400, 201), (action, version)
        assert api.call("tasks.edit", {"task": other, "execution": {"model": MISSING}}).code == (400, 201)
    public = tenant.models.create(name="public model", uri="file:///p", public=True, ready=False)["id"]
    assert new_task(tenant, execution={"model": public})


def test_models_create_is_ready_by_default(tenant: ApiClient) -> None:
    """models.create without ``ready`` stores ``ready: true`` (the reference's request
    model default, whatever its schema text says)."""
    for version in ("2.9", "2.1"):
        api = tenant.with_version(version)
        model = api.models.create(name=f"m {uuid.uuid4().hex[:6]}", uri="file:///m")["id"]
        assert api.models.get_by_id(model=model)["model"]["ready"] is True, version
        draft = api.models.create(name=f"m {uuid.uuid4().hex[:6]}", uri="file:///m", ready=False)["id"]
        assert api.models.get_by_id(model=draft)["model"]["ready"] is False, version


def test_clone_at_2_9_and_later(tenant: ApiClient) -> None:
    """At 2.9 the clone's system tags are ``new_task_system_tags`` or none, and the new
    hyper-parameters / configuration may come as ``new_task_*`` or as the names the 0.16
    server read (``new_hyperparams`` / ``new_configuration``); later versions copy the
    source's system tags without ``development`` and ``archived``."""
    source = new_task(
        tenant,
        system_tags=["development", "archived", "custom"],
        hyperparams={"Args": {"lr": {"section": "Args", "name": "lr", "value": "0.1"}}},
        configuration={"cfg": {"name": "cfg", "value": "x=1"}},
    )
    v29 = tenant.with_version("2.9")

    def cloned(api: ApiClient, **request: object) -> dict:
        return dict(api.tasks.get_by_id(task=api.tasks.clone(task=source, **request)["id"])["task"])

    assert cloned(v29)["system_tags"] == []
    assert cloned(v29, new_task_system_tags=["mine"])["system_tags"] == ["mine"]
    assert cloned(tenant.with_version("2.13"))["system_tags"] == ["custom"]
    params = {"Args": {"lr": {"section": "Args", "name": "lr", "value": "0.7"}}}
    config = {"other": {"name": "other", "value": "y=2"}}
    for names in (("new_hyperparams", "new_configuration"), ("new_task_hyperparams", "new_task_configuration")):
        task = cloned(v29, **{names[0]: params, names[1]: config})
        assert task["hyperparams"]["Args"]["lr"]["value"] == "0.7", names
        assert set(task["configuration"]) == {"other"}, names
    assert cloned(v29, new_hyperparams={})["hyperparams"]["Args"]["lr"]["value"] == "0.1"  # empty: the source's


def test_clone_checks_the_input_model_when_asked(tenant: ApiClient) -> None:
    """tasks.clone checks ``execution.model`` (exists, need not be ready) only with
    ``validate_references`` or a model in ``execution_overrides``."""
    draft = tenant.models.create(name="draft model", uri="file:///m", ready=False)["id"]
    gone = tenant.models.create(name="gone model", uri="file:///g")["id"]
    source = new_task(tenant, execution={"model": gone})
    tenant.models.delete(model=gone, force=True)  # the source now points at __DELETED__<id>
    v29 = tenant.with_version("2.9")
    assert v29.tasks.clone(task=source)["id"]
    assert v29.call("tasks.clone", {"task": source, "validate_references": True}).code == (400, 201)
    overridden = v29.tasks.clone(task=source, execution_overrides={"model": draft})["id"]
    assert v29.tasks.get_by_id(task=overridden)["task"]["execution"]["model"] == draft
    reply = v29.call("tasks.clone", {"task": source, "execution_overrides": {"model": MISSING}})
    assert reply.code == (400, 201)
    fixed = v29.tasks.clone(task=source, validate_references=True, execution_overrides={"model": draft})["id"]
    assert fixed
