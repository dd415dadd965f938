"""queues.* beyond v0.16.1 (API 2.10 - 2.31): metadata, display names, hidden queues,
scrolled listings, peek / count / clear, get_next_task's task info, the post-0.16 answers
of the moves and of a forced delete."""

from __future__ import annotations

import uuid

import pytest
from support.client import ApiClient

V = "2.31"


def _name(prefix: str = "q") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def _tasks(tenant: ApiClient, n: int) -> list[str]:
    return [tenant.tasks.create(name=f"queued {uuid.uuid4().hex[:6]}", type="training")["id"] for _ in range(n)]


def _call(api: ApiClient, action: str, data: dict, version: str = V) -> dict:
    reply = api.call(f"queues.{action}", data, version=version)
    assert reply.status == 200, reply.meta
    return reply.data


def _order(api: ApiClient, queue: str) -> list[str]:
    return [e["task"] for e in api.queues.get_by_id(queue=queue)["queue"]["entries"]]


@pytest.fixture
def queue(tenant: ApiClient) -> str:
    return str(tenant.queues.create(name=_name())["id"])


def _enqueued(tenant: ApiClient, queue: str, n: int) -> list[str]:
    tasks = _tasks(tenant, n)
    for task in tasks:
        assert tenant.tasks.enqueue(task=task, queue=queue)["queued"] == 1
    return tasks


def test_metadata_on_create_update_and_its_actions(tenant: ApiClient) -> None:
    meta = {"a.b": {"key": "a.b", "type": "str", "value": "1"}, "$x": {"value": "2"}}
    qid = _call(tenant, "create", {"name": _name(), "metadata": meta, "display_name": "Shown"})["id"]
    queue = _call(tenant, "get_by_id", {"queue": qid})["queue"]
    assert queue["display_name"] == "Shown"
    assert queue["metadata"] == {"a.b": meta["a.b"], "$x": {"key": "$x", "value": "2"}}
    items = [{"key": "c", "type": "int", "value": "3"}, {"key": "a.b", "value": "new"}]
    assert _call(tenant, "add_or_update_metadata", {"queue": qid, "metadata": items}) == {"updated": 1}
    stored = _call(tenant, "get_by_id", {"queue": qid})["queue"]["metadata"]
    assert stored == {"a.b": {"key": "a.b", "value": "new"}, "$x": {"key": "$x", "value": "2"}, "c": items[0]}
    assert _call(tenant, "delete_metadata", {"queue": qid, "keys": ["a.b", "missing"]}) == {"updated": 1}
    assert set(_call(tenant, "get_by_id", {"queue": qid})["queue"]["metadata"]) == {"$x", "c"}
    replace = {"queue": qid, "metadata": [{"key": "only", "value": "1"}], "replace_metadata": True}
    assert _call(tenant, "add_or_update_metadata", replace) == {"updated": 1}
    assert _call(tenant, "get_by_id", {"queue": qid})["queue"]["metadata"] == {"only": {"key": "only", "value": "1"}}
    result = _call(tenant, "update", {"queue": qid, "display_name": "Other", "metadata": {"k": {"value": "v"}}})
    assert result["updated"] == 1 and result["fields"]["display_name"] == "Other"
    queue = _call(tenant, "get_by_id", {"queue": qid})["queue"]
    assert queue["display_name"] == "Other" and queue["metadata"] == {"k": {"key": "k", "value": "v"}}
    # the metadata filters of get_all: a metadata path
    found = _call(tenant, "get_all", {"id": [qid], "only_fields": ["metadata.k.value"]})["queues"]
    assert found == [{"id": qid, "metadata": {"k": {"value": "v"}}}]


def test_later_fields_are_ignored_below_their_version(tenant: ApiClient, queue: str) -> None:
    assert tenant.with_version("2.9").queues.update(queue=queue, display_name="x", metadata={"k": {"value": "v"}}) == {
        "updated": 0,
        "fields": {},
    }
    reply = tenant.call("queues.update", {"queue": queue, "display_name": "x"}, version="2.13")
    assert reply.data == {"updated": 0, "fields": {}}
    doc = tenant.queues.get_by_id(queue=queue)["queue"]
    assert "display_name" not in doc and not doc.get("metadata")


def test_metadata_errors(tenant: ApiClient, queue: str) -> None:
    reply = tenant.call("queues.add_or_update_metadata", {"queue": "nope", "metadata": []}, version=V)
    assert reply.code == (400, 701)
    reply = tenant.call("queues.delete_metadata", {"queue": "nope", "keys": ["a"]}, version=V)
    assert reply.code == (400, 701)
    reply = tenant.call("queues.add_or_update_metadata", {"queue": queue, "metadata": [{"value": "1"}]}, version=V)
    assert reply.code == (400, 12) and "key" in reply.meta["result_msg"]
    reply = tenant.call("queues.add_or_update_metadata", {"queue": queue, "metadata": "x"}, version=V)
    assert reply.code == (400, 12) and "metadata" in reply.meta["result_msg"]
    reply = tenant.call("queues.delete_metadata", {"queue": queue}, version=V)
    assert reply.code == (400, 12) and "keys" in reply.meta["result_msg"]
    # below 2.13 the actions do not exist
    assert tenant.call("queues.add_or_update_metadata", {"queue": queue, "metadata": []}, version="2.12").status == 404


def test_peek_count_and_clear(tenant: ApiClient, queue: str) -> None:
    assert _call(tenant, "get_num_entries", {"queue": queue}) == {"num": 0}
    assert _call(tenant, "peek_task", {"queue": queue}) == {"task": None}
    tasks = _enqueued(tenant, queue, 3)
    assert _call(tenant, "get_num_entries", {"queue": queue}, version="2.15") == {"num": 3}
    assert _call(tenant, "peek_task", {"queue": queue}) == {"task": tasks[0]}
    assert _order(tenant, queue) == tasks  # the peek leaves the entry
    assert tenant.call("queues.peek_task", {"queue": queue}, version="2.14").status == 404
    for action in ("peek_task", "get_num_entries", "clear_queue"):
        assert tenant.call(f"queues.{action}", {"queue": "nope"}, version=V).code == (400, 701), action
    removed = _call(tenant, "clear_queue", {"queue": queue})["removed_tasks"]
    assert sorted(removed) == sorted(tasks)
    assert _order(tenant, queue) == []
    for task in tasks:
        doc = tenant.tasks.get_by_id(task=task)["task"]
        assert doc["status"] == "created" and not (doc.get("execution") or {}).get("queue")
        assert "cleared" in doc["status_reason"]
    assert _call(tenant, "clear_queue", {"queue": queue}) == {"removed_tasks": []}


def test_remove_task_resets_its_status_at_2_31(tenant: ApiClient, queue: str) -> None:
    a, b = _enqueued(tenant, queue, 2)
    assert tenant.queues.remove_task(queue=queue, task=a) == {"removed": 1}
    assert tenant.tasks.get_by_id(task=a)["task"]["status"] == "queued"  # 0.16: left as it was
    assert _call(tenant, "remove_task", {"queue": queue, "task": b, "update_task_status": True}) == {"removed": 1}
    doc = tenant.tasks.get_by_id(task=b)["task"]
    assert doc["status"] == "created" and not (doc.get("execution") or {}).get("queue")


def test_add_task_sets_execution_queue_at_2_31(tenant: ApiClient, queue: str) -> None:
    a, b, c = _tasks(tenant, 3)
    tenant.with_version("2.9").queues.add_task(queue=queue, task=a)
    assert not (tenant.tasks.get_by_id(task=a)["task"].get("execution") or {}).get("queue")
    assert _call(tenant, "add_task", {"queue": queue, "task": b}) == {"added": 1}
    assert tenant.tasks.get_by_id(task=b)["task"]["execution"]["queue"] == queue
    assert _call(tenant, "add_task", {"queue": queue, "task": c, "update_execution_queue": False}) == {"added": 1}
    assert not (tenant.tasks.get_by_id(task=c)["task"].get("execution") or {}).get("queue")


def test_get_next_task_info(tenant: ApiClient, queue: str) -> None:
    a, b = _tasks(tenant, 2)
    tenant.queues.add_task(queue=queue, task=a)
    tenant.queues.add_task(queue=queue, task=b)
    reply = _call(tenant, "get_next_task", {"queue": queue, "get_task_info": True}, version="2.14")
    assert reply["entry"]["task"] == a
    assert reply["task_info"] == {"company": tenant.company_id, "user": tenant.user_id}  # type: ignore[attr-defined]
    assert set(_call(tenant, "get_next_task", {"queue": queue}, version="2.23")) == {"entry"}
    assert _call(tenant, "get_next_task", {"queue": queue, "get_task_info": True}) == {}
    reply = tenant.call("queues.get_next_task", {"queue": queue, "get_task_info": [1]}, version="2.14")
    assert reply.code == (400, 12)


def test_moves_answer_the_actual_position_from_2_10(tenant: ApiClient, queue: str) -> None:
    t = _tasks(tenant, 4)
    for task in t:
        tenant.queues.add_task(queue=queue, task=task)
    assert _call(tenant, "move_task_to_back", {"queue": queue, "task": t[0]}, "2.10") == {"position": 3}
    assert _order(tenant, queue) == [t[1], t[2], t[3], t[0]]
    assert _call(tenant, "move_task_to_back", {"queue": queue, "task": t[0]}, "2.10") == {"position": 3}
    assert _call(tenant, "move_task_backward", {"queue": queue, "task": t[1], "count": 9}, V) == {"position": 3}
    assert _order(tenant, queue) == [t[2], t[3], t[0], t[1]]
    assert _call(tenant, "move_task_forward", {"queue": queue, "task": t[1], "count": 2}, V) == {"position": 1}
    assert _call(tenant, "move_task_to_front", {"queue": queue, "task": t[0]}, V) == {"position": 0}
    assert _order(tenant, queue) == [t[0], t[2], t[1], t[3]]
    # API 2.9 keeps the 0.16 answers
    assert _call(tenant, "move_task_to_back", {"queue": queue, "task": t[0]}, "2.9") == {"position": -1}


def test_forced_delete_resets_queued_tasks_from_2_10(tenant: ApiClient) -> None:
    old, new = (str(tenant.queues.create(name=_name())["id"]) for _ in range(2))
    (kept,) = _enqueued(tenant, old, 1)
    assert tenant.call("queues.delete", {"queue": old, "force": True}, version="2.9").data == {"deleted": 1}
    assert tenant.tasks.get_by_id(task=kept)["task"]["status"] == "queued"  # 0.16 behaviour
    (reset,) = _enqueued(tenant, new, 1)
    assert _call(tenant, "delete", {"queue": new, "force": True}, "2.10") == {"deleted": 1}
    doc = tenant.tasks.get_by_id(task=reset)["task"]
    assert doc["status"] == "created" and not (doc.get("execution") or {}).get("queue")
    assert "deleted" in doc["status_reason"]


def test_hidden_queues_from_2_21(tenant: ApiClient) -> None:
    hidden = str(tenant.queues.create(name=_name("hidden"), system_tags=["k8s-glue"])["id"])
    shown = str(tenant.queues.create(name=_name("shown"))["id"])
    for action in ("get_all", "get_all_ex"):
        ids = {q["id"] for q in _call(tenant, action, {"only_fields": ["id"]})["queues"]}
        assert shown in ids and hidden not in ids, action
        ids = {q["id"] for q in _call(tenant, action, {"search_hidden": True})["queues"]}
        assert {shown, hidden} <= ids, action
        assert [q["id"] for q in _call(tenant, action, {"id": [hidden]})["queues"]] == [hidden], action
        ids = {q["id"] for q in _call(tenant, action, {}, version="2.20")["queues"]}
        assert {shown, hidden} <= ids, action  # below 2.21 nothing is hidden


def test_scrolled_listing_and_max_task_entries(tenant: ApiClient) -> None:
    queues = [str(tenant.queues.create(name=_name("s"))["id"]) for _ in range(5)]
    for action in ("get_all", "get_all_ex"):
        seen: list[str] = []
        data = _call(tenant, action, {"size": 2, "order_by": ["name"], "only_fields": ["id"]})
        while data["queues"]:
            assert len(data["queues"]) <= 2 and data["scroll_id"]
            seen += [q["id"] for q in data["queues"]]
            data = _call(tenant, action, {"size": 2, "order_by": ["name"], "scroll_id": data["scroll_id"]})
        assert sorted(seen) == sorted(queues), action
        first = _call(tenant, action, {"size": 2, "order_by": ["name"]})
        again = _call(tenant, action, {"size": 2, "scroll_id": first["scroll_id"], "refresh_scroll": True})
        assert len(again["queues"]) == 4
        assert tenant.call(f"queues.{action}", {"scroll_id": "bad"}, version=V).code == (400, 1104)
        assert tenant.call(f"queues.{action}", {"size": 0}, version=V).code == (400, 12)
        assert "scroll_id" not in _call(tenant, action, {"size": 2}, version="2.14")
    tasks = _tasks(tenant, 3)
    for task in tasks:
        tenant.queues.add_task(queue=queues[0], task=task)
    doc = _call(tenant, "get_by_id", {"queue": queues[0], "max_task_entries": 2})["queue"]
    assert [e["task"] for e in doc["entries"]] == tasks[:2]
    listed = _call(tenant, "get_all_ex", {"id": [queues[0]], "max_task_entries": 1})["queues"][0]
    assert [e["task"]["id"] for e in listed["entries"]] == tasks[:1]
    assert len(tenant.queues.get_by_id(queue=queues[0])["queue"]["entries"]) == 3


def test_get_next_task_of_a_given_task_at_2_21(tenant: ApiClient, queue: str) -> None:
    a, b = _tasks(tenant, 2)
    tenant.queues.add_task(queue=queue, task=a)
    tenant.queues.add_task(queue=queue, task=b)
    assert _call(tenant, "get_next_task", {"queue": queue, "task": b}, version="2.21") == {}
    assert _order(tenant, queue) == [a, b]  # not the head: nothing taken
    reply = _call(tenant, "get_next_task", {"queue": queue, "task": a, "get_task_info": True}, version="2.21")
    assert reply["entry"]["task"] == a and reply["task_info"]["company"] == tenant.company_id  # type: ignore[attr-defined]
    assert _order(tenant, queue) == [b]
    # below 2.21 the field is not read: the head is taken
    assert _call(tenant, "get_next_task", {"queue": queue, "task": "other"}, version="2.20")["entry"]["task"] == b
    reply = tenant.call("queues.get_next_task", {"queue": "nope", "task": a}, version="2.21")
    assert reply.code == (400, 701)
