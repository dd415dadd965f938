"""queues.*: queues of tasks waiting for workers (get_queue_metrics: queue_metrics.py)."""

from __future__ import annotations

from typing import Any

from ..bll import queues as rules
from ..protocol.call import Call
from ..protocol.endpoints import Endpoints
from ..protocol.versions import Version
from .metadata import register_metadata_actions

endpoints = Endpoints("queues")
TASK_OF_HEAD = Version(2, 21)  # get_next_task's task
register_metadata_actions(endpoints, "queue", lambda call: call.ctx.queues)


@endpoints.handler("get_by_id")
def get_by_id(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    return {"queue": call.ctx.queues.get_by_id(company_id, request["queue"])}


@endpoints.handler("get_by_id")
def get_by_id_v2_20(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    return {"queue": call.ctx.queues.get_by_id(company_id, request["queue"], request.get("max_task_entries"))}


@endpoints.handler("get_default")
def get_default(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    return call.ctx.queues.get_default(company_id)


@endpoints.handler("get_all")
def get_all(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    queues, extra = call.ctx.queues.get_all(company_id, request, rules.Listing.at(call.requested_version))
    return {"queues": queues, **extra}


@endpoints.handler("get_all_ex")
def get_all_ex(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    queues, extra = call.ctx.queues.get_all(company_id, request, rules.Listing.at(call.requested_version))
    queues = call.ctx.queues.with_task_names(queues)
    return {"queues": call.ctx.workers.attach_to_queues(company_id, queues), **extra}


@endpoints.handler("create")
def create(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    user = call.identity.user if call.identity else None
    more = rules.fields_at(request, call.requested_version)
    queue_id = call.ctx.queues.create(
        company_id, request["name"], request.get("tags"), request.get("system_tags"), user=user, more=more
    )
    return {"id": queue_id}


@endpoints.handler("update")
def update(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    fields = rules.fields_at(request, call.requested_version)
    updated, changed = call.ctx.queues.update(company_id, request["queue"], fields)
    return {"updated": updated, "fields": changed}


@endpoints.handler("delete")
def delete(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    reset = call.requested_version >= rules.LATER_BEHAVIOUR
    call.ctx.queues.delete(company_id, request["queue"], force=bool(request.get("force")), reset_tasks=reset)
    return {"deleted": 1}


@endpoints.handler("add_task")
def add_task(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    return {"added": call.ctx.queues.add_task(company_id, request["queue"], request["task"])}


@endpoints.handler("add_task")
def add_task_v2_31(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    set_queue = request.get("update_execution_queue", True)
    return {"added": call.ctx.queues.add_task(company_id, request["queue"], request["task"], set_queue)}


@endpoints.handler("get_next_task")
def get_next_task(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    entry = call.ctx.queues.get_next_task(company_id, request["queue"])
    return {"entry": entry} if entry else {}


@endpoints.handler("get_next_task")
def get_next_task_v2_14(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    queues, task = call.ctx.queues, request.get("task") if call.requested_version >= TASK_OF_HEAD else None
    entry = (
        queues.take_task(company_id, request["queue"], task)
        if task
        else queues.get_next_task(company_id, request["queue"])
    )
    if not entry:
        return {}
    info = call.ctx.queues.task_info(entry["task"]) if request.get("get_task_info") else None
    return {"entry": entry, **({"task_info": info} if info else {})}


@endpoints.handler("remove_task")
def remove_task(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    return {"removed": call.ctx.queues.remove_task(company_id, request["queue"], request["task"])}


@endpoints.handler("remove_task")
def remove_task_v2_31(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    reset = bool(request.get("update_task_status"))
    return {"removed": call.ctx.queues.remove_task(company_id, request["queue"], request["task"], reset)}


@endpoints.handler("clear_queue")
def clear_queue(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    return {"removed_tasks": call.ctx.queues.clear(company_id, request["queue"])}


@endpoints.handler("peek_task")
def peek_task(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    return {"task": call.ctx.queues.peek(company_id, request["queue"])}


@endpoints.handler("get_num_entries")
def get_num_entries(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    return {"num": call.ctx.queues.count_entries(company_id, request["queue"])}


def _move(call: Call, company_id: str, request: dict[str, Any], position: rules.PositionFunc) -> dict[str, Any]:
    actual = call.requested_version >= rules.LATER_BEHAVIOUR
    new_position = call.ctx.queues.reposition(company_id, request["queue"], request["task"], position, actual)
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
