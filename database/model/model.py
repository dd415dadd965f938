"""Models (trained weights and their description): collection ``model``."""

from __future__ import annotations

from mongoengine import BooleanField, DateTimeField, DictField, DynamicField, ListField, StringField

from .base import BackendDocument


class Model(BackendDocument):
    """A model file and its description. ``ready`` is "published"; ``task`` is the task
    that created it. ``company == ""`` marks a public model (owner in ``company_origin``)."""

    meta = {
        "collection": "model",
        "indexes": ["company", "project", "task", "ready", "system_tags", "-created", ("company", "name")],
    }

    id = StringField(primary_key=True)
    name = StringField(min_length=3)
    parent = StringField()
    user = StringField(required=True)
    company = StringField(required=True)
    project = StringField()
    created = DateTimeField(required=True)
    task = StringField()
    comment = StringField()
    tags = ListField(StringField(), default=list)
    system_tags = ListField(StringField(), default=list)
    uri = StringField(default="")
    framework = StringField()
    design = DictField()
    labels = DictField()
    ready = BooleanField(required=True, default=False)
    ui_cache = DictField()
    company_origin = StringField()
    last_update = DateTimeField()
    # written by later reference releases; kept readable
    metadata = DynamicField()
    last_iteration = DynamicField()
