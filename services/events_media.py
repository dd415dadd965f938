"""events.*: plots and debug images."""

from __future__ import annotations

from typing import Any

from ..protocol.call import Call
from ..protocol.endpoints import Endpoints
from ..protocol.versions import V2_10
from .events import metric_variants, model_events, scrolled

endpoints = Endpoints("events")

_PLOT = "plot"
_IMAGE = "training_debug_image"


@endpoints.handler("get_task_plots")
def get_task_plots(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    reader = call.ctx.events.reader
    page = reader.top_events(company_id, request["task"], _PLOT, request["iters"], request.get("scroll_id"))
    return page.as_response("plots")


@endpoints.handler("get_task_plots")
def get_task_plots_v1_8(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    reader = call.ctx.events.reader
    page = reader.task_plots(
        company_id,
        request["task"],
        request["iters"],
        request.get("scroll_id"),
        model_events(call, request),
        metric_variants(call, request),
    )
    return scrolled(call, request, page.as_response("plots"))


@endpoints.handler("get_multi_task_plots")
def get_multi_task_plots(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    reader = call.ctx.events.reader
    return reader.multi_task_plots(company_id, request["tasks"], request["iters"], request.get("scroll_id"), False)


@endpoints.handler("get_multi_task_plots")
def get_multi_task_plots_v1_8(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    reader = call.ctx.events.reader
    answer = reader.multi_task_plots(
        company_id, request["tasks"], request["iters"], request.get("scroll_id"), True, model_events(call, request)
    )
    return scrolled(call, request, answer)


@endpoints.handler("get_multi_task_plots")
def get_multi_task_plots_v2_26(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    if not request["last_iters_per_task_metric"]:
        return get_multi_task_plots_v1_8(call, company_id, request)
    reader = call.ctx.events.reader
    answer = reader.multi_task_plots_per_metric(
        company_id,
        request["tasks"],
        request["iters"],
        request.get("scroll_id"),
        model_events(call, request),
        metric_variants(call, request),
    )
    return scrolled(call, request, answer)


@endpoints.handler("debug_images")
def debug_images(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    iters = request.get("iters") or 1
    page = call.ctx.events.reader.top_events(company_id, request["task"], _IMAGE, iters, request.get("scroll_id"))
    return {"task": request["task"], **page.as_response("images")}


@endpoints.handler("debug_images")
def debug_images_v1_8(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    iters = request.get("iters") or 1
    reader = call.ctx.events.reader
    page = reader.last_iterations_events(company_id, request["task"], _IMAGE, iters, request.get("scroll_id"))
    return {"task": request["task"], **page.as_response("images")}


@endpoints.handler("debug_images")
def debug_images_v2_7(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    return call.ctx.events.debug_images.get(
        company_id,
        _task_metrics(call, company_id, request, "training_debug_image"),
        iters=request["iters"],
        navigate_earlier=request["navigate_earlier"],
        refresh=request["refresh"],
        scroll_id=request.get("scroll_id"),
        model_events=model_events(call, request),
        list_empty=call.requested_version >= V2_10,
    )


@endpoints.handler("get_debug_image_sample")
def get_debug_image_sample(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    events = call.ctx.events
    company = events.owner_company(company_id, request["task"], model_events(call, request))
    return events.image_samples.get(company, request["task"], request["metric"], request["variant"], **_where(request))


@endpoints.handler("next_debug_image_sample")
def next_debug_image_sample(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    events = call.ctx.events
    company = events.owner_company(company_id, request["task"], model_events(call, request))
    return events.image_samples.next(company, request["task"], request["scroll_id"], **_direction(request))


@endpoints.handler("get_plot_sample")
def get_plot_sample(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    events = call.ctx.events
    company = events.owner_company(company_id, request["task"], model_events(call, request))
    return events.plot_samples.get(company, request["task"], request["metric"], None, **_where(request))


@endpoints.handler("next_plot_sample")
def next_plot_sample(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    events = call.ctx.events
    company = events.owner_company(company_id, request["task"], model_events(call, request))
    return events.plot_samples.next(company, request["task"], request["scroll_id"], **_direction(request))


def _where(request: dict[str, Any]) -> dict[str, Any]:
    return {
        "iteration": request.get("iteration"),
        "refresh": request.get("refresh") is True,
        "scroll_id": request.get("scroll_id"),
        "navigate_current_metric": request.get("navigate_current_metric", True) is not False,
    }


def _direction(request: dict[str, Any]) -> dict[str, bool]:
    return {
        "navigate_earlier": request.get("navigate_earlier", True) is not False,
        "next_iteration": request.get("next_iteration") is True,
    }


@endpoints.handler("plots")
def plots(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    return call.ctx.events.plots.get(
        company_id,
        _task_metrics(call, company_id, request, _PLOT),
        iters=request["iters"],
        navigate_earlier=request["navigate_earlier"],
        refresh=request["refresh"],
        scroll_id=request.get("scroll_id"),
        model_events=model_events(call, request),
        list_empty=True,
    )


def _task_metrics(call: Call, company_id: str, request: dict[str, Any], event_type: str) -> list[Any]:
    """(task, metric, variants) of the request's metrics; an entry without a metric
    stands for each of the task's metrics of the type (as the reference reads it)."""
    found: list[Any] = []
    for entry in request["metrics"]:
        variants = entry.get("variants")  # declared from 2.14; below it may be anything
        variants = variants if isinstance(variants, list) and all(type(v) is str for v in variants) else []
        if entry.get("metric") is not None:
            found.append((entry["task"], entry["metric"], variants))
            continue
        names = call.ctx.events.metrics.metrics_and_variants(
            company_id, entry["task"], event_type, model_events(call, request)
        )
        found += [(entry["task"], name, variants) for name in names]
    return found
