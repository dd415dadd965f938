"""Elasticsearch 7 index templates and index names of the event store.

Shared by the ES event store and the ES 5.6 → 7 migration. The index layout is the
reference server's (v0.16.x): one index per event type and company,
``events-<event_type>-<company_id>``, with legacy (``_template``) index templates
from the JSON files in ``mappings/``: ``events`` (``events-*``, the common fields)
plus one template per type that needs more (``events-log-*``, ``events-plot-*``,
``events-training_debug_image-*``).
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

MAPPINGS_DIR = Path(__file__).parent / "mappings"

#: The five event types, as stored in the ``type`` field and in index names.
EVENT_TYPES: tuple[str, ...] = (
    "training_stats_scalar",
    "training_stats_vector",
    "training_debug_image",
    "plot",
    "log",
)


def event_index_name(company_id: str, event_type: str = "*") -> str:
    """``events-<event_type>-<company_id>``; ``event_type="*"`` names every event index
    of the company (a search pattern). ES index names must be lower case, so the company
    id is lower-cased (reference ids are lower-case hex already, so names are unchanged)."""
    if event_type != "*" and event_type not in EVENT_TYPES:
        raise ValueError(f"unknown event type {event_type!r}")
    return f"events-{event_type}-{company_id.lower()}"


@cache
def _load_templates() -> tuple[tuple[str, str], ...]:
    return tuple((path.stem, path.read_text(encoding="utf-8")) for path in sorted(MAPPINGS_DIR.glob("events*.json")))


def event_templates() -> dict[str, dict[str, Any]]:
    """Template name → legacy index template body (``index_patterns``, ``order``,
    ``settings``, ``mappings``), read from ``mappings/events*.json`` (the other files
    there belong to the statistics store). A fresh copy per call."""
    return {name: json.loads(text) for name, text in _load_templates()}


def install_event_templates(es: Any) -> list[str]:
    """Create or replace every event index template on the ``elasticsearch.Elasticsearch``
    client ``es`` (idempotent, as the reference re-applies them at each start); returns
    the template names."""
    names = []
    for name, body in event_templates().items():
        es.indices.put_template(name=name, body=body)
        names.append(name)
    return names
