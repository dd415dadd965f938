"""debug.*"""

from __future__ import annotations

from typing import Any

from ..protocol.call import Call
from ..protocol.endpoints import Endpoints

endpoints = Endpoints("debug")


@endpoints.handler("ping")
def ping(call: Call, company_id: str | None, request: dict[str, Any]) -> dict[str, Any]:
    return {"msg": "Stationmaster is up"}
