"""Reading an embedded data directory: its units (one per document collection, event
index and statistics family of a company), their counts, their items page by page, and
random samples for the verification.

Only reads: the documents through litemongo, the events and statistics through
read-only SQLite connections. An item is ``(index, id, source)``: the Elasticsearch index
(None for a document) and id it goes to, and the document itself (a JSON text when the
store keeps it as such, so that it is never decoded and encoded again on the way).
"""

from __future__ import annotations

import json
import random
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..events.base import point_id
from ..events.es_templates import event_index_name
from ..events.factory import SQLITE_FILE
from ..events.sqlite_scalars import SCALAR
from ..events.sqlite_scalars import document as narrow_document
from ..events.stats_base import SERVING_FIELDS, month_suffix
from ..events.stats_sqlite import FILE_NAME as STATS_FILE

DOCUMENT_DBS = ("backend", "auth")
DOCUMENTS, EVENTS, STATS = "documents", "events", "stats"
# statistics tables → their ES index prefix (stats_es): the tables are named like them
STATS_TABLES = ("worker_stats", "queue_metrics", "serving_stats")

Item = tuple[str | None, str, Any]  # (ES index or None, id, document or its JSON text)
Key = list[Any]  # where a page ends; the next page starts after it (JSON: kept in the marker)


@dataclass
class Unit:
    """What is copied, counted and verified as one: a collection, an event index, or a
    company's statistics of one kind (their monthly indices)."""

    name: str
    kind: str
    docs: int
    db: str = ""  # documents: "backend" or "auth"
    collection: str = ""
    company: str = ""  # events and statistics
    event_type: str = ""
    table: str = ""  # statistics


class SourceError(Exception):
    """The data directory is not an embedded installation's."""


class EmbeddedSource:
    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        documents = data_dir / "documents"
        if not documents.is_dir():
            raise SourceError(f"{data_dir} holds no embedded documents ({documents} is missing)")
        from ..embedded import client_class  # litemongo: only the embedded side needs it

        self._client = client_class(documents)()
        self._events = _read_only(data_dir / SQLITE_FILE)
        self._stats = _read_only(data_dir / STATS_FILE)

    def close(self) -> None:
        for conn in (self._events, self._stats):
            if conn is not None:
                conn.close()
        self._client.close()

    # --- units -----------------------------------------------------------------------

    def units(self) -> list[Unit]:
        return self._document_units() + self._event_units() + self._stats_units()

    def _document_units(self) -> list[Unit]:
        units = []
        for db in DOCUMENT_DBS:
            for name in sorted(self._client[db].list_collection_names()):
                count = self._client[db][name].count_documents({})
                units.append(Unit(f"{db}.{name}", DOCUMENTS, count, db=db, collection=name))
        return units

    def _event_units(self) -> list[Unit]:
        if self._events is None:
            return []
        counts: dict[tuple[str, str], int] = {}
        for company, kind, n in self._events.execute("SELECT company, type, count(*) FROM events GROUP BY 1, 2"):
            counts[(company, kind)] = n
        narrow = "SELECT s.company, count(*) FROM scalars p JOIN scalar_series s ON s.sid = p.sid GROUP BY 1"
        for company, n in self._events.execute(narrow):
            counts[(company, SCALAR)] = counts.get((company, SCALAR), 0) + n
        return [
            Unit(event_index_name(company, kind), EVENTS, n, company=company, event_type=kind)
            for (company, kind), n in sorted(counts.items())
        ]

    def _stats_units(self) -> list[Unit]:
        if self._stats is None:
            return []
        units = []
        for table in STATS_TABLES:
            for company, n in self._stats.execute(f"SELECT company, count(*) FROM {table} GROUP BY 1 ORDER BY 1"):
                units.append(Unit(stats_pattern(table, company), STATS, n, company=company, table=table))
        return units

    # --- pages -----------------------------------------------------------------------

    def documents(self, unit: Unit) -> list[dict[str, Any]]:
        """Every document of a collection (collections are small next to the events)."""
        return list(self._client[unit.db][unit.collection].find({}))

    def pages(self, unit: Unit, after: Key | None, size: int) -> Iterator[tuple[Key, list[Item]]]:
        """The items of an event or statistics unit after ``after``, ``size`` at a time,
        each page with the key it ends at."""
        if unit.kind == EVENTS:
            yield from self._event_pages(unit, after or [0, ""], size)
        else:
            yield from self._stats_pages(unit, after or [0], size)

    def _event_pages(self, unit: Unit, after: Key, size: int) -> Iterator[tuple[Key, list[Item]]]:
        assert self._events is not None
        index = event_index_name(unit.company, unit.event_type)
        if after[0] == 0:  # the general table, by id
            last = after[1]
            while True:
                rows = self._events.execute(
                    "SELECT id, doc FROM events WHERE company = ? AND type = ? AND id > ? ORDER BY id LIMIT ?",
                    (unit.company, unit.event_type, last, size),
                ).fetchall()
                if not rows:
                    break
                last = rows[-1][0]
                yield [0, last], [(index, r[0], r[1]) for r in rows]
            after = [1, 0, None]
        if unit.event_type == SCALAR and after[0] == 1:
            yield from self._narrow_pages(unit, index, after, size)

    def _narrow_pages(self, unit: Unit, index: str, after: Key, size: int) -> Iterator[tuple[Key, list[Item]]]:
        """The narrow scalar rows, series by series (sid order), by iteration."""
        assert self._events is not None
        series = self._events.execute(
            "SELECT sid, task, metric, variant FROM scalar_series WHERE company = ? AND sid >= ? ORDER BY sid",
            (unit.company, after[1]),
        ).fetchall()
        page: list[Item] = []
        for sid, task, metric, variant in series:
            start = after[2] if sid == after[1] and after[2] is not None else None
            sql = "SELECT iter, timestamp, wtime, raw, worker FROM scalars WHERE sid = ?"
            params: list[Any] = [sid]
            if start is not None:
                sql += " AND iter > ?"
                params.append(start)
            for row in self._events.execute(sql + " ORDER BY iter", params):
                doc = narrow_document(task, metric, variant, row)
                page.append((index, point_id(doc), doc))
                if len(page) >= size:
                    yield [1, sid, row[0]], page
                    page = []
        if page:
            yield [2, 0, None], page

    def _stats_pages(self, unit: Unit, after: Key, size: int) -> Iterator[tuple[Key, list[Item]]]:
        assert self._stats is not None
        last = after[0]
        columns = _STATS_COLUMNS[unit.table]
        while True:
            rows = self._stats.execute(
                f"SELECT rowid, {', '.join(columns)} FROM {unit.table} WHERE company = ? AND rowid > ? "
                "ORDER BY rowid LIMIT ?",
                (unit.company, last, size),
            ).fetchall()
            if not rows:
                return
            last = rows[-1][0]
            yield [last], [stats_item(unit, row[0], dict(zip(columns, row[1:], strict=True))) for row in rows]

    # --- samples ---------------------------------------------------------------------

    def sample(self, unit: Unit, size: int, seed: int) -> list[Item]:
        """Up to ``size`` items of the unit, chosen at random (repeatably by ``seed``)."""
        rng = random.Random(f"{seed}:{unit.name}")
        if unit.kind == DOCUMENTS:
            docs = self.documents(unit)
            return [(None, d["_id"], d) for d in rng.sample(docs, min(size, len(docs)))]
        if unit.kind == EVENTS:
            return self._sample_events(unit, size, rng)
        assert self._stats is not None
        columns = _STATS_COLUMNS[unit.table]
        rowids = [
            r[0] for r in self._stats.execute(f"SELECT rowid FROM {unit.table} WHERE company = ?", (unit.company,))
        ]
        chosen = rng.sample(rowids, min(size, len(rowids)))
        items = []
        for rowid in chosen:
            row = self._stats.execute(
                f"SELECT {', '.join(columns)} FROM {unit.table} WHERE rowid = ?", (rowid,)
            ).fetchone()
            items.append(stats_item(unit, rowid, dict(zip(columns, row, strict=True))))
        return items

    def _sample_events(self, unit: Unit, size: int, rng: random.Random) -> list[Item]:
        assert self._events is not None
        index = event_index_name(unit.company, unit.event_type)
        wide = [
            r[0]
            for r in self._events.execute(
                "SELECT rowid FROM events WHERE company = ? AND type = ?", (unit.company, unit.event_type)
            )
        ]
        series: list[tuple[int, str, str, str, int]] = []
        if unit.event_type == SCALAR:
            series = self._events.execute(
                "SELECT s.sid, s.task, s.metric, s.variant, count(*) FROM scalar_series s "
                "JOIN scalars p ON p.sid = s.sid WHERE s.company = ? GROUP BY s.sid",
                (unit.company,),
            ).fetchall()
        narrow = sum(s[4] for s in series)
        positions = sorted(rng.sample(range(len(wide) + narrow), min(size, len(wide) + narrow)))
        items: list[Item] = []
        for pos in positions:
            if pos < len(wide):
                row = self._events.execute("SELECT id, doc FROM events WHERE rowid = ?", (wide[pos],)).fetchone()
                items.append((index, row[0], json.loads(row[1])))
                continue
            pos -= len(wide)
            for sid, task, metric, variant, n in series:
                if pos < n:
                    row = self._events.execute(
                        "SELECT iter, timestamp, wtime, raw, worker FROM scalars WHERE sid = ? "
                        "ORDER BY iter LIMIT 1 OFFSET ?",
                        (sid, pos),
                    ).fetchone()
                    doc = narrow_document(task, metric, variant, row)
                    items.append((index, point_id(doc), doc))
                    break
                pos -= n
        return items


def _read_only(path: Path) -> sqlite3.Connection | None:
    if not path.exists():
        return None
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, check_same_thread=False)
    conn.execute("PRAGMA query_only = 1")
    return conn


_STATS_COLUMNS = {
    "worker_stats": ("timestamp", "worker", "category", "metric", "variant", "value", "task", "company_name"),
    "queue_metrics": ("timestamp", "queue", "average_waiting_time", "queue_length"),
    "serving_stats": ("timestamp", "container_id", "endpoint_url", *SERVING_FIELDS),
}


def stats_pattern(table: str, company: str) -> str:
    """The ES indices of a company's statistics of one kind (``stats_es``)."""
    return f"{table}_{company.lower()}_*"


def stats_item(unit: Unit, rowid: int, row: dict[str, Any]) -> Item:
    """A statistics row as the ES statistics store writes it, into the index of its
    month; the id is the row's (the ES store lets ES choose; a copy needs a stable one)."""
    month = month_suffix(datetime.fromtimestamp(row["timestamp"] / 1000, UTC))
    index = f"{unit.table}_{unit.company.lower()}_{month}"
    if unit.table == "worker_stats":
        doc = {k: row[k] for k in _STATS_COLUMNS["worker_stats"][:-1]}
        doc["company"] = row["company_name"]
    elif unit.table == "serving_stats":
        doc = {"timestamp": row["timestamp"], "company_id": unit.company}
        doc.update({k: v for k, v in row.items() if k != "timestamp" and (v is not None or k == "endpoint_url")})
    else:
        doc = dict(row)
    return index, f"sm-{rowid}", doc
