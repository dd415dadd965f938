"""Every ``get_all*`` filter the reference accepts as one value (not only as a list) is
accepted so here, at API 2.9 and below.

The reference (v0.16.1, ``GetMixin`` in ``database/model/base.py``) wraps a single value of
a list field in a list, reads a single datetime comparison as a one-item list, and takes
``order_by`` as a string or a list; its request schema is not enforced on ``get_all``.
Here every request is validated, so the schema must say so. The facts below are the
reference's query options per document (``get_all_query_options``), plus ``parent`` of
tasks (an equality field there: a string) and ``user`` of models.
"""

from __future__ import annotations

from typing import Any

import pytest

from stationmaster.protocol.versions import Version
from stationmaster.schema import SchemaRepo, load_schemas

TASKS = ("id", "user", "tags", "system_tags", "type", "status", "project", "parent", "status_changed", "order_by")
MODELS = ("tags", "system_tags", "framework", "uri", "id", "user", "project", "task", "parent", "order_by")
PROJECTS = ("id", "tags", "system_tags", "order_by")
QUEUES = ("id", "tags", "system_tags", "order_by")
USERS = ("id",)
SINGLE_VALUE_FILTERS: dict[str, tuple[str, ...]] = {
    "tasks.get_all": TASKS,
    "tasks.get_all_ex": TASKS,
    "models.get_all": MODELS,
    "models.get_all_ex": MODELS,
    "projects.get_all": PROJECTS,
    "projects.get_all_ex": PROJECTS,
    "queues.get_all": QUEUES,
    "queues.get_all_ex": QUEUES,
    "users.get_all": USERS,
    "users.get_all_ex": USERS,
}
CASES = [(action, field) for action, fields in SINGLE_VALUE_FILTERS.items() for field in fields]


@pytest.fixture(scope="module")
def schemas() -> SchemaRepo:
    return load_schemas()


@pytest.mark.parametrize(("action", "field"), CASES)
@pytest.mark.parametrize("version", ["1.0", "2.1", "2.9"])
def test_one_value_or_a_list(schemas: SchemaRepo, action: str, field: str, version: str) -> None:
    schema = schemas.action(action)
    assert schema is not None
    block = schema.block_for(Version.parse(version))
    assert field in _properties(block.validator.schema), f"{action}: {field} is not declared"
    value = ">=2020-01-01" if field == "status_changed" else "abc"
    for data in ({field: value}, {field: [value]}):
        errors = [e.message for e in block.validator.iter_errors(data)]
        assert errors == [], f"{action} {data}: {errors}"
    assert list(block.validator.iter_errors({field: 5})), f"{action}: {field} must still refuse a number"


def _properties(schema: dict[str, Any]) -> dict[str, Any]:
    """The declared request properties (through a top-level ``$ref`` or ``allOf``)."""
    found: dict[str, Any] = dict(schema.get("properties") or {})
    parts = [schema] + list(schema.get("allOf") or ())
    for part in parts:
        ref = part.get("$ref")
        if ref:
            target = schema
            for key in ref.removeprefix("#/").split("/"):
                target = target[key]
            found.update(_properties({**target, "definitions": schema.get("definitions", {})}))
        elif part is not schema:
            found.update(part.get("properties") or {})
    return found
