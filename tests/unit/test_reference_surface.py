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


#: The reference's current surface (clearml-server v2.0.0, API 2.31): name → the lowest
#: version of its handlers and of its schema blocks there.
V2_0: dict[str, dict[str, str]] = {
    k: v
    for k, v in json.loads((Path(__file__).parent / "data" / "reference_v2_0_actions.json").read_text()).items()
    if not k.startswith("_")
}
#: v2.0 actions not served yet, and the issue that serves them. The test fails when one
#: is served and still listed, so the list is exactly what is left.
NOT_YET: dict[str, str] = {}


def test_v2_0_table_is_complete() -> None:
    assert len(V2_0) == 202
    assert len({name.split(".")[0] for name in V2_0}) == 16
    assert set(REFERENCE) <= set(V2_0), "the reference removed no action"
    assert set(LATER) - set(V2_0) == {"workers.get_runtime_properties"}  # clearml-agent's, no reference action


def test_every_v2_0_action_is_served_at_its_reference_versions(registry: EndpointRegistry) -> None:
    """The 202-action contract: each action is served, from its reference handlers' or
    schema's lowest version (the later ones here from their first schema block, see
    docs/api.md; v0.16.1's where v2.0 raised it), and at 2.31; NOT_YET lists exactly the ones still missing."""
    served = set(registry.names())
    missing = sorted(set(V2_0) - served)
    assert missing == sorted(NOT_YET), f"missing: {sorted(set(missing) - set(NOT_YET))}; served now: " + str(
        sorted(set(NOT_YET) - set(missing))
    )
    for name in sorted(set(V2_0) & served):
        lowest = min(registry.handler_versions(name))
        reference = {Version.parse(V2_0[name]["handlers"]), Version.parse(V2_0[name]["schema"])}
        if name in REFERENCE:  # v0.16.1's lowest stays for its clients where v2.0 raised it
            reference.add(min(Version.parse(v) for v in REFERENCE[name]["handlers"]))
        assert lowest in reference, f"{name}: served from {lowest}, the reference from {sorted(reference)}"
        assert registry.resolve(name, Version(2, 31)) is not None, name


def test_the_actions_page_is_current() -> None:
    """docs/api-actions.md is what tests/support/actions_table.py prints (regenerate it
    with that command after adding or changing an action)."""
    from support.actions_table import table

    page = Path(__file__).resolve().parents[2] / "docs/api-actions.md"
    assert page.read_text() == table(), "docs/api-actions.md is stale: .venv/bin/python tests/support/actions_table.py"
