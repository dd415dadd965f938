"""The auth matrix (issue 13): every action x {no token, forged token, expired token,
"none"-algorithm token} is 401, except the public actions listed here, which answer
as for an anonymous caller."""

from __future__ import annotations

import base64
import json
import tempfile
import time
from pathlib import Path

import jwt
import pytest
import requests
from support.client import ApiClient

from stationmaster.schema import load_schemas

SCHEMAS = load_schemas(cache_dirs=[Path(tempfile.gettempdir()) / "stationmaster-test-schema-cache"])
#: Actions that need no authentication (schema ``authorize: false``), as the reference.
PUBLIC = {"debug.ping", "server.info", "auth.fixed_users_mode", "login.supported_modes", "login.logout"}
ACTIONS = sorted(a.name for a in SCHEMAS.actions())


def test_the_public_actions_are_exactly_these() -> None:
    assert {a.name for a in SCHEMAS.actions() if not a.authorize} == PUBLIC


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


@pytest.fixture(scope="module")
def bad_tokens(root_api: ApiClient) -> dict[str, str | None]:
    """One bad credential of each kind, made from a real root token's claims."""
    assert root_api.token
    claims = jwt.decode(root_api.token, options={"verify_signature": False})
    expired = {**claims, "iat": int(time.time()) - 100, "exp": int(time.time()) - 50}
    return {
        "none": None,
        "forged": jwt.encode(claims, "not-the-server-secret-0123456789abcdef", algorithm="HS256"),
        "expired": jwt.encode(expired, "not-the-server-secret-0123456789abcdef", algorithm="HS256"),
        "alg-none": f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(claims)}.",
        "tampered": root_api.token[:-3] + ("AAA" if not root_api.token.endswith("AAA") else "BBB"),
    }


@pytest.mark.parametrize("name", ACTIONS)
def test_every_action_refuses_bad_credentials(name: str, root_api: ApiClient, bad_tokens: dict) -> None:
    session = requests.Session()
    action = SCHEMAS.action(name)
    assert action is not None
    # at its newest version: actions newer than the announced level are reached only so
    newest = max(block.version for block in action.versions)
    for kind, token in bad_tokens.items():
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        resp = session.post(f"{root_api.base_url}/v{newest}/{name}", data=b"{}", headers=headers, timeout=30)
        meta = resp.json()["meta"]
        if name in PUBLIC:
            assert resp.status_code == 200, (kind, meta)
        else:
            assert resp.status_code == 401 and meta["result_code"] == 401, (kind, meta)
            assert meta["result_subcode"] in (20, 30), (kind, meta)


def test_a_really_expired_token_of_the_server_is_401(root_api: ApiClient) -> None:
    token = root_api.auth.login(expiration_sec=1)["token"]
    time.sleep(2.1)
    reply = ApiClient(root_api.base_url, token=token).call("tasks.get_all")
    assert reply.code == (401, 30) and "expired" in reply.meta["result_msg"]
