"""Copying one index: scroll + bulk through this process, or the destination's
reindex-from-remote. Both keep every ``_id``, so a second run overwrites instead of
duplicating."""

from __future__ import annotations

import queue
import threading
import time
from typing import Any

from .convert import convert
from .destination import bulk_index
from .http import EsError, EsHttp
from .progress import Interrupted, Progress
from .source import scroll_pages

# Only what the copy needs from each scroll page (ES 5.6 supports filter_path).
_FILTER = "_scroll_id,hits.total,hits.hits._id,hits.hits._source"
_DONE = object()


def copy_scroll(src: EsHttp, dest: EsHttp, index: str, batch_size: int, progress: Progress) -> int:
    """Scroll ``index`` on the source and bulk it into the destination; reading the next
    page overlaps with writing the previous one. Returns the number of documents sent."""
    pages: queue.Queue[Any] = queue.Queue(maxsize=2)
    failure: list[BaseException] = []
    sent = 0

    def writer() -> None:
        nonlocal sent
        while True:
            batch = pages.get()
            if batch is _DONE:
                return
            if failure:
                continue  # drain so that the reader never blocks
            try:
                bulk_index(dest, index, batch)
                sent += len(batch)
                progress.advance(index, len(batch))
            except Interrupted:
                continue  # the reader sees ``stop`` and ends the scroll; keep draining until then
            except BaseException as ex:  # handed to the reading thread
                failure.append(ex)

    thread = threading.Thread(target=writer, name=f"bulk-{index}", daemon=True)
    thread.start()
    try:
        for hits in scroll_pages(src, index, batch_size, filter_path=_FILTER):
            if failure or progress.stop.is_set():
                break
            pages.put([(hit["_id"], convert(hit.get("_source") or {})) for hit in hits])
    finally:
        pages.put(_DONE)
        thread.join()
    if failure:
        raise failure[0]
    if progress.stop.is_set():
        raise Interrupted(index)
    return sent


def copy_remote(dest: EsHttp, remote_url: str, index: str, batch_size: int, progress: Progress) -> int:
    """Let the destination pull ``index`` from ``remote_url`` (ES 7 ``_reindex`` from a
    remote; the destination's ``reindex.remote.whitelist`` must allow that host). The
    mapping type is replaced by ``_doc`` and the routing discarded."""
    body = {
        "source": {"remote": {"host": remote_url}, "index": index, "size": min(batch_size, 10000)},
        "dest": {"index": index, "type": "_doc", "routing": "discard", "op_type": "index"},
    }
    task = dest.post("/_reindex", body, params={"wait_for_completion": "false"})["task"]
    while True:
        time.sleep(0.5)
        info = dest.get(f"/_tasks/{task}")
        status = info.get("task", {}).get("status", {})
        try:
            progress.advance(index, 0, absolute=int(status.get("created", 0)) + int(status.get("updated", 0)))
        except Interrupted:
            dest.post(f"/_tasks/{task}/_cancel", ok=(404,))
            raise
        if info.get("completed"):
            break
    if info.get("error"):
        err = info["error"]
        raise EsError(f"{index}: reindex from {remote_url} failed: {err.get('type')}: {err.get('reason')}")
    response = info.get("response", {})
    if response.get("failures"):
        first = response["failures"][0]
        cause = first.get("cause", first)
        raise EsError(
            f"{index}: reindex from {remote_url}: {len(response['failures'])} failures; first: "
            f"{cause.get('type')}: {cause.get('reason')}"
        )
    return int(response.get("created", 0)) + int(response.get("updated", 0))
