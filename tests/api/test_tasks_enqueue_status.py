"""The status before queuing (issue 16): tasks.enqueue keeps it as ``enqueue_status``; from
API 2.10 (the reference after v0.16.1) a stopped or failed task is enqueued, ``force``
enqueues any other, and a dequeue without ``new_status`` puts the kept status back; at 2.9
v0.16.1's rules (only a draft is enqueued, a dequeued task is ``created``, no such field).
docs/tasks.md "Status changes"."""

from __future__ import annotations

import uuid

import pytest
from support.client import ApiClient

V = "2.31"
OLD = "2.9"


def _ok(api: ApiClient, action: str, data: dict, version: str = V) -> dict:
    reply = api.call(action, data, version=version)
    assert reply.status == 200, reply.meta
    return reply.data


def _task_in(api: ApiClient, status: str) -> str:
    """A new task brought to ``status`` (created, stopped, failed, completed, published)."""
    task = str(api.tasks.create(name=f"task {uuid.uuid4().hex[:6]}", type="training")["id"])
    if status == "created":
        return task
    _ok(api, "tasks.started", {"task": task})
    finish = {"stopped": "tasks.stopped", "failed": "tasks.failed", "completed": "tasks.completed"}
    _ok(api, finish.get(status, "tasks.stopped"), {"task": task})
    if status == "published":
        _ok(api, "tasks.publish", {"task": task})
    return task


def _stored(api: ApiClient, task: str, version: str = V) -> dict:
    return _ok(api, "tasks.get_by_id", {"task": task}, version)["task"]


def _entries(api: ApiClient, queue: str) -> list[str]:
    return [e["task"] for e in api.queues.get_by_id(queue=queue)["queue"]["entries"]]


def _left_queue(api: ApiClient, task: str, status: str) -> None:
    """The task has ``status``, no queue and no status before queuing."""
    doc = _stored(api, task)
    assert doc["status"] == status
    assert "enqueue_status" not in doc and not (doc.get("execution") or {}).get("queue")


@pytest.fixture
def queue(tenant: ApiClient) -> str:
    return str(tenant.queues.create(name=f"q-{uuid.uuid4().hex[:8]}")["id"])


@pytest.mark.parametrize("before", ["created", "stopped", "failed"])
def test_dequeue_puts_back_the_status_before_queuing(tenant: ApiClient, queue: str, before: str) -> None:
    task = _task_in(tenant, before)
    reply = _ok(tenant, "tasks.enqueue", {"task": task, "queue": queue})
    assert reply["queued"] == 1 and reply["fields"]["enqueue_status"] == before
    doc = _stored(tenant, task)
    assert doc["status"] == "queued" and doc["enqueue_status"] == before
    assert _entries(tenant, queue) == [task]
    reply = _ok(tenant, "tasks.dequeue", {"task": task})
    assert reply["dequeued"] == 1 and reply["fields"]["status"] == before
    assert reply["fields"]["enqueue_status"] is None
    _left_queue(tenant, task, before)
    assert _entries(tenant, queue) == []


@pytest.mark.parametrize("before", ["completed", "published"])
def test_other_statuses_are_enqueued_with_force(tenant: ApiClient, queue: str, before: str) -> None:
    task = _task_in(tenant, before)
    refused = tenant.call("tasks.enqueue", {"task": task, "queue": queue}, version=V)
    assert refused.code == (400, 110)
    assert _stored(tenant, task)["status"] == before and _entries(tenant, queue) == []
    reply = _ok(tenant, "tasks.enqueue", {"task": task, "queue": queue, "force": True})
    assert reply["fields"]["enqueue_status"] == before and _entries(tenant, queue) == [task]
    assert _ok(tenant, "tasks.dequeue", {"task": task})["fields"]["status"] == before
    _left_queue(tenant, task, before)


def test_force_does_not_enqueue_a_queued_task_again(tenant: ApiClient, queue: str) -> None:
    other = str(tenant.queues.create(name=f"q-{uuid.uuid4().hex[:8]}")["id"])
    task = _task_in(tenant, "stopped")
    _ok(tenant, "tasks.enqueue", {"task": task, "queue": queue})
    again = tenant.call("tasks.enqueue", {"task": task, "queue": other, "force": True}, version=V)
    assert again.code == (400, 110)
    assert _entries(tenant, queue) == [task] and _entries(tenant, other) == []
    assert _stored(tenant, task)["enqueue_status"] == "stopped"
    assert _ok(tenant, "tasks.dequeue", {"task": task})["fields"]["status"] == "stopped"


def test_bad_force_is_refused(tenant: ApiClient, queue: str) -> None:
    task = _task_in(tenant, "completed")
    reply = tenant.call("tasks.enqueue", {"task": task, "queue": queue, "force": "yes"}, version=V)
    assert reply.code == (400, 12) and "force" in reply.meta["result_msg"]
    assert _stored(tenant, task)["status"] == "completed" and _entries(tenant, queue) == []


def test_at_2_9_only_a_draft_is_enqueued_and_force_is_not_read(tenant: ApiClient, queue: str) -> None:
    for before in ("stopped", "failed"):
        task = _task_in(tenant, before)
        for data in ({"task": task, "queue": queue}, {"task": task, "queue": queue, "force": True}):
            assert tenant.call("tasks.enqueue", data, version=OLD).code == (400, 110)
        assert _stored(tenant, task)["status"] == before and _entries(tenant, queue) == []


def test_at_2_9_the_field_is_neither_answered_nor_shown(tenant: ApiClient, queue: str) -> None:
    task = _task_in(tenant, "created")
    reply = _ok(tenant, "tasks.enqueue", {"task": task, "queue": queue}, OLD)
    assert reply["fields"]["status"] == "queued" and "enqueue_status" not in reply["fields"]
    assert "enqueue_status" not in _stored(tenant, task, OLD)
    listed = _ok(tenant, "tasks.get_all", {"id": [task]}, OLD)["tasks"]
    assert [t["status"] for t in listed] == ["queued"] and "enqueue_status" not in listed[0]
    projected = _ok(tenant, "tasks.get_all", {"id": [task], "only_fields": ["enqueue_status"]}, OLD)["tasks"]
    assert projected == [{"id": task}]
    assert _stored(tenant, task)["enqueue_status"] == "created"  # kept, and shown from 2.10
    shown = _ok(tenant, "tasks.get_all", {"id": [task], "only_fields": ["enqueue_status"]}, "2.10")["tasks"]
    assert shown == [{"id": task, "enqueue_status": "created"}]


def test_at_2_9_a_dequeued_task_is_created(tenant: ApiClient, queue: str) -> None:
    task = _task_in(tenant, "stopped")
    _ok(tenant, "tasks.enqueue", {"task": task, "queue": queue})
    reply = _ok(tenant, "tasks.dequeue", {"task": task}, OLD)
    assert reply["fields"]["status"] == "created" and "enqueue_status" not in reply["fields"]
    _left_queue(tenant, task, "created")
    assert _entries(tenant, queue) == []


def test_new_status_wins_over_the_status_before(tenant: ApiClient, queue: str) -> None:
    task = _task_in(tenant, "stopped")
    _ok(tenant, "tasks.enqueue", {"task": task, "queue": queue})
    reply = _ok(tenant, "tasks.dequeue", {"task": task, "new_status": "in_progress"})
    assert reply["fields"]["status"] == "in_progress"
    _left_queue(tenant, task, "in_progress")


def test_dequeue_of_a_task_not_queued_is_refused(tenant: ApiClient, queue: str) -> None:
    task = _task_in(tenant, "failed")
    assert tenant.call("tasks.dequeue", {"task": task}, version=V).code == (400, 101)
    _ok(tenant, "tasks.enqueue", {"task": task, "queue": queue})
    _ok(tenant, "tasks.dequeue", {"task": task})
    assert tenant.call("tasks.dequeue", {"task": task}, version=V).code == (400, 101)
    _left_queue(tenant, task, "failed")
    reply = _ok(tenant, "tasks.dequeue_many", {"ids": [task]})
    assert reply["succeeded"] == [] and [f["error"]["codes"] for f in reply["failed"]] == [[400, 101]]


@pytest.mark.parametrize(("version", "back"), [(V, ["stopped", "failed"]), ("2.13", ["stopped", "failed"])])
def test_enqueue_many_and_dequeue_many(tenant: ApiClient, queue: str, version: str, back: list[str]) -> None:
    tasks = [_task_in(tenant, "stopped"), _task_in(tenant, "failed")]
    completed = _task_in(tenant, "completed")
    reply = _ok(tenant, "tasks.enqueue_many", {"ids": [*tasks, completed], "queue": queue}, version)
    assert [s["id"] for s in reply["succeeded"]] == tasks
    assert [s["fields"]["enqueue_status"] for s in reply["succeeded"]] == ["stopped", "failed"]
    assert [(f["id"], f["error"]["codes"]) for f in reply["failed"]] == [(completed, [400, 110])]
    assert _entries(tenant, queue) == tasks
    reply = _ok(tenant, "tasks.dequeue_many", {"ids": tasks}, version)
    assert [s["fields"]["status"] for s in reply["succeeded"]] == back and not reply["failed"]
    for task, status in zip(tasks, back, strict=True):
        _left_queue(tenant, task, status)


def test_dequeue_many_at_2_9_gives_created(tenant: ApiClient, queue: str) -> None:
    tasks = [_task_in(tenant, "stopped"), _task_in(tenant, "failed")]
    _ok(tenant, "tasks.enqueue_many", {"ids": tasks, "queue": queue})
    reply = _ok(tenant, "tasks.dequeue_many", {"ids": tasks}, OLD)
    assert [s["fields"]["status"] for s in reply["succeeded"]] == ["created", "created"]
    for task in tasks:
        _left_queue(tenant, task, "created")


def test_queue_actions_put_back_the_status_before(tenant: ApiClient, queue: str) -> None:
    removed, cleared, deleted = (_task_in(tenant, s) for s in ("stopped", "failed", "completed"))
    for task in (removed, cleared):
        _ok(tenant, "tasks.enqueue", {"task": task, "queue": queue})
    data = {"queue": queue, "task": removed, "update_task_status": True}
    assert _ok(tenant, "queues.remove_task", data) == {"removed": 1}
    _left_queue(tenant, removed, "stopped")
    assert _ok(tenant, "queues.clear_queue", {"queue": queue}) == {"removed_tasks": [cleared]}
    _left_queue(tenant, cleared, "failed")
    doomed = str(tenant.queues.create(name=f"q-{uuid.uuid4().hex[:8]}")["id"])
    _ok(tenant, "tasks.enqueue", {"task": deleted, "queue": doomed, "force": True})
    assert _ok(tenant, "queues.delete", {"queue": doomed, "force": True}, "2.10") == {"deleted": 1}
    _left_queue(tenant, deleted, "completed")


def test_archiving_a_queued_task_puts_back_the_status_before(tenant: ApiClient, queue: str) -> None:
    task = _task_in(tenant, "stopped")
    _ok(tenant, "tasks.enqueue", {"task": task, "queue": queue})
    assert _ok(tenant, "tasks.archive_many", {"ids": [task]})["succeeded"] == [{"id": task, "archived": True}]
    _left_queue(tenant, task, "stopped")
    assert "archived" in _stored(tenant, task)["system_tags"] and _entries(tenant, queue) == []


def test_leaving_the_queue_otherwise_drops_the_status_before(tenant: ApiClient, queue: str) -> None:
    started, reset = _task_in(tenant, "stopped"), _task_in(tenant, "failed")
    for task in (started, reset):
        _ok(tenant, "tasks.enqueue", {"task": task, "queue": queue})
    # an agent of v0.16's protocol: pops the entry, then starts the queued task
    assert _ok(tenant, "queues.get_next_task", {"queue": queue}, OLD)["entry"]["task"] == started
    _ok(tenant, "tasks.started", {"task": started}, OLD)
    doc = _stored(tenant, started)  # execution.queue still names the queue it ran from
    assert doc["status"] == "in_progress" and "enqueue_status" not in doc
    reply = _ok(tenant, "tasks.reset", {"task": reset})
    assert reply["dequeued"] == {"removed": 1}
    _left_queue(tenant, reset, "created")
    assert _entries(tenant, queue) == []


def test_a_failed_enqueue_leaves_no_status_before(tenant: ApiClient, queue: str) -> None:
    task = _task_in(tenant, "stopped")
    _ok(tenant, "queues.add_task", {"queue": queue, "task": task}, OLD)  # in the queue, status untouched
    assert tenant.call("tasks.enqueue", {"task": task, "queue": queue}, version=V).code == (400, 706)
    _left_queue(tenant, task, "stopped")
    assert _entries(tenant, queue) == [task]
