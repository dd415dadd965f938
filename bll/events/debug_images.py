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
from ...protocol import errors
from .reading import DEBUG_IMAGE
from .tasks import EventOwners, events_company

_KEY = "debug_images_state/"


class DebugImagesIterator:
    """The reference's 2.7 iterator (``DebugImagesIterator``, v0.16.1), on the event store.

    The state covers only the requested metrics that have images when it is made, so a
    task with none answers ``metrics: []``; as in the reference, a scroll id is valid only
    for the request whose metrics it covers (else 400/1104). After each page, the window
    (``last_min_iter`` / ``last_max_iter``) is the edges of that page: navigating later
    after the earliest page was reached returns the page after it again."""

    def __init__(
        self, store: EventStore, owners: EventOwners, redis: Redis, expiration_sec: int, event_type: str = DEBUG_IMAGE
    ) -> None:
        """``event_type`` PLOT: the same paging of plots (``events.plots``), without the
        URL-recycling marks (plots have no files)."""
        self.store = store
        self.owners = owners
        self.redis = redis
        self.expiration_sec = expiration_sec
        self.event_type = event_type
        self.key = _KEY if event_type == DEBUG_IMAGE else f"{event_type}_state/"

    def get(
        self,
        company_id: str,
        metrics: Sequence[tuple[str, str, Sequence[str]]],
        *,
        iters: int,
        navigate_earlier: bool,
        refresh: bool,
        scroll_id: str | None,
        model_events: bool = False,
        list_empty: bool = False,
    ) -> dict[str, Any]:
        """``list_empty`` (from API 2.10, as later reference releases answer): a requested
        metric without events is answered too, with no iterations (and kept in the
        state, so its scroll id serves the same request); before, it is left out."""
        owners = self.owners.tasks_for_read(company_id, [task for task, _, _ in metrics], model_events=model_events)
        tasks = {t["id"]: events_company(company_id, t) for t in owners}
        only = {(task, metric): sorted(variants) for task, metric, variants in metrics if variants}
        wanted = sorted({(task, metric) for task, metric, _ in metrics})
        if scroll_id:
            state = self._load(scroll_id)
            if sorted((s["task"], s["metric"]) for s in state["metrics"]) != wanted:
                raise errors.INVALID_SCROLL_ID("the scroll id covers other metrics", scroll_id=scroll_id)
            if refresh:
                for metric_state in state["metrics"]:
                    self._reset(tasks[metric_state["task"]], metric_state)
        else:
            state = {"id": uuid.uuid4().hex, "metrics": []}
            for task, metric in wanted:
                metric_state = {"task": task, "metric": metric}
                if (task, metric) in only:
                    metric_state["only"] = only[(task, metric)]
                if self._reset(tasks[task], metric_state) or list_empty:
                    state["metrics"].append(metric_state)
        results = []
        for metric_state in state["metrics"]:
            company = tasks[metric_state["task"]]
            iterations = self._next_iterations(company, metric_state, iters, navigate_earlier)
            results.append({"task": metric_state["task"], "metric": metric_state["metric"], "iterations": iterations})
        self.redis.setex(self.key + state["id"], self.expiration_sec, json.dumps(state))
        return {"metrics": results, "scroll_id": state["id"]}

    def forget(self, scroll_id: str) -> None:
        self.redis.delete(self.key + scroll_id)

    def _load(self, scroll_id: str) -> dict[str, Any]:
        raw = self.redis.get(self.key + scroll_id)
        if raw is None:
            raise errors.INVALID_SCROLL_ID("unknown or expired scroll id", scroll_id=scroll_id)
        return dict(json.loads(raw))

    def _reset(self, company: str, state: dict[str, Any]) -> bool:
        """Start again from the newest iteration and recompute the recycling marks: per
        variant, the URL of its newest image, and the next older iteration that reported
        the same URL (its file was overwritten since). False when the metric has no images."""
        task, metric = state["task"], state["metric"]
        state["last_min_iter"] = state["last_max_iter"] = None
        variants: dict[str, Any] = {}
        for series in self._series(company, state):
            if self.event_type != DEBUG_IMAGE:
                variants[series.variant] = {"recycle_url_marker": None, "last_invalid_iteration": None}
                continue
            newest = self._events(company, task, metric, series.variant, size=1)
            marker = newest[0].get("url") if newest else None
            invalid = None
            if marker is not None:
                older = self._events(company, task, metric, series.variant, size=1, url=marker, below=series.max_iter)
                invalid = older[0].get("iter") if older else None
            variants[series.variant] = {"recycle_url_marker": marker, "last_invalid_iteration": invalid}
        state["variants"] = variants
        return bool(variants)

    def _series(self, company: str, state: dict[str, Any]) -> list[Any]:
        """The series of the state's (task, metric), of its variants only when it names some."""
        found = self.store.series(company, self.event_type, [state["task"]], metrics=[state["metric"]])
        only = state.get("only")
        return [s for s in found if only is None or s.variant in only]

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
            self.event_type,
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
        """The next page of iterations (newest first) and their images; the window moves to
        the page's edges. Earlier: below the window, only variants whose recycled range ends
        below it. Later: above the window, every variant. Either way a variant's images at
        or below its ``last_invalid_iteration`` are left out."""
        if state["last_max_iter"] is None:
            navigate_earlier = True  # the first page is always the newest
        task, metric = state["task"], state["metric"]
        invalid = {v: s["last_invalid_iteration"] for v, s in state["variants"].items()}
        low, high = state["last_min_iter"], state["last_max_iter"]
        if navigate_earlier:
            # no lower edge yet (or 0, which the reference tests as none): every variant
            considered = list(invalid) if not low else [v for v, i in invalid.items() if i is None or i < low]
            if not considered:
                return []
            variants = considered
        else:
            considered = [v for v, i in invalid.items() if i is not None and i > high]
            variants = [s.variant for s in self._series(company, state)]
        skip = {v: invalid[v] for v in considered if invalid[v] is not None}
        found = self._iterations(
            company, task, metric, variants, skip, low if navigate_earlier else high, navigate_earlier, iters
        )
        if not found:
            return []
        state["last_min_iter"], state["last_max_iter"] = min(found), max(found)
        images = EventQuery(
            self.event_type,
            [task],
            series=[(metric, v) for v in variants],
            iters=found,
            sort=[("iter", True), ("variant", False), ("id", False)],
        )
        images.size, images.with_total = 10000, False
        by_iter: dict[int, list[dict[str, Any]]] = {}
        for event in self.store.search(company, images).events:
            through = skip.get(event.get("variant", ""))
            if through is not None and event.get("iter", 0) <= through:
                continue
            by_iter.setdefault(event["iter"], []).append(event)
        return [{"iter": i, "events": by_iter[i]} for i in sorted(by_iter, reverse=True)]

    def _iterations(
        self,
        company: str,
        task: str,
        metric: str,
        variants: Sequence[str],
        skip: dict[str, int],
        edge: int | None,
        earlier: bool,
        limit: int,
    ) -> list[int]:
        """The first ``limit`` distinct iterations beyond ``edge`` (below it when
        ``earlier``) with an image of one of ``variants`` that ``skip`` leaves in: per
        variant its first ``limit``, merged."""
        found: set[int] = set()
        for variant in variants:
            below, above = (edge, None) if earlier else (None, edge)
            through = skip.get(variant)
            if through is not None:
                above = through if above is None else max(above, through)
            query = IterationsQuery(
                self.event_type,
                task,
                metric=metric,
                variant=variant,
                below=below,
                above=above,
                limit=limit,
                descending=earlier,
            )
            found.update(self.store.iterations(company, query))
        return sorted(found, reverse=earlier)[:limit]
