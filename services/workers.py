"""workers.*: agents registering, reporting and being listed (statistics: worker_stats.py)."""

from __future__ import annotations

from typing import Any

from ..bll.workers import WorkerSelection
from ..protocol.call import Call
from ..protocol.endpoints import Endpoints
from ..protocol.versions import Version

endpoints = Endpoints("workers")
# the version each selection field of get_all / get_count is read from
_SELECTION_VERSIONS = {"tags": Version(2, 20), "system_tags": Version(2, 22), "worker_pattern": Version(2, 30)}
_SYSTEM_TAGS = Version(2, 22)  # register / status_report


def _selection(call: Call, request: dict[str, Any]) -> WorkerSelection:
    declared = [k for k, v in _SELECTION_VERSIONS.items() if call.requested_version >= v]
    return WorkerSelection.of(request, declared)


def _tags(call: Call, request: dict[str, Any]) -> dict[str, Any]:
    fields = ("tags", "system_tags") if call.requested_version >= _SYSTEM_TAGS else ("tags",)
    return {k: request.get(k) for k in fields}


@endpoints.handler("get_all")
def get_all(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    workers = call.ctx.workers.get_all_with_details(company_id, request.get("last_seen"), _selection(call, request))
    return {"workers": workers}


@endpoints.handler("get_count")
def get_count(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    return {"count": len(call.ctx.workers.get_all(company_id, request.get("last_seen"), _selection(call, request)))}


@endpoints.handler("get_runtime_properties")
def get_runtime_properties(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    # clearml-agent asks for them (uptime / dynamic GPUs); none are kept here
    return {"runtime_properties": []}


@endpoints.handler("register")
def register(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    call.ctx.workers.register(
        company_id,
        call.require_identity().user,
        request["worker"],
        ip=call.real_ip,
        queues=request.get("queues"),
        timeout=request["timeout"],
        tags=_tags(call, request),
    )
    return {}


@endpoints.handler("unregister")
def unregister(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    call.ctx.workers.unregister(company_id, call.require_identity().user, request["worker"])
    return {}


@endpoints.handler("status_report")
def status_report(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    report = {k: v for k, v in request.items() if k != "system_tags"}
    call.ctx.workers.status_report(
        company_id, call.require_identity().user, call.real_ip, report | _tags(call, request)
    )
    return {}
