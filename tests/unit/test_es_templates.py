"""The Elasticsearch templates (database/events/es_templates.py): composable templates
built from the mapping files, installed without a deprecation warning, replacing the
legacy templates a reference server (or an earlier version) left, and giving every index
family the reference's mappings."""

from __future__ import annotations

import warnings
from typing import Any

import pytest
from elasticsearch import Elasticsearch
from elasticsearch.exceptions import ElasticsearchWarning

from stationmaster.database.events.es_templates import (
    COMPONENT,
    composable_templates,
    install_templates,
    legacy_bodies,
)


def test_event_index_templates_are_composed_of_the_common_part() -> None:
    components, templates = composable_templates("events")
    common = legacy_bodies("events")["events"]
    assert components == {COMPONENT: {"template": {"settings": common["settings"], "mappings": common["mappings"]}}}
    assert set(templates) == {"events", "events_log", "events_plot", "events_training_debug_image"}
    assert templates["events"] == {"index_patterns": ["events-*"], "priority": 0, "composed_of": ["events"]}
    log = templates["events_log"]
    assert log["index_patterns"] == ["events-log-*"] and log["priority"] == 1 and log["composed_of"] == ["events"]
    assert set(log["template"]["mappings"]["properties"]) == {"msg", "level"}


def test_statistics_index_templates_stand_alone() -> None:
    components, templates = composable_templates("stats")
    assert components == {} and set(templates) == {"worker_stats", "queue_metrics", "serving_stats"}
    assert templates["worker_stats"]["index_patterns"] == ["worker_stats_*"]
    assert "composed_of" not in templates["worker_stats"]
    assert templates["queue_metrics"]["template"]["mappings"]["properties"]["queue"] == {"type": "keyword"}


def _properties(es: Elasticsearch, index: str) -> dict[str, Any]:
    es.indices.create(index=index)
    try:
        return dict(es.indices.get_mapping(index=index)[index]["mappings"]["properties"])
    finally:
        es.indices.delete(index=index)


@pytest.mark.es
def test_installed_templates_replace_legacy_ones_and_map_every_family(es_url: str) -> None:
    es = Elasticsearch([es_url], timeout=30)
    legacy = {"index_patterns": ["events-log-*"], "order": 5, "mappings": {"properties": {"msg": {"type": "keyword"}}}}
    with warnings.catch_warnings():  # what a reference server left: legacy templates
        warnings.simplefilter("ignore", ElasticsearchWarning)
        es.indices.put_template(name="events_log", body=legacy)
    with pytest.warns(ElasticsearchWarning, match="will take precedence"):  # once, on the upgrade
        install_templates(es)
    assert not es.indices.exists_template(name="events_log")
    with warnings.catch_warnings():
        warnings.simplefilter("error", ElasticsearchWarning)  # e.g. "legacy index templates are deprecated"
        names = install_templates(es)
    assert set(names) == {"events", "events_log", "events_plot", "events_training_debug_image"} | {
        "worker_stats",
        "queue_metrics",
        "serving_stats",
    }
    company = "c0ffee0000000000000000000000tmpl"
    log = _properties(es, f"events-log-{company}")
    assert log["msg"] == {"type": "text", "index": False} and log["task"] == {"type": "keyword"}
    scalar = _properties(es, f"events-training_stats_scalar-{company}")
    assert scalar["value"] == {"type": "float"} and "msg" not in scalar
    image = _properties(es, f"events-training_debug_image-{company}")
    assert image["url"] == {"type": "keyword"} and image["iter"] == {"type": "long"}
    stats = _properties(es, f"worker_stats_{company}_2020-05")
    assert stats["value"] == {"type": "float"} and stats["worker"] == {"type": "keyword"}
    es.close()
