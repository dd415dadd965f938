"""Parsed HOCON files, kept as JSON under a name made from their bytes.

Parsing HOCON (pyhocon, on pyparsing) is most of a start-up: about a second for the
service schemas, a third of one for the configuration defaults and schema. What a set of
files parses to depends on their bytes alone, so the parsed (and checked) result is stored
under a name derived from those bytes: a changed file gives a new name and is never read
stale. A set is looked for

1. in the package's own ``parsed/`` folder, written when the wheel is built (setup.py runs
   ``schema.bundle.write_package_bundle``), so that even the first start of an installed package parses
   nothing;
2. in the cache folders the caller names — for ``stationmaster serve``, ``<data-dir>/cache``
   and the user's cache folder (``user_cache_dirs``).

A miss parses, checks and writes the result to every folder of 2 that can be written.
Nothing here runs at import time and nothing writes outside the folders it is given.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

PACKAGE_ROOT = Path(__file__).resolve().parents[1]
BUNDLE = "parsed"  # the folder below the package root that the wheel build fills


def cache_name(kind: str, files: Iterable[tuple[str, Path]], version: int) -> str:
    """``<kind>-<digest>.json`` over ``version`` and every (label, file)'s label and bytes."""
    digest = hashlib.sha256(f"{kind}\0{version}\0".encode())
    for label, path in files:
        digest.update(label.encode() + b"\0" + path.read_bytes() + b"\0")
    return f"{kind}-{digest.hexdigest()[:24]}.json"


def read(name: str, cache_dirs: Sequence[Path] = ()) -> Any | None:
    """The stored value named ``name``, from the package bundle or a cache folder; None."""
    for directory in (PACKAGE_ROOT / BUNDLE, *cache_dirs):
        try:
            return json.loads((directory / name).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
    return None


def write(name: str, value: Any, cache_dirs: Sequence[Path]) -> None:
    """Store ``value`` as ``name`` in every folder that can be written (atomically)."""
    text = json.dumps(value)
    for directory in cache_dirs:
        try:
            directory.mkdir(parents=True, exist_ok=True)
            tmp = directory / f"{name}.{os.getpid()}.tmp"
            tmp.write_text(text, encoding="utf-8")
            tmp.replace(directory / name)
        except OSError:
            pass  # a read-only cache folder only costs start-up time


def user_cache_dirs(env: Mapping[str, str] | None = None) -> list[Path]:
    """The user's cache folder: ``$STATIONMASTER_CACHE_DIR``, else
    ``$XDG_CACHE_HOME/stationmaster``, else ``~/.cache/stationmaster``; none without a home."""
    env = os.environ if env is None else env
    if env.get("STATIONMASTER_CACHE_DIR"):
        return [Path(env["STATIONMASTER_CACHE_DIR"])]
    base = env.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache")
    return [] if base.startswith("~") else [Path(base) / "stationmaster"]
