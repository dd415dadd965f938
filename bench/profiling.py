"""Sampling profiles of a running server with py-spy (``pip install py-spy``).

    with py_spy(pid, Path("/tmp/queues.txt")) as profile:
        ...  # the load to profile
    print(profile.summary())

``py-spy record --format raw`` writes one line per distinct stack (``frame;frame;...
count``); the summary gives the functions where the samples were (self time) and the
ones they were under (inclusive time), as shares of the busy samples. Idle samples
(threads waiting in a select, a lock or a socket read) are left out with ``--idle`` off,
which is py-spy's default.
"""

from __future__ import annotations

import re
import shutil
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

_FRAME = re.compile(r"^(?P<func>.+?) \((?P<file>[^()]*?)(?::(?P<line>\d+))?\)$")


def py_spy_binary() -> str | None:
    """py-spy on PATH, else beside this interpreter (a virtual environment not activated)."""
    beside = Path(sys.executable).parent / "py-spy"
    return shutil.which("py-spy") or (str(beside) if beside.exists() else None)


class Profile:
    def __init__(self, path: Path) -> None:
        self.path = path

    def stacks(self) -> Counter[tuple[str, ...]]:
        counts: Counter[tuple[str, ...]] = Counter()
        if not self.path.exists():
            return counts
        for line in self.path.read_text().splitlines():
            stack, _, count = line.rpartition(" ")
            if stack and count.isdigit():
                counts[tuple(_short(f) for f in stack.split(";"))] += int(count)
        return counts

    def summary(self, top: int = 15) -> str:
        stacks = self.stacks()
        total = sum(stacks.values())
        if not total:
            return "no samples"
        own: Counter[str] = Counter()
        under: Counter[str] = Counter()
        for stack, count in stacks.items():
            own[stack[-1]] += count
            for frame in set(stack):
                under[frame] += count
        lines = [f"{total} busy samples; self time:"]
        lines += [f"  {100 * n / total:5.1f}%  {f}" for f, n in own.most_common(top)]
        lines.append("inclusive (the function and what it called):")
        lines += [f"  {100 * n / total:5.1f}%  {f}" for f, n in under.most_common(top + 10)]
        return "\n".join(lines)


def _short(frame: str) -> str:
    """``func (path/to/site-packages/pkg/mod.py:12)`` -> ``func (pkg/mod.py)``."""
    match = _FRAME.match(frame.strip())
    if not match:
        return frame.strip()
    path = match["file"]
    for marker in ("site-packages/", "stationmaster/", "lib/python3"):
        if marker in path:
            path = path.split(marker, 1)[1]
            break
    return f"{match['func']} ({'/'.join(path.split('/')[-2:])})"


@contextmanager
def py_spy(pid: int, output: Path, rate: int = 250) -> Iterator[Profile]:
    """Record ``pid`` with py-spy while the block runs (native frames off, GIL or not)."""
    binary = py_spy_binary()
    if binary is None:
        raise RuntimeError("py-spy is needed for --profile: pip install py-spy")
    output.parent.mkdir(parents=True, exist_ok=True)
    proc = subprocess.Popen(
        [binary, "record", "--gil", "--pid", str(pid), "--rate", str(rate), "--format", "raw", "--output", str(output)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    profile = Profile(output)
    try:
        yield profile
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
