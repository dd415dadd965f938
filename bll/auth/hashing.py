"""Hashing of credential secrets and fixed-user passwords, compared in constant time.

Credential secrets are 50 random characters, so one salted SHA-256 is enough and keeps
Basic authentication fast. Passwords chosen by people use PBKDF2. A stored value
without a recognised prefix is plain text (data written by the reference server) and
is still accepted, compared in constant time.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

_SHA256 = "sha256$"
_PBKDF2 = "pbkdf2_sha256$"
PBKDF2_ITERATIONS = 260_000


def hash_secret(secret: str) -> str:
    salt = secrets.token_hex(8)
    digest = hashlib.sha256((salt + secret).encode()).hexdigest()
    return f"{_SHA256}{salt}${digest}"


def hash_password(password: str, iterations: int = PBKDF2_ITERATIONS) -> str:
    salt = secrets.token_hex(8)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt.encode(), iterations)
    return f"{_PBKDF2}{iterations}${salt}${base64.b64encode(digest).decode()}"


def is_hashed(stored: str) -> bool:
    return stored.startswith((_SHA256, _PBKDF2, "$2"))


def verify(stored: str, given: str) -> bool:
    """True when ``given`` matches the stored hash (or stored plain text)."""
    if stored.startswith(_SHA256):
        salt, _, digest = stored[len(_SHA256) :].partition("$")
        actual = hashlib.sha256((salt + given).encode()).hexdigest()
        return hmac.compare_digest(actual, digest)
    if stored.startswith(_PBKDF2):
        iterations, salt, digest = stored[len(_PBKDF2) :].split("$", 2)
        derived = hashlib.pbkdf2_hmac("sha256", given.encode(), salt.encode(), int(iterations))
        return hmac.compare_digest(base64.b64encode(derived).decode(), digest)
    if stored.startswith("$2"):
        return _verify_bcrypt(stored, given)
    return hmac.compare_digest(stored.encode(), given.encode())


def _verify_bcrypt(stored: str, given: str) -> bool:
    """bcrypt hashes, as the reference's fixed-users mode stores them (needs the
    optional ``bcrypt`` package)."""
    try:
        import bcrypt
    except ImportError:
        return False
    try:
        return bool(bcrypt.checkpw(given.encode(), stored.encode()))
    except ValueError:
        return False
