"""API-level fixtures: one real server for the session, fresh tenants per test."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.client import ApiClient
from support.server import ServerProcess


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    proc = ServerProcess(tmp_path_factory.mktemp("server") / "data")
    with proc:
        yield proc


@pytest.fixture(scope="session")
def root_api(server: ServerProcess) -> ApiClient:
    """The first-start admin (role root) of the default company."""
    key, secret = server.admin_credentials()
    return ApiClient(server.url, key=key, secret=secret).login()


@pytest.fixture
def anon(server: ServerProcess) -> ApiClient:
    return ApiClient(server.url)


def new_tenant(root_api: ApiClient, role: str = "user", company: str | None = None) -> ApiClient:
    """A logged-in client of a fresh user in a fresh (or given) company."""
    company = company or uuid.uuid4().hex
    user = root_api.auth.create_user(
        name=f"user {uuid.uuid4().hex[:8]}",
        company=company,
        role=role,
        create_company=True,
        company_name=f"company {company[:6]}",
    )["id"]
    creds = root_api.impersonate(user).auth.create_credentials()["credentials"]
    client = ApiClient(root_api.base_url, key=creds["access_key"], secret=creds["secret_key"]).login()
    client.user_id = user  # type: ignore[attr-defined]
    client.company_id = company  # type: ignore[attr-defined]
    return client


@pytest.fixture
def tenant(root_api: ApiClient) -> ApiClient:
    return new_tenant(root_api)


@pytest.fixture
def make_tenant(root_api: ApiClient):  # type: ignore[no-untyped-def]
    def make(role: str = "user", company: str | None = None) -> ApiClient:
        return new_tenant(root_api, role, company)

    return make


@pytest.fixture
def fresh_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"
