"""Comparing values by their types as well as by equality (1 == 1.0 == True in Python)."""

from __future__ import annotations

from typing import Any


def type_tree(value: Any) -> Any:
    """The value's structure with each leaf replaced by its type's name."""
    if isinstance(value, dict):
        return {k: type_tree(v) for k, v in value.items()}
    if isinstance(value, list):
        return [type_tree(v) for v in value]
    return type(value).__name__
