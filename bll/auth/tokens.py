"""Signed session tokens (JWT, HS256) whose claims clients read without verifying."""

from __future__ import annotations

import dataclasses
import secrets
import threading
import time
from typing import Any

import jwt

from ...protocol import errors
from ...version import API_VERSION, COMPATIBLE_SERVER_VERSION, __version__
from .identity import Identity
from .revocation import TokenRevocations

ALGORITHM = "HS256"
_CACHE_SIZE = 10_000


class TokenService:
    def __init__(
        self,
        secret: str,
        default_expiration_sec: int,
        max_expiration_sec: int,
        env: str = "<unknown>",
        revocations: TokenRevocations | None = None,
    ) -> None:
        self._secret = secret
        self.default_expiration_sec = default_expiration_sec
        self.max_expiration_sec = max_expiration_sec
        self._env = env
        self.revocations = revocations
        # token -> (identity, exp, claims, when its revocation records were last read)
        self._verified: dict[str, tuple[Identity, int | None, dict[str, Any], float]] = {}
        self._seen_changes = 0
        self._lock = threading.Lock()

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
            # unique per token: logging out one session leaves another of the same second
            "jti": secrets.token_hex(8),
        }
        if self.revocations is not None:
            claims["gen"] = self.revocations.generation(identity.user)
        if identity.credentials_key:
            claims["cred"] = identity.credentials_key
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
        """The identity in a verified, unrevoked token. Verified tokens are remembered
        until they expire, so a client's repeated calls skip the signature check; their
        revocation records are read again every ``recheck_sec``."""
        now = time.time()
        revocations = self.revocations
        if revocations is not None and revocations.changes != self._seen_changes:
            with self._lock:  # a change made by this process: forget every verified token
                self._verified.clear()
                self._seen_changes = revocations.changes
        cached = self._verified.get(token)
        if cached is not None and (cached[1] is None or cached[1] > now):
            identity, exp, claims, checked = cached
            if revocations is None or now - checked < revocations.recheck_sec:
                return identity
        else:
            claims = self.decode(token)
            try:
                identity = Identity.from_claims(claims["identity"])
            except (KeyError, TypeError):
                raise errors.INVALID_TOKEN("token missing identity") from None
            identity = dataclasses.replace(identity, credentials_key=claims.get("cred"), token=token)
            exp = claims.get("exp")
        if revocations is not None:
            reason = revocations.reason(token, claims)
            if reason:
                self._verified.pop(token, None)
                raise errors.INVALID_TOKEN(reason)
        if len(self._verified) >= _CACHE_SIZE:
            self._verified.clear()
        self._verified[token] = (identity, exp, claims, now)
        return identity
