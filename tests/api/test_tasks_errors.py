"""Error answers common to the task actions: unknown ids, missing fields, other
companies' and public tasks, refused transitions from a draft."""

from __future__ import annotations

import pytest
from support.client import ApiClient

MISSING = "0" * 32

# action → the smallest valid request besides the task id
WRITE_ACTIONS = {
    "tasks.edit": {},
    "tasks.update": {},
    "tasks.reset": {},
    "tasks.delete": {},
    "tasks.started": {},
    "tasks.stop": {},
    "tasks.stopped": {},
    "tasks.failed": {},
    "tasks.close": {},
    "tasks.completed": {},
    "tasks.publish": {},
    "tasks.enqueue": {"queue": MISSING},
    "tasks.dequeue": {},
    "tasks.set_requirements": {"requirements": {}},
    "tasks.ping": {},
    "tasks.add_or_update_artifacts": {"artifacts": []},
    "tasks.edit_hyper_params": {"hyperparams": []},
    "tasks.delete_hyper_params": {"hyperparams": [{"section": "a"}]},
    "tasks.edit_configuration": {"configuration": []},
    "tasks.delete_configuration": {"configuration": ["a"]},
}
READ_ACTIONS = {
    "tasks.get_by_id": lambda t: {"task": t},
    "tasks.clone": lambda t: {"task": t},
    "tasks.get_hyper_params": lambda t: {"tasks": [t]},
    "tasks.get_configurations": lambda t: {"tasks": [t]},
    "tasks.get_configuration_names": lambda t: {"tasks": [t]},
}


@pytest.mark.parametrize("action", sorted(WRITE_ACTIONS))
def test_write_actions_refuse_unknown_and_foreign_tasks(tenant: ApiClient, make_tenant, action: str) -> None:  # type: ignore[no-untyped-def]
    extra = WRITE_ACTIONS[action]
    assert tenant.call(action, extra).code == (400, 12), "the task field is required"
    reply = tenant.call(action, {"task": MISSING, **extra})
    assert reply.code == (400, 101), reply.meta["result_msg"]
    other = make_tenant()
    foreign = other.tasks.create(name="foreign", type="training")["id"]
    assert tenant.call(action, {"task": foreign, **extra}).code == (400, 101)
    public = other.tasks.create(name="public", type="training")["id"]
    other.tasks.make_public(ids=[public])
    reply = tenant.call(action, {"task": public, **extra})
    assert reply.code == (403, 21), reply.meta["result_msg"]
    assert other.tasks.get_by_id(task=foreign)["task"]["status"] == "created"


@pytest.mark.parametrize("action", sorted(READ_ACTIONS))
def test_read_actions_refuse_unknown_and_foreign_tasks(tenant: ApiClient, make_tenant, action: str) -> None:  # type: ignore[no-untyped-def]
    make = READ_ACTIONS[action]
    assert tenant.call(action, make(MISSING)).code == (400, 101)
    other = make_tenant()
    foreign = other.tasks.create(name="foreign", type="training")["id"]
    assert tenant.call(action, make(foreign)).code == (400, 101)
    other.tasks.make_public(ids=[foreign])
    assert tenant.call(action, make(foreign)).status == 200


@pytest.mark.parametrize("action", ["tasks.stopped", "tasks.failed", "tasks.close", "tasks.completed", "tasks.publish"])
def test_draft_cannot_jump(tenant: ApiClient, action: str) -> None:
    task_id = tenant.tasks.create(name="draft", type="training")["id"]
    reply = tenant.call(action, {"task": task_id})
    assert reply.code == (400, 110)
    assert "created" in reply.meta["result_msg"]
    assert tenant.tasks.get_by_id(task=task_id)["task"]["status"] == "created"
