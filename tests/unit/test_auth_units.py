"""Hashing, tokens and body parsing."""

from __future__ import annotations

import time

import jwt
import pytest

from stationmaster.bll.auth.hashing import hash_password, hash_secret, is_hashed, verify
from stationmaster.bll.auth.identity import Identity
from stationmaster.bll.auth.tokens import TokenService
from stationmaster.protocol import errors
from stationmaster.protocol.request_data import merge_query, parse_body, parse_json_lines


def test_secret_hash_round_trip() -> None:
    stored = hash_secret("s3cr3t")
    assert is_hashed(stored) and "s3cr3t" not in stored
    assert verify(stored, "s3cr3t") and not verify(stored, "other")
    assert hash_secret("s3cr3t") != stored  # salted


def test_password_hash_round_trip() -> None:
    stored = hash_password("pw", iterations=1000)
    assert verify(stored, "pw") and not verify(stored, "pw2")


def test_plain_text_from_reference_data_is_accepted() -> None:
    assert verify("plain-secret", "plain-secret") and not verify("plain-secret", "plain")


IDENTITY = Identity("u1", "c1", "user", "User One", "Company")


def test_token_round_trip_and_claims() -> None:
    tokens = TokenService("k" * 32, 100, 1000)
    token = tokens.create(IDENTITY)
    assert tokens.identity(token) == IDENTITY
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["exp"] - claims["iat"] == 100 and claims["api_version"] == "2.31"


def test_system_tokens_do_not_expire_unless_asked() -> None:
    tokens = TokenService("k" * 32, 100, 1000)
    claims = jwt.decode(tokens.create(IDENTITY.with_role("system")), options={"verify_signature": False})
    assert "exp" not in claims


def test_token_errors_are_401_30() -> None:
    tokens = TokenService("k" * 32, 100, 1000)
    other = TokenService("j" * 32, 100, 1000)
    with pytest.raises(errors.ApiError) as info:
        tokens.identity(other.create(IDENTITY))
    assert (info.value.code, info.value.subcode) == (401, 30)
    expired = jwt.encode({"identity": IDENTITY.to_claims(), "exp": int(time.time()) - 5}, "k" * 32, algorithm="HS256")
    with pytest.raises(errors.ApiError, match="expired"):
        tokens.identity(expired)
    no_identity = jwt.encode({"exp": int(time.time()) + 50}, "k" * 32, algorithm="HS256")
    with pytest.raises(errors.ApiError, match="identity"):
        tokens.identity(no_identity)


def test_query_merge() -> None:
    data = merge_query(
        {"a": 1},
        [
            ("b", "2"),
            ("c", "1.5"),
            ("d", "true"),
            ("e", "x"),
            ("f.g", "3"),
            ("h[]", "1"),
            ("i", "1"),
            ("i", "2"),
            ("j", "-4"),
        ],
    )
    assert data == {"a": 1, "b": 2, "c": 1.5, "d": True, "e": "x", "f": {"g": 3}, "h": [1], "i": [1, 2], "j": -4}


def test_body_parsing_errors() -> None:
    assert parse_body(b"") == {} and parse_body(b" \n") == {}
    for bad in (b"{", b"[]", b"null", b"\xff"):
        with pytest.raises(errors.ApiError):
            parse_body(bad)
    assert parse_json_lines(b'{"a":1}\n\n{"b":2}\n') == [{"a": 1}, {"b": 2}]
    with pytest.raises(errors.ApiError, match="line 2"):
        parse_json_lines(b'{"a":1}\n[1]\n')
