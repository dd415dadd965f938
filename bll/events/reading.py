"""Event reads: paged event lists, task logs, plots and the older debug-image forms."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

from ...database.events.base import MAX_SIZE, EventQuery, EventStore, IterationsQuery, SeriesInfo
from ...protocol import errors
from . import cursor
from .tasks import EventOwners, events_company
from .writing import LOG, SCALAR

PLOT = "plot"
DEBUG_IMAGE = "training_debug_image"
LOG_FIELDS = {"asctime", "timestamp", "level", "worker", "msg"}


@dataclass
class Page:
    events: list[dict[str, Any]]
    total: int
    scroll_id: str

    def as_response(self, key: str = "events") -> dict[str, Any]:
        return {key: self.events, "returned": len(self.events), "total": self.total, "scroll_id": self.scroll_id}


def selected(series: Iterable[SeriesInfo], metric_variants: Mapping[str, Sequence[str]] | None) -> list[SeriesInfo]:
    """The series of ``metric_variants`` (metric → its variants, none listed: all); all
    of them without a filter."""
    if metric_variants is None:
        return list(series)
    return [
        s
        for s in series
        if s.metric in metric_variants and (not metric_variants[s.metric] or s.variant in metric_variants[s.metric])
    ]


def _sort(first: str, descending: bool) -> list[tuple[str, bool]]:
    return [(first, descending), ("id", descending)]


class EventReader:
    def __init__(self, store: EventStore, owners: EventOwners) -> None:
        self.store = store
        self.owners = owners

    # --- generic paging ----------------------------------------------------------------

    def _page(self, company: str, query: EventQuery, kind: str, scope: Any, scroll_id: str | None) -> Page:
        if scroll_id == cursor.EXHAUSTED:
            return Page([], 0, cursor.EXHAUSTED)
        query.after = cursor.decode(scroll_id, kind, scope) if scroll_id else None
        total = self._count(company, query)
        page = self.store.search(company, query)
        total = page.total if total is None else total
        if not page.events:
            return Page([], total, cursor.EXHAUSTED)
        return Page(page.events, total, cursor.encode(kind, scope, page.last_key))

    def _count(self, company: str, query: EventQuery) -> int | None:
        """The total from the store's counts when the query filters only by task and type
        (no scan of the events); None otherwise (the search counts)."""
        filters = (query.metrics, query.variants, query.iters, query.series, query.urls)
        bounds = (query.iter_lt, query.iter_gt, query.ts_lt, query.ts_gt, query.ts_eq)
        if any(f is not None for f in (*filters, *bounds)):
            return None
        query.with_total = False
        return self.store.count(company, query.event_type, query.tasks)

    def _once(self, events: list[dict[str, Any]], kind: str, scope: Any, scroll_id: str | None) -> Page:
        """A result computed whole: the first call returns it, its scroll id the end."""
        if scroll_id == cursor.EXHAUSTED or (scroll_id and cursor.decode(scroll_id, kind, scope) == "done"):
            return Page([], 0, cursor.EXHAUSTED)
        return Page(events, len(events), cursor.encode(kind, scope, "done"))

    def task_events(
        self,
        company_id: str,
        task_id: str,
        *,
        event_type: str | None,
        order: str,
        batch_size: int,
        scroll_id: str | None,
        model_events: bool = False,
    ) -> Page:
        company = events_company(company_id, self.owners.task_for_read(company_id, task_id, model_events=model_events))
        query = EventQuery(event_type, [task_id], sort=_sort("timestamp", order == "desc"), size=batch_size)
        return self._page(company, query, "events", [task_id, event_type, order], scroll_id)

    def scalar_metric_data(
        self, company_id: str, task_id: str, metric: str, scroll_id: str | None, model_events: bool = False
    ) -> Page:
        company = events_company(company_id, self.owners.task_for_read(company_id, task_id, model_events=model_events))
        query = EventQuery(SCALAR, [task_id], metrics=[metric], sort=_sort("iter", True), size=MAX_SIZE)
        return self._page(company, query, "scalar_data", [task_id, metric], scroll_id)

    # --- logs --------------------------------------------------------------------------

    def log_scroll(
        self, company_id: str, task_id: str, *, descending: bool, batch_size: int, scroll_id: str | None
    ) -> Page:
        """get_task_log 1.0 / 1.7: the log in timestamp order, paged by scroll id."""
        company = events_company(company_id, self.owners.task_for_read(company_id, task_id))
        query = EventQuery(LOG, [task_id], sort=_sort("timestamp", descending), size=batch_size)
        return self._page(company, query, "log", [task_id, descending], scroll_id)

    def log_page(
        self,
        company_id: str,
        task_id: str,
        *,
        batch_size: int,
        navigate_earlier: bool,
        from_timestamp: int | None,
        metric_variants: Mapping[str, Sequence[str]] | None = None,
    ) -> tuple[list[dict[str, Any]], int]:
        """get_task_log 2.9: ``batch_size`` events before (or after) ``from_timestamp``,
        newest first when navigating earlier; never splits one timestamp over two pages.
        2.30: only of ``metric_variants`` (``total`` then counts those)."""
        company = events_company(company_id, self.owners.task_for_read(company_id, task_id))
        query = EventQuery(LOG, [task_id], sort=_sort("timestamp", navigate_earlier), size=batch_size)
        query.metric_variants = metric_variants
        if from_timestamp is not None:
            if navigate_earlier:
                query.ts_lt = from_timestamp
            else:
                query.ts_gt = from_timestamp
        query.with_total = False
        page = self.store.search(company, query)
        if metric_variants is None:
            total = self.store.count(company, LOG, [task_id])
        else:
            every = EventQuery(LOG, [task_id], metric_variants=metric_variants, size=0)
            total = self.store.search(company, every).total
        events = page.events
        if len(events) >= batch_size and events:
            last = events[-1]["timestamp"]
            same = EventQuery(LOG, [task_id], ts_eq=last, sort=_sort("timestamp", navigate_earlier), size=MAX_SIZE)
            same.metric_variants, same.with_total = metric_variants, False
            events = [e for e in events if e["timestamp"] != last] + self.store.search(company, same).events
        return events, total

    def log_lines(self, company_id: str, task_id: str, line_type: str, line_format: str) -> Iterator[bytes]:
        """download_task_log: the whole log, oldest first, one line per event."""
        is_json = line_type == "json"
        if not is_json:
            line_format = _checked_format(line_format)
        company = events_company(company_id, self.owners.task_for_read(company_id, task_id))
        return self._log_lines(company, task_id, is_json, line_format)

    def _log_lines(self, company: str, task_id: str, is_json: bool, line_format: str) -> Iterator[bytes]:
        query = EventQuery(LOG, [task_id], sort=_sort("timestamp", False), size=1000, with_total=False)
        while True:
            page = self.store.search(company, query)
            for event in page.events:
                event["asctime"] = event.pop("@timestamp", None)
                if is_json:
                    event.pop("type", None)
                    event.pop("task", None)
                    yield (json.dumps(event) + "\n").encode("utf-8")
                else:
                    yield line_format.format_map({k: event.get(k, "") for k in LOG_FIELDS}).encode("utf-8")
            if len(page.events) < query.size:
                return
            query.after = page.last_key

    # --- plots and the older debug-image forms -----------------------------------------

    def top_events(self, company_id: str, task_id: str, event_type: str, iters: int, scroll_id: str | None) -> Page:
        """plots / debug images 1.0: of the newest 10,000 events (by iteration), at most
        ``iters`` per metric and variant."""
        company = events_company(company_id, self.owners.task_for_read(company_id, task_id))
        query = EventQuery(event_type, [task_id], sort=_sort("iter", True), size=MAX_SIZE)
        page = self._page(company, query, f"top_{event_type}", [task_id], scroll_id)
        kept: dict[tuple[str, str], list[dict[str, Any]]] = {}
        for event in page.events:
            group = kept.setdefault((event.get("metric", ""), event.get("variant", "")), [])
            if len(group) < iters:
                group.append(event)
        events = sorted(itertools.chain.from_iterable(kept.values()), key=lambda e: e.get("iter", 0), reverse=True)
        return Page(events, page.total, page.scroll_id)

    def last_iterations_events(
        self, company_id: str, task_id: str, event_type: str, iters: int, scroll_id: str | None
    ) -> Page:
        """debug images 1.8: the events of the task's last ``iters`` iterations."""
        company = events_company(company_id, self.owners.task_for_read(company_id, task_id))
        last = self.store.iterations(company, IterationsQuery(event_type, task_id, limit=iters))
        query = EventQuery(event_type, [task_id], iters=last, sort=_sort("iter", True), size=MAX_SIZE)
        return self._page(company, query, f"last_{event_type}", [task_id], scroll_id)

    def _plots_per_series(
        self, company: str, task_id: str, iters: int, metric_variants: Mapping[str, Sequence[str]] | None = None
    ) -> list[dict[str, Any]]:
        events: list[dict[str, Any]] = []
        for series in selected(self.store.series(company, PLOT, [task_id]), metric_variants):
            which = IterationsQuery(PLOT, task_id, metric=series.metric, variant=series.variant, limit=iters)
            last = self.store.iterations(company, which)
            query = EventQuery(
                PLOT, [task_id], series=[(series.metric, series.variant)], iters=last, sort=_sort("iter", True)
            )
            query.size = MAX_SIZE
            events.extend(self.store.search(company, query).events)
        events.sort(key=lambda e: e.get("iter", 0), reverse=True)
        return events

    def task_plots(
        self,
        company_id: str,
        task_id: str,
        iters: int,
        scroll_id: str | None,
        model_events: bool = False,
        metric_variants: Mapping[str, Sequence[str]] | None = None,
    ) -> Page:
        """get_task_plots 1.8: each plot's last ``iters`` iterations (2.14: of the
        ``metric_variants`` only)."""
        company = events_company(company_id, self.owners.task_for_read(company_id, task_id, model_events=model_events))
        events = self._plots_per_series(company, task_id, iters, metric_variants)
        return self._once(events, "plots", [task_id, metric_variants], scroll_id)

    def multi_task_plots(
        self,
        company_id: str,
        task_ids: Sequence[str],
        iters: int,
        scroll_id: str | None,
        per_task_last: bool,
        model_events: bool = False,
    ) -> dict[str, Any]:
        """get_multi_task_plots: {metric: {variant: {task: {iter: {name, plots}}}}}; 1.0
        groups the newest 10,000 events, 1.8 the events of each task's last iterations."""
        tasks = self.owners.tasks_for_read(company_id, task_ids, ("name",), model_events=model_events)
        company = _one_company(company_id, tasks)
        names = {t["id"]: t.get("name") for t in tasks}
        ids = list(names)
        query = EventQuery(PLOT, ids, sort=_sort("iter", True), size=MAX_SIZE)
        if per_task_last:
            per_task = (self.store.iterations(company, IterationsQuery(PLOT, t, limit=iters)) for t in ids)
            query.iters = sorted({i for found in per_task for i in found})
        page = self._page(company, query, "multi_plots", [ids, per_task_last], scroll_id)
        plots = _group_plots(page.events, iters, names)
        return {"plots": plots, "returned": len(plots), "total": page.total, "scroll_id": page.scroll_id}

    def multi_task_plots_per_metric(
        self,
        company_id: str,
        task_ids: Sequence[str],
        iters: int,
        scroll_id: str | None,
        model_events: bool,
        metric_variants: Mapping[str, Sequence[str]] | None,
    ) -> dict[str, Any]:
        """get_multi_task_plots 2.26 (``last_iters_per_task_metric``) / 2.28 (``metrics``):
        each task's plots of the last ``iters`` iterations of each of its metrics."""
        tasks = self.owners.tasks_for_read(company_id, task_ids, ("name",), model_events=model_events)
        company = _one_company(company_id, tasks)
        names = {t["id"]: t.get("name") for t in tasks}
        events: list[dict[str, Any]] = []
        for task_id in names:
            series = selected(self.store.series(company, PLOT, [task_id]), metric_variants)
            for metric in sorted({s.metric for s in series}):
                last = self.store.iterations(company, IterationsQuery(PLOT, task_id, metric=metric, limit=iters))
                pairs = [(s.metric, s.variant) for s in series if s.metric == metric]
                query = EventQuery(PLOT, [task_id], series=pairs, iters=last, size=MAX_SIZE, with_total=False)
                events.extend(self.store.search(company, query).events)
        page = self._once(events, "multi_plots_metric", [list(names), metric_variants, iters], scroll_id)
        plots = _group_plots(page.events, iters, names)
        return {"plots": plots, "returned": len(plots), "total": page.total, "scroll_id": page.scroll_id}


def _group_plots(events: list[dict[str, Any]], iters: int, names: dict[str, Any]) -> dict[str, Any]:
    key = itemgetter("metric", "variant", "task", "iter")
    events = [e for e in events if "iter" in e]
    unique = itertools.chain.from_iterable(
        itertools.islice(group, iters) for _, group in itertools.groupby(sorted(events, key=key, reverse=True), key)
    )
    result: dict[str, Any] = {}
    for event in unique:
        leaf = result.setdefault(event["metric"], {}).setdefault(event["variant"], {}).setdefault(event["task"], {})
        entry = leaf.setdefault(str(event["iter"]), {"name": names.get(event["task"]), "plots": []})
        entry["plots"].append(event)
    return result


def _one_company(company_id: str, tasks: Sequence[dict[str, Any]]) -> str:
    companies = {events_company(company_id, t) for t in tasks}
    if len(companies) > 1:
        raise errors.INVALID_TASK_ID("only tasks from the same company are supported")
    return companies.pop() if companies else company_id


def _checked_format(line_format: str) -> str:
    if not line_format:
        raise errors.MISSING_REQUIRED_FIELDS("line_format is required for plain text lines")
    unknown: set[str] = set()
    while True:
        try:
            line_format.format(**dict.fromkeys(LOG_FIELDS | unknown, ""))
            break
        except KeyError as ex:
            unknown.add(str(ex.args[0]))
        except (ValueError, IndexError) as ex:
            raise errors.FIELDS_VALUE_ERROR("invalid line format", error=str(ex)) from None
    if unknown:
        raise errors.FIELDS_VALUE_ERROR("undefined placeholders in line format", placeholders=sorted(unknown))
    return line_format.rstrip("\n") + "\n"
