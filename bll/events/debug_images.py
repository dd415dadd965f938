"""events.debug_images 2.7: per (task, metric), pages of iterations with their images.

The scroll id names a state kept in Redis (JSON, expiring after
``services.events.events_retrieval.state_expiration_sec``): per (task, metric) the
iteration range already returned and, per variant, the URL-recycling marks. The SDK
reuses image file names (``<metric>_<variant>_<iter % history>``), so an older event
whose URL was reported again later points at a file that has since been overwritten;
such events (at or below ``last_invalid_iteration``) are not returned.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from typing import Any

from redis import Redis

from ...database.events.base import EventQuery, EventStore, IterationsQuery
from ...server import errors
from .reading import DEBUG_IMAGE
from .tasks import events_company, tasks_for_read

_KEY = "debug_images_state/"


class DebugImagesIterator:
    def __init__(self, store: EventStore, redis: Redis, expiration_sec: int) -> None:
        self.store = store
        self.redis = redis
        self.expiration_sec = expiration_sec

    def get(
        self,
        company_id: str,
        metrics: Sequence[tuple[str, str]],
        *,
        iters: int,
        navigate_earlier: bool,
        refresh: bool,
        scroll_id: str | None,
    ) -> dict[str, Any]:
        tasks = {t["id"]: events_company(company_id, t) for t in tasks_for_read(company_id, [t for t, _ in metrics])}
        wanted = sorted({(t, m) for t, m in metrics})
        if scroll_id:
            state = self._load(scroll_id)
            if sorted((s["task"], s["metric"]) for s in state["metrics"]) != wanted:
                raise errors.INVALID_SCROLL_ID("the scroll id covers other metrics", scroll_id=scroll_id)
        else:
            state = {"id": uuid.uuid4().hex, "metrics": [{"task": t, "metric": m} for t, m in wanted]}
        results = []
        for metric_state in state["metrics"]:
            company = tasks[metric_state["task"]]
            if refresh or "variants" not in metric_state:
                self._reset(company, metric_state)
            iterations = self._next_iterations(company, metric_state, iters, navigate_earlier)
            results.append({"task": metric_state["task"], "metric": metric_state["metric"], "iterations": iterations})
        self.redis.setex(_KEY + state["id"], self.expiration_sec, json.dumps(state))
        return {"metrics": results, "scroll_id": state["id"]}

    def _load(self, scroll_id: str) -> dict[str, Any]:
        raw = self.redis.get(_KEY + scroll_id)
        if raw is None:
            raise errors.INVALID_SCROLL_ID("unknown or expired scroll id", scroll_id=scroll_id)
        return dict(json.loads(raw))

    def _reset(self, company: str, state: dict[str, Any]) -> None:
        """Start again from the newest iteration and recompute the recycling marks."""
        task, metric = state["task"], state["metric"]
        state["last_min_iter"] = state["last_max_iter"] = None
        variants: dict[str, Any] = {}
        for series in self.store.series(company, DEBUG_IMAGE, [task], metrics=[metric]):
            newest = self._events(company, task, metric, series.variant, size=1)
            marker = newest[0].get("url") if newest else None
            invalid = None
            if marker is not None:
                older = self._events(company, task, metric, series.variant, size=1, url=marker, below=series.max_iter)
                invalid = older[0].get("iter") if older else None
            variants[series.variant] = {"recycle_url_marker": marker, "last_invalid_iteration": invalid}
        state["variants"] = variants

    def _events(
        self,
        company: str,
        task: str,
        metric: str,
        variant: str,
        *,
        size: int,
        url: str | None = None,
        below: int | None = None,
    ) -> list[dict[str, Any]]:
        query = EventQuery(
            DEBUG_IMAGE,
            [task],
            series=[(metric, variant)],
            urls=[url] if url is not None else None,
            iter_lt=below,
            sort=[("iter", True), ("id", True)],
            size=size,
            with_total=False,
        )
        return self.store.search(company, query).events

    def _next_iterations(
        self, company: str, state: dict[str, Any], iters: int, navigate_earlier: bool
    ) -> list[dict[str, Any]]:
        task, metric = state["task"], state["metric"]
        invalid = {v: s["last_invalid_iteration"] for v, s in state["variants"].items()}
        floor = min((i for i in invalid.values() if i is not None), default=None) if invalid else None
        if None in invalid.values():
            floor = None
        if navigate_earlier:
            query = IterationsQuery(
                DEBUG_IMAGE, task, metric=metric, below=state["last_min_iter"], above=floor, limit=iters
            )
        else:
            above = state["last_max_iter"] if state["last_max_iter"] is not None else floor
            query = IterationsQuery(DEBUG_IMAGE, task, metric=metric, above=above, limit=iters, descending=False)
        found = self.store.iterations(company, query)
        if not found:
            return []
        known = [i for i in (state["last_min_iter"], state["last_max_iter"]) if i is not None]
        state["last_min_iter"], state["last_max_iter"] = min([*found, *known]), max([*found, *known])
        images = EventQuery(
            DEBUG_IMAGE, [task], metrics=[metric], iters=found, sort=[("iter", True), ("variant", False), ("id", False)]
        )
        images.size, images.with_total = 10000, False
        by_iter: dict[int, list[dict[str, Any]]] = {}
        for event in self.store.search(company, images).events:
            bad = invalid.get(event.get("variant", ""))
            if bad is not None and event.get("iter", 0) <= bad:
                continue
            by_iter.setdefault(event["iter"], []).append(event)
        return [{"iter": i, "events": by_iter[i]} for i in sorted(by_iter, reverse=True)]
