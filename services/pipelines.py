"""pipelines.*"""

from __future__ import annotations

from typing import Any

from ..protocol.call import Call
from ..protocol.endpoints import Endpoints

endpoints = Endpoints("pipelines")


@endpoints.handler("start_pipeline")
def start_pipeline(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    return call.ctx.pipelines.start(call.require_identity(), request, call.requested_version)


@endpoints.handler("delete_runs")
def delete_runs(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    return call.ctx.pipelines.delete_runs(company_id, request)
