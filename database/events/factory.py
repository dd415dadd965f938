"""Choosing the event store from configuration."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ...config import Config
from .base import EventStore

SQLITE_FILE = "events.sqlite"


def open_event_store(config: Config, data_dir: Path) -> EventStore:
    """Elasticsearch when ``hosts.elastic.events.hosts`` lists hosts, otherwise the
    SQLite store in ``<data_dir>/events.sqlite``."""
    hosts = list(config.get("hosts.elastic.events.hosts") or [])
    if not hosts:
        from .sqlite import SqliteEventStore

        return SqliteEventStore(data_dir / SQLITE_FILE)
    from .es import EsEventStore

    args: dict[str, Any] = dict(config.get("hosts.elastic.events.args") or {})
    return EsEventStore(hosts, **args)
