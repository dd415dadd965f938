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
