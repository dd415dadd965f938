"""Scalar reads of later API versions: every point of a series (``scalar_metrics_iter_raw``,
2.16 / 2.22) and the single-value metrics (``get_task_single_value_metrics``, 2.20+)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ...database.events.base import MAX_SIZE, EventQuery, EventStore, PointsQuery
from ...protocol import errors
from . import cursor
from .reading import _one_company
from .tasks import EventOwners, events_company
from .writing import SCALAR

#: The iteration the SDKs report single values at (``Logger.report_single_value``).
SINGLE_VALUE_ITERATION = -(2**31)
#: scalar_metrics_iter_raw's x axes: the request's ``key`` → the event field.
_RAW_FIELDS = {"iter": "iter", "timestamp": "timestamp", "iso_time": "timestamp"}


class ScalarReader:
    def __init__(self, store: EventStore, owners: EventOwners, max_raw_batch: int) -> None:
        self.store = store
        self.owners = owners
        self.max_raw_batch = max_raw_batch

    def raw(
        self,
        company_id: str,
        task_id: str,
        metric: Mapping[str, Any],
        *,
        key: str,
        batch_size: int,
        count_total: bool,
        scroll_id: str | None,
        model_events: bool,
    ) -> dict[str, Any]:
        """Up to ``batch_size`` (at most ``max_raw_batch``) points of the metric's series,
        variant by variant, each in ascending ``key`` order, as ``{variant: {y: values,
        <key>: xs}}``; the scroll id continues after the last point. ``total`` (with
        ``count_total``) counts them all."""
        company = events_company(company_id, self.owners.task_for_read(company_id, task_id, model_events=model_events))
        field = _RAW_FIELDS[key]
        variants = list(metric.get("variants") or ())
        scope = [task_id, metric["metric"], variants, key, model_events]
        after, total = None, None
        if scroll_id:
            state = cursor.decode(scroll_id, "raw_scalars", scope)
            if not isinstance(state, dict):
                raise errors.INVALID_SCROLL_ID(scroll_id=scroll_id)
            after, total = state.get("a"), state.get("t")
            if after is None:  # exhausted
                return {"variants": {}, "returned": 0, "total": total, "scroll_id": scroll_id}
        query = EventQuery(SCALAR, [task_id], metric_variants={metric["metric"]: variants})
        if count_total and total is None:
            query.size, query.with_total = 0, True
            total = self.store.search(company, query).total
        wanted = min(batch_size or 10_000, self.max_raw_batch)
        which = PointsQuery(task_id, metric["metric"], variants, field, after, wanted)
        points, last_key = self.store.scalar_points(company, which)
        result: dict[str, dict[str, list[Any]]] = {}
        returned = 0
        for variant, xs, values in points:
            series = result.setdefault(variant, {"y": [], key: []})
            series["y"] += values
            series[key] += xs
            returned += len(xs)
        next_after = last_key if returned else None
        return {
            "variants": result,
            "returned": returned,
            "total": total,
            "scroll_id": cursor.encode("raw_scalars", scope, {"a": next_after, "t": total}),
        }

    def single_values(
        self,
        company_id: str,
        task_ids: Sequence[str],
        metric_variants: Mapping[str, Sequence[str]] | None,
        model_events: bool,
    ) -> list[dict[str, Any]]:
        """Per task that has any, its single values ``{metric, variant, value, timestamp}``
        (scalars at SINGLE_VALUE_ITERATION)."""
        tasks = self.owners.tasks_for_read(company_id, task_ids, ("name",), model_events=model_events)
        company = _one_company(company_id, tasks)
        query = EventQuery(SCALAR, [t["id"] for t in tasks], iters=[SINGLE_VALUE_ITERATION], size=MAX_SIZE)
        query.metric_variants, query.with_total = metric_variants, False
        query.sort = [("metric", False), ("variant", False), ("id", False)]
        values: dict[str, list[dict[str, Any]]] = {}
        for event in self.store.search(company, query).events:
            values.setdefault(event["task"], []).append(
                {name: event.get(name) for name in ("metric", "variant", "value", "timestamp")}
            )
        return [
            {"task": t["id"], "task_name": t.get("name"), "values": values[t["id"]]} for t in tasks if t["id"] in values
        ]
