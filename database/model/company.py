"""Companies (tenants)."""

from __future__ import annotations

from mongoengine import DictField, StringField

from .base import BackendDocument


class Company(BackendDocument):
    meta = {"collection": "company"}

    id = StringField(primary_key=True)
    name = StringField(required=True)
    defaults = DictField(default=dict)
