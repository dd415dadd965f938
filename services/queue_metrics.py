"""queues.get_queue_metrics: charts of queue lengths and waiting times
(bll/statistics.py)."""

from __future__ import annotations

from typing import Any

from ..protocol.call import Call
from ..protocol.endpoints import Endpoints

endpoints = Endpoints("queues")


@endpoints.handler("get_queue_metrics")
def get_queue_metrics(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    return {"queues": call.ctx.stats.get_queue_metrics(company_id, request)}
