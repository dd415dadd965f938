"""The metadata actions (API 2.13) queues and models share: ``add_or_update_metadata``
and ``delete_metadata`` of one object, named by the request field ``id_field``."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

from ..protocol.call import Call
from ..protocol.endpoints import Endpoints


class MetadataRules(Protocol):
    def add_or_update_metadata(
        self, company_id: str, obj_id: str, items: Sequence[Mapping[str, Any]], replace: bool
    ) -> int: ...

    def delete_metadata(self, company_id: str, obj_id: str, keys: Sequence[str]) -> int: ...


def register_metadata_actions(endpoints: Endpoints, id_field: str, rules: Callable[[Call], MetadataRules]) -> None:
    """Declare the two handlers on ``endpoints``; ``rules(call)``: the entity's bll."""

    def add_or_update_metadata(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
        replace = bool(request.get("replace_metadata"))
        items = request["metadata"]
        return {"updated": rules(call).add_or_update_metadata(company_id, request[id_field], items, replace)}

    def delete_metadata(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
        return {"updated": rules(call).delete_metadata(company_id, request[id_field], request["keys"])}

    endpoints.handler("add_or_update_metadata")(add_or_update_metadata)
    endpoints.handler("delete_metadata")(delete_metadata)
