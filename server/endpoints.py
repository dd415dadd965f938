"""Declaring handlers (``Endpoints``) and resolving a name and version to one
(``EndpointRegistry``).

Each ``services/<service>.py`` module owns one ``Endpoints`` object; decorating a
function records it there and nowhere else. ``EndpointRegistry`` is built from the
loaded schemas and the explicit list of service modules (``services.SERVICE_MODULES``,
imported by ``services.all_endpoints()``), and refuses to build when a handler has no
schema or a schema action no handler.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from ..schema import ActionSchema, SchemaRepo
from .versions import Version

Handler = Callable[..., Any]


@dataclass(frozen=True)
class HandlerSpec:
    action: str
    min_version: Version
    func: Handler


class Endpoints:
    """The handlers of one service."""

    def __init__(self, service: str) -> None:
        self.service = service
        self.handlers: list[HandlerSpec] = []

    def handler(self, action: str, min_version: str = "1.0") -> Callable[[Handler], Handler]:
        """Register ``func(call, company_id, request)`` for ``service.action`` from
        ``min_version`` on; a later version is another function, ``<action>_v2_9``."""

        def decorate(func: Handler) -> Handler:
            self.handlers.append(HandlerSpec(action, Version.parse(min_version), func))
            return func

        return decorate


@dataclass(frozen=True)
class Resolved:
    schema: ActionSchema
    version: Version  # the handler's min_version, reported as actual_version
    func: Handler


class RegistryError(Exception):
    pass


class EndpointRegistry:
    def __init__(self, schemas: SchemaRepo, endpoint_sets: Iterable[Endpoints], max_version: Version) -> None:
        self.schemas = schemas
        self._handlers: dict[str, list[HandlerSpec]] = {}
        for endpoints in endpoint_sets:
            for spec in endpoints.handlers:
                name = f"{endpoints.service}.{spec.action}"
                if schemas.action(name) is None:
                    raise RegistryError(f"handler {spec.func.__module__}.{spec.func.__name__} has no schema {name}")
                entries = self._handlers.setdefault(name, [])
                if any(e.min_version == spec.min_version for e in entries):
                    raise RegistryError(f"two handlers for {name} at version {spec.min_version}")
                entries.append(spec)
        for entries in self._handlers.values():
            entries.sort(key=lambda e: e.min_version, reverse=True)
        missing = sorted(a.name for a in schemas.actions() if a.name not in self._handlers)
        if missing:
            raise RegistryError(f"schema actions without a handler: {', '.join(missing)}")
        self.max_version = max([max_version] + [e[0].min_version for e in self._handlers.values()])

    def names(self) -> list[str]:
        return sorted(self._handlers)

    def handler_versions(self, name: str) -> list[Version]:
        return [e.min_version for e in self._handlers.get(name, ())]

    def resolve(self, name: str, requested: Version) -> Resolved | None:
        """The handler with the highest ``min_version`` not above ``requested``."""
        entries = self._handlers.get(name)
        if not entries:
            return None
        for entry in entries:
            if entry.min_version <= requested:
                schema = self.schemas.action(name)
                assert schema is not None
                return Resolved(schema, entry.min_version, entry.func)
        return None
