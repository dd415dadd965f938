"""Tokens that stop working before they expire, shared by every API process through Redis.

Three records (docs/security.md):

- a user's *generation* (``users.delete``, a role change): a token carries the generation
  its user had when it was issued (claim ``gen``); a lower one than the current is refused;
- a revoked access key (``auth.revoke_credentials``): tokens logged in with it (claim
  ``cred``) are refused;
- a revoked token (``auth.logout``), by its digest, until it would have expired.

With several API processes on one Redis a change is seen by the others within
``recheck_sec`` (each process re-reads the records of a token it has seen at most that
often); the process that made the change sees it at once.
"""

from __future__ import annotations

import hashlib
import time
from typing import Any

from redis import Redis

_PREFIX = "stationmaster:auth:"


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class TokenRevocations:
    def __init__(self, redis: Redis, recheck_sec: float = 1.0) -> None:
        self._redis = redis
        self.recheck_sec = recheck_sec
        # Bumped on every change made here, so the local token cache is dropped at once.
        self.changes = 0

    def generation(self, user: str) -> int:
        value = self._redis.get(f"{_PREFIX}gen:{user}")
        return int(value) if value else 0

    def revoke_user(self, user: str) -> None:
        """Every token issued to ``user`` so far stops working."""
        self._redis.incr(f"{_PREFIX}gen:{user}")
        self.changes += 1

    def revoke_key(self, access_key: str) -> None:
        """Tokens logged in with this access key stop working (keys are never reused)."""
        self._redis.set(f"{_PREFIX}key:{access_key}", 1)
        self.changes += 1

    def revoke_token(self, token: str, exp: int | None) -> None:
        """This one token stops working (kept until it would have expired)."""
        ttl = None if exp is None else max(int(exp - time.time()), 1)
        self._redis.set(f"{_PREFIX}token:{token_digest(token)}", 1, ex=ttl)
        self.changes += 1

    def reason(self, token: str, claims: dict[str, Any]) -> str | None:
        """Why this verified token was revoked, or None when it still stands."""
        user = str((claims.get("identity") or {}).get("user", ""))
        cred = claims.get("cred")
        keys = [f"{_PREFIX}gen:{user}", f"{_PREFIX}token:{token_digest(token)}"]
        if cred:
            keys.append(f"{_PREFIX}key:{cred}")
        values = self._redis.mget(keys)
        if values[0] is not None and int(values[0]) > int(claims.get("gen") or 0):
            return "the user was changed or deleted after the token was issued"
        if values[1] is not None:
            return "the token was revoked (logged out)"
        if cred and values[2] is not None:
            return "the access key the token was issued for was revoked"
        return None
