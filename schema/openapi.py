"""The service schemas rendered as an OpenAPI 3 document.

The document describes what the server accepts (issue 13: a schema-driven fuzzer finds no
mismatch): batch actions take a JSON array (or one object) as well as json-lines; a body
is required where the schema requires fields; and the rules the query layer and a few
handlers enforce in code are written into the request schemas (``_ENFORCED``, the
field-name pattern of ``only_fields`` and of the ``_any_``/``_all_`` filters).
"""

from __future__ import annotations

import copy
from typing import Any

from ..protocol.fields import FIELD_NAME_PATTERN as FIELD_NAME
from ..version import API_VERSION, __version__
from .loader import SchemaRepo

_MULTI_FIELD_FILTERS = ("_any_", "_all_", "_or_", "_and_")
#: Rules handlers enforce beyond the schema files, by action.
_ENFORCED: dict[str, dict[str, Any]] = {
    # bll/models.py: exactly one of the two
    "models.update_for_task": {"oneOf": [{"required": ["uri"]}, {"required": ["override_model_id"]}]},
}


def _rewrite_refs(schema: Any, service: str) -> Any:
    if isinstance(schema, dict):
        result = {}
        for key, value in schema.items():
            if key == "$ref" and isinstance(value, str) and value.startswith("#/definitions/"):
                result[key] = f"#/components/schemas/{service}.{value.rpartition('/')[2]}"
            else:
                result[key] = _rewrite_refs(value, service)
        return result
    if isinstance(schema, list):
        return [_rewrite_refs(v, service) for v in schema]
    return schema


def _with_enforced_rules(schema: Any) -> Any:
    """``only_fields`` items and ``_any_``-style filters as the query layer checks them."""
    if isinstance(schema, list):
        return [_with_enforced_rules(v) for v in schema]
    if not isinstance(schema, dict):
        return schema
    result = {k: _with_enforced_rules(v) for k, v in schema.items()}
    properties = result.get("properties")
    if isinstance(properties, dict):
        properties = dict(properties)
        if "only_fields" in properties:
            pattern = "^-?" + FIELD_NAME[1:]
            properties["only_fields"] = {"type": "array", "items": {"type": "string", "pattern": pattern}}
        for name in _MULTI_FIELD_FILTERS:
            if name in properties:
                properties[name] = {
                    "type": "object",
                    "required": ["pattern", "fields"],
                    "properties": {
                        "pattern": {"type": "string", "description": "RE2 regular expression"},
                        "fields": {
                            "type": "array",
                            "minItems": 1,
                            "items": {"type": "string", "pattern": FIELD_NAME},
                        },
                    },
                }
        result["properties"] = properties
    return result


def _request_body(action_name: str, request: dict[str, Any], batch: bool, service: str) -> dict[str, Any]:
    schema = _with_enforced_rules(_rewrite_refs(copy.deepcopy(request), service))
    if action_name in _ENFORCED:
        schema = {"allOf": [schema, _ENFORCED[action_name]]}
    if not batch:
        content = {"application/json": {"schema": schema}}
    else:
        array = {"type": "array", "minItems": 1, "items": schema}
        content = {
            # a JSON array of items, or one item (a batch of one)
            "application/json": {"schema": {"oneOf": [array, schema]}},
            # one item per line (what the SDKs send)
            "application/json-lines": {"schema": schema},
        }
    return {"required": bool(batch or request.get("required")), "content": content}


def _envelope(data_schema: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {"meta": {"$ref": "#/components/schemas/meta"}, "data": data_schema},
    }


def openapi_document(repo: SchemaRepo) -> dict[str, Any]:
    """Paths ``/<service>.<action>`` (newest version; a ``/vX.Y/`` prefix selects
    another) with request and enveloped response schemas."""
    components: dict[str, Any] = {
        "meta": {
            "type": "object",
            "properties": {
                "id": {"type": "string"},
                "trx": {"type": "string"},
                "endpoint": {"type": "object"},
                "result_code": {"type": "integer"},
                "result_subcode": {"type": "integer"},
                "result_msg": {"type": "string"},
                "error_stack": {"type": ["string", "null"]},
                "error_data": {"type": "object"},
            },
        }
    }
    paths: dict[str, Any] = {}
    for service in repo.services.values():
        for name, definition in service.definitions.items():
            components[f"{service.name}.{name}"] = _with_enforced_rules(
                _rewrite_refs(copy.deepcopy(definition), service.name)
            )
        for action in service.actions.values():
            newest = action.versions[-1]
            request = newest.request or {"type": "object"}
            operation = {
                "operationId": action.name,
                "tags": [service.name],
                "summary": newest.description,
                "x-versions": [str(b.version) for b in action.versions],
                "x-internal": action.internal,
                "x-allow-roles": list(action.allow_roles),
                "requestBody": _request_body(action.name, request, bool(newest.batch_of), service.name),
                "responses": {
                    "200": {
                        "description": "success",
                        "content": {
                            "application/json": {
                                "schema": _envelope(_rewrite_refs(copy.deepcopy(newest.response), service.name))
                            }
                        },
                    },
                    "default": {
                        "description": "error envelope",
                        "content": {"application/json": {"schema": _envelope({"type": "object"})}},
                    },
                },
            }
            if action.authorize:
                operation["security"] = [{"basic": []}, {"bearer": []}]
            else:
                operation["security"] = []
            paths[f"/{action.name}"] = {"post": operation}
    return {
        "openapi": "3.1.0",
        "info": {"title": "Stationmaster (ClearML-compatible API)", "version": f"{__version__} (API {API_VERSION})"},
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": {
                "basic": {"type": "http", "scheme": "basic"},
                "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
            },
        },
    }
