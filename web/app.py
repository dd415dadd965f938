"""The web server's WSGI application.

- ``/static/…``: the app's files (``web/static``), with ETags and gzip;
- ``/configuration.json``: where the app finds the API and the file server (the reference
  web server's convention: ``{"apiBaseUrl": "<origin>/api", "fileBaseUrl": "<origin>/files"}``);
- ``/api/…`` → the API, ``/files/…`` → the file server, both on this origin (``upstream``);
- every other ``GET`` → ``index.html`` (the app routes by path, so the links the SDKs print,
  ``/projects/<id>/experiments/<id>/output/log``, open the right screen).

Security: a strict Content-Security-Policy on the app's pages (scripts and styles from this
origin only, no inline script, no eval); a sandboxing policy on everything ``/files/``
returns (a stored HTML or SVG file cannot run script on this origin); and the origin check
of ``csrf_refusal`` on calls that carry the session cookie.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import mimetypes
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ..protocol.envelope import build, dumps

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

STATIC_ROOT = Path(__file__).resolve().parent / "static"

# style-src admits one inline style: the empty one (its hash), because Plotly creates an
# empty <style> and fills it through the CSSOM (insertRule), which the policy does not govern.
EMPTY_STYLE = "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='"
APP_CSP = (
    f"default-src 'self'; script-src 'self'; style-src 'self' {EMPTY_STYLE}; img-src 'self' data: blob: http: https:; "
    "media-src 'self' blob: http: https:; connect-src 'self'; font-src 'self'; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
# What /files/ answers is user content: a document of its own origin (sandbox), no script.
FILES_CSP = "sandbox; default-src 'none'; img-src 'self' data:; media-src 'self'; style-src 'unsafe-inline'"
COMMON_HEADERS = [
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "same-origin"),
    ("X-Frame-Options", "DENY"),
]
_COMPRESSIBLE = (".js", ".mjs", ".css", ".html", ".json", ".svg", ".txt", ".map")
# Response headers of the API / file server that mean nothing on one origin.
_DROPPED = ("access-control-", "content-security-policy", "x-frame-options")


# The web app's own session cookie. The API and the file server never accept it: the web
# server turns it into a Bearer token for calls that passed its origin check, so a page of
# another port of the same host (same-site: SameSite does not stop it) cannot use it there.
SESSION_COOKIE = "sm_web_token"


@dataclass(frozen=True)
class WebOptions:
    # The API's session cookies: renamed to SESSION_COOKIE on their way to the browser.
    cookie_names: tuple[str, ...] = ("clearml_token_basic", "trains_token_basic")
    allowed_origins: tuple[str, ...] = ()
    files_hosts: tuple[str, ...] = ()
    static_root: Path = STATIC_ROOT
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class _Asset:
    body: bytes
    gzipped: bytes | None
    etag: str
    content_type: str


class StaticFiles:
    """Files under one folder, read and compressed once, answered with validators."""

    def __init__(self, root: Path) -> None:
        self._root = root.resolve()
        self._cache: dict[str, _Asset] = {}
        self._lock = threading.Lock()

    def get(self, relative: str) -> _Asset | None:
        with self._lock:
            asset = self._cache.get(relative)
        if asset is not None:
            return asset
        path = (self._root / relative).resolve()
        if self._root not in path.parents or not path.is_file():
            return None
        body = path.read_bytes()
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        if path.suffix in (".js", ".mjs"):
            content_type = "text/javascript"
        if content_type.startswith("text/") or path.suffix in (".js", ".mjs", ".json"):
            content_type += "; charset=utf-8"
        packed = gzip.compress(body, 9, mtime=0) if path.suffix in _COMPRESSIBLE and len(body) > 512 else None
        asset = _Asset(body, packed, '"' + hashlib.sha256(body).hexdigest()[:20] + '"', content_type)
        with self._lock:
            self._cache[relative] = asset
        return asset


class WebApp:
    """The WSGI application of the web port; ``api`` and ``files`` are WSGI applications
    answering the paths below ``/api`` and ``/files`` (in-process or ``upstream.HttpUpstream``)."""

    def __init__(self, options: WebOptions, api: WSGIApp, files: WSGIApp | None) -> None:
        self._options = options
        self._api = api
        self._files = files
        self._static = StaticFiles(options.static_root)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO") or "/"
        for prefix, target, csp in (("/api", self._api, None), ("/files", self._files, FILES_CSP)):
            if path == prefix or path.startswith(prefix + "/"):
                return self._pass(environ, start_response, prefix, target, csp)
        method = environ.get("REQUEST_METHOD", "GET")
        if method not in ("GET", "HEAD"):
            return _plain(start_response, "405 Method Not Allowed", "only GET and HEAD here", [("Allow", "GET, HEAD")])
        if path == "/configuration.json":
            return self._configuration(environ, start_response)
        if path.startswith("/static/"):
            asset = self._static.get(path[len("/static/") :])
            if asset is None:
                return _plain(start_response, "404 Not Found", "no such file")
            return self._asset(environ, start_response, asset)
        index = self._static.get("index.html")
        assert index is not None, "web/static/index.html is missing"
        return self._asset(environ, start_response, index)

    # --- /api and /files ------------------------------------------------------------------

    def _pass(
        self,
        environ: dict[str, Any],
        start_response: Callable[..., Any],
        prefix: str,
        target: WSGIApp | None,
        csp: str | None,
    ) -> Iterable[bytes]:
        if target is None:
            return _plain(start_response, "404 Not Found", f"no server behind {prefix}/ here")
        refusal = csrf_refusal(environ, self._options, strict=prefix == "/api")
        if refusal:
            endpoint = inner_path(environ, prefix).lstrip("/")
            envelope = build(call_id="", trx="", endpoint=endpoint, requested=None, actual=None, code=403, msg=refusal)
            body = dumps({**envelope, "meta": {**envelope["meta"], "error_stack": None}})
            headers = [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
            start_response("403 Forbidden", headers + COMMON_HEADERS)
            return [body]
        inner = dict(environ)
        inner["SCRIPT_NAME"] = environ.get("SCRIPT_NAME", "") + prefix
        inner["PATH_INFO"] = inner_path(environ, prefix)
        cookies, token = _split_cookies(environ.get("HTTP_COOKIE") or "", (SESSION_COOKIE, *self._options.cookie_names))
        inner["HTTP_COOKIE"] = cookies
        if token and not environ.get("HTTP_AUTHORIZATION"):
            inner["HTTP_AUTHORIZATION"] = f"Bearer {token}"
        names = self._options.cookie_names

        def respond(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable[..., Any]:
            kept = [
                (k, _session_cookie(v, names) if k.lower() == "set-cookie" else v)
                for k, v in headers
                if not k.lower().startswith(_DROPPED)
            ]
            kept += [("Content-Security-Policy", csp)] if csp else []
            return start_response(status, kept + [h for h in COMMON_HEADERS if not _has(kept, h[0])], exc_info)

        return target(inner, respond)

    # --- the app's own files ----------------------------------------------------------------

    def _configuration(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        origin = own_origin(environ)
        document = {
            "apiBaseUrl": f"{origin}/api",
            "fileBaseUrl": f"{origin}/files",
            "filesHosts": list(self._options.files_hosts),
            **self._options.extra,
        }
        body = json.dumps(document).encode()
        headers = [("Content-Type", "application/json"), ("Cache-Control", "no-cache")]
        start_response("200 OK", headers + [("Content-Length", str(len(body)))] + COMMON_HEADERS)
        return [body]

    def _asset(self, environ: dict[str, Any], start_response: Callable[..., Any], asset: _Asset) -> Iterable[bytes]:
        headers = [
            ("Content-Type", asset.content_type),
            ("ETag", asset.etag),
            ("Cache-Control", "no-cache"),
            ("Vary", "Accept-Encoding"),
            ("Content-Security-Policy", APP_CSP),
            *COMMON_HEADERS,
        ]
        if asset.etag in (environ.get("HTTP_IF_NONE_MATCH") or ""):
            start_response("304 Not Modified", headers)
            return []
        body = asset.body
        if asset.gzipped is not None and "gzip" in (environ.get("HTTP_ACCEPT_ENCODING") or ""):
            body = asset.gzipped
            headers.append(("Content-Encoding", "gzip"))
        headers.append(("Content-Length", str(len(body))))
        start_response("200 OK", headers)
        return [] if environ.get("REQUEST_METHOD") == "HEAD" else [body]


def inner_path(environ: dict[str, Any], prefix: str) -> str:
    return str(environ.get("PATH_INFO", ""))[len(prefix) :] or "/"


def own_origin(environ: dict[str, Any]) -> str:
    """``scheme://host[:port]`` of this server as the browser addressed it."""
    scheme = environ.get("HTTP_X_FORWARDED_PROTO") or environ.get("wsgi.url_scheme") or "http"
    host = environ.get("HTTP_HOST") or f"{environ.get('SERVER_NAME')}:{environ.get('SERVER_PORT')}"
    return f"{scheme.split(',')[0].strip()}://{host}"


def csrf_refusal(environ: dict[str, Any], options: WebOptions, strict: bool) -> str | None:
    """Why a call must be refused as possibly cross-site, or None.

    - A call whose ``Origin`` is not this server's (or a configured one) is refused.
    - ``strict`` (``/api/``): a call authenticated by a session cookie (no Authorization
      header) must be a POST that names its origin; the app sends every call that way.
      A GET carrying the cookie could come from an ``<img>`` of another site of the same
      host (SameSite does not separate ports), and the API merges query strings into calls.
    - ``/files/``: reads are open to the cookie (images, downloads); other methods need the
      origin like API calls.
    """
    origin = environ.get("HTTP_ORIGIN")
    if origin and origin != "null" and not _same_origin(origin, environ, options.allowed_origins):
        return f"cross-origin call from {origin} refused"
    if environ.get("HTTP_AUTHORIZATION") or not _has_session_cookie(environ, options.cookie_names):
        return None
    method = environ.get("REQUEST_METHOD", "GET")
    if not strict and method in ("GET", "HEAD", "OPTIONS"):
        return None
    if strict and method != "POST":
        return "calls authenticated by the session cookie must be POST requests"
    if not origin or origin == "null":
        return "calls authenticated by the session cookie must send their Origin"
    return None


def _same_origin(origin: str, environ: dict[str, Any], allowed: Sequence[str]) -> bool:
    wanted = _normal(origin)
    return wanted == _normal(own_origin(environ)) or wanted in {_normal(a) for a in allowed}


def _normal(origin: str) -> str:
    parts = urlsplit(origin.strip().lower())
    port = parts.port or {"http": 80, "https": 443}.get(parts.scheme, 0)
    return f"{parts.scheme}://{parts.hostname}:{port}"


def _has_session_cookie(environ: dict[str, Any], names: Sequence[str]) -> bool:
    header = environ.get("HTTP_COOKIE") or ""
    present = {part.split("=", 1)[0].strip() for part in header.split(";") if "=" in part}
    return any(name in present for name in (SESSION_COOKIE, *names))


def _split_cookies(header: str, session_names: Sequence[str]) -> tuple[str, str | None]:
    """The Cookie header without the session cookies, and the web app's session token.
    The API's own cookie names are dropped too: on this origin only SESSION_COOKIE counts."""
    kept, token = [], None
    for part in header.split(";"):
        name, _, value = part.strip().partition("=")
        if name == SESSION_COOKIE:
            token = value.strip().strip('"') or None
        elif name not in session_names and part.strip():
            kept.append(part.strip())
    return "; ".join(kept), token


def _session_cookie(header: str, api_names: Sequence[str]) -> str:
    """A Set-Cookie of the API's session cookie, renamed to SESSION_COOKIE and made
    HttpOnly, SameSite=Strict whatever the API's settings."""
    name, sep, rest = header.partition("=")
    if not sep or name.strip() not in api_names:
        return header
    attributes = [a.strip() for a in rest.split(";")]
    value, flags = (
        attributes[0],
        [a for a in attributes[1:] if a and a.split("=", 1)[0].lower() not in ("samesite", "httponly")],
    )
    return "; ".join([f"{SESSION_COOKIE}={value}", *flags, "HttpOnly", "SameSite=Strict"])


def _has(headers: list[tuple[str, str]], name: str) -> bool:
    return any(k.lower() == name.lower() for k, _ in headers)


def _plain(
    start_response: Callable[..., Any], status: str, text: str, extra: Sequence[tuple[str, str]] = ()
) -> list[bytes]:
    body = text.encode()
    headers = [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body))), *extra]
    start_response(status, headers + COMMON_HEADERS)
    return [body]
