"""Per-company storage credentials, collection ``storage_settings``: raw pymongo, one
document per company."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from pymongo.errors import DuplicateKeyError

from ..model.storage import StorageSettings
from ..vocabulary import new_id
from .base import RawRepository


class StorageSettingsRepository(RawRepository):
    document = StorageSettings

    def get(self, company_id: str) -> dict[str, Any] | None:
        return self._find_one({"company": company_id})

    def set(self, company_id: str, providers: Mapping[str, Mapping[str, Any]], now: datetime) -> int:
        """Replace the given providers' settings (aws, google, azure), keep the others."""
        if not self._exists({"company": company_id}):
            try:
                self._insert({"id": new_id(), "company": company_id, "last_update": now})
            except DuplicateKeyError:
                pass  # a concurrent first write: update the document it made
        update = {"last_update": now, **{name: dict(value) for name, value in providers.items()}}
        self._coll.update_one({"company": company_id}, {"$set": update})
        return 1

    def reset(self, company_id: str, providers: Sequence[str], now: datetime) -> int:
        """Remove the given providers' settings; 1 when the company had settings."""
        update: dict[str, Any] = {"$set": {"last_update": now}}
        if providers:
            update["$unset"] = {name: "" for name in providers}
        return int(self._coll.update_one({"company": company_id}, update).matched_count)
