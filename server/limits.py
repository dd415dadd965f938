"""Length limits on the fields every service shares (issue 13): names, tags, comments.

Checked by the dispatcher on each validated request (and batch item), before the handler
runs: a longer value is 400/12 naming the field and the configuration key. The limits
are ``apiserver.limits.*`` (config/default/apiserver.conf, docs/security.md); the
defaults are far above what the SDKs, agents and the web app send. ``name`` also
bounds name filters (patterns); ``search_text`` and the ``_any_``/``_all_`` patterns have
the pattern limit. What patterns may contain is checked where they are compiled
(bll/patterns.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..config import Config
from ..protocol import errors

_NAME_FIELDS = ("name",)
_TEXT_FIELDS = ("comment", "description")
_TAG_FIELDS = ("tags", "system_tags")
_MULTI_FIELD_FILTERS = ("_any_", "_all_", "_or_", "_and_")


@dataclass(frozen=True)
class RequestLimits:
    name: int = 8192
    text: int = 262144
    tag: int = 1024
    tags: int = 1000
    pattern: int = 8192

    @classmethod
    def from_config(cls, config: Config) -> RequestLimits:
        limits = config.get("apiserver.limits")
        if not limits:
            return cls()
        return cls(**{k: int(limits.get(k, getattr(cls, k))) for k in ("name", "text", "tag", "tags", "pattern")})

    def check(self, request: Mapping[str, Any], where: str | None = None) -> None:
        """400/12 for the first top-level field of ``request`` over its limit."""
        prefix = f"{where}: " if where else ""
        for fields, limit, key in ((_NAME_FIELDS, self.name, "name"), (_TEXT_FIELDS, self.text, "text")):
            for name in fields:
                value = request.get(name)
                if isinstance(value, str) and len(value) > limit:
                    raise _too_long(f"{prefix}field {name}", f"{limit} characters", key)
        self._check_patterns(request, prefix)
        for name in _TAG_FIELDS:
            values = request.get(name)
            if not isinstance(values, list):
                continue
            if len(values) > self.tags:
                raise _too_long(f"{prefix}field {name}", f"{self.tags} items", "tags")
            for index, value in enumerate(values):
                if isinstance(value, str) and len(value) > self.tag:
                    raise _too_long(f"{prefix}field {name}.{index}", f"{self.tag} characters", "tag")

    def _check_patterns(self, request: Mapping[str, Any], prefix: str) -> None:
        texts = [("search_text", request.get("search_text"))]
        for name in _MULTI_FIELD_FILTERS:
            value = request.get(name)
            if isinstance(value, Mapping):
                texts.append((f"{name}.pattern", value.get("pattern")))
        for name, value in texts:
            if isinstance(value, str) and len(value) > self.pattern:
                raise _too_long(f"{prefix}field {name}", f"{self.pattern} characters", "pattern")


def _too_long(field: str, limit: str, key: str) -> errors.ApiError:
    return errors.VALIDATION_ERROR(f"{field}: longer than {limit} (apiserver.limits.{key})")
