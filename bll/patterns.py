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
the embedded store (a vendored mongomock) calls ``try_compile()`` and gets the RE2
program compiled once here.
"""

from __future__ import annotations

import re
from typing import Any

import re2
from bson.regex import Regex

from ..server import errors

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

    __slots__ = ("_program",)

    def __init__(self, pattern: str, ignore_case: bool, field: str) -> None:
        super().__init__(pattern, "i" if ignore_case else 0)
        try:
            self._program = re2.compile(pattern, options=_options(ignore_case))
        except re2.error as ex:
            reason = ex.args[0].decode(errors="replace") if ex.args and isinstance(ex.args[0], bytes) else str(ex)
            raise errors.INVALID_REGEX_ERROR(
                f"field {field}: {pattern[:100]!r} cannot be used: {reason} (the RE2 syntax is accepted:"
                " no back-references or look-around)",
                field=field,
            ) from None

    def try_compile(self) -> Any:  # the RE2 program (mongomock only calls search on it)
        return self._program

    def search(self, text: str) -> Any:
        return self._program.search(text)


def pattern(value: Any, field: str, *, ignore_case: bool = False) -> SafePattern:
    """A pattern filter for ``field``."""
    return SafePattern(str(value), ignore_case, field)


def literal(text: Any, field: str) -> SafePattern:
    """``text`` matched as it is, case-insensitively (``search_text``)."""
    return SafePattern(re.escape(str(text)), True, field)
