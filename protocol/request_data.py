"""Turning a request body and query string into call data.

- any method, any content type: a JSON object body (an empty body is ``{}``);
- ``application/json-lines``: one JSON object per non-empty line, a batch;
- query-string arguments are merged over the body: ``a.b=1`` nests, repeated keys
  and keys ending in ``[]`` make lists, numbers and ``true``/``false`` are converted;
- checked once here, before anything recurses over the data or encodes it (issue 13):
  nesting deeper than ``max_depth`` objects/arrays, and text with a lone UTF-16
  surrogate (``"\\ud800"``: no store can encode it) are 400/12 naming the field.

Bodies are parsed with orjson (issue 24: several times faster than the json module),
and with the json module whenever orjson refuses a body or could read it differently:
orjson refuses what json accepts (NaN, a byte-order mark, lone surrogates, numbers
beyond the double range) and reads integers beyond 64 bits as floats, so a body with
a run of 19+ digits, or one orjson refuses, takes the json module's path. The answers,
the errors included, are therefore those of the json module.
"""

from __future__ import annotations

import json
import json.scanner
import re
from collections.abc import Callable, Iterable
from typing import Any

import orjson

from . import errors

_UNPARSED: Any = object()

_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")
# 2**63 has 19 digits: only bodies with such a run of digits can hold an integer beyond int64
_LONG_DIGITS = re.compile("[0-9]{19,}")
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1
#: Default for apiserver.request.max_depth: below MongoDB's 100 levels for a stored
#: document and far below Python's recursion limit (json, bson, jsonschema recurse).
MAX_DEPTH = 64


def is_json_lines(content_type: str | None) -> bool:
    return bool(content_type) and content_type.split(";")[0].strip().lower() == "application/json-lines"  # type: ignore[union-attr]


def parse_body(raw: bytes, max_depth: int = MAX_DEPTH, *, batch: bool = False) -> Any:
    """The body's JSON object; with ``batch`` (a batch action) a JSON array of objects
    is accepted too and returned as a list."""
    if not raw.strip():
        return {}
    long_digits = _has_long_digits(raw)
    value = _UNPARSED
    if not long_digits:
        try:
            value = orjson.loads(raw)
        except orjson.JSONDecodeError:
            pass  # the json module decides, and words the error
    if value is _UNPARSED:
        try:
            value = json.loads(raw)
        except (ValueError, UnicodeDecodeError) as ex:
            raise errors.BAD_REQUEST(f"request body is not valid JSON: {ex}") from None
        except RecursionError:
            raise errors.VALIDATION_ERROR(f"request body is nested too deeply ({_depth_limit(max_depth)})") from None
    if batch and isinstance(value, list):
        bad = next((i for i, item in enumerate(value) if not isinstance(item, dict)), None)
        if bad is not None:
            raise errors.BAD_REQUEST(f"batch item #{bad} must be a JSON object, not {_json_type(value[bad])}")
    elif not isinstance(value, dict):
        raise errors.BAD_REQUEST(f"request body must be a JSON object, not {_json_type(value)}")
    if long_digits:
        _check_int_range(value, "")
    # a batch's items are checked for text one by one (a bad item is rejected alone)
    text = not isinstance(value, list) and may_hold_surrogates(raw)
    if text or raw.count(b"{") + raw.count(b"[") > max_depth:
        check_structure(value, max_depth, text=text)
    return value


def may_hold_surrogates(raw: bytes) -> bool:
    """Whether parsing ``raw`` can give a lone surrogate: only through a ``\\u`` escape or
    a UTF-8-encoded surrogate (json accepts both). False is certain, True is a maybe."""
    return b"\\u" in raw or b"\xed" in raw


def check_structure(value: Any, max_depth: int = MAX_DEPTH, *, text: bool = True, where: str = "") -> None:
    """400/12 naming the path: objects/arrays nested deeper than ``max_depth``, or (with
    ``text``) a key or string holding a lone surrogate."""
    problem = _structure_problem(value, max_depth, text)
    if problem:
        raise errors.VALIDATION_ERROR(f"{where}{problem}")


def text_problem(value: Any) -> str | None:
    """``field <path>: ...`` for the first key or string of ``value`` with a lone
    surrogate, or None."""
    return _structure_problem(value, 1 << 30, True)


def _structure_problem(value: Any, max_depth: int, text: bool) -> str | None:
    """Iterative (never recurses): the data may be nested deeper than the interpreter."""
    stack: list[tuple[Any, int, tuple[str, ...]]] = [(value, 1, ())]
    while stack:
        node, depth, path = stack.pop()
        if isinstance(node, dict):
            items: Iterable[tuple[Any, Any]] = node.items()
        elif isinstance(node, list):
            items = enumerate(node)
        else:
            continue
        if depth > max_depth:
            name = ".".join(path) or "<body>"
            return f"field {name}: nested too deeply ({_depth_limit(max_depth)})"
        for key, item in items:
            child = (*path, str(key))
            if text and ((type(key) is str and not _valid_text(key)) or (type(item) is str and not _valid_text(item))):
                name = ".".join(child).encode("utf-8", "backslashreplace").decode()
                return f"field {name}: text with a lone surrogate (e.g. \\ud800) is not valid Unicode"
            if isinstance(item, dict | list):
                stack.append((item, depth + 1, child))
    return None


def _depth_limit(max_depth: int) -> str:
    return f"more than {max_depth} levels of objects and arrays, apiserver.request.max_depth"


def _valid_text(value: str) -> bool:
    if value.isascii():
        return True
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def parse_json_lines(raw: bytes, max_depth: int = MAX_DEPTH) -> list[dict[str, Any]]:
    items = []
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as ex:
        raise errors.BAD_REQUEST(f"json-lines body is not UTF-8: {ex}") from None
    lines = text.splitlines()
    long_digits = _has_long_digits(raw)
    # only "\n" / "\r\n" line breaks (str.splitlines() knows more): the one-pass parser
    if len(lines) == text.count("\n") + (not text.endswith("\n")):
        fast = _parse_plain_lines(text, long_digits, max_depth)
        if fast is not None:
            return fast
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except ValueError as ex:
            raise errors.BAD_REQUEST(f"json-lines body: line {number} is not valid JSON: {ex}") from None
        except RecursionError:
            raise errors.VALIDATION_ERROR(
                f"json-lines body: line {number} is nested too deeply ({_depth_limit(max_depth)})"
            ) from None
        if not isinstance(value, dict):
            raise errors.BAD_REQUEST(f"json-lines body: line {number} must be a JSON object, not {_json_type(value)}")
        if long_digits and _LONG_DIGITS.search(line):
            _check_int_range(value, f"line {number}: ")
        if line.count("{") + line.count("[") > max_depth:
            check_structure(value, max_depth, text=False, where=f"line {number}: ")
        items.append(value)
    return items


_DIGITS_AS_ZERO = bytes.maketrans(b"123456789", b"000000000")


def _has_long_digits(raw: bytes) -> bool:
    """Whether ``raw`` has a run of 19+ digits (much faster than the regular expression)."""
    return b"0" * 19 in raw.translate(_DIGITS_AS_ZERO)


# the C scanner of the json module: one value at a position, no more
_scan_once: Callable[[str, int], tuple[Any, int]] = json.scanner.make_scanner(json.JSONDecoder())  # type: ignore[arg-type]


def _parse_plain_lines(text: str, long_digits: bool, max_depth: int = MAX_DEPTH) -> list[dict[str, Any]] | None:
    """The common case, fast: every non-blank line one JSON object (led by ``{``), no
    integer beyond 64 bits. None when anything else is found (the caller then parses line
    by line and names the offending line). ``text`` breaks lines with "\n" only. Lines
    are parsed by orjson, or by the json module's scanner when the body has a run of 19+
    digits (orjson would read an integer beyond 64 bits as a float)."""
    items = []
    for line in text.split("\n"):
        if not line.startswith("{"):
            if line.strip(" \t\r"):
                return None  # led by something else (or by other blanks: json.loads decides)
            continue
        if not long_digits:
            try:
                value = orjson.loads(line)  # one value and JSON blanks, or an error
            except orjson.JSONDecodeError:
                return None  # NaN, a lone surrogate, ...: json decides, line by line
        else:
            try:
                value, end = _scan_once(line, 0)
            except (StopIteration, ValueError, RecursionError):
                return None
            if end != len(line) and line[end:].strip(" \t\r"):
                return None  # more than one value on a line, or a value spanning lines
        if line.count("{") + line.count("[") > max_depth:
            return None  # perhaps too deep: the line-by-line path checks it and names the line
        items.append(value)
    if long_digits and not _all_in_range(items):
        return None
    return items


def _all_in_range(items: list[dict[str, Any]]) -> bool:
    try:
        for item in items:
            _check_int_range(item, "")
    except errors.ApiError:
        return False
    return True


def _check_int_range(value: Any, where: str, path: tuple[str, ...] = ()) -> None:
    """No store holds an integer beyond 64 bits: such a value anywhere in the body (also in
    free-form fields such as a model's design) is a 400 naming where it is, before any write."""
    if isinstance(value, dict):
        for key, item in value.items():
            _check_int_range(item, where, (*path, str(key)))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _check_int_range(item, where, (*path, str(index)))
    elif isinstance(value, int) and not isinstance(value, bool) and not _INT64_MIN <= value <= _INT64_MAX:
        name = ".".join(path) or "<body>"
        raise errors.VALIDATION_ERROR(f"{where}field {name}: integer {value} is outside the 64-bit range")


def merge_query(data: dict[str, Any], params: Iterable[tuple[str, str]]) -> dict[str, Any]:
    collected: dict[str, list[str]] = {}
    forced_lists = set()
    for key, value in params:
        if key.endswith("[]"):
            key = key[:-2]
            forced_lists.add(key)
        collected.setdefault(key, []).append(value)
    for key, values in collected.items():
        converted = [_convert(v) for v in values]
        merged: Any = converted if key in forced_lists or len(converted) > 1 else converted[0]
        _set_dotted(data, key.split("."), merged)
    return data


def _convert(value: str) -> Any:
    if _NUMBER.match(value):
        return float(value) if "." in value else int(value)
    if value in ("true", "True", "TRUE"):
        return True
    if value in ("false", "False", "FALSE"):
        return False
    return value


def _set_dotted(data: dict[str, Any], parts: list[str], value: Any) -> None:
    node = data
    for part in parts[:-1]:
        child = node.get(part)
        if not isinstance(child, dict):
            child = node[part] = {}
        node = child
    node[parts[-1]] = value


def _json_type(value: Any) -> str:
    if isinstance(value, list):
        return "an array"
    if isinstance(value, str):
        return "a string"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    return "a number"
