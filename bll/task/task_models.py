"""A task's models and container as API 2.13 shapes them, kept in step with the v0.16
fields (docs/tasks.md "Models and container").

From 2.13 a task has ``models: {input: [{name, model, updated}], output: [...]}`` and a
``container: {image, arguments, setup_shell_script}``; before, it had one input model
(``execution.model``), one output model (``output.model``) and ``execution.docker_cmd``.
Both are stored: what a 2.13 caller writes in ``models`` also sets the old fields (the
first input, the last output; the image and arguments), what an older caller (or the
rest of the server) writes in the old fields shows in ``models`` on reading, under the
reference's default names. So every older client and every rule of this server that
reads ``execution.model`` / ``output.model`` keeps working unchanged.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, MutableMapping, Sequence
from datetime import datetime
from typing import Any

from ...protocol.versions import Version

V2_13 = Version(2, 13)
INPUT, OUTPUT = "input", "output"
#: the reference's names of the one input / output model of an older task
DEFAULT_NAMES = {INPUT: "Input Model", OUTPUT: "Output Model"}
_LEGACY = {INPUT: ("execution", "model"), OUTPUT: ("output", "model")}


def _items(value: Any, now: datetime) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    for item in value or ():
        entry = {"name": str(item["name"]), "model": str(item["model"]), "updated": item.get("updated") or now}
        items = [i for i in items if i["name"] != entry["name"]] + [entry]  # one entry per name
    return items


def legacy_model(models: Mapping[str, Any], kind: str) -> str | None:
    """The v0.16 field's value for a models list: the first input, the last output."""
    items = list(models.get(kind) or ())
    if not items:
        return None
    return str(items[0 if kind == INPUT else -1]["model"])


def docker_cmd(container: Mapping[str, Any]) -> str | None:
    parts = [str(container.get(k) or "").strip() for k in ("image", "arguments")]
    return " ".join(p for p in parts if p) or None


def container_of(cmd: str | None) -> dict[str, Any]:
    image, _, arguments = (cmd or "").strip().partition(" ")
    return {"image": image or None, "arguments": arguments.strip() or None}


def _set(fields: MutableMapping[str, Any], extra: dict[str, Any], path: tuple[str, str], value: Any) -> None:
    """``section.key`` = value (None: removed): in the section when the fields carry it
    whole, else as a dotted field to set."""
    section, key = path
    if isinstance(fields.get(section), Mapping):
        whole = fields[section] = dict(fields[section])
        if value is None:
            whole.pop(key, None)
        else:
            whole[key] = value
    else:
        extra[f"{section}.{key}"] = value


def prepare_for_save(fields: MutableMapping[str, Any], request: Mapping[str, Any], now: datetime) -> dict[str, Any]:
    """Make ``fields`` (a create or edit's storable fields) carry both shapes: ``models``
    sent also sets ``execution.model`` / ``output.model``, a ``container`` sent sets
    ``execution.docker_cmd``, a ``docker_cmd`` sent replaces the stored container (an
    ``execution.model`` sent needs nothing more: reading shows it in ``models``).
    Answers the dotted fields to set besides (``models.<kind>``, ``output.model``, …)."""
    extra: dict[str, Any] = {}
    if fields.get("models") is not None:
        models = {k: _items(v, now) for k, v in dict(fields.pop("models")).items() if k in _LEGACY}
        for kind, items in models.items():
            extra[f"models.{kind}"] = items
            _set(fields, extra, _LEGACY[kind], legacy_model(models, kind))
    if fields.get("container") is not None:
        container = {k: v for k, v in dict(fields["container"]).items() if v is not None}
        fields["container"] = container
        _set(fields, extra, ("execution", "docker_cmd"), docker_cmd(container))
    elif isinstance(request.get("execution"), Mapping) and "docker_cmd" in request["execution"]:
        # an older caller's docker_cmd replaces the container a 2.13 caller set
        fields["container"] = container_of((fields.get("execution") or {}).get("docker_cmd"))
    return extra


def defaults(doc: dict[str, Any], only_fields: Sequence[str]) -> None:
    """In place: the 2.13 fields named by ``only_fields`` (or a field below them) that a
    task lacks, with their empty defaults, as a stored default would be projected
    (clearml 2.1's ``Dataset.create`` lists tasks with ``runtime.version`` and reads
    ``runtime.get("version")``)."""
    only_fields = [str(f).partition(".")[0] for f in only_fields]
    if "models" in only_fields:
        models = doc.setdefault("models", {})
        models.setdefault(INPUT, [])
        models.setdefault(OUTPUT, [])
    for key in ("container", "runtime"):
        if key in only_fields and not isinstance(doc.get(key), dict):
            doc[key] = {}


def for_output(doc: dict[str, Any], version: Version, *, whole: bool = True) -> None:
    """In place: from 2.13 ``models`` and ``container`` also show what the v0.16 fields
    hold, and a task read ``whole`` always has ``models`` (empty lists), ``container``
    and ``runtime`` (empty objects), as the reference's documents (clearml 2.1 reads
    ``models.output`` and ``runtime.version`` of every task); below 2.13 the task has none
    of them, as v0.16.1's."""
    if version < V2_13:
        for key in ("models", "container", "runtime"):
            doc.pop(key, None)
        return
    stored = doc.get("models")
    models = copy.deepcopy(stored) if isinstance(stored, dict) else {}
    changed = False
    for kind, (section, key) in _LEGACY.items():
        value = (doc.get(section) or {}).get(key) if isinstance(doc.get(section), dict) else None
        if not value:
            continue
        items = list(models.get(kind) or [])
        if any(i.get("model") == value for i in items):
            continue
        default = [i for i in items if i.get("name") == DEFAULT_NAMES[kind]]
        if default:
            default[0]["model"] = value
        elif kind == INPUT:
            items.insert(0, {"name": DEFAULT_NAMES[kind], "model": value})
        else:
            items.append({"name": DEFAULT_NAMES[kind], "model": value})
        models[kind] = items
        changed = True
    if changed or stored is not None or whole:
        doc["models"] = {INPUT: models.get(INPUT) or [], OUTPUT: models.get(OUTPUT) or []}
    execution = doc.get("execution")
    if "container" not in doc and isinstance(execution, dict) and execution.get("docker_cmd"):
        doc["container"] = container_of(execution["docker_cmd"])
    if whole:
        doc.setdefault("container", {})
        if not isinstance(doc.get("runtime"), dict):
            doc["runtime"] = {}
