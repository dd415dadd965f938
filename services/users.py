"""users.*: the users of a company and their preferences."""

from __future__ import annotations

from typing import Any

from ..protocol.call import Call
from ..protocol.endpoints import Endpoints

endpoints = Endpoints("users")


@endpoints.handler("get_current_user")
def get_current_user(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    return {"user": call.ctx.users.current_user(call.require_identity())}


@endpoints.handler("get_current_user")
def get_current_user_v2_20(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    return {"user": call.ctx.users.current_user(call.require_identity()), "getting_started": {}}


@endpoints.handler("get_by_id")
def get_by_id(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    return {"user": call.ctx.users.get_by_id(call.require_identity(), request["user"])}


@endpoints.handler("get_all_ex")
def get_all_ex(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    request = {k: v for k, v in request.items() if k != "active_in_projects"}
    return {"users": call.ctx.users.get_all(call.require_identity(), request)}


@endpoints.handler("get_all_ex")
def get_all_ex_v2_8(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    return {"users": call.ctx.users.get_all(call.require_identity(), request)}


@endpoints.handler("get_all")
def get_all(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    return {"users": call.ctx.users.get_all(call.require_identity(), request)}


@endpoints.handler("create")
def create(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    call.ctx.users.create(request)
    return {}


@endpoints.handler("delete")
def delete(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    call.ctx.users.delete(request["user"])
    return {}


@endpoints.handler("update")
def update(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    return call.ctx.users.update(call.require_identity(), request)


@endpoints.handler("get_preferences")
def get_preferences(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    return {"preferences": call.ctx.users.get_preferences(call.require_identity())}


@endpoints.handler("set_preferences")
def set_preferences(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    return call.ctx.users.set_preferences(call.require_identity(), request["preferences"])
