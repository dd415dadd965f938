"""The v0.16.1 surface, action by action: every action the reference server v0.16.1
serves exists here, callable from the same lowest version, with the same flags.

``data/reference_v0_16_1_actions.json`` holds the facts of clearml-server v0.16.1's
schema and ``endpoint`` declarations (handler min-versions, ``internal``, ``authorize``,
``allow_roles`` per action).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from stationmaster import services
from stationmaster.config.parsed import user_cache_dirs
from stationmaster.protocol.versions import Version
from stationmaster.schema import SchemaRepo, load_schemas
from stationmaster.server.endpoints import EndpointRegistry

REFERENCE: dict[str, dict[str, Any]] = json.loads(
    (Path(__file__).parent / "data" / "reference_v0_16_1_actions.json").read_text()
)
#: Later reference actions served here (issues 17, 18): name → lowest handler version there.
LATER: dict[str, str] = {
    k: v
    for k, v in json.loads((Path(__file__).parent / "data" / "reference_later_actions.json").read_text()).items()
    if not k.startswith("_")
}


@pytest.fixture(scope="module")
def schemas() -> SchemaRepo:
    return load_schemas(cache_dirs=user_cache_dirs())


@pytest.fixture(scope="module")
def registry(schemas: SchemaRepo) -> EndpointRegistry:
    return EndpointRegistry(schemas, services.all_endpoints(), Version(2, 9))


def test_reference_table_is_complete() -> None:
    assert len(REFERENCE) == 123
    assert len({name.split(".")[0] for name in REFERENCE}) == 11


@pytest.mark.parametrize("name", sorted(REFERENCE))
def test_action_is_served_from_the_reference_lowest_version(registry: EndpointRegistry, name: str) -> None:
    expected = REFERENCE[name]
    assert name in registry.names(), f"{name} is not served"
    lowest = min(Version.parse(v) for v in expected["handlers"])
    ours = registry.handler_versions(name)
    assert min(ours) == lowest, f"{name}: lowest handler {min(ours)}, reference {lowest}"
    below = Version(lowest.major, lowest.minor - 1) if lowest.minor else Version(lowest.major - 1, 9)
    if lowest > Version(1, 0):
        assert registry.resolve(name, below) is None, f"{name} must not route at {below}"
    assert registry.resolve(name, Version(2, 9)) is not None
    assert registry.resolve(name, Version(2, 20)) is not None  # agents ask above the maximum


@pytest.mark.parametrize("name", sorted(REFERENCE))
def test_action_flags_match_the_reference(schemas: SchemaRepo, name: str) -> None:
    action = schemas.action(name)
    assert action is not None
    expected = REFERENCE[name]
    assert action.internal == expected["internal"]
    assert action.authorize == expected["authorize"]
    if expected["allow_roles"] is not None:
        assert sorted(action.allow_roles) == expected["allow_roles"]


def test_no_action_beyond_the_reference_surface(registry: EndpointRegistry) -> None:
    assert sorted(set(registry.names()) - set(REFERENCE) - set(LATER)) == []


@pytest.mark.parametrize("name", sorted(LATER))
def test_later_action_is_served_from_its_reference_version(registry: EndpointRegistry, name: str) -> None:
    assert name not in REFERENCE
    assert min(registry.handler_versions(name)) == Version.parse(LATER[name])
