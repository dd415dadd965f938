"""projects.*: the company's projects, their statistics and their tags."""

from __future__ import annotations

from typing import Any

from ..protocol.call import Call
from ..protocol.endpoints import Endpoints

endpoints = Endpoints("projects")


@endpoints.handler("create")
def create(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    return {"id": call.ctx.projects.create(call.require_identity(), request, call.requested_version)}


@endpoints.handler("get_by_id")
def get_by_id(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    return {"project": call.ctx.projects.get_by_id(company_id, request["project"], call.requested_version)}


@endpoints.handler("get_all")
def get_all(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    return call.ctx.projects.listing(company_id, request, call.requested_version, ex=False)


@endpoints.handler("get_all_ex")
def get_all_ex(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    return call.ctx.projects.listing(company_id, request, call.requested_version, ex=True)


@endpoints.handler("update")
def update(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    return call.ctx.projects.update(company_id, request["project"], request, call.requested_version)


@endpoints.handler("delete")
def delete(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    return call.ctx.projects.delete(company_id, request["project"], bool(request.get("force")))


@endpoints.handler("delete")
def delete_v2_13(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    force, contents = bool(request.get("force")), bool(request.get("delete_contents"))
    return call.ctx.projects.delete_tree(company_id, request["project"], force, contents)


@endpoints.handler("move")
def move(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    return call.ctx.projects.move(call.require_identity(), request["project"], request.get("new_location"))


@endpoints.handler("merge")
def merge(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    return call.ctx.projects.merge(company_id, request["project"], request.get("destination_project"))


@endpoints.handler("validate_delete")
def validate_delete(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    return call.ctx.projects.validate_delete(company_id, request["project"])


@endpoints.handler("get_unique_metric_variants")
def get_unique_metric_variants(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    subprojects = bool(request.get("include_subprojects"))  # 2.13, default true there
    return {"metrics": call.ctx.projects.unique_metric_variants(company_id, request.get("project"), subprojects)}


@endpoints.handler("get_hyper_parameters")
def get_hyper_parameters(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    page, size, subprojects = request["page"], request["page_size"], bool(request.get("include_subprojects"))
    return call.ctx.projects.hyper_parameters(company_id, request.get("project"), page, size, subprojects)


@endpoints.handler("get_task_tags")
def get_task_tags(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    return call.ctx.projects.get_tags(company_id, "task", request)


@endpoints.handler("get_model_tags")
def get_model_tags(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    return call.ctx.projects.get_tags(company_id, "model", request)


@endpoints.handler("make_public")
def make_public(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    return call.ctx.projects.set_public(company_id, request["ids"], True)


@endpoints.handler("make_private")
def make_private(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    return call.ctx.projects.set_public(company_id, request["ids"], False)
