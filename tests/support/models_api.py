"""Models for the models.* API tests."""

from __future__ import annotations

import uuid
from typing import Any

from support.client import ApiClient


def unique(prefix: str = "model") -> str:
    return f"{prefix} {uuid.uuid4().hex[:8]}"


def new_model(api: ApiClient, **fields: Any) -> str:
    """A model, a draft unless ``ready`` is given (models.create alone makes it ready)."""
    fields.setdefault("name", unique())
    fields.setdefault("uri", "file:///models/m.pt")
    fields.setdefault("ready", False)
    return str(api.models.create(**fields)["id"])
