"""Version-dependent shapes of task requests and documents.

Below API 2.3 there is one ``tags`` list: the system tag names are split out of it on
input and merged back on output. Below 2.9 the legacy parameter fields are filled
(``params.prepare_for_output``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ...server.versions import Version
from .params import prepare_for_output

V2_3 = Version(2, 3)
V2_9 = Version(2, 9)

_SYSTEM_TAG_NAMES = {"active", "archived", "development"}
_SYSTEM_TAG_PREFIXES = ("annotat",)
# never part of an API answer
_HIDDEN = ("company_origin",)


def _is_system(tag: str) -> bool:
    name = tag[1:] if tag.startswith("-") else tag
    return name in _SYSTEM_TAG_NAMES or any(tag.lower().startswith(p) for p in _SYSTEM_TAG_PREFIXES)


def partition_tags(tags: Sequence[str], system_tags: Sequence[str] = ()) -> tuple[list[str], list[str]]:
    """(user tags, system tags) of a pre-2.3 ``tags`` list."""
    system = sorted(set(system_tags) | {t for t in tags if _is_system(t)})
    return sorted(set(tags) - set(system)), system


def conform_request_tags(request: dict[str, Any], version: Version, prefix: str = "") -> None:
    """Below 2.3 move system tag names from ``tags`` into ``system_tags`` (in place)."""
    key, sys_key = f"{prefix}tags", f"{prefix}system_tags"
    if version >= V2_3 or request.get(key) is None:
        return
    request[key], request[sys_key] = partition_tags(request[key], request.get(sys_key) or ())


def task_for_output(doc: dict[str, Any], version: Version) -> dict[str, Any]:
    """The API form of a stored task for the requested version (in place)."""
    for key in _HIDDEN:
        doc.pop(key, None)
    prepare_for_output(doc, legacy=version < V2_9)
    if version < V2_3 and "system_tags" in doc:
        doc["tags"] = sorted(set(doc.get("tags") or []) | set(doc.pop("system_tags") or []))
    return doc
