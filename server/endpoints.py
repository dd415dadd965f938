"""Declaring handlers (``Endpoints``) and resolving a name and version to one
(``EndpointRegistry``).

Each ``services/<service>.py`` module owns one ``Endpoints`` object; decorating a
function records it there and nowhere else. ``EndpointRegistry`` is built from the
loaded schemas and the explicit list of service modules (``services.SERVICE_MODULES``,
imported by ``services.all_endpoints()``), and refuses to build when a handler has no
schema or a schema action no handler.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from ..schema import ActionSchema, SchemaRepo
from .versions import Version

Handler = Callable[..., Any]


#: A later variant of a handler is named after the schema block it serves from:
#: ``debug_images_v2_7`` runs for ``events.debug_images`` from its block "2.7" on.
_VARIANT = re.compile(r"_v(\d+)_(\d+)$")


@dataclass(frozen=True)
class HandlerSpec:
    action: str
    variant: Version | None  # None: the action's first handler; else a schema block's version
    func: Handler


class Endpoints:
    """The handlers of one service."""

    def __init__(self, service: str) -> None:
        self.service = service
        self.handlers: list[HandlerSpec] = []

    def handler(self, action: str) -> Callable[[Handler], Handler]:
        """Register ``func(call, company_id, request)`` for ``service.action``.

        Which versions it serves is the schema's to say: a function named
        ``<name>_v<major>_<minor>`` is the variant for the action's version block
        ``major.minor`` (and the blocks after it, up to the next variant); any other name is
        the action's first handler, served from the action's ``served_from`` version
        (default: its first block)."""

        def decorate(func: Handler) -> Handler:
            match = _VARIANT.search(func.__name__)
            variant = Version(int(match.group(1)), int(match.group(2))) if match else None
            self.handlers.append(HandlerSpec(action, variant, func))
            return func

        return decorate


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

    def __init__(self, schemas: SchemaRepo, endpoint_sets: Iterable[Endpoints], max_version: Version) -> None:
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
        self.max_version = max([max_version] + [e[0].version for e in self._handlers.values()])

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
