"""The Elasticsearch store's shared refresh (a group commit): a writer returns only after
a refresh that started after its bulk, and concurrent writers share refreshes."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from stationmaster.database.events.es import _SharedRefresh


class FakeIndices:
    def __init__(self, fail_first: bool = False) -> None:
        self.lock = threading.Lock()
        self.written: set[int] = set()  # writers whose bulk is done
        self.visible: set[int] = set()  # what a search sees: the bulks done when a refresh started
        self.refreshes: list[str] = []
        self.fail_first = fail_first

    def refresh(self, index: str, **_: Any) -> None:
        with self.lock:
            snapshot = set(self.written)
            self.refreshes.append(index)
            fail, self.fail_first = self.fail_first, False
        time.sleep(0.02)  # a refresh takes a while: writers pile up meanwhile
        if fail:
            raise ConnectionError("refresh failed")
        with self.lock:
            self.visible |= snapshot


class FakeEs:
    def __init__(self, fail_first: bool = False) -> None:
        self.indices = FakeIndices(fail_first)


def test_every_writer_is_visible_when_it_returns_and_refreshes_are_shared() -> None:
    es = FakeEs()
    shared = _SharedRefresh(es)  # type: ignore[arg-type]
    not_visible: list[int] = []

    def writer(n: int) -> None:
        for round_ in range(5):
            key = n * 100 + round_
            with es.indices.lock:
                es.indices.written.add(key)
            shared.refresh([f"events-log-{n % 3}"])
            with es.indices.lock:
                if key not in es.indices.visible:
                    not_visible.append(key)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not not_visible
    assert len(es.indices.refreshes) < 16 * 5 / 2  # shared: far fewer than one per batch
    assert all(set(r.split(",")) <= {"events-log-0", "events-log-1", "events-log-2"} for r in es.indices.refreshes)


def test_a_failed_refresh_reaches_its_writer_and_the_next_one_retries() -> None:
    es = FakeEs(fail_first=True)
    shared = _SharedRefresh(es)  # type: ignore[arg-type]
    with pytest.raises(ConnectionError):
        shared.refresh(["events-log-a"])
    shared.refresh(["events-log-b"])
    assert es.indices.refreshes[-1] == "events-log-a,events-log-b"  # the failed indices again
