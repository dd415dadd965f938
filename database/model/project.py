"""Projects: collection ``project``."""

from __future__ import annotations

from mongoengine import DateTimeField, IntField, ListField, StringField

from .base import BackendDocument


class Project(BackendDocument):
    """A company's folder of tasks and models. ``company == ""`` marks a public project,
    whose owner is kept in ``company_origin``. From API 2.13 projects form trees: ``name``
    is the full path (``a/b/c``), ``basename`` its last part, ``parent`` the project one
    level up and ``path`` the ids of every ancestor, the top one first."""

    meta = {
        "collection": "project",
        "indexes": ["company", "system_tags", "-last_update", "parent", "path"],
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
    basename = StringField()
    parent = StringField()
    path = ListField(StringField())
