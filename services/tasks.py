"""tasks.*: reading, creating and changing task documents."""

from __future__ import annotations

from typing import Any

from ..protocol.call import Call
from ..protocol.endpoints import Endpoints
from ..protocol.versions import V2_10
from .declared import declared, declared_only

endpoints = Endpoints("tasks")


@endpoints.handler("get_by_id")
def get_by_id(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    return {"task": call.ctx.tasks.get_by_id(company_id, request["task"], call.requested_version)}


@endpoints.handler("get_all")
def get_all(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    request = {**request, "include_subprojects": declared(call, request, "include_subprojects")}
    tasks, extra = call.ctx.tasks.listing(company_id, request, call.requested_version)
    return {"tasks": tasks, **extra}


@endpoints.handler("get_all_ex")
def get_all_ex(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    request = {**request, "include_subprojects": declared(call, request, "include_subprojects")}
    tasks, extra = call.ctx.tasks.listing(company_id, request, call.requested_version, joins=True)
    return {"tasks": tasks, **extra}


@endpoints.handler("get_types")
def get_types(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    return {"types": call.ctx.tasks.get_types(company_id, request.get("projects"))}


@endpoints.handler("create")
def create(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    return {"id": call.ctx.tasks.create(call.require_identity(), declared_only(call, request), call.requested_version)}


@endpoints.handler("validate")
def validate(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    call.ctx.tasks.build_new(call.require_identity(), declared_only(call, request), call.requested_version)
    return {}


@endpoints.handler("clone")
def clone(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    request = declared_only(call, request)
    identity = call.require_identity()
    if request.get("new_project_name") and not request.get("new_task_project"):
        # 2.13: into the project of that name, created when missing
        project = call.ctx.task_batch.project_named(identity, request["new_project_name"], call.requested_version)
        request["new_task_project"] = project
    return {"id": call.ctx.tasks.clone(identity, request, call.requested_version)}


@endpoints.handler("edit")
def edit(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    return call.ctx.tasks.edit(company_id, declared_only(call, request), call.requested_version)


@endpoints.handler("update")
def update(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    return call.ctx.tasks.update(company_id, request, call.requested_version)


@endpoints.handler("update_batch")
def update_batch(call: Call, company_id: str, request: list[dict[str, Any]]) -> dict[str, Any]:
    return {"updated": call.ctx.tasks.update_batch(company_id, request, call.requested_version)}


@endpoints.handler("set_requirements")
def set_requirements(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    return call.ctx.tasks.set_requirements(company_id, request["task"], request["requirements"])


@endpoints.handler("add_or_update_artifacts")
def add_or_update_artifacts(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    if call.requested_version < V2_10:
        return call.ctx.tasks.add_or_update_artifacts(company_id, request["task"], request["artifacts"])
    # 2.10: only a draft or running task's unless forced; {updated: 1}
    force = bool(request.get("force"))
    call.ctx.tasks.add_or_update_artifacts(company_id, request["task"], request["artifacts"], check_status=not force)
    return {"updated": 1}


@endpoints.handler("ping")
def ping(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    call.ctx.tasks.ping(company_id, request["task"])
    return {}


@endpoints.handler("make_public")
def make_public(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    return {"updated": call.ctx.tasks.set_public(company_id, request["ids"], public=True)}


@endpoints.handler("make_private")
def make_private(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    return {"updated": call.ctx.tasks.set_public(company_id, request["ids"], public=False)}


@endpoints.handler("add_or_update_model")
def add_or_update_model(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    return {"updated": call.ctx.tasks.add_or_update_model(company_id, request)}


@endpoints.handler("delete_models")
def delete_models(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    return {"updated": call.ctx.tasks.delete_models(company_id, request)}
