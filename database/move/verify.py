"""Verification of one moved unit: the target holds as many documents as the source
(at least as many with ``--merge``), and a random sample compares field by field with
migrate-es's comparison."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from ..migration.verify import IndexCheck, compare, shortened
from .source import DOCUMENTS, EmbeddedSource, Unit
from .target import TeamTarget


def verify_unit(
    source: EmbeddedSource, target: TeamTarget, unit: Unit, sample_size: int, seed: int, *, merged: bool
) -> IndexCheck:
    check = IndexCheck(unit.name, unit.docs, target.count(unit))
    if check.dest_docs < check.source_docs or (check.dest_docs != check.source_docs and not merged):
        check.problems.append(f"document count differs: source {check.source_docs:,}, target {check.dest_docs:,}")
    items = source.sample(unit, sample_size, seed)
    check.sampled = len(items)
    found = target.fetch(unit, items)
    for _, item_id, doc in items:
        if item_id not in found:
            check.problems.append(f"document {item_id}: missing in the target")
            continue
        expected = json.loads(doc) if isinstance(doc, str) else doc
        if unit.kind == DOCUMENTS:
            expected, actual = _comparable(expected), _comparable(found[item_id])
        else:
            actual = found[item_id]
        diffs = compare(expected, actual)
        if diffs:
            check.problems.append(f"document {item_id}: " + "; ".join(diffs))
    check.problems = shortened(check.problems)
    return check


def _comparable(value: Any) -> Any:
    """A document with what MongoDB's storage changes made equal: datetimes to the
    millisecond (BSON's precision)."""
    if isinstance(value, dict):
        return {k: _comparable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_comparable(v) for v in value]
    if isinstance(value, datetime):
        return value.replace(microsecond=value.microsecond // 1000 * 1000, tzinfo=None)
    return value
