"""The service schemas rendered as an OpenAPI 3 document."""

from __future__ import annotations

import copy
from typing import Any

from ..version import API_VERSION, __version__
from .loader import SchemaRepo


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
            components[f"{service.name}.{name}"] = _rewrite_refs(copy.deepcopy(definition), service.name)
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
                "requestBody": {
                    "content": {
                        ("application/json-lines" if newest.batch_of else "application/json"): {
                            "schema": _rewrite_refs(copy.deepcopy(request), service.name)
                        }
                    }
                },
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
