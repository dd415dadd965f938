"""A thin API client speaking real HTTP, for the API and end-to-end tests."""

from __future__ import annotations

import base64
import contextlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import requests


class ApiCallError(AssertionError):
    def __init__(self, envelope: dict[str, Any]) -> None:
        meta = envelope.get("meta", {})
        self.code = meta.get("result_code")
        self.subcode = meta.get("result_subcode")
        self.msg = meta.get("result_msg")
        self.envelope = envelope
        super().__init__(f"{meta.get('endpoint', {}).get('name')}: {self.code}/{self.subcode} {self.msg}")


@dataclass
class Reply:
    status: int
    envelope: dict[str, Any]
    headers: Any
    cookies: Any

    @property
    def meta(self) -> dict[str, Any]:
        return dict(self.envelope.get("meta", {}))

    @property
    def data(self) -> dict[str, Any]:
        return dict(self.envelope.get("data") or {})

    @property
    def code(self) -> tuple[int, int]:
        return self.meta.get("result_code"), self.meta.get("result_subcode")


class ApiClient:
    """``api.call("tasks.create", {...})`` returns a ``Reply``; ``api.tasks.create(...)``
    returns the data and raises ``ApiCallError`` on failure.

    ``observers`` (class-wide) are called with every JSON envelope received; the API
    tests check each answer against its response schema there (support/responses.py)."""

    observers: list[Callable[[Any], None]] = []

    def __init__(
        self,
        base_url: str,
        *,
        key: str | None = None,
        secret: str | None = None,
        token: str | None = None,
        version: str | None = None,
        headers: dict[str, str] | None = None,
        timeout: float = 30,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.key, self.secret, self.token = key, secret, token
        self.version = version
        self.headers = dict(headers or {})
        self.timeout = timeout
        self.session = requests.Session()

    # --- configuration -----------------------------------------------------------------

    def login(self, expiration_sec: int | None = None) -> ApiClient:
        assert self.key and self.secret
        params = {"expiration_sec": expiration_sec} if expiration_sec else None
        resp = requests.get(
            f"{self.base_url}/auth.login",
            params=params,
            headers={"Authorization": basic(self.key, self.secret)},
            timeout=self.timeout,
        )
        envelope = resp.json()
        for observe in ApiClient.observers:
            observe(envelope)
        if resp.status_code != 200:
            raise ApiCallError(envelope)
        self.token = envelope["data"]["token"]
        return self

    def with_version(self, version: str | None) -> ApiClient:
        return self._copy(version=version)

    def impersonate(self, user: str) -> ApiClient:
        return self._copy(headers={**self.headers, "X-Clearml-Impersonate-As": user})

    def _copy(self, **changes: Any) -> ApiClient:
        fields = dict(
            key=self.key,
            secret=self.secret,
            token=self.token,
            version=self.version,
            headers=self.headers,
            timeout=self.timeout,
        )
        fields.update(changes)
        return ApiClient(self.base_url, **fields)

    # --- calls -------------------------------------------------------------------------

    def url(self, endpoint: str, version: str | None = None) -> str:
        version = version or self.version
        return f"{self.base_url}/v{version}/{endpoint}" if version else f"{self.base_url}/{endpoint}"

    def auth_headers(self) -> dict[str, str]:
        if self.token:
            return {"Authorization": f"Bearer {self.token}"}
        if self.key and self.secret:
            return {"Authorization": basic(self.key, self.secret)}
        return {}

    def call(
        self,
        endpoint: str,
        data: Any = None,
        *,
        version: str | None = None,
        method: str = "POST",
        headers: dict[str, str] | None = None,
        batch: list[dict[str, Any]] | None = None,
        auth: bool = True,
    ) -> Reply:
        all_headers = {**(self.auth_headers() if auth else {}), **self.headers, **(headers or {})}
        if batch is not None:
            body = "\n".join(json.dumps(item) for item in batch).encode()
            all_headers.setdefault("Content-Type", "application/json-lines")
        else:
            body = json.dumps(data if data is not None else {}).encode()
            all_headers.setdefault("Content-Type", "application/json")
        resp = self.session.request(
            method, self.url(endpoint, version), data=body, headers=all_headers, timeout=self.timeout
        )
        try:
            envelope = resp.json()
        except ValueError:
            envelope = {"raw": resp.text}
        for observe in ApiClient.observers:
            observe(envelope)
        return Reply(resp.status_code, envelope, resp.headers, resp.cookies)

    def __getattr__(self, service: str) -> _Service:
        if service.startswith("_"):
            raise AttributeError(service)
        return _Service(self, service)

    @contextlib.contextmanager
    def raises(self, code: int, subcode: int) -> Iterator[None]:
        try:
            yield
        except ApiCallError as ex:
            assert (ex.code, ex.subcode) == (code, subcode), f"expected {code}/{subcode}, got {ex}"
        else:
            raise AssertionError(f"expected error {code}/{subcode}, the call succeeded")


class _Service:
    def __init__(self, client: ApiClient, name: str) -> None:
        self._client = client
        self._name = name

    def __getattr__(self, action: str) -> Any:
        def invoke(**data: Any) -> dict[str, Any]:
            reply = self._client.call(f"{self._name}.{action}", data)
            if reply.status != 200 or reply.meta.get("result_code") != 200:
                raise ApiCallError(reply.envelope)
            return reply.data

        return invoke


def basic(key: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{key}:{secret}".encode()).decode()
