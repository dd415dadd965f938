"""Who may use the file server: holders of an API token, checked locally."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import falcon

from ..bll.auth import Identity, TokenService
from ..protocol.errors import ApiError


class FileAuth:
    """Verifies the API server's session token (``Authorization: Bearer`` or the
    session cookie) with the API server's secret: no call back to the API."""

    def __init__(self, tokens: TokenService | None, cookie_names: Sequence[str], enabled: bool = True) -> None:
        if enabled and tokens is None:
            raise ValueError("authentication enabled without a token service")
        self._tokens = tokens
        self._cookie_names = tuple(cookie_names)
        self.enabled = enabled

    def token(self, authorization: str | None, cookies: Mapping[str, str]) -> str | None:
        """The token the request carries; 401 for an Authorization that is not Bearer."""
        if authorization:
            kind, _, token = authorization.strip().partition(" ")
            if kind.lower() != "bearer" or not token.strip():
                raise _unauthorized("only bearer token authorization is supported")
            return token.strip()
        return next((cookies[name] for name in self._cookie_names if cookies.get(name)), None)

    def check(self, req: falcon.Request, *, required: bool = True) -> Identity | None:
        """The caller's identity; 401 when a token is missing (and ``required``) or
        invalid. Always None when authentication is off."""
        if not self.enabled or self._tokens is None:
            return None
        token = self.token(req.get_header("Authorization"), req.cookies)
        if token is None:
            if required:
                raise _unauthorized("missing token: send Authorization: Bearer <API token>")
            return None
        try:
            return self._tokens.identity(token)
        except ApiError as ex:
            raise _unauthorized(ex.msg) from None


def _unauthorized(message: str) -> falcon.HTTPUnauthorized:
    return falcon.HTTPUnauthorized(title="Unauthorized", description=message, challenges=["Bearer"])
