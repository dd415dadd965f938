"""The team configuration's start-up rules (the stores themselves: every test of this
directory runs on them too, see conftest.py)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from support.server import command_env
from support.services import free_port


def test_serve_with_mongodb_and_no_redis_refuses_to_start_with_one_line(tmp_path: Path) -> None:
    # nothing listens on the MongoDB port: the refusal comes before any connection
    env = command_env() | {
        "CLEARML_MONGODB_SERVICE_HOST": "127.0.0.1",
        "CLEARML_MONGODB_SERVICE_PORT": str(free_port()),
    }
    argv = ["serve", "--data-dir", str(tmp_path / "data"), "--port", "0", "--files-port", "0", "--web-port", "0"]
    res = subprocess.run(
        [sys.executable, "-m", "stationmaster.server.cli", *argv], env=env, capture_output=True, text=True, timeout=120
    )
    assert res.returncode == 1, res.stderr
    lines = [line for line in res.stderr.splitlines() if line.startswith("stationmaster:")]
    assert lines == [
        "stationmaster: Redis is required with MongoDB: set hosts.redis.apiserver.host (or CLEARML_REDIS_SERVICE_HOST)"
    ], res.stderr
    assert "Traceback" not in res.stderr and "EVALSHA" not in res.stderr
    assert "API on" not in res.stdout + res.stderr


def test_serve_workers_on_the_embedded_store_refuses_to_start(tmp_path: Path) -> None:
    argv = ["serve", "--data-dir", str(tmp_path / "data"), "--port", "0", "--files-port", "0", "--web-port", "0"]
    res = subprocess.run(
        [sys.executable, "-m", "stationmaster.server.cli", *argv, "--workers", "2"],
        env=command_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert res.returncode == 1, res.stderr
    assert "stationmaster: --workers needs MongoDB" in res.stderr, res.stderr
    assert "API on" not in res.stdout + res.stderr
