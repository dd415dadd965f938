"""``create_app``: from configuration and opened stores to a WSGI application."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import falcon

from .. import services
from ..bll.setup import SetupResult, initialize
from ..config import Config
from ..database.errors import as_api_error as storage_errors
from ..database.stores import Stores
from ..protocol.versions import Version
from ..schema import load_schemas
from ..version import API_VERSION
from .app import make_falcon_app
from .authentication import Authenticator
from .context import AppContext, build_context
from .dispatcher import Dispatcher
from .endpoints import EndpointRegistry


def create_app(
    config: Config, stores: Stores, setup: SetupResult | None = None, cache_dirs: Sequence[Path] | None = None
) -> falcon.App:
    """The API application. ``setup`` is the result of ``bll.setup.initialize`` when the
    caller already ran it (to print first-start credentials); ``cache_dirs`` keep the parsed
    schemas (default ``<data-dir>/cache``)."""
    app, _ = create_app_with_context(config, stores, setup, cache_dirs)
    return app


def create_app_with_context(
    config: Config, stores: Stores, setup: SetupResult | None = None, cache_dirs: Sequence[Path] | None = None
) -> tuple[falcon.App, AppContext]:
    schemas = load_schemas(cache_dirs=[stores.data_dir / "cache"] if cache_dirs is None else cache_dirs)
    setup = setup or initialize(config, stores)
    ctx = build_context(config, stores, schemas, setup.token_secret, setup.server_uuid)
    registry = EndpointRegistry(schemas, services.all_endpoints(), Version.parse(API_VERSION))
    ctx.registry = registry
    cookie_names = tuple(
        dict.fromkeys(
            [config.get("apiserver.auth.session_auth_cookie_name")]
            + list(config.get("apiserver.auth.accepted_cookie_names"))
        )
    )
    dispatcher = Dispatcher(registry, Authenticator(ctx.auth, cookie_names), ctx, storage_errors)
    return make_falcon_app(dispatcher, config), ctx
