"""Serving the web app: next to the API in ``stationmaster serve`` (in-process passage to
the API and the file server), or alone (``stationmaster web``, a streaming proxy to them)."""

from __future__ import annotations

import logging
import threading
from typing import Any

import waitress
from waitress.server import BaseWSGIServer, MultiSocketServer

from ..config import Config
from ..fileserver.gateway import close_server, raise_open_files_limit, waitress_limits
from ..fileserver.http_channel import use_channel
from .app import WebApp, WebOptions, WSGIApp
from .upstream import HttpUpstream

log = logging.getLogger("stationmaster.web")


def web_options(config: Config, files_hosts: list[str], extra: dict[str, Any] | None = None) -> WebOptions:
    names = [config.get("apiserver.auth.session_auth_cookie_name")]
    names += list(config.get("apiserver.auth.accepted_cookie_names"))
    hosts = list(config.get("web.files_hosts")) + files_hosts
    return WebOptions(
        cookie_names=tuple(dict.fromkeys(names)),
        allowed_origins=tuple(config.get("web.allowed_origins")),
        files_hosts=tuple(dict.fromkeys(h.rstrip("/") for h in hosts)),
        extra=dict(extra or {}),
    )


def create_web_server(
    config: Config,
    api: WSGIApp,
    files: WSGIApp | None,
    host: str,
    port: int,
    files_hosts: list[str],
    extra: dict[str, Any] | None = None,
) -> BaseWSGIServer | MultiSocketServer:
    """The web server, bound but not yet running (``run()`` serves). ``extra`` goes into
    ``/configuration.json`` (where the SDK reaches the API and the file server directly,
    for the clearml.conf section the profile page shows)."""
    app = WebApp(web_options(config, files_hosts, extra), api, files)
    return use_channel(
        waitress.create_server(
            app,
            host=host,
            port=port,
            threads=int(config.get("web.threads")),
            ident="stationmaster",
            clear_untrusted_proxy_headers=False,
            **waitress_limits(config),
        )
    )


def local_files_hosts(host: str, files_port: int) -> list[str]:
    """The addresses an SDK on this machine may have stored for a file server on ``files_port``."""
    names = ["localhost", "127.0.0.1"] + ([host] if host not in ("", "0.0.0.0", "::", "127.0.0.1") else [])
    return [f"http://{name}:{files_port}" for name in names]


class WebRunner:
    """``stationmaster web``: the web app alone, passing /api/ and /files/ over HTTP."""

    def __init__(self, config: Config, host: str, port: int, api_url: str, files_url: str) -> None:
        self.config = config
        self.host = host
        self.port = port
        self.api_url = api_url
        self.files_url = files_url
        self._server: BaseWSGIServer | MultiSocketServer | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        raise_open_files_limit(int(self.config.get("apiserver.http.connection_limit")) + 256)
        files = HttpUpstream(self.files_url) if self.files_url else None
        hosts = [self.files_url.rstrip("/")] if self.files_url else []
        extra = {"apiServer": self.api_url, "filesServer": self.files_url or None}
        self._server = create_web_server(
            self.config, HttpUpstream(self.api_url), files, self.host, self.port, hosts, extra
        )
        self.port = int(self._server.effective_port)
        self._thread = threading.Thread(target=self._server.run, name="web", daemon=True)
        self._thread.start()

    def alive(self) -> bool:
        return bool(self._thread and self._thread.is_alive())

    def stop(self) -> None:
        if self._server is not None:
            close_server(self._server)
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
