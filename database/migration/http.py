"""A small JSON-over-HTTP client for Elasticsearch 5.6 and 7.x.

The official ``elasticsearch`` 7.17 client refuses servers older than 6.0, so the
migration talks plain HTTP (urllib3, already a dependency of that client) to both ends.
"""

from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import quote

import urllib3


class EsError(Exception):
    """An Elasticsearch request failed; ``status`` is the HTTP status (0: no answer)."""

    def __init__(self, message: str, status: int = 0, body: Any = None) -> None:
        super().__init__(message)
        self.status = status
        self.body = body


class EsHttp:
    """Requests against one Elasticsearch URL (``http://host:port``, optional user:pass@)."""

    def __init__(self, url: str, *, timeout: float = 120.0, retries: int = 5, maxsize: int = 8) -> None:
        parsed = urllib3.util.parse_url(url if "://" in url else f"http://{url}")
        if not parsed.host:
            raise EsError(f"not an Elasticsearch URL: {url!r}")
        self.url = f"{parsed.scheme or 'http'}://{parsed.host}:{parsed.port or 9200}"
        self.display = self.url
        headers = {}
        if parsed.auth:
            headers.update(urllib3.make_headers(basic_auth=parsed.auth))
        self._headers = headers
        self._retries = retries
        self._major: int | None = None
        self._pool = urllib3.PoolManager(
            maxsize=maxsize, block=False, timeout=urllib3.Timeout(connect=10, read=timeout), retries=False
        )

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        params: dict[str, Any] | None = None,
        ndjson: bytes | None = None,
        ok: tuple[int, ...] = (),
    ) -> Any:
        """Send one request; returns the decoded JSON answer (None for an empty body).

        Connection errors and 429/503 answers are retried with back-off; any other status
        of 300 or more raises ``EsError`` unless it is listed in ``ok``."""
        url = self.url + path
        if params:
            url += "?" + "&".join(f"{k}={quote(str(v), safe=',*')}" for k, v in params.items())
        headers = dict(self._headers)
        data: bytes | None = None
        if ndjson is not None:
            data = ndjson
            headers["Content-Type"] = "application/x-ndjson"
        elif body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        delay = 0.5
        for attempt in range(self._retries + 1):
            try:
                resp = self._pool.request(method, url, body=data, headers=headers)
            except urllib3.exceptions.HTTPError as ex:
                if attempt == self._retries:
                    raise EsError(f"{method} {self.display}{path}: {ex}") from ex
            else:
                if resp.status not in (429, 502, 503) or attempt == self._retries:
                    return self._decode(method, path, resp, ok)
            time.sleep(delay)
            delay = min(delay * 2, 10.0)
        raise AssertionError("unreachable")

    def _decode(self, method: str, path: str, resp: Any, ok: tuple[int, ...]) -> Any:
        raw = resp.data
        try:
            payload = json.loads(raw) if raw else None
        except ValueError:
            payload = raw.decode("utf-8", "replace")
        if resp.status >= 300 and resp.status not in ok:
            reason = payload
            if isinstance(payload, dict) and isinstance(payload.get("error"), dict):
                err = payload["error"]
                reason = f"{err.get('type')}: {err.get('reason')}"
            raise EsError(f"{method} {self.display}{path} → {resp.status}: {reason}", resp.status, payload)
        return payload

    def get(self, path: str, **kw: Any) -> Any:
        return self.request("GET", path, **kw)

    def post(self, path: str, body: Any = None, **kw: Any) -> Any:
        return self.request("POST", path, body, **kw)

    def put(self, path: str, body: Any = None, **kw: Any) -> Any:
        return self.request("PUT", path, body, **kw)

    def delete(self, path: str, body: Any = None, **kw: Any) -> Any:
        return self.request("DELETE", path, body, **kw)

    def exists(self, path: str) -> bool:
        resp = self._pool.request("HEAD", self.url + path, headers=self._headers)
        return bool(resp.status == 200)

    def version(self) -> tuple[int, ...]:
        """The server's version as a tuple, e.g. (5, 6, 16)."""
        number = str((self.get("/") or {}).get("version", {}).get("number", "0"))
        return tuple(int(p) for p in number.split("-")[0].split(".") if p.isdigit())

    @property
    def major(self) -> int:
        """The server's major version (asked once)."""
        if self._major is None:
            self._major = (self.version() or (0,))[0]
        return self._major

    def close(self) -> None:
        self._pool.clear()


def total_hits(hits: dict[str, Any]) -> int:
    """``hits.total`` as an int: ES 5/6 send a number, ES 7 ``{"value": n, ...}``."""
    total = hits.get("total", 0)
    return int(total["value"] if isinstance(total, dict) else total)
