"""auth.*: logging in, tokens, users and credentials."""

from __future__ import annotations

from typing import Any

from ..protocol.call import Call
from ..protocol.endpoints import Endpoints

endpoints = Endpoints("auth")


def _cookie_name(call: Call) -> str:
    return str(call.ctx.config.get("apiserver.auth.session_auth_cookie_name"))


@endpoints.handler("login")
def login(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    token = call.ctx.auth.login(call.require_identity(), request.get("expiration_sec"))
    call.cookies[_cookie_name(call)] = token
    return {"token": token}


@endpoints.handler("logout")
def logout(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    if call.auth_identity is not None:
        call.ctx.auth.logout(call.auth_identity)
    call.cookies[_cookie_name(call)] = None
    return {}


@endpoints.handler("get_token_for_user")
def get_token_for_user(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    token = call.ctx.auth.token_for_user(
        call.require_identity(), request["user"], request.get("company"), request.get("expiration_sec")
    )
    return {"token": token}


@endpoints.handler("validate_token")
def validate_token(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    return call.ctx.auth.validate_token(request["token"])


@endpoints.handler("create_user")
def create_user(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    return {"id": call.ctx.auth.create_user(call.require_identity(), request)}


@endpoints.handler("create_credentials")
def create_credentials(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    identity = call.require_identity()
    creator = call.auth_identity or identity
    return {"credentials": call.ctx.auth.create_credentials(identity, creator, label=request.get("label"))}


@endpoints.handler("create_credentials")
def create_credentials_v2_17(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    label = request.get("label")
    credentials = create_credentials(call, company_id, request)["credentials"]
    return {"credentials": {**credentials, **({"label": label} if label else {})}}


@endpoints.handler("edit_credentials")
def edit_credentials(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    identity = call.require_identity()
    return {"updated": call.ctx.auth.edit_credentials(identity, request["access_key"], request.get("label"))}


@endpoints.handler("get_credentials")
def get_credentials(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    return {"credentials": call.ctx.auth.get_credentials(call.require_identity())}


@endpoints.handler("revoke_credentials")
def revoke_credentials(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    return {"revoked": call.ctx.auth.revoke_credentials(call.require_identity(), request["access_key"])}


@endpoints.handler("edit_user")
def edit_user(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    identity = call.require_identity()
    return call.ctx.auth.edit_user(identity, request["user"], request.get("role"), request.get("password"))


@endpoints.handler("fixed_users_mode")
def fixed_users_mode(call: Call, company_id: str | None, request: dict[str, Any]) -> dict[str, Any]:
    return call.ctx.auth.fixed_users_mode()
