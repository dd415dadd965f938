"""The users.* rules: backend user records, names and preferences."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

from ..database.repositories.companies import CompanyRepository
from ..database.repositories.users import CredentialsRepository, UserRepository
from ..database.vocabulary import Role, utcnow
from ..protocol import errors
from .auth.identity import Identity
from .companies import CompanyNames
from .patterns import pattern

if TYPE_CHECKING:
    from .auth import AuthBLL

USER_FIELDS = ("id", "company", "name", "family_name", "given_name", "avatar", "created")
UPDATABLE = ("name", "family_name", "given_name", "avatar")


def user_to_dict(user: Mapping[str, Any], fields: Iterable[str] = USER_FIELDS) -> dict[str, Any]:
    return {name: user[name] for name in fields if user.get(name) is not None}


class UserBLL:
    def __init__(
        self,
        users: UserRepository,
        credentials: CredentialsRepository,
        company_records: CompanyRepository,
        companies: CompanyNames,
        active_users: Callable[[str, list[str], list[str] | None], set[str]] | None = None,
        auth: AuthBLL | None = None,
    ) -> None:
        self._users = users
        self._credentials = credentials
        self._company_records = company_records
        self._companies = companies
        self._auth = auth
        # Who created tasks or models in some projects; wired by the entity services.
        self._active_users = active_users

    def current_user(self, identity: Identity) -> dict[str, Any]:
        user = self._users.get(identity.user)
        if not user:
            raise errors.INVALID_USER("failed loading user")
        result = {k: user[k] for k in USER_FIELDS if user.get(k) is not None}
        result["company"] = {"id": user["company"], "name": self._companies.get(user["company"]) or ""}
        result["role"] = identity.role
        result["preferences"] = _decode(user.get("preferences"))
        return result

    def company_of(self, identity: Identity) -> dict[str, Any]:
        """organization.get_user_companies' entry: the caller's company and its users."""
        users = self._users.list_by_name(identity.company, None, None, ("id", "name", "avatar"))
        owners = [{"id": u["id"], "name": u.get("name"), "avatar": u.get("avatar")} for u in users]
        name = self._companies.get(identity.company) or ""
        return {"id": identity.company, "name": name, "allocated": len(owners), "owners": owners}

    def get_by_id(self, identity: Identity, user_id: str) -> dict[str, Any]:
        user = self._users.get(user_id, None if identity.role == Role.system else identity.company)
        if not user:
            raise errors.INVALID_USER_ID(id=user_id)
        return user_to_dict(user)

    def get_all(self, identity: Identity, request: dict[str, Any]) -> list[dict[str, Any]]:
        ids = request.get("id")
        wanted: list[str] | None = ([ids] if isinstance(ids, str) else list(ids)) if ids else None
        active_in = request.get("active_in_projects")
        if active_in is not None and self._active_users is not None:
            active = self._active_users(identity.company, list(active_in), wanted)
            if not active:
                return []
            wanted = list(active)
        name = request.get("name")
        name_regex = pattern(name, "name", ignore_case=True) if name else None
        only = [f for f in request.get("only_fields") or () if f in USER_FIELDS]
        fields = only or USER_FIELDS
        return [user_to_dict(u, fields) for u in self._users.list_by_name(identity.company, wanted, name_regex, fields)]

    def create(self, request: dict[str, Any]) -> None:
        if not self._company_records.exists(request["company"]):
            raise errors.INVALID_ID("unknown company", company=request["company"])
        if self._users.exists(request["id"]):
            raise errors.USER_ID_EXISTS(id=request["id"])
        self._users.create(
            {
                "id": request["id"],
                "company": request["company"],
                "name": request["name"],
                "given_name": request.get("given_name"),
                "family_name": request.get("family_name"),
                "avatar": request.get("avatar"),
                "created": utcnow(),
            }
        )

    def delete(self, user_id: str) -> None:
        """Delete the user; its tokens stop working. The last root user of the default
        company is kept (400/300)."""
        auth_user = self._credentials.role_of(user_id)
        if auth_user is not None and self._auth is not None:
            self._auth.check_keeps_a_root(auth_user, removing=True)
        deleted = self._users.delete(user_id)
        self._credentials.delete(user_id)
        if self._auth is not None and (deleted or auth_user is not None):
            self._auth.revoke_user(user_id)
        if not deleted:
            raise errors.INVALID_USER_ID(id=user_id)

    def update(self, identity: Identity, request: dict[str, Any]) -> dict[str, Any]:
        user_id = request["user"]
        if user_id != identity.user and identity.role not in (Role.system, Role.root, Role.admin):
            raise errors.ROLE_NOT_ALLOWED("may only update yourself")
        if not self._users.exists(user_id, identity.company):
            raise errors.INVALID_USER_ID(id=user_id)
        fields = {k: request[k] for k in UPDATABLE if k in request}
        if not fields:
            return {"updated": 0, "fields": {}}
        updated = self._users.update(user_id, identity.company, fields)
        if "name" in fields:
            self._credentials.rename(user_id, fields["name"])
        return {"updated": updated, "fields": fields}

    def get_preferences(self, identity: Identity) -> dict[str, Any]:
        user = self._users.get(identity.user, identity.company, ["preferences"])
        if not user:
            raise errors.INVALID_USER_ID(id=identity.user)
        return _decode(user.get("preferences"))

    def set_preferences(self, identity: Identity, changes: dict[str, Any]) -> dict[str, Any]:
        """Each top-level key (a dotted path) replaces what is there."""
        _check_keys(changes, top=True)
        base = self.get_preferences(identity)
        new = copy.deepcopy(base)
        for key, value in changes.items():
            _set_path(new, key.split("."), value)
        if new == base:
            return {"updated": 0, "fields": {}}
        updated = self._users.update(identity.user, identity.company, {"preferences": new})
        return {"updated": int(updated), "fields": {"preferences": new} if updated else {}}


def _decode(preferences: Any) -> dict[str, Any]:
    if isinstance(preferences, str):  # the reference's later releases store JSON text
        try:
            preferences = json.loads(preferences)
        except ValueError:
            return {}
    return dict(preferences or {})


def _check_keys(value: Any, top: bool = False) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str) or key.startswith("$") or (not top and "." in key):
                raise errors.FIELDS_VALUE_ERROR(f"invalid preferences key {key!r}")
            _check_keys(item)
    elif isinstance(value, list):
        for item in value:
            _check_keys(item)


def _set_path(target: dict[str, Any], path: list[str], value: Any) -> None:
    node = target
    for part in path[:-1]:
        child = node.get(part)
        if not isinstance(child, dict):
            child = node[part] = {}
        node = child
    node[path[-1]] = value
