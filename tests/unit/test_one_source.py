"""Values that the schema declares and the code needs come from one place.

The enumerations live twice by necessity (the schema files are data read at start-up; the
document models and the Elasticsearch templates are code that may not parse HOCON at
import time), so these tests pin the copies to each other; the field lists are read from
the schema by the rules themselves (``TaskFields``, ``QueueBLL``'s updatable fields).
"""

from __future__ import annotations

import pytest

from stationmaster.bll.task.task_bll import TaskFields
from stationmaster.config.parsed import user_cache_dirs
from stationmaster.database.events.es_templates import EVENT_TYPES
from stationmaster.database.model.task import TaskStatus, TaskType
from stationmaster.schema import SchemaRepo, load_schemas


@pytest.fixture(scope="module")
def schemas() -> SchemaRepo:
    return load_schemas(cache_dirs=user_cache_dirs())


def _enum(schemas: SchemaRepo, service: str, name: str) -> list[str]:
    return list(schemas.services[service].definitions[name]["enum"])


def test_task_status_and_type_are_the_models(schemas: SchemaRepo) -> None:
    assert sorted(_enum(schemas, "tasks", "task_status")) == sorted(TaskStatus.ALL)
    assert sorted(_enum(schemas, "tasks", "task_type")) == sorted(TaskType.ALL)


def test_event_types_are_the_stores(schemas: SchemaRepo) -> None:
    assert sorted(_enum(schemas, "events", "event_type_enum")) == sorted(EVENT_TYPES)


def test_task_fields_follow_the_request_schemas(schemas: SchemaRepo) -> None:
    fields = TaskFields.from_schemas(schemas)
    assert set(fields.create) == set(schemas.request_properties("tasks.create")) - {"output_dest"}
    assert "status" in fields.edit and "status" not in fields.create
    assert set(fields.update) == {"name", "tags", "system_tags", "comment", "project", "created"}


def test_a_property_added_to_the_schema_is_stored(schemas: SchemaRepo) -> None:
    """The one-source property: a new request property reaches the stored fields with no
    list in the code to update."""
    definitions = schemas.services["tasks"].definitions
    action = schemas.action("tasks.create")
    assert action is not None
    newest = action.versions[-1].request["$ref"].rpartition("/")[2]  # the newest block's request
    definitions[newest]["properties"]["new_field"] = {"type": "string"}
    try:
        assert "new_field" in TaskFields.from_schemas(schemas).create
    finally:
        del definitions[newest]["properties"]["new_field"]
