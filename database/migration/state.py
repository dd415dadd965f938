"""Migration state, kept on the destination in the marker index ``stationmaster_migration``.

One document per migrated index (its ``_id`` is the index name): ``status`` is
``copying`` → ``copied`` → ``verified`` (or ``failed``), with the counts seen. Keeping the
state next to the data (not in a local file) lets ``--resume`` work from any machine and
lets the server's start-up guard see an unfinished migration.
"""

from __future__ import annotations

import time
from typing import Any

from .http import EsHttp

MARKER_INDEX = "stationmaster_migration"
COPYING, COPIED, VERIFIED, FAILED = "copying", "copied", "verified", "failed"

_MAPPING = {
    "settings": {"number_of_shards": 1, "number_of_replicas": 0},
    "mappings": {
        "dynamic": False,
        "properties": {
            "index": {"type": "keyword"},
            "status": {"type": "keyword"},
            "source": {"type": "keyword"},
            "source_docs": {"type": "long"},
            "dest_docs": {"type": "long"},
            "updated": {"type": "date", "format": "epoch_millis"},
        },
    },
}


class MigrationState:
    """Reads and writes the per-index records of the marker index."""

    def __init__(self, dest: EsHttp, source_url: str) -> None:
        self.dest = dest
        self.source_url = source_url

    def ensure(self) -> None:
        if not self.dest.exists(f"/{MARKER_INDEX}"):
            self.dest.put(f"/{MARKER_INDEX}", _MAPPING, ok=(400,))

    def load(self) -> dict[str, dict[str, Any]]:
        """Index name → its record ({} when no migration ever wrote here)."""
        return read_records(self.dest)

    def record(self, index: str, status: str, **fields: Any) -> None:
        body = {
            "index": index,
            "status": status,
            "source": self.source_url,
            "updated": int(time.time() * 1000),
            **fields,
        }
        self.dest.put(f"/{MARKER_INDEX}/_doc/{index}", body, params={"refresh": "true"})


def read_records(dest: EsHttp) -> dict[str, dict[str, Any]]:
    """Every record of the marker index of ``dest`` ({} when there is none)."""
    if not dest.exists(f"/{MARKER_INDEX}"):
        return {}
    dest.post(f"/{MARKER_INDEX}/_refresh")
    res = dest.post(f"/{MARKER_INDEX}/_search", {"size": 10000, "query": {"match_all": {}}})
    return {hit["_id"]: hit["_source"] for hit in res["hits"]["hits"]}
