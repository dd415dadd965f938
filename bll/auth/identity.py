"""Who is calling: the identity carried by credentials and tokens."""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Any


@dataclass(frozen=True)
class Identity:
    user: str
    company: str
    role: str
    user_name: str = ""
    company_name: str = ""

    def to_claims(self) -> dict[str, Any]:
        return asdict(self)

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
