"""Resolving a name and version to a handler (``EndpointRegistry``).

Handlers are declared with ``protocol.endpoints.Endpoints``: each ``services/<service>.py``
module owns one, and decorating a function records it there and nowhere else. The
registry is built from the
loaded schemas and the explicit list of service modules (``services.SERVICE_MODULES``,
imported by ``services.all_endpoints()``), and refuses to build when a handler has no
schema or a schema action no handler.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ..protocol.endpoints import Endpoints, Handler, HandlerSpec
from ..protocol.versions import Version
from ..schema import ActionSchema, SchemaRepo


@dataclass(frozen=True)
class Resolved:
    schema: ActionSchema
    version: Version  # the version the handler serves from, reported as actual_version
    func: Handler


@dataclass(frozen=True)
class _Entry:
    version: Version
    func: Handler


class RegistryError(Exception):
    pass


class EndpointRegistry:
    """Which handler serves a name and version, as the schemas declare it: the action's
    first handler from its ``served_from`` version, each variant from its block's."""

    def __init__(self, schemas: SchemaRepo, endpoint_sets: Iterable[Endpoints], announced: Version) -> None:
        """``announced``: the API level the server claims (``version.API_VERSION``); it is
        what unversioned calls resolve to and what ``check_max_version`` compares with,
        even when some actions have handlers of later versions (docs/architecture.md)."""
        self.schemas = schemas
        self._handlers: dict[str, list[_Entry]] = {}
        for endpoints in endpoint_sets:
            for spec in endpoints.handlers:
                name = f"{endpoints.service}.{spec.action}"
                action = schemas.action(name)
                where = f"handler {spec.func.__module__}.{spec.func.__name__}"
                if action is None:
                    raise RegistryError(f"{where} has no schema {name}")
                self._add(name, _Entry(_served_version(where, action, spec), spec.func))
        for name, entries in self._handlers.items():
            entries.sort(key=lambda e: e.version, reverse=True)
            if entries[-1].version != self._first_version(name):
                raise RegistryError(f"{name} has no first handler (a function without a _vX_Y suffix)")
        missing = sorted(a.name for a in schemas.actions() if a.name not in self._handlers)
        if missing:
            raise RegistryError(f"schema actions without a handler: {', '.join(missing)}")
        #: Handlers of later versions (events up to 2.30) are reached by callers that ask
        #: for such a version; the announced level does not follow them, or SDKs would
        #: switch every service to request shapes not served yet.
        self.max_version = announced
        self.newest_version = max([announced] + [e[0].version for e in self._handlers.values()])

    def _add(self, name: str, entry: _Entry) -> None:
        entries = self._handlers.setdefault(name, [])
        if any(e.version == entry.version for e in entries):
            raise RegistryError(f"two handlers for {name} at version {entry.version}")
        entries.append(entry)

    def _first_version(self, name: str) -> Version:
        action = self.schemas.action(name)
        assert action is not None
        return action.served_from

    def names(self) -> list[str]:
        return sorted(self._handlers)

    def handler_versions(self, name: str) -> list[Version]:
        return [e.version for e in self._handlers.get(name, ())]

    def resolve(self, name: str, requested: Version) -> Resolved | None:
        """The handler serving the highest version not above ``requested``."""
        entries = self._handlers.get(name)
        if not entries:
            return None
        for entry in entries:
            if entry.version <= requested:
                schema = self.schemas.action(name)
                assert schema is not None
                return Resolved(schema, entry.version, entry.func)
        return None


def _served_version(where: str, action: ActionSchema, spec: HandlerSpec) -> Version:
    """The version ``spec`` serves from: the action's ``served_from`` for its first
    handler, the named block's version for a variant (which must exist)."""
    if spec.variant is None:
        return action.served_from
    blocks = [block.version for block in action.versions]
    if spec.variant not in blocks:
        listed = ", ".join(str(v) for v in blocks)
        raise RegistryError(f"{where}: {action.name} has no version block {spec.variant} (blocks: {listed})")
    if spec.variant <= action.served_from:
        raise RegistryError(f"{where}: {action.name} is served by its first handler at {spec.variant}")
    return spec.variant
