"""Authentication, tokens, roles, impersonation and the auth.* actions."""

from __future__ import annotations

import base64
import json
import time

import jwt
import pytest
import requests
from support.client import ApiClient, basic
from support.server import ServerProcess

LEGACY_KEY = "EGRTCO8JMSIGI6S39GTP43NFWXDQOW"
LEGACY_SECRET = "x!XTov_G-#vspE*Y(h$Anm&DIc5Ou-F)jsl$PdOyj5wG1&E!Z8"


def claims_of(token: str) -> dict:
    return jwt.decode(token, options={"verify_signature": False})


def test_login_token_claims_drive_sdk_discovery(server: ServerProcess) -> None:
    key, secret = server.admin_credentials()
    resp = requests.get(f"{server.url}/auth.login", headers={"Authorization": basic(key, secret)}, timeout=10)
    assert resp.status_code == 200
    token = resp.json()["data"]["token"]
    claims = claims_of(token)
    assert claims["api_version"] == "2.31"
    assert claims["server_version"] == "2.0.0"
    assert claims["feature_set"] == "basic"
    assert claims["env"] == "<unknown>"
    assert set(claims["identity"]) == {"user", "company", "role", "user_name", "company_name"}
    assert claims["identity"]["user"] == "__admin__" and claims["identity"]["role"] == "root"
    assert claims["exp"] - claims["iat"] == 2592000
    # the login also sets the session cookie to the same token
    assert resp.cookies.get("clearml_token_basic") == token


def test_expiration_is_capped(root_api: ApiClient) -> None:
    token = root_api.auth.login(expiration_sec=10**9)["token"]
    claims = claims_of(token)
    assert claims["exp"] - claims["iat"] == 31536000


@pytest.mark.parametrize("cookie", ["clearml_token_basic", "trains_token_basic"])
def test_session_cookie_authenticates(server: ServerProcess, root_api: ApiClient, cookie: str) -> None:
    resp = requests.get(f"{server.url}/users.get_current_user", cookies={cookie: root_api.token}, timeout=10)
    assert resp.status_code == 200 and resp.json()["data"]["user"]["id"] == "__admin__"


def test_authorization_header_beats_cookie(server: ServerProcess, root_api: ApiClient, tenant: ApiClient) -> None:
    resp = requests.get(
        f"{server.url}/users.get_current_user",
        cookies={"clearml_token_basic": root_api.token},
        headers={"Authorization": f"Bearer {tenant.token}"},
        timeout=10,
    )
    assert resp.json()["data"]["user"]["id"] == tenant.user_id  # type: ignore[attr-defined]


def test_logout_clears_cookie(root_api: ApiClient) -> None:
    # its own session: logging out revokes the token (the shared root_api must keep its own)
    session = ApiClient(root_api.base_url, key=root_api.key, secret=root_api.secret).login()
    reply = session.call("auth.logout")
    assert reply.status == 200
    assert "clearml_token_basic=" in reply.headers.get("Set-Cookie", "")


def test_login_logout_ends_the_session_and_needs_no_valid_token(root_api: ApiClient, anon: ApiClient) -> None:
    """login.logout (2.13, the web app's): the cookie is cleared and the token revoked."""
    session = ApiClient(root_api.base_url, key=root_api.key, secret=root_api.secret).login()
    token = session.token
    assert ApiClient(root_api.base_url, token=token).call("users.get_current_user").code == (200, 0)
    reply = ApiClient(root_api.base_url, token=token).call("login.logout", {}, version="2.13")
    assert reply.code == (200, 0) and "clearml_token_basic=" in reply.headers.get("Set-Cookie", "")
    deadline = time.monotonic() + 5
    while ApiClient(root_api.base_url, token=token).call("users.get_current_user").code != (401, 30):
        assert time.monotonic() < deadline, "the token still works after login.logout"
        time.sleep(0.2)
    # an expired or missing session can still be cleared
    assert anon.call("login.logout", {}, version="999.0").code == (200, 0)
    assert anon.call("login.logout", {}, version="2.12").code != (200, 0)


def test_no_credentials_is_401_20(anon: ApiClient) -> None:
    assert anon.call("users.get_current_user").code == (401, 20)


def test_unknown_credentials_is_401_22(anon: ApiClient) -> None:
    reply = anon.call("auth.login", headers={"Authorization": basic("NOSUCHKEY", "nosecret")})
    assert reply.status == 401 and reply.code == (401, 22)


def test_wrong_secret_is_401_22(server: ServerProcess, anon: ApiClient) -> None:
    key, _ = server.admin_credentials()
    assert anon.call("auth.login", headers={"Authorization": basic(key, "wrong")}).code == (401, 22)


@pytest.mark.parametrize("payload", ["!!!notbase64", base64.b64encode(b"nocolon").decode()])
def test_malformed_basic_is_401_21(anon: ApiClient, payload: str) -> None:
    assert anon.call("auth.login", headers={"Authorization": f"Basic {payload}"}).code == (401, 21)


def test_unknown_auth_type_is_401_10(anon: ApiClient) -> None:
    assert anon.call("auth.login", headers={"Authorization": "Digest abc"}).code == (401, 10)


def test_tampered_token_is_401_30(root_api: ApiClient, anon: ApiClient) -> None:
    header, payload, signature = root_api.token.split(".")  # type: ignore[union-attr]
    claims = claims_of(root_api.token)  # type: ignore[arg-type]
    claims["identity"]["role"] = "system"
    forged_payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    forged = f"{header}.{forged_payload}.{signature}"
    reply = anon.call("users.get_current_user", headers={"Authorization": f"Bearer {forged}"})
    assert reply.code == (401, 30)
    other_key = jwt.encode(claims, "not-the-server-secret-at-all-0123456789", algorithm="HS256")
    assert anon.call("users.get_current_user", headers={"Authorization": f"Bearer {other_key}"}).code == (401, 30)
    assert anon.call("users.get_current_user", headers={"Authorization": "Bearer garbage"}).code == (401, 30)


def test_expired_token_is_401_30(root_api: ApiClient, anon: ApiClient) -> None:
    token = root_api.auth.login(expiration_sec=1)["token"]
    time.sleep(2.1)
    reply = anon.call("users.get_current_user", headers={"Authorization": f"Bearer {token}"})
    assert reply.code == (401, 30) and "expired" in reply.meta["result_msg"]


def test_endpoint_without_authorization_accepts_anonymous(anon: ApiClient) -> None:
    assert anon.call("debug.ping").status == 200
    # and bad credentials on such an endpoint are ignored
    assert anon.call("debug.ping", headers={"Authorization": "Bearer garbage"}).status == 200


@pytest.mark.parametrize(
    "endpoint",
    [
        "server.config",
        "server.endpoints",
        "server.get_stats",
        "users.create",
        "users.delete",
        "auth.create_user",
        "auth.get_token_for_user",
    ],
)
def test_role_not_allowed_is_403_20(tenant: ApiClient, endpoint: str) -> None:
    assert tenant.call(endpoint, {}).code == (403, 20)


def test_admin_may_edit_users_but_not_grant_root(make_tenant, root_api: ApiClient) -> None:  # type: ignore[no-untyped-def]
    admin = make_tenant(role="admin")
    colleague = make_tenant(company=admin.company_id)
    assert admin.auth.edit_user(user=colleague.user_id, role="admin")["updated"] == 1
    assert admin.call("auth.edit_user", {"user": colleague.user_id, "role": "root"}).code == (403, 20)
    assert root_api.users.get_by_id(user="__admin__")  # unchanged caller


def test_impersonation_by_root(root_api: ApiClient, tenant: ApiClient) -> None:
    me = root_api.impersonate(tenant.user_id).users.get_current_user()["user"]  # type: ignore[attr-defined]
    assert me["id"] == tenant.user_id and me["role"] == "user"  # type: ignore[attr-defined]


def test_act_as_keeps_the_callers_role(root_api: ApiClient, tenant: ApiClient) -> None:
    client = ApiClient(root_api.base_url, token=root_api.token, headers={"X-Trains-Act-As": tenant.user_id})  # type: ignore[attr-defined]
    me = client.users.get_current_user()["user"]
    assert me["id"] == tenant.user_id and me["role"] == "root"  # type: ignore[attr-defined]


def test_impersonation_by_ordinary_user_is_400_6(tenant: ApiClient) -> None:
    reply = tenant.call("users.get_current_user", headers={"X-Clearml-Impersonate-As": "__admin__"})
    assert reply.code == (400, 6)


def test_admin_cannot_impersonate_across_companies(make_tenant, tenant: ApiClient) -> None:  # type: ignore[no-untyped-def]
    admin = make_tenant(role="admin")
    reply = admin.call("users.get_current_user", headers={"X-Clearml-Impersonate-As": tenant.user_id})
    assert reply.code == (400, 6)


def test_credentials_life_cycle(tenant: ApiClient, anon: ApiClient) -> None:
    creds = tenant.auth.create_credentials()["credentials"]
    assert len(creds["access_key"]) == 20 and len(creds["secret_key"]) == 50
    listed = tenant.auth.get_credentials()["credentials"]
    assert creds["access_key"] in [c["access_key"] for c in listed]
    assert all(set(c) <= {"access_key", "last_used", "label"} for c in listed)
    assert creds["secret_key"] not in str(listed)
    fresh = ApiClient(anon.base_url, key=creds["access_key"], secret=creds["secret_key"]).login()
    assert fresh.users.get_current_user()["user"]["id"] == tenant.user_id  # type: ignore[attr-defined]
    assert tenant.auth.revoke_credentials(access_key=creds["access_key"])["revoked"] == 1
    reply = anon.call("auth.login", headers={"Authorization": basic(creds["access_key"], creds["secret_key"])})
    assert reply.code == (401, 22)


def test_create_user_then_delete(root_api: ApiClient) -> None:
    company = root_api.users.get_current_user()["user"]["company"]["id"]
    user = root_api.auth.create_user(name="Ada Lovelace", company=company, email="ada@example.com")["id"]
    fetched = root_api.users.get_by_id(user=user)["user"]
    assert fetched["given_name"] == "Ada" and fetched["family_name"] == "Lovelace"
    root_api.users.delete(user=user)
    assert root_api.call("users.get_by_id", {"user": user}).code == (400, 301)


def test_create_user_in_unknown_company_without_flag_writes_nothing(root_api: ApiClient) -> None:
    reply = root_api.call("auth.create_user", {"name": "ghost", "company": "no-such-company", "id": "ghost-user"})
    assert reply.code == (400, 10)
    assert root_api.call("auth.get_token_for_user", {"user": "ghost-user"}).code == (400, 301)


def test_validate_token_and_token_for_user(root_api: ApiClient, tenant: ApiClient) -> None:
    token = root_api.auth.get_token_for_user(user=tenant.user_id)["token"]  # type: ignore[attr-defined]
    assert claims_of(token)["identity"]["user"] == tenant.user_id  # type: ignore[attr-defined]
    result = root_api.auth.validate_token(token=token)
    assert result["valid"] is True and result["user"] == tenant.user_id  # type: ignore[attr-defined]
    assert root_api.auth.validate_token(token="nonsense")["valid"] is False


def test_fixed_users_mode_is_off_by_default(anon: ApiClient) -> None:
    data = anon.call("auth.fixed_users_mode").data
    assert data["enabled"] is False and data["guest"]["enabled"] is False


def test_supported_modes_answers_everyone_and_says_who_is_signed_in(anon: ApiClient, tenant: ApiClient) -> None:
    """login.supported_modes (what the ClearML web app calls first, at /v999.0/)."""
    for version in ("2.9", "999.0"):
        data = anon.call("login.supported_modes", {}, version=version).data
        assert data == {
            "basic": {"enabled": False, "guest": {"enabled": False}},
            "sso": {},
            "sso_providers": [],
            "server_errors": {"missed_es_upgrade": False, "es_connection_error": False},
            "authenticated": False,
        }
    assert tenant.call("login.supported_modes", {"state": "e30="}).data["authenticated"] is True
    # bad credentials are no error here: the app then shows its sign-in form
    bad = anon.call("login.supported_modes", {}, headers={"Authorization": basic("nobody", "wrong")})
    assert bad.code == (200, 0) and bad.data["authenticated"] is False
    assert anon.call("login.supported_modes", {"state": 5}).code == (400, 12)


def test_legacy_default_credentials_are_refused_by_default(anon: ApiClient) -> None:
    reply = anon.call("auth.login", headers={"Authorization": basic(LEGACY_KEY, LEGACY_SECRET)})
    assert reply.code == (401, 22)
