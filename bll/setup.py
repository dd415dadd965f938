"""First start and every start: the data a fresh server must contain.

Idempotent, and run under a lock (a file lock for the embedded store, a Redis lock for
a shared MongoDB) so that several processes starting together do it once:

- the default company and the ``default`` queue (system tag ``default``);
- the ``server.uuid`` setting and the token secret (unless configured);
- a data-layout version record, and the data steps a newer layout needs, each once (its
  own version record): projects stored before the tree get their tree fields;
- on the very first start, an ``admin`` user (role root) with fresh credentials, which
  are returned so the caller can print them once and write a ``clearml.conf``;
- users named in ``secure.credentials`` / fixed users, and the legacy ``tests`` user
  when ``apiserver.auth.legacy_default_credentials`` is on.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import redis

from ..config import Config
from ..database.repositories import Documents
from ..database.repositories.settings import SettingsRepository
from ..database.stores import Stores
from ..database.vocabulary import Role, new_id, utcnow
from .auth.service import (
    LEGACY_USER_ID,
    LEGACY_USER_NAME,
    ensure_config_users,
    ensure_user,
    generate_key,
    generate_secret,
)

DATA_VERSION = "1"
#: the data step that gives projects stored before the tree (API 2.13) their tree fields
TREE_DATA_VERSION = "2"
ADMIN_USER_ID = "__admin__"
TOKEN_SECRET_KEY = "secure.auth.token_secret"
UUID_KEY = "server.uuid"


@dataclass(frozen=True)
class SetupResult:
    token_secret: str
    server_uuid: str
    # Only on the first start: the admin's access key and secret, shown once.
    admin_credentials: tuple[str, str] | None


def initialize(config: Config, stores: Stores) -> SetupResult:
    with _init_lock(stores):
        return _initialize(config, stores.documents)


def _initialize(config: Config, documents: Documents) -> SetupResult:
    company_id = config.get("apiserver.default_company")
    if not documents.companies.exists(company_id):
        documents.companies.save({"id": company_id, "name": config.get("apiserver.default_company_name")})
    if not documents.queues.tagged(company_id, "default", limit=1):
        documents.queues.save(
            {
                "id": new_id(),
                "name": "default",
                "company": company_id,
                "created": utcnow(),
                "system_tags": ["default"],
                "last_update": utcnow(),
            }
        )
    settings = documents.settings
    server_uuid = _setting(settings, UUID_KEY, new_id)
    token_secret = config.get(TOKEN_SECRET_KEY, None) or _setting(
        settings, TOKEN_SECRET_KEY, lambda: secrets.token_urlsafe(48)
    )
    if not settings.has_version(DATA_VERSION):
        settings.add_version(new_id(), DATA_VERSION, utcnow(), "initial layout")
    if not settings.has_version(TREE_DATA_VERSION):
        filled = documents.projects.fill_pre_tree()
        settings.add_version(new_id(), TREE_DATA_VERSION, utcnow(), f"project tree fields ({filled} projects filled)")
    admin = None
    if not documents.credentials.exists(ADMIN_USER_ID):
        key, secret = generate_key(), generate_secret()
        ensure_user(documents, ADMIN_USER_ID, company_id, "admin", Role.root, [(key, secret)], origin="first_start")
        admin = (key, secret)
    ensure_config_users(config, company_id, documents)
    if config.get("apiserver.auth.legacy_default_credentials"):
        ensure_user(documents, LEGACY_USER_ID, company_id, LEGACY_USER_NAME, Role.user, [], origin="legacy")
    return SetupResult(token_secret=token_secret, server_uuid=server_uuid, admin_credentials=admin)


def _setting(settings: SettingsRepository, key: str, make: Callable[[], str]) -> str:
    found = settings.value(key)
    if found:
        return str(found)
    value = make()
    settings.store(key, value)
    return str(value)


@contextlib.contextmanager
def _init_lock(stores: Stores) -> Iterator[None]:
    if stores.embedded_documents:
        path = stores.data_dir / "init.lock"
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)
        return
    lock = stores.redis.lock("dist_lock_db_init", timeout=120, blocking_timeout=120)
    try:
        if not lock.acquire():
            raise RuntimeError("timed out waiting for another server to initialise the database")
        yield
    finally:
        with contextlib.suppress(redis.exceptions.LockError):
            lock.release()


def client_config_text(api_url: str, web_url: str, files_url: str, key: str, secret: str) -> str:
    """A ``clearml.conf`` ``api`` section for the SDK and the agent."""
    return (
        "# Written by stationmaster on first start. Merge into ~/clearml.conf.\n"
        "api {\n"
        f'    api_server: "{api_url}"\n'
        f'    web_server: "{web_url}"\n'
        f'    files_server: "{files_url}"\n'
        "    credentials {\n"
        f'        access_key: "{key}"\n'
        f'        secret_key: "{_hocon_escape(secret)}"\n'
        "    }\n"
        "}\n"
    )


def _hocon_escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"')


def write_client_config(data_dir: Path, text: str) -> Path:
    path = data_dir / "clearml.conf"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
    return path
