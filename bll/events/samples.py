"""Navigation of single samples (API 2.12 / 2.20 / 2.22): one debug image
(``get_debug_image_sample`` / ``next_debug_image_sample``) or one metric's plots
(``get_plot_sample`` / ``next_plot_sample``) at a time, by iteration and by
metric / variant.

The scroll id names a state in Redis (``sample_state/<id>``, JSON, expiring after
``services.events.events_retrieval.state_expiration_sec``), as the reference's
``HistorySampleIterator`` keeps it: the task, the metric, whether navigation stays in
that metric (``navigate_current_metric``), where it stands (iteration, metric, variant)
and, per (metric, variant), the valid iteration range. For images the range starts at
the least of each URL's last iteration: the SDK reuses file names, so an image older
than that points at a file overwritten since. Plots are navigated per metric (every
variant of the metric at the iteration, ``events``).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from typing import Any

from redis import Redis

from ...database.events.base import MAX_SIZE, EventQuery, EventStore
from ...protocol import errors
from .reading import DEBUG_IMAGE, PLOT

_KEY = "sample_state/"


class SampleNavigator:
    """Debug images (one event per step) or plots (a metric's events per step)."""

    def __init__(self, store: EventStore, redis: Redis, expiration_sec: int, event_type: str) -> None:
        self.store = store
        self.redis = redis
        self.expiration_sec = expiration_sec
        self.event_type = event_type
        self.per_metric = event_type == PLOT

    # --- the two actions -----------------------------------------------------------------

    def get(
        self,
        company: str,
        task: str,
        metric: str,
        variant: str | None,
        *,
        iteration: int | None,
        refresh: bool,
        scroll_id: str | None,
        navigate_current_metric: bool,
    ) -> dict[str, Any]:
        """The sample of (metric, variant) at ``iteration`` or the latest before it (the
        latest of all without one), within the variant's valid range."""
        if scroll_id:
            state = self._load(scroll_id, task)
            if state["navigate_current_metric"] != navigate_current_metric or (
                navigate_current_metric and state["metric"] != metric
            ):
                raise errors.INVALID_SCROLL_ID(
                    "task and metric stored in the state do not match the passed ones", scroll_id=scroll_id
                )
            if refresh:
                state["variants"] = self._ranges(company, task, metric if navigate_current_metric else None)
        else:
            state = {"id": uuid.uuid4().hex, "task": task, "metric": metric}
            state["navigate_current_metric"] = navigate_current_metric
            state["variants"] = self._ranges(company, task, metric if navigate_current_metric else None)
        answer = self._answer(state["id"])
        found = self._range(state, metric, variant)
        if found is not None:
            answer.update(min_iteration=found[2], max_iteration=found[3])
            query = self._query(task, [(metric, variant or "")], size=1)
            query.iter_gt = found[2] - 1
            if iteration is not None:
                query.iter_lt = iteration + 1
            query.sort = [("iter", True), ("id", True)]
            events = self.store.search(company, query).events
            if events:
                self._move(company, state, events[0], answer)
        self._save(state)
        return answer

    def next(
        self, company: str, task: str, scroll_id: str, *, navigate_earlier: bool, next_iteration: bool
    ) -> dict[str, Any]:
        """The next (or previous) variant's sample at the same iteration, else the
        first (last) variant's at the next (previous) iteration; ``next_iteration`` skips
        the first step. Nothing more: the answer has no event."""
        state = self._load(scroll_id, task)
        answer = self._answer(scroll_id)
        if state.get("iteration") is None:
            return answer
        event = None if next_iteration else self._same_iteration(company, state, navigate_earlier)
        event = event or self._other_iteration(company, state, navigate_earlier)
        if event is not None:
            self._move(company, state, event, answer)
            found = self._range(state, event["metric"], None if self.per_metric else event["variant"])
            if found is not None:
                answer.update(min_iteration=found[2], max_iteration=found[3])
            self._save(state)
        return answer

    # --- steps -----------------------------------------------------------------------------

    def _candidates(self, state: dict[str, Any]) -> list[list[Any]]:
        ranges = state["variants"]
        if state["navigate_current_metric"]:
            ranges = [r for r in ranges if r[0] == state["metric"]]
        return ranges

    def _position(self, state: dict[str, Any]) -> tuple[str, str]:
        return (state["metric"], "" if self.per_metric else state["variant"])

    def _same_iteration(self, company: str, state: dict[str, Any], earlier: bool) -> dict[str, Any] | None:
        here, iteration = self._position(state), state["iteration"]
        candidates = [r for r in self._candidates(state) if ((r[0], r[1]) < here if earlier else (r[0], r[1]) > here)]
        candidates = [r for r in candidates if r[2] <= iteration <= r[3]]
        if not candidates:
            return None
        query = self._query(state["task"], [(r[0], r[1]) for r in candidates], size=1)
        query.iters = [iteration]
        query.sort = [("metric", earlier), ("variant", earlier), ("id", earlier)]
        events = self.store.search(company, query).events
        return events[0] if events else None

    def _other_iteration(self, company: str, state: dict[str, Any], earlier: bool) -> dict[str, Any] | None:
        iteration = state["iteration"]
        best: tuple[Any, ...] | None = None
        found = None
        for metric, variant, low, _ in self._candidates(state):
            query = self._query(state["task"], [(metric, variant)], size=1)
            if earlier:
                if low >= iteration:
                    continue
                query.iter_lt, query.iter_gt = iteration, low - 1
            else:
                query.iter_gt = max(iteration, low - 1)
            query.sort = [("iter", earlier), ("id", earlier)]
            events = self.store.search(company, query).events
            if not events:
                continue
            key = (events[0]["iter"], metric, variant)
            if best is None or (key > best if earlier else key < best):
                best, found = key, events[0]
        return found

    def _move(self, company: str, state: dict[str, Any], event: dict[str, Any], answer: dict[str, Any]) -> None:
        state["iteration"], state["metric"], state["variant"] = event["iter"], event["metric"], event.get("variant")
        if not self.per_metric:
            answer["event"] = event
            return
        query = EventQuery(PLOT, [state["task"]], metrics=[event["metric"]], iters=[event["iter"]], size=MAX_SIZE)
        query.sort, query.with_total = [("variant", False), ("id", False)], False
        answer["events"] = self.store.search(company, query).events

    # --- ranges and state ------------------------------------------------------------------

    def _ranges(self, company: str, task: str, metric: str | None) -> list[list[Any]]:
        """[metric, variant ("" for plots), min iteration, max iteration], ordered."""
        series = self.store.series(company, self.event_type, [task], metrics=[metric] if metric is not None else None)
        if self.per_metric:
            metrics: dict[str, list[int]] = {}
            for s in series:
                low, high = metrics.setdefault(s.metric, [s.min_iter, s.max_iter])
                metrics[s.metric] = [min(low, s.min_iter), max(high, s.max_iter)]
            return [[m, "", low, high] for m, (low, high) in sorted(metrics.items())]
        return [[s.metric, s.variant, self._valid_from(company, task, s.metric, s.variant), s.max_iter] for s in series]

    def _valid_from(self, company: str, task: str, metric: str, variant: str) -> int:
        """The least of the URLs' last iterations (older images were overwritten)."""
        query = self._query(task, [(metric, variant)], size=MAX_SIZE)
        query.sort = [("iter", True), ("id", True)]
        last_use: dict[Any, int] = {}
        for event in self.store.search(company, query).events:
            last_use.setdefault(event.get("url"), event["iter"])
        return min(last_use.values()) if last_use else 0

    def _range(self, state: dict[str, Any], metric: str, variant: str | None) -> list[Any] | None:
        name = "" if self.per_metric else variant
        return next((r for r in state["variants"] if r[0] == metric and r[1] == name), None)

    def _query(self, task: str, series: Sequence[tuple[str, str]], size: int) -> EventQuery:
        query = EventQuery(self.event_type, [task], size=size, with_total=False)
        if self.per_metric:
            query.metrics = sorted({m for m, _ in series})
        else:
            query.series = list(series)
        return query

    def _answer(self, scroll_id: str) -> dict[str, Any]:
        answer: dict[str, Any] = {"scroll_id": scroll_id, "min_iteration": None, "max_iteration": None}
        answer["events" if self.per_metric else "event"] = [] if self.per_metric else None
        return answer

    def _load(self, scroll_id: str, task: str) -> dict[str, Any]:
        raw = self.redis.get(_KEY + scroll_id)
        state = json.loads(raw) if raw is not None else None
        if not isinstance(state, dict) or state.get("task") != task or state.get("type") != self.event_type:
            raise errors.INVALID_SCROLL_ID("unknown or expired scroll id, or of another task", scroll_id=scroll_id)
        return state

    def _save(self, state: dict[str, Any]) -> None:
        state["type"] = self.event_type
        self.redis.setex(_KEY + state["id"], self.expiration_sec, json.dumps(state))

    def forget(self, scroll_id: str) -> None:
        self.redis.delete(_KEY + scroll_id)


def debug_image_samples(store: EventStore, redis: Redis, expiration_sec: int) -> SampleNavigator:
    return SampleNavigator(store, redis, expiration_sec, DEBUG_IMAGE)


def plot_samples(store: EventStore, redis: Redis, expiration_sec: int) -> SampleNavigator:
    return SampleNavigator(store, redis, expiration_sec, PLOT)
