"""Shared test set-up: makes ``tests/support`` importable; real Redis / Elasticsearch fixtures."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))


def pytest_configure(config: pytest.Config) -> None:
    """The servers and loaders of this run keep their parsed HOCON (config.parsed) in a
    folder of the run's own, not in the user's ~/.cache: tests leave nothing in $HOME."""
    os.environ["STATIONMASTER_CACHE_DIR"] = tempfile.mkdtemp(prefix="stationmaster-test-cache-")


def pytest_unconfigure(config: pytest.Config) -> None:
    shutil.rmtree(os.environ.pop("STATIONMASTER_CACHE_DIR", ""), ignore_errors=True)


@pytest.fixture(scope="session")
def redis_address() -> Iterator[tuple[str, int]]:
    """(host, port) of a real redis-server for this session."""
    from support.services import redis_server

    with redis_server() as address:
        yield address


@pytest.fixture(scope="session")
def es_url() -> Iterator[str]:
    """URL of a real Elasticsearch 7.17 node for this session."""
    from support.services import elasticsearch_node

    with elasticsearch_node() as url:
        yield url


@pytest.fixture(scope="session")
def ferretdb_url() -> Iterator[str]:
    """MongoDB URL of a real FerretDB 1.24 (MongoDB wire) on SQLite for this session."""
    from support.services import ferretdb_server

    with ferretdb_server() as url:
        yield url


@pytest.fixture(scope="session")
def team_stores(ferretdb_url: str, es_url: str, redis_address: tuple[str, int]) -> Iterator[object]:
    """The team configuration's services for this session: FerretDB (MongoDB wire) on
    SQLite, the Elasticsearch 7.17 node and redis-server (``support.services.TeamStores``)."""
    from support.services import TeamStores

    yield TeamStores(ferretdb_url, es_url, redis_address)
