"""Real back-end services for tests: a redis-server and an Elasticsearch 7.17 node,
each started once per session on a free loopback port and stopped at the end.

Locally a missing service skips the tests that need it; with ``STATIONMASTER_CI=1``
(CI) it is a failure instead, so CI can never pass by skipping them.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

ES_DIR = Path(__file__).resolve().parents[1] / "services" / "elasticsearch"


def in_ci() -> bool:
    return os.environ.get("STATIONMASTER_CI") == "1"


def unavailable(reason: str) -> None:
    """Skip locally, fail in CI."""
    if in_ci():
        pytest.fail(f"required test service unavailable in CI: {reason}")
    pytest.skip(reason)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def redis_server() -> Iterator[tuple[str, int]]:
    """A throw-away ``redis-server`` (no persistence) on a free loopback port."""
    binary = shutil.which("redis-server")
    if not binary:
        unavailable("redis-server is not installed")
    port = free_port()
    workdir = tempfile.mkdtemp(prefix="sm-redis-")
    proc = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", workdir],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                    s.sendall(b"PING\r\n")
                    if s.recv(16).startswith(b"+PONG"):
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                unavailable(f"redis-server did not start on port {port}")
            time.sleep(0.05)
        yield "127.0.0.1", port
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        shutil.rmtree(workdir, ignore_errors=True)


@contextmanager
def elasticsearch_node(settings: dict[str, str] | None = None) -> Iterator[str]:
    """A real Elasticsearch 7.17 node (tests/services/elasticsearch) with extra node
    ``settings``; yields its URL."""
    if not (shutil.which("java") or os.environ.get("JAVA_HOME")):
        unavailable("java is not installed")
    sys.path.insert(0, str(ES_DIR))
    try:
        from es_node import EsNode, build  # type: ignore[import-not-found]
    finally:
        sys.path.remove(str(ES_DIR))
    try:
        build()
    except Exception as exc:  # the Maven build needs Maven Central
        unavailable(f"could not build the Elasticsearch node: {exc}")
    node = EsNode(heap="512m")
    try:
        url = node.start(settings=settings, timeout=180)
    except Exception as exc:
        unavailable(f"Elasticsearch node did not start: {exc}")
    try:
        yield url
    finally:
        node.stop()


FERRETDB_DIR = Path(__file__).resolve().parents[1] / "services" / "ferretdb"


@contextmanager
def ferretdb_server() -> Iterator[str]:
    """FerretDB 1.24.2 (tests/services/ferretdb) on SQLite in a temporary folder, on a
    free loopback port; yields its MongoDB URL (no database in it)."""
    if not shutil.which("go"):
        unavailable("go is not installed (FerretDB is built from the Go module proxy)")
    sys.path.insert(0, str(FERRETDB_DIR))
    try:
        from ferretdb import FerretDB  # type: ignore[import-not-found]
    finally:
        sys.path.remove(str(FERRETDB_DIR))
    server = FerretDB()
    try:
        url = server.start()
    except Exception as exc:
        server.stop()
        unavailable(f"FerretDB could not be built or started: {exc}")
    try:
        yield url
    finally:
        server.stop()


@dataclass(frozen=True)
class TeamStores:
    """The team configuration's services: FerretDB (MongoDB wire), Elasticsearch 7.17 and
    redis-server, shared by the servers of one test session."""

    mongo_url: str
    es_url: str
    redis: tuple[str, int]

    def hosts_conf(self, name: str, redis_db: int) -> str:
        """``hosts.conf`` of one server: its own MongoDB databases (``<name>_backend``,
        ``<name>_auth``) and Redis databases (``redis_db``, ``redis_db + 1``); Elasticsearch
        is shared (indices are per company)."""
        host, port = self.redis
        es_host, es_port = self.es_url.rsplit("/", 1)[-1].split(":")
        es = f'[{{host: "{es_host}", port: {es_port}}}]'
        return f"""
mongo {{
    backend {{ host: "{self.mongo_url}{name}_backend" }}
    auth {{ host: "{self.mongo_url}{name}_auth" }}
}}
elastic {{
    events {{ hosts: {es} }}
    workers {{ hosts: {es} }}
}}
redis {{
    apiserver {{ host: "{host}", port: {port}, db: {redis_db} }}
    workers {{ host: "{host}", port: {port}, db: {redis_db + 1} }}
}}
"""

    def config_dir(self, directory: Path, name: str, redis_db: int) -> Path:
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "hosts.conf").write_text(self.hosts_conf(name, redis_db))
        return directory
