"""Worker and queue statistics (events issue). This first version only carries the
hooks the queues and workers services call; the events work fills them in."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ..config import Config
from ..database.stores import Stores


class StatsBLL:
    def __init__(self, config: Config, stores: Stores) -> None:
        self.config = config
        self.stores = stores

    def record_queue_metrics(self, company_id: str, queues: Sequence[Mapping[str, Any]]) -> None:
        """Called after every change of a queue's entries with the raw queue documents
        (``id``, ``entries: [{task, added}]``)."""

    def record_worker_stats(self, company_id: str, worker: Mapping[str, Any], report: Mapping[str, Any]) -> None:
        """Called on ``workers.status_report`` with the worker's record and the request."""
