"""Scalar and vector metric reads: histograms, latest values, metric names."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from ...database.events.base import (
    MAX_SIZE,
    EventQuery,
    EventStore,
    HistogramRequest,
    IterationsQuery,
    SeriesInfo,
    iso_ms,
)
from ...database.events.es_templates import EVENT_TYPES
from ...protocol import errors
from .reading import _one_company, selected
from .tasks import EventOwners, events_company
from .writing import SCALAR, VECTOR

#: (task, metric, variant) → (x, y)
Curves = dict[tuple[str, str, str], tuple[list[Any], list[float]]]


def interval_for(series: SeriesInfo, samples: int, key: str) -> int:
    """1 when the series has fewer points than ``samples``, else ceil(range / samples)."""
    if series.count < samples:
        return 1
    low, high = (series.min_iter, series.max_iter) if key == "iter" else (series.min_timestamp, series.max_timestamp)
    return max(1, math.ceil((high - low + 1) / samples))


class MetricsReader:
    def __init__(self, store: EventStore, owners: EventOwners, multi_task_limit: int) -> None:
        self.store = store
        self.owners = owners
        self.multi_task_limit = multi_task_limit

    def curves(
        self,
        company: str,
        task_ids: Sequence[str],
        samples: int,
        key: str,
        metric_variants: Mapping[str, Sequence[str]] | None = None,
    ) -> Curves:
        """Downsampled (x, y) per scalar series (of ``metric_variants`` only, when given):
        the average value per bucket."""
        field = "iter" if key == "iter" else "timestamp"
        by_interval: dict[int, list[tuple[str, str, str]]] = defaultdict(list)
        for series in selected(self.store.series(company, SCALAR, task_ids), metric_variants):
            by_interval[interval_for(series, samples, field)].append((series.task, series.metric, series.variant))
        curves: Curves = {}
        for interval, members in sorted(by_interval.items()):
            request = HistogramRequest(field, interval, members, buckets_per_series=samples + 1)
            for name, points in self.store.histogram(company, request).items():
                xs: list[Any] = [iso_ms(k) for k, _ in points] if key == "iso_time" else [k for k, _ in points]
                curves[name] = (xs, [v for _, v in points])
        return curves

    def scalar_histogram(
        self,
        company_id: str,
        task_id: str,
        samples: int,
        key: str,
        model_events: bool = False,
        metric_variants: Mapping[str, Sequence[str]] | None = None,
    ) -> dict[str, Any]:
        company = events_company(company_id, self.owners.task_for_read(company_id, task_id, model_events=model_events))
        result: dict[str, Any] = {}
        curves = self.curves(company, [task_id], samples, key, metric_variants)
        for (_, metric, variant), (xs, ys) in sorted(curves.items()):
            result.setdefault(metric, {})[variant] = {"name": variant, "x": xs, "y": ys}
        return result

    def multi_task_histogram(
        self,
        company_id: str,
        task_ids: Sequence[str],
        samples: int,
        key: str,
        model_events: bool = False,
        metric_variants: Mapping[str, Sequence[str]] | None = None,
    ) -> dict[str, Any]:
        if len(task_ids) > self.multi_task_limit:
            raise errors.VALIDATION_ERROR(f"field tasks: too many tasks (at most {self.multi_task_limit})")
        tasks = self.owners.tasks_for_read(company_id, task_ids, ("name",), model_events=model_events)
        company = _one_company(company_id, tasks)
        names = {t["id"]: t.get("name") for t in tasks}
        result: dict[str, Any] = {}
        curves = self.curves(company, list(names), samples, key, metric_variants)
        for (task, metric, variant), (xs, ys) in sorted(curves.items()):
            result.setdefault(metric, {}).setdefault(variant, {})[task] = {"name": names[task], "x": xs, "y": ys}
        return result

    def metrics_and_variants(
        self, company_id: str, task_id: str, event_type: str, model_events: bool = False
    ) -> dict[str, list[str]]:
        company = events_company(company_id, self.owners.task_for_read(company_id, task_id, model_events=model_events))
        result: dict[str, list[str]] = {}
        for series in self.store.series(company, event_type, [task_id]):
            result.setdefault(series.metric, []).append(series.variant)
        return result

    def task_metrics(
        self, company_id: str, task_ids: Sequence[str], event_type: str | None, model_events: bool = False
    ) -> list[dict[str, Any]]:
        tasks = self.owners.tasks_for_read(company_id, task_ids, model_events=model_events)
        types = [event_type] if event_type else list(EVENT_TYPES)
        result = []
        for task in tasks:
            company = events_company(company_id, task)
            names = {s.metric for t in types for s in self.store.series(company, t, [task["id"]])}
            result.append({"task": task["id"], "metrics": sorted(names)})
        return result

    def multi_task_metrics(
        self, company_id: str, task_ids: Sequence[str], event_type: str | None, model_events: bool
    ) -> list[dict[str, Any]]:
        """get_multi_task_metrics: every metric of the tasks' events (of one type, or of
        all) with the union of its variants, both sorted."""
        tasks = self.owners.tasks_for_read(company_id, task_ids, model_events=model_events)
        company = _one_company(company_id, tasks)
        types = [event_type] if event_type else list(EVENT_TYPES)
        found: dict[str, set[str]] = defaultdict(set)
        for kind in types:
            for series in self.store.series(company, kind, [t["id"] for t in tasks]):
                found[series.metric].add(series.variant)
        return [{"metric": m, "variants": sorted(found[m])} for m in sorted(found)]

    def vector_histogram(
        self, company_id: str, task_id: str, metric: str, variant: str, model_events: bool = False
    ) -> dict[str, Any]:
        company = events_company(company_id, self.owners.task_for_read(company_id, task_id, model_events=model_events))
        query = EventQuery(VECTOR, [task_id], series=[(metric, variant)], sort=[("iter", False), ("id", False)])
        query.size, query.with_total = MAX_SIZE, False
        events = self.store.search(company, query).events
        return {
            "metric": metric,
            "variant": variant,
            "vectors": [e.get("value") for e in events],
            "iterations": [e.get("iter") for e in events],
        }

    def latest_scalar_values(self, company_id: str, task_id: str) -> dict[str, Any]:
        task = self.owners.task_for_read(company_id, task_id, ("name", "status"))
        company = events_company(company_id, task)
        metrics: list[dict[str, Any]] = []
        last_timestamp = 0
        for value in self.store.latest_values(company, task_id):
            if not metrics or metrics[-1]["name"] != value.metric:
                metrics.append({"name": value.metric, "variants": []})
            metrics[-1]["variants"].append(
                {"name": value.variant, "last_value": value.value, "last_10_value": value.value}
            )
            last_timestamp = max(last_timestamp, value.max_timestamp)
        iters = [i for t in EVENT_TYPES for i in self.store.iterations(company, IterationsQuery(t, task_id))]
        return {
            "metrics": metrics,
            "last_iter": max(iters) if iters else 0,
            "name": task.get("name"),
            "status": task.get("status"),
            "last_timestamp": last_timestamp,
        }
