"""auth, organization and users actions beyond v0.16.1: labelled credentials (2.17),
edit_credentials (2.20), organization.get_user_companies (2.12), get_current_user 2.20."""

from __future__ import annotations

from support.client import ApiClient


def test_create_credentials_label_and_edit(tenant: ApiClient) -> None:
    reply = tenant.call("auth.create_credentials", {"label": "ci"}, version="2.17")
    created = reply.data["credentials"]
    assert created["label"] == "ci" and created["access_key"] and created["secret_key"]
    assert "label" not in tenant.call("auth.create_credentials", {"label": "x"}, version="2.9").data["credentials"]
    key = created["access_key"]
    listed = {c["access_key"]: c for c in tenant.auth.get_credentials()["credentials"]}
    assert listed[key]["label"] == "ci"
    reply = tenant.call("auth.edit_credentials", {"access_key": key, "label": "nightly"}, version="2.20")
    assert reply.data == {"updated": 1}
    listed = {c["access_key"]: c for c in tenant.auth.get_credentials()["credentials"]}
    assert listed[key]["label"] == "nightly"
    reply = tenant.call("auth.edit_credentials", {"access_key": "nope", "label": "x"}, version="2.20")
    assert reply.code == (400, 300)
    reply = tenant.call("auth.edit_credentials", {"label": "x"}, version="2.20")
    assert reply.code == (400, 12) and "access_key" in reply.meta["result_msg"]
    reply = tenant.call("auth.edit_credentials", {"access_key": key, "label": 5}, version="2.20")
    assert reply.code == (400, 12)


def test_edit_credentials_of_another_user_is_refused(tenant: ApiClient, make_tenant) -> None:  # type: ignore[no-untyped-def]
    key = tenant.call("auth.create_credentials", {}, version="2.17").data["credentials"]["access_key"]
    other = make_tenant()
    assert other.call("auth.edit_credentials", {"access_key": key, "label": "x"}, version="2.20").code == (400, 300)


def test_get_user_companies(tenant: ApiClient) -> None:
    reply = tenant.call("organization.get_user_companies", {}, version="2.12")
    assert reply.status == 200
    (company,) = reply.data["companies"]
    assert company["id"] == tenant.company_id  # type: ignore[attr-defined]
    assert company["allocated"] == len(company["owners"]) >= 1
    assert tenant.user_id in {o["id"] for o in company["owners"]}  # type: ignore[attr-defined]


def test_get_current_user_2_20(tenant: ApiClient) -> None:
    data = tenant.call("users.get_current_user", {}, version="2.20").data
    assert data["getting_started"] == {} and data["user"]["id"] == tenant.user_id  # type: ignore[attr-defined]
    assert "getting_started" not in tenant.with_version("2.9").users.get_current_user()
