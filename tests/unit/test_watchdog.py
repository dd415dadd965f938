"""The non-responsive task watchdog (bll/watchdog.py): the scan and the thread."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import mongoengine
import mongomock
import pytest

from stationmaster.bll.watchdog import REASON, NonResponsiveTasksWatchdog
from stationmaster.config import Config
from stationmaster.config.loader import load_config
from stationmaster.database.embedded import client_class
from stationmaster.database.model.base import AUTH_DB, BACKEND_DB
from stationmaster.database.model.project import Project
from stationmaster.database.model.task import Task
from stationmaster.database.raw import collection
from stationmaster.database.repositories.projects import ProjectRepository
from stationmaster.database.repositories.tasks import TaskRepository
from stationmaster.database.stores import connect_documents_with

NOW = datetime(2026, 1, 1, 12, 0, 0)


def make_config(threshold: float = 60, interval: float = 900, enabled: bool = True) -> Config:
    watchdog = {"enabled": enabled, "threshold_sec": threshold, "watch_interval_sec": interval}
    return Config({"services": {"tasks": {"non_responsive_tasks_watchdog": watchdog}}})


@pytest.fixture(params=["mongomock", "litemongo"])
def tasks(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    if request.param == "mongomock":
        connect_documents_with(mongomock.MongoClient)
    else:
        connect_documents_with(client_class(tmp_path / "docs"))
    yield collection(Task)
    for alias in (BACKEND_DB, AUTH_DB):
        mongoengine.disconnect(alias)


def add(tasks: Any, task_id: str, status: str, age_sec: float, project: str | None = "p") -> None:
    tasks.insert_one(
        {"_id": task_id, "status": status, "project": project, "last_update": NOW - timedelta(seconds=age_sec)}
    )


def test_scan_stops_only_stale_in_progress_tasks(tasks: Any) -> None:
    add(tasks, "stale", "in_progress", 61)
    add(tasks, "fresh", "in_progress", 59)
    add(tasks, "old_but_queued", "queued", 3600)
    add(tasks, "old_completed", "completed", 3600)
    collection(Project).insert_one({"_id": "p", "name": "proj", "last_update": NOW - timedelta(days=1)})
    assert NonResponsiveTasksWatchdog(make_config(threshold=60), TaskRepository(), ProjectRepository()).scan(NOW) == 1
    stale = tasks.find_one({"_id": "stale"})
    assert stale["status"] == "stopped"
    assert stale["status_reason"] == REASON == "Forced stop (non-responsive)"
    assert stale["status_message"] == REASON
    assert stale["status_changed"] == NOW and stale["last_update"] == NOW
    assert {d["_id"]: d["status"] for d in tasks.find({"_id": {"$ne": "stale"}})} == {
        "fresh": "in_progress",
        "old_but_queued": "queued",
        "old_completed": "completed",
    }
    assert collection(Project).find_one({"_id": "p"})["last_update"] == NOW
    # a second scan finds nothing more to do
    assert NonResponsiveTasksWatchdog(make_config(threshold=60), TaskRepository(), ProjectRepository()).scan(NOW) == 0


def test_a_task_refreshed_meanwhile_is_not_stopped(tasks: Any) -> None:
    add(tasks, "t", "in_progress", 120, project=None)
    watchdog = NonResponsiveTasksWatchdog(make_config(threshold=60), TaskRepository(), ProjectRepository())
    original_find = type(tasks).find

    def find_then_refresh(self: Any, *args: Any, **kwargs: Any) -> Any:
        found = list(original_find(self, *args, **kwargs))
        # the worker reports between the watchdog's read and its update
        tasks.update_one({"_id": "t"}, {"$set": {"last_update": NOW}})
        return found

    type(tasks).find = find_then_refresh
    try:
        assert watchdog.scan(NOW) == 0
    finally:
        type(tasks).find = original_find
    assert tasks.find_one({"_id": "t"})["status"] == "in_progress"


def test_thread_scans_every_interval_and_stops(tasks: Any) -> None:
    watchdog = NonResponsiveTasksWatchdog(
        make_config(threshold=0.2, interval=0.1), TaskRepository(), ProjectRepository()
    )
    tasks.insert_one({"_id": "t", "status": "in_progress", "last_update": datetime.utcnow()})
    watchdog.start()
    try:
        deadline = time.monotonic() + 5
        while tasks.find_one({"_id": "t"})["status"] != "stopped" and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        watchdog.stop()
    assert tasks.find_one({"_id": "t"})["status_reason"] == REASON
    assert watchdog._thread is None


def test_disabled_watchdog_starts_no_thread(tasks: Any) -> None:
    watchdog = NonResponsiveTasksWatchdog(make_config(enabled=False), TaskRepository(), ProjectRepository())
    watchdog.start()
    assert watchdog._thread is None
    # the defaults are config/default's, not repeated in the code
    defaults = NonResponsiveTasksWatchdog(
        load_config((), env={}, include_env_dirs=False), TaskRepository(), ProjectRepository()
    )
    assert defaults.threshold == timedelta(seconds=7200) and defaults.interval == 900
