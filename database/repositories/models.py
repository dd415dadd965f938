"""Models, collection ``model``: raw pymongo."""

from __future__ import annotations

from datetime import datetime

from ..model.model import Model
from .base import InProjects


class ModelRepository(InProjects):
    document = Model

    def set_ready(self, model_id: str, company_id: str, now: datetime) -> int:
        """Mark the company's model ready; the number modified."""
        result = self._coll.update_one(
            {"_id": model_id, "company": company_id}, {"$set": {"ready": True, "last_update": now}}
        )
        return int(result.modified_count)
