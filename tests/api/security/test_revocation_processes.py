"""Hole 5 of issue 13, across processes: a token revoked on the API server stops working
in another process sharing the deployment's Redis (here the standalone file server;
several API processes use the same records, bll/auth/revocation.py)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import requests
from support.client import ApiClient
from support.files import free_port
from support.server import ServerProcess, fileserver, wait_files_ready


@pytest.mark.redis
def test_a_logout_on_the_api_reaches_the_standalone_file_server(redis_address: tuple[str, int], tmp_path: Path) -> None:
    host, port = redis_address
    env = {
        "STATIONMASTER__hosts__redis__apiserver__host": host,
        "STATIONMASTER__hosts__redis__apiserver__port": str(port),
        "STATIONMASTER__hosts__redis__workers__host": host,
        "STATIONMASTER__hosts__redis__workers__port": str(port),
    }
    data = tmp_path / "data"
    with ServerProcess(data, env=env) as api_server:
        key, secret = api_server.admin_credentials()
        session = ApiClient(api_server.url, key=key, secret=secret).login()
        headers = {"Authorization": f"Bearer {session.token}"}
        with fileserver(data, tmp_path / "files.log", free_port(), extra_env=env) as proc:
            url = wait_files_ready(proc, tmp_path / "files.log")
            assert requests.get(f"{url}/", headers=headers, timeout=10).status_code == 200
            assert session.call("auth.logout").status == 200
            deadline = time.monotonic() + 10  # revocation_recheck_sec is 1 s
            status = 200
            while status == 200 and time.monotonic() < deadline:
                status = requests.get(f"{url}/", headers=headers, timeout=10).status_code
                time.sleep(0.2)
            assert status == 401
