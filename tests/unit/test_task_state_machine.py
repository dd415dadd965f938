"""The task status table and the conditional status update (bll/task/state_machine.py)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import mongomock
import pytest

from stationmaster.bll.task.state_machine import TRANSITIONS, StatusChange, apply_status_change, check_transition
from stationmaster.database.embedded import client_class
from stationmaster.database.model.task import TaskStatus
from stationmaster.database.repositories.tasks import TaskRepository
from stationmaster.protocol.errors import ApiError

# clearml-server v0.16.1, state_machine in server/bll/task/utils.py
TABLE = {
    "created": {"queued", "in_progress"},
    "queued": {"created", "in_progress"},
    "in_progress": {"stopped", "failed", "created", "completed"},
    "stopped": {"closed", "created", "failed", "in_progress", "published", "publishing", "completed"},
    "closed": {"created", "failed", "published", "publishing", "stopped"},
    "failed": {"created", "stopped", "published"},
    "publishing": {"published"},
    "published": set(),
    "completed": {"published", "in_progress", "created"},
}
KNOWN = [s for s in TaskStatus.ALL if s != "unknown"]


@pytest.mark.parametrize("current", KNOWN)
@pytest.mark.parametrize("new", KNOWN)
def test_every_pair_of_the_table(current: str, new: str) -> None:
    assert {k: set(v) for k, v in TRANSITIONS.items()} == TABLE
    if new in TABLE[current] or new == current:
        check_transition(current, new)
    else:
        with pytest.raises(ApiError) as info:
            check_transition(current, new)
        assert (info.value.code, info.value.subcode) == (400, 110)
        assert current in info.value.msg and new in info.value.msg
    check_transition(current, new, force=True)


def test_same_state_can_be_refused() -> None:
    with pytest.raises(ApiError) as info:
        check_transition("created", "created", allow_same=False)
    assert info.value.subcode == 110


def test_unknown_status_needs_force() -> None:
    with pytest.raises(ApiError) as info:
        check_transition("unknown", "created")
    assert (info.value.code, info.value.subcode) == (500, 1)
    check_transition("unknown", "created", force=True)


@pytest.fixture(params=["mongomock", "litemongo"])
def coll(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    if request.param == "mongomock":
        return mongomock.MongoClient().db.task
    return client_class(tmp_path / "docs")().db.task


def test_stale_read_loses_with_121(coll: Any) -> None:
    coll.insert_one({"_id": "t", "status": "created"})
    stale = {"id": "t", "status": "created"}
    first = apply_status_change(TaskRepository(coll), stale, StatusChange("in_progress"))
    assert first["updated"] == 1 and first["fields"]["status"] == "in_progress"
    with pytest.raises(ApiError) as info:
        apply_status_change(TaskRepository(coll), stale, StatusChange("queued"))
    assert (info.value.code, info.value.subcode) == (400, 121)
    assert coll.find_one({"_id": "t"})["status"] == "in_progress"


@pytest.mark.parametrize("changed_before", [False, True])
def test_a_stale_read_of_the_same_status_loses_too(coll: Any, changed_before: bool) -> None:
    """Two same-status changes (stopped -> stopped) read from one state: only the first is
    written, so the stored status_changed never goes back (it did, once, in CI)."""
    coll.insert_one({"_id": "t", "status": "stopped"})
    if changed_before:
        apply_status_change(
            TaskRepository(coll), {"id": "t", "status": "stopped", "status_changed": None}, StatusChange("stopped")
        )
    stale = {"id": "t", **{k: v for k, v in coll.find_one({"_id": "t"}).items() if k != "_id"}}
    stale.setdefault("status_changed", None)
    time.sleep(0.002)  # status_changed has millisecond precision: the next change gets a new one
    first = apply_status_change(TaskRepository(coll), stale, StatusChange("stopped"))
    with pytest.raises(ApiError) as info:
        apply_status_change(TaskRepository(coll), stale, StatusChange("stopped", status_message="late"))
    assert (info.value.code, info.value.subcode) == (400, 121)
    stored = coll.find_one({"_id": "t"})
    assert stored["status_changed"] == first["fields"]["status_changed"] and stored.get("status_message") is None


def test_extra_fields_and_queued_drops_development(coll: Any) -> None:
    coll.insert_one({"_id": "t", "status": "created", "system_tags": ["development", "x"], "execution": {"queue": "q"}})
    change = StatusChange("queued", "why", "msg", set={"execution.queue": "q2"})
    result = apply_status_change(TaskRepository(coll), {"id": "t", "status": "created"}, change)
    doc = coll.find_one({"_id": "t"})
    assert doc["system_tags"] == ["x"] and doc["execution"]["queue"] == "q2"
    assert doc["status_reason"] == "why" and doc["status_message"] == "msg" and doc["status_changed"]
    assert result["fields"]["execution.queue"] == "q2"
    apply_status_change(
        TaskRepository(coll), {"id": "t", "status": "queued"}, StatusChange("created", unset=("execution.queue",))
    )
    assert "queue" not in coll.find_one({"_id": "t"})["execution"]
