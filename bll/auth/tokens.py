"""Signed session tokens (JWT, HS256) whose claims clients read without verifying."""

from __future__ import annotations

import time
from typing import Any

import jwt

from ...server import errors
from ...version import API_VERSION, COMPATIBLE_SERVER_VERSION, __version__
from .identity import Identity

ALGORITHM = "HS256"
_CACHE_SIZE = 10_000


class TokenService:
    def __init__(
        self, secret: str, default_expiration_sec: int, max_expiration_sec: int, env: str = "<unknown>"
    ) -> None:
        self._secret = secret
        self.default_expiration_sec = default_expiration_sec
        self.max_expiration_sec = max_expiration_sec
        self._env = env
        self._verified: dict[str, tuple[Identity, int | None]] = {}

    def create(self, identity: Identity, expiration_sec: int | None = None) -> str:
        """A token for ``identity``; the ``api_version`` claim is how SDKs learn the
        server's level."""
        now = int(time.time())
        claims: dict[str, Any] = {
            "auth_type": "Bearer",
            "identity": identity.to_claims(),
            "iat": now,
            "env": self._env,
            "api_version": API_VERSION,
            "server_version": COMPATIBLE_SERVER_VERSION,
            "server_build": f"stationmaster-{__version__}",
            "feature_set": "basic",
        }
        if expiration_sec is None and identity.role != "system":
            expiration_sec = self.default_expiration_sec
        if expiration_sec is not None:
            claims["exp"] = now + min(int(expiration_sec), self.max_expiration_sec)
        return jwt.encode(claims, self._secret, algorithm=ALGORITHM)

    def decode(self, token: str) -> dict[str, Any]:
        """Verified claims, or 401/30 saying why the token is not acceptable."""
        try:
            claims: dict[str, Any] = jwt.decode(token, self._secret, algorithms=[ALGORITHM])
        except jwt.ExpiredSignatureError:
            raise errors.INVALID_TOKEN("token expired") from None
        except jwt.InvalidTokenError as ex:
            raise errors.INVALID_TOKEN(f"invalid jwt token: {ex}") from None
        return claims

    def identity(self, token: str) -> Identity:
        """The identity in a verified token. Verified tokens are remembered until they
        expire, so a client's repeated calls skip the signature check."""
        cached = self._verified.get(token)
        if cached is not None and (cached[1] is None or cached[1] > time.time()):
            return cached[0]
        claims = self.decode(token)
        try:
            identity = Identity.from_claims(claims["identity"])
        except (KeyError, TypeError):
            raise errors.INVALID_TOKEN("token missing identity") from None
        if len(self._verified) >= _CACHE_SIZE:
            self._verified.clear()
        self._verified[token] = (identity, claims.get("exp"))
        return identity
