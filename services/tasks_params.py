"""tasks.*: hyper-parameter and configuration items."""

from __future__ import annotations

from typing import Any

from ..protocol.call import Call
from ..protocol.endpoints import Endpoints
from .declared import declared

endpoints = Endpoints("tasks")


@endpoints.handler("get_hyper_params")
def get_hyper_params(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    return {"params": call.ctx.task_params.get_hyper_params(company_id, request["tasks"])}


@endpoints.handler("edit_hyper_params")
def edit_hyper_params(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    updated = call.ctx.task_params.edit_hyper_params(
        company_id, request["task"], request["hyperparams"], request["replace_hyperparams"], request["force"]
    )
    return {"updated": updated}


@endpoints.handler("delete_hyper_params")
def delete_hyper_params(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    deleted = call.ctx.task_params.delete_hyper_params(
        company_id, request["task"], request["hyperparams"], request["force"]
    )
    return {"deleted": deleted}


@endpoints.handler("get_configurations")
def get_configurations(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    return {
        "configurations": call.ctx.task_params.get_configurations(company_id, request["tasks"], request.get("names"))
    }


@endpoints.handler("get_configuration_names")
def get_configuration_names(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    skip_empty = declared(call, request, "skip_empty") is True
    return {"configurations": call.ctx.task_params.get_configuration_names(company_id, request["tasks"], skip_empty)}


@endpoints.handler("edit_configuration")
def edit_configuration(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    updated = call.ctx.task_params.edit_configuration(
        company_id, request["task"], request["configuration"], request["replace_configuration"], request["force"]
    )
    return {"updated": updated}


@endpoints.handler("delete_configuration")
def delete_configuration(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    deleted = call.ctx.task_params.delete_configuration(
        company_id, request["task"], request["configuration"], request["force"]
    )
    return {"deleted": deleted}
