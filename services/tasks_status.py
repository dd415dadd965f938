"""tasks.*: status changes, queues, publish, reset and delete."""

from __future__ import annotations

from typing import Any

from ..database.model.task import TaskStatus
from ..protocol.call import Call
from ..protocol.endpoints import Endpoints
from .declared import declared, declared_only

endpoints = Endpoints("tasks")


@endpoints.handler("started")
def started(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    return call.ctx.task_lifecycle.started(company_id, request)


@endpoints.handler("stopped")
def stopped(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    return call.ctx.task_lifecycle.set_status(company_id, request, TaskStatus.stopped)


@endpoints.handler("failed")
def failed(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    return call.ctx.task_lifecycle.set_status(company_id, request, TaskStatus.failed)


@endpoints.handler("completed")
def completed(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    result = call.ctx.task_lifecycle.set_status(company_id, request, TaskStatus.completed)
    if declared(call, request, "publish") is True and result.get("updated"):
        # 2.20: a task completed with publish is published too (any output model with it)
        publishing: dict[str, Any] = {"task": request["task"], "force": True, "publish_model": True}
        publishing.update({k: request[k] for k in ("status_reason", "status_message") if k in request})
        result["published"] = call.ctx.task_lifecycle.publish(company_id, publishing)["updated"]
    return result


@endpoints.handler("close")
def close(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    return call.ctx.task_lifecycle.set_status(company_id, request, TaskStatus.closed)


@endpoints.handler("stop")
def stop(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    return call.ctx.task_lifecycle.stop(call.require_identity(), request)


@endpoints.handler("enqueue")
def enqueue(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    ctx = call.ctx
    request = declared_only(call, request)
    target = ctx.task_batch.queue_target
    return target.enqueue(ctx.task_lifecycle, call.require_identity(), request, version=call.requested_version)


@endpoints.handler("dequeue")
def dequeue(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    lifecycle = call.ctx.task_lifecycle
    return lifecycle.dequeue(company_id, declared_only(call, request), version=call.requested_version)


@endpoints.handler("publish")
def publish(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    return call.ctx.task_lifecycle.publish(company_id, request)


@endpoints.handler("reset")
def reset(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    return call.ctx.task_lifecycle.reset(company_id, declared_only(call, request))


@endpoints.handler("delete")
def delete(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    return call.ctx.task_lifecycle.delete(company_id, declared_only(call, request))
