"""Shared test set-up: makes ``tests/support`` importable; real Redis / Elasticsearch fixtures."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))


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
