"""The statistics store under test: the SQLite store in a temporary directory, or the
Elasticsearch store on the session's real ES node. Import ``stats_store_fixture`` into a test
module to parametrize its tests (argument ``stats_store``) over both."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture(name="stats_store", params=["sqlite", pytest.param("es", marks=pytest.mark.es)])
def stats_store_fixture(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[object]:
    if request.param == "sqlite":
        from stationmaster.database.events.stats_sqlite import SqliteStatsStore

        store: object = SqliteStatsStore(tmp_path / "statistics.sqlite")
    else:
        from stationmaster.database.events.stats_es import EsStatsStore

        store = EsStatsStore.connect([request.getfixturevalue("es_url")], {"timeout": 30})
    try:
        yield store
    finally:
        store.close()  # type: ignore[attr-defined]


def new_company() -> str:
    """A company id no other test uses (ES indices outlive a test)."""
    return uuid.uuid4().hex
