"""workers.get_metric_keys, workers.get_stats, workers.get_activity_report: charts of
the machine statistics the agents report (bll/statistics.py)."""

from __future__ import annotations

from typing import Any

from ..protocol.call import Call
from ..protocol.endpoints import Endpoints

endpoints = Endpoints("workers")


@endpoints.handler("get_metric_keys")
def get_metric_keys(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    return {"categories": call.ctx.stats.get_metric_keys(company_id, request.get("worker_ids"))}


@endpoints.handler("get_stats")
def get_stats(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    return {"workers": call.ctx.stats.get_stats(company_id, request)}


@endpoints.handler("get_activity_report")
def get_activity_report(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    return call.ctx.stats.get_activity_report(company_id, request)
