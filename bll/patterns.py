"""Regular expressions taken from requests: one accepted syntax, bounded matching.

Every pattern filter (``name`` and the other pattern fields of ``get_all``,
``search_text``, ``_any_``/``_all_`` patterns, ``users.get_all`` names) is compiled here
with RE2 (``google-re2``): matching takes time linear in the text, whatever the
pattern, and RE2 releases the interpreter lock while it matches, so no pattern can
freeze the server (issue 13; the embedded store matched with Python's backtracking
``re`` under its store lock). A pattern RE2 cannot run (back-references, look-around,
possessive quantifiers, a program over RE2's memory bound) is 400/21 naming the field,
on MongoDB too, so both stores accept the same syntax: the RE2 syntax, which MongoDB's
PCRE reads the same way. The length of patterns is limited by the dispatcher
(``apiserver.limits``, server/limits.py).

``SafePattern`` is a ``bson.Regex``: pymongo sends it to MongoDB as pattern and flags;
the embedded store (a vendored mongomock) calls ``try_compile()`` and gets a matcher made
once here. The embedded store matches every document, so the matcher is cheap: a pattern
that is a plain (``re.escape``d, optionally anchored) text — what the SDKs send for names —
is compared as text; anything else goes straight to RE2's ``Match`` (the module's own
``search`` costs ~3.7 µs a call in Python, this ~1.3; Python's ``re`` ~0.1; bench/README.md).
"""

from __future__ import annotations

import re
from typing import Any

import re2
from bson.regex import Regex

from ..protocol import errors

_OPTIONS: dict[bool, Any] = {}


def _options(ignore_case: bool) -> Any:
    options = _OPTIONS.get(ignore_case)
    if options is None:
        options = re2.Options()
        options.log_errors = False  # a bad pattern is the caller's error, not a log line
        options.case_sensitive = not ignore_case
        _OPTIONS[ignore_case] = options
    return options


class SafePattern(Regex[str]):
    """A request's pattern, checked by RE2 when made."""

    __slots__ = ("_matcher",)

    def __init__(self, pattern: str, ignore_case: bool, field: str) -> None:
        super().__init__(pattern, "i" if ignore_case else 0)
        try:
            program = re2.compile(pattern, options=_options(ignore_case))
        except re2.error as ex:
            reason = ex.args[0].decode(errors="replace") if ex.args and isinstance(ex.args[0], bytes) else str(ex)
            raise errors.INVALID_REGEX_ERROR(
                f"field {field}: {pattern[:100]!r} cannot be used: {reason} (the RE2 syntax is accepted:"
                " no back-references or look-around)",
                field=field,
            ) from None
        literal = None if ignore_case else _literal(pattern)
        self._matcher: _Literal | _Program = _Literal(*literal) if literal else _Program(program)

    def __deepcopy__(self, memo: dict[int, Any]) -> SafePattern:
        return self  # immutable; mongoengine copies raw queries, and RE2 programs cannot be copied

    def __copy__(self) -> SafePattern:
        return self

    def try_compile(self) -> Any:  # what mongomock calls ``search`` on for each value
        return self._matcher

    def search(self, text: str) -> bool:
        return self._matcher.search(text)


_META = frozenset(".^$*+?()[]{}|\\")


def _literal(pattern: str) -> tuple[str, bool, bool] | None:
    """(text, anchored at the start, anchored at the end) when ``pattern`` matches only
    that text: escapes of non-alphanumerics and no other operator. None otherwise."""
    start = pattern.startswith("^")
    body = pattern[1:] if start else pattern
    end = False
    if body.endswith("$"):
        backslashes = len(body[:-1]) - len(body[:-1].rstrip("\\"))
        if backslashes % 2 == 0:
            body, end = body[:-1], True
    chars = []
    escaped = False
    for char in body:
        if escaped:
            if not char.isascii() or char.isalnum():
                return None  # \d, \w, \b, ...: classes and assertions
            chars.append(char)
            escaped = False
        elif char == "\\":
            escaped = True
        elif char in _META:
            return None
        else:
            chars.append(char)
    return None if escaped else ("".join(chars), start, end)


class _Literal:
    """A plain text pattern, matched as RE2 would (``$`` only at the end of the text)."""

    __slots__ = ("_text", "_start", "_end")

    def __init__(self, text: str, start: bool, end: bool) -> None:
        self._text, self._start, self._end = text, start, end

    def search(self, value: str) -> bool:
        if self._start and self._end:
            return value == self._text
        if self._start:
            return value.startswith(self._text)
        if self._end:
            return value.endswith(self._text)
        return self._text in value


class _Program:
    """RE2's Match on the UTF-8 text, without the module's per-call Python layer."""

    __slots__ = ("_match", "_public")

    def __init__(self, program: Any) -> None:
        self._public = program
        raw = getattr(program, "_regexp", None)
        anchor = getattr(getattr(getattr(re2, "_re2", None), "RE2", None), "Anchor", None)
        self._match = (raw.Match, anchor.UNANCHORED) if raw is not None and anchor is not None else None

    def search(self, value: str) -> bool:
        if self._match is None:
            return self._public.search(value) is not None
        match, anchor = self._match
        data = value.encode("utf-8", "surrogatepass")
        return bool(match(anchor, data, 0, len(data))[0][0] >= 0)


def pattern(value: Any, field: str, *, ignore_case: bool = False) -> SafePattern:
    """A pattern filter for ``field``."""
    return SafePattern(str(value), ignore_case, field)


def literal(text: Any, field: str) -> SafePattern:
    """``text`` matched as it is, case-insensitively (``search_text``)."""
    return SafePattern(re.escape(str(text)), True, field)
