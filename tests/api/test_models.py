"""models.*: create/edit/update, a task's output model, publishing, delete guards,
queries, tags below 2.3, tenancy and public models."""

from __future__ import annotations

from typing import Any

import pytest
from support.client import ApiClient
from support.models_api import new_model, unique

MISSING = "0" * 32


def new_task(api: ApiClient, **fields: Any) -> str:
    fields.setdefault("name", unique("task"))
    fields.setdefault("type", "training")
    return str(api.tasks.create(**fields)["id"])


def stopped_task(api: ApiClient, **fields: Any) -> str:
    task_id = new_task(api, **fields)
    api.tasks.started(task=task_id)
    api.tasks.stopped(task=task_id)
    return task_id


def get_task(api: ApiClient, task_id: str) -> dict[str, Any]:
    return dict(api.tasks.get_by_id(task=task_id)["task"])


# --- create / get -------------------------------------------------------------------------


def test_create_and_get_by_id(tenant: ApiClient) -> None:
    project = tenant.projects.create(name=unique("proj"), description="d")["id"]
    task = new_task(tenant)
    created = tenant.models.create(
        name="resnet",
        uri="s3://bucket/resnet.pt",
        comment="c",
        tags=["t"],
        framework="PyTorch",
        design={"design": "layers"},
        labels={"cat": 1, "dog": 2},
        project=project,
        task=task,
    )
    assert created["created"] is True and len(created["id"]) == 32
    model = tenant.models.get_by_id(model=created["id"])["model"]
    assert (model["name"], model["uri"], model["framework"], model["comment"]) == (
        "resnet",
        "s3://bucket/resnet.pt",
        "PyTorch",
        "c",
    )
    assert model["design"] == {"design": "layers"} and model["labels"] == {"cat": 1, "dog": 2}
    # without ``ready`` a model is created ready, as the reference's request model defaults it
    assert (model["project"], model["task"], model["ready"]) == (project, task, True)
    assert model["company"] == tenant.company_id and model["user"] == tenant.user_id  # type: ignore[attr-defined]
    assert model["tags"] == ["t"] and model["system_tags"] == [] and "company_origin" not in model
    assert "ui_cache" not in model
    assert tenant.models.get_by_id(model=new_model(tenant, tags=["z", "a"]))["model"]["tags"] == ["a", "z"]
    # names of models need not be unique
    assert new_model(tenant, name="resnet") != created["id"]


@pytest.mark.parametrize(
    "body, field",
    [
        ({"uri": "file:///m"}, "name"),
        ({"name": "abcdef"}, "uri"),
        ({"name": "abcdef", "uri": 3}, "uri"),
        ({"name": "abcdef", "uri": "u", "labels": {"a": "x"}}, "labels"),
        ({"name": "abcdef", "uri": "u", "ready": "yes"}, "ready"),
    ],
)
def test_create_bad_input(tenant: ApiClient, body: dict[str, Any], field: str) -> None:
    reply = tenant.call("models.create", body)
    assert reply.code == (400, 12) and field in reply.meta["result_msg"]


def test_create_bad_references(tenant: ApiClient, make_tenant) -> None:  # type: ignore[no-untyped-def]
    reply = tenant.call("models.create", {"name": "abcdef", "uri": "u", "project": MISSING})
    assert reply.code == (400, 12) and "project" in reply.meta["result_msg"]
    assert tenant.call("models.create", {"name": "abcdef", "uri": "u", "task": MISSING}).code == (400, 101)
    foreign_task = new_task(make_tenant())
    assert tenant.call("models.create", {"name": "abcdef", "uri": "u", "task": foreign_task}).code == (400, 101)
    assert tenant.call("models.create", {"name": "ab", "uri": "u"}).code == (400, 800)
    assert tenant.models.get_all(name="^abcdef$")["models"] == []  # nothing written


def test_unknown_model_ids(tenant: ApiClient) -> None:
    for action, body in [
        ("get_by_id", {"model": MISSING}),
        ("edit", {"model": MISSING, "name": "new name"}),
        ("update", {"model": MISSING, "name": "new name"}),
        ("set_ready", {"model": MISSING}),
        ("delete", {"model": MISSING}),
        ("make_public", {"ids": [MISSING]}),
        ("make_private", {"ids": [MISSING]}),
    ]:
        assert tenant.call(f"models.{action}", body).code == (400, 201), action
    assert tenant.call("models.get_by_id", {}).code == (400, 12)


def test_get_all_and_frameworks(tenant: ApiClient) -> None:
    project = tenant.projects.create(name=unique("proj"), description="d")["id"]
    task = new_task(tenant)
    base = unique("q")
    a = new_model(tenant, name=f"{base} a", task=task, framework="Keras", project=project)
    b = new_model(tenant, name=f"{base} b", task=task, framework="PyTorch", ready=True, project=project)
    c = new_model(tenant, name=f"{base} c", comment="other", tags=["x"])
    # what the SDK sends for a task's output models
    assert tenant.models.get_all(task=[task], only_fields=["id"], order_by=["created"])["models"] == [
        {"id": a},
        {"id": b},
    ]
    assert [m["id"] for m in tenant.models.get_all(name=f"^{base} ", ready=True)["models"]] == [b]
    assert {m["id"] for m in tenant.models.get_all(name=base, ready=False)["models"]} == {a, c}
    assert [m["id"] for m in tenant.models.get_all(id=[a, b, c], framework=["Keras"])["models"]] == [a]
    untagged = tenant.models.get_all(id=[a, b, c], tags=["__$not", "x"], order_by=["-name"])["models"]
    assert [m["id"] for m in untagged] == [b, a]
    assert [m["id"] for m in tenant.models.get_all_ex(comment="^oth")["models"]] == [c]
    assert [m["id"] for m in tenant.models.get_all(id=[a, b, c], project=[None])["models"]] == [c]
    assert tenant.models.get_frameworks(projects=[project]) == {"frameworks": ["Keras", "PyTorch"]}
    assert [m["id"] for m in tenant.models.get_all(search_text=c[4:20].upper())["models"]] == [c]
    assert [m["id"] for m in tenant.models.get_all(search_text="OTHER")["models"]] == [c]
    assert [m["id"] for m in tenant.models.get_all(id=[a, b, c], user=[tenant.user_id])["models"]] == [a, b, c]  # type: ignore[attr-defined]
    assert [m["id"] for m in tenant.models.get_all(task=task, order_by="created")["models"]] == [a, b]  # one value
    assert tenant.call("models.get_all", {"task": 5}).code == (400, 12)


# --- edit / update ------------------------------------------------------------------------


def test_edit(tenant: ApiClient) -> None:
    task = new_task(tenant)
    model = new_model(tenant, task=task)
    tenant.models.update(model=model, ui_cache={"preview": 1})
    result = tenant.models.edit(model=model, name="renamed", uri="file:///new", labels={"a": 1}, iteration=7)
    assert result["updated"] == 1
    assert result["fields"]["name"] == "renamed" and result["fields"]["ui_cache"] == {}
    stored = tenant.models.get_by_id(model=model)["model"]
    assert (stored["name"], stored["uri"], stored["labels"]) == ("renamed", "file:///new", {"a": 1})
    assert "ui_cache" not in stored  # returned only when asked for
    assert tenant.models.get_all(id=[model], only_fields=["ui_cache"])["models"] == [{"id": model, "ui_cache": {}}]
    assert get_task(tenant, task)["last_iteration"] == 7
    tenant.models.edit(model=model, iteration=3)
    assert get_task(tenant, task)["last_iteration"] == 7  # only raised
    assert tenant.models.edit(model=model) == {"updated": 0}
    reply = tenant.call("models.edit", {"model": model, "task": MISSING})
    assert reply.code == (400, 12) and "task" in reply.meta["result_msg"]
    assert tenant.call("models.edit", {"model": model, "project": MISSING}).code == (400, 12)
    assert tenant.call("models.edit", {"model": model, "labels": {"a": 1.5}}).code == (400, 12)


def test_update(tenant: ApiClient) -> None:
    model = new_model(tenant)
    result = tenant.models.update(model=model, name="new name", comment="c", created="2020-01-02T03:04:05Z")
    assert result["updated"] == 1 and set(result["fields"]) == {"name", "comment", "created"}
    stored = tenant.models.get_by_id(model=model)["model"]
    assert stored["name"] == "new name" and stored["created"].startswith("2020-01-02T03:04:05")
    # ready and task are not fields models.update sets (models.set_ready publishes)
    task = new_task(tenant)
    assert tenant.models.update(model=model, ready=True, task=task) == {"updated": 0, "fields": {}}
    stored = tenant.models.get_by_id(model=model)["model"]
    assert stored["ready"] is False and "task" not in stored
    assert tenant.call("models.update", {"model": model, "task": MISSING}).code == (400, 101)
    assert tenant.models.update(model=model, tags=["b", "a"])["fields"]["tags"] == ["a", "b"]
    assert tenant.call("models.update", {"model": model, "created": "yesterday"}).code == (400, 12)


# --- a task's output model ------------------------------------------------------------------


def test_update_for_task_creates_then_updates(tenant: ApiClient) -> None:
    project = tenant.projects.create(name=unique("proj"), description="d")["id"]
    task = new_task(tenant, project=project, execution={"framework": "TensorFlow", "model_labels": {"bg": 0}})
    assert tenant.call("models.get_by_task_id", {"task": task}).code == (400, 122)
    first = tenant.models.update_for_task(task=task, uri="file:///out/1", iteration=5)
    assert first["created"] is True
    model = tenant.models.get_by_task_id(task=task)["model"]
    assert model["id"] == first["id"] and model["uri"] == "file:///out/1"
    assert model["name"] == get_task(tenant, task)["name"] and model["task"] == task
    assert (model["project"], model["framework"], model["labels"]) == (project, "TensorFlow", {"bg": 0})
    assert task in model["comment"]
    stored_task = get_task(tenant, task)
    assert stored_task["output"]["model"] == first["id"] and stored_task["last_iteration"] == 5

    second = tenant.models.update_for_task(task=task, uri="file:///out/2", name="final")
    assert (second["id"], second["created"], second["updated"]) == (first["id"], False, 1)
    assert second["fields"]["uri"] == "file:///out/2"
    assert tenant.models.get_by_id(model=first["id"])["model"]["name"] == "final"


def test_update_for_task_override_and_errors(tenant: ApiClient, make_tenant) -> None:  # type: ignore[no-untyped-def]
    task = new_task(tenant)
    other = new_model(tenant)
    assert tenant.models.update_for_task(task=task, override_model_id=other) == {"id": other, "created": True}
    assert get_task(tenant, task)["output"]["model"] == other
    both = tenant.call("models.update_for_task", {"task": task, "uri": "u", "override_model_id": other})
    assert both.code == (400, 11)
    assert tenant.call("models.update_for_task", {"task": task}).code == (400, 11)
    assert tenant.call("models.update_for_task", {"task": task, "override_model_id": MISSING}).code == (400, 201)
    assert tenant.call("models.update_for_task", {"task": MISSING, "uri": "u"}).code == (400, 101)
    assert tenant.call("models.update_for_task", {"uri": "u"}).code == (400, 12)
    done = stopped_task(tenant)
    assert tenant.call("models.update_for_task", {"task": done, "uri": "u"}).code == (400, 110)
    stranger_task = new_task(make_tenant())
    assert tenant.call("models.update_for_task", {"task": stranger_task, "uri": "u"}).code == (400, 101)
    assert tenant.call("models.get_by_task_id", {"task": stranger_task}).code == (400, 101)


# --- publishing -------------------------------------------------------------------------------


def test_set_ready_without_task(tenant: ApiClient) -> None:
    model = new_model(tenant)
    assert tenant.models.set_ready(model=model) == {"updated": 1}
    assert tenant.models.get_by_id(model=model)["model"]["ready"] is True
    assert tenant.call("models.set_ready", {"model": model}).code == (400, 203)


def test_set_ready_publishes_the_creating_task(tenant: ApiClient) -> None:
    task = stopped_task(tenant)
    model = new_model(tenant, task=task)
    result = tenant.models.set_ready(model=model)
    assert result["updated"] == 1 and result["published_task"]["id"] == task
    assert result["published_task"]["data"]["updated"] == 1
    assert result["published_task"]["data"]["fields"]["status"] == "published"
    assert get_task(tenant, task)["status"] == "published"


def test_set_ready_task_states(tenant: ApiClient) -> None:
    draft = new_task(tenant)
    model = new_model(tenant, task=draft)
    assert tenant.call("models.set_ready", {"model": model}).code == (400, 110)
    assert tenant.models.get_by_id(model=model)["model"]["ready"] is False  # nothing written
    assert tenant.models.set_ready(model=model, publish_task=False) == {"updated": 1}
    assert get_task(tenant, draft)["status"] == "created"

    forced = new_task(tenant)
    model2 = new_model(tenant, task=forced)
    assert tenant.models.set_ready(model=model2, force_publish_task=True)["published_task"]["id"] == forced
    assert get_task(tenant, forced)["status"] == "published"


# --- delete -----------------------------------------------------------------------------------


def test_delete(tenant: ApiClient) -> None:
    model = new_model(tenant)
    assert tenant.with_version("2.9").models.delete(model=model) == {"deleted": True}
    assert tenant.call("models.get_by_id", {"model": model}).code == (400, 201)


def test_delete_in_use_as_input(tenant: ApiClient) -> None:
    model = new_model(tenant, ready=True)  # only published models can be a task's input
    user = new_task(tenant, execution={"model": model})
    reply = tenant.call("models.delete", {"model": model})
    assert reply.code == (400, 205)
    assert tenant.models.get_by_id(model=model)["model"]["id"] == model
    assert tenant.with_version("2.9").models.delete(model=model, force=True) == {"deleted": True}
    assert get_task(tenant, user)["execution"]["model"] == f"__DELETED__{model}"


def test_delete_with_published_creator(tenant: ApiClient) -> None:
    task = stopped_task(tenant)
    model_id = new_model(tenant, task=task)
    tenant.models.set_ready(model=model_id)  # publishes the task too
    assert tenant.call("models.delete", {"model": model_id}).code == (400, 206)
    assert tenant.with_version("2.9").models.delete(model=model_id, force=True) == {"deleted": True}
    output = get_task(tenant, task)["output"]
    assert output["model"] == f"__DELETED__{model_id}" and output["error"].startswith("model deleted on ")


# --- versions, tenancy and public models -------------------------------------------------------


def test_tags_before_2_3(tenant: ApiClient) -> None:
    old = tenant.with_version("2.1")
    model = old.models.create(name=unique(), uri="u", tags=["archived", "mine"])["id"]
    stored = tenant.models.get_by_id(model=model)["model"]
    assert (stored["tags"], stored["system_tags"]) == (["mine"], ["archived"])
    assert sorted(old.models.get_by_id(model=model)["model"]["tags"]) == ["archived", "mine"]
    assert sorted(old.models.get_all(id=[model])["models"][0]["tags"]) == ["archived", "mine"]


def test_other_company_cannot_see_or_write(tenant: ApiClient, make_tenant) -> None:  # type: ignore[no-untyped-def]
    model = new_model(tenant)
    stranger = make_tenant()
    assert stranger.call("models.get_by_id", {"model": model}).code == (400, 201)
    assert stranger.models.get_all(id=[model])["models"] == []
    for action in ("edit", "update", "set_ready", "delete"):
        assert stranger.call(f"models.{action}", {"model": model, "name": "mine now"}).code == (400, 201), action
    assert stranger.call("models.make_public", {"ids": [model]}).code == (400, 201)


def test_public_models(tenant: ApiClient, make_tenant) -> None:  # type: ignore[no-untyped-def]
    stranger = make_tenant()
    model = new_model(tenant, ready=True)
    assert tenant.models.make_public(ids=[model]) == {"updated": 1}
    seen = stranger.models.get_by_id(model=model)["model"]
    assert seen["company"] == "" and "company_origin" not in seen
    assert [m["id"] for m in stranger.models.get_all(id=[model])["models"]] == [model]
    # a task of another company may use a public model as its input
    new_task(stranger, execution={"model": model})
    # the reference looks a model up in the caller's company only: a public one is 400/201
    # to everyone (tasks answer 403/21)
    for api in (tenant, stranger):
        for version in ("2.9", "2.1"):
            for action in ("edit", "update", "set_ready", "delete"):
                reply = api.with_version(version).call(f"models.{action}", {"model": model, "name": "x y z"})
                assert reply.code == (400, 201), (action, version)
    assert tenant.models.get_by_id(model=model)["model"]["name"] != "x y z"  # nothing written
    assert stranger.call("models.make_private", {"ids": [model]}).code == (400, 201)
    assert tenant.models.make_private(ids=[model]) == {"updated": 1}
    assert stranger.call("models.get_by_id", {"model": model}).code == (400, 201)

    public = tenant.models.create(name=unique(), uri="u", public=True)["id"]
    assert stranger.models.get_by_id(model=public)["model"]["company"] == ""
    assert tenant.with_version("2.8").call("models.make_public", {"ids": [public]}).code == (404, 0)


def test_get_all_ex_joins_references(tenant: ApiClient) -> None:
    project_name = unique("proj")
    project = tenant.projects.create(name=project_name, description="d")["id"]
    task = new_task(tenant, project=project)
    model = new_model(tenant, project=project, task=task)
    fields = ["name", "project.name", "task.name", "user.name"]
    found = tenant.models.get_all_ex(id=[model], only_fields=fields)["models"]
    user_name = tenant.users.get_current_user()["user"]["name"]
    assert found == [
        {
            "id": model,
            "name": found[0]["name"],
            "project": {"id": project, "name": project_name},
            "task": {"id": task, "name": get_task(tenant, task)["name"]},
            "user": {"id": tenant.user_id, "name": user_name},  # type: ignore[attr-defined]
        }
    ]
    plain = tenant.models.get_all(id=[model], only_fields=["project"])["models"]
    assert plain == [{"id": model, "project": project}]


def test_tag_filter_before_2_3(tenant: ApiClient) -> None:
    old = tenant.with_version("2.2")
    archived = new_model(tenant, tags=["x"], system_tags=["archived"])
    plain = new_model(tenant, tags=["x"])
    ids = [archived, plain]
    assert [m["id"] for m in old.models.get_all(id=ids, tags=["archived"])["models"]] == [archived]
    assert [m["id"] for m in old.models.get_all(id=ids, tags=["__$not", "archived"])["models"]] == [plain]
    assert [m["id"] for m in old.models.get_all(id=ids, tags=["-archived", "x"])["models"]] == [plain]
    assert len(tenant.models.get_all(id=ids, tags=["archived"])["models"]) == 0  # 2.3+: a user tag
