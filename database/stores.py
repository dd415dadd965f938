"""Opening the stores the configuration names: documents, Redis, events.

Embedded default (no hosts configured): litemongo files, fakeredis in process and the
SQLite event store, all under the data directory. Production: MongoDB, Redis and
Elasticsearch 7 from ``hosts.conf``. Nothing here runs at import time.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import mongoengine
from redis import Redis

from ..config import Config, ConfigError
from . import document_locks
from .embedded import DataDirLock, client_class
from .events.base import EventStore
from .events.factory import open_event_store, open_stats_store
from .events.stats_base import StatsStore
from .migration.guard import check_before_serving
from .model import document_classes
from .model.base import AUTH_DB, BACKEND_DB
from .repositories import Documents

log = logging.getLogger(__name__)

# Every document client, MongoDB or embedded: naive UTC datetimes as the reference stores
# them, and UUIDs (none are stored) in the standard binary form of every MongoDB driver —
# named, since mongoengine warns when the representation is left to its legacy default.
CLIENT_OPTIONS: dict[str, Any] = {"tz_aware": False, "uuidRepresentation": "standard"}


@dataclass
class Stores:
    """Every store a running server uses, opened once by ``open_stores``."""

    data_dir: Path
    embedded_documents: bool
    redis: Redis
    workers_redis: Redis
    _lock: DataDirLock | None = field(default=None, repr=False)
    events: EventStore | None = None  # task events (SQLite or Elasticsearch)
    stats: StatsStore | None = None  # worker statistics and queue metrics
    # the documents, entity by entity, over the connections connect_documents registered
    documents: Documents = field(default_factory=Documents)

    def close(self) -> None:
        if self.events is not None:
            self.events.close()
            self.events = None
        if self.stats is not None:
            self.stats.close()
            self.stats = None
        for alias in (BACKEND_DB, AUTH_DB):
            mongoengine.disconnect(alias)
        if not self.embedded_documents:
            document_locks.use(None)
        if self._lock:
            self._lock.release()
            self._lock = None


def open_stores(config: Config, data_dir: Path, *, lock_data_dir: bool = True) -> Stores:
    """Connect every store; the embedded document store locks the data directory."""
    data_dir.mkdir(parents=True, exist_ok=True)
    embedded = connect_documents(config, data_dir)
    lock = None
    if embedded and lock_data_dir:
        lock = DataDirLock(data_dir)
        lock.acquire()
    try:
        if not embedded and not redis_configured(config):
            # fakeredis lives in one process; with shared documents several API processes
            # would each keep their own workers, locks and queue notifications.
            raise ConfigError(
                "Redis is required with MongoDB: set hosts.redis.apiserver.host (or CLEARML_REDIS_SERVICE_HOST)"
            )
        redis_main, redis_workers = open_redis(config)
    except Exception:
        if lock:
            lock.release()
        raise
    stores = Stores(data_dir, embedded, redis_main, redis_workers, lock)
    if not embedded:  # writes a document server may not make atomic (document_locks.py)
        document_locks.use(document_locks.DocumentLocks(redis_main))
        document_locks.lock_every_write(document_classes())
    try:
        if not embedded:  # a move-store run into these stores that did not finish
            from mongoengine.connection import get_db

            from .move.state import check_before_serving as check_move

            check_move(get_db(BACKEND_DB))
        # ES 5-era events not migrated: refuse before the event stores write templates.
        check_before_serving(config)
        stores.events = open_event_store(config, data_dir)
        stores.stats = open_stats_store(config, data_dir)
    except Exception:
        stores.close()
        raise
    return stores


def connect_documents(config: Config, data_dir: Path) -> bool:
    """Register the mongoengine aliases; returns True for the embedded store."""
    backend_uri = config.get("hosts.mongo.backend.host", None)
    auth_uri = config.get("hosts.mongo.auth.host", None)
    for alias in (BACKEND_DB, AUTH_DB):
        mongoengine.disconnect(alias)
    if not backend_uri and not auth_uri:
        root = data_dir / "documents"
        cls = client_class(root)
        mongoengine.connect("backend", alias=BACKEND_DB, mongo_client_class=cls, **CLIENT_OPTIONS)
        mongoengine.connect("auth", alias=AUTH_DB, mongo_client_class=cls, **CLIENT_OPTIONS)
        return True
    if not backend_uri or not auth_uri:
        raise ConfigError("hosts.mongo.backend.host and hosts.mongo.auth.host must both be set or both empty")
    mongoengine.connect(host=backend_uri, alias=BACKEND_DB, **CLIENT_OPTIONS)
    mongoengine.connect(host=auth_uri, alias=AUTH_DB, **CLIENT_OPTIONS)
    return False


def connect_documents_with(client_cls: Any) -> None:
    """Connect both aliases through a given client class (tests: mongomock)."""
    for alias, db in ((BACKEND_DB, "backend"), (AUTH_DB, "auth")):
        mongoengine.disconnect(alias)
        mongoengine.connect(db, alias=alias, mongo_client_class=client_cls, **CLIENT_OPTIONS)


def redis_configured(config: Config) -> bool:
    """True when a real Redis is configured (``hosts.redis.apiserver`` or ``.workers``)."""
    return bool(config.get("hosts.redis.apiserver").get("host") or config.get("hosts.redis.workers").get("host"))


def open_redis(config: Config) -> tuple[Redis, Redis]:
    """The ``apiserver`` and ``workers`` Redis databases (fakeredis when unset)."""
    main = config.get("hosts.redis.apiserver")
    workers = config.get("hosts.redis.workers")
    if not redis_configured(config):
        import fakeredis  # only the embedded mode needs it

        server = fakeredis.FakeServer()
        return (
            fakeredis.FakeRedis(server=server, db=main.get("db", 0)),
            fakeredis.FakeRedis(server=server, db=workers.get("db", 4)),
        )
    return _real_redis(main), _real_redis(workers if workers.get("host") else main)


def _real_redis(entry: Config) -> Redis:
    return Redis(
        host=entry["host"],
        port=int(entry.get("port", 6379)),
        db=int(entry.get("db", 0)),
        password=entry.get("password", None),
        socket_connect_timeout=10,
        health_check_interval=30,
    )
