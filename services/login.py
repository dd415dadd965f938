"""login.*"""

from __future__ import annotations

from typing import Any

from ..protocol.call import Call
from ..protocol.endpoints import Endpoints

endpoints = Endpoints("login")


@endpoints.handler("supported_modes")
def supported_modes(call: Call, company_id: str | None, request: dict[str, Any]) -> dict[str, Any]:
    fixed = call.ctx.auth.fixed_users_mode()
    return {
        "basic": {"enabled": fixed["enabled"], "guest": fixed["guest"]},
        "sso": {},
        "sso_providers": [],
        # serve refuses to start on unmigrated Elasticsearch 5 data or an unreachable node
        "server_errors": {"missed_es_upgrade": False, "es_connection_error": False},
        "authenticated": call.identity is not None,
    }
