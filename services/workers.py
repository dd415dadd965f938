"""workers.*: agents registering, reporting and being listed (statistics: worker_stats.py)."""

from __future__ import annotations

from typing import Any

from ..protocol.call import Call
from ..protocol.endpoints import Endpoints

endpoints = Endpoints("workers")


@endpoints.handler("get_all")
def get_all(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    return {"workers": call.ctx.workers.get_all_with_details(company_id, request.get("last_seen"))}


@endpoints.handler("register")
def register(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    call.ctx.workers.register(
        company_id,
        call.require_identity().user,
        request["worker"],
        ip=call.real_ip,
        queues=request.get("queues"),
        timeout=request["timeout"],
    )
    return {}


@endpoints.handler("unregister")
def unregister(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    call.ctx.workers.unregister(company_id, call.require_identity().user, request["worker"])
    return {}


@endpoints.handler("status_report")
def status_report(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    call.ctx.workers.status_report(company_id, call.require_identity().user, call.real_ip, request)
    return {}
