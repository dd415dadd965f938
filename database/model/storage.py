"""Per-company storage credentials (``storage.*``), collection ``storage_settings``."""

from __future__ import annotations

from mongoengine import DateTimeField, DictField, StringField

from .base import BackendDocument


class StorageSettings(BackendDocument):
    meta = {"collection": "storage_settings", "indexes": [{"fields": ["company"], "unique": True}]}

    id = StringField(primary_key=True)
    company = StringField(required=True, min_length=1)
    last_update = DateTimeField()
    aws = DictField()
    google = DictField()
    azure = DictField()
