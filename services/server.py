"""server.*: information about this server."""

from __future__ import annotations

from typing import Any

from ..protocol.call import Call
from ..protocol.endpoints import Endpoints

endpoints = Endpoints("server")


@endpoints.handler("info")
def info(call: Call, company_id: str | None, request: dict[str, Any]) -> dict[str, Any]:
    return call.ctx.server.info(with_uid=False)


@endpoints.handler("info")
def info_v2_8(call: Call, company_id: str | None, request: dict[str, Any]) -> dict[str, Any]:
    return call.ctx.server.info(with_uid=True)


@endpoints.handler("endpoints")
def endpoints_(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    registry = call.ctx.registry
    assert registry is not None
    result = {}
    for action in call.ctx.schemas.actions():
        result[action.name] = {
            "handler_versions": [str(v) for v in sorted(registry.handler_versions(action.name))],
            "schema_versions": [str(b.version) for b in action.versions],
            "authorize": action.authorize,
            "allow_roles": list(action.allow_roles),
            "internal": action.internal,
        }
    return {"endpoints": result}


@endpoints.handler("config")
def config(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    return call.ctx.server.config()


@endpoints.handler("get_stats")
def get_stats(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    return call.ctx.server.stats()


@endpoints.handler("report_stats_option")
def report_stats_option(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    identity = call.require_identity()
    return call.ctx.server.report_stats_option(company_id, identity.user, request.get("enabled"))
