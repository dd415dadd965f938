"""The team stores a move writes to: MongoDB (the ``backend`` and ``auth`` databases of
``hosts.mongo``) and Elasticsearch 7 (``hosts.elastic.events`` and ``.workers``), the
latter through migrate-es's HTTP client and index set-up (database/migration)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pymongo
from pymongo.errors import PyMongoError

from ..events.es_templates import event_index_name
from ..migration.destination import finish_index, install_templates, prepare_index
from ..migration.http import EsError, EsHttp
from .source import DOCUMENTS, EVENTS, STATS_TABLES, Item, Unit, stats_pattern

MARKER = "stationmaster_move"  # the marker collection, in the backend database
_BULK_TRANSLOG = {"index": {"translog": {"durability": "async"}}}
_NORMAL_TRANSLOG = {"index": {"translog": {"durability": None}}}
_DUMPS = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode


class TargetError(Exception):
    """The target cannot be used (unreachable, not Elasticsearch 7, misconfigured)."""


@dataclass(frozen=True)
class TargetUrls:
    mongo_backend: str
    mongo_auth: str
    es_events: str
    es_workers: str


class TeamTarget:
    def __init__(self, urls: TargetUrls, client_options: dict[str, Any]) -> None:
        self.urls = urls
        try:
            self._mongo = {
                "backend": pymongo.MongoClient(urls.mongo_backend, serverSelectionTimeoutMS=10000, **client_options),
                "auth": pymongo.MongoClient(urls.mongo_auth, serverSelectionTimeoutMS=10000, **client_options),
            }
            self.dbs = {alias: client.get_default_database() for alias, client in self._mongo.items()}
        except (PyMongoError, ValueError) as ex:
            raise TargetError(f"MongoDB URL: {ex}") from ex
        self.events = EsHttp(urls.es_events)
        self.workers = self.events if urls.es_workers == urls.es_events else EsHttp(urls.es_workers)

    def close(self) -> None:
        for client in self._mongo.values():
            client.close()
        self.events.close()
        if self.workers is not self.events:
            self.workers.close()

    def describe(self) -> list[str]:
        """One line per store, checking that each answers (raises ``TargetError``)."""
        lines = []
        for alias, db in self.dbs.items():
            try:
                version = db.client.server_info().get("version", "?")
            except PyMongoError as ex:
                raise TargetError(f"cannot reach MongoDB ({alias}): {ex}") from ex
            lines.append(f"MongoDB {version}, database {db.name} ({alias})")
        for label, es in (("events", self.events), ("statistics", self.workers)):
            try:
                version = es.version()
            except EsError as ex:
                raise TargetError(f"cannot reach Elasticsearch ({label}): {ex}") from ex
            if version[:1] != (7,):
                number = ".".join(map(str, version)) or "?"
                raise TargetError(f"the {label} cluster {es.display} runs Elasticsearch {number}; it must be 7.x")
            lines.append(f"Elasticsearch {'.'.join(map(str, version))} at {es.display} ({label})")
        return lines

    def es_for(self, unit: Unit) -> EsHttp:
        return self.events if unit.kind == EVENTS else self.workers

    # --- what is there already -------------------------------------------------------

    def contents(self, units: Sequence[Unit]) -> list[str]:
        """What the target holds already where ``units`` go (empty list: nothing), one
        line per place: any document in the MongoDB databases; in Elasticsearch, the
        event and statistics indices of the companies moved (a cluster may serve other
        deployments' companies too)."""
        found = []
        for db in self.dbs.values():
            for name in sorted(db.list_collection_names()):
                if name == MARKER or name.startswith("system."):
                    continue
                n = db[name].estimated_document_count()
                if n:
                    found.append(f"{db.name}.{name}: {n:,} documents")
        companies = sorted({u.company.lower() for u in units if u.company})
        patterns = [(self.events, event_index_name(c)) for c in companies]
        patterns += [(self.workers, stats_pattern(t, c)) for c in companies for t in STATS_TABLES]
        for es, pattern in patterns:
            rows = es.get(f"/_cat/indices/{pattern}", params={"format": "json", "h": "index,docs.count"}) or []
            for row in rows:
                n = int(row["docs.count"] or 0)
                if n:
                    found.append(f"{row['index']}: {n:,} documents")
        return found

    # --- writes ----------------------------------------------------------------------

    def prepare(self) -> list[str]:
        """The event and statistics stores' index templates, as ``serve`` installs them."""
        names = install_templates(self.events)
        if self.workers is not self.events:
            names += install_templates(self.workers)
        return names

    def write_documents(self, unit: Unit, docs: Sequence[dict[str, Any]], *, replace: bool) -> None:
        """Insert (or, resuming or merging, replace by ``_id``) documents of a collection."""
        coll = self.dbs[unit.db][unit.collection]
        if not docs:
            return
        if replace:
            coll.bulk_write([pymongo.ReplaceOne({"_id": d["_id"]}, d, upsert=True) for d in docs], ordered=False)
        else:
            coll.insert_many(docs, ordered=False)

    def start_indices(self, es: EsHttp, indices: Sequence[str]) -> None:
        """Create the indices (from the templates); no refresh and an asynchronous
        translog while they are filled (twice the bulk rate on the test node; a crash
        loses at most the last seconds, which ``--resume`` writes again)."""
        for index in indices:
            prepare_index(es, index)
            es.put(f"/{index}/_settings", _BULK_TRANSLOG)

    def finish_indices(self, es: EsHttp, indices: Sequence[str]) -> None:
        """The templates' settings back, everything written searchable and on disk."""
        for index in indices:
            if es.exists(f"/{index}"):
                es.put(f"/{index}/_settings", _NORMAL_TRANSLOG)
                finish_index(es, index)
                es.post(f"/{index}/_flush")

    def bulk(self, es: EsHttp, items: Sequence[Item]) -> None:
        """Index ``(index, id, source)`` items (a JSON text or a dict); same ids overwrite.
        Raises ``EsError`` naming the first rejected document."""
        lines = []
        for index, doc_id, source in items:
            lines.append(_DUMPS({"index": {"_index": index, "_id": doc_id}}))
            lines.append(source if isinstance(source, str) else _DUMPS(source))
        body = ("\n".join(lines) + "\n").encode()
        res = es.post("/_bulk", ndjson=body, params={"filter_path": "errors,items.*.error,items.*._id"})
        if res.get("errors"):
            failed = [item for entry in res["items"] for item in entry.values() if item.get("error")]
            first = failed[0]
            raise EsError(
                f"{len(failed)} of {len(items)} documents rejected; first {first.get('_id')}: "
                f"{first['error'].get('type')}: {first['error'].get('reason')}"
            )

    # --- reads for the verification --------------------------------------------------

    def count(self, unit: Unit) -> int:
        if unit.kind == DOCUMENTS:
            return int(self.dbs[unit.db][unit.collection].count_documents({}))
        es = self.es_for(unit)
        es.post(f"/{unit.name}/_refresh", params={"allow_no_indices": "true", "ignore_unavailable": "true"})
        res = es.get(f"/{unit.name}/_count", params={"allow_no_indices": "true", "ignore_unavailable": "true"})
        return int(res["count"])

    def fetch(self, unit: Unit, items: Sequence[Item]) -> dict[str, Any]:
        """id → the target's document for the sampled ``items`` (absent ones left out)."""
        if not items:
            return {}
        if unit.kind == DOCUMENTS:
            ids = [i[1] for i in items]
            return {d["_id"]: d for d in self.dbs[unit.db][unit.collection].find({"_id": {"$in": ids}})}
        docs = [{"_index": index, "_id": doc_id} for index, doc_id, _ in items]
        found = self.es_for(unit).post("/_mget", {"docs": docs})["docs"]
        return {d["_id"]: d["_source"] for d in found if d.get("found")}
