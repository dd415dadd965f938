"""storage.*"""

from __future__ import annotations

from typing import Any

from ..protocol.call import Call
from ..protocol.endpoints import Endpoints

endpoints = Endpoints("storage")


@endpoints.handler("get_settings")
def get_settings(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    return {"settings": call.ctx.storage.get(company_id)}


@endpoints.handler("set_settings")
def set_settings(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    return {"updated": call.ctx.storage.set(company_id, request)}


@endpoints.handler("reset_settings")
def reset_settings(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    return {"updated": call.ctx.storage.reset(company_id, request.get("keys"))}
