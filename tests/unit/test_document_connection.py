"""Connecting the document databases names every client option mongoengine would
otherwise warn about (uuidRepresentation), for the embedded store and for mongomock."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path

import mongoengine
import mongomock
import pytest

from stationmaster.config import Config
from stationmaster.database.model.base import AUTH_DB, BACKEND_DB
from stationmaster.database.stores import connect_documents, connect_documents_with


@pytest.fixture(autouse=True)
def _disconnect() -> Iterator[None]:
    yield
    for alias in (BACKEND_DB, AUTH_DB):
        mongoengine.disconnect(alias)


@pytest.mark.parametrize("store", ["embedded", "mongomock"])
def test_connecting_warns_about_nothing(store: str, tmp_path: Path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        if store == "embedded":
            assert connect_documents(Config({}), tmp_path) is True
        else:
            connect_documents_with(mongomock.MongoClient)
        db = mongoengine.get_db(BACKEND_DB)
        db["probe"].insert_one({"_id": "p", "n": 1})
    assert db["probe"].find_one({"_id": "p"}) == {"_id": "p", "n": 1}
