"""projects.* lookups (issue 16): distinct hyper-parameter and model metadata values,
metadata keys, project tags, task parents and the users of projects' entities."""

from __future__ import annotations

from typing import Any

from ..protocol.call import Call
from ..protocol.endpoints import Endpoints

endpoints = Endpoints("projects")


@endpoints.handler("get_hyperparam_values")
def get_hyperparam_values(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    return call.ctx.project_lookups.hyperparam_values(company_id, request)


@endpoints.handler("get_model_metadata_keys")
def get_model_metadata_keys(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    return call.ctx.project_lookups.model_metadata_keys(company_id, request)


@endpoints.handler("get_model_metadata_values")
def get_model_metadata_values(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    return call.ctx.project_lookups.model_metadata_values(company_id, request)


@endpoints.handler("get_project_tags")
def get_project_tags(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    return call.ctx.project_lookups.project_tags(company_id, request)


@endpoints.handler("get_task_parents")
def get_task_parents(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    return {"parents": call.ctx.project_lookups.task_parents(company_id, request)}


@endpoints.handler("get_user_names")
def get_user_names(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    return {"users": call.ctx.project_lookups.user_names(company_id, request)}
