"""The ES 7 side: index templates, typeless destination indices, bulk writes."""

from __future__ import annotations

import json
from typing import Any

from ..events.es_templates import MAPPINGS_DIR, event_templates
from .http import EsError, EsHttp

# While an index is being filled it is not refreshed; the template's value comes back after.
_BULK_SETTINGS = {"index": {"refresh_interval": "-1"}}
_NORMAL_SETTINGS = {"index": {"refresh_interval": None}}


def _stats_templates() -> dict[str, dict[str, Any]]:
    """The worker-statistics / queue-metrics templates (``mappings/stats_*.json``)."""
    return {
        path.stem.removeprefix("stats_"): json.loads(path.read_text(encoding="utf-8"))
        for path in sorted(MAPPINGS_DIR.glob("stats_*.json"))
    }


def install_templates(dest: EsHttp) -> list[str]:
    """Create or replace the event store's ES 7 templates (database/events/mappings)."""
    names = []
    for name, body in {**event_templates(), **_stats_templates()}.items():
        dest.put(f"/_template/{name}", body)
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
