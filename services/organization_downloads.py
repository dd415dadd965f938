"""organization.prepare_download_for_get_all and download_for_get_all (API 2.26): a CSV
export of a tasks or models get_all_ex query (bll/downloads.py)."""

from __future__ import annotations

from typing import Any

from ..protocol.call import Call, RawResult
from ..protocol.endpoints import Endpoints

endpoints = Endpoints("organization")


@endpoints.handler("prepare_download_for_get_all")
def prepare_download_for_get_all(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    return {"prepare_id": call.ctx.downloads.prepare(company_id, request, call.requested_version)}


@endpoints.handler("download_for_get_all")
def download_for_get_all(call: Call, company_id: str, request: dict[str, Any]) -> RawResult:
    name, chunks = call.ctx.downloads.download(company_id, request["prepare_id"])
    return RawResult(chunks, "text/csv; charset=utf-8", {"Content-Disposition": f'attachment; filename="{name}"'})
