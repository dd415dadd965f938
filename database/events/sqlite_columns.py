"""Scalar series kept in memory as two columns, for histograms without a table scan.

A histogram of a series averages its values per bucket of ``interval`` iterations. In
SQL that is a scan and a sort of every point (about 9 ms per 50,000 points here); from
the iterations and values held in order in memory it is a slice and a sum per bucket
(the points of a bucket are contiguous). The columns are kept for series this process
created and has only ever appended to, which is how a training run reports: each write
adds its points (or drops the columns when it overwrites points or interleaves with them).

Every entry carries the series' ``gen`` (changed by each write, see sqlite_series): a
reader uses the columns only when their ``gen`` and length match the committed summary
row, so an entry that missed a write, or holds one that was rolled back, is never used.
A writer appends only to an entry whose ``gen`` is the series' current one.
"""

from __future__ import annotations

import operator
import threading
from array import array
from bisect import bisect_left
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import repeat


@dataclass
class Columns:
    """A series' points: iterations strictly increasing, values as 32-bit floats."""

    gen: int
    iters: array[int]
    values: array[float]


class SeriesColumns:
    """sid → Columns, least recently used first out, at most ``max_points`` points.
    One lock covers changes and the bucketing of a series (a few milliseconds)."""

    def __init__(self, max_points: int) -> None:
        self.max_points = max_points
        self._entries: OrderedDict[int, Columns] = OrderedDict()
        self._points = 0
        self._lock = threading.Lock()

    def start(self, sid: int, gen: int, iters: Sequence[int], values: Sequence[float]) -> None:
        """Columns for a series created by this write."""
        with self._lock:
            self._drop(sid)
            self._entries[sid] = Columns(gen, array("q", iters), array("d", values))
            self._grown(len(iters))

    def add(self, sid: int, old_gen: int, gen: int, iters: Sequence[int], values: Sequence[float]) -> None:
        """New points (strictly increasing iterations, none held yet). They are put in
        place when they fall between two held points or after them all (as concurrent
        reporters' batches do); the entry is dropped when they interleave with held
        points, or unless it is at ``old_gen``, the series' gen before this write."""
        with self._lock:
            found = self._entries.get(sid)
            if found is None:
                return
            at = bisect_left(found.iters, iters[0])
            if found.gen != old_gen or (at < len(found.iters) and found.iters[at] <= iters[-1]):
                self._drop(sid)
                return
            found.iters[at:at] = array("q", iters)
            found.values[at:at] = array("d", values)
            found.gen = gen
            self._entries.move_to_end(sid)
            self._grown(len(iters))

    def buckets(self, sid: int, gen: int, count: int, interval: int) -> list[tuple[int, float]] | None:
        """The series' buckets when its columns are at ``gen`` and hold ``count`` points."""
        with self._lock:
            found = self._entries.get(sid)
            if found is None or found.gen != gen or len(found.iters) != count:
                return None
            self._entries.move_to_end(sid)
            return buckets(found, interval)

    def drop(self, sids: Sequence[int]) -> None:
        with self._lock:
            for sid in sids:
                self._drop(sid)

    def has(self, sid: int) -> bool:
        with self._lock:
            return sid in self._entries

    def _drop(self, sid: int) -> None:
        old = self._entries.pop(sid, None)
        if old is not None:
            self._points -= len(old.iters)

    def _grown(self, points: int) -> None:
        self._points += points
        while self._points > self.max_points and self._entries:
            _, dropped = self._entries.popitem(last=False)
            self._points -= len(dropped.iters)


def buckets(columns: Columns, interval: int) -> list[tuple[int, float]]:
    """(bucket start, average value) per non-empty bucket of ``interval`` iterations,
    bucket starts floored to multiples of ``interval`` — as the SQL of the store."""
    iters, values, n = columns.iters, columns.values, len(columns.iters)
    result: list[tuple[int, float]] = []
    if n == 0:
        return result
    first = iters[0]
    if iters[n - 1] - first + 1 == n:  # consecutive iterations: index = iter - first
        return _dense_buckets(values, n, first, interval)
    start = 0
    while start < n:
        key = iters[start] - iters[start] % interval
        end = bisect_left(iters, key + interval, start, n)
        chunk = values[start:end]
        result.append((key, sum(chunk) / len(chunk)))
        start = end
    return result


def _dense_buckets(values: array[float], n: int, first: int, interval: int) -> list[tuple[int, float]]:
    """``buckets`` of consecutive iterations: a first bucket up to the first multiple of
    ``interval``, full buckets of ``interval`` points, and what is left."""
    low = first - first % interval
    head = min(n, low + interval - first)
    result = [(low, sum(values[:head]) / head)]
    full = (n - head) // interval
    if full:
        chunks = iter(values[head : head + full * interval])
        sums = map(sum, zip(*[chunks] * interval, strict=False))  # interval points at a time, in order
        averages = map(operator.truediv, sums, repeat(float(interval)))
        result.extend(zip(range(low + interval, low + interval * (full + 1), interval), averages, strict=True))
    rest = head + full * interval
    if rest < n:
        result.append((low + interval * (full + 1), sum(values[rest:]) / (n - rest)))
    return result
