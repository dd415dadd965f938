"""Hyper-parameter and configuration keys as stored, and the legacy bridge.

Section and parameter names may contain characters MongoDB does not allow in keys, so
they are escaped on the way in and unescaped on the way out. Clients below API 2.9 send
and read ``execution.parameters`` / ``execution.model_desc``; those are kept as items of
type ``legacy`` in ``hyperparams`` / ``configuration`` and copied back for old readers.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ...protocol import errors

DEFAULT_SECTION = "Args"
LEGACY_TYPE = "legacy"
TF_DEFINE_SECTION = "TF_DEFINE"

_ESCAPES = (("%", "%%"), (".", "%2E"), ("$", "%24"), ("__", "%_%_"))


def escape_key(key: str) -> str:
    """``%`` → ``%%``, ``.`` → ``%2E``, ``$`` → ``%24``, ``__`` → ``%_%_``, leading ``_`` → ``%_``."""
    for raw, escaped in _ESCAPES:
        key = key.replace(raw, escaped)
    if key.startswith("_"):
        key = "%" + key
    return key


def unescape_key(key: str) -> str:
    if key.startswith("%_") and not key.startswith("%_%_"):
        key = key[1:]
    result: list[str] = []
    i = 0
    while i < len(key):
        for raw, escaped in (("%%", "%"), ("%2E", "."), ("%24", "$"), ("%_%_", "__")):
            if key.startswith(raw, i):
                result.append(escaped)
                i += len(raw)
                break
        else:
            result.append(key[i])
            i += 1
    return "".join(result)


def _non_empty(name: str, what: str) -> str:
    if not name:
        raise errors.VALIDATION_ERROR(f"Empty {what} name is not allowed")
    return name


def escape_hyperparams(params: Mapping[str, Any]) -> dict[str, Any]:
    return {
        escape_key(_non_empty(section, "section")): {
            escape_key(_non_empty(name, "parameter")): item for name, item in (values or {}).items()
        }
        for section, values in params.items()
    }


def escape_configuration(config: Mapping[str, Any]) -> dict[str, Any]:
    return {escape_key(_non_empty(name, "configuration")): item for name, item in config.items()}


def unescape_hyperparams(params: Mapping[str, Any] | None) -> dict[str, Any]:
    return {
        unescape_key(section): (
            {unescape_key(name): item for name, item in values.items()} if isinstance(values, dict) else values
        )
        for section, values in (params or {}).items()
    }


def unescape_configuration(config: Mapping[str, Any] | None) -> dict[str, Any]:
    return {unescape_key(name): item for name, item in (config or {}).items()}


def _split_legacy_name(full_name: str) -> tuple[str, str]:
    section, _, name = full_name.partition("/")
    if section != TF_DEFINE_SECTION:
        return DEFAULT_SECTION, full_name
    if not name:
        raise errors.VALIDATION_ERROR("Parameter name cannot be empty", name=full_name)
    return section, name


def _without_legacy(items: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in items.items() if not (isinstance(v, dict) and v.get("type") == LEGACY_TYPE)}


def _previous_without_legacy(previous: Mapping[str, Any] | None, key: str) -> tuple[dict[str, Any], int]:
    """The stored ``hyperparams``/``configuration`` (unescaped) without legacy items, and
    how many legacy items were dropped."""
    stored = (previous or {}).get(key)
    if key == "configuration":
        config = unescape_configuration(stored)
        kept = _without_legacy(config)
        return kept, len(config) - len(kept)
    sections, dropped = {}, 0
    for section, values in unescape_hyperparams(stored).items():
        if not isinstance(values, dict):
            continue
        kept = _without_legacy(values)
        dropped += len(values) - len(kept)
        if kept:
            sections[section] = kept
    return sections, dropped


def _merge_legacy(
    fields: dict[str, Any], key: str, legacy: Mapping[str, Any], previous: Mapping[str, Any] | None
) -> None:
    target = fields.get(key)
    if not target:
        target, dropped = _previous_without_legacy(previous, key)
        if not legacy and not dropped:
            return  # nothing legacy to add or remove: leave the stored items alone
    for full_name, value in legacy.items():
        if key == "configuration":
            target[full_name] = {"name": full_name, "type": LEGACY_TYPE, "value": str(value)}
            continue
        section, name = _split_legacy_name(full_name)
        item = {"section": section, "name": name, "type": LEGACY_TYPE, "value": str(value)}
        target.setdefault(section, {})[name] = item
    fields[key] = target


def prepare_for_save(fields: dict[str, Any], previous: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Move legacy ``execution.parameters`` / ``model_desc`` into ``hyperparams`` /
    ``configuration`` (replacing the previous legacy items) and escape every key.
    ``fields`` carries API (unescaped) names; ``previous`` is the stored task."""
    execution = fields.get("execution")
    if isinstance(execution, dict):
        for old, new in (("parameters", "hyperparams"), ("model_desc", "configuration")):
            legacy = execution.pop(old, None)
            if legacy is not None:
                _merge_legacy(fields, new, legacy, previous)
    if fields.get("hyperparams"):
        fields["hyperparams"] = escape_hyperparams(fields["hyperparams"])
    if fields.get("configuration"):
        fields["configuration"] = escape_configuration(fields["configuration"])
    return fields


def _legacy_items(values: Iterable[Any]) -> list[dict[str, Any]]:
    return [v for v in values if isinstance(v, dict) and v.get("type") == LEGACY_TYPE]


def prepare_for_output(doc: dict[str, Any], legacy: bool) -> dict[str, Any]:
    """Unescape keys; with ``legacy`` (API < 2.9) also fill ``execution.parameters`` and
    ``execution.model_desc`` from the legacy items."""
    if "hyperparams" in doc:
        doc["hyperparams"] = unescape_hyperparams(doc["hyperparams"])
    if "configuration" in doc:
        doc["configuration"] = unescape_configuration(doc["configuration"])
    if not legacy:
        return doc
    hyper_items = [
        i for values in (doc.get("hyperparams") or {}).values() if isinstance(values, dict) for i in values.values()
    ]
    params = _legacy_items(hyper_items)
    if params:
        doc.setdefault("execution", {})
        doc["execution"] = dict(doc["execution"] or {})
        doc["execution"]["parameters"] = {_legacy_full_name(p): p.get("value") for p in params}
    descs = _legacy_items((doc.get("configuration") or {}).values())
    if descs:
        doc["execution"] = dict(doc.get("execution") or {})
        doc["execution"]["model_desc"] = {d.get("name"): d.get("value") for d in descs}
    return doc


def _legacy_full_name(item: Mapping[str, Any]) -> str:
    if item.get("section") == TF_DEFINE_SECTION:
        return f"{TF_DEFINE_SECTION}/{item.get('name')}"
    return str(item.get("name"))


def escape_path(path: str, ordering: bool = False) -> str:
    """A ``hyperparams``/``configuration`` field path as stored (section and names
    escaped); a legacy ``execution.parameters.<name>`` path points at its Args item
    (its ``value`` when ordering)."""
    sign = "-" if path.startswith("-") else ""
    body = path[len(sign) :]
    suffix = ".value" if ordering else ""
    for legacy, home in (
        ("execution.parameters.", f"hyperparams.{DEFAULT_SECTION}."),
        ("execution.model_desc.", "configuration."),
    ):
        if body.startswith(legacy):
            return sign + home + escape_key(body[len(legacy) :]) + suffix
    parts = body.split(".")
    depth = {"hyperparams": 2, "configuration": 1}.get(parts[0], 0)
    if depth and len(parts) > 1:
        # keys may arrive escaped already (the web UI escapes dots): normalise first
        named = [escape_key(unescape_key(p)) for p in parts[1 : 1 + depth]]
        body = ".".join([parts[0], *named, *parts[1 + depth :]])
    return sign + body
