"""The ES 7 side: index templates, typeless destination indices, bulk writes."""

from __future__ import annotations

import json
from typing import Any

from ..events.es_templates import PATHS, template_steps
from .http import EsError, EsHttp

# While an index is being filled it is not refreshed; the template's value comes back after.
_BULK_SETTINGS = {"index": {"refresh_interval": "-1"}}
_NORMAL_SETTINGS = {"index": {"refresh_interval": None}}


def install_templates(dest: EsHttp) -> list[str]:
    """Create or replace the event and statistics stores' ES 7 templates, as the server
    does (database/events/es_templates.py); returns the index template names."""
    names = []
    for kind, name, body in template_steps():
        path = PATHS[kind].format(name)
        if kind == "remove_legacy":
            dest.delete(path, ok=(404,))
        else:
            dest.put(path, body)
        if kind == "index":
            names.append(name)
    return names


def prepare_index(dest: EsHttp, index: str) -> None:
    """Create ``index`` (typeless, from the templates) unless it exists; stop refreshes."""
    if not dest.exists(f"/{index}"):
        try:
            dest.put(f"/{index}", {})
        except EsError as ex:  # created meanwhile by another run or the server
            if "resource_already_exists" not in str(ex):
                raise
    dest.put(f"/{index}/_settings", _BULK_SETTINGS)


def finish_index(dest: EsHttp, index: str) -> None:
    """Restore the refresh interval and make everything written searchable."""
    dest.put(f"/{index}/_settings", _NORMAL_SETTINGS)
    dest.post(f"/{index}/_refresh")


def bulk_index(dest: EsHttp, index: str, docs: list[tuple[str, dict[str, Any]]]) -> None:
    """Index ``(id, source)`` pairs into ``index`` (overwriting same ids); raises
    ``EsError`` naming the first rejected document."""
    if not docs:
        return
    lines = []
    for doc_id, source in docs:
        lines.append(json.dumps({"index": {"_id": doc_id}}))
        lines.append(json.dumps(source, separators=(",", ":")))
    res = dest.post(f"/{index}/_bulk", ndjson=("\n".join(lines) + "\n").encode())
    if res.get("errors"):
        failed = [item["index"] for item in res["items"] if item["index"].get("error")]
        first = failed[0]
        raise EsError(
            f"{index}: {len(failed)} of {len(docs)} documents rejected; first {first.get('_id')}: "
            f"{first['error'].get('type')}: {first['error'].get('reason')}"
        )
