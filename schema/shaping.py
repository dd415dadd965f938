"""Preparing a request body for validation: nulls and defaults.

Clients send ``null`` for optional fields they do not set (the reference server's
request models accepted that), so a ``null`` in a property whose schema does not allow
``null`` is treated as absent. Properties with a ``default`` that are absent get it, so
handlers read defaults from the one place they are declared.
"""

from __future__ import annotations

import copy
from typing import Any

_MAX_DEPTH = 8


class RequestShaper:
    def __init__(self, schema: dict[str, Any], definitions: dict[str, Any]) -> None:
        self._schema = schema
        self._definitions = definitions

    def shape(self, data: dict[str, Any]) -> dict[str, Any]:
        """Return ``data`` with nulls dropped and defaults filled (in place)."""
        self._shape_object(self._schema, data, 0)
        return data

    def _resolve(self, schema: Any) -> dict[str, Any]:
        seen = 0
        while isinstance(schema, dict) and "$ref" in schema and seen < _MAX_DEPTH:
            name = schema["$ref"].rpartition("/")[2]
            schema = self._definitions.get(name, {})
            seen += 1
        return schema if isinstance(schema, dict) else {}

    def _properties(self, schema: dict[str, Any]) -> dict[str, Any]:
        props: dict[str, Any] = dict(schema.get("properties", {}))
        for part in schema.get("allOf", ()):
            props.update(self._resolve(part).get("properties", {}))
        return props

    def _shape_object(self, schema: Any, data: dict[str, Any], depth: int) -> None:
        schema = self._resolve(schema)
        if depth > _MAX_DEPTH:
            return
        for name, prop in self._properties(schema).items():
            prop = self._resolve(prop)
            value = data.get(name)
            if value is None and name in data and not _allows_null(prop):
                del data[name]  # a null is an absent field: it gets the default below
            if name in data:
                if isinstance(value, dict) and _is_object(prop):
                    self._shape_object(prop, value, depth + 1)
            elif "default" in prop:
                data[name] = copy.deepcopy(prop["default"])


def _allows_null(schema: dict[str, Any]) -> bool:
    kind = schema.get("type")
    if kind is None:
        return True
    if isinstance(kind, list):
        return "null" in kind
    return bool(kind == "null")


def _is_object(schema: dict[str, Any]) -> bool:
    kind = schema.get("type")
    return kind == "object" or (isinstance(kind, list) and "object" in kind) or "properties" in schema
