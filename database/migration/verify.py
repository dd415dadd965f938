"""Verification of one migrated index: equal document counts, then a sample of
documents compared field by field (the source document, converted, against the
destination's)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .convert import convert
from .http import EsHttp
from .source import count, sample

MAX_REPORTED = 10


@dataclass
class IndexCheck:
    index: str
    source_docs: int
    dest_docs: int
    sampled: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def verify_index(src: EsHttp, dest: EsHttp, index: str, sample_size: int, seed: int) -> IndexCheck:
    """Compare ``index`` on both clusters; every difference found is a problem line."""
    dest.post(f"/{index}/_refresh", ok=(404,))
    source_docs = count(src, index)
    if not dest.exists(f"/{index}"):
        return IndexCheck(index, source_docs, 0, problems=["missing in the destination"])
    check = IndexCheck(index, source_docs, count(dest, index))
    if check.source_docs != check.dest_docs:
        check.problems.append(f"document count differs: source {check.source_docs:,}, destination {check.dest_docs:,}")
    hits = sample(src, index, sample_size, seed)
    check.sampled = len(hits)
    if not hits:
        return check
    found = dest.post(f"/{index}/_mget", {"ids": [h["_id"] for h in hits]})["docs"]
    by_id = {d["_id"]: d for d in found}
    for hit in hits:
        doc = by_id.get(hit["_id"], {})
        if not doc.get("found"):
            check.problems.append(f"document {hit['_id']}: missing in the destination")
            continue
        diffs = compare(convert(hit.get("_source") or {}), doc.get("_source") or {})
        if diffs:
            check.problems.append(f"document {hit['_id']}: " + "; ".join(diffs))
    check.problems = shortened(check.problems)
    return check


def shortened(problems: list[str]) -> list[str]:
    """The first ``MAX_REPORTED`` problems, and how many more there are."""
    if len(problems) <= MAX_REPORTED:
        return problems
    return problems[:MAX_REPORTED] + [f"... and {len(problems) - MAX_REPORTED} more"]


def compare(expected: dict[str, Any], actual: dict[str, Any], prefix: str = "") -> list[str]:
    """Field-by-field differences between two ``_source`` objects (nested objects by path)."""
    diffs = []
    for key in sorted(set(expected) | set(actual)):
        path = f"{prefix}{key}"
        if key not in actual:
            diffs.append(f"field {path} missing")
        elif key not in expected:
            diffs.append(f"field {path} unexpected")
        elif isinstance(expected[key], dict) and isinstance(actual[key], dict):
            diffs.extend(compare(expected[key], actual[key], f"{path}."))
        elif expected[key] != actual[key]:
            diffs.append(f"field {path}: source {_short(expected[key])}, destination {_short(actual[key])}")
    return diffs


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
