"""The immutable configuration object handed to every component."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from types import MappingProxyType
from typing import Any

_MISSING = object()


class ConfigError(Exception):
    """A configuration problem; the message names the key and where it was set."""


def _freeze(value: Any) -> Any:
    if isinstance(value, Mapping):
        return MappingProxyType({k: _freeze(v) for k, v in value.items()})
    if isinstance(value, list | tuple):
        return tuple(_freeze(v) for v in value)
    return value


def thaw(value: Any) -> Any:
    """A plain, mutable (JSON-friendly) copy of a frozen value."""
    if isinstance(value, Mapping):
        return {k: thaw(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return [thaw(v) for v in value]
    return value


class Config(Mapping[str, Any]):
    """Read-only view of merged configuration values, addressed by dotted keys.

    ``origins`` maps each dotted key to the file or environment variable that set it,
    so that errors can say where a bad value came from.
    """

    def __init__(self, values: Mapping[str, Any], origins: Mapping[str, str] | None = None, prefix: str = "") -> None:
        self._values: Mapping[str, Any] = values if isinstance(values, MappingProxyType) else _freeze(values)
        self._origins: Mapping[str, str] = MappingProxyType(dict(origins or {}))
        self._prefix = prefix

    def get(self, key: str, default: Any = _MISSING) -> Any:
        """The value at a dotted key; a section comes back as a ``Config``."""
        node: Any = self._values
        for part in key.split("."):
            if not isinstance(node, Mapping) or part not in node:
                if default is _MISSING:
                    raise ConfigError(f"missing configuration key {self._full(key)}")
                return default
            node = node[part]
        if isinstance(node, Mapping):
            return Config(node, self._origins, self._full(key))
        return node

    def __getitem__(self, key: str) -> Any:
        return self.get(key)

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def origin(self, key: str) -> str:
        """Where a dotted key (relative to this section) was last set."""
        full = self._full(key)
        while full:
            if full in self._origins:
                return self._origins[full]
            full = full.rpartition(".")[0]
        return "<defaults>"

    def to_dict(self) -> dict[str, Any]:
        return thaw(self._values)

    def _full(self, key: str) -> str:
        return f"{self._prefix}.{key}" if self._prefix else key

    def __repr__(self) -> str:
        return f"Config({self._prefix or '<root>'})"
