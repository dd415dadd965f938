"""Checking the merged configuration against ``config/schema.conf``."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import jsonschema
from pyhocon import ConfigFactory

from .tree import Config, ConfigError, thaw

SCHEMA_FILE = Path(__file__).parent / "schema.conf"


@lru_cache(maxsize=1)
def _validator() -> jsonschema.protocols.Validator:
    tree = ConfigFactory.parse_file(str(SCHEMA_FILE))
    schema: dict[str, Any] = thaw(tree.as_plain_ordered_dict())
    schema.pop("_definitions", None)
    cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft7Validator)
    cls.check_schema(schema)
    return cls(schema)


def validate_config(config: Config) -> None:
    """Raise ``ConfigError`` naming the key and its source for the first bad value."""
    errors = sorted(_validator().iter_errors(config.to_dict()), key=lambda e: list(e.absolute_path))
    if not errors:
        return
    error = errors[0]
    key = ".".join(str(p) for p in error.absolute_path) or "<root>"
    raise ConfigError(f"invalid configuration value for {key} (set in {config.origin(key)}): {error.message}")
