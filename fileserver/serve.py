"""Running the file server on its own HTTP gateway (``gateway.WSGIGateway``): inside
``stationmaster serve`` (sharing the API server's token service) or alone
(``stationmaster fileserver``)."""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path

import falcon
import mongoengine

from ..bll.auth import TokenService
from ..bll.auth.revocation import TokenRevocations
from ..config import Config
from .app import FileServerOptions, create_file_app
from .auth import FileAuth
from .download import DownloadOptions
from .gateway import WSGIGateway, raise_open_files_limit
from .local import LocalStorage
from .tenancy import PublicLookup, Tenancy

log = logging.getLogger("stationmaster.fileserver")

ROOT_ENV_VARS = ("CLEARML_UPLOAD_FOLDER", "TRAINS_UPLOAD_FOLDER")


def storage_root(config: Config, data_dir: Path, env: dict[str, str] | None = None) -> Path:
    """``fileserver.root``, else the reference's upload-folder variables, else
    ``<data dir>/files``."""
    env = dict(os.environ) if env is None else env
    configured = config.get("fileserver.root") or next((env[v] for v in ROOT_ENV_VARS if env.get(v)), None)
    return Path(os.path.expanduser(configured)).resolve() if configured else data_dir / "files"


def file_server_options(config: Config) -> FileServerOptions:
    max_mb = config.get("fileserver.upload.max_upload_size_mb")
    origins = config.get("fileserver.cors.origins")
    return FileServerOptions(
        download=DownloadOptions(
            cache_timeout_sec=int(config.get("fileserver.download.cache_timeout_sec")),
            disable_browser_caching=bool(config.get("fileserver.download.disable_browser_caching")),
        ),
        max_upload_bytes=None if max_mb is None else int(float(max_mb) * 1024 * 1024),
        allow_batch_delete=bool(config.get("fileserver.delete.allow_batch")),
        cors_origins=origins if isinstance(origins, str) else list(origins),
        cors_credentials=bool(config.get("fileserver.cors.supports_credentials")),
    )


def cookie_names(config: Config) -> list[str]:
    """The API server's session cookie names: a browser logged in to the web app
    sends them to the file server as well."""
    names = [config.get("apiserver.auth.session_auth_cookie_name")]
    names += list(config.get("apiserver.auth.accepted_cookie_names"))
    return list(dict.fromkeys(names))


def build_file_app(
    config: Config, root: Path, tokens: TokenService | None, public: PublicLookup | None = None
) -> falcon.App:
    enabled = bool(config.get("fileserver.auth.enabled"))
    auth = FileAuth(tokens, cookie_names(config), enabled=enabled)
    tenancy = Tenancy(str(config.get("apiserver.default_company")), public)
    return create_file_app(file_server_options(config), LocalStorage(root), auth, tenancy)


def create_file_server(
    config: Config,
    root: Path,
    tokens: TokenService | None,
    host: str,
    port: int,
    public: PublicLookup | None = None,
) -> WSGIGateway:
    """The file server, bound but not yet running (``run()`` serves, ``close()`` stops).

    The gateway streams request bodies to the application as they arrive (an upload
    is written once, to its destination) and refuses an announced body above the
    upload limit with 413 before reading it; a chunked body is stopped as soon as it
    grows past the limit.
    """
    http = config.get("fileserver.http")
    return WSGIGateway(
        build_file_app(config, root, tokens, public),
        host,
        port,
        threads=int(config.get("fileserver.threads")),
        max_body=file_server_options(config).max_upload_bytes,
        ident="clearml",
        timeout=float(http.get("channel_timeout", 120)) if http else 120,
        connection_limit=int(http.get("connection_limit", 4096)) if http else 4096,
    )


def connection_limit(config: Config) -> int:
    """The file server's connection limit (for the open files limit)."""
    return int(config.get("fileserver.http.connection_limit"))


def standalone_tokens(config: Config, data_dir: Path) -> TokenService | None:
    """The token service of a file server running alone: the secret from
    ``secure.auth.token_secret``, else the one the API server keeps in the database.
    None when authentication is off."""
    if not config.get("fileserver.auth.enabled"):
        return None
    from ..bll.setup import TOKEN_SECRET_KEY

    secret = config.get(TOKEN_SECRET_KEY, None) or _stored_secret(config, data_dir)
    if not secret:
        raise RuntimeError(
            "no token secret: start the API server once (stationmaster serve) with this data directory "
            "and configuration, or set secure.auth.token_secret"
        )
    return TokenService(
        secret,
        int(config.get("apiserver.auth.default_expiration_sec")),
        int(config.get("apiserver.auth.max_expiration_sec")),
        revocations=_shared_revocations(config),
    )


def _shared_revocations(config: Config) -> TokenRevocations | None:
    """The API servers' token revocations, when they share a Redis with this process
    (a deployment); None on the embedded store, whose Redis lives inside the API process."""
    if not config.get("hosts.redis.apiserver").get("host"):
        return None
    from ..database.stores import open_redis

    recheck = float(config.get("apiserver.auth.revocation_recheck_sec"))
    return TokenRevocations(open_redis(config)[0], recheck)


def _stored_secret(config: Config, data_dir: Path) -> str | None:
    from ..bll.setup import TOKEN_SECRET_KEY
    from ..database.model.base import AUTH_DB, BACKEND_DB
    from ..database.model.settings import Settings
    from ..database.stores import connect_documents

    connect_documents(config, data_dir)
    try:
        found = Settings.objects(key=TOKEN_SECRET_KEY).first()
        return str(found.value) if found and found.value else None
    finally:
        for alias in (BACKEND_DB, AUTH_DB):
            mongoengine.disconnect(alias)


class FileServerRunner:
    """``stationmaster fileserver``: the file server alone, in a background thread."""

    def __init__(self, config: Config, data_dir: Path, host: str, port: int) -> None:
        self.config = config
        self.data_dir = data_dir
        self.host = host
        self.port = port
        self.root = storage_root(config, data_dir)
        self._server: WSGIGateway | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        raise_open_files_limit(connection_limit(self.config) + 256)
        tokens = standalone_tokens(self.config, self.data_dir)
        self._server = create_file_server(self.config, self.root, tokens, self.host, self.port)
        self.port = self._server.effective_port
        self._thread = threading.Thread(target=self._server.run, name="files", daemon=True)
        self._thread.start()

    def alive(self) -> bool:
        return bool(self._thread and self._thread.is_alive())

    def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
