"""Users and credentials in the ``auth`` database (collection ``user``)."""

from __future__ import annotations

from mongoengine import (
    DateTimeField,
    EmbeddedDocument,
    EmbeddedDocumentListField,
    StringField,
)

from ..vocabulary import Role as Role
from .base import AuthDocument


class Credentials(EmbeddedDocument):
    meta = {"strict": False}
    key = StringField(required=True)
    # A salted hash (see bll.auth.hashing); plain text only in data written by the
    # reference server, which is still accepted.
    secret = StringField(required=True)
    label = StringField()
    last_used = DateTimeField()
    last_used_from = StringField()


class AuthUser(AuthDocument):
    meta = {
        "collection": "user",
        "indexes": ["company", "credentials.key", "email"],
    }

    id = StringField(primary_key=True)
    name = StringField()
    created = DateTimeField()
    validated = DateTimeField()
    role = StringField(required=True, choices=Role.ALL, default=Role.user)
    company = StringField(required=True)
    email = StringField()
    credentials = EmbeddedDocumentListField(Credentials, default=list)
    # Created from configuration (secure.credentials, fixed users, legacy pair).
    autocreated = StringField()
    # The web sign-in password an admin set (auth.create_user / auth.edit_user), hashed
    # with bll.auth.hashing.hash_password; a Stationmaster extension, absent by default.
    password = StringField()
