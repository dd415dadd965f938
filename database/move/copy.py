"""Copying one unit: a collection in batches, or an event / statistics unit page by
page, read here and bulk-written by ``writers`` threads at once (so that reading SQLite
and encoding overlap with Elasticsearch indexing). The marker's key advances over the
pages written without a gap (``Checkpoint``)."""

from __future__ import annotations

import queue
import threading
import time
from typing import Any

from ..migration.progress import Interrupted, Progress
from .source import DOCUMENTS, EVENTS, EmbeddedSource, Key, Unit
from .state import COPYING, MoveState
from .target import TeamTarget

DOC_BATCH = 1000
_DONE = object()


class Checkpoint:
    """Pages are numbered as read; ``done(n)`` when page n is written. ``key`` is the
    end of the longest written run of pages from the first one."""

    def __init__(self, after: Key | None, copied: int) -> None:
        self.key = after
        self.copied = copied
        self._next = 0
        self._pending: dict[int, tuple[Key, int]] = {}
        self._lock = threading.Lock()

    def done(self, number: int, key: Key, count: int) -> bool:
        """Whether the key moved."""
        with self._lock:
            self._pending[number] = (key, count)
            moved = False
            while self._next in self._pending:
                self.key, n = self._pending.pop(self._next)
                self.copied += n
                self._next += 1
                moved = True
            return moved


def copy_unit(
    source: EmbeddedSource,
    target: TeamTarget,
    state: MoveState,
    progress: Progress,
    unit: Unit,
    *,
    record: dict[str, Any],
    replace: bool,
    page_size: int,
    writers: int,
) -> int:
    """Copy ``unit`` (from where ``record`` says an earlier run got to); returns the
    number of items written by this run."""
    if unit.kind == DOCUMENTS:
        return _copy_documents(source, target, progress, unit, replace=replace or bool(record))
    after = record.get("after") if record.get("status") == COPYING else None
    copied = int(record.get("copied", 0)) if after else 0
    progress.advance(unit.name, 0, absolute=copied)
    es = target.es_for(unit)
    if unit.kind == EVENTS:
        target.start_indices(es, [unit.name])
    written = _copy_pages(source, target, state, progress, unit, Checkpoint(after, copied), page_size, writers)
    if unit.kind == EVENTS:
        target.finish_indices(es, [unit.name])
    return written


def _copy_documents(
    source: EmbeddedSource, target: TeamTarget, progress: Progress, unit: Unit, *, replace: bool
) -> int:
    docs = source.documents(unit)
    for start in range(0, len(docs), DOC_BATCH):
        batch = docs[start : start + DOC_BATCH]
        target.write_documents(unit, batch, replace=replace)
        progress.advance(unit.name, len(batch))
    return len(docs)


def _copy_pages(
    source: EmbeddedSource,
    target: TeamTarget,
    state: MoveState,
    progress: Progress,
    unit: Unit,
    checkpoint: Checkpoint,
    page_size: int,
    writers: int,
) -> int:
    pool = _Writers(target, state, progress, unit, checkpoint, writers)
    try:
        for number, (key, items) in enumerate(source.pages(unit, checkpoint.key, page_size)):
            if pool.failure or progress.stop.is_set():
                break
            pool.pages.put((number, key, items))
    finally:
        pool.join()
    if pool.failure:
        raise pool.failure[0]
    if progress.stop.is_set():
        raise Interrupted(unit.name)
    state.reached(unit.name, checkpoint.key or [], checkpoint.copied)
    return pool.written


class _Writers:
    """``count`` threads bulk-writing the pages put on ``pages``; the first error is
    kept in ``failure`` (the reader stops then)."""

    def __init__(
        self, target: TeamTarget, state: MoveState, progress: Progress, unit: Unit, checkpoint: Checkpoint, count: int
    ) -> None:
        self.target, self.state, self.progress, self.unit, self.checkpoint = target, state, progress, unit, checkpoint
        self.es = target.es_for(unit)
        self.pages: queue.Queue[Any] = queue.Queue(maxsize=count * 2)
        self.failure: list[BaseException] = []
        self.written = 0
        self._saved = [time.monotonic()]
        self._lock = threading.Lock()
        self._threads = [threading.Thread(target=self._run, name=f"move-{i}", daemon=True) for i in range(count)]
        for thread in self._threads:
            thread.start()

    def join(self) -> None:
        for _ in self._threads:
            self.pages.put(_DONE)
        for thread in self._threads:
            thread.join()

    def _run(self) -> None:
        while True:
            page = self.pages.get()
            if page is _DONE:
                return
            if self.failure or self.progress.stop.is_set():
                continue  # drain: the reader must never block
            try:
                self._write(*page)
            except Interrupted:
                continue
            except BaseException as ex:  # handed to the reading thread
                self.failure.append(ex)

    def _write(self, number: int, key: Key, items: list[Any]) -> None:
        self.target.bulk(self.es, items)
        with self._lock:
            self.written += len(items)
        if self.checkpoint.done(number, key, len(items)):
            _save(self.state, self.unit, self.checkpoint, self._saved, self._lock)
        self.progress.advance(self.unit.name, len(items))


def _save(state: MoveState, unit: Unit, checkpoint: Checkpoint, saved: list[float], lock: threading.Lock) -> None:
    """Record the key at most twice a second (a marker write per page would cost more
    than it saves after a crash)."""
    with lock:
        now = time.monotonic()
        if now - saved[0] < 0.5:
            return
        saved[0] = now
        key, copied = checkpoint.key, checkpoint.copied
    state.reached(unit.name, key or [], copied)
