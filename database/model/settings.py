"""Server-wide settings and the record of applied schema versions."""

from __future__ import annotations

from mongoengine import DateTimeField, DynamicField, IntField, StringField

from .base import BackendDocument


class Settings(BackendDocument):
    meta = {"collection": "settings"}

    key = StringField(primary_key=True)
    value = DynamicField()


class DatabaseVersion(BackendDocument):
    """One row per data-layout version applied (collection ``versions``)."""

    meta = {"collection": "versions"}

    id = StringField(primary_key=True)
    num = StringField(required=True)
    created = DateTimeField(required=True)
    desc = StringField()
    sequence = IntField()
