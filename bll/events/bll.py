"""Event rules: adding events (validation, ids, task statistics), deleting them, and
the readers every ``events.*`` action uses. Built once per app in the context."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cached_property
from typing import Any

from ...config import Config
from ...database.events.base import EventQuery, EventsRejected, EventStore, LogCut
from ...database.stores import Stores
from ...protocol import errors
from .debug_images import DebugImagesIterator
from .metrics import MetricsReader
from .reading import PLOT, EventReader
from .samples import SampleNavigator, debug_image_samples, plot_samples
from .scalars import ScalarReader
from .tasks import EventOwners, events_company
from .writing import (
    LOCKED_STATUSES,
    check_models,
    check_tasks,
    now_ms,
    take_options,
    task_ids_of,
    update_task_stats,
    validate_batch,
)


class EventsBLL:
    def __init__(self, config: Config, stores: Stores, owners: EventOwners) -> None:
        self.config = config
        self.stores = stores
        self.owners = owners
        self.ignore_iteration = tuple(config.get("services.events.ignore_iteration.metrics"))

    # The readers are made on first use: a context may be built before its event store.
    @cached_property
    def reader(self) -> EventReader:
        return EventReader(self.store, self.owners)

    @cached_property
    def metrics(self) -> MetricsReader:
        return MetricsReader(self.store, self.owners, int(self.config.get("services.tasks.multi_task_histogram_limit")))

    @cached_property
    def scalars(self) -> ScalarReader:
        return ScalarReader(
            self.store, self.owners, int(self.config.get("services.events.events_retrieval.max_raw_scalars_size"))
        )

    @cached_property
    def debug_images(self) -> DebugImagesIterator:
        expiration = int(self.config.get("services.events.events_retrieval.state_expiration_sec"))
        return DebugImagesIterator(self.store, self.owners, self.stores.redis, expiration)

    @cached_property
    def plots(self) -> DebugImagesIterator:
        return DebugImagesIterator(self.store, self.owners, self.stores.redis, self._expiration, PLOT)

    @cached_property
    def image_samples(self) -> SampleNavigator:
        return debug_image_samples(self.store, self.stores.redis, self._expiration)

    @cached_property
    def plot_samples(self) -> SampleNavigator:
        return plot_samples(self.store, self.stores.redis, self._expiration)

    @property
    def _expiration(self) -> int:
        return int(self.config.get("services.events.events_retrieval.state_expiration_sec"))

    def owner_company(self, company_id: str, task_id: str, model_events: bool) -> str:
        """Whose events the task's (or model's) are, for a read (400/101, 400/201)."""
        return events_company(company_id, self.owners.task_for_read(company_id, task_id, model_events=model_events))

    @property
    def store(self) -> EventStore:
        store = getattr(self.stores, "events", None)
        if store is None:
            raise RuntimeError("the event store is not open")
        return store

    def add_events(
        self,
        company_id: str,
        raw_events: Sequence[Mapping[str, Any]],
        worker: str,
        *,
        allow_locked: bool = False,
        event_options: bool = False,
    ) -> dict[str, Any]:
        """Store the valid events, update their tasks; 400/131 when none was valid.
        ``event_options`` (API 2.22): each event may name ``model_event`` (its ``task``
        is then a model id) and ``allow_locked``; below, both are dropped."""
        models: set[str] = set()
        if event_options:
            options = take_options(raw_events, allow_locked)
            models = options.models
            valid_tasks = check_tasks(self.owners, company_id, options.tasks, options.allow_locked)
            valid_tasks.update(check_models(self.owners, company_id, models, options.allow_locked))
        else:
            valid_tasks = check_tasks(self.owners, company_id, task_ids_of(raw_events), allow_locked)
        batch = validate_batch(raw_events, worker=worker, valid_tasks=valid_tasks, models=models)
        if not batch.events:
            reasons: dict[str, Any] = dict(batch.errors)
            raise errors.EVENTS_NOT_ADDED(**reasons)
        try:
            added = self.store.add(company_id, batch.events)
        except EventsRejected as ex:
            raise errors.VALIDATION_ERROR(f"events: {ex}", field="events") from ex
        update_task_stats(self.owners, company_id, batch.events, self.ignore_iteration, models)
        return {"added": added, "errors": sum(batch.errors.values()), "errors_info": dict(batch.errors)}

    def delete_for_task(self, company_id: str, task_id: str, allow_locked: bool) -> int:
        task = self.owners.task_for_write(company_id, task_id)
        if task.get("status") in LOCKED_STATUSES and not allow_locked:
            raise errors.INVALID_TASK_ID("or task published", company=company_id, id=task_id)
        return self.store.delete_tasks(company_id, [task_id])

    def clear_task_log(
        self,
        company_id: str,
        task_id: str,
        *,
        allow_locked: bool,
        threshold_sec: int | None,
        include_metrics: Sequence[str] | None,
        exclude_metrics: Sequence[str] | None,
    ) -> int:
        """Delete the task's log lines older than ``threshold_sec`` (all when 0 or None),
        of the included metrics only, not of the excluded ones."""
        task = self.owners.task_for_write(company_id, task_id)
        if task.get("status") in LOCKED_STATUSES and not allow_locked:
            raise errors.INVALID_TASK_ID("or task published", company=company_id, id=task_id)
        before = now_ms() - threshold_sec * 1000 if threshold_sec else None
        return self.store.delete_log_lines(company_id, LogCut(task_id, before, include_metrics, exclude_metrics))

    def clear_scroll(self, scroll_id: str) -> None:
        """Forget the server state a scroll id names (the iterators' states in Redis); the
        paged reads' scroll ids are self-contained cursors with nothing to clear."""
        self.debug_images.forget(scroll_id)
        self.image_samples.forget(scroll_id)
        self.plots.forget(scroll_id)
        self.plot_samples.forget(scroll_id)

    def delete_for_model(self, company_id: str, model_id: str, allow_locked: bool) -> int:
        model = self.owners.model_for_write(company_id, model_id)
        if model.get("ready") and not allow_locked:
            raise errors.INVALID_MODEL_ID("or model published", company=company_id, id=model_id)
        return self.store.delete_tasks(company_id, [model_id])

    def debug_image_urls(self, company_id: str, task_ids: Sequence[str]) -> list[str]:
        """The distinct urls of the tasks' debug images, sorted (for ``return_file_urls``)."""
        if getattr(self.stores, "events", None) is None:
            return []
        urls: dict[str, None] = {}
        after = None
        while True:
            query = EventQuery(
                "training_debug_image", list(task_ids), sort=(("id", False),), after=after, size=1000, with_total=False
            )
            page = self.store.search(company_id, query)
            urls.update((str(e["url"]), None) for e in page.events if e.get("url"))
            if len(page.events) < query.size or page.last_key is None:
                return sorted(urls)
            after = page.last_key

    def delete_task_events(self, company_id: str, task_ids: Sequence[str]) -> int:
        """Delete every event of the given tasks; returns how many were deleted."""
        if getattr(self.stores, "events", None) is None:
            return 0  # a context without an event store holds no events
        return self.store.delete_tasks(company_id, list(task_ids))
