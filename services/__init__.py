"""Handlers, one module per service, named after the schema file.

Handlers are thin: they take the validated request, call the business rules through
``call.ctx`` and return the response data. ``SERVICE_MODULES`` lists the modules
explicitly (one per line); each owns one ``Endpoints`` object, and several modules may
serve the same service. Importing one registers its handlers on that object only.
"""

from __future__ import annotations

import importlib

from ..protocol.endpoints import Endpoints

SERVICE_MODULES = (
    "auth",
    "debug",
    "login",
    "server",
    "users",
    "worker_stats",
    "queue_metrics",
    "tasks",
    "tasks_status",
    "tasks_params",
    "tasks_batch",
    "projects",
    "projects_lookups",
    "models",
    "organization",
    "organization_downloads",
    "organization_counts",
    "queues",
    "workers",
    "events",
    "events_metrics",
    "events_media",
    "serving",
    "storage",
    "pipelines",
    "reports",
)


def all_endpoints() -> list[Endpoints]:
    return [importlib.import_module(f"{__name__}.{name}").endpoints for name in SERVICE_MODULES]
