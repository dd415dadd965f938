"""The move's marker: one document per unit in the target's ``stationmaster_move``
collection (backend database), as migrate-es keeps its state on its destination.

``status`` is ``copying`` → ``copied`` → ``verified`` (or ``failed``); while an event or
statistics unit is copied, ``after`` is the key its copy has reached: every page up to
it is written (pages written out of order by parallel writers only move it once the
pages before them are written too). ``--resume`` starts there; the pages after it may
have been written already, and are written again under the same ids.
"""

from __future__ import annotations

import time
from typing import Any

from .source import Key
from .target import MARKER, TeamTarget

COPYING, COPIED, VERIFIED, FAILED = "copying", "copied", "verified", "failed"
RUN = "_run"  # the run's own record: the source data directory


class MoveUnfinished(RuntimeError):
    """The document server holds a move-store run that did not end verified."""


def check_before_serving(backend_db: Any) -> None:
    """The start-up hook of a server on a document server: refuse while its marker names
    a unit that is not verified (a move interrupted, or one whose verification failed):
    the server would show part of the installation, and its writes would mix with a
    resumed copy. Nothing to check without a marker (no move ever ran here)."""
    pending = sorted(
        f"{d['_id']} ({d.get('status')})"
        for d in backend_db[MARKER].find({"_id": {"$ne": RUN}}, {"status": 1})
        if d.get("status") != VERIFIED
    )
    if pending:
        shown = ", ".join(pending[:5]) + (f" and {len(pending) - 5} more" if len(pending) > 5 else "")
        raise MoveUnfinished(
            f"this document store holds a move-store run that did not finish: {shown}. Finish it with the same "
            f"`stationmaster move-store ... --resume` (or --verify-only), or drop the collection {MARKER} of the "
            "backend database to serve the data as it is"
        )


class MoveState:
    def __init__(self, target: TeamTarget, source: str) -> None:
        self.coll = target.dbs["backend"][MARKER]
        self.source = source

    def load(self) -> dict[str, dict[str, Any]]:
        """Unit name → its record; the run's record under ``RUN``."""
        return {d["_id"]: d for d in self.coll.find({})}

    def begin(self) -> None:
        self.coll.replace_one(
            {"_id": RUN}, {"_id": RUN, "source": self.source, "started": int(time.time() * 1000)}, upsert=True
        )

    def record(self, unit: str, status: str, **fields: Any) -> None:
        body = {"status": status, "updated": int(time.time() * 1000), **fields}
        self.coll.update_one({"_id": unit}, {"$set": body}, upsert=True)

    def reached(self, unit: str, after: Key, copied: int) -> None:
        self.coll.update_one({"_id": unit}, {"$set": {"after": after, "copied": copied}})
