"""Declaring handlers: each ``services/<service>.py`` module owns one ``Endpoints``.

Which versions a handler serves is the schema's to say (``server.endpoints`` resolves
them): here a handler only names its action, and a variant its version block.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .versions import Version

Handler = Callable[..., Any]


#: A later variant of a handler is named after the schema block it serves from:
#: ``debug_images_v2_7`` runs for ``events.debug_images`` from its block "2.7" on.
_VARIANT = re.compile(r"_v(\d+)_(\d+)$")


@dataclass(frozen=True)
class HandlerSpec:
    action: str
    variant: Version | None  # None: the action's first handler; else a schema block's version
    func: Handler


class Endpoints:
    """The handlers of one service."""

    def __init__(self, service: str) -> None:
        self.service = service
        self.handlers: list[HandlerSpec] = []

    def handler(self, action: str) -> Callable[[Handler], Handler]:
        """Register ``func(call, company_id, request)`` for ``service.action``.

        Which versions it serves is the schema's to say: a function named
        ``<name>_v<major>_<minor>`` is the variant for the action's version block
        ``major.minor`` (and the blocks after it, up to the next variant); any other name is
        the action's first handler, served from the action's ``served_from`` version
        (default: its first block)."""

        def decorate(func: Handler) -> Handler:
            match = _VARIANT.search(func.__name__)
            variant = Version(int(match.group(1)), int(match.group(2))) if match else None
            self.handlers.append(HandlerSpec(action, variant, func))
            return func

        return decorate
