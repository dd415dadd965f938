"""Users as the backend database knows them (names, preferences)."""

from __future__ import annotations

from mongoengine import DateTimeField, DictField, StringField

from .base import BackendDocument


class User(BackendDocument):
    meta = {"collection": "user", "indexes": ["company"]}

    id = StringField(primary_key=True)
    company = StringField(required=True)
    name = StringField(required=True)
    family_name = StringField()
    given_name = StringField()
    avatar = StringField()
    created = DateTimeField()
    preferences = DictField(default=dict)
