"""Hole 9 of issue 13: queues.add_task took another company's (or a made-up) task id,
and get_next_task then handed it out."""

from __future__ import annotations

import uuid

from support.client import ApiClient


def test_a_task_of_another_company_cannot_be_queued(make_tenant) -> None:  # type: ignore[no-untyped-def]
    """Before: added 1, and the other company's task came out of get_next_task."""
    alice, bob = make_tenant(), make_tenant()
    foreign = bob.tasks.create(name="bob's task", type="training")["id"]
    queue = alice.queues.create(name=f"q-{uuid.uuid4().hex[:6]}")["id"]
    for task in (foreign, uuid.uuid4().hex):
        assert alice.call("queues.add_task", {"queue": queue, "task": task}).code == (400, 101)
    assert alice.queues.get_by_id(queue=queue)["queue"]["entries"] == []
    assert alice.queues.get_next_task(queue=queue) == {}


def test_the_callers_own_task_is_queued(tenant: ApiClient) -> None:
    task = tenant.tasks.create(name="mine", type="training")["id"]
    queue = tenant.queues.create(name=f"q-{uuid.uuid4().hex[:6]}")["id"]
    assert tenant.queues.add_task(queue=queue, task=task) == {"added": 1}
    assert tenant.queues.get_next_task(queue=queue)["entry"]["task"] == task
