"""Reading the HOCON service schemas into checked, compiled endpoint declarations.

Every ``schema/services/<service>.conf`` (files starting with ``_`` are fragments for
``include``) is parsed, checked against ``schema/meta/meta.conf`` and compiled: each
version block's request schema gets the file's definitions attached and one jsonschema
validator, built here once. A malformed file stops start-up with the file and key.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema

from ..config import parsed
from ..protocol import errors
from ..protocol.versions import Version
from .shaping import RequestShaper

SCHEMA_DIR = Path(__file__).parent
SERVICES_DIR = SCHEMA_DIR / "services"
META_FILE = SCHEMA_DIR / "meta" / "meta.conf"
# Bump when the compiled form changes, so cached copies are not reused.
_CACHE_FORMAT = 3  # 2: a cached file has passed every check; 3: named by config.parsed

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1

ALL_ROLES = ("system", "root", "admin", "superuser", "user", "annotator", "guest")


class SchemaError(Exception):
    """A schema file is malformed; the message names the file and the key."""


@dataclass
class VersionBlock:
    version: Version
    description: str
    request: dict[str, Any] | None
    response: dict[str, Any]
    batch_of: tuple[str, Version] | None = None
    validator: Any = field(default=None, repr=False)
    shaper: RequestShaper | None = field(default=None, repr=False)

    def checked(self, data: dict[str, Any], where: str | None = None, under: Sequence[str] = ()) -> dict[str, Any]:
        """``data`` shaped (defaults, dropped fields) and validated as this block's
        request; 400/12 naming the first bad field (``under`` prefixes its path, ``where``
        the message)."""
        if self.shaper is not None:
            data = self.shaper.shape(data)
        if self.validator is None:
            return data
        error = jsonschema.exceptions.best_match(self.validator.iter_errors(data))
        if error is None:
            return data
        path = [*under, *(str(p) for p in error.absolute_path)]
        if error.validator == "required" and isinstance(error.instance, dict):
            missing = next((r for r in error.validator_value if r not in error.instance), None)
            if missing:
                path.append(str(missing))
        field_name = ".".join(path) or "<body>"
        prefix = f"{where}: " if where else ""
        raise errors.VALIDATION_ERROR(f"{prefix}field {field_name}: {error.message}")


@dataclass
class ActionSchema:
    service: str
    action: str
    internal: bool
    authorize: bool
    allow_roles: tuple[str, ...]
    versions: list[VersionBlock]  # ascending
    #: The lowest version the action is served at: its first block's, or lower where the
    #: schema says so (the reference serves most 2.1 actions from 1.0).
    served_from: Version

    @property
    def name(self) -> str:
        return f"{self.service}.{self.action}"

    def block_for(self, requested: Version) -> VersionBlock:
        """The newest block not above ``requested``; the oldest one below them all."""
        chosen = self.versions[0]
        for block in self.versions:
            if block.version <= requested:
                chosen = block
        return chosen

    def role_allowed(self, role: str | None) -> bool:
        return "*" in self.allow_roles or (role is not None and role in self.allow_roles)


@dataclass
class ServiceSchema:
    name: str
    description: str
    definitions: dict[str, Any]
    actions: dict[str, ActionSchema]


class SchemaRepo:
    """All service schemas, by service and action name."""

    def __init__(self, services: Mapping[str, ServiceSchema]) -> None:
        self.services = dict(services)

    def action(self, name: str) -> ActionSchema | None:
        service, _, action = name.partition(".")
        svc = self.services.get(service)
        return svc.actions.get(action) if svc else None

    def actions(self) -> Iterator[ActionSchema]:
        for service in self.services.values():
            yield from service.actions.values()

    def request_properties(self, name: str) -> tuple[str, ...]:
        """The property names of the newest request schema of action ``name`` (a
        ``$ref`` to the service's definitions followed), in declaration order."""
        action = self.action(name)
        if action is None:
            raise KeyError(name)
        schema = action.versions[-1].request or {}
        definitions = self.services[action.service].definitions
        while "$ref" in schema:
            schema = definitions[schema["$ref"].rpartition("/")[2]]
        return tuple(schema.get("properties", {}))

    def max_version(self) -> Version:
        return max(block.version for action in self.actions() for block in action.versions)


def load_schemas(services_dir: Path = SERVICES_DIR, cache_dirs: Sequence[Path] = ()) -> SchemaRepo:
    """Parse (or take from the cache), check and compile every service schema.

    Parsing HOCON and meta-checking the JSON schemas take most of a start-up; both depend
    only on the files' content, so the parsed files are kept once they passed every check
    (``config.parsed``: the package's own bundle, then ``cache_dirs``, the only folders
    written), and a hit skips both."""
    files = sorted(p for p in services_dir.glob("*.conf") if not p.name.startswith("_"))
    name = _cache_name(services_dir)
    raw = parsed.read(name, cache_dirs)
    checked = raw is not None
    if raw is None:
        raw = {path.stem: _parse(path) for path in files}
    meta = None if checked else _meta_validator()
    services = {}
    for path in files:
        data = raw[path.stem]
        if meta is not None:
            _check_meta(meta, path, data)
        services[path.stem] = _compile_service(path, data, checked=checked)
    _link_batches(services)
    if not checked:
        parsed.write(name, raw, cache_dirs)
    return SchemaRepo(services)


def _cache_name(services_dir: Path) -> str:
    files = sorted(services_dir.glob("*.conf")) + [META_FILE]
    return parsed.cache_name("schema", ((path.name, path) for path in files), _CACHE_FORMAT)


def _parse(path: Path) -> dict[str, Any]:
    from pyhocon import ConfigFactory  # here: a start from the cache needs no HOCON parser
    from pyhocon.exceptions import ConfigException
    from pyparsing import ParseBaseException

    try:
        tree = ConfigFactory.parse_file(str(path), resolve=True)
    except (ConfigException, ParseBaseException, OSError, ValueError) as ex:
        raise SchemaError(f"{path}: cannot parse: {ex}") from ex
    plain: dict[str, Any] = _plain(tree.as_plain_ordered_dict())
    return plain


def _plain(value: Any) -> Any:
    # as_plain_ordered_dict unquotes keys such as "$ref" or "2.1"; make plain dicts
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _meta_validator() -> jsonschema.Draft7Validator:
    meta = _parse(META_FILE)
    jsonschema.Draft7Validator.check_schema(meta)
    return jsonschema.Draft7Validator(meta)


def _check_meta(meta: jsonschema.Draft7Validator, path: Path, data: dict[str, Any]) -> None:
    error = jsonschema.exceptions.best_match(meta.iter_errors(data))
    if error is not None:
        key = ".".join(str(p) for p in error.absolute_path) or "<file>"
        raise SchemaError(f"{path}: {key}: {error.message}")


def _compile_service(path: Path, data: dict[str, Any], checked: bool = False) -> ServiceSchema:
    service = path.stem
    defaults = {"internal": False, "authorize": True, "allow_roles": ["*"]}
    defaults.update(data.get("_default", {}))
    definitions = data.get("_definitions", {})
    if not checked:  # the definitions once, not again inside every block
        _check_json_schema(f"{path}: _definitions", {"definitions": definitions}, definitions)
    actions = {}
    for action, spec in data.items():
        if action.startswith("_"):
            continue
        flags = {k: spec.get(k, defaults[k]) for k in defaults}
        blocks = []
        for key, block in spec.items():
            if key in defaults or key == "served_from":
                continue
            where = f"{path}: {action}.{key}"
            blocks.append(_compile_block(where, Version.parse(key), block, definitions, checked))
        blocks.sort(key=lambda b: b.version)
        served_from = Version.parse(spec["served_from"]) if "served_from" in spec else blocks[0].version
        if served_from > blocks[0].version:
            raise SchemaError(f"{path}: {action}.served_from: {served_from} is above the first block")
        actions[action] = ActionSchema(
            service=service,
            action=action,
            internal=bool(flags["internal"]),
            authorize=bool(flags["authorize"]),
            allow_roles=tuple(flags["allow_roles"]),
            versions=blocks,
            served_from=served_from,
        )
    return ServiceSchema(service, data["_description"], definitions, actions)


def _compile_block(
    where: str, version: Version, block: dict[str, Any], definitions: dict[str, Any], checked: bool = False
) -> VersionBlock:
    request = block.get("request")
    batch = block.get("batch_request")
    result = VersionBlock(
        version=version,
        description=block["description"],
        request=request,
        response=block["response"],
        batch_of=(batch["action"], Version.parse(batch["version"])) if batch else None,
    )
    for part in ("request", "response"):
        if block.get(part) is not None and not checked:
            _check_json_schema(f"{where}.{part}", block[part], definitions)
    if request is not None:
        full = _bounded_integers(dict(request, definitions=definitions))
        result.validator = _RequestValidator(full, format_checker=jsonschema.FormatChecker())
        result.shaper = RequestShaper(request, definitions)
    return result


def _is_finite_number(checker: Any, instance: Any) -> bool:
    # JSON readers take NaN/Infinity; no number field means them, and handlers would fail
    # converting them, so they are a wrong type naming the field.
    return isinstance(instance, (int, float)) and not isinstance(instance, bool) and math.isfinite(instance)


_RequestValidator = jsonschema.validators.extend(
    jsonschema.Draft7Validator,
    type_checker=jsonschema.Draft7Validator.TYPE_CHECKER.redefine("number", _is_finite_number),
)


def _bounded_integers(schema: Any) -> Any:
    """A copy of ``schema`` where every integer without a bound gets the int64 range, so
    a huge number is a 400 naming its field instead of an overflow in the store."""
    if isinstance(schema, list):
        return [_bounded_integers(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    copy = {key: _bounded_integers(value) for key, value in schema.items()}
    kind = schema.get("type")
    if kind == "integer" or (isinstance(kind, list) and "integer" in kind):
        copy.setdefault("minimum", INT64_MIN)
        copy.setdefault("maximum", INT64_MAX)
    return copy


def _check_json_schema(where: str, schema: dict[str, Any], definitions: dict[str, Any]) -> None:
    try:
        jsonschema.Draft7Validator.check_schema(schema)
    except jsonschema.exceptions.SchemaError as ex:
        key = ".".join(str(p) for p in ex.absolute_path)
        raise SchemaError(f"{where}.{key}: {ex.message}") from ex
    for ref in _refs(schema):
        name = ref.removeprefix("#/definitions/")
        if name not in definitions:
            raise SchemaError(f"{where}: unknown reference {ref}")


def _refs(schema: Any) -> Iterator[str]:
    if isinstance(schema, dict):
        for key, value in schema.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from _refs(value)
    elif isinstance(schema, list):
        for item in schema:
            yield from _refs(item)


def _link_batches(services: dict[str, ServiceSchema]) -> None:
    """A ``batch_request`` block validates each item with its target's request schema."""
    for service in services.values():
        for action in service.actions.values():
            for block in action.versions:
                if not block.batch_of:
                    continue
                target_name, target_version = block.batch_of
                target = service.actions.get(target_name)
                if target is None:
                    raise SchemaError(
                        f"{SERVICES_DIR / service.name}.conf: {action.action}.{block.version}: "
                        f"batch_request names unknown action {target_name}"
                    )
                item = target.block_for(target_version)
                block.request = item.request
                block.validator = item.validator
                block.shaper = item.shaper
