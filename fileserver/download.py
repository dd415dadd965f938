"""Serving a stored file: content type, validators, conditional requests, ranges."""

from __future__ import annotations

import mimetypes
import posixpath
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import falcon

from .sending import FileSpan
from .storage import FileInfo, Storage


@dataclass(frozen=True)
class DownloadOptions:
    cache_timeout_sec: int = 300
    disable_browser_caching: bool = False


def content_type(path: str) -> str:
    """The guessed MIME type; compressed files (``x.csv.gz``) are served as bytes so
    that browsers and clients do not decompress them on the fly."""
    guessed, encoding = mimetypes.guess_type(posixpath.basename(path), strict=False)
    if encoding or not guessed:
        return "application/octet-stream"
    return guessed


def byte_range(header: str | None, size: int) -> tuple[int, int] | None:
    """``(first, last)`` (inclusive) of a single-range ``Range`` header; None for no
    header, a malformed one or several ranges (the whole file is served then).
    Raises 416 when the range lies outside the file."""
    if not header:
        return None
    unit, _, spec = header.strip().partition("=")
    if unit.strip().lower() != "bytes" or "," in spec:
        return None
    start_text, dash, end_text = spec.strip().partition("-")
    start_text, end_text = start_text.strip(), end_text.strip()
    if not dash or not (start_text or end_text):
        return None
    if not all(part.isdigit() for part in (start_text, end_text) if part):
        return None
    if not start_text:
        suffix = int(end_text)
        if suffix == 0 or size == 0:
            raise _unsatisfiable(size)
        return max(size - suffix, 0), size - 1
    first = int(start_text)
    last = int(end_text) if end_text else size - 1
    if end_text and last < first:
        return None
    if first >= size:
        raise _unsatisfiable(size)
    return first, min(last, size - 1)


def _unsatisfiable(size: int) -> falcon.HTTPError:
    return falcon.HTTPRangeNotSatisfiable(size)


def _not_modified(req: falcon.Request, info: FileInfo) -> bool:
    if_none_match = req.get_header("If-None-Match")
    if if_none_match is not None:
        tags = [tag.strip().removeprefix("W/") for tag in if_none_match.split(",")]
        return "*" in tags or info.etag in tags
    since = req.get_header("If-Modified-Since")
    if since:
        try:
            return int(info.mtime) <= parsedate_to_datetime(since).timestamp()
        except (TypeError, ValueError):
            return False
    return False


def _range_applies(req: falcon.Request, info: FileInfo, last_modified: datetime) -> bool:
    """``If-Range``: the range is honoured only if the client's copy is current."""
    if_range = req.get_header("If-Range")
    if not if_range:
        return True
    if if_range.startswith('"') or if_range.startswith("W/"):
        return if_range == info.etag
    try:
        return parsedate_to_datetime(if_range) == last_modified
    except (TypeError, ValueError):
        return False


def serve_file(
    req: falcon.Request, resp: falcon.Response, storage: Storage, path: str, options: DownloadOptions
) -> None:
    """Answer GET or HEAD for the stored file ``path``. The file is opened before its
    size is read, so a concurrent replacement cannot mix two versions."""
    if req.method == "HEAD":
        handle, info = None, storage.stat(path)
    else:
        handle, info = storage.open(path)
    try:
        first, last = _prepare(req, resp, path, info, options)
    except BaseException:
        if handle:
            handle.close()
        raise
    if handle is None:
        if resp.status != falcon.HTTP_304:
            resp.content_length = last - first + 1
        return
    if resp.status == falcon.HTTP_304:
        handle.close()
        return
    if first:
        handle.seek(first)
    resp.stream = FileSpan(handle, last - first + 1)
    resp.content_length = last - first + 1


def _prepare(
    req: falcon.Request, resp: falcon.Response, path: str, info: FileInfo, options: DownloadOptions
) -> tuple[int, int]:
    """Set the headers; returns the inclusive byte span to send."""
    last_modified = datetime.fromtimestamp(int(info.mtime), UTC)
    resp.etag = info.etag
    resp.last_modified = last_modified
    resp.accept_ranges = "bytes"
    _cache_headers(resp, options)
    if _not_modified(req, info):
        resp.status = falcon.HTTP_304
        return 0, -1
    resp.content_type = content_type(path)
    if "download" in req.params:
        resp.downloadable_as = posixpath.basename(path)
    if _range_applies(req, info, last_modified):
        found = byte_range(req.get_header("Range"), info.size)
        if found:
            resp.status = falcon.HTTP_206
            resp.content_range = (found[0], found[1], info.size)
            return found
    return 0, info.size - 1


def _cache_headers(resp: falcon.Response, options: DownloadOptions) -> None:
    if options.disable_browser_caching:
        resp.cache_control = ["no-cache", "no-store", "must-revalidate"]
        resp.set_header("Pragma", "no-cache")
        resp.set_header("Expires", "0")
    else:
        resp.cache_control = ["private", f"max-age={options.cache_timeout_sec}"]
