"""Version resolution and the endpoint registry's contract."""

from __future__ import annotations

from pathlib import Path

import pytest

from stationmaster import services
from stationmaster.config.parsed import user_cache_dirs
from stationmaster.schema import load_schemas
from stationmaster.server.endpoints import EndpointRegistry, Endpoints, RegistryError
from stationmaster.server.versions import Version

SCHEMA = """
_description: "x"
act {
    "2.1" { description: "d", request { type: object }, response { type: object } }
}
other {
    "2.4" { description: "d", request { type: object }, response { type: object } }
}
"""


@pytest.fixture
def registry(tmp_path: Path) -> EndpointRegistry:
    (tmp_path / "svc.conf").write_text(SCHEMA)
    endpoints = Endpoints("svc")
    for version in ("1.0", "2.4", "2.9", "2.10"):
        endpoints.handler("act", min_version=version)(lambda call, company, request, v=version: v)
    endpoints.handler("other", min_version="2.4")(lambda call, company, request: "other")
    return EndpointRegistry(load_schemas(tmp_path), [endpoints], Version(2, 9))


@pytest.mark.parametrize(
    "requested, expected",
    [
        ("1.0", "1.0"),
        ("2.3", "1.0"),
        ("2.4", "2.4"),
        ("2.8", "2.4"),
        ("2.9", "2.9"),
        ("2.10", "2.10"),  # numeric, not lexical
        ("2.11", "2.10"),
        ("999.0", "2.10"),  # above the maximum: the newest handler
    ],
)
def test_highest_handler_not_above_requested(registry: EndpointRegistry, requested: str, expected: str) -> None:
    resolved = registry.resolve("svc.act", Version.parse(requested))
    assert resolved is not None and str(resolved.version) == expected


def test_below_every_handler_or_unknown_is_none(registry: EndpointRegistry) -> None:
    assert registry.resolve("svc.other", Version.parse("2.3")) is None
    assert registry.resolve("svc.nosuch", Version.parse("2.9")) is None


def test_max_version_includes_handlers(registry: EndpointRegistry) -> None:
    assert registry.max_version == Version(2, 10)


def test_handler_without_schema_is_refused(tmp_path: Path) -> None:
    (tmp_path / "svc.conf").write_text(SCHEMA)
    endpoints = Endpoints("svc")
    endpoints.handler("act")(lambda *a: None)
    endpoints.handler("other")(lambda *a: None)
    endpoints.handler("ghost")(lambda *a: None)
    with pytest.raises(RegistryError, match="svc.ghost"):
        EndpointRegistry(load_schemas(tmp_path), [endpoints], Version(2, 9))


def test_schema_without_handler_is_refused(tmp_path: Path) -> None:
    (tmp_path / "svc.conf").write_text(SCHEMA)
    endpoints = Endpoints("svc")
    endpoints.handler("act")(lambda *a: None)
    with pytest.raises(RegistryError, match="svc.other"):
        EndpointRegistry(load_schemas(tmp_path), [endpoints], Version(2, 9))


def test_duplicate_handler_version_is_refused(tmp_path: Path) -> None:
    (tmp_path / "svc.conf").write_text(SCHEMA)
    endpoints = Endpoints("svc")
    endpoints.handler("act")(lambda *a: None)
    endpoints.handler("act", min_version="1.0")(lambda *a: None)
    with pytest.raises(RegistryError, match="two handlers"):
        EndpointRegistry(load_schemas(tmp_path), [endpoints], Version(2, 9))


def test_contract_every_schema_action_has_a_handler_and_back() -> None:
    """The real schemas and the real service modules match one to one."""
    schemas = load_schemas(cache_dirs=user_cache_dirs())
    sets = services.all_endpoints()
    registry = EndpointRegistry(schemas, sets, Version(2, 9))
    declared = {action.name for action in schemas.actions()}
    handled = {f"{s.service}.{h.action}" for s in sets for h in s.handlers}
    assert declared == handled == set(registry.names())
    assert {s.service for s in sets} == set(schemas.services)


@pytest.mark.parametrize("text, expected", [("2.9", (2, 9)), ("2.10", (2, 10)), ("24", (24, 0)), ("1.0", (1, 0))])
def test_version_parse(text: str, expected: tuple[int, int]) -> None:
    version = Version.parse(text)
    assert (version.major, version.minor) == expected


def test_version_ordering() -> None:
    assert Version.parse("2.10") > Version.parse("2.9") > Version.parse("2.1") > Version.parse("1.99")
    with pytest.raises(ValueError):
        Version.parse("2.x")
