"""The response envelope ``{"meta": {...}, "data": {...}}`` and its JSON encoding."""

from __future__ import annotations

import json
import math
from datetime import UTC, date, datetime
from typing import Any

import orjson

from .versions import Version

# datetimes and dataclasses go to _default, as with the json module
_ORJSON_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS

# Below this requested version the envelope's versions are JSON floats (older
# clients expect that); from it on they are strings.
FLOAT_VERSIONS_BELOW = Version(2, 1)


def _default(value: Any) -> Any:
    if isinstance(value, datetime):
        return format_datetime(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if hasattr(value, "to_json_dict"):
        return value.to_json_dict()
    raise TypeError(f"cannot serialise {type(value).__name__}")


def format_datetime(value: datetime) -> str:
    """ISO-8601 with an explicit UTC offset: ``2020-08-23T12:34:56.123000+00:00``."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    else:
        value = value.astimezone(UTC)
    return value.isoformat()


def _finite(value: Any) -> Any:
    """NaN and infinities are not JSON: they become null."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value


def dumps(value: Any) -> bytes:
    """The answer's JSON (UTF-8). orjson first (issue 24: the large answers, histograms of
    100,000 floats, encode several times faster); what it refuses — a key that is not a
    string, an integer beyond 64 bits, a lone surrogate, nesting beyond 254 levels, a
    type ``_default`` does not know — goes the json module's way below, as before: strictly
    first, then NaN and infinities as null (orjson writes those as null too), then lone
    surrogates as escapes. Floats are written in their shortest form either way, orjson
    without an exponent down to 1e-5 (``0.00001`` where json writes ``1e-05``)."""
    try:
        return orjson.dumps(value, default=_default, option=_ORJSON_OPTIONS)
    except TypeError:  # orjson.JSONEncodeError, and what _default raises
        pass
    try:
        text = json.dumps(value, default=_default, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    except ValueError:
        text = json.dumps(_finite(value), default=_default, separators=(",", ":"), ensure_ascii=False)
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        # A lone surrogate (stored before issue 13, or quoted in an error message) is
        # written as its JSON escape rather than failing the whole answer.
        return text.encode("utf-8", "backslashreplace")


def version_value(version: Version | None, requested: Version | None) -> str | float | None:
    if version is None:
        return None
    if requested is not None and requested < FLOAT_VERSIONS_BELOW:
        return version.as_float()
    return str(version)


def build(
    *,
    call_id: str,
    trx: str,
    endpoint: str,
    requested: Version | None,
    actual: Version | None,
    code: int = 200,
    subcode: int = 0,
    msg: str = "OK",
    data: dict[str, Any] | None = None,
    error_stack: str | None = "",
    error_data: dict[str, Any] | None = None,
) -> dict[str, Any]:
    return {
        "meta": {
            "id": call_id,
            "trx": trx,
            "endpoint": {
                "name": endpoint,
                "requested_version": version_value(requested, requested),
                "actual_version": version_value(actual, requested),
            },
            "result_code": code,
            "result_subcode": subcode,
            "result_msg": msg,
            "error_stack": error_stack,
            "error_data": error_data or {},
        },
        "data": data if data is not None else {},
    }
