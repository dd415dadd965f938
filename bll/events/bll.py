"""Event rules (events issue). This first version only carries the hooks other
services call; the events work replaces the bodies with the real store."""

from __future__ import annotations

from collections.abc import Sequence

from ...config import Config
from ...database.stores import Stores


class EventsBLL:
    def __init__(self, config: Config, stores: Stores) -> None:
        self.config = config
        self.stores = stores

    def delete_task_events(self, company_id: str, task_ids: Sequence[str]) -> int:
        """Delete every event of the given tasks; returns how many were deleted."""
        return 0
