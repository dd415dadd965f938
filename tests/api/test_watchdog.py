"""The non-responsive task watchdog in a served instance with a short threshold."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.client import ApiClient
from support.server import ServerProcess

PREFIX = "STATIONMASTER__services__tasks__non_responsive_tasks_watchdog__"


@pytest.fixture(scope="module")
def quick_watchdog_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiClient]:
    env = {PREFIX + "threshold_sec": "2", PREFIX + "watch_interval_sec": "0.5"}
    data_dir: Path = tmp_path_factory.mktemp("watchdog") / "data"
    server = ServerProcess(data_dir, env=env).start(timeout=90)  # generous on a loaded machine
    try:
        key, secret = server.admin_credentials()
        yield ApiClient(server.url, key=key, secret=secret).login()
    finally:
        server.stop()


def test_silent_task_is_stopped_reporting_task_is_not(quick_watchdog_api: ApiClient) -> None:
    api = quick_watchdog_api
    silent = api.tasks.create(name="silent", type="training")["id"]
    pinged = api.tasks.create(name="pinged", type="training")["id"]
    reported = api.tasks.create(name="reported", type="training")["id"]
    for task in (silent, pinged, reported):
        api.tasks.started(task=task)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        api.tasks.ping(task=pinged)
        api.workers.status_report(worker="watchdog-test", timestamp=1, task=reported)
        if api.tasks.get_by_id(task=silent)["task"]["status"] == "stopped":
            break
        time.sleep(0.3)
    task = api.tasks.get_by_id(task=silent)["task"]
    assert task["status"] == "stopped"
    assert task["status_reason"] == "Forced stop (non-responsive)"
    assert task["status_message"] == "Forced stop (non-responsive)"
    for task_id in (pinged, reported):
        assert api.tasks.get_by_id(task=task_id)["task"]["status"] == "in_progress"
