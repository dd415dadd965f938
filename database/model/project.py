"""Projects: collection ``project``."""

from __future__ import annotations

from mongoengine import DateTimeField, IntField, ListField, StringField

from .base import BackendDocument


class Project(BackendDocument):
    meta = {
        "collection": "project",
        "indexes": ["company", "name", "system_tags"],
    }

    id = StringField(primary_key=True)
    company = StringField(required=True)
    user = StringField()
    name = StringField(required=True)
    description = StringField()
    created = DateTimeField(required=True)
    tags = ListField(StringField(), default=list)
    system_tags = ListField(StringField(), default=list)
    default_output_destination = StringField()
    last_update = DateTimeField()
    featured = IntField(default=9999)
    logo_url = StringField()
    logo_blob = StringField()
    company_origin = StringField()
