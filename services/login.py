"""login.*"""

from __future__ import annotations

from typing import Any

from ..protocol.call import Call
from ..protocol.endpoints import Endpoints
from .auth import logout as end_session

endpoints = Endpoints("login")

# login.logout (2.13) is auth.logout under the web app's name
endpoints.handler("logout")(end_session)


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
