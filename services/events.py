"""events.*: reporting task events and reading them back (scalars, plots, logs, images)."""

from __future__ import annotations

from typing import Any

from ..protocol.call import Call, RawResult
from ..protocol.endpoints import Endpoints
from .declared import declared

endpoints = Endpoints("events")


@endpoints.handler("add")
def add(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    event = {k: v for k, v in request.items() if k != "allow_locked"}
    allow_locked = request.get("allow_locked") is True
    return call.ctx.events.add_events(company_id, [event], call.worker, allow_locked=allow_locked)


@endpoints.handler("add")
def add_v2_22(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    return call.ctx.events.add_events(company_id, [request], call.worker, event_options=True)


@endpoints.handler("add_batch")
def add_batch(call: Call, company_id: str, request: list[dict[str, Any]]) -> dict[str, Any]:
    # allow_locked is an option of events.add only (as in the reference 0.16)
    return call.ctx.events.add_events(company_id, request, call.worker)


@endpoints.handler("add_batch")
def add_batch_v2_22(call: Call, company_id: str, request: list[dict[str, Any]]) -> dict[str, Any]:
    # model_event and allow_locked per event
    return call.ctx.events.add_events(company_id, request, call.worker, event_options=True)


@endpoints.handler("delete_for_task")
def delete_for_task(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    return {"deleted": call.ctx.events.delete_for_task(company_id, request["task"], request["allow_locked"])}


@endpoints.handler("delete_for_model")
def delete_for_model(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    return {"deleted": call.ctx.events.delete_for_model(company_id, request["model"], request["allow_locked"])}


def metric_variants(call: Call, request: dict[str, Any]) -> dict[str, list[str]] | None:
    """The request's ``metrics: [{metric, variants}]`` filter (none when absent, empty or
    not of the requested version): metric → its variants, an empty list for all of them."""
    listed = declared(call, request, "metrics")
    if not listed:
        return None
    return {m["metric"]: list(m.get("variants") or ()) for m in listed}


def model_events(call: Call, request: dict[str, Any]) -> bool:
    """``model_events`` (from 2.22): the ids are models'."""
    return declared(call, request, "model_events") is True


def scrolled(call: Call, request: dict[str, Any], answer: dict[str, Any]) -> dict[str, Any]:
    """``no_scroll`` (2.22): the answer without its scroll id. The ids keep no state here,
    so there is nothing to skip saving."""
    if declared(call, request, "no_scroll") is True:
        answer.pop("scroll_id", None)
    return answer


@endpoints.handler("get_task_events")
def get_task_events(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    page = call.ctx.events.reader.task_events(
        company_id,
        request["task"],
        event_type=request.get("event_type"),
        order=request["order"],
        batch_size=request["batch_size"],
        scroll_id=request.get("scroll_id"),
        model_events=model_events(call, request),
    )
    return page.as_response()


@endpoints.handler("get_scalar_metric_data")
def get_scalar_metric_data(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    reader = call.ctx.events.reader
    page = reader.scalar_metric_data(
        company_id, request["task"], request["metric"], request.get("scroll_id"), model_events(call, request)
    )
    return scrolled(call, request, page.as_response())


@endpoints.handler("get_task_log")
def get_task_log(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    page = call.ctx.events.reader.log_scroll(
        company_id,
        request["task"],
        descending=request["order"] == "desc",
        batch_size=request["batch_size"],
        scroll_id=request.get("scroll_id"),
    )
    return page.as_response()


@endpoints.handler("get_task_log")
def get_task_log_v1_7(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    from_tail = request["from"] == "tail"
    page = call.ctx.events.reader.log_scroll(
        company_id,
        request["task"],
        descending=from_tail,
        batch_size=request["batch_size"],
        scroll_id=request.get("scroll_id"),
    )
    if from_tail != (request["order"] == "desc"):
        page.events.reverse()
    return page.as_response()


@endpoints.handler("get_task_log")
def get_task_log_v2_9(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    return _log_page(call, company_id, request, None)


def _log_page(
    call: Call, company_id: str, request: dict[str, Any], metrics: dict[str, list[str]] | None
) -> dict[str, Any]:
    earlier = request["navigate_earlier"]
    from_timestamp = request.get("from_timestamp")
    events, total = call.ctx.events.reader.log_page(
        company_id,
        request["task"],
        batch_size=request["batch_size"],
        navigate_earlier=earlier,
        from_timestamp=int(from_timestamp) if from_timestamp is not None else None,
        metric_variants=metrics,
    )
    order = request.get("order")
    if (earlier and order == "asc") or (not earlier and order == "desc"):
        events.reverse()
    return {"events": events, "returned": len(events), "total": total}


@endpoints.handler("get_task_log")
def get_task_log_v2_30(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    return _log_page(call, company_id, request, metric_variants(call, request))


@endpoints.handler("clear_task_log")
def clear_task_log(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    deleted = call.ctx.events.clear_task_log(
        company_id,
        request["task"],
        allow_locked=request["allow_locked"],
        threshold_sec=request.get("threshold_sec"),
        include_metrics=declared(call, request, "include_metrics"),
        exclude_metrics=declared(call, request, "exclude_metrics"),
    )
    return {"deleted": deleted}


@endpoints.handler("clear_scroll")
def clear_scroll(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    call.ctx.events.clear_scroll(request["scroll_id"])
    return {}


@endpoints.handler("download_task_log")
def download_task_log(call: Call, company_id: str, request: dict[str, Any]) -> RawResult:
    task_id = request["task"]
    lines = call.ctx.events.reader.log_lines(company_id, task_id, request["line_type"], request["line_format"])
    return RawResult(
        lines, "text/plain; charset=utf-8", {"Content-Disposition": f'attachment; filename="task_{task_id}.log"'}
    )
