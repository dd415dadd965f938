"""Running the server: stores, first start, the WSGI servers and a clean shutdown."""

from __future__ import annotations

import logging
import socket
import threading
from pathlib import Path
from typing import Any

import waitress
from waitress.server import BaseWSGIServer, MultiSocketServer

from ..bll.setup import client_config_text, initialize, write_client_config
from ..bll.watchdog import NonResponsiveTasksWatchdog
from ..config import Config
from ..config.parsed import user_cache_dirs
from ..database.stores import Stores, open_stores
from ..fileserver.gateway import WSGIGateway, close_server, raise_open_files_limit, waitress_limits
from ..fileserver.http_channel import use_channel
from ..fileserver.serve import connection_limit, create_file_server, storage_root
from ..fileserver.tenancy import public_file_lookup
from .context import AppContext
from .factory import create_app_with_context

log = logging.getLogger("stationmaster")


class ServerRunner:
    """Owns the stores and the HTTP servers of one ``stationmaster serve`` process."""

    def __init__(
        self,
        config: Config,
        data_dir: Path,
        host: str,
        port: int,
        files_port: int,
        web_port: int = 0,
        listen_socket: socket.socket | None = None,
    ) -> None:
        """``listen_socket``: the API's listening socket, already bound (``serve --workers``:
        every worker process accepts on the one its supervisor opened); else ``host:port``."""
        self.config = config
        self.listen_socket = listen_socket
        self.data_dir = data_dir
        self.host = host
        self.port = port
        self.files_port = files_port
        self.web_port = web_port
        self.stores: Stores | None = None
        self.ctx: AppContext | None = None
        self._servers: list[BaseWSGIServer | MultiSocketServer | WSGIGateway] = []
        self._threads: list[threading.Thread] = []
        self._watchdog: NonResponsiveTasksWatchdog | None = None

    def start(self) -> None:
        self.stores = open_stores(self.config, self.data_dir)
        try:
            setup = initialize(self.config, self.stores)
            caches = [self.data_dir / "cache", *user_cache_dirs()]
            app, self.ctx = create_app_with_context(self.config, self.stores, setup, caches)
            threads = self.config.get("apiserver.threads") or (4 if self.stores.embedded_documents else 16)
            limits = waitress_limits(self.config)
            files_connections = connection_limit(self.config) if self.files_port else 0
            web_connections = limits["connection_limit"] if self.web_port else 0
            raise_open_files_limit(limits["connection_limit"] + files_connections + web_connections + 256)
            where: dict[str, Any] = (
                {"sockets": [self.listen_socket]} if self.listen_socket else {"host": self.host, "port": self.port}
            )
            try:
                api = use_channel(
                    waitress.create_server(
                        app,
                        **where,
                        threads=threads,
                        ident="clearml",
                        clear_untrusted_proxy_headers=False,
                        **limits,
                    )
                )
            except ValueError as ex:  # waitress: a host it cannot resolve to an address
                raise OSError(f"cannot listen on {self.host}:{self.port}: {ex}") from ex
            self.port = int(api.effective_port)
            self._servers.append(api)
            files_app = self._start_file_server(self.ctx) if self.files_port else None
            if self.web_port:
                self._start_web_server(app, files_app)
            if setup.admin_credentials:
                self._announce(*setup.admin_credentials)
            for server in self._servers:
                thread = threading.Thread(target=server.run, name="http", daemon=True)
                thread.start()
                self._threads.append(thread)
            documents = self.stores.documents
            self._watchdog = NonResponsiveTasksWatchdog(self.config, documents.tasks, documents.projects)
            self._watchdog.start()
        except BaseException:
            self.stop()
            raise

    def _start_file_server(self, ctx: AppContext) -> Any:
        """The file server on ``files_port``, sharing the API server's token service;
        returns its WSGI application."""
        root = storage_root(self.config, self.data_dir)
        files = create_file_server(
            self.config, root, ctx.auth.tokens, self.host, self.files_port, public=public_file_lookup()
        )
        self.files_port = files.effective_port
        self._servers.append(files)
        log.info("files on http://%s:%d, stored in %s", self.host, self.files_port, root)
        return files.app

    def _start_web_server(self, api_app: Any, files_app: Any) -> None:
        """The web app on ``web_port``; /api/ and /files/ reach the applications in-process."""
        from ..web.serve import create_web_server, local_files_hosts

        hosts = local_files_hosts(self.host, self.files_port) if files_app else []
        extra = {"apiPort": self.port, "filesPort": self.files_port or None}
        web = create_web_server(self.config, api_app, files_app, self.host, self.web_port, hosts, extra)
        self.web_port = int(web.effective_port)
        self._servers.append(web)
        log.info("web on http://%s:%d", self.host, self.web_port)

    def _announce(self, key: str, secret: str) -> None:
        host = "localhost" if self.host in ("127.0.0.1", "0.0.0.0", "::", "") else self.host
        api_url = f"http://{host}:{self.port}"
        web_url = f"http://{host}:{self.web_port or 8080}"
        files_url = f"http://{host}:{self.files_port or 8081}"
        text = client_config_text(api_url, web_url, files_url, key, secret)
        lines = [
            "",
            "First start: an admin user was created. Its credentials are shown only once:",
            f"    access key: {key}",
            f"    secret key: {secret}",
        ]
        if self.config.get("apiserver.first_start.write_client_config"):
            path = write_client_config(self.data_dir, text)
            lines.append(f"A ready clearml.conf section was written to {path}")
        print("\n".join(lines) + "\n", flush=True)

    def alive(self) -> bool:
        return all(t.is_alive() for t in self._threads)

    def stop(self) -> None:
        if self._watchdog:
            self._watchdog.stop()
            self._watchdog = None
        for server in self._servers:
            close_server(server)
        for thread in self._threads:
            thread.join(timeout=10)
        self._servers.clear()
        self._threads.clear()
        if self.stores:
            self.stores.close()
            self.stores = None
