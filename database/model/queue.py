"""Queues of tasks waiting for workers."""

from __future__ import annotations

from mongoengine import (
    DateTimeField,
    DictField,
    EmbeddedDocument,
    EmbeddedDocumentListField,
    ListField,
    StringField,
)

from .base import BackendDocument


class Entry(EmbeddedDocument):
    meta = {"strict": False}
    task = StringField(required=True)
    added = DateTimeField(required=True)


class Queue(BackendDocument):
    meta = {
        "collection": "queue",
        # names are unique within a company (the reference's unique_with)
        "indexes": ["company", "name", "system_tags", {"fields": ["company", "name"], "unique": True}],
    }

    id = StringField(primary_key=True)
    name = StringField(required=True, min_length=3)
    display_name = StringField()
    company = StringField(required=True)
    user = StringField()
    created = DateTimeField(required=True)
    tags = ListField(StringField(), default=list)
    system_tags = ListField(StringField(), default=list)
    entries = EmbeddedDocumentListField(Entry, default=list)
    last_update = DateTimeField()
    # items {key, type, value} under their escaped keys (API 2.13)
    metadata = DictField()
