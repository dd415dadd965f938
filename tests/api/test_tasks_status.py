"""Task life cycle over HTTP: each status action, its side effects and refusals."""

from __future__ import annotations

import uuid

import pytest
from support.client import ApiClient

MISSING = "0" * 32


def new_task(api: ApiClient, **fields: object) -> str:
    return str(api.tasks.create(name=f"task {uuid.uuid4().hex[:6]}", type="training", **fields)["id"])


def status(api: ApiClient, task_id: str) -> dict:
    return api.tasks.get_by_id(task=task_id)["task"]


def test_started_stopped_completed_failed_close(tenant: ApiClient) -> None:
    task_id = new_task(tenant)
    reply = tenant.tasks.started(task=task_id, status_reason="r", status_message="m")
    assert reply["started"] == 1 and reply["updated"] == 1
    assert reply["fields"]["status"] == "in_progress" and reply["fields"]["status_reason"] == "r"
    task = status(tenant, task_id)
    assert task["status"] == "in_progress" and task["status_message"] == "m" and task["started"]
    first_start = task["started"]
    tenant.tasks.started(task=task_id)  # same state: allowed, start time kept
    assert status(tenant, task_id)["started"] == first_start
    assert tenant.tasks.stopped(task=task_id)["fields"]["status"] == "stopped"
    assert status(tenant, task_id)["completed"]
    assert tenant.tasks.close(task=task_id)["updated"] == 1
    assert status(tenant, task_id)["status"] == "closed"
    assert tenant.tasks.failed(task=task_id)["updated"] == 1
    other = new_task(tenant)
    tenant.tasks.started(task=other)
    tenant.tasks.completed(task=other)
    assert status(tenant, other)["status"] == "completed" and status(tenant, other)["completed"]


def test_invalid_transition_gives_110_with_status(tenant: ApiClient) -> None:
    task_id = new_task(tenant)
    reply = tenant.call("tasks.stopped", {"task": task_id})
    assert reply.code == (400, 110) and "created" in reply.meta["result_msg"]
    assert status(tenant, task_id)["status"] == "created"
    assert tenant.tasks.stopped(task=task_id, force=True)["fields"]["status"] == "stopped"
    assert tenant.call("tasks.completed", {"task": task_id}, version="2.1").status == 404
    assert tenant.call("tasks.started", {"task": MISSING}).code == (400, 101)
    assert tenant.call("tasks.started", {}).code == (400, 12)


def test_stop_directly_without_worker(tenant: ApiClient) -> None:
    task_id = new_task(tenant)
    tenant.tasks.started(task=task_id)
    reply = tenant.tasks.stop(task=task_id)
    assert reply["fields"]["status"] == "stopped"
    assert status(tenant, task_id)["status_message"].startswith("Stopped by")
    assert tenant.call("tasks.stop", {"task": new_task(tenant)}).code == (400, 110)


def test_stop_asks_the_worker(tenant: ApiClient) -> None:
    queue = tenant.queues.create(name=f"q-{uuid.uuid4().hex[:8]}")["id"]
    worker = f"w-{uuid.uuid4().hex[:6]}"
    tenant.workers.register(worker=worker, queues=[queue])
    task_id = new_task(tenant)
    tenant.tasks.started(task=task_id, force=True)
    tenant.workers.status_report(worker=worker, task=task_id, timestamp=1)
    if not status(tenant, task_id).get("last_worker"):
        pytest.skip("workers.status_report does not record last_worker yet")
    tenant.tasks.stop(task=task_id)
    task = status(tenant, task_id)
    assert task["status"] == "in_progress" and task["status_message"] == "stopping"
    tenant.tasks.stopped(task=task_id)
    assert status(tenant, task_id)["status"] == "stopped"


def test_stop_development_task_directly(tenant: ApiClient) -> None:
    task_id = new_task(tenant, system_tags=["development"])
    tenant.tasks.started(task=task_id)
    assert tenant.tasks.stop(task=task_id)["fields"]["status"] == "stopped"


def test_enqueue_dequeue(tenant: ApiClient) -> None:
    queue = tenant.queues.create(name=f"q-{uuid.uuid4().hex[:8]}")["id"]
    task_id = new_task(tenant, system_tags=["development"])
    reply = tenant.tasks.enqueue(task=task_id, queue=queue)
    assert reply["queued"] == 1 and reply["fields"]["execution.queue"] == queue
    task = status(tenant, task_id)
    assert task["status"] == "queued" and task["execution"]["queue"] == queue
    assert "development" not in task["system_tags"]
    entries = tenant.queues.get_by_id(queue=queue)["queue"]["entries"]
    assert [e["task"] for e in entries] == [task_id]
    assert tenant.call("tasks.enqueue", {"task": task_id, "queue": queue}).code == (400, 110)
    reply = tenant.call("tasks.dequeue", {"task": task_id, "new_status": "in_progress"}, version="2.25").data
    assert reply["dequeued"] == 1  # new_status is ignored below 2.26
    task = status(tenant, task_id)
    assert task["status"] == "created" and "queue" not in task["execution"]
    assert tenant.queues.get_by_id(queue=queue)["queue"]["entries"] == []
    assert tenant.call("tasks.dequeue", {"task": task_id}).code == (400, 101)


def test_enqueue_default_queue_and_bad_queue(tenant: ApiClient) -> None:
    task_id = new_task(tenant)
    assert tenant.call("tasks.enqueue", {"task": task_id, "queue": MISSING}).code == (400, 701)
    assert status(tenant, task_id)["status"] == "created"
    reply = tenant.call("tasks.enqueue", {"task": task_id})
    if reply.status == 200:
        assert status(tenant, task_id)["status"] == "queued"
    else:  # a fresh company has no default queue
        assert reply.code == (400, 707)
        assert status(tenant, task_id)["status"] == "created"


def test_enqueue_in_progress_refused(tenant: ApiClient) -> None:
    queue = tenant.queues.create(name=f"q-{uuid.uuid4().hex[:8]}")["id"]
    task_id = new_task(tenant)
    tenant.tasks.started(task=task_id)
    assert tenant.call("tasks.enqueue", {"task": task_id, "queue": queue}).code == (400, 110)
    assert tenant.queues.get_by_id(queue=queue)["queue"]["entries"] == []


def test_publish(tenant: ApiClient) -> None:
    task_id = new_task(tenant)
    tenant.tasks.started(task=task_id)
    tenant.tasks.stopped(task=task_id)
    reply = tenant.tasks.publish(task=task_id)
    assert reply["updated"] == 1 and reply["fields"]["status"] == "published"
    task = status(tenant, task_id)
    assert task["status"] == "published" and task["published"]
    assert tenant.call("tasks.started", {"task": task_id}).code == (400, 110)
    assert tenant.call("tasks.publish", {"task": new_task(tenant)}).code == (400, 110)


def test_reset(tenant: ApiClient) -> None:
    queue = tenant.queues.create(name=f"q-{uuid.uuid4().hex[:8]}")["id"]
    task_id = new_task(
        tenant, execution={"artifacts": [{"key": "in", "type": "t", "mode": "input"}, {"key": "o", "type": "t"}]}
    )
    tenant.tasks.enqueue(task=task_id, queue=queue)
    reply = tenant.tasks.reset(task=task_id)
    assert reply["dequeued"] == {"removed": 1} and reply["fields"]["status"] == "created"
    assert tenant.queues.get_by_id(queue=queue)["queue"]["entries"] == []
    tenant.tasks.started(task=task_id)
    tenant.tasks.update(task=task_id, output__error="x")
    reply = tenant.tasks.reset(task=task_id)
    assert reply["updated"] == 1 and "events" in reply
    task = status(tenant, task_id)
    assert task["status"] == "created" and task["status_reason"] == "reset"
    assert task.get("started") is None and task["last_iteration"] == 0 and task["last_metrics"] == {}
    assert [a["key"] for a in task["execution"]["artifacts"]] == ["in"]
    assert "error" not in (task.get("output") or {})
    tenant.tasks.stopped(task=task_id, force=True)
    tenant.tasks.publish(task=task_id)
    assert tenant.call("tasks.reset", {"task": task_id}).code == (400, 110)
    assert tenant.tasks.reset(task=task_id, force=True, clear_all=True)["updated"] == 1
    task = status(tenant, task_id)
    assert task["status"] == "created" and "script" not in task and task["execution"]["artifacts"] == []


def test_delete(tenant: ApiClient) -> None:
    parent = new_task(tenant)
    child = new_task(tenant, parent=parent)
    reply = tenant.tasks.delete(task=parent)
    assert reply["deleted"] is True and reply["updated_children"] == 1
    assert tenant.call("tasks.get_by_id", {"task": parent}).code == (400, 101)
    assert status(tenant, child)["parent"] == f"__DELETED__{parent}"
    running = new_task(tenant)
    tenant.tasks.started(task=running)
    assert tenant.call("tasks.delete", {"task": running}).code == (400, 123)
    assert status(tenant, running)["status"] == "in_progress"
    assert tenant.tasks.delete(task=running, force=True, move_to_trash=False)["deleted"] is True
    assert tenant.call("tasks.delete", {"task": MISSING}).code == (400, 101)


def test_delete_queued_task_leaves_queue(tenant: ApiClient) -> None:
    queue = tenant.queues.create(name=f"q-{uuid.uuid4().hex[:8]}")["id"]
    task_id = new_task(tenant)
    tenant.tasks.enqueue(task=task_id, queue=queue)
    tenant.tasks.delete(task=task_id, force=True)
    assert tenant.queues.get_by_id(queue=queue)["queue"]["entries"] == []


def test_publish_from_failed_publishes_output_model(tenant: ApiClient) -> None:
    task_id = new_task(tenant)
    tenant.tasks.failed(task=task_id, force=True)
    created = tenant.call("models.create", {"name": "out model", "uri": "file:///m", "task": task_id, "ready": False})
    if created.status == 200:
        tenant.call("models.update_for_task", {"task": task_id, "override_model_id": created.data["id"]})
        tenant.tasks.update(task=task_id)
    tenant.tasks.publish(task=task_id)
    assert status(tenant, task_id)["status"] == "published"
    output_model = (status(tenant, task_id).get("output") or {}).get("model")
    if output_model:
        assert tenant.models.get_by_id(model=output_model)["model"]["ready"] is True


def test_delete_handles_output_models(tenant: ApiClient) -> None:
    task_id = new_task(tenant)
    draft = tenant.call("models.create", {"name": "draft out", "uri": "file:///d", "task": task_id, "ready": False})
    if draft.status != 200:
        pytest.skip("models.* not served in this build")
    published = tenant.models.create(name="published out", uri="file:///p", task=task_id, ready=True)["id"]
    assert tenant.call("tasks.delete", {"task": task_id}).code == (400, 123)
    reply = tenant.tasks.delete(task=task_id, force=True)
    assert reply["deleted_models"] == 1 and reply["updated_models"] == 1
    assert tenant.call("models.get_by_id", {"model": draft.data["id"]}).code == (400, 201)
    assert tenant.models.get_by_id(model=published)["model"]["task"] == f"__DELETED__{task_id}"


def test_dequeue_errors(tenant: ApiClient) -> None:
    assert tenant.call("tasks.dequeue", {"task": new_task(tenant)}).code == (400, 101)
    assert tenant.call("tasks.enqueue", {"task": MISSING, "queue": MISSING}).code in ((400, 101), (400, 701))
