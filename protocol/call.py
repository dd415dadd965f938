"""One API call as handlers see it.

``Call.ctx`` is the application's context (``server.context.AppContext``, built by the
composition root); this module names it for type checkers only, so the vocabulary stays
importable from every layer."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .versions import Version

if TYPE_CHECKING:
    from ..bll.auth.identity import Identity
    from ..server.context import AppContext


class Headers(Mapping[str, str]):
    """Request headers, matched case-insensitively."""

    def __init__(self, items: Iterable[tuple[str, str]]) -> None:
        self._items = {k.lower(): v for k, v in items}

    def __getitem__(self, key: str) -> str:
        return self._items[key.lower()]

    def get(self, key: str, default: Any = None) -> Any:
        return self._items.get(key.lower(), default)

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def first(self, *names: str) -> str | None:
        """The value of the first present header among ``names``."""
        for name in names:
            value = self._items.get(name.lower())
            if value is not None:
                return value
        return None


@dataclass
class RawResult:
    """A handler result sent without the envelope (e.g. a log download)."""

    body: bytes | Iterable[bytes]
    content_type: str = "text/plain; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Call:
    id: str
    trx: str
    endpoint: str
    requested_version: Version
    actual_version: Version | None
    headers: Headers
    ctx: AppContext
    data: dict[str, Any] = field(default_factory=dict)
    batch: list[dict[str, Any]] | None = None
    identity: Identity | None = None
    # The authenticated caller when acting as someone else, else the same as identity.
    auth_identity: Identity | None = None
    remote_addr: str | None = None
    # Cookies to set on the response; a value of None deletes the cookie.
    cookies: dict[str, str | None] = field(default_factory=dict)

    @property
    def worker(self) -> str:
        return self.headers.first("X-Clearml-Worker", "X-Trains-Worker") or "<unknown>"

    @property
    def client(self) -> str:
        return self.headers.first("X-Clearml-Client", "X-Trains-Client") or ""

    @property
    def real_ip(self) -> str | None:
        forwarded = self.headers.first("X-Forwarded-For")
        if forwarded:
            return forwarded.split(",")[0].strip()
        return self.headers.first("X-Real-Ip") or self.remote_addr

    def require_identity(self) -> Identity:
        if self.identity is None:
            from . import errors

            raise errors.NO_CREDENTIALS()
        return self.identity
