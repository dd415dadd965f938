"""A task's models lists, container and runtime (API 2.13), kept in step with the v0.16
fields (execution.model, output.model, execution.docker_cmd) for older callers."""

from __future__ import annotations

import uuid
from typing import Any

from support.client import ApiClient

V = "2.23"
MISSING = "0" * 32


def _ok(api: ApiClient, action: str, data: dict[str, Any], version: str = V) -> dict[str, Any]:
    reply = api.call(action, data, version=version)
    assert reply.status == 200, reply.envelope["meta"].get("result_msg")
    return reply.data


def _model(api: ApiClient) -> str:
    return str(_ok(api, "models.create", {"name": f"m {uuid.uuid4().hex[:6]}", "uri": "file:///m.pt"})["id"])


def _task(api: ApiClient, version: str = V, **fields: Any) -> str:
    return str(_ok(api, "tasks.create", {"name": "task m", "type": "training", **fields}, version)["id"])


def _get(api: ApiClient, task_id: str, version: str = V) -> dict[str, Any]:
    return dict(_ok(api, "tasks.get_by_id", {"task": task_id}, version)["task"])


def _names(task: dict[str, Any], kind: str) -> list[tuple[str, str]]:
    return [(m["name"], m["model"]) for m in task["models"][kind]]


def test_models_lists_from_2_13_are_the_old_fields_below(tenant: ApiClient) -> None:
    m1, m2, m3 = _model(tenant), _model(tenant), _model(tenant)
    models = {
        "input": [{"name": "base", "model": m1}],
        "output": [{"name": "a", "model": m2}, {"name": "b", "model": m3}],
    }
    task = _task(tenant, "2.13", models=models)
    shown = _get(tenant, task)
    assert _names(shown, "input") == [("base", m1)] and _names(shown, "output") == [("a", m2), ("b", m3)]
    assert all(m["updated"] for m in shown["models"]["output"])
    old = _get(tenant, task, "2.9")
    assert old["execution"]["model"] == m1 and old["output"]["model"] == m3 and "models" not in old
    # an unknown model is refused, nothing is created
    bad = tenant.call(
        "tasks.create",
        {"name": "task m", "type": "training", "models": {"input": [{"name": "x", "model": MISSING}]}},
        version=V,
    )
    assert bad.code == (400, 201)
    missing_model = tenant.call(
        "tasks.create", {"name": "task m", "type": "training", "models": {"input": [{"name": "x"}]}}, version=V
    )
    assert missing_model.code == (400, 12) and "model" in missing_model.meta["result_msg"]


def test_an_older_callers_input_model_shows_in_the_lists(tenant: ApiClient) -> None:
    m1, m2 = _model(tenant), _model(tenant)
    task = _task(tenant, "2.9", execution={"model": m1})
    assert _names(_get(tenant, task), "input") == [("Input Model", m1)]
    assert _get(tenant, task)["models"]["output"] == []
    # the output model the v0.16 way (models.update_for_task) shows as the output entry
    _ok(tenant, "tasks.started", {"task": task}, "2.9")
    _ok(tenant, "models.update_for_task", {"task": task, "override_model_id": m2}, "2.9")
    assert _names(_get(tenant, task), "output") == [("Output Model", m2)]
    # an older edit of the input model replaces the default-named entry
    _ok(tenant, "tasks.edit", {"task": task, "force": True, "execution": {"model": m2}}, "2.9")
    assert _names(_get(tenant, task), "input") == [("Input Model", m2)]


def test_add_or_update_model_and_delete_models(tenant: ApiClient) -> None:
    m1, m2, m3 = _model(tenant), _model(tenant), _model(tenant)
    task = _task(tenant)
    request = {"task": task, "name": "best", "model": m1, "type": "output", "iteration": 7}
    assert _ok(tenant, "tasks.add_or_update_model", request, "2.13") == {"updated": 1}
    shown = _get(tenant, task)
    assert _names(shown, "output") == [("best", m1)] and shown["last_iteration"] == 7
    assert _get(tenant, task, "2.9")["output"]["model"] == m1
    _ok(tenant, "tasks.add_or_update_model", {**request, "model": m2, "iteration": 3})  # same name: replaced
    _ok(tenant, "tasks.add_or_update_model", {"task": task, "name": "last", "model": m3, "type": "output"})
    _ok(tenant, "tasks.add_or_update_model", {"task": task, "name": "init", "model": m1, "type": "input"})
    shown = _get(tenant, task)
    assert _names(shown, "output") == [("best", m2), ("last", m3)] and shown["last_iteration"] == 7
    assert _names(shown, "input") == [("init", m1)]
    old = _get(tenant, task, "2.9")
    assert old["output"]["model"] == m3 and old["execution"]["model"] == m1
    deleted = {"task": task, "models": [{"name": "last", "type": "output"}, {"name": "nope", "type": "input"}]}
    assert _ok(tenant, "tasks.delete_models", deleted) == {"updated": 1}
    assert _names(_get(tenant, task), "output") == [("best", m2)]
    assert _get(tenant, task, "2.9")["output"]["model"] == m2
    _ok(tenant, "tasks.delete_models", {"task": task, "models": [{"name": "init", "type": "input"}]})
    assert _get(tenant, task)["models"]["input"] == [] and "model" not in _get(tenant, task, "2.9")["execution"]
    # failures
    assert tenant.call("tasks.add_or_update_model", request, version="2.12").status == 404
    assert tenant.call("tasks.add_or_update_model", {**request, "model": MISSING}, version=V).code == (400, 201)
    assert tenant.call("tasks.add_or_update_model", {**request, "task": MISSING}, version=V).code == (400, 101)
    bad_type = tenant.call("tasks.add_or_update_model", {**request, "type": "middle"}, version=V)
    assert bad_type.code == (400, 12) and "type" in bad_type.meta["result_msg"]
    assert tenant.call("tasks.delete_models", {"task": task}, version=V).code == (400, 12)


def test_deleting_an_input_model_of_the_lists(tenant: ApiClient) -> None:
    """models.delete reads both places a task names its input models: any entry of
    ``models.input`` makes the model in use, and ``force`` re-points every entry."""
    m1, m2 = _model(tenant), _model(tenant)
    task = _task(tenant, "2.13", models={"input": [{"name": "base", "model": m1}, {"name": "extra", "model": m2}]})
    assert tenant.call("models.delete", {"model": m2}, version=V).code == (400, 205)
    assert _ok(tenant, "models.delete", {"model": m2, "force": True})["deleted"] is True
    assert _names(_get(tenant, task), "input") == [("base", m1), ("extra", f"__DELETED__{m2}")]
    assert _ok(tenant, "models.delete", {"model": m1, "force": True})["deleted"] is True
    assert _names(_get(tenant, task), "input") == [("base", f"__DELETED__{m1}"), ("extra", f"__DELETED__{m2}")]
    assert _get(tenant, task, "2.9")["execution"]["model"] == f"__DELETED__{m1}"


def test_container_and_docker_cmd(tenant: ApiClient) -> None:
    task = _task(tenant)
    container = {"image": "python:3.11", "arguments": "--ipc=host", "setup_shell_script": "apt-get update"}
    _ok(tenant, "tasks.edit", {"task": task, "container": container}, "2.13")
    assert _get(tenant, task)["container"] == container
    assert _get(tenant, task, "2.9")["execution"]["docker_cmd"] == "python:3.11 --ipc=host"
    assert "container" not in _get(tenant, task, "2.9")
    # an older caller's docker_cmd replaces the container
    _ok(tenant, "tasks.edit", {"task": task, "execution": {"docker_cmd": "ubuntu:22.04 -e A=1"}}, "2.9")
    assert _get(tenant, task)["container"] == {"image": "ubuntu:22.04", "arguments": "-e A=1"}
    created = _task(tenant, "2.13", container={"image": "img"})
    assert _get(tenant, created, "2.9")["execution"]["docker_cmd"] == "img"


def test_runtime_from_2_13(tenant: ApiClient) -> None:
    task = _task(tenant)
    _ok(tenant, "tasks.edit", {"task": task, "runtime": {"version": "1.2", "gpu": {"count": 2}}}, "2.13")
    assert _get(tenant, task)["runtime"] == {"version": "1.2", "gpu": {"count": 2}}
    assert "runtime" not in _get(tenant, task, "2.9")
    other = _task(tenant)
    _ok(tenant, "tasks.edit", {"task": other, "runtime": {"a": 1}}, "2.9")  # not a 2.9 field: not read
    assert _get(tenant, other)["runtime"] == {}  # a whole task read from 2.13 has one
    bad = tenant.call("tasks.edit", {"task": task, "runtime": "fast"}, version=V)
    assert bad.code == (400, 12) and "runtime" in bad.meta["result_msg"]


def test_clone_keeps_input_models_and_container_or_takes_new_ones(tenant: ApiClient) -> None:
    m1, m2, out = _model(tenant), _model(tenant), _model(tenant)
    models = {"input": [{"name": "base", "model": m1}], "output": [{"name": "o", "model": out}]}
    source = _task(tenant, "2.13", models=models, container={"image": "img", "arguments": "-x"})
    clone = _ok(tenant, "tasks.clone", {"task": source}, "2.13")["id"]
    shown = _get(tenant, clone)
    assert _names(shown, "input") == [("base", m1)] and shown["models"]["output"] == []
    assert shown["container"] == {"image": "img", "arguments": "-x"}
    assert _get(tenant, clone, "2.9")["execution"]["docker_cmd"] == "img -x"
    request = {"task": source, "new_task_input_models": [{"name": "other", "model": m2}]}
    other = _ok(tenant, "tasks.clone", {**request, "new_task_container": {"image": "new"}}, "2.13")["id"]
    shown = _get(tenant, other)
    assert _names(shown, "input") == [("other", m2)] and shown["container"] == {"image": "new"}
    assert _get(tenant, other, "2.9")["execution"]["model"] == m2
    # the v0.16 way: execution_overrides.model is the clone's input model
    legacy = _ok(tenant, "tasks.clone", {"task": source, "execution_overrides": {"model": m2}}, "2.9")["id"]
    assert _names(_get(tenant, legacy), "input") == [("Input Model", m2)]
    bad = tenant.call(
        "tasks.clone", {"task": source, "new_task_input_models": [{"name": "x", "model": MISSING}]}, version=V
    )
    assert bad.code == (400, 201)


def test_reset_clears_the_output_models(tenant: ApiClient) -> None:
    out = _model(tenant)
    task = _task(tenant, "2.13", models={"output": [{"name": "o", "model": out}]})
    _ok(tenant, "tasks.reset", {"task": task, "delete_output_models": False, "force": True})
    assert _get(tenant, task)["models"]["output"] == []


def test_every_task_has_models_runtime_and_container_from_2_13(tenant: ApiClient) -> None:
    """clearml 2.1 reads task.data.models.output and runtime.get("version") of any task."""
    task = _task(tenant, "2.9")
    shown = _get(tenant, task)
    assert shown["models"] == {"input": [], "output": []} and shown["runtime"] == {} and shown["container"] == {}
    old = _get(tenant, task, "2.9")
    assert not {"models", "runtime", "container"} & set(old)
    listed = _ok(tenant, "tasks.get_all", {"id": [task], "only_fields": ["id", "runtime", "models"]})["tasks"]
    assert listed == [{"id": task, "runtime": {}, "models": {"input": [], "output": []}}]
    [only_id] = _ok(tenant, "tasks.get_all", {"id": [task], "only_fields": ["id"]})["tasks"]
    assert only_id == {"id": task}
    [dotted] = _ok(tenant, "tasks.get_all", {"id": [task], "only_fields": ["id", "runtime.version"]})["tasks"]
    assert dotted == {"id": task, "runtime": {}}
