"""reports.* (API 2.23): reports are tasks of type report in hidden '.reports' projects."""

from __future__ import annotations

from typing import Any

from ..protocol.call import Call
from ..protocol.endpoints import Endpoints
from ..protocol.versions import Version
from .events import declared

#: plots.last_iters_per_task_metric of get_task_data is read from here on
PER_TASK_METRIC = Version(2, 26)

endpoints = Endpoints("reports")


def _request(call: Call, request: dict[str, Any]) -> dict[str, Any]:
    """The request without the fields the requested version does not declare (a later
    version's field is not read below it)."""
    return {k: v for k, v in request.items() if declared(call, request, k) is not None}


@endpoints.handler("create")
def create(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    return call.ctx.reports.create(call.require_identity(), _request(call, request))


@endpoints.handler("update")
def update(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    return call.ctx.reports.update(call.require_identity(), _request(call, request))


@endpoints.handler("move")
def move(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    return call.ctx.reports.move(call.require_identity(), request)


@endpoints.handler("publish")
def publish(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    return call.ctx.reports.publish(call.require_identity(), request)


@endpoints.handler("archive")
def archive(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    return {"archived": call.ctx.reports.set_archived(call.require_identity(), request, archived=True)}


@endpoints.handler("unarchive")
def unarchive(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    return {"unarchived": call.ctx.reports.set_archived(call.require_identity(), request, archived=False)}


@endpoints.handler("delete")
def delete(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    return call.ctx.reports.delete(call.require_identity(), request)


@endpoints.handler("get_tags")
def get_tags(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    return call.ctx.reports.get_tags(company_id)


@endpoints.handler("get_all_ex")
def get_all_ex(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    subprojects = declared(call, request, "include_subprojects") is True  # 2.26
    return call.ctx.reports.get_all_ex(company_id, request, call.requested_version, subprojects)


@endpoints.handler("get_task_data")
def get_task_data(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    request = _request(call, request)
    model_events = request.pop("model_events", False) is True  # 2.25
    if call.requested_version < PER_TASK_METRIC and isinstance(request.get("plots"), dict):
        request["plots"] = {k: v for k, v in request["plots"].items() if k != "last_iters_per_task_metric"}
    return call.ctx.reports.get_task_data(company_id, request, call.requested_version, model_events)
