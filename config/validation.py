"""Checking the merged configuration against ``config/schema.conf``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jsonschema

from .tree import Config, ConfigError

SCHEMA_FILE = Path(__file__).parent / "schema.conf"


def validate_config(config: Config, schema: dict[str, Any], checked: bool = False) -> None:
    """Raise ``ConfigError`` naming the key and its source for the first bad value.

    ``schema`` is ``config/schema.conf`` as parsed; ``checked``: it passed the meta-schema
    check before (it came from the cache)."""
    schema = {key: value for key, value in schema.items() if key != "_definitions"}
    cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft7Validator)
    if not checked:
        cls.check_schema(schema)
    errors = sorted(cls(schema).iter_errors(config.to_dict()), key=lambda e: list(e.absolute_path))
    if not errors:
        return
    error = errors[0]
    key = ".".join(str(p) for p in error.absolute_path) or "<root>"
    raise ConfigError(f"invalid configuration value for {key} (set in {config.origin(key)}): {error.message}")
