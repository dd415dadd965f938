"""The falcon application: one sink turning HTTP into dispatcher calls."""

from __future__ import annotations

from http.cookies import SimpleCookie
from typing import Any

import falcon

from ..config import Config
from ..protocol import errors
from ..protocol.call import Headers
from .dispatcher import OPTIONS_ALLOW, Dispatcher, RawRequest, Response

_CHUNK = 1 << 16


class ApiResource:
    """The only HTTP-aware code of the API: reads the request, writes the response."""

    def __init__(self, dispatcher: Dispatcher, config: Config) -> None:
        self._dispatcher = dispatcher
        self._max_body = int(float(config.get("apiserver.request.max_body_mb")) * 1024 * 1024)
        cookies = config.get("apiserver.auth.cookies")
        self._cookie_opts = {
            "http_only": bool(cookies.get("httponly", True)),
            "secure": bool(cookies.get("secure", False)),
            "domain": cookies.get("domain", None),
            "max_age": cookies.get("max_age", None),
        }
        self._same_site = cookies.get("samesite", None) or None

    def __call__(self, req: falcon.Request, resp: falcon.Response, **_: Any) -> None:
        if req.method == "OPTIONS":
            resp.status = 200
            resp.set_header("Allow", OPTIONS_ALLOW)
            return
        headers = Headers(req.headers.items())
        if req.get_header("Content-Encoding"):
            self._write(
                resp,
                self._dispatcher.error_response(
                    errors.UNSUPPORTED_MEDIA_TYPE("compressed request bodies are not supported"), req.path
                ),
            )
            return
        try:
            body = self._read_body(req)
        except _TooLarge:
            self._write(
                resp,
                self._dispatcher.error_response(errors.REQUEST_TOO_LARGE(f"limit is {self._max_body} bytes"), req.path),
            )
            return
        raw = RawRequest(
            method=req.method,
            path=req.path,
            headers=headers,
            query=_query_pairs(req),
            body=body,
            cookies=_cookies(req),
            remote_addr=req.remote_addr,
        )
        self._write(resp, self._dispatcher.dispatch(raw))

    def _read_body(self, req: falcon.Request) -> bytes:
        length = req.content_length
        if length is not None and length > self._max_body:
            raise _TooLarge()
        stream = req.bounded_stream
        chunks = []
        total = 0
        while True:
            chunk = stream.read(_CHUNK)
            if not chunk:
                break
            total += len(chunk)
            if total > self._max_body:
                raise _TooLarge()
            chunks.append(chunk)
        return b"".join(chunks)

    def _write(self, resp: falcon.Response, response: Response) -> None:
        resp.status = response.status
        resp.content_type = response.content_type
        for name, value in response.headers.items():
            resp.set_header(name, value)
        for name, cookie in response.cookies.items():
            if cookie is None:
                resp.unset_cookie(
                    name, domain=self._cookie_opts["domain"], path="/", same_site=self._same_site or "Lax"
                )
            else:
                resp.set_cookie(name, cookie, path="/", same_site=self._same_site, **self._cookie_opts)
        if isinstance(response.body, bytes):
            resp.data = response.body
        else:
            resp.stream = response.body


class _TooLarge(Exception):
    pass


def _query_pairs(req: falcon.Request) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    for key, value in req.params.items():
        if isinstance(value, list):
            pairs.extend((key, str(v)) for v in value)
        else:
            pairs.append((key, str(value)))
    return pairs


def _cookies(req: falcon.Request) -> dict[str, str]:
    header = req.get_header("Cookie")
    if not header:
        return {}
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(header)
    except Exception:  # a malformed cookie header is ignored, like no cookie
        return {}
    return {name: morsel.value for name, morsel in jar.items()}


def make_falcon_app(dispatcher: Dispatcher, config: Config) -> falcon.App:
    origins = config.get("apiserver.cors.origins")
    cors: falcon.CORSMiddleware = falcon.CORSMiddleware(
        allow_origins=origins if isinstance(origins, str) else list(origins),
        allow_credentials="*" if config.get("apiserver.cors.supports_credentials") else None,
    )
    app = falcon.App(middleware=[cors])
    app.req_options.auto_parse_qs_csv = False
    app.req_options.keep_blank_qs_values = True
    app.add_route("/openapi.json", OpenApiResource(dispatcher))
    app.add_sink(ApiResource(dispatcher, config), prefix=r"/")
    return app


class OpenApiResource:
    """``GET /openapi.json``: the schemas as an OpenAPI document (rendered once)."""

    def __init__(self, dispatcher: Dispatcher) -> None:
        self._schemas = dispatcher.registry.schemas
        self._body: bytes | None = None

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        if self._body is None:
            from ..protocol.envelope import dumps
            from ..schema.openapi import openapi_document

            self._body = dumps(openapi_document(self._schemas))
        resp.content_type = "application/json"
        resp.data = self._body
