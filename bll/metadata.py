"""Metadata of queues and models (API 2.13): items ``{key, type, value}`` kept in the
document's ``metadata`` dictionary under their escaped keys, as the reference keeps them.

A key may hold characters MongoDB refuses in field names (``.``, ``$``, a leading
``_``): it is escaped as hyper-parameter keys are, and unescaped on the way out.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ..protocol import errors
from .task.params import escape_key, unescape_key

FIELD = "metadata"


def _item(key: Any, item: Mapping[str, Any]) -> dict[str, Any]:
    if not isinstance(key, str) or not key:
        raise errors.VALIDATION_ERROR("a metadata item needs a non-empty key", field="metadata.key")
    stored = {k: item[k] for k in ("type", "value") if item.get(k) is not None}
    return {"key": key, **stored}


def from_api(items: Mapping[str, Any] | Iterable[Mapping[str, Any]] | None) -> dict[str, dict[str, Any]]:
    """The stored dictionary of a request's items: a list of items (each with its key)
    or a dictionary by key (create / update); the last of equal keys wins."""
    if not items:
        return {}
    pairs = items.items() if isinstance(items, Mapping) else ((i.get("key"), i) for i in items)
    result = {}
    for key, item in pairs:
        if isinstance(items, Mapping) and isinstance(item, Mapping) and item.get("key"):
            key = item["key"]  # a dictionary's item names its own key where it has one
        stored = _item(key, item if isinstance(item, Mapping) else {})
        result[escape_key(stored["key"])] = stored
    return result


def to_api(doc: dict[str, Any]) -> dict[str, Any]:
    """The document with its metadata keyed by the items' own keys (in place)."""
    stored = doc.get(FIELD)
    if isinstance(stored, Mapping):
        doc[FIELD] = {unescape_key(k): v for k, v in stored.items()}
    return doc


def set_update(items: Iterable[Mapping[str, Any]], replace: bool) -> dict[str, Any]:
    """The ``$set`` of add_or_update_metadata: the items, or the whole dictionary."""
    stored = from_api(items)
    if replace:
        return {FIELD: stored}
    return {f"{FIELD}.{k}": v for k, v in stored.items()}


def unset_paths(keys: Iterable[str]) -> list[str]:
    """The paths delete_metadata unsets."""
    return [f"{FIELD}.{escape_key(k)}" for k in dict.fromkeys(keys) if k]


_ITEM_FIELDS = (".value", ".type", ".key")


def escape_path(path: str) -> str:
    """``metadata.<key>[.value|.type|.key]`` (a leading ``-`` kept) with the key in its
    stored form; any other path as it is."""
    sign, bare = ("-", path[1:]) if path.startswith("-") else ("", path)
    if not bare.startswith(FIELD + ".") or len(bare) == len(FIELD) + 1:
        return path
    rest = bare[len(FIELD) + 1 :]
    suffix = next((s for s in _ITEM_FIELDS if rest.endswith(s) and len(rest) > len(s)), "")
    key = rest[: len(rest) - len(suffix)]
    return f"{sign}{FIELD}.{escape_key(key)}{suffix}"


def escape_request(request: Mapping[str, Any]) -> dict[str, Any]:
    """A get_all request with its metadata paths (filter keys, only_fields, order_by) in
    their stored form."""
    result = {escape_path(k) if isinstance(k, str) else k: v for k, v in request.items()}
    for control in ("only_fields", "order_by"):
        value = result.get(control)
        if isinstance(value, list):
            result[control] = [escape_path(p) if isinstance(p, str) else p for p in value]
        elif isinstance(value, str):
            result[control] = escape_path(value)
    return result


def filter_of(request: Mapping[str, Any]) -> dict[str, Any] | None:
    """The clause of the request's ``metadata.*`` filter keys (a list: any of its
    values), None when it has none."""
    clauses: list[dict[str, Any]] = []
    for key, value in request.items():
        if not isinstance(key, str) or not key.startswith(FIELD + ".") or value is None:
            continue
        if isinstance(value, list):
            clauses.append({key: {"$in": [v for v in value if isinstance(v, str | int | float | bool)]}})
        elif isinstance(value, str | int | float | bool):
            clauses.append({key: value})
        else:
            raise errors.VALIDATION_ERROR("a metadata filter is a value or a list of values", field=key)
    if not clauses:
        return None
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}
