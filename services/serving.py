"""serving.*"""

from __future__ import annotations

from typing import Any

from ..protocol.call import Call
from ..protocol.endpoints import Endpoints

endpoints = Endpoints("serving")


@endpoints.handler("register_container")
def register_container(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    call.ctx.serving.register(company_id, request, call.real_ip)
    return {}


@endpoints.handler("unregister_container")
def unregister_container(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    call.ctx.serving.unregister(company_id, request["container_id"])
    return {}


@endpoints.handler("container_status_report")
def container_status_report(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    call.ctx.serving.status_report(company_id, request, call.real_ip)
    return {}


@endpoints.handler("get_endpoints")
def get_endpoints(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    return {"endpoints": call.ctx.serving.endpoints(company_id)}


@endpoints.handler("get_loading_instances")
def get_loading_instances(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    return {"instances": call.ctx.serving.loading_instances(company_id)}


@endpoints.handler("get_endpoint_details")
def get_endpoint_details(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    return call.ctx.serving.endpoint_details(company_id, request["endpoint_url"])


@endpoints.handler("get_endpoint_metrics_history")
def get_endpoint_metrics_history(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    return call.ctx.serving.metrics_history(company_id, request)
