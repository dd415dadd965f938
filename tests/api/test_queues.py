"""queues.*: the queue document, its entries and their order, errors and tenancy."""

from __future__ import annotations

import uuid

import pytest
from support.client import ApiClient


def _name(prefix: str = "q") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def _tasks(tenant: ApiClient, n: int) -> list[str]:
    """Tasks of the tenant's company (queues.add_task takes no other id)."""
    return [tenant.tasks.create(name=f"queued {uuid.uuid4().hex[:6]}", type="training")["id"] for _ in range(n)]


def _order(api: ApiClient, queue: str) -> list[str]:
    return [e["task"] for e in api.queues.get_by_id(queue=queue)["queue"]["entries"]]


@pytest.fixture
def queue(tenant: ApiClient) -> str:
    return str(tenant.queues.create(name=_name())["id"])


def test_create_get_update_delete(tenant: ApiClient) -> None:
    name = _name()
    qid = tenant.queues.create(name=f"  {name} ", tags=["a"], system_tags=["s"])["id"]
    assert len(qid) == 32
    queue = tenant.queues.get_by_id(queue=qid)["queue"]
    assert queue["name"] == name and queue["tags"] == ["a"] and queue["system_tags"] == ["s"]
    assert queue["entries"] == [] and queue["company"] == tenant.company_id  # type: ignore[attr-defined]
    assert queue["created"] and queue["last_update"]
    result = tenant.queues.update(queue=qid, name=name + "x", tags=["b"])
    assert result["updated"] == 1
    assert result["fields"] == {"name": name + "x", "tags": ["b"]}
    assert tenant.queues.get_by_id(queue=qid)["queue"]["name"] == name + "x"
    assert tenant.queues.delete(queue=qid) == {"deleted": 1}
    assert tenant.call("queues.get_by_id", {"queue": qid}).code == (400, 701)


def test_bad_input(tenant: ApiClient, queue: str) -> None:
    name = tenant.queues.get_by_id(queue=queue)["queue"]["name"]
    reply = tenant.call("queues.create", {"name": name})
    assert reply.code == (400, 801) and "name" in reply.meta["result_msg"]
    reply = tenant.call("queues.create", {"name": "ab"})
    assert reply.code == (400, 800) and "name" in reply.meta["result_msg"]
    reply = tenant.call("queues.create", {})
    assert reply.code == (400, 12) and "name" in reply.meta["result_msg"]
    other = tenant.queues.create(name=_name())["id"]
    assert tenant.call("queues.update", {"queue": other, "name": name}).code == (400, 801)
    for action in ("get_by_id", "delete", "get_next_task", "update"):
        assert tenant.call(f"queues.{action}", {"queue": "nope"}).code == (400, 701), action
    assert tenant.call("queues.add_task", {"queue": "nope", "task": "t"}).code == (400, 701)
    reply = tenant.call("queues.add_task", {"queue": queue})
    assert reply.code == (400, 12) and "task" in reply.meta["result_msg"]
    assert tenant.call("queues.move_task_forward", {"queue": queue, "task": "t", "count": "x"}).code == (400, 12)


def test_get_next_task_pops_fifo_then_empty(tenant: ApiClient, queue: str) -> None:
    tasks = _tasks(tenant, 3)
    for task in tasks:
        assert tenant.queues.add_task(queue=queue, task=task) == {"added": 1}
    assert _order(tenant, queue) == tasks
    first = tenant.queues.get_next_task(queue=queue)
    assert set(first) == {"entry"} and set(first["entry"]) == {"task", "added"}
    assert first["entry"]["task"] == tasks[0]
    assert [tenant.queues.get_next_task(queue=queue)["entry"]["task"] for _ in range(2)] == tasks[1:]
    reply = tenant.call("queues.get_next_task", {"queue": queue})
    assert reply.status == 200 and reply.data == {}


@pytest.mark.parametrize("version", ["2.4", "2.9", "2.14", "2.20"])
def test_get_next_task_at_agent_versions(tenant: ApiClient, queue: str, version: str) -> None:
    (task,) = _tasks(tenant, 1)
    tenant.queues.add_task(queue=queue, task=task)
    reply = tenant.call("queues.get_next_task", {"queue": queue}, version=version, method="GET")
    assert reply.status == 200 and reply.data["entry"]["task"] == task
    # the 2.14 block (get_task_info) serves 2.14 and above
    expected = "2.14" if version in ("2.14", "2.20") else "2.4"
    assert str(reply.meta["endpoint"]["actual_version"]) == expected


def test_get_next_task_unversioned_and_below_minimum(tenant: ApiClient, queue: str) -> None:
    assert tenant.call("queues.get_next_task", {"queue": queue}).data == {}
    assert tenant.call("queues.get_next_task", {"queue": queue}, version="2.3").status == 404


def test_add_twice_and_remove(tenant: ApiClient, queue: str) -> None:
    a, b = _tasks(tenant, 2)
    tenant.queues.add_task(queue=queue, task=a)
    tenant.queues.add_task(queue=queue, task=b)
    assert tenant.call("queues.add_task", {"queue": queue, "task": a}).code == (400, 706)
    assert tenant.queues.remove_task(queue=queue, task=a) == {"removed": 1}
    assert _order(tenant, queue) == [b]
    assert tenant.call("queues.remove_task", {"queue": queue, "task": a}).code == (400, 703)
    assert tenant.call("queues.remove_task", {"queue": "nope", "task": b}).code == (400, 703)


def test_delete_non_empty_needs_force(tenant: ApiClient, queue: str) -> None:
    tenant.queues.add_task(queue=queue, task=_tasks(tenant, 1)[0])
    reply = tenant.call("queues.delete", {"queue": queue})
    assert reply.code == (400, 702) and "force" in reply.meta["result_msg"]
    assert len(_order(tenant, queue)) == 1
    assert tenant.queues.delete(queue=queue, force=True) == {"deleted": 1}
    assert tenant.call("queues.get_by_id", {"queue": queue}).code == (400, 701)


def test_moves_follow_the_reference_positions(tenant: ApiClient, queue: str) -> None:
    tenant = tenant.with_version("2.9")  # v0.16.1's positions (2.10+: tests/api/test_queues_later.py)
    t = _tasks(tenant, 5)
    for task in t:
        tenant.queues.add_task(queue=queue, task=task)
    assert tenant.queues.move_task_forward(queue=queue, task=t[3]) == {"position": 2}
    assert _order(tenant, queue) == [t[0], t[1], t[3], t[2], t[4]]
    assert tenant.queues.move_task_forward(queue=queue, task=t[4], count=10) == {"position": 0}
    assert _order(tenant, queue) == [t[4], t[0], t[1], t[3], t[2]]
    assert tenant.queues.move_task_backward(queue=queue, task=t[4], count=2) == {"position": 2}
    assert _order(tenant, queue) == [t[0], t[1], t[4], t[3], t[2]]
    assert tenant.queues.move_task_to_front(queue=queue, task=t[2]) == {"position": 0}
    assert _order(tenant, queue) == [t[2], t[0], t[1], t[4], t[3]]
    assert tenant.queues.move_task_to_back(queue=queue, task=t[2]) == {"position": -1}
    assert _order(tenant, queue) == [t[0], t[1], t[4], t[3], t[2]]
    # already at the head: nothing moves
    assert tenant.queues.move_task_forward(queue=queue, task=t[0]) == {"position": 0}
    # past the end: appended, the computed index is returned as the reference does
    assert tenant.queues.move_task_backward(queue=queue, task=t[1], count=9) == {"position": 10}
    assert _order(tenant, queue) == [t[0], t[4], t[3], t[2], t[1]]
    assert tenant.call("queues.move_task_to_front", {"queue": queue, "task": "nope"}).code == (400, 703)


def test_get_all_filters_and_get_all_ex(tenant: ApiClient) -> None:
    prefix = _name("grp")
    ids = [tenant.queues.create(name=f"{prefix}-{i}", tags=[f"t{i}"])["id"] for i in range(3)]
    found = tenant.queues.get_all(name=f"^{prefix}", order_by=["-name"], only_fields=["id", "name"])["queues"]
    assert [q["id"] for q in found] == ids[::-1]
    assert set(found[0]) == {"id", "name"}
    assert [q["id"] for q in tenant.queues.get_all(tags=["t1"])["queues"]] == [ids[1]]
    assert [q["id"] for q in tenant.queues.get_all(id=[ids[2]])["queues"]] == [ids[2]]
    escaped = tenant.queues.get_all(name=f"{prefix}\\-2")["queues"]
    assert [q["id"] for q in escaped] == [ids[2]]
    task = _tasks(tenant, 1)[0]
    tenant.queues.add_task(queue=ids[0], task=task)
    ex = tenant.queues.get_all_ex(id=[ids[0]])["queues"][0]
    assert ex["entries"][0]["task"]["id"] == task and "workers" in ex


def test_default_queue(root_api: ApiClient, tenant: ApiClient) -> None:
    default = root_api.queues.get_default()
    assert default["name"] == "default" and len(default["id"]) == 32
    queue = root_api.queues.get_by_id(queue=default["id"])["queue"]
    assert "default" in queue["system_tags"]
    # a fresh company has no default queue until one is tagged so
    assert tenant.call("queues.get_default", {}).code == (400, 707)
    qid = tenant.queues.create(name=_name(), system_tags=["default"])["id"]
    assert tenant.queues.get_default()["id"] == qid
    tenant.queues.create(name=_name(), system_tags=["default"])
    assert tenant.call("queues.get_default", {}).code == (400, 708)


def test_queues_are_scoped_to_the_company(make_tenant, tenant: ApiClient, queue: str) -> None:  # type: ignore[no-untyped-def]
    stranger = make_tenant()
    tenant.queues.add_task(queue=queue, task=_tasks(tenant, 1)[0])
    assert stranger.call("queues.get_by_id", {"queue": queue}).code == (400, 701)
    assert stranger.call("queues.get_next_task", {"queue": queue}).code == (400, 701)
    assert stranger.call("queues.delete", {"queue": queue, "force": True}).code == (400, 701)
    assert queue not in {q["id"] for q in stranger.queues.get_all()["queues"]}
    # the same name is free in another company
    name = tenant.queues.get_by_id(queue=queue)["queue"]["name"]
    assert stranger.queues.create(name=name)["id"]
    assert len(_order(tenant, queue)) == 1


def test_enqueued_task_reaches_the_agent(tenant: ApiClient, queue: str) -> None:
    """tasks.enqueue puts the task into the queue; the agent's poll takes it without
    changing its status (v0.16.1), and the queue is then empty."""
    task = tenant.tasks.create(name="to run", type="training")["id"]
    assert tenant.tasks.enqueue(task=task, queue=queue)["queued"] == 1
    entries = tenant.queues.get_by_id(queue=queue)["queue"]["entries"]
    assert [e["task"] for e in entries] == [task]
    reply = tenant.call("queues.get_next_task", {"queue": queue}, version="2.14", method="GET")
    assert reply.data["entry"]["task"] == task and reply.data["entry"]["added"] == entries[0]["added"]
    assert tenant.tasks.get_by_id(task=task)["task"]["status"] == "queued"
    assert _order(tenant, queue) == []
