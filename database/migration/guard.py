"""The server's start-up guard against ES 5-era event data that was not migrated.

Only when an Elasticsearch host is configured (events or workers cluster) (the embedded SQLite event store
never held ES 5 data). ``serve`` refuses to start, with a message naming the fix, when:

1. the configured cluster is Elasticsearch 5 or 6 — a reference server ≤ 0.15 cluster;
2. a ``migrate-es`` run on that cluster did not finish: an index in the marker index is
   not ``verified``;
3. the document database was last written by a reference server older than 0.16 (its
   ``versions`` collection) while the cluster has no event index and no migration record:
   the events were left behind in the old cluster.

Serving in those states would show every experiment without its metrics and logs.
Disable with ``apiserver.elastic.upgrade_monitoring.v16_migration_verification: false``.
An unreachable cluster is not this guard's business (the event store reports it).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .http import EsHttp

log = logging.getLogger(__name__)
_GUIDE = "the guide: stationmaster migrate-es --guide"


class MigrationRequired(RuntimeError):
    """The events must be migrated (or the migration finished) before serving."""


def cluster_urls(config: Any) -> list[str]:
    """The first configured host of the events and of the workers cluster, as URLs
    (empty: no Elasticsearch configured)."""
    urls = []
    for cluster in ("events", "workers"):
        hosts = config.get(f"hosts.elastic.{cluster}.hosts", None) or []
        if hosts:
            url = _url(hosts[0])
            if url not in urls:
                urls.append(url)
    return urls


def _url(host: Any) -> str:
    if isinstance(host, str):
        return host if "://" in host else f"http://{host}"
    get = host.get
    return f"{get('scheme', 'http')}://{get('host', '127.0.0.1')}:{get('port', 9200)}"


def check_before_serving(config: Any) -> None:
    """The start-up hook (documents already connected): raise ``MigrationRequired`` in
    the three cases of the module docstring."""
    if not config.get("apiserver.elastic.upgrade_monitoring.v16_migration_verification"):
        return
    urls = cluster_urls(config)
    if not urls:
        return
    from .http import EsError, EsHttp  # here: a server without Elasticsearch needs no HTTP client

    for url in urls:
        es = EsHttp(url, timeout=10, retries=0)
        try:
            _check(es, url, _backend_db)
        except EsError as ex:
            log.warning("migration check skipped: %s", ex)
        finally:
            es.close()


def _backend_db() -> Any:
    from mongoengine.connection import get_db

    from ..model.base import BACKEND_DB

    return get_db(BACKEND_DB)


def _check(es: EsHttp, url: str, backend_db: Callable[[], Any]) -> None:
    from .state import VERIFIED, read_records

    major = es.major
    if 0 < major < 7:
        version = ".".join(map(str, es.version()))
        raise MigrationRequired(
            f"the events host {url} runs Elasticsearch {version}: its event data is from a reference "
            f"server <= 0.15 and was not migrated. Run `stationmaster migrate-es --source {url} "
            f"--dest <Elasticsearch 7 URL>`, then point hosts.elastic at the Elasticsearch 7 cluster ({_GUIDE})"
        )
    records = read_records(es)
    unfinished = sorted(name for name, rec in records.items() if rec.get("status") != VERIFIED)
    if unfinished:
        shown = ", ".join(unfinished[:5]) + (f" and {len(unfinished) - 5} more" if len(unfinished) > 5 else "")
        raise MigrationRequired(
            f"the event migration into {url} is not finished: {len(unfinished)} indices not verified ({shown}). "
            f"Run `stationmaster migrate-es --source <Elasticsearch 5 URL> --dest {url} --resume` ({_GUIDE})"
        )
    if records or _has_event_indices(es):
        return
    legacy_server_version = legacy_version(backend_db())
    if legacy_server_version:
        raise MigrationRequired(
            f"the document database was written by a reference server {legacy_server_version} (events in "
            f"Elasticsearch 5), but {url} holds no events: run `stationmaster migrate-es --source "
            f"<Elasticsearch 5 URL> --dest {url}` first ({_GUIDE}), or set "
            "apiserver.elastic.upgrade_monitoring.v16_migration_verification to false to start without them"
        )


def _has_event_indices(es: EsHttp) -> bool:
    from .source import FAMILIES

    rows = es.get("/_cat/indices/" + ",".join(FAMILIES), params={"format": "json", "h": "index"}) or []
    return bool(rows)


def legacy_version(db: Any) -> str | None:
    """The highest version in a reference server's ``versions`` collection when it is
    below 0.16.0 (None otherwise, or when there is no such collection)."""
    found = []
    for doc in db["versions"].find({}, {"num": 1}):
        parts = [int(p) for p in str(doc.get("num", "")).split(".") if p.isdigit()]
        if parts:
            found.append(tuple(parts))
    if not found:
        return None
    newest = max(found)
    return ".".join(map(str, newest)) if newest < (0, 16) else None
