"""Who is calling: the identity carried by credentials and tokens."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

_CLAIMS = ("user", "company", "role", "user_name", "company_name")


@dataclass(frozen=True)
class Identity:
    user: str
    company: str
    role: str
    user_name: str = ""
    company_name: str = ""
    # How the caller proved it (not claims, not compared): the access key it logged in
    # with (carried on in its tokens) and the session token of this request, if any.
    credentials_key: str | None = field(default=None, compare=False)
    token: str | None = field(default=None, compare=False, repr=False)

    def to_claims(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in _CLAIMS}

    @classmethod
    def from_claims(cls, claims: dict[str, Any]) -> Identity:
        return cls(
            user=str(claims["user"]),
            company=str(claims["company"]),
            role=str(claims["role"]),
            user_name=str(claims.get("user_name") or ""),
            company_name=str(claims.get("company_name") or ""),
        )

    def with_role(self, role: str) -> Identity:
        return replace(self, role=role)
