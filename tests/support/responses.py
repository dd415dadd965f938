"""Checking every successful API answer against its action's response schema.

The HOCON schemas declare each version block's response; nothing in the server checks
its own answers against them (that would cost every request). The API tests do: the
client reports each envelope it receives (``ApiClient.observers``), and a successful one
is validated against the response schema of the block the server chose for the
requested version. A mismatch fails the test that made the call (tests/api/conftest.py),
so the schemas stay true to what is served.
"""

from __future__ import annotations

import tempfile
import threading
from pathlib import Path
from typing import Any

import jsonschema

from stationmaster.protocol.versions import Version
from stationmaster.schema import SchemaRepo, load_schemas


class ResponseChecker:
    """Collects the answers that do not match their response schema."""

    def __init__(self, schemas: SchemaRepo) -> None:
        self.schemas = schemas
        self._validators: dict[tuple[str, Version], jsonschema.Draft7Validator | None] = {}
        self._lock = threading.Lock()
        self.problems: list[str] = []
        self.checked = 0

    @classmethod
    def load(cls) -> ResponseChecker:
        cache = Path(tempfile.gettempdir()) / "stationmaster-test-schema-cache"
        return cls(load_schemas(cache_dirs=[cache]))

    def __call__(self, envelope: Any) -> None:
        """Observer for ``ApiClient``: check one received envelope."""
        meta = envelope.get("meta") if isinstance(envelope, dict) else None
        if not isinstance(meta, dict) or meta.get("result_code") != 200:
            return
        endpoint = meta.get("endpoint") or {}
        name, requested = endpoint.get("name"), endpoint.get("requested_version")
        if not isinstance(name, str) or requested is None:
            return
        validator = self._validator(name, Version.parse(requested))
        if validator is None:
            return
        data = envelope.get("data")
        errors = sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path))
        with self._lock:
            self.checked += 1
            for error in errors[:3]:
                where = ".".join(str(p) for p in error.absolute_path) or "<data>"
                self.problems.append(f"{name} v{requested}: response field {where}: {error.message[:300]}")

    def _validator(self, name: str, requested: Version) -> jsonschema.Draft7Validator | None:
        key = (name, requested)
        if key not in self._validators:
            self._validators[key] = self._build(name, requested)
        return self._validators[key]

    def _build(self, name: str, requested: Version) -> jsonschema.Draft7Validator | None:
        action = self.schemas.action(name)
        if action is None:
            return None
        block = action.block_for(requested)
        if not block.response:
            return None
        definitions = self.schemas.services[action.service].definitions
        return jsonschema.Draft7Validator(dict(block.response, definitions=definitions))

    def take(self) -> list[str]:
        with self._lock:
            problems, self.problems = self.problems, []
        return problems
