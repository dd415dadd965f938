"""Handlers, one module per service, named after the schema file.

Handlers are thin: they take the validated request, call the business rules through
``call.ctx`` and return the response data. ``all_endpoints`` lists the modules
explicitly; importing one registers its handlers on its own ``endpoints`` object only.
"""

from __future__ import annotations

from ..server.endpoints import Endpoints


def all_endpoints() -> list[Endpoints]:
    from . import auth, debug, server, users

    return [auth.endpoints, debug.endpoints, server.endpoints, users.endpoints]
