"""organization.get_entities_count (issue 16): how many projects, tasks, models,
pipelines, datasets and reports match get_all filters."""

from __future__ import annotations

from typing import Any

from ..protocol.call import Call
from ..protocol.endpoints import Endpoints

endpoints = Endpoints("organization")


@endpoints.handler("get_entities_count")
def get_entities_count(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    return call.ctx.project_lookups.entities_count(company_id, request, call.requested_version)
