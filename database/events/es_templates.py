"""Elasticsearch 7 index templates and index names of the event store.

Shared by the ES event store, the ES statistics store and the ES 5.6 → 7 migration. The
index layout is the reference server's (v0.16.x): one index per event type and company,
``events-<event_type>-<company_id>``, and ``worker_stats_*`` / ``queue_metrics_*`` for
the statistics. The mappings are the JSON files in ``mappings/``, in the reference's
legacy-template shape (``index_patterns``, ``order``, ``settings``, ``mappings``); they are
installed as composable templates, which ES 7.8+ has and 7.17 wants (it reports every
legacy ``_template`` as deprecated):

- the component template ``events``: the settings and fields of every event index
  (``events.json``);
- one index template per file, priority = the file's ``order``: ``events`` (``events-*``)
  and ``events_log`` / ``events_plot`` / ``events_training_debug_image`` for the types
  that have more fields, each composed of ``events`` (an index takes the one matching
  index template of highest priority, where legacy templates were merged by order);
  ``worker_stats`` and ``queue_metrics`` from ``stats_*.json``.

Legacy templates of the same names (a reference server's or an earlier version's) are
removed after the composable ones are in place, so they cannot shadow a later change.
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


COMPONENT = "events"  # the component template every event index template is composed of
FAMILIES = ("events", "stats")


@cache
def _load_templates() -> tuple[tuple[str, str], ...]:
    return tuple((path.stem, path.read_text(encoding="utf-8")) for path in sorted(MAPPINGS_DIR.glob("*.json")))


def legacy_bodies(family: str) -> dict[str, dict[str, Any]]:
    """Name → the file's body (legacy shape) of ``family`` ("events": ``events*.json``;
    "stats": ``stats_*.json``, named without the prefix). A fresh copy per call."""
    found = {}
    for stem, text in _load_templates():
        if family == "events" and stem.startswith("events"):
            found[stem] = json.loads(text)
        elif family == "stats" and stem.startswith("stats_"):
            found[stem.removeprefix("stats_")] = json.loads(text)
    return found


def composable_templates(family: str) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
    """(component templates, index templates) of ``family``, as bodies for
    ``PUT /_component_template/<name>`` and ``PUT /_index_template/<name>``."""
    bodies = legacy_bodies(family)
    components: dict[str, dict[str, Any]] = {}
    if family == "events":
        components[COMPONENT] = {"template": _template(bodies[COMPONENT])}
    index_templates = {}
    for name, body in bodies.items():
        template: dict[str, Any] = {"index_patterns": body["index_patterns"], "priority": body.get("order", 0)}
        if components:
            template["composed_of"] = list(components)
        own = {} if name in components else _template(body)
        if own:
            template["template"] = own
        index_templates[name] = template
    return components, index_templates


def _template(body: dict[str, Any]) -> dict[str, Any]:
    return {key: body[key] for key in ("settings", "mappings") if key in body}


#: ``template_steps`` kinds and the REST path of each (``{}``: the template name)
PATHS = {"component": "/_component_template/{}", "index": "/_index_template/{}", "remove_legacy": "/_template/{}"}


def template_steps(families: tuple[str, ...] = FAMILIES) -> list[tuple[str, str, dict[str, Any] | None]]:
    """``(kind, name, body)`` that install the templates of ``families``, in order: the
    component templates, the index templates, then the removal of legacy templates of
    the same names (none there is fine). ``PATHS`` gives each kind's REST path."""
    puts: list[tuple[str, str, dict[str, Any] | None]] = []
    removals: list[tuple[str, str, dict[str, Any] | None]] = []
    for family in families:
        components, index_templates = composable_templates(family)
        puts += [("component", name, body) for name, body in components.items()]
        puts += [("index", name, body) for name, body in index_templates.items()]
        removals += [("remove_legacy", name, None) for name in index_templates]
    return puts + removals


def install_templates(es: Any, families: tuple[str, ...] = FAMILIES) -> list[str]:
    """Create or replace the templates of ``families`` on the ``elasticsearch.Elasticsearch``
    client ``es`` (idempotent, as the reference re-applies its templates at each start);
    returns the index template names."""
    names = []
    for kind, name, body in template_steps(families):
        if kind == "component":
            es.cluster.put_component_template(name=name, body=body)
        elif kind == "index":
            es.indices.put_index_template(name=name, body=body)
            names.append(name)
        else:
            es.indices.delete_template(name=name, ignore=404)
    return names
