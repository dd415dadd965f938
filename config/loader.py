"""Loading the configuration: defaults, configuration directories, environment.

Sources, later ones winning:

1. ``config/default/**.conf`` shipped with the package;
2. each directory of ``$TRAINS_CONFIG_DIR``, ``$CLEARML_CONFIG_DIR`` and
   ``$STATIONMASTER_CONFIG_DIR`` (``:``-separated), then the directories given on the
   command line;
3. environment overrides ``TRAINS__a__b``, ``CLEARML__a__b`` and ``STATIONMASTER__a__b``
   (key path lower-cased, value parsed as HOCON);
4. the reference's service-host variables (``CLEARML_MONGODB_SERVICE_HOST`` and friends).

Every ``*.conf`` below a root is keyed by its relative path without the extension, as
in the reference server: ``services/tasks.conf`` becomes ``services.tasks``.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from . import parsed
from .tree import Config, ConfigError

DEFAULT_DIR = Path(__file__).parent / "default"
_CACHE_FORMAT = 1
ENV_PREFIXES = ("TRAINS", "CLEARML", "STATIONMASTER")
CONFIG_DIR_VARS = ("TRAINS_CONFIG_DIR", "CLEARML_CONFIG_DIR", "STATIONMASTER_CONFIG_DIR")


def load_config(
    config_dirs: Sequence[str | Path] = (),
    env: Mapping[str, str] | None = None,
    *,
    include_env_dirs: bool = True,
    cache_dirs: Sequence[Path] = (),
) -> Config:
    """Build the immutable configuration from every source.

    The defaults and ``config/schema.conf`` are parsed once and kept (``config.parsed``:
    the package's bundle, then ``cache_dirs``, the only folders written).
    Raises ``ConfigError`` naming the file (or variable) and key of a bad value.
    """
    env = os.environ if env is None else env
    from .validation import SCHEMA_FILE, validate_config  # local: validation needs jsonschema only here

    name = _defaults_name(SCHEMA_FILE)
    defaults, schema, checked = _defaults(name, SCHEMA_FILE, cache_dirs)
    merged: dict[str, Any] = {}
    origins: dict[str, str] = {}
    for path in _conf_files(DEFAULT_DIR):
        _merge(merged, origins, copy.deepcopy(defaults[_label(DEFAULT_DIR, path)]), str(path))
    for directory in _directories(config_dirs, env if include_env_dirs else {}):
        for path in _conf_files(directory):
            _merge(merged, origins, _read_file(directory, path), str(path))
    for name, key_path, value, replace in _env_overrides(env):
        _merge(merged, origins, _nest(key_path, value), f"${name}", replace_at=key_path if replace else None)
    _apply_service_hosts(merged, origins, env)
    config = Config(merged, origins)
    validate_config(config, schema, checked)
    if not checked:
        parsed.write(name, {"defaults": defaults, "schema": schema}, cache_dirs)
    return config


def _defaults(name: str, schema_file: Path, cache_dirs: Sequence[Path]) -> tuple[dict[str, Any], dict[str, Any], bool]:
    """(label → parsed default file, the parsed configuration schema, whether both came
    from the cache, i.e. passed every check before)."""
    cached = parsed.read(name, cache_dirs)
    if cached is not None:
        return cached["defaults"], cached["schema"], True
    return (*_parse_defaults(name, schema_file), False)


@lru_cache(maxsize=4)
def _parse_defaults(name: str, schema_file: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """Parsed once per process and content (``name``); callers copy before changing."""
    files = {_label(DEFAULT_DIR, path): _read_file(DEFAULT_DIR, path) for path in _conf_files(DEFAULT_DIR)}
    return files, _plain(_parse(schema_file))


def _defaults_name(schema_file: Path) -> str:
    files = [(_label(DEFAULT_DIR, path), path) for path in _conf_files(DEFAULT_DIR)]
    return parsed.cache_name("config", [*files, ("schema.conf", schema_file)], _CACHE_FORMAT)


def _label(root: Path, path: Path) -> str:
    return path.relative_to(root).as_posix()


def _directories(explicit: Sequence[str | Path], env: Mapping[str, str]) -> list[Path]:
    dirs: list[Path] = []
    for var in CONFIG_DIR_VARS:
        for part in env.get(var, "").split(":"):
            if part and Path(part).is_dir():
                dirs.append(Path(part))
    for item in explicit:
        path = Path(item)
        if not path.is_dir():
            raise ConfigError(f"configuration directory {path} does not exist")
        dirs.append(path)
    return dirs


def _conf_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*.conf") if p.is_file())


def _read_file(root: Path, path: Path) -> dict[str, Any]:
    relative = path.relative_to(root).with_suffix("")
    return _nest(tuple(relative.parts), _plain(_parse(path)))


def _parse(path: Path) -> Any:
    """The file as a plain ordered dict (pyhocon is imported only when a file is parsed)."""
    from pyhocon import ConfigFactory
    from pyhocon.exceptions import ConfigException
    from pyparsing import ParseBaseException

    try:
        return ConfigFactory.parse_file(str(path), resolve=True).as_plain_ordered_dict()
    except (ConfigException, ParseBaseException, OSError, ValueError) as ex:
        raise ConfigError(f"cannot parse configuration file {path}: {ex}") from ex


def _plain(value: Any) -> Any:
    if hasattr(value, "as_plain_ordered_dict"):  # a pyhocon ConfigTree
        value = value.as_plain_ordered_dict()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _nest(key_path: Iterable[str], value: Any) -> dict[str, Any]:
    parts = list(key_path)
    result: Any = value
    for part in reversed(parts):
        result = {part: result}
    return result


def _merge(
    target: dict[str, Any],
    origins: dict[str, str],
    source: dict[str, Any],
    origin: str,
    prefix: str = "",
    replace_at: tuple[str, ...] | None = None,
) -> None:
    """Deep-merge ``source`` into ``target`` and record where each leaf came from."""
    for key, value in source.items():
        full = f"{prefix}.{key}" if prefix else key
        replace = replace_at is not None and tuple(full.split(".")) == replace_at
        if isinstance(value, dict) and isinstance(target.get(key), dict) and not replace:
            _merge(target[key], origins, value, origin, full, replace_at)
            continue
        target[key] = value
        _record(origins, full, value, origin)


def _record(origins: dict[str, str], key: str, value: Any, origin: str) -> None:
    origins[key] = origin
    if isinstance(value, dict):
        for sub, subvalue in value.items():
            _record(origins, f"{key}.{sub}", subvalue, origin)


def _env_overrides(env: Mapping[str, str]) -> list[tuple[str, tuple[str, ...], Any, bool]]:
    """``PREFIX__a__b=value`` → (name, ("a", "b"), parsed value, replace); a key path
    whose last part starts with ``-`` replaces a dict instead of merging into it."""
    found = []
    for rank, prefix in enumerate(ENV_PREFIXES):
        marker = prefix + "__"
        for name in sorted(env):
            if not name.startswith(marker) or len(name) <= len(marker):
                continue
            parts = [p.lower() for p in name[len(marker) :].split("__") if p]
            if not parts:
                continue
            replace = parts[-1].startswith("-")
            parts[-1] = parts[-1].lstrip("-")
            found.append((rank, name, tuple(parts), _parse_env_value(env[name]), replace))
    found.sort(key=lambda item: item[0])
    return [(name, parts, value, replace) for _, name, parts, value, replace in found]


def _parse_env_value(raw: str) -> Any:
    from pyhocon import ConfigFactory

    try:
        return _plain(ConfigFactory.parse_string(f"v: {raw}")["v"])
    except Exception:  # anything HOCON cannot read stays a plain string
        return raw


# (config section, variables naming the host, variables naming the port); the first
# variable that is set wins, STATIONMASTER_ before CLEARML_ before TRAINS_.
_HOST_VARS = {
    "mongo": (
        ("MONGODB_SERVICE_HOST", "MONGODB_SERVICE_SERVICE_HOST"),
        ("MONGODB_SERVICE_PORT",),
    ),
    "elastic": (
        ("ELASTIC_SERVICE_HOST", "ELASTIC_SERVICE_SERVICE_HOST"),
        ("ELASTIC_SERVICE_PORT",),
    ),
    "redis": (("REDIS_SERVICE_HOST",), ("REDIS_SERVICE_PORT",)),
}


def _first_set(env: Mapping[str, str], names: Sequence[str]) -> tuple[str, str] | None:
    for prefix in ("STATIONMASTER_", "CLEARML_", "TRAINS_", ""):
        for name in names:
            value = env.get(prefix + name)
            if value:
                return prefix + name, value
    return None


def _apply_service_hosts(merged: dict[str, Any], origins: dict[str, str], env: Mapping[str, str]) -> None:
    hosts = merged.setdefault("hosts", {})
    for kind, (host_names, port_names) in _HOST_VARS.items():
        host = _first_set(env, host_names)
        port = _first_set(env, port_names)
        if not host and not port:
            continue
        origin = " / ".join(f"${found[0]}" for found in (host, port) if found)
        section = hosts.setdefault(kind, {})
        _HOST_APPLIERS[kind](section, host[1] if host else None, port[1] if port else None)
        origins[f"hosts.{kind}"] = origin
        _record(origins, f"hosts.{kind}", section, origin)


def _apply_mongo(section: dict[str, Any], host: str | None, port: str | None) -> None:
    for db in ("backend", "auth"):
        entry = section.setdefault(db, {})
        uri = entry.get("host") or f"mongodb://127.0.0.1:27017/{db}"
        entry["host"] = _replace_uri_host(uri, host, port)


def _apply_elastic(section: dict[str, Any], host: str | None, port: str | None) -> None:
    for cluster in ("events", "workers"):
        entry = section.setdefault(cluster, {})
        items = entry.get("hosts") or [{"host": "127.0.0.1", "port": 9200}]
        for item in items:
            if host:
                item["host"] = host
            if port:
                item["port"] = _int_or_raw(port)
        entry["hosts"] = items


def _apply_redis(section: dict[str, Any], host: str | None, port: str | None) -> None:
    for name in ("apiserver", "workers"):
        entry = section.setdefault(name, {})
        entry["host"] = host or entry.get("host") or "127.0.0.1"
        if port:
            entry["port"] = _int_or_raw(port)


_HOST_APPLIERS = {"mongo": _apply_mongo, "elastic": _apply_elastic, "redis": _apply_redis}


def _int_or_raw(value: str) -> int | str:
    return int(value) if value.isdigit() else value


def _replace_uri_host(uri: str, host: str | None, port: str | None) -> str:
    parts = urlsplit(uri)
    credentials, _, hostport = parts.netloc.rpartition("@")
    old_host, _, old_port = hostport.partition(":")
    new = (host or old_host) + (f":{port or old_port}" if (port or old_port) else "")
    netloc = f"{credentials}@{new}" if credentials else new
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
