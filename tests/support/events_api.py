"""The events API suite's pieces, shared by its modules (tests/api/test_events*.py):
a fresh tenant on each event store's server, and event builders."""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

from support.client import ApiClient

T0 = 1_700_000_000_000  # a realistic epoch-ms base for event timestamps


def new_task(api: ApiClient, name: str = "events task") -> str:
    return str(api.tasks.create(name=name, type="training")["id"])


def scalar(task: str, it: Any, value: Any, metric: str = "loss", variant: str = "train", ts: int | None = None) -> dict:
    return {
        "task": task,
        "type": "training_stats_scalar",
        "iter": it,
        "metric": metric,
        "variant": variant,
        "value": value,
        "timestamp": T0 + (it if isinstance(it, int) else 0) if ts is None else ts,
    }


def log(task: str, msg: str, ts: int, level: str = "info") -> dict:
    return {"task": task, "type": "log", "msg": msg, "level": level, "timestamp": ts, "worker": "w1"}


def image(task: str, it: int, url: str, metric: str = "img", variant: str = "v") -> dict:
    return {
        "task": task,
        "type": "training_debug_image",
        "iter": it,
        "metric": metric,
        "variant": variant,
        "key": f"{metric}/{variant}",
        "url": url,
        "timestamp": T0 + it,
    }


def plot(task: str, it: int, metric: str = "p", variant: str = "v") -> dict:
    return {"task": task, "type": "plot", "iter": it, "metric": metric, "variant": variant, "plot_str": "{}"}


def add(api: ApiClient, events: list[dict], version: str | None = None) -> dict:
    reply = api.call("events.add_batch", batch=events, version=version)
    assert reply.status == 200, reply.envelope
    return reply.data


def ok(api: ApiClient, endpoint: str, data: dict, version: str | None = None) -> dict:
    reply = api.call(endpoint, data, version=version)
    assert reply.status == 200, reply.envelope
    return reply.data


def fails(api: ApiClient, endpoint: str, data: dict, version: str | None, code: int, subcode: int) -> dict:
    """The error envelope's meta of a call that must fail with ``code``/``subcode``."""
    reply = api.call(endpoint, data, version=version)
    result = reply.envelope["meta"]["result_code"], reply.envelope["meta"]["result_subcode"]
    assert (reply.status, *result) == (code, code, subcode), reply.envelope
    return dict(reply.envelope["meta"])


def new_model(api: ApiClient, ready: bool = False) -> str:
    name = f"model {uuid.uuid4().hex[:8]}"
    return str(api.models.create(name=name, uri="file:///models/m.pt", ready=ready)["id"])


def md5(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest()


def tenant_of(root: ApiClient) -> ApiClient:
    company = uuid.uuid4().hex
    user = root.auth.create_user(
        name=f"ev {company[:6]}", company=company, role="user", create_company=True, company_name=f"ev {company[:6]}"
    )["id"]
    creds = root.impersonate(user).auth.create_credentials()["credentials"]
    return ApiClient(root.base_url, key=creds["access_key"], secret=creds["secret_key"]).login()
