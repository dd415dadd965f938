"""users.*, server.* and debug.*."""

from __future__ import annotations

import json

import pytest
from support.client import ApiClient


def test_current_user_has_company_and_role(tenant: ApiClient) -> None:
    user = tenant.users.get_current_user()["user"]
    assert user["id"] == tenant.user_id  # type: ignore[attr-defined]
    assert user["company"]["id"] == tenant.company_id  # type: ignore[attr-defined]
    assert user["company"]["name"].startswith("company ")
    assert user["role"] == "user" and user["preferences"] == {}


def test_users_are_scoped_to_the_company(make_tenant, tenant: ApiClient) -> None:  # type: ignore[no-untyped-def]
    colleague = make_tenant(company=tenant.company_id)  # type: ignore[attr-defined]
    stranger = make_tenant()
    ids = {u["id"] for u in tenant.users.get_all_ex()["users"]}
    assert ids == {tenant.user_id, colleague.user_id}  # type: ignore[attr-defined]
    assert tenant.call("users.get_by_id", {"user": stranger.user_id}).code == (400, 301)
    only = tenant.users.get_all(id=[colleague.user_id], only_fields=["name"])["users"]
    assert only == [{"name": colleague.users.get_current_user()["user"]["name"]}]


def test_update_names(tenant: ApiClient) -> None:
    result = tenant.users.update(user=tenant.user_id, given_name="Grace", family_name="Hopper")  # type: ignore[attr-defined]
    assert result == {"updated": 1, "fields": {"given_name": "Grace", "family_name": "Hopper"}}
    user = tenant.users.get_current_user()["user"]
    assert (user["given_name"], user["family_name"]) == ("Grace", "Hopper")


def test_user_cannot_update_someone_else(make_tenant, tenant: ApiClient) -> None:  # type: ignore[no-untyped-def]
    colleague = make_tenant(company=tenant.company_id)  # type: ignore[attr-defined]
    assert tenant.call("users.update", {"user": colleague.user_id, "name": "x"}).code == (403, 20)


@pytest.mark.parametrize(
    "steps",
    [
        [
            ({"a": 0}, {"a": 0}),
            ({"b": 1}, {"a": 0, "b": 1}),
            ({"section": {"a": 2}}, {"a": 0, "b": 1, "section": {"a": 2}}),
        ],
        [
            ({"section": {"a": 0, "b": 1}}, {"section": {"a": 0, "b": 1}}),
            ({"section": {"a": None}}, {"section": {"a": None}}),
            ({"section": None}, {"section": None}),
        ],
        [({"x": {"y": 1}}, {"x": {"y": 1}}), ({"x.z": 2}, {"x": {"y": 1, "z": 2}})],
    ],
)
def test_preferences(tenant: ApiClient, steps: list) -> None:
    for update, expected in steps:
        tenant.users.set_preferences(preferences=update)
        assert tenant.users.get_preferences()["preferences"] == expected


def test_bad_preferences_key_changes_nothing(tenant: ApiClient) -> None:
    tenant.users.set_preferences(preferences={"keep": 1})
    reply = tenant.call("users.set_preferences", {"preferences": {"ok": {"$bad": 1}}})
    assert reply.code == (400, 16)
    assert tenant.users.get_preferences()["preferences"] == {"keep": 1}


def test_server_info(anon: ApiClient) -> None:
    old = anon.call("server.info", version="2.1").data
    assert old["version"] == "2.0.0" and old["build"].startswith("stationmaster") and "uid" not in old
    new = anon.call("server.info", version="2.8").data
    assert len(new["uid"]) == 32 and new["api_version"] == "2.31"


def test_server_endpoints_describe_every_action(root_api: ApiClient) -> None:
    endpoints = root_api.server.endpoints()["endpoints"]
    assert endpoints["server.info"]["handler_versions"] == ["1.0", "2.8"]
    assert endpoints["auth.create_user"]["allow_roles"] == ["system", "root"]
    assert endpoints["debug.ping"]["authorize"] is False


def test_server_config_hides_secrets(root_api: ApiClient) -> None:
    config = root_api.server.config()
    assert config["apiserver"]["default_company"] == "d1bd92a3b039400cbafc60a7a5b1e52b"
    assert "secure" not in config and "token_secret" not in json.dumps(config)
    assert config["services"]["auth"]["fixed_users"]["guest"]["password"] == "********"


def test_server_get_stats(root_api: ApiClient) -> None:
    stats = root_api.server.get_stats()
    assert "d1bd92a3b039400cbafc60a7a5b1e52b" in stats["companies"]


def test_report_stats_option(tenant: ApiClient) -> None:
    assert tenant.server.report_stats_option()["enabled"] is False
    result = tenant.server.report_stats_option(enabled=True)
    assert result["enabled"] is True and result["supported"] is False
    assert result["enabled_user"] == tenant.user_id  # type: ignore[attr-defined]


def test_debug_ping(anon: ApiClient) -> None:
    assert anon.debug.ping()["msg"]
