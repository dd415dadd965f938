"""models.*: registering, editing, publishing and deleting models."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..protocol.call import Call
from ..protocol.endpoints import Endpoints
from ..protocol.versions import Version
from .metadata import register_metadata_actions

endpoints = Endpoints("models")
register_metadata_actions(endpoints, "model", lambda call: call.ctx.models)
SCROLLED = Version(2, 15)  # get_all / get_all_ex answer scroll ids from here on


@endpoints.handler("get_by_id")
def get_by_id(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    return {"model": call.ctx.models.get_by_id(company_id, request["model"], call.requested_version)}


@endpoints.handler("get_by_task_id")
def get_by_task_id(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    return {"model": call.ctx.models.get_by_task_id(company_id, request["task"], call.requested_version)}


@endpoints.handler("get_all_ex")
def get_all_ex(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    scrolled = call.requested_version >= SCROLLED
    models, extra = call.ctx.models.get_all_ex(company_id, request, call.requested_version, scrolled)
    return {"models": models, **extra}


@endpoints.handler("get_by_id_ex")
def get_by_id_ex(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    return {"models": call.ctx.models.get_all_ex(company_id, request, call.requested_version)[0]}


@endpoints.handler("get_all")
def get_all(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    scrolled = call.requested_version >= SCROLLED
    models, extra = call.ctx.models.listing(company_id, request, call.requested_version, scrolled)
    return {"models": models, **extra}


@endpoints.handler("get_frameworks")
def get_frameworks(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    return {"frameworks": call.ctx.models.get_frameworks(company_id, request.get("projects"))}


@endpoints.handler("update_for_task")
def update_for_task(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    return call.ctx.models.update_for_task(call.require_identity(), request, call.requested_version)


@endpoints.handler("create")
def create(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    return call.ctx.models.create(call.require_identity(), request, call.requested_version)


@endpoints.handler("edit")
def edit(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    return call.ctx.models.edit(call.require_identity(), request, call.requested_version)


@endpoints.handler("update")
def update(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    return call.ctx.models.update(call.require_identity(), request, call.requested_version)


@endpoints.handler("set_ready")
def set_ready(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    return call.ctx.models.set_ready(call.require_identity(), request)


@endpoints.handler("delete")
def delete(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    result = call.ctx.models.delete(company_id, request["model"], bool(request.get("force")))
    return {"deleted": result["deleted"]}


@endpoints.handler("delete")
def delete_v2_13(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    return call.ctx.models.delete(company_id, request["model"], bool(request.get("force")))


def _archiving(archive: bool) -> Callable[[Call, str, dict[str, Any]], dict[str, Any]]:
    def handle(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
        return call.ctx.model_batch.archive_many(company_id, request["ids"], archive)

    return handle


endpoints.handler("archive_many")(_archiving(True))
endpoints.handler("unarchive_many")(_archiving(False))


@endpoints.handler("delete_many")
def delete_many(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    return call.ctx.model_batch.delete_many(company_id, request["ids"], bool(request.get("force")))


@endpoints.handler("publish_many")
def publish_many(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    return call.ctx.model_batch.publish_many(call.require_identity(), request)


@endpoints.handler("move")
def move(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    return call.ctx.model_batch.move(call.require_identity(), request, call.requested_version)


@endpoints.handler("update_tags")
def update_tags(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    batch = call.ctx.model_batch
    return {
        "updated": batch.update_tags(company_id, request["ids"], request.get("add_tags"), request.get("remove_tags"))
    }


@endpoints.handler("make_public")
def make_public(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    return call.ctx.models.set_public(company_id, request["ids"], True)


@endpoints.handler("make_private")
def make_private(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    return call.ctx.models.set_public(company_id, request["ids"], False)
