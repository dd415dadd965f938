"""events.*: scalar and vector metric reads (histograms, latest values, names)."""

from __future__ import annotations

from typing import Any

from ..protocol.call import Call
from ..protocol.endpoints import Endpoints
from .events import metric_variants, model_events

endpoints = Endpoints("events")

_SCALAR = "training_stats_scalar"
_VECTOR = "training_stats_vector"


@endpoints.handler("scalar_metrics_iter_histogram")
def scalar_metrics_iter_histogram(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    metrics = call.ctx.events.metrics
    return metrics.scalar_histogram(
        company_id,
        request["task"],
        request["samples"],
        request["key"],
        model_events(call, request),
        metric_variants(call, request),
    )


@endpoints.handler("multi_task_scalar_metrics_iter_histogram")
def multi_task_scalar_metrics_iter_histogram(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    tasks = request["tasks"]
    if isinstance(tasks, str):
        tasks = [t.strip() for t in tasks.split(",") if t.strip()]
    metrics = call.ctx.events.metrics.multi_task_histogram(
        company_id,
        tasks,
        request["samples"],
        request["key"],
        model_events(call, request),
        metric_variants(call, request),
    )
    return {"metrics": metrics}


@endpoints.handler("get_task_latest_scalar_values")
def get_task_latest_scalar_values(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    return call.ctx.events.metrics.latest_scalar_values(company_id, request["task"])


@endpoints.handler("get_scalar_metrics_and_variants")
def get_scalar_metrics_and_variants(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    metrics = call.ctx.events.metrics
    return {"metrics": metrics.metrics_and_variants(company_id, request["task"], _SCALAR, model_events(call, request))}


@endpoints.handler("get_vector_metrics_and_variants")
def get_vector_metrics_and_variants(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    metrics = call.ctx.events.metrics
    return {"metrics": metrics.metrics_and_variants(company_id, request["task"], _VECTOR, model_events(call, request))}


@endpoints.handler("vector_metrics_iter_histogram")
def vector_metrics_iter_histogram(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    metrics = call.ctx.events.metrics
    return metrics.vector_histogram(
        company_id, request["task"], request["metric"], request["variant"], model_events(call, request)
    )


@endpoints.handler("get_task_metrics")
def get_task_metrics(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    metrics = call.ctx.events.metrics
    return {
        "metrics": metrics.task_metrics(
            company_id, request["tasks"], request.get("event_type"), model_events(call, request)
        )
    }


@endpoints.handler("scalar_metrics_iter_raw")
def scalar_metrics_iter_raw(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    return call.ctx.events.scalars.raw(
        company_id,
        request["task"],
        request["metric"],
        key=request["key"],
        batch_size=request["batch_size"],
        count_total=request["count_total"],
        scroll_id=request.get("scroll_id"),
        model_events=model_events(call, request),
    )


@endpoints.handler("get_task_single_value_metrics")
def get_task_single_value_metrics(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    scalars = call.ctx.events.scalars
    tasks = scalars.single_values(
        company_id, request["tasks"], metric_variants(call, request), model_events(call, request)
    )
    return {"tasks": tasks}


@endpoints.handler("get_multi_task_metrics")
def get_multi_task_metrics(call: Call, company_id: str, request: dict[str, Any]) -> dict[str, Any]:
    metrics = call.ctx.events.metrics
    found = metrics.multi_task_metrics(
        company_id, request["tasks"], request.get("event_type"), model_events(call, request)
    )
    return {"metrics": found}
