"""API-level fixtures: one real server per store configuration, fresh tenants per test.

Every test that uses the session ``server`` (directly or through ``root_api``, ``tenant``,
``make_tenant``, ``anon``) runs on the store configurations STATIONMASTER_TEST_STORES names
(comma-separated; default both): ``embedded`` (litemongo, SQLite events, fakeredis) and
``team`` (FerretDB as the MongoDB server, the real Elasticsearch 7.17 node, redis-server).
``STATIONMASTER_TEST_STORES=embedded`` runs only the first (quicker while developing);
without Go, Java or redis-server the team pass is skipped locally and fails in CI.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from support.client import ApiClient
from support.responses import ResponseChecker
from support.server import ServerProcess

#: Every successful answer an API test receives is checked against its action's
#: response schema; a mismatch fails the test (see pytest_runtest_call below).
RESPONSES = ResponseChecker.load()


def pytest_configure(config: pytest.Config) -> None:
    if RESPONSES not in ApiClient.observers:
        ApiClient.observers.append(RESPONSES)


def _blame(phase: str) -> None:
    problems = RESPONSES.take()
    if problems:
        listed = "\n  ".join(problems[:20])
        pytest.fail(
            f"{phase}: {len(problems)} answer(s) do not match their response schema:\n  {listed}", pytrace=False
        )


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Iterator[None]:
    RESPONSES.take()  # answers before this test's fixtures were blamed where they came
    result = yield
    _blame("fixtures")
    return result


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    result = yield
    _blame("test")
    return result


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    result = yield
    _blame("teardown")
    return result


STORE_CONFIGURATIONS = ("embedded", "team")


def _store_params() -> list[str]:
    chosen = os.environ.get("STATIONMASTER_TEST_STORES", "")
    names = [n.strip() for n in chosen.split(",") if n.strip()] or list(STORE_CONFIGURATIONS)
    unknown = set(names) - set(STORE_CONFIGURATIONS)
    if unknown:
        raise pytest.UsageError(f"STATIONMASTER_TEST_STORES: unknown {sorted(unknown)}; use {STORE_CONFIGURATIONS}")
    return names


@pytest.fixture(scope="session")
def embedded_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """The server on the embedded stores (also for tests with store parameters of their own)."""
    proc = ServerProcess(tmp_path_factory.mktemp("server-embedded") / "data")
    with proc:
        yield proc


@pytest.fixture(scope="session")
def team_server(team_stores: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """The server on the team configuration (FerretDB, Elasticsearch, Redis)."""
    root = tmp_path_factory.mktemp("server-team")
    proc = ServerProcess(root / "data", config_dir=team_stores.config_dir(root / "config", "api", redis_db=0))
    with proc:
        yield proc


@pytest.fixture(scope="session", params=_store_params())
def server(request: pytest.FixtureRequest) -> ServerProcess:
    return request.getfixturevalue(f"{request.param}_server")  # type: ignore[no-any-return]


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


# --- the events suite (tests/api/test_events*.py): one server on each event store ---------


@pytest.fixture(scope="session")
def es_events_server(es_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """The embedded configuration with its events in the real Elasticsearch 7.17 node."""
    url = urlsplit(es_url)
    hosts = json.dumps([{"host": url.hostname, "port": url.port}])
    env = {"STATIONMASTER__hosts__elastic__events__hosts": hosts}
    proc = ServerProcess(tmp_path_factory.mktemp("es_events") / "data", env=env)
    with proc:
        yield proc


@pytest.fixture(scope="session", params=["sqlite", "elasticsearch"])
def events_root(request: pytest.FixtureRequest) -> ApiClient:
    """The admin of a server on each event store."""
    server: ServerProcess = request.getfixturevalue(
        "embedded_server" if request.param == "sqlite" else "es_events_server"
    )
    key, secret = server.admin_credentials()
    return ApiClient(server.url, key=key, secret=secret).login()
