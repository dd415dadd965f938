"""Users: the backend database's ``user`` collection (names, preferences; raw pymongo)
and the auth database's ``user`` collection (roles, credentials, passwords; mongoengine,
since the sign-in rules work on ``AuthUser`` objects)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from .. import document_locks
from ..model.auth import AuthUser, Credentials
from ..model.user import User
from ..vocabulary import Role
from .base import RawRepository


class UserRepository(RawRepository):
    document = User

    def get(
        self, user_id: str, company: str | None = None, fields: Iterable[str] | None = None
    ) -> dict[str, Any] | None:
        """The user (of ``company`` when given), with ``id``; None when there is none."""
        query: dict[str, Any] = {"_id": user_id}
        if company is not None:
            query["company"] = company
        return self._find_one(query, fields)

    def exists(self, user_id: str, company: str | None = None) -> bool:
        query: dict[str, Any] = {"_id": user_id}
        if company is not None:
            query["company"] = company
        return self._exists(query)

    def list_by_name(
        self, company: str, ids: Sequence[str] | None, name_regex: Any, fields: Iterable[str]
    ) -> list[dict[str, Any]]:
        """The company's users (only ``ids`` when given, only names matching the regex
        when given: a pattern value) ordered by name, with ``id``."""
        query: dict[str, Any] = {"company": company}
        if ids is not None:
            query["_id"] = {"$in": list(ids)}
        if name_regex:
            query["name"] = {"$regex": name_regex}
        projection = {("_id" if f == "id" else f): 1 for f in fields}
        projection.setdefault("_id", 1)
        found = self._coll.find(query, projection).sort([("name", 1)])
        return [{("id" if k == "_id" else k): v for k, v in doc.items()} for doc in found]

    def create(self, fields: Mapping[str, Any]) -> None:
        """Store a new user; one with the same id is replaced (as ``Document.save`` does)."""
        self._save(fields)

    def delete(self, user_id: str) -> int:
        return int(self._coll.delete_one({"_id": user_id}).deleted_count)

    def update(self, user_id: str, company: str, fields: Mapping[str, Any]) -> int:
        """Set the fields of the company's user; the number of users matched (0 or 1)."""
        return int(self._coll.update_one({"_id": user_id, "company": company}, {"$set": dict(fields)}).matched_count)


class CredentialsRepository:
    """The auth database's users (mongoengine ``AuthUser`` documents, which the sign-in
    rules read as objects: ``user.role``, ``user.credentials[i].key``)."""

    def get(self, user_id: str, company: str | None = None, only: Sequence[str] = ()) -> AuthUser | None:
        """The user (of ``company`` when given; only the ``only`` fields when given)."""
        query: dict[str, Any] = {"id": user_id}
        if company is not None:
            query["company"] = company
        found = AuthUser.objects(**query)
        return found.only(*only).first() if only else found.first()

    def role_of(self, user_id: str) -> AuthUser | None:
        """The user's id, role and company, None when there is no such user."""
        return self.get(user_id, only=("id", "role", "company"))

    def exists(self, user_id: str) -> bool:
        return self.get(user_id, only=("id",)) is not None

    def by_key(self, key: str) -> AuthUser | None:
        """The user holding the access key."""
        return AuthUser.objects(credentials__key=key).first()

    def record_use(self, user_id: str, at: int, key: str, now: datetime, remote: str | None) -> None:
        """The credentials at position ``at`` were used: by position rather than with the
        positional ``$`` operator, which FerretDB refuses; the filter on the key at that
        position guards against a concurrent change of the list (then the use is simply
        not recorded this time)."""
        AuthUser.objects(id=user_id, **{f"credentials__{at}__key": key}).update_one(
            **{f"set__credentials__{at}__last_used": now, f"set__credentials__{at}__last_used_from": remote}
        )

    def with_password_named(self, name: str, limit: int | None = None) -> list[AuthUser]:
        """Users with a web sign-in password and this name (``limit`` of them)."""
        found = AuthUser.objects(name=name, password__ne=None)
        return list(found[:limit] if limit is not None else found.only("id"))

    def another_root(self, company: str, user_id: str) -> bool:
        """Whether the company has a root user other than ``user_id``."""
        return AuthUser.objects(company=company, role=Role.root, id__ne=user_id).only("id").first() is not None

    def new(self, **fields: Any) -> AuthUser:
        """A user not stored yet (``save`` stores it)."""
        return AuthUser(**fields)

    @staticmethod
    def new_credentials(key: str, secret_hash: str, label: str | None = None) -> Credentials:
        return Credentials(key=key, secret=secret_hash, label=label)

    def save(self, user: AuthUser) -> None:
        user.save()

    def add_credentials(self, user_id: str, company: str, credentials: Credentials) -> int:
        """Append to the company's user's credentials; the number of users changed."""
        return int(AuthUser.objects(id=user_id, company=company).update_one(push__credentials=credentials))

    def remove_key(self, user_id: str, company: str, access_key: str) -> int:
        """1 when the key was the user's and is removed. Not ``$pull`` with a condition
        (FerretDB 1.24 pulls only elements equal to it): see ``_rewrite_credentials``."""
        return self._rewrite_credentials(
            user_id, company, access_key, lambda creds: [c for c in creds if c.get("key") != access_key]
        )

    def set_label(self, user_id: str, company: str, access_key: str, label: str | None) -> int:
        """1 when the key is the user's; its label becomes ``label``."""
        return self._rewrite_credentials(
            user_id,
            company,
            access_key,
            lambda creds: [{**c, "label": label} if c.get("key") == access_key else c for c in creds],
        )

    @staticmethod
    def _rewrite_credentials(
        user_id: str, company: str, access_key: str, change: Callable[[list[dict[str, Any]]], list[dict[str, Any]]]
    ) -> int:
        """Write ``change(credentials)`` when the user has the key: the list is written
        back only if it is still the one read (a concurrent login's last_used: read
        again). The raw writes of this entity: a compare-and-set on the whole list."""
        coll = AuthUser._get_collection()
        mine = {"_id": user_id, "company": company}
        while True:
            doc = coll.find_one({**mine, "credentials.key": access_key}, {"credentials": 1})
            if doc is None:
                return 0
            if document_locks.update_one(
                coll, {**mine, "credentials": doc["credentials"]}, {"$set": {"credentials": change(doc["credentials"])}}
            ).matched_count:
                return 1

    def update(self, user_id: str, company: str | None, fields: Mapping[str, Any]) -> int:
        """Set fields of the user (of ``company`` when given); the number matched."""
        query: dict[str, Any] = {"id": user_id}
        if company is not None:
            query["company"] = company
        return int(AuthUser.objects(**query).update_one(**{f"set__{k}": v for k, v in fields.items()}))

    def delete(self, user_id: str) -> int:
        return int(AuthUser.objects(id=user_id).delete())

    def count(self) -> int:
        return int(AuthUser.objects.count())

    def rename(self, user_id: str, name: str) -> None:
        AuthUser.objects(id=user_id).update_one(set__name=name)
