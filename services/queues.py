"""queues.*: queues of tasks waiting for workers (get_queue_metrics: queue_metrics.py)."""

from __future__ import annotations

from typing import Any

from ..bll import queues as rules
from ..protocol.call import Call
from ..protocol.endpoints import Endpoints

endpoints = Endpoints("queues")


@endpoints.handler("get_by_id")
def get_by_id(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    return {"queue": call.ctx.queues.get_by_id(company_id, request["queue"])}


@endpoints.handler("get_default")
def get_default(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    return call.ctx.queues.get_default(company_id)


@endpoints.handler("get_all")
def get_all(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    return {"queues": call.ctx.queues.get_all(company_id, request)}


@endpoints.handler("get_all_ex")
def get_all_ex(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    queues = call.ctx.queues.with_task_names(call.ctx.queues.get_all(company_id, request))
    return {"queues": call.ctx.workers.attach_to_queues(company_id, queues)}


@endpoints.handler("create")
def create(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    user = call.identity.user if call.identity else None
    queue_id = call.ctx.queues.create(
        company_id, request["name"], request.get("tags"), request.get("system_tags"), user=user
    )
    return {"id": queue_id}


@endpoints.handler("update")
def update(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    updated, fields = call.ctx.queues.update(company_id, request["queue"], request)
    return {"updated": updated, "fields": fields}


@endpoints.handler("delete")
def delete(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    call.ctx.queues.delete(company_id, request["queue"], force=bool(request.get("force")))
    return {"deleted": 1}


@endpoints.handler("add_task")
def add_task(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    return {"added": call.ctx.queues.add_task(company_id, request["queue"], request["task"])}


@endpoints.handler("get_next_task")
def get_next_task(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    entry = call.ctx.queues.get_next_task(company_id, request["queue"])
    return {"entry": entry} if entry else {}


@endpoints.handler("remove_task")
def remove_task(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    return {"removed": call.ctx.queues.remove_task(company_id, request["queue"], request["task"])}


def _move(call: Call, company_id: str, request: dict[str, Any], position: rules.PositionFunc) -> dict[str, Any]:
    new_position = call.ctx.queues.reposition(company_id, request["queue"], request["task"], position)
    return {"position": new_position}


@endpoints.handler("move_task_forward")
def move_task_forward(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    return _move(call, company_id, request, rules.forward(int(request["count"])))


@endpoints.handler("move_task_backward")
def move_task_backward(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    return _move(call, company_id, request, rules.backward(int(request["count"])))


@endpoints.handler("move_task_to_front")
def move_task_to_front(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    return _move(call, company_id, request, rules.to_front)


@endpoints.handler("move_task_to_back")
def move_task_to_back(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    return _move(call, company_id, request, rules.to_back)
