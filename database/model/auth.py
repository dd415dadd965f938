"""Users and credentials in the ``auth`` database (collection ``user``)."""

from __future__ import annotations

from mongoengine import (
    DateTimeField,
    EmbeddedDocument,
    EmbeddedDocumentListField,
    StringField,
)

from .base import AuthDocument


class Role:
    system = "system"
    root = "root"
    admin = "admin"
    superuser = "superuser"
    user = "user"
    annotator = "annotator"
    guest = "guest"

    ALL = (system, root, admin, superuser, user, annotator, guest)
    SYSTEM = (system, root)
    # Roles that may act as another user of their company (system and root: of any company).
    IMPERSONATORS = (system, root, admin)
    # Highest first: no caller ever gains a role above its own (docs/security.md).
    _RANK = dict(zip(ALL, range(len(ALL), 0, -1), strict=True))

    @classmethod
    def rank(cls, role: str | None) -> int:
        """The role's place in ALL (system highest); 0 for an unknown role."""
        return cls._RANK.get(role or "", 0)

    @classmethod
    def outranks(cls, role: str | None, other: str | None) -> bool:
        """Whether ``role`` is strictly above ``other``."""
        return cls.rank(role) > cls.rank(other)


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
