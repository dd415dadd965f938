"""Authentication and the auth.* rules: credentials, users, fixed users, tokens."""

from __future__ import annotations

import dataclasses
import hashlib
import secrets
import string
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ...config import Config
from ...database.repositories import Documents
from ...database.vocabulary import Role, new_id, utcnow
from ...protocol import errors
from ..companies import CompanyNames
from . import hashing
from .identity import Identity
from .tokens import TokenService

# The key/secret pair built into trains 0.16 and the agents (user "tests").
LEGACY_KEY = "EGRTCO8JMSIGI6S39GTP43NFWXDQOW"
LEGACY_SECRET = "x!XTov_G-#vspE*Y(h$Anm&DIc5Ou-F)jsl$PdOyj5wG1&E!Z8"
LEGACY_USER_ID = "__tests__"
LEGACY_USER_NAME = "Default User"

KEY_ALPHABET = string.ascii_uppercase + string.digits
SECRET_ALPHABET = string.ascii_letters + string.digits + "!@#$%^&(-_=+)"


def generate_key() -> str:
    return "".join(secrets.choice(KEY_ALPHABET) for _ in range(20))


def generate_secret() -> str:
    return "".join(secrets.choice(SECRET_ALPHABET) for _ in range(50))


@dataclass(frozen=True)
class FixedUser:
    username: str
    password: str
    name: str
    role: str
    company: str

    @property
    def user_id(self) -> str:
        return hashlib.md5(f"{self.company}:{self.username}".encode()).hexdigest()


class AuthBLL:
    def __init__(self, config: Config, tokens: TokenService, companies: CompanyNames, documents: Documents) -> None:
        self.tokens = tokens
        self._companies = companies
        self._documents = documents
        self._credentials = documents.credentials
        self.default_company = config.get("apiserver.default_company")
        self.legacy_enabled = bool(config.get("apiserver.auth.legacy_default_credentials"))
        fixed = config.get("apiserver.auth.fixed_users")
        self.fixed_enabled = bool(fixed.get("enabled", False))
        self.fixed_hashed = bool(fixed.get("pass_hashed", False))
        self.fixed_users = {
            u["username"]: FixedUser(
                username=u["username"],
                password=u["password"],
                name=u.get("name") or u["username"],
                role=u.get("role", Role.user),
                company=self.default_company,
            )
            for u in fixed.get("users", ())
        }
        guest = config.get("services.auth.fixed_users.guest")
        self.guest = guest.to_dict() if guest.get("enabled", False) else None

    # --- authentication ---------------------------------------------------------------

    def authenticate_basic(self, key: str, secret: str, endpoint: str, remote: str | None) -> Identity:
        if self.fixed_enabled:
            identity = self._fixed_user_identity(key, secret, endpoint)
            if identity:
                return identity
        if self.legacy_enabled and key == LEGACY_KEY:
            if not hashing.verify(LEGACY_SECRET, secret):
                raise errors.INVALID_CREDENTIALS("failed to locate provided credentials")
            return self._identity_for(LEGACY_USER_ID)
        user = self._credentials.by_key(key)
        cred = next((c for c in user.credentials if c.key == key), None) if user else None
        if not cred:
            by_password = self._password_identity(key, secret)
            if by_password:
                return by_password
        if not user or not cred or not hashing.verify(cred.secret, secret):
            raise errors.INVALID_CREDENTIALS("failed to locate provided credentials")
        self._credentials.record_use(user.id, user.credentials.index(cred), key, utcnow(), remote)
        return dataclasses.replace(self._identity(user), credentials_key=key)

    def _fixed_user_identity(self, username: str, password: str, endpoint: str) -> Identity | None:
        if self.guest and username == self.guest.get("username"):
            if password != self.guest.get("password"):
                raise errors.INVALID_CREDENTIALS("bad guest password")
            if endpoint not in self.guest.get("allow_endpoints", []):
                raise errors.NOT_AUTHORIZED("guest may not call this endpoint")
            company = self.guest.get("default_company") or self.default_company
            user_id = hashlib.md5(f"{company}:{username}".encode()).hexdigest()
            return Identity(user_id, company, Role.guest, self.guest.get("name", username), "")
        fixed = self.fixed_users.get(username)
        if not fixed:
            return None
        ok = (
            hashing.verify(fixed.password, password)
            if self.fixed_hashed
            else secrets.compare_digest(fixed.password.encode(), password.encode())
        )
        if not ok:
            raise errors.INVALID_CREDENTIALS("bad username or password")
        return Identity(fixed.user_id, fixed.company, fixed.role, fixed.name, self._companies.get(fixed.company) or "")

    def _password_identity(self, name: str, password: str) -> Identity | None:
        """The user an admin gave a web sign-in password (``auth.edit_user``), by name."""
        found = self._credentials.with_password_named(name, limit=2)
        if len(found) != 1 or not found[0].password:
            return None
        if not hashing.verify(found[0].password, password):
            raise errors.INVALID_CREDENTIALS("bad username or password")
        return self._identity(found[0])

    def _check_password_name(self, name: str, user_id: str | None) -> None:
        """Names sign in: a password goes only to a user whose name no other user with a
        password (nor a fixed user) has."""
        if name in self.fixed_users or (self.guest and name == self.guest.get("username")):
            raise errors.INVALID_USER("a fixed user signs in with this name", name=name)
        others = self._credentials.with_password_named(name)
        if any(u.id != user_id for u in others):
            raise errors.INVALID_USER("another user with a password has this name", name=name)

    def _identity_for(self, user_id: str) -> Identity:
        user = self._credentials.get(user_id)
        if not user:
            raise errors.INVALID_CREDENTIALS("user not found")
        return self._identity(user)

    def _identity(self, user: Any) -> Identity:
        """``user``: an auth user (``CredentialsRepository``'s document)."""
        company_name = self._companies.get(user.company)
        if company_name is None:
            raise errors.INVALID_CREDENTIALS("user's company not found")
        return Identity(user.id, user.company, user.role, user.name or "", company_name)

    def identity_of_user(self, user_id: str, company: str | None = None) -> Identity:
        """The identity of another user (impersonation, get_token_for_user)."""
        user = self._credentials.get(user_id, company or None)
        if not user:
            raise errors.INVALID_USER_ID(id=user_id)
        return self._identity(user)

    # --- tokens ------------------------------------------------------------------------

    def login(self, identity: Identity, expiration_sec: int | None) -> str:
        return self.tokens.create(identity, expiration_sec)

    def token_for_user(self, caller: Identity, user_id: str, company: str | None, expiration_sec: int | None) -> str:
        """A token for another user, never one of a role above the caller's."""
        identity = self.identity_of_user(user_id, company)
        if Role.outranks(identity.role, caller.role):
            raise errors.ROLE_NOT_ALLOWED("cannot issue a token for a user of a role above the caller's")
        return self.tokens.create(identity, expiration_sec)

    def validate_token(self, token: str) -> dict[str, Any]:
        try:
            identity = self.tokens.identity(token)
        except errors.ApiError as ex:
            return {"valid": False, "msg": ex.msg}
        return {"valid": True, "msg": "", "user": identity.user, "company": identity.company}

    # --- users and credentials ---------------------------------------------------------

    def create_user(self, caller: Identity, request: dict[str, Any]) -> str:
        company_id = request["company"]
        if caller.role != Role.system and caller.role != Role.root and company_id != caller.company:
            raise errors.ROLE_NOT_ALLOWED("cannot create users in another company")
        if Role.outranks(request.get("role"), caller.role):
            raise errors.ROLE_NOT_ALLOWED("cannot create a user of a role above the caller's", role=request.get("role"))
        if not self._documents.companies.exists(company_id):
            if not request.get("create_company"):
                raise errors.INVALID_ID("unknown company", company=company_id)
            self._documents.companies.save({"id": company_id, "name": request.get("company_name") or company_id})
        user_id = request.get("id") or new_id()
        if self._credentials.exists(user_id):
            raise errors.USER_ID_EXISTS(id=user_id)
        password = request.get("password")
        if password:
            self._check_password_name(request["name"], None)
        now = utcnow()
        self._credentials.save(
            self._credentials.new(
                id=user_id,
                name=request["name"],
                company=company_id,
                role=request.get("role") or Role.user,
                email=request.get("email"),
                created=now,
                password=hashing.hash_password(password) if password else None,
            )
        )
        given, family = split_name(request["name"])
        self._documents.users.create(
            {
                "id": user_id,
                "company": company_id,
                "name": request["name"],
                "given_name": request.get("given_name") or given,
                "family_name": request.get("family_name") or family,
                "avatar": request.get("avatar"),
                "created": now,
            }
        )
        return user_id

    def create_credentials(self, identity: Identity, creator: Identity, label: str | None = None) -> dict[str, str]:
        """New key/secret for the user ``identity`` names; the secret is returned once and
        stored hashed. ``creator`` is the authenticated caller: never a key for a user of
        a role above its own (an admin acting as a root user gets none)."""
        user = self._credentials.get(identity.user, identity.company, only=("id", "role"))
        if not user:
            raise errors.INVALID_USER_ID(id=identity.user)
        if Role.outranks(user.role, creator.role):
            raise errors.ROLE_NOT_ALLOWED("cannot create credentials for a user of a role above the caller's")
        key, secret = generate_key(), generate_secret()
        cred = self._credentials.new_credentials(key, hashing.hash_secret(secret), label)
        updated = self._credentials.add_credentials(identity.user, identity.company, cred)
        if not updated:
            raise errors.INVALID_USER_ID(id=identity.user)
        return {"access_key": key, "secret_key": secret}

    def get_credentials(self, identity: Identity) -> list[dict[str, Any]]:
        user = self._credentials.get(identity.user, identity.company, only=("credentials",))
        if not user:
            return []
        return [
            {"access_key": c.key, "last_used": c.last_used, **({"label": c.label} if c.label else {})}
            for c in user.credentials
        ]

    def revoke_credentials(self, identity: Identity, access_key: str) -> int:
        """Remove one of the caller's keys; tokens logged in with it stop working.
        400/300 for a key the caller does not own (as in the reference)."""
        removed = self._remove_key(identity, access_key)
        if not removed:
            raise errors.INVALID_USER("invalid user or invalid access key", user=identity.user, access_key=access_key)
        if self.tokens.revocations is not None:
            self.tokens.revocations.revoke_key(access_key)
        return int(removed)

    def edit_credentials(self, identity: Identity, access_key: str, label: str | None) -> int:
        """Relabel one of the caller's keys (API 2.20); 400/300 for a key it does not own,
        as revoke_credentials answers it."""
        if not self._credentials.set_label(identity.user, identity.company, access_key, label):
            raise errors.INVALID_USER("invalid user or invalid access key", user=identity.user, access_key=access_key)
        return 1

    def _remove_key(self, identity: Identity, access_key: str) -> int:
        """1 when the key was the caller's and is removed."""
        return self._credentials.remove_key(identity.user, identity.company, access_key)

    def logout(self, caller: Identity) -> None:
        """The session token of this request stops working (with Basic: nothing to do)."""
        if caller.token and self.tokens.revocations is not None:
            exp = self.tokens.decode(caller.token).get("exp")
            self.tokens.revocations.revoke_token(caller.token, exp)

    def edit_user(
        self, caller: Identity, user_id: str, role: str | None, password: str | None = None
    ) -> dict[str, Any]:
        """Change a user's role or web sign-in password: never to a role above the caller's,
        never for a user above the caller. A role change ends the user's tokens (clients log
        in again and get the new role)."""
        if Role.outranks(role, caller.role):
            raise errors.ROLE_NOT_ALLOWED("cannot grant a role above the caller's", role=role)
        company = None if caller.role in Role.SYSTEM else caller.company
        user = self._credentials.get(user_id, company, only=("id", "name", "role", "company"))
        if not user:
            raise errors.INVALID_USER_ID(id=user_id)
        if Role.outranks(user.role, caller.role):
            raise errors.ROLE_NOT_ALLOWED("cannot change a user of a role above the caller's", user=user_id)
        fields: dict[str, Any] = {"role": role} if role else {}
        updates: dict[str, Any] = {"role": role} if role and role != user.role else {}
        if updates:
            self.check_keeps_a_root(user, removing=False)
        if password:
            self._check_password_name(user.name or "", user_id)
            updates["password"] = hashing.hash_password(password)
            fields["password"] = "(set)"
        updated = self._credentials.update(user_id, company, updates) if updates else 0
        if "role" in updates:
            self.revoke_user(user_id)
        return {"updated": int(updated), "fields": fields}

    def check_keeps_a_root(self, user: Any, removing: bool) -> None:
        """The last root user of the default company is neither demoted nor deleted:
        nobody could manage users and companies afterwards. ``user``: an auth user."""
        if user.role != Role.root or user.company != self.default_company:
            return
        if not self._credentials.another_root(self.default_company, user.id):
            action = "deleted" if removing else "demoted"
            raise errors.INVALID_USER(f"the last root user of the default company cannot be {action}", id=user.id)

    def revoke_user(self, user_id: str) -> None:
        """Every token issued to the user so far stops working."""
        if self.tokens.revocations is not None:
            self.tokens.revocations.revoke_user(user_id)

    def fixed_users_mode(self) -> dict[str, Any]:
        result: dict[str, Any] = {"enabled": self.fixed_enabled, "server_errors": {}}
        guest = {"enabled": bool(self.guest)}
        if self.guest:
            guest.update({k: self.guest.get(k) for k in ("name", "username", "password")})
        result["guest"] = guest
        return result


def split_name(name: str) -> tuple[str, str]:
    given, _, family = name.strip().partition(" ")
    return given, family


def ensure_config_users(config: Config, default_company: str, documents: Documents) -> None:
    """Create or update the users named in ``secure.credentials`` and the fixed users."""
    for name, spec in config.get("secure.credentials").items():
        ensure_user(
            documents,
            user_id=f"__{name}__",
            company=default_company,
            name=spec.get("display_name") or name,
            role=spec.get("role", Role.user),
            credentials=[(spec["user_key"], spec["user_secret"])],
            origin="secure.credentials",
        )
    fixed = config.get("apiserver.auth.fixed_users")
    if fixed.get("enabled", False):
        for entry in fixed.get("users", ()):
            user = FixedUser(
                entry["username"],
                entry["password"],
                entry.get("name") or entry["username"],
                entry.get("role", Role.user),
                default_company,
            )
            ensure_user(documents, user.user_id, default_company, user.name, user.role, [], origin="fixed_users")


def ensure_user(
    documents: Documents,
    user_id: str,
    company: str,
    name: str,
    role: str,
    credentials: Sequence[tuple[str, str]],
    origin: str,
) -> None:
    """An auth user and its backend user exist with these credentials (idempotent)."""
    now = utcnow()
    auth = documents.credentials
    user = auth.get(user_id) or auth.new(id=user_id, created=now)
    user.company, user.name, user.role, user.autocreated = company, name, role, origin
    wanted = {key: secret for key, secret in credentials}
    kept = [c for c in user.credentials if c.key not in wanted]
    for key, secret in wanted.items():
        current = next((c for c in user.credentials if c.key == key), None)
        if current and hashing.verify(current.secret, secret):
            kept.append(current)
        else:
            kept.append(auth.new_credentials(key, hashing.hash_secret(secret)))
    user.credentials = kept
    auth.save(user)
    if not documents.users.exists(user_id):
        given, family = split_name(name)
        documents.users.create(
            {
                "id": user_id,
                "company": company,
                "name": name,
                "given_name": given,
                "family_name": family,
                "created": now,
            }
        )
