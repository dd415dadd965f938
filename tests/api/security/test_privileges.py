"""Holes 1, 5 and 8 of issue 13: roles never rise, tokens die with their user, keys are
revoked for real. Each test failed on the code before the fix (noted per test)."""

from __future__ import annotations

import time
import uuid

import jwt
from support.client import ApiClient, basic

DEFAULT_COMPANY = "d1bd92a3b039400cbafc60a7a5b1e52b"


def claims_of(token: str) -> dict:
    return jwt.decode(token, options={"verify_signature": False})


def _admin_in_default_company(make_tenant) -> ApiClient:  # type: ignore[no-untyped-def]
    return make_tenant(role="admin", company=DEFAULT_COMPANY)


# --- hole 1: privilege escalation through impersonation -----------------------------------


def test_admin_cannot_impersonate_root(make_tenant) -> None:  # type: ignore[no-untyped-def]
    """Before: 200 and a root identity; auth.login then returned a root token."""
    admin = _admin_in_default_company(make_tenant)
    for header in ("X-Clearml-Impersonate-As", "X-Clearml-Act-As", "X-Trains-Impersonate-As"):
        reply = admin.call("users.get_current_user", headers={header: "__admin__"})
        assert reply.code == (400, 6), (header, reply.envelope)
        reply = admin.call("auth.login", headers={header: "__admin__"})
        assert reply.code == (400, 6), (header, reply.envelope)


def test_admin_cannot_create_credentials_for_root(make_tenant) -> None:  # type: ignore[no-untyped-def]
    """Before: a permanent root key/secret."""
    admin = _admin_in_default_company(make_tenant)
    for header in ("X-Clearml-Impersonate-As", "X-Clearml-Act-As"):
        reply = admin.call("auth.create_credentials", headers={header: "__admin__"})
        assert reply.status in (400, 403), reply.envelope
        assert "credentials" not in reply.data


def test_admin_may_still_impersonate_lower_roles_of_its_company(make_tenant) -> None:  # type: ignore[no-untyped-def]
    admin = make_tenant(role="admin")
    colleague = make_tenant(company=admin.company_id)
    me = admin.impersonate(colleague.user_id).users.get_current_user()["user"]
    assert me["id"] == colleague.user_id and me["role"] == "user"
    creds = admin.impersonate(colleague.user_id).auth.create_credentials()["credentials"]
    key_client = ApiClient(admin.base_url, key=creds["access_key"], secret=creds["secret_key"]).login()
    assert claims_of(key_client.token)["identity"]["role"] == "user"  # type: ignore[arg-type]


def test_both_impersonation_headers_at_once_is_400_5(root_api: ApiClient, tenant: ApiClient) -> None:
    headers = {"X-Clearml-Impersonate-As": tenant.user_id, "X-Clearml-Act-As": tenant.user_id}  # type: ignore[attr-defined]
    assert root_api.call("users.get_current_user", headers=headers).code == (400, 5)


def test_admin_cannot_demote_or_grant_above_itself(make_tenant, root_api: ApiClient) -> None:  # type: ignore[no-untyped-def]
    """Before: a company admin could change the role of the root user of its company."""
    admin = _admin_in_default_company(make_tenant)
    assert admin.call("auth.edit_user", {"user": "__admin__", "role": "user"}).code == (403, 20)
    assert root_api.users.get_current_user()["user"]["role"] == "root"
    assert admin.call("auth.edit_user", {"user": admin.user_id, "role": "root"}).code == (403, 20)


def test_root_cannot_create_or_get_a_token_of_a_system_user(root_api: ApiClient) -> None:
    company = root_api.users.get_current_user()["user"]["company"]["id"]
    reply = root_api.call("auth.create_user", {"name": "sys", "company": company, "role": "system"})
    assert reply.code == (403, 20), reply.envelope


def test_last_root_of_the_default_company_is_kept(root_api: ApiClient) -> None:
    """Before: root could demote or delete itself and leave nobody to manage users."""
    assert root_api.call("auth.edit_user", {"user": "__admin__", "role": "admin"}).code == (400, 300)
    assert root_api.call("users.delete", {"user": "__admin__"}).code == (400, 300)
    assert root_api.users.get_current_user()["user"]["role"] == "root"


# --- hole 5: tokens outlive their user ------------------------------------------------------


def _still_works(token: str, base_url: str) -> bool:
    reply = ApiClient(base_url, token=token).call("users.get_current_user")
    return reply.status == 200


def test_token_of_a_deleted_user_stops_working(root_api: ApiClient, tenant: ApiClient) -> None:
    """Before: the deleted user's token worked for 30 days (and created "ghost" tasks)."""
    token = tenant.token
    assert token and _still_works(token, tenant.base_url)
    root_api.users.delete(user=tenant.user_id)  # type: ignore[attr-defined]
    reply = ApiClient(tenant.base_url, token=token).call("tasks.create", {"name": "ghost", "type": "training"})
    assert reply.code == (401, 30), reply.envelope


def test_role_change_invalidates_the_old_token(make_tenant) -> None:  # type: ignore[no-untyped-def]
    """Before: the demoted admin's token kept role admin."""
    admin = make_tenant(role="admin")
    colleague = make_tenant(role="admin", company=admin.company_id)
    old = colleague.token
    assert claims_of(old)["identity"]["role"] == "admin"
    admin.auth.edit_user(user=colleague.user_id, role="user")
    assert ApiClient(admin.base_url, token=old).call("users.get_current_user").code == (401, 30)
    # logging in again (what the SDKs do on a 401) gives the new role
    fresh = ApiClient(admin.base_url, key=colleague.key, secret=colleague.secret).login()
    assert claims_of(fresh.token)["identity"]["role"] == "user"  # type: ignore[arg-type]
    assert fresh.users.get_current_user()["user"]["role"] == "user"


def test_revoked_key_takes_its_tokens_along(tenant: ApiClient) -> None:
    """Before: a token logged in with a revoked key kept working."""
    creds = tenant.auth.create_credentials()["credentials"]
    other = ApiClient(tenant.base_url, key=creds["access_key"], secret=creds["secret_key"]).login()
    assert other.token and _still_works(other.token, tenant.base_url)
    assert tenant.auth.revoke_credentials(access_key=creds["access_key"]) == {"revoked": 1}
    assert not _still_works(other.token, tenant.base_url)
    # the caller's own session (another key) is untouched
    assert tenant.token and _still_works(tenant.token, tenant.base_url)


def test_logout_revokes_the_session_token(tenant: ApiClient) -> None:
    """Before: auth.logout only cleared the cookie; the token went on working."""
    session = ApiClient(tenant.base_url, key=tenant.key, secret=tenant.secret).login()
    assert session.token and _still_works(session.token, tenant.base_url)
    assert session.call("auth.logout").status == 200
    assert ApiClient(tenant.base_url, token=session.token).call("users.get_current_user").code == (401, 30)
    assert tenant.token and _still_works(tenant.token, tenant.base_url)  # other sessions stay


def test_a_token_issued_after_the_change_works(root_api: ApiClient, make_tenant) -> None:  # type: ignore[no-untyped-def]
    admin = make_tenant(role="admin")
    colleague = make_tenant(company=admin.company_id)
    admin.auth.edit_user(user=colleague.user_id, role="superuser")
    for _ in range(3):  # in the same second as the change too
        again = ApiClient(admin.base_url, key=colleague.key, secret=colleague.secret).login()
        assert again.token and _still_works(again.token, admin.base_url)
        time.sleep(0.2)


# --- hole 8: auth.revoke_credentials revoked nothing and said 1 -------------------------------


def test_revoking_a_key_one_does_not_own_is_400(tenant: ApiClient, make_tenant) -> None:  # type: ignore[no-untyped-def]
    """Before: {"revoked": 1} for someone else's key or a made-up one; nothing revoked."""
    victim = make_tenant()
    victim_key = victim.key
    assert tenant.call("auth.revoke_credentials", {"access_key": victim_key}).code == (400, 300)
    assert tenant.call("auth.revoke_credentials", {"access_key": uuid.uuid4().hex}).code == (400, 300)
    # the victim's key still logs in
    reply = ApiClient(victim.base_url).call("auth.login", headers={"Authorization": basic(victim_key, victim.secret)})
    assert reply.status == 200
