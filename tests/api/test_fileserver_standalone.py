"""``stationmaster fileserver``: the file server alone, checking the API server's tokens
with the secret kept in the data directory's database."""

from __future__ import annotations

import signal
from pathlib import Path

import requests
from support.client import ApiClient
from support.files import Part, free_port, upload
from support.server import ServerProcess, fileserver, wait_files_ready


def test_standalone_file_server_accepts_the_api_servers_tokens(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with ServerProcess(data) as api_server:
        key, secret = api_server.admin_credentials()
        token = ApiClient(api_server.url, key=key, secret=secret).login().token
    assert token
    with fileserver(data, tmp_path / "files.log", free_port()) as proc:
        url = wait_files_ready(proc, tmp_path / "files.log")
        assert upload(url, [Part("/alone/x.txt", b"standalone")], token).status == 200
        assert (data / "files" / "alone" / "x.txt").read_bytes() == b"standalone"
        headers = {"Authorization": f"Bearer {token}"}
        assert requests.get(f"{url}/alone/x.txt", headers=headers, timeout=10).content == b"standalone"
        assert requests.get(f"{url}/alone/x.txt", timeout=10).status_code == 401
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(15) == 0


def test_standalone_file_server_without_a_secret_refuses_to_start(tmp_path: Path) -> None:
    log = tmp_path / "files.log"
    with fileserver(tmp_path / "fresh", log, free_port()) as proc:
        assert proc.wait(60) == 1
    assert "no token secret" in log.read_text()
