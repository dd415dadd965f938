"""Progress lines: per index and overall, documents/s and the estimated time left."""

from __future__ import annotations

import threading
import time
from typing import TextIO


def _eta(seconds: float) -> str:
    seconds = int(max(seconds, 0))
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


class Interrupted(Exception):
    """The run was asked to stop (Ctrl-C); an index copy ends after its current page."""


class Progress:
    """Thread-safe counters; prints at most one line per ``interval`` seconds per index.
    ``stop`` is set when the run is interrupted; copies check it between pages."""

    def __init__(self, total: int, out: TextIO, interval: float = 2.0) -> None:
        self.total = total
        self.done = 0
        self.out = out
        self.interval = interval
        self.started = time.monotonic()
        self.stop = threading.Event()
        self._lock = threading.Lock()
        self._index: dict[str, tuple[int, int, float, float]] = {}  # name → total, done, start, last print

    def start_index(self, name: str, total: int) -> None:
        with self._lock:
            now = time.monotonic()
            self._index[name] = (total, 0, now, now)

    def advance(self, name: str, count: int, *, absolute: int | None = None) -> None:
        """Add ``count`` copied documents (or set the index's count to ``absolute``);
        raises ``Interrupted`` once ``stop`` is set."""
        if self.stop.is_set():
            raise Interrupted(name)
        with self._lock:
            total, done, start, last = self._index[name]
            new = absolute if absolute is not None else done + count
            self.done += new - done
            now = time.monotonic()
            if now - last >= self.interval:
                last = now
                self._print(name, total, new, start, now)
            self._index[name] = (total, new, start, last)

    def finish_index(self, name: str) -> None:
        with self._lock:
            total, done, start, _ = self._index[name]
            self._print(name, total, done, start, time.monotonic())

    def rate(self) -> float:
        return self.done / max(time.monotonic() - self.started, 1e-6)

    def _print(self, name: str, total: int, done: int, start: float, now: float) -> None:
        rate = done / max(now - start, 1e-6)
        all_rate = self.done / max(now - self.started, 1e-6)
        left = (total - done) / rate if rate else 0.0
        all_left = (self.total - self.done) / all_rate if all_rate else 0.0
        pct = 100.0 * done / total if total else 100.0
        all_pct = 100.0 * self.done / self.total if self.total else 100.0
        print(
            f"  {name}: {done:,}/{total:,} ({pct:.0f}%) {rate:,.0f} docs/s ETA {_eta(left)}"
            f" | overall {self.done:,}/{self.total:,} ({all_pct:.0f}%) {all_rate:,.0f} docs/s ETA {_eta(all_left)}",
            file=self.out,
            flush=True,
        )
