"""Company names, read often (every identity, every current user) and rarely changed."""

from __future__ import annotations

import time

from ..database.repositories.companies import CompanyRepository

_TTL_SEC = 60.0


class CompanyNames:
    def __init__(self, repository: CompanyRepository) -> None:
        self._repository = repository
        self._cache: dict[str, tuple[str | None, float]] = {}

    def get(self, company_id: str) -> str | None:
        """The company's name, or None when there is no such company."""
        cached = self._cache.get(company_id)
        now = time.monotonic()
        if cached is not None and cached[1] > now:
            return cached[0]
        name = self._repository.name(company_id)
        self._cache[company_id] = (name, now + _TTL_SEC)
        return name

    def forget(self, company_id: str) -> None:
        self._cache.pop(company_id, None)
