"""models.*: registering, editing, publishing and deleting models."""

from __future__ import annotations

from typing import Any

from ..protocol.call import Call
from ..protocol.endpoints import Endpoints

endpoints = Endpoints("models")


@endpoints.handler("get_by_id")
def get_by_id(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    return {"model": call.ctx.models.get_by_id(company_id, request["model"], call.requested_version)}


@endpoints.handler("get_by_task_id")
def get_by_task_id(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    return {"model": call.ctx.models.get_by_task_id(company_id, request["task"], call.requested_version)}


@endpoints.handler("get_all_ex")
def get_all_ex(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    return {"models": call.ctx.models.get_all_ex(company_id, request, call.requested_version)}


@endpoints.handler("get_all")
def get_all(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    return {"models": call.ctx.models.get_all(company_id, request, call.requested_version)}


@endpoints.handler("get_frameworks")
def get_frameworks(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    return {"frameworks": call.ctx.models.get_frameworks(company_id, request.get("projects"))}


@endpoints.handler("update_for_task")
def update_for_task(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    return call.ctx.models.update_for_task(call.require_identity(), request, call.requested_version)


@endpoints.handler("create")
def create(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    return call.ctx.models.create(call.require_identity(), request, call.requested_version)


@endpoints.handler("edit")
def edit(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    return call.ctx.models.edit(call.require_identity(), request, call.requested_version)


@endpoints.handler("update")
def update(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    return call.ctx.models.update(call.require_identity(), request, call.requested_version)


@endpoints.handler("set_ready")
def set_ready(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    return call.ctx.models.set_ready(call.require_identity(), request)


@endpoints.handler("delete")
def delete(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    return call.ctx.models.delete(company_id, request["model"], bool(request.get("force")))


@endpoints.handler("make_public")
def make_public(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    return call.ctx.models.set_public(company_id, request["ids"], True)


@endpoints.handler("make_private")
def make_private(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    return call.ctx.models.set_public(company_id, request["ids"], False)
