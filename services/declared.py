"""What of a request the schema block it was validated with declares: a later version's
field sent with an older version is not read, as the reference did not read it then."""

from __future__ import annotations

from typing import Any

from ..protocol.call import Call


def _properties(call: Call) -> dict[str, Any]:
    schemas = call.ctx.schemas
    action = schemas.action(call.endpoint)
    block = action.block_for(call.requested_version) if action is not None else None
    schema = (block.request if block is not None else None) or {}
    if "$ref" in schema and action is not None:  # a request defined in the service's definitions
        definitions = schemas.services[action.service].definitions
        while "$ref" in schema:
            schema = definitions[schema["$ref"].rpartition("/")[2]]
    return dict(schema.get("properties", {}))


def declared(call: Call, request: dict[str, Any], name: str) -> Any:
    """``request[name]`` when the block declares the field (so it was checked), else None."""
    return request.get(name) if name in _properties(call) else None


def declared_only(call: Call, request: dict[str, Any]) -> dict[str, Any]:
    """The request without the fields the block does not declare."""
    properties = _properties(call)
    return {k: v for k, v in request.items() if k in properties}
