"""Each real client's bundled API description against ours, action by action.

The clients validate what they send and parse what they receive with the JSON schemas
they bundle (``<package>.backend_api.services.v2_X``). Against the schema block that
serves the client's version here, this checks:

- every action the client declares is served at that version (except the reference's
  enterprise-only services, which no open-source server has);
- every request field the client can send is declared here, with every type the client
  may send accepted: a field we do not declare is dropped silently (unknown fields are
  ignored, docs/api.md "Validation"), so the client's data would be lost;
- every response field we declare and the client parses has a type the client accepts
  (else the SDK logs "Failed parsing response" and drops the answer).

Known differences are listed with their reason; a listed one that is gone fails too, so
the list stays true.
"""

from __future__ import annotations

import json
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from e2e_harness import SCRIPTS, client_bin

from stationmaster.protocol.versions import Version
from stationmaster.schema import load_schemas

pytestmark = pytest.mark.e2e

SCHEMAS = load_schemas(cache_dirs=[Path(tempfile.gettempdir()) / "stationmaster-test-schema-cache"])

# client environment, bundled package, the version its calls use here
BUNDLES = [
    ("trains", "trains.backend_api.services.v2_9", "2.9"),
    ("clearml", "clearml.backend_api.services.v2_9", "2.9"),
    ("clearml", "clearml.backend_api.services.v2_23", "2.23"),
    ("clearml-agent", "clearml_agent.backend_api.services.v2_5", "2.5"),
]

# services of the reference's enterprise server only (hyper-datasets); no open-source
# server release has them
ENTERPRISE_SERVICES = {"datasets", "dataviews", "frames"}
ENTERPRISE_ACTIONS = {"tasks.share"}
# task fields of the enterprise server only (hyper-dataset views); the clients bundle the
# enterprise schema
ENTERPRISE_FIELDS = {"input", "dataviews"}

# where our answer's type differs from the client's schema as the reference's does
SAME_AS_REFERENCE = {
    "events.delete_for_task response deleted": "the reference answers the count of deleted events (schema: boolean)",
    "events.delete_for_model response deleted": "as delete_for_task: the count",
    "events.get_vector_metrics_and_variants response metrics": "the reference answers {metric: [variants]}",
    "tasks.get_configuration_names response configurations": "the reference answers a list, one item per task",
    "tasks.get_configurations response configurations": "the reference answers a list, one item per task",
}
# actions of servers before v0.16 that the v0.16.1 reference no longer has (clearml-agent
# still bundles their declarations)
NOT_IN_REFERENCE = {"debug.apiex", "debug.echo", "debug.ex", "debug.ping_auth"}

# differences still to close, with the issue that closes them
# none left: every action and field of the four bundles is served (issue 16)
KNOWN: dict[str, dict[str, str]] = {}


def _resolve(schema: Any, definitions: dict[str, Any]) -> dict[str, Any]:
    while isinstance(schema, dict) and "$ref" in schema:
        schema = definitions.get(schema["$ref"].rpartition("/")[2], {})
    return schema if isinstance(schema, dict) else {}


def _properties(schema: Any, definitions: dict[str, Any]) -> dict[str, Any] | None:
    """Declared properties, through $ref and allOf/anyOf/oneOf; None: any property goes."""
    schema = _resolve(schema, definitions)
    props = dict(schema.get("properties") or {})
    alternatives = schema.get("allOf", []) + schema.get("anyOf", []) + schema.get("oneOf", [])
    for sub in alternatives:
        more = _properties(sub, definitions)
        if more is None:
            return None
        props.update(more)
    if not props and not alternatives and schema.get("additionalProperties", True) is not False:
        return None
    return props


def _types(schema: Any, definitions: dict[str, Any]) -> set[str]:
    schema = _resolve(schema, definitions)
    declared = schema.get("type")
    if declared is None:
        found: set[str] = set()
        for sub in schema.get("oneOf", []) + schema.get("anyOf", []):
            found |= _types(sub, definitions)
        return found
    return {declared} if isinstance(declared, str) else set(declared)


def _accepts(accepting: set[str], given: set[str]) -> bool:
    """Every type in ``given`` is one ``accepting`` takes (an integer is a number)."""
    if not accepting or not given:
        return True
    wider = accepting | ({"integer"} if "number" in accepting else set())
    return given - {"null"} <= wider


def _joinable(ours: set[str], theirs: set[str]) -> bool:
    """A reference answered as its id, or as an object when the caller's ``only_fields``
    asks for a joined field (``project.name``) — which these clients never do."""
    return ours == {"object", "string"} and "string" in theirs


def differences(
    ours: Any, our_defs: dict[str, Any], theirs: Any, their_defs: dict[str, Any], kind: str, path: str = ""
) -> Iterator[str]:
    our_props, their_props = _properties(ours, our_defs), _properties(theirs, their_defs)
    if our_props is None or their_props is None:
        return
    for key, their_field in their_props.items():
        where = f"{kind} {path}{key}"
        if key not in our_props:
            if kind == "request":
                yield f"{where}: not declared here"
            continue
        our_field = our_props[key]
        our_types, their_types = _types(our_field, our_defs), _types(their_field, their_defs)
        fits = _accepts(our_types, their_types) if kind == "request" else _accepts(their_types, our_types - {"null"})
        if not fits and not (kind == "response" and _joinable(our_types, their_types)):
            yield f"{where}: type here {sorted(our_types)}, client {sorted(their_types)}"
            continue
        if path.count(".") >= 3:
            continue
        ours_sub, theirs_sub = _resolve(our_field, our_defs), _resolve(their_field, their_defs)
        if "object" in their_types:
            yield from differences(ours_sub, our_defs, theirs_sub, their_defs, kind, f"{path}{key}.")
        if "array" in their_types:
            yield from differences(
                ours_sub.get("items", {}), our_defs, theirs_sub.get("items", {}), their_defs, kind, f"{path}{key}[]."
            )


def compare(bundle: dict[str, Any], version: Version) -> list[str]:
    found = []
    for name, entry in sorted(bundle.items()):
        service = name.partition(".")[0]
        if service in ENTERPRISE_SERVICES or name in ENTERPRISE_ACTIONS or name in NOT_IN_REFERENCE:
            continue
        action = SCHEMAS.action(name)
        if action is None or action.served_from > version:
            found.append(f"{name}: not served at {version}")
            continue
        block = action.block_for(version)
        our_defs = SCHEMAS.services[action.service].definitions
        for kind in ("request", "response"):
            theirs = (entry.get(kind) or {}).get("schema") or {}
            ours = (block.request if kind == "request" else block.response) or {}
            for d in differences(ours, our_defs, theirs, theirs.get("definitions", {}), kind):
                path = d.split(":")[0].split(" ")[1]
                if service == "tasks" and ENTERPRISE_FIELDS & set(path.replace("[]", "").split(".")):
                    continue
                found.append(f"{name} {d}")
    return found


@pytest.mark.parametrize(("client", "package", "version"), BUNDLES, ids=[f"{c}-{v}" for c, _, v in BUNDLES])
def test_client_bundle_matches_our_schemas(client: str, package: str, version: str, tmp_path: Path) -> None:
    out = tmp_path / "schemas.json"
    subprocess.run(
        [str(client_bin(client, "python")), str(SCRIPTS / "schemas.py"), package, str(out)], check=True, timeout=120
    )
    bundle = json.loads(out.read_text())
    assert len(bundle) > 50, f"{package}: only {len(bundle)} actions found"
    found = [d for d in compare(bundle, Version.parse(version)) if d.split(":")[0] not in SAME_AS_REFERENCE]
    known = KNOWN.get(f"{client}-{version}", {})
    unexplained = [d for d in found if d.split(":")[0] not in known]
    stale = sorted(set(known) - {d.split(":")[0] for d in found})
    assert not unexplained, f"{package} at {version}: " + "\n".join(unexplained)
    assert not stale, f"listed as known but no longer different (remove them): {stale}"
