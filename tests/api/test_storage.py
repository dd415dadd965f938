"""storage.get_settings (2.22), set_settings and reset_settings (2.31): per-company
object-store credentials."""

from __future__ import annotations

import pytest
from support.client import ApiClient

DEFAULTS = {
    "aws": {"key": "", "secret": "", "token": "", "region": "", "use_credentials_chain": False, "buckets": []},
    "google": {"project": "", "credentials_json": "", "buckets": []},
    "azure": {"containers": []},
}


@pytest.fixture
def admin(make_tenant) -> ApiClient:  # type: ignore[no-untyped-def]
    client = make_tenant(role="admin")
    versioned = client.with_version("2.31")
    versioned.company_id = client.company_id
    return versioned  # type: ignore[no-any-return]


def settings(api: ApiClient) -> dict:
    return api.storage.get_settings()["settings"]


def test_a_company_without_settings_reads_the_configured_defaults(admin: ApiClient) -> None:
    assert settings(admin) == {**DEFAULTS, "last_update": None}


def test_set_replaces_the_providers_given_and_reset_forgets_them(admin: ApiClient, make_tenant) -> None:  # type: ignore[no-untyped-def]
    aws = {"key": "AK", "secret": "SK", "region": "eu-west-1", "buckets": [{"bucket": "b1", "host": "minio:9000"}]}
    assert admin.storage.set_settings(aws=aws) == {"updated": 1}
    got = settings(admin)
    assert got["aws"]["key"] == "AK" and got["aws"]["region"] == "eu-west-1"
    assert got["aws"]["buckets"] == [
        {
            "bucket": "b1",
            "host": "minio:9000",
            "multipart": True,
            "secure": True,
            "verify": True,
            "use_credentials_chain": False,
        }
    ]
    assert got["google"] == DEFAULTS["google"] and got["last_update"]

    google = {"project": "p", "credentials_json": '{"type": "service_account"}', "buckets": [{"bucket": "g1"}]}
    azure = {"containers": [{"account_name": "acc", "account_key": "k", "container_name": "c"}]}
    admin.storage.set_settings(google=google, azure=azure)
    got = settings(admin)
    assert got["aws"]["key"] == "AK" and got["google"] == google and got["azure"] == azure

    # a colleague (role user) reads them — the SDK's users need the keys — and cannot change them
    colleague = make_tenant(company=admin.company_id).with_version("2.31")  # type: ignore[attr-defined]
    assert settings(colleague)["google"] == google
    assert colleague.call("storage.set_settings", {"aws": aws}).code == (403, 20)
    assert colleague.call("storage.reset_settings", {}).code == (403, 20)
    # other companies see none of it
    assert settings(make_tenant().with_version("2.31")) == {**DEFAULTS, "last_update": None}

    assert admin.storage.reset_settings(keys=["aws", "azure"]) == {"updated": 1}
    got = settings(admin)
    assert got["aws"] == DEFAULTS["aws"] and got["azure"] == DEFAULTS["azure"] and got["google"] == google
    assert admin.storage.reset_settings() == {"updated": 1}
    assert {k: v for k, v in settings(admin).items() if k != "last_update"} == DEFAULTS


def test_reset_without_settings_updates_nothing(admin: ApiClient) -> None:
    assert admin.storage.reset_settings(keys=["google"]) == {"updated": 0}


@pytest.mark.parametrize(
    ("body", "named"),
    [
        ({}, "no settings"),
        ({"google": {"credentials_json": "{not json"}}, "google.credentials_json"),
        ({"google": {"buckets": [{"bucket": "g", "credentials_json": "[1,"}]}}, "google.buckets[0].credentials_json"),
        ({"aws": {"buckets": [{"bucket": 5}]}}, "bucket"),
        ({"aws": "AK"}, "aws"),
    ],
)
def test_bad_settings_are_refused_and_change_nothing(admin: ApiClient, body: dict, named: str) -> None:
    reply = admin.call("storage.set_settings", body)
    assert reply.code == (400, 12) and named in reply.meta["result_msg"], reply.meta
    assert settings(admin)["last_update"] is None


def test_bad_reset_keys_are_refused(admin: ApiClient) -> None:
    assert admin.call("storage.reset_settings", {"keys": ["dropbox"]}).code == (400, 12)


def test_versions(admin: ApiClient) -> None:
    assert admin.call("storage.get_settings", {}, version="2.22").code == (200, 0)
    assert admin.call("storage.get_settings", {}, version="2.21").code != (200, 0)
    assert admin.call("storage.set_settings", {"azure": {"containers": []}}, version="2.30").code != (200, 0)
