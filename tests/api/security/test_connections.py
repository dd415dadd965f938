"""Hole 3 of issue 13: about 100 idle connections took the API down, unauthenticated
(waitress's default connection_limit of 100; 110 half-open connections and debug.ping
timed out). The limits are now configured (apiserver.http, fileserver.http)."""

from __future__ import annotations

import contextlib
import resource
import socket
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
import requests
from support.client import ApiClient
from support.files import free_port
from support.server import ServerProcess, write_config

IDLE = 1000


@contextlib.contextmanager
def idle_connections(url: str, count: int) -> Iterator[list[socket.socket]]:
    """``count`` connections that send nothing (as a half-open attacker's would)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < count + 200:
        if hard != resource.RLIM_INFINITY and hard < count + 200:
            pytest.skip(f"the open files limit ({hard}) is too low for {count} connections")
        resource.setrlimit(resource.RLIMIT_NOFILE, (count + 200, hard))
    parts = urlsplit(url)
    sockets: list[socket.socket] = []
    try:
        for _ in range(count):
            sock = socket.create_connection((parts.hostname, parts.port), timeout=10)
            sockets.append(sock)
        yield sockets
    finally:
        for sock in sockets:
            sock.close()


def test_a_thousand_idle_connections_leave_the_api_answering(server: ServerProcess, root_api: ApiClient) -> None:
    """Before: debug.ping timed out from about 100 idle connections on."""
    with idle_connections(server.url, IDLE):
        assert requests.get(f"{server.url}/debug.ping", timeout=30).status_code == 200
        assert root_api.call("users.get_current_user").status == 200


@pytest.fixture(scope="module")
def short_timeouts(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """A server (with its file server and web app) whose idle connections are closed after 1 s."""
    base = tmp_path_factory.mktemp("connections")
    config = write_config(
        base / "config",
        {
            "apiserver.conf": "http { channel_timeout: 1, cleanup_interval: 0.5 }",
            "fileserver.conf": "http { channel_timeout: 1 }",
        },
    )
    with ServerProcess(base / "data", config_dir=config, files_port=free_port(), web_port=free_port()) as proc:
        yield proc


def test_a_thousand_idle_connections_leave_the_file_server_answering(short_timeouts: ServerProcess) -> None:
    with idle_connections(short_timeouts.files_url, IDLE):
        resp = requests.get(short_timeouts.files_url + "/", timeout=30)
        assert (resp.status_code, resp.text) == (200, "OK")


def test_a_thousand_idle_connections_leave_the_web_app_answering(short_timeouts: ServerProcess) -> None:
    """The web app's server (waitress too) had the same default limit of 100."""
    with idle_connections(short_timeouts.web_url, IDLE):
        assert requests.get(short_timeouts.web_url + "/", timeout=30).status_code == 200


@pytest.mark.parametrize("which", ["api", "files", "web"])
def test_idle_connections_are_closed_after_channel_timeout(short_timeouts: ServerProcess, which: str) -> None:
    url = {"api": short_timeouts.url, "files": short_timeouts.files_url, "web": short_timeouts.web_url}[which]
    with idle_connections(url, 3) as sockets:
        for sock in sockets:
            sock.settimeout(15)
            assert sock.recv(1) == b""  # closed by the server, well before the 15 s
