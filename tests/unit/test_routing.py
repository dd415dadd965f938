"""Version resolution and the endpoint registry's contract."""

from __future__ import annotations

from pathlib import Path

import pytest

from stationmaster import services
from stationmaster.config.parsed import user_cache_dirs
from stationmaster.protocol.endpoints import Endpoints, Handler
from stationmaster.protocol.versions import Version
from stationmaster.schema import SchemaError, load_schemas
from stationmaster.server.endpoints import EndpointRegistry, RegistryError

SCHEMA = """
_description: "x"
act {
    served_from: "1.0"
    "2.1" { description: "d", request { type: object }, response { type: object } }
    "2.4" { description: "d", request { type: object }, response { type: object } }
    "2.9" { description: "d", request { type: object }, response { type: object } }
    "2.10" { description: "d", request { type: object }, response { type: object } }
}
other {
    "2.4" { description: "d", request { type: object }, response { type: object } }
}
"""


def _handler(name: str) -> Handler:
    def func(call: object, company: object, request: object) -> str:
        return name

    func.__name__ = name
    return func


@pytest.fixture
def registry(tmp_path: Path) -> EndpointRegistry:
    (tmp_path / "svc.conf").write_text(SCHEMA)
    endpoints = Endpoints("svc")
    for name in ("act", "act_v2_4", "act_v2_9", "act_v2_10"):
        endpoints.handler("act")(_handler(name))
    endpoints.handler("other")(_handler("other"))
    return EndpointRegistry(load_schemas(tmp_path), [endpoints], Version(2, 9))


@pytest.mark.parametrize(
    "requested, expected, handler",
    [
        ("1.0", "1.0", "act"),  # served_from: below the first block
        ("2.3", "1.0", "act"),
        ("2.4", "2.4", "act_v2_4"),
        ("2.8", "2.4", "act_v2_4"),
        ("2.9", "2.9", "act_v2_9"),
        ("2.10", "2.10", "act_v2_10"),  # numeric, not lexical
        ("2.11", "2.10", "act_v2_10"),
        ("999.0", "2.10", "act_v2_10"),  # above the maximum: the newest handler
    ],
)
def test_the_schema_blocks_choose_the_variant(
    registry: EndpointRegistry, requested: str, expected: str, handler: str
) -> None:
    resolved = registry.resolve("svc.act", Version.parse(requested))
    assert resolved is not None and str(resolved.version) == expected
    assert resolved.func(None, None, None) == handler


def test_below_every_handler_or_unknown_is_none(registry: EndpointRegistry) -> None:
    assert registry.resolve("svc.other", Version.parse("2.3")) is None  # no served_from: its first block
    assert registry.resolve("svc.nosuch", Version.parse("2.9")) is None


def test_announced_version_does_not_follow_newer_handlers(registry: EndpointRegistry) -> None:
    # what the server claims stays the given level; newer handlers are reached on request
    assert registry.max_version == Version(2, 9)
    assert registry.newest_version == Version(2, 10)
    resolved = registry.resolve("svc.act", Version(2, 12))
    assert resolved is not None and resolved.version == Version(2, 10)


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


def test_duplicate_handler_is_refused(tmp_path: Path) -> None:
    (tmp_path / "svc.conf").write_text(SCHEMA)
    endpoints = Endpoints("svc")
    endpoints.handler("act")(_handler("act"))
    endpoints.handler("act")(_handler("act_again"))
    endpoints.handler("other")(_handler("other"))
    with pytest.raises(RegistryError, match="two handlers"):
        EndpointRegistry(load_schemas(tmp_path), [endpoints], Version(2, 9))


@pytest.mark.parametrize("variant", ["act_v2_5", "act_v3_0"])
def test_variant_without_a_schema_block_is_refused(tmp_path: Path, variant: str) -> None:
    """A handler variant names a version block of its action; a Python-only version
    (the second axis this replaced) does not start."""
    (tmp_path / "svc.conf").write_text(SCHEMA)
    endpoints = Endpoints("svc")
    endpoints.handler("act")(_handler("act"))
    endpoints.handler("act")(_handler(variant))
    endpoints.handler("other")(_handler("other"))
    with pytest.raises(RegistryError, match="has no version block"):
        EndpointRegistry(load_schemas(tmp_path), [endpoints], Version(2, 9))


def test_variants_without_a_first_handler_are_refused(tmp_path: Path) -> None:
    (tmp_path / "svc.conf").write_text(SCHEMA)
    endpoints = Endpoints("svc")
    endpoints.handler("act")(_handler("act_v2_4"))
    endpoints.handler("other")(_handler("other"))
    with pytest.raises(RegistryError, match="no first handler"):
        EndpointRegistry(load_schemas(tmp_path), [endpoints], Version(2, 9))


def test_served_from_above_the_first_block_is_a_schema_error(tmp_path: Path) -> None:
    (tmp_path / "svc.conf").write_text(SCHEMA.replace('served_from: "1.0"', 'served_from: "2.2"'))
    with pytest.raises(SchemaError, match="act.served_from"):
        load_schemas(tmp_path)


def test_every_variant_maps_to_a_schema_block_and_every_block_to_one_handler() -> None:
    """The real service modules: each handler variant is named after a version block of
    its action, and each block is served by exactly one handler, the one of the highest
    variant not above it (or the first handler)."""
    schemas = load_schemas(cache_dirs=user_cache_dirs())
    sets = services.all_endpoints()
    registry = EndpointRegistry(schemas, sets, Version(2, 9))
    for endpoint_set in sets:
        for spec in endpoint_set.handlers:
            action = schemas.action(f"{endpoint_set.service}.{spec.action}")
            assert action is not None
            if spec.variant is not None:
                assert spec.variant in [b.version for b in action.versions], spec.func.__name__
    for action in schemas.actions():
        served = registry.handler_versions(action.name)
        assert min(served) == action.served_from <= action.versions[0].version
        assert set(served) - {action.served_from} <= {b.version for b in action.versions}
        for block in action.versions:
            resolved = registry.resolve(action.name, block.version)
            assert resolved is not None, f"{action.name} {block.version}"
            assert resolved.version == max(v for v in served if v <= block.version)


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
