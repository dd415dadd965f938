"""`stationmaster move-store`: an embedded installation filled by the clearml SDK's
tracking flow (and a task queued) is moved to the team configuration (FerretDB,
Elasticsearch 7.17, Redis); the SDK reads everything back from a server on the moved
stores, and the server answers tasks.get_all_ex, models and the queue as before."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import test_tracking as tracking
from e2e_flows import LOCAL_COPIES, without_copies
from e2e_harness import E2E
from support.server import ServerProcess, command_env, write_config

MOVE_REDIS_DB = 10


def test_the_sdk_reads_back_from_the_team_configuration_after_a_move(root: Path, team_stores: Any) -> None:
    first = E2E(root / "first").start()
    try:
        spec = tracking.make_spec(first, "clearml", first.workdir("inputs"))
        made = first.run("clearml", "track.py", spec, timeout=240).result
        before = first.run("clearml", "readback.py", {**spec, **made}, timeout=180).result
        queued = first.api.tasks.create(name="queued after the move", type="training")["id"]
        queue = first.api.queues.get_default()["id"]
        first.api.tasks.enqueue(task=queued, queue=queue)
        tasks_before = first.api.tasks.get_all_ex(id=[made["task_id"], queued], order_by=["name"])["tasks"]
        models_before = first.api.models.get_all_ex(id=[made["model_id"]])["models"]
        queue_before = first.api.queues.get_by_id(queue=queue)["queue"]
    finally:
        first.stop()

    config = team_stores.config_dir(root / "team-config", "e2emove", redis_db=MOVE_REDIS_DB)
    files_to = root / "team-files"
    moved = subprocess.run(
        [sys.executable, "-m", "stationmaster.server.cli", "move-store", "--data-dir", str(first.server.data_dir)]
        + ["--config", str(config), "--files-to", str(files_to)],
        env=command_env(),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert moved.returncode == 0, moved.stdout + moved.stderr
    write_config(config, {"fileserver.conf": f'root: "{files_to}"\n'})

    # the same file-server port: the stored artifact and image URLs name it; the admin's
    # clearml.conf goes along (the team server creates no new admin: it was moved)
    data = root / "second" / "data"
    data.mkdir(parents=True)
    shutil.copy(first.server.data_dir / "clearml.conf", data / "clearml.conf")
    second = E2E(root / "second", config)
    second.files_port = first.files_port
    second.server = ServerProcess(data, config_dir=config, files_port=first.files_port, web_port=second.web_port)
    second.start()
    try:
        assert not (data / "documents").exists()  # served from the team stores
        after = second.run("clearml", "readback.py", {**spec, **made}, timeout=180).result
        assert without_copies(after) == without_copies(before)
        for key in LOCAL_COPIES:
            assert Path(after[key]).read_bytes() == Path(before[key]).read_bytes(), key
        assert second.api.tasks.get_all_ex(id=[made["task_id"], queued], order_by=["name"])["tasks"] == tasks_before
        assert second.api.models.get_all_ex(id=[made["model_id"]])["models"] == models_before
        assert second.api.queues.get_by_id(queue=queue)["queue"] == queue_before
    finally:
        second.stop()
