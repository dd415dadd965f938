"""Shared pieces of the mongoengine documents."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

from mongoengine import Document

BACKEND_DB = "backend-db"
AUTH_DB = "auth-db"


def new_id() -> str:
    """32 lowercase hex characters, the reference's id format."""
    return uuid4().hex


def utcnow() -> datetime:
    """Naive UTC with millisecond precision (what MongoDB keeps)."""
    now = datetime.now(UTC).replace(tzinfo=None)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


class BackendDocument(Document):
    meta = {"abstract": True, "db_alias": BACKEND_DB, "strict": False}


class AuthDocument(Document):
    meta = {"abstract": True, "db_alias": AUTH_DB, "strict": False}
