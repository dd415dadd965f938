"""`stationmaster backup` of a running embedded server and `stationmaster restore`: a
server started on the restored directory gives the SDK back everything it stored."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import test_tracking as tracking
from e2e_flows import LOCAL_COPIES, without_copies
from e2e_harness import E2E
from support.server import ServerProcess, command_env

# the local copies the SDK downloads: compared by content, their paths differ per run


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "stationmaster.server.cli", *args],
        env=command_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_restored_backup_serves_what_the_sdk_stored(root: Path) -> None:
    first = E2E(root / "first").start()
    try:
        spec = tracking.make_spec(first, "clearml", first.workdir("inputs"))
        made = first.run("clearml", "track.py", spec, timeout=240).result
        archive = root / "backup.tar.zst"
        taken = cli("backup", "--data-dir", str(first.server.data_dir), "--to", str(archive))  # server running
        assert taken.returncode == 0, taken.stdout + taken.stderr
        before = first.run("clearml", "readback.py", {**spec, **made}, timeout=180).result
        tasks_before = first.api.tasks.get_all_ex(id=[made["task_id"]])["tasks"]
    finally:
        first.stop()

    restored = root / "restored" / "data"
    done = cli("restore", "--from", str(archive), "--data-dir", str(restored))
    assert done.returncode == 0, done.stdout + done.stderr
    again = cli("restore", "--from", str(archive), "--data-dir", str(restored))
    assert again.returncode == 2 and "not empty" in again.stderr

    # the same file-server port: the stored artifact and image URLs name it
    second = E2E(root / "second")
    second.files_port = first.files_port
    second.server = ServerProcess(restored, files_port=first.files_port, web_port=second.web_port)
    second.start()
    try:
        assert (second.key, second.secret) == (first.key, first.secret)
        after = second.run("clearml", "readback.py", {**spec, **made}, timeout=180).result
        assert without_copies(after) == without_copies(before)
        for key in LOCAL_COPIES:
            assert Path(after[key]).read_bytes() == Path(before[key]).read_bytes(), key
        assert second.api.tasks.get_all_ex(id=[made["task_id"]])["tasks"] == tasks_before
    finally:
        second.stop()
