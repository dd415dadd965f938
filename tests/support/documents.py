"""The document repositories under test on both in-process stores: plain mongomock and the
embedded store (litemongo in a temporary directory). Import ``documents_fixture`` into a
test module to parametrize its tests (argument ``documents``) over both."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import mongoengine
import mongomock
import pytest

from stationmaster.database.embedded import client_class
from stationmaster.database.model.base import AUTH_DB, BACKEND_DB
from stationmaster.database.repositories import Documents
from stationmaster.database.stores import connect_documents_with


@pytest.fixture(name="documents", params=["mongomock", "litemongo"])
def documents_fixture(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Documents]:
    if request.param == "mongomock":
        connect_documents_with(mongomock.MongoClient)
    else:
        connect_documents_with(client_class(tmp_path / "docs"))
    yield Documents()
    for alias in (BACKEND_DB, AUTH_DB):
        mongoengine.disconnect(alias)
