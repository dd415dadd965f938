"""Authentication: identities, hashed secrets, tokens, users and credentials."""

from .identity import Identity
from .service import AuthBLL
from .tokens import TokenService

__all__ = ["AuthBLL", "Identity", "TokenService"]
