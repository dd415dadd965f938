"""Users: the backend database's ``user`` collection (names, preferences; raw pymongo)
and the auth database's ``user`` collection (roles, credentials, passwords; mongoengine,
since the sign-in rules work on ``AuthUser`` objects)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ..model.auth import AuthUser
from ..model.user import User
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
    """The auth database's users (mongoengine ``AuthUser`` documents)."""

    def role_of(self, user_id: str) -> AuthUser | None:
        """The user's id, role and company, None when there is no such user."""
        return AuthUser.objects(id=user_id).only("id", "role", "company").first()

    def delete(self, user_id: str) -> int:
        return int(AuthUser.objects(id=user_id).delete())

    def exists(self, user_id: str) -> bool:
        return AuthUser.objects(id=user_id).only("id").first() is not None

    def count(self) -> int:
        return int(AuthUser.objects.count())

    def rename(self, user_id: str, name: str) -> None:
        AuthUser.objects(id=user_id).update_one(set__name=name)
