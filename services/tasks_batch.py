"""tasks.*: several tasks at once (the *_many actions, archive, move, update_tags),
get_by_id_ex and delete_artifacts."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..protocol.call import Call
from ..protocol.endpoints import Endpoints
from .declared import declared_only

endpoints = Endpoints("tasks")


@endpoints.handler("get_by_id_ex")
def get_by_id_ex(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    return {"tasks": call.ctx.tasks.get_all(company_id, request, call.requested_version, joins=True)}


@endpoints.handler("archive")
def archive(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    return {"archived": call.ctx.task_batch.archive(company_id, request, version=call.requested_version)}


def _archiving(archive: bool) -> Callable[[Call, str, dict[str, Any]], dict[str, Any]]:
    def handle(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
        return call.ctx.task_batch.archive_many(company_id, request, archive, version=call.requested_version)

    return handle


endpoints.handler("archive_many")(_archiving(True))
endpoints.handler("unarchive_many")(_archiving(False))


@endpoints.handler("stop_many")
def stop_many(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    return call.ctx.task_batch.stop_many(call.require_identity(), request)


@endpoints.handler("reset_many")
def reset_many(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    return call.ctx.task_batch.reset_many(company_id, request)


@endpoints.handler("delete_many")
def delete_many(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    return call.ctx.task_batch.delete_many(company_id, request)


@endpoints.handler("publish_many")
def publish_many(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    return call.ctx.task_batch.publish_many(company_id, request)


@endpoints.handler("enqueue_many")
def enqueue_many(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    return call.ctx.task_batch.enqueue_many(call.require_identity(), request, version=call.requested_version)


@endpoints.handler("dequeue_many")
def dequeue_many(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    batch = call.ctx.task_batch
    return batch.dequeue_many(company_id, declared_only(call, request), version=call.requested_version)


@endpoints.handler("move")
def move(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    return call.ctx.task_batch.move(call.require_identity(), request, call.requested_version)


@endpoints.handler("update_tags")
def update_tags(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    batch = call.ctx.task_batch
    return {
        "updated": batch.update_tags(company_id, request["ids"], request.get("add_tags"), request.get("remove_tags"))
    }


@endpoints.handler("delete_artifacts")
def delete_artifacts(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    return {"deleted": call.ctx.task_batch.delete_artifacts(company_id, request)}
