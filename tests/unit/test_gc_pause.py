"""database/events/gc_pause.py: the collector is off inside, back on after the last of
overlapping pauses, and left off when it was off before."""

from __future__ import annotations

import gc
import threading

from stationmaster.database.events.gc_pause import gc_paused


def test_overlapping_pauses_on_threads_reenable_after_the_last() -> None:
    assert gc.isenabled()
    inside, release = threading.Event(), threading.Event()

    def other() -> None:
        with gc_paused():
            inside.set()
            release.wait(10)

    thread = threading.Thread(target=other)
    with gc_paused():
        assert not gc.isenabled()
        thread.start()
        assert inside.wait(10)
    assert not gc.isenabled(), "the other thread's pause still runs"
    release.set()
    thread.join(10)
    assert gc.isenabled()


def test_an_exception_inside_still_reenables() -> None:
    try:
        with gc_paused():
            raise ValueError("boom")
    except ValueError:
        pass
    assert gc.isenabled()


def test_a_collector_that_was_off_stays_off() -> None:
    gc.disable()
    try:
        with gc_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()
