"""organization.*: company-wide views."""

from __future__ import annotations

from typing import Any

from ..protocol.call import Call
from ..protocol.endpoints import Endpoints

endpoints = Endpoints("organization")


@endpoints.handler("get_user_companies")
def get_user_companies(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    return {"companies": [call.ctx.users.company_of(call.require_identity())]}


@endpoints.handler("get_tags")
def get_tags(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    return call.ctx.organization.get_tags(
        company_id,
        ("task", "model"),
        include_system=bool(request.get("include_system")),
        tag_filter=request.get("filter"),
    )
