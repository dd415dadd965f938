"""Pausing Python's cyclic garbage collector around bulk reads of many small rows.

Reading 200,000 points as row tuples allocates 200,000 tracked objects; every 700 of
them start a young collection that walks them all again, about 40% of the read's CPU
(bench/README.md, issue 17). The rows hold no reference cycles, so nothing is lost by
collecting later. The pause is process-wide (the collector has one switch): it is
counted, so that overlapping readers on other threads re-enable it only when the last
one ends, and nothing else changes — reference counting frees everything as usual.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_paused = 0
_was_enabled = False


@contextmanager
def gc_paused() -> Iterator[None]:
    global _paused, _was_enabled
    with _lock:
        if _paused == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _paused += 1
    try:
        yield
    finally:
        with _lock:
            _paused -= 1
            if _paused == 0 and _was_enabled:
                gc.enable()
