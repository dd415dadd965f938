"""Projects: collection ``project``."""

from __future__ import annotations

from mongoengine import DateTimeField, IntField, ListField, StringField

from .base import BackendDocument


class Project(BackendDocument):
    """A company's folder of tasks and models. ``company == ""`` marks a public project,
    whose owner is kept in ``company_origin``."""

    meta = {
        "collection": "project",
        "indexes": ["company", "system_tags", "-last_update"],
    }

    id = StringField(primary_key=True)
    company = StringField(required=True)
    user = StringField()
    # unique per company, as the reference's ``unique_with=company``
    name = StringField(required=True, min_length=3, unique_with="company")
    description = StringField(required=True)
    created = DateTimeField(required=True)
    tags = ListField(StringField(), default=list)
    system_tags = ListField(StringField(), default=list)
    default_output_destination = StringField()
    last_update = DateTimeField()
    featured = IntField(default=9999)
    logo_url = StringField()
    logo_blob = StringField()
    company_origin = StringField()
