"""Companies (tenants), collection ``company`` of the backend database: raw pymongo."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ..model.company import Company
from .base import RawRepository


class CompanyRepository(RawRepository):
    document = Company

    def get(self, company_id: str, fields: Iterable[str] | None = None) -> dict[str, Any] | None:
        return self._find_one({"_id": company_id}, fields)

    def name(self, company_id: str) -> str | None:
        """The company's name ("" when it has none), None when there is no such company."""
        doc = self._find_one({"_id": company_id}, ["name"])
        return doc.get("name", "") if doc else None

    def exists(self, company_id: str) -> bool:
        return self._exists({"_id": company_id})

    def all_names(self) -> list[tuple[str, str | None]]:
        """Every company's (id, name)."""
        return [(d["_id"], d.get("name")) for d in self._coll.find({}, {"name": 1})]

    def set_stats_option(self, company_id: str, option: Mapping[str, Any]) -> None:
        self._coll.update_one({"_id": company_id}, {"$set": {"defaults.stats_option": dict(option)}})

    def save(self, fields: Mapping[str, Any]) -> None:
        """Store the company (replacing one with its id)."""
        self._save(fields)
