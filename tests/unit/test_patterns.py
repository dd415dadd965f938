"""bll/patterns.py: request patterns on RE2, with a text fast path that answers as RE2."""

from __future__ import annotations

import re

import pytest
import re2

from stationmaster.bll.patterns import SafePattern, _literal, literal
from stationmaster.protocol.errors import ApiError

TEXTS = ["", "a", "ab", "a b", "a.b", "x(a)", "ab$", "^ab", "a\\b", "exp 1", "exp 12", "my.task (v1) [lr=0.1]", "ünï"]
PATTERNS = (
    [re.escape(t) for t in TEXTS]
    + ["^" + re.escape(t) + "$" for t in TEXTS]
    + ["^" + re.escape(t) for t in TEXTS]
    + [re.escape(t) + "$" for t in TEXTS]
    + ["a.b", "^a", "b$", "", "^$", r"a\ b", r"\d", r"a\$", "a\\\\$", "(?i)AB", "ab|x", "^exp 1\\d?$"]
)


@pytest.mark.parametrize("pattern", PATTERNS)
def test_every_pattern_matches_as_re2_does(pattern: str) -> None:
    options = re2.Options()
    options.log_errors = False
    program = re2.compile(pattern, options=options)
    safe = SafePattern(pattern, False, "name")
    assert [safe.search(t) for t in TEXTS] == [program.search(t) is not None for t in TEXTS]


def test_the_sdks_escaped_names_take_the_text_path() -> None:
    assert _literal("^" + re.escape("my.task (v1) [lr=0.1]") + "$") == ("my.task (v1) [lr=0.1]", True, True)
    assert _literal(r"exp\d") is None and _literal("a.b") is None and _literal("a\\") is None


@pytest.mark.parametrize("pattern", [r"(a)\1", "(?=a)", "(?<!a)b", "a++", "(", r"\Z"])
def test_what_re2_cannot_run_is_400_21(pattern: str) -> None:
    with pytest.raises(ApiError) as info:
        SafePattern(pattern, False, "name")
    assert (info.value.code, info.value.subcode) == (400, 21) and "field name" in info.value.msg


def test_search_text_is_literal_and_case_insensitive() -> None:
    assert literal("A.B (x)", "search_text").search("see a.b (X) here")
    assert not literal("a.b", "search_text").search("axb")


def test_a_catastrophic_pattern_is_linear() -> None:
    assert not SafePattern("^(a+)+$", False, "name").search("a" * 5000 + "!")
