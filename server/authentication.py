"""Who is calling: the Authorization header, the session cookie, impersonation."""

from __future__ import annotations

import base64
import binascii

from ..bll.auth import AuthBLL, Identity
from ..database.model.auth import Role
from ..protocol import errors
from ..protocol.call import Headers


class Authenticator:
    def __init__(self, auth: AuthBLL, cookie_names: tuple[str, ...]) -> None:
        self._auth = auth
        self._cookie_names = cookie_names

    def authenticate(
        self, headers: Headers, cookies: dict[str, str], endpoint: str, remote: str | None
    ) -> Identity | None:
        """The caller's identity, or None when no credentials were sent.

        A real Authorization header wins over the session cookie.
        """
        header = headers.get("Authorization")
        if not header:
            token = next((cookies[n] for n in self._cookie_names if cookies.get(n)), None)
            if not token:
                return None
            header = f"Bearer {token}"
        kind, _, payload = header.strip().partition(" ")
        kind = kind.lower()
        if kind == "basic":
            key, secret = _decode_basic(payload.strip())
            return self._auth.authenticate_basic(key, secret, endpoint, remote)
        if kind == "bearer":
            return self._auth.tokens.identity(payload.strip())
        raise errors.BAD_AUTH_TYPE(f"unsupported authorization type {kind!r}")

    def impersonate(self, caller: Identity, headers: Headers) -> Identity:
        """Apply ``X-Clearml-Act-As`` (keeps the caller's role) or
        ``X-Clearml-Impersonate-As`` (takes the target's role).

        Stricter than the reference (docs/security.md): the target's role is never above
        the caller's, with either header, and only system and root reach other companies.
        """
        act_as = headers.first("X-Clearml-Act-As", "X-Trains-Act-As")
        impersonate = headers.first("X-Clearml-Impersonate-As", "X-Trains-Impersonate-As")
        if act_as and impersonate:
            raise errors.INVALID_HEADERS("only one of Act-As and Impersonate-As is allowed")
        target_id = act_as or impersonate
        if not target_id:
            return caller
        if caller.role not in Role.IMPERSONATORS:
            raise errors.IMPERSONATION_ERROR("caller's role may not act as another user", role=caller.role)
        company = None if caller.role in Role.SYSTEM else caller.company
        try:
            target = self._auth.identity_of_user(target_id, company)
        except errors.ApiError:
            raise errors.IMPERSONATION_ERROR("unknown user", user=target_id) from None
        if Role.outranks(target.role, caller.role):
            raise errors.IMPERSONATION_ERROR("the user's role is above the caller's", user=target_id, role=target.role)
        return target.with_role(caller.role) if act_as else target


def _decode_basic(payload: str) -> tuple[str, str]:
    try:
        decoded = base64.b64decode(payload, validate=True).decode("latin-1")
    except (binascii.Error, ValueError):
        raise errors.BAD_CREDENTIALS("malformed basic credentials") from None
    key, sep, secret = decoded.partition(":")
    if not sep or not key:
        raise errors.BAD_CREDENTIALS("malformed basic credentials")
    return key, secret
