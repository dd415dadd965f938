"""Companies (tenants), collection ``company`` of the backend database: raw pymongo."""

from __future__ import annotations

from collections.abc import Iterable
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
