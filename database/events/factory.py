"""Choosing the event store and the statistics store from configuration."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ...config import Config
from .base import EventStore
from .stats_base import StatsStore

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


def open_stats_store(config: Config, data_dir: Path) -> StatsStore:
    """Elasticsearch when ``hosts.elastic.workers.hosts`` lists hosts (``{host, port}``
    entries, as the reference's hosts.conf, or URLs), else the SQLite file
    ``statistics.sqlite`` in the data directory."""
    hosts = [h if isinstance(h, str) else dict(h) for h in config.get("hosts.elastic.workers.hosts") or []]
    if not hosts:
        from .stats_sqlite import FILE_NAME, SqliteStatsStore

        return SqliteStatsStore(data_dir / FILE_NAME)
    from .stats_es import EsStatsStore

    args = config.get("hosts.elastic.workers.args") or {}
    return EsStatsStore.connect(hosts, dict(args))
