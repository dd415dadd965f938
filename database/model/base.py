"""Shared pieces of the mongoengine documents."""

from __future__ import annotations

from mongoengine import Document

from ..vocabulary import new_id as new_id
from ..vocabulary import utcnow as utcnow

BACKEND_DB = "backend-db"
AUTH_DB = "auth-db"


class BackendDocument(Document):
    meta = {"abstract": True, "db_alias": BACKEND_DB, "strict": False}


class AuthDocument(Document):
    meta = {"abstract": True, "db_alias": AUTH_DB, "strict": False}
