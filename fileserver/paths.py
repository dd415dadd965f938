"""Turning a client's path into a safe relative storage path."""

from __future__ import annotations

from urllib.parse import unquote

from .storage import InvalidPath

# A name decoded more often than this is refused rather than decoded further.
_MAX_DECODE_ROUNDS = 4


class EmptyPath(InvalidPath):
    """The path names nothing (deleting it could mean everything)."""


def clean_path(raw: str) -> str:
    """The normalised relative path (``a/b/c``) for ``raw``, or ``InvalidPath``.

    One leading ``/`` is removed (the clearml SDK sends ``/project/...``). Refused:
    an empty path, a path still absolute after that, a NUL byte, a ``..`` segment —
    also when written with backslashes or percent-encoded (``%2e%2e``, ``%252e``) —
    so that no spelling reaches outside the storage root. ``.`` and empty segments
    are dropped.
    """
    path = raw[1:] if raw.startswith("/") else raw
    if not path.strip("/"):
        raise EmptyPath("empty path")
    if path.startswith("/"):
        raise InvalidPath(f"absolute path not allowed: {raw!r}")
    segments = []
    for segment in path.split("/"):
        _check_segment(segment, raw)
        if segment not in ("", "."):
            segments.append(segment)
    if not segments:
        raise EmptyPath(f"path names no file: {raw!r}")
    return "/".join(segments)


def _check_segment(segment: str, raw: str) -> None:
    spelling = segment
    for _ in range(_MAX_DECODE_ROUNDS + 1):
        if "\x00" in spelling:
            raise InvalidPath(f"NUL byte in path: {raw!r}")
        if ".." in spelling.replace("\\", "/").split("/"):
            raise InvalidPath(f"'..' not allowed in path: {raw!r}")
        decoded = unquote(spelling)
        if decoded == spelling:
            return
        spelling = decoded
    raise InvalidPath(f"path encoded too many times: {raw!r}")
