"""Issue 16, API 2.31 parity over HTTP: dequeue's new_status (2.26), tasks.get_all_ex
include_subprojects (2.13), projects.get_all_ex statistics and projects.delete 2.26."""

from __future__ import annotations

import uuid

import pytest
from support.client import ApiClient

V = "2.31"


def _name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def _ok(api: ApiClient, action: str, data: dict, version: str = V) -> dict:
    reply = api.call(action, data, version=version)
    assert reply.status == 200, reply.meta
    return reply.data


def _queued_task(api: ApiClient, queue: str) -> str:
    task = str(api.tasks.create(name=_name("task"), type="training")["id"])
    api.tasks.enqueue(task=task, queue=queue)
    return task


@pytest.fixture
def queue(tenant: ApiClient) -> str:
    return str(tenant.queues.create(name=_name("q"))["id"])


def _task(api: ApiClient, task: str) -> dict:
    return api.tasks.get_by_id(task=task)["task"]


# --- tasks.dequeue / dequeue_many new_status (2.26) -------------------------------------


def test_dequeue_new_status(tenant: ApiClient, queue: str) -> None:
    task = _queued_task(tenant, queue)
    reply = _ok(tenant, "tasks.dequeue", {"task": task, "new_status": "stopped", "status_reason": "r"})
    assert reply["dequeued"] == 1 and reply["fields"]["status"] == "stopped"
    stored = _task(tenant, task)
    assert stored["status"] == "stopped" and stored["status_reason"] == "r"
    assert "queue" not in stored["execution"]
    assert tenant.queues.get_by_id(queue=queue)["queue"]["entries"] == []


def test_dequeue_without_new_status_is_created(tenant: ApiClient, queue: str) -> None:
    task = _queued_task(tenant, queue)
    assert _ok(tenant, "tasks.dequeue", {"task": task})["fields"]["status"] == "created"


def test_dequeue_new_status_ignored_before_2_26(tenant: ApiClient, queue: str) -> None:
    task = _queued_task(tenant, queue)
    _ok(tenant, "tasks.dequeue", {"task": task, "new_status": "bogus"}, version="2.25")
    assert _task(tenant, task)["status"] == "created"


@pytest.mark.parametrize("bad", ["bogus", "queued", 5])
def test_dequeue_bad_new_status(tenant: ApiClient, queue: str, bad: object) -> None:
    task = _queued_task(tenant, queue)
    reply = tenant.call("tasks.dequeue", {"task": task, "new_status": bad}, version=V)
    assert reply.code == (400, 12) and "new_status" in reply.meta["result_msg"]
    assert _task(tenant, task)["status"] == "queued"
    assert [e["task"] for e in tenant.queues.get_by_id(queue=queue)["queue"]["entries"]] == [task]


def test_dequeue_many_new_status(tenant: ApiClient, queue: str) -> None:
    tasks = [_queued_task(tenant, queue) for _ in range(2)]
    reply = _ok(tenant, "tasks.dequeue_many", {"ids": tasks, "new_status": "failed"})
    assert [s["dequeued"] for s in reply["succeeded"]] == [True, True] and not reply["failed"]
    assert {_task(tenant, t)["status"] for t in tasks} == {"failed"}


@pytest.mark.parametrize("bad", ["bogus", "queued"])
def test_dequeue_many_bad_new_status(tenant: ApiClient, queue: str, bad: str) -> None:
    task = _queued_task(tenant, queue)
    reply = tenant.call("tasks.dequeue_many", {"ids": [task], "new_status": bad}, version=V)
    assert reply.code == (400, 12) and "new_status" in reply.meta["result_msg"]
    assert _task(tenant, task)["status"] == "queued"


def _entries(api: ApiClient, queue: str) -> list[str]:
    return [e["task"] for e in api.queues.get_by_id(queue=queue)["queue"]["entries"]]


@pytest.mark.parametrize(
    ("version", "everywhere", "left"), [("2.25", True, []), ("2.25", False, [1]), ("2.24", True, [1])]
)
def test_dequeue_remove_from_all_queues(
    tenant: ApiClient, queue: str, version: str, everywhere: bool, left: list[int]
) -> None:
    other = str(tenant.queues.create(name=_name("q"))["id"])
    task = _queued_task(tenant, queue)
    tenant.call("queues.add_task", {"queue": other, "task": task}, version="2.9")
    assert _entries(tenant, other) == [task]
    data = {"task": task, "remove_from_all_queues": everywhere}
    assert _ok(tenant, "tasks.dequeue", data, version=version)["dequeued"] == 1
    assert _entries(tenant, queue) == [] and _entries(tenant, other) == [task] * len(left)
    assert _task(tenant, task)["status"] == "created"


def test_dequeue_many_remove_from_all_queues(tenant: ApiClient, queue: str) -> None:
    other = str(tenant.queues.create(name=_name("q"))["id"])
    task = _queued_task(tenant, queue)
    tenant.call("queues.add_task", {"queue": other, "task": task}, version="2.9")
    reply = _ok(tenant, "tasks.dequeue_many", {"ids": [task], "remove_from_all_queues": True}, version="2.25")
    assert [s["id"] for s in reply["succeeded"]] == [task]
    assert _entries(tenant, queue) == [] == _entries(tenant, other)
    bad = tenant.call("tasks.dequeue_many", {"ids": [task], "remove_from_all_queues": "yes"}, version="2.25")
    assert bad.code == (400, 12) and "remove_from_all_queues" in bad.meta["result_msg"]


# --- tasks.get_all_ex include_subprojects (2.13; get_all 2.26) --------------------------


@pytest.fixture
def tree(tenant: ApiClient) -> dict[str, str]:
    """top → mid → leaf, and a project beside them; one task in each (by name)."""
    top = _name("top")
    ids = {}
    for key, name in (("top", top), ("mid", f"{top}/mid"), ("leaf", f"{top}/mid/leaf"), ("other", _name("other"))):
        ids[key] = _ok(tenant, "projects.create", {"name": name, "description": "d"})["id"]
        ids[f"task-{key}"] = str(tenant.tasks.create(name=f"in {key}", type="training", project=ids[key])["id"])
    return ids


def _listed(api: ApiClient, action: str, data: dict, version: str = V) -> set[str]:
    return {t["id"] for t in _ok(api, f"tasks.{action}", {**data, "only_fields": ["id"]}, version)["tasks"]}


def test_get_all_ex_include_subprojects(tenant: ApiClient, tree: dict[str, str]) -> None:
    every = {tree["task-top"], tree["task-mid"], tree["task-leaf"]}
    assert _listed(tenant, "get_all_ex", {"project": [tree["top"]], "include_subprojects": True}) == every
    assert _listed(tenant, "get_all_ex", {"project": tree["mid"], "include_subprojects": True}) == {
        tree["task-mid"],
        tree["task-leaf"],
    }
    assert _listed(tenant, "get_all_ex", {"project": [tree["top"]]}) == {tree["task-top"]}
    data = {"project": [tree["top"]], "include_subprojects": True}
    assert _listed(tenant, "get_all_ex", data, version="2.13") == every
    assert _listed(tenant, "get_all_ex", data, version="2.12") == {tree["task-top"]}  # not declared yet
    # an excluded project is kept as it is (not expanded), the included one is
    data = {"project": [tree["other"], f"-{tree['top']}"], "include_subprojects": True}
    assert _listed(tenant, "get_all_ex", data) == {tree["task-other"]}


def test_get_all_include_subprojects_from_2_26(tenant: ApiClient, tree: dict[str, str]) -> None:
    data = {"project": [tree["mid"]], "include_subprojects": True}
    assert _listed(tenant, "get_all", data, version="2.26") == {tree["task-mid"], tree["task-leaf"]}
    assert _listed(tenant, "get_all", data, version="2.25") == {tree["task-mid"]}


def test_include_subprojects_bad_type(tenant: ApiClient, tree: dict[str, str]) -> None:
    reply = tenant.call("tasks.get_all_ex", {"project": [tree["top"]], "include_subprojects": "yes"}, version=V)
    assert reply.code == (400, 12) and "include_subprojects" in reply.meta["result_msg"]


# --- projects.get_all_ex include_stats: total_tasks, completed_tasks_24h, last_task_run --


def _stats(api: ApiClient, project: str, version: str = V, **more: object) -> dict:
    data = {"id": [project], "include_stats": True, "stats_for_state": None, **more}
    return _ok(api, "projects.get_all_ex", data, version)["projects"][0]["stats"]


def test_project_stats_totals_recent_and_last_run(tenant: ApiClient) -> None:
    top = _name("stats")
    project = _ok(tenant, "projects.create", {"name": top, "description": "d"})["id"]
    child = _ok(tenant, "projects.create", {"name": f"{top}/child", "description": "d"})["id"]

    def task(where: str = project) -> str:
        return str(tenant.tasks.create(name=_name("t"), type="training", project=where)["id"])

    tenant.tasks.create(name=_name("t"), type="training", project=project)  # created, never started
    done = task()
    tenant.tasks.started(task=done)
    tenant.tasks.completed(task=done)
    failed = task()  # completed, then failed: not "recently completed"
    tenant.tasks.started(task=failed)
    tenant.tasks.completed(task=failed)
    tenant.tasks.failed(task=failed, force=True)
    archived = task()
    tenant.tasks.started(task=archived)
    tenant.tasks.stopped(task=archived)
    tenant.tasks.archive(tasks=[archived])
    in_child = task(child)
    tenant.tasks.started(task=in_child)

    stats = _stats(tenant, project, stats_with_children=False)
    active = stats["active"]
    assert active["total_tasks"] == 3 == sum(active["status_count"].values())
    assert active["completed_tasks_24h"] == 1
    assert active["last_task_run"] == _task(tenant, failed)["started"]
    assert stats["archived"]["total_tasks"] == 1 and stats["archived"]["completed_tasks_24h"] == 1
    assert stats["archived"]["last_task_run"] == _task(tenant, archived)["started"]

    with_children = _stats(tenant, project)["active"]
    assert with_children["total_tasks"] == 4 and with_children["completed_tasks_24h"] == 1
    assert with_children["last_task_run"] == _task(tenant, in_child)["started"]


def test_project_stats_empty_and_before_2_10(tenant: ApiClient) -> None:
    project = _ok(tenant, "projects.create", {"name": _name("empty"), "description": "d"})["id"]
    active = _stats(tenant, project)["active"]
    assert (active["total_tasks"], active["completed_tasks_24h"], active["last_task_run"]) == (0, 0, None)
    old = _stats(tenant, project, version="2.9")["active"]
    assert set(old) == {"total_runtime", "status_count"}


# --- projects.delete 2.26 delete_external_artifacts -------------------------------------


@pytest.mark.parametrize("external", [True, False])
def test_project_delete_external_artifacts_answers_the_urls(tenant: ApiClient, external: bool) -> None:
    top = _name("del")
    project = _ok(tenant, "projects.create", {"name": top, "description": "d"})["id"]
    child = _ok(tenant, "projects.create", {"name": f"{top}/child", "description": "d"})["id"]
    tenant.models.create(name=_name("m"), uri="file:///w.bin", project=project)
    task = tenant.tasks.create(name=_name("t"), type="training", project=child)["id"]
    tenant.tasks.add_or_update_artifacts(
        task=task, artifacts=[{"key": "a", "type": "file", "mode": "output", "uri": "file:///a.bin"}]
    )
    bad = {"project": project, "force": True, "delete_contents": True, "delete_external_artifacts": "yes"}
    reply = tenant.call("projects.delete", bad, version="2.26")
    assert reply.code == (400, 12) and "delete_external_artifacts" in reply.meta["result_msg"]
    assert tenant.tasks.get_by_id(task=task)["task"]["project"] == child  # nothing deleted
    data = {**bad, "delete_external_artifacts": external}
    result = _ok(tenant, "projects.delete", data, version="2.26")
    assert result["deleted"] == 2 and result["deleted_tasks"] == 1 and result["deleted_models"] == 1
    assert result["urls"] == {"model_urls": ["file:///w.bin"], "artifact_urls": ["file:///a.bin"]}
    # without delete_contents nothing is deleted but the projects, and no urls are answered
    other = _ok(tenant, "projects.create", {"name": _name("keep"), "description": "d"})["id"]
    kept = tenant.tasks.create(name=_name("t"), type="training", project=other)["id"]
    result = _ok(tenant, "projects.delete", {"project": other, "force": True, "delete_external_artifacts": external})
    assert result["disassociated_tasks"] == 1 and "urls" not in result
    assert "project" not in tenant.tasks.get_by_id(task=kept)["task"]
