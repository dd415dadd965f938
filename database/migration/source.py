"""Reading the ES 5.6 cluster: which indices to move, their counts, their documents.

Only read requests are sent (``_cat``, ``_count``, ``_search`` with scroll, clearing
our own scroll contexts): the source is never altered.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from .http import EsError, EsHttp, total_hits

# The index families of a reference server ≤ 0.15: events per type and company, the
# workers cluster's monthly machine statistics and queue metrics.
FAMILIES = ("events-*", "worker_stats_*", "queue_metrics_*")
SCROLL_KEEP = "10m"


@dataclass
class SourceIndex:
    name: str
    docs: int
    status: str = "open"


def family_of(name: str) -> str | None:
    for pattern in FAMILIES:
        if fnmatch.fnmatchcase(name, pattern):
            return pattern
    return None


def discover(src: EsHttp, patterns: str | None = None) -> list[SourceIndex]:
    """The source's event/statistics indices (optionally only those matching the
    comma-separated glob ``patterns``), sorted by name, with exact document counts."""
    wanted = [p.strip() for p in (patterns or "").split(",") if p.strip()]
    rows = src.get("/_cat/indices", params={"format": "json", "h": "index,status"}) or []
    found = []
    for row in rows:
        name = row["index"]
        if family_of(name) is None:
            continue
        if wanted and not any(fnmatch.fnmatchcase(name, p) for p in wanted):
            continue
        status = row.get("status") or "open"
        docs = count(src, name) if status == "open" else 0
        found.append(SourceIndex(name, docs, status))
    return sorted(found, key=lambda i: i.name)


def count(es: EsHttp, index: str) -> int:
    return int(es.get(f"/{index}/_count")["count"])


def scroll_pages(
    src: EsHttp, index: str, size: int, *, filter_path: str | None = None
) -> Iterator[list[dict[str, Any]]]:
    """Every hit of ``index`` in pages of ``size``, in index order (``sort: _doc``);
    ``filter_path`` trims each answer to the parts the caller reads."""
    params = {"scroll": SCROLL_KEEP}
    if filter_path:
        params["filter_path"] = filter_path
    page = src.post(f"/{index}/_search", {"size": size, "sort": ["_doc"]}, params=params)
    scroll_id = page.get("_scroll_id")
    try:
        while page.get("hits", {}).get("hits"):
            yield page["hits"]["hits"]
            page = src.post("/_search/scroll", {"scroll": SCROLL_KEEP, "scroll_id": scroll_id}, params=params)
            scroll_id = page.get("_scroll_id", scroll_id)
    finally:
        if scroll_id:
            src.delete("/_search/scroll", {"scroll_id": [scroll_id]}, ok=(404,))


def sample(src: EsHttp, index: str, size: int, seed: int) -> list[dict[str, Any]]:
    """Up to ``size`` documents of ``index`` chosen pseudo-randomly (repeatable by seed);
    the whole index when it has no more than ``size`` documents."""
    if size <= 0:
        return []
    random: dict[str, Any] = {"seed": seed}
    if src.major >= 7:  # a seeded random_score needs a field from 7.0 on
        random["field"] = "_seq_no"
    body = {"size": size, "query": {"function_score": {"query": {"match_all": {}}, "random_score": random}}}
    res = src.post(f"/{index}/_search", body)
    hits: list[dict[str, Any]] = res["hits"]["hits"]
    if len(hits) < min(size, total_hits(res["hits"])):
        raise EsError(f"sampling {index}: got {len(hits)} documents")
    return hits
