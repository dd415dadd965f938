"""Bad input on every endpoint, generated from the request schemas.

For each action of ``schema/services/*.conf`` (its newest version block) the sweep sends
deterministic malformed requests: non-object and unparsable bodies, each declared property
(and each property one level down, and array items) with a value of a wrong type, each
required field missing or null, integers far beyond int64, and unknown ids. Every answer
must be an envelope whose ``meta.result_code`` equals the HTTP status, never a 5xx; errors
carry a message; wrong types and missing fields are 400/12 naming the field; unknown
task/model/project/queue ids are the reference's invalid-id errors. A second test checks
that rejected creates leave nothing behind.

Set ``BADINPUT_LOG=<file>`` to append each failing case as a JSON line (action, request,
response) for triage.
"""

from __future__ import annotations

import base64
import json
import os
import random
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests
from api.conftest import new_tenant
from support.client import ApiClient
from support.server import ServerProcess

from stationmaster.protocol.versions import Version
from stationmaster.schema import load_schemas
from stationmaster.schema.loader import ActionSchema, VersionBlock

SCHEMAS = load_schemas(cache_dirs=[Path(tempfile.gettempdir()) / "stationmaster-test-schema-cache"])
ACTIONS = sorted(action.name for action in SCHEMAS.actions())
JSON_LINES = "application/json-lines"
HUGE_INT = 10**20  # beyond int64: neither mongo nor sqlite can store it
# Values that are valid for the schema but stress the handlers: each must not be a 5xx.
ODD_INTS = (2**63 - 1, -(2**63), 2**31, -1, 0)
ODD_STRINGS = ("", "([", "$where", "a\u0000b", "..", "\u00e9\u6f22" * 3)
ODD_ARRAYS: tuple[list[Any], ...] = ([""], ["$ne", "-", "a..b", "__$not"], ["([", "-"])
# Fields whose rule the schema cannot express ("exactly one of"), filled so the unknown-id
# case reaches the id check; a queue is given where the task's company has no default queue.
EXTRA_BODY: dict[str, dict[str, Any]] = {
    "models.update_for_task": {"uri": "file:///tmp/model.bin"},
    "tasks.enqueue": {"queue": "will-be-replaced"},
}
# events.add takes a free-form event the handler checks; these go to a real task (@TASK@).
_EVENT = {"type": "training_stats_scalar", "task": "@TASK@", "metric": "m", "variant": "v", "iter": 1, "value": 1.0}
EVENT_CASES: list[tuple[str, dict[str, Any]]] = [
    *[(f"event {key} is {value!r}", {**_EVENT, key: value}) for key in _EVENT for value in ("", [1], {"a": 1}, None)],
    *[
        (f"event {key} is {value!r}", {**_EVENT, key: value})
        for key in ("iter", "timestamp", "value")
        for value in (HUGE_INT, -1, "1", 2**63)
    ],
    ("event type unknown", {**_EVENT, "type": "no_such_type"}),
    ("vector event values not numbers", {**_EVENT, "type": "training_stats_vector", "values": ["a", None]}),
    ("vector event values huge", {**_EVENT, "type": "training_stats_vector", "values": [HUGE_INT, 1e308]}),
    ("image event url not a string", {**_EVENT, "type": "training_debug_image", "url": 5, "key": {"a": 1}}),
    ("plot event plot_str not a string", {**_EVENT, "type": "plot", "plot_str": {"data": 1}}),
    ("log event msg not a string", {**_EVENT, "type": "log", "msg": ["x"], "level": 5}),
    ("event of an unknown task", {**_EVENT, "task": "0" * 32}),
    ("event without a task", {k: v for k, v in _EVENT.items() if k != "task"}),
]
# The query language of get_all/get_all_ex reads fields some schemas do not declare.
GET_ALL_CASES: list[tuple[str, dict[str, Any]]] = [
    *[
        (f"{key} fields {fields!r}", {key: {"pattern": "x", "fields": fields}})
        for key in ("_any_", "_all_")
        for fields in (["$where"], ["", "a..b"], ["name.$x"], [".", "-name"])
    ],
    ("_any_ without fields", {"_any_": {"pattern": "("}}),
    ("_all_ pattern not a string", {"_all_": {"pattern": {"$ne": 1}, "fields": ["name"]}}),
    ("only_fields odd", {"only_fields": ["$where", "", "a..b", "-", "name.$", "-id"]}),
    ("order_by odd", {"order_by": ["$where", "", "-", "--name", "a..b"]}),
    ("page and page_size odd", {"page": -1, "page_size": 0}),
    ("page_size huge", {"page": 2**62, "page_size": 2**62}),
    ("id list odd", {"id": ["", "$ne", None, "__$not"]}),
    ("tags odd", {"tags": ["__$not", "-", "", "__$all", "__$or"], "system_tags": ["__$not"]}),
    ("status_changed odd", {"status_changed": [">=x", "<", "2026-13-45"], "last_update": ["> 1"]}),
    ("search_text odd", {"search_text": "(["}),
]
# A required field with one of these names holding an unknown id gets the reference's
# invalid-id error (any of the subcodes of the id fields in the request).
ID_SUBCODES: dict[str, set[int]] = {
    "task": {101},
    "model": {201},
    "project": {401},
    "queue": {701, 703},
}
ID_NAMES = {"task", "model", "project", "queue", "user", "parent", "override_model_id"}
ID_NAMES |= {"new_task_project", "new_task_parent"}
_MAX_DEPTH = 6


def _is_id_name(name: str) -> bool:
    return name in ID_NAMES or name.endswith("_id")


# --- reading the request schema ------------------------------------------------------


class Shape:
    """Resolved views of one service's request schemas ($ref and allOf followed)."""

    def __init__(self, definitions: dict[str, Any], seed: str) -> None:
        self.definitions = definitions
        self.rng = random.Random(seed)

    def new_id(self) -> str:
        """A 32-hex id no object has (deterministic per action)."""
        return f"{self.rng.getrandbits(128):032x}"

    def resolve(self, schema: Any, depth: int = 0) -> dict[str, Any]:
        if not isinstance(schema, dict) or depth > _MAX_DEPTH:
            return {}
        if "$ref" in schema:
            target = self.definitions.get(schema["$ref"].rpartition("/")[2], {})
            merged = {k: v for k, v in schema.items() if k != "$ref"}
            return {**self.resolve(target, depth + 1), **merged}
        if "allOf" in schema:
            merged = {k: v for k, v in schema.items() if k != "allOf"}
            props: dict[str, Any] = dict(schema.get("properties", {}))
            required: list[str] = list(schema.get("required", []))
            for part in schema["allOf"]:
                part = self.resolve(part, depth + 1)
                props.update(part.get("properties", {}))
                required += part.get("required", [])
                merged.setdefault("type", part.get("type"))
            merged["properties"], merged["required"] = props, required
            return merged
        return schema

    def properties(self, schema: Any) -> dict[str, dict[str, Any]]:
        resolved = self.resolve(schema)
        return {name: self.resolve(prop) for name, prop in resolved.get("properties", {}).items()}

    def required(self, schema: Any) -> list[str]:
        return list(dict.fromkeys(self.resolve(schema).get("required", [])))

    def types(self, schema: dict[str, Any]) -> set[str] | None:
        """The JSON types a (resolved) schema accepts; None when unconstrained."""
        kind = schema.get("type")
        if isinstance(kind, str):
            return {kind}
        if isinstance(kind, list):
            return set(kind)
        for key in ("anyOf", "oneOf"):
            if key in schema:
                union: set[str] = set()
                for part in schema[key]:
                    part_types = self.types(self.resolve(part))
                    if part_types is None:
                        return None
                    union |= part_types
                return union
        if "enum" in schema:
            return {_json_type(v) for v in schema["enum"]}
        if "properties" in schema:
            return {"object"}
        return None

    def sample(self, schema: dict[str, Any], name: str, depth: int = 0) -> Any:
        """A valid value for ``schema`` (ids are random, so they point nowhere)."""
        if "enum" in schema:
            return schema["enum"][0]
        if "default" in schema and schema["default"] is not None:
            return schema["default"]
        types = self.types(schema) or {"string"}
        if "string" in types:
            if _is_id_name(name):
                return self.new_id()
            if schema.get("format") == "date-time":
                return "2026-01-01T00:00:00"
            return "x" * max(int(schema.get("minLength", 0)), 8)
        if "integer" in types or "number" in types:
            return max(int(schema.get("minimum", 1)), 1)
        if "boolean" in types:
            return False
        if "array" in types:
            item = self.resolve(schema.get("items", {}))
            return [self.sample(item, name, depth + 1) for _ in range(int(schema.get("minItems", 0)))]
        if "object" in types and depth < _MAX_DEPTH:
            props = self.properties(schema)
            return {req: self.sample(props.get(req, {}), req, depth + 1) for req in self.required(schema)}
        return None

    def required_sample(self, schema: Any) -> dict[str, Any]:
        props = self.properties(schema)
        return {name: self.sample(props.get(name, {}), name) for name in self.required(schema)}

    def wrong(self, schema: dict[str, Any]) -> Any:
        """A value of a JSON type the schema does not accept (None: accepts anything)."""
        types = self.types(schema)
        if types is None:
            return None
        for value in ("not-a-value", {"unexpected": 1}, 7, [1], True):
            kind = _json_type(value)
            if kind not in types and not (kind == "integer" and "number" in types):
                return value
        return None


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


# --- the cases -----------------------------------------------------------------------


@dataclass
class Case:
    label: str
    body: bytes
    expect: str  # "reject": a 4xx; "field": 400/12 naming `names`; "id": 400/`subcodes`; "any": no 5xx
    names: tuple[str, ...] = ()
    subcodes: set[int] = field(default_factory=set)
    content_type: str = "application/json"
    query: str = ""


def _json(value: Any) -> bytes:
    return json.dumps(value).encode()


def generate_cases(action: ActionSchema, block: VersionBlock) -> Iterator[Case]:
    shape = Shape(SCHEMAS.services[action.service].definitions, action.name)
    yield from _body_cases(action, block)
    request = block.request
    if request is None:
        return
    base = shape.required_sample(request)
    props = shape.properties(request)
    for key in EXTRA_BODY.get(action.name, {}):
        base[key] = shape.new_id() if _is_id_name(key) else EXTRA_BODY[action.name][key]
    required = shape.required(request)
    for name, prop in props.items():
        yield from _property_cases(shape, base, name, prop)
    for name in props:
        if name not in required:  # a null is an absent field (its default): never a 5xx
            yield Case(f"null optional {name}", _json({**base, name: None}), "any", (name,))
    for name in required:
        body = {k: v for k, v in base.items() if k != name}
        yield Case(f"missing required {name}", _json(body), "field", (name,))
        if "null" not in (shape.types(props.get(name, {})) or {"null"}):
            yield Case(f"null required {name}", _json({**base, name: None}), "field", (name,))
    yield from _unknown_id_cases(shape, base, props, required)
    yield from _query_string_cases(shape, base, props)


def _body_cases(action: ActionSchema, block: VersionBlock) -> Iterator[Case]:
    """Bodies that are not a JSON object, and the hand-made cases of free-form requests."""
    for label, body in (
        ("body is a list", b"[]"),
        ("body is a list of objects", b'[{"a": 1}]'),
        ("body is a string", b'"text"'),
        ("body is a number", b"17"),
        ("body is true", b"true"),
        ("body is null", b"null"),
        ("body is truncated JSON", b'{"a": '),
        ("body is not UTF-8", b"\xff\xfe{\x00"),
        ("body is nested too deeply", b'{"a": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"),
    ):
        yield Case(label, body, "reject")
    # Python's (and the reference's) JSON reader takes NaN/Infinity; an unknown field is ignored
    yield Case("unknown field holds NaN", b'{"unknown_field": NaN, "other": -Infinity}', "any")
    if not block.batch_of:
        yield Case("json-lines with two objects", b"{}\n{}\n", "reject", content_type=JSON_LINES)
    if block.batch_of:
        for label, body in (
            ("json-lines with a non-object line", b'{"a": 1}\n[1]\n'),
            ("json-lines with a broken line", b'{"a": 1}\n{"b"\n'),
            ("empty json-lines batch", b"\n"),
        ):
            yield Case(label, body, "reject", content_type=JSON_LINES)
    if action.name in ("events.add", "events.add_batch"):
        for label, event in EVENT_CASES:
            yield Case(label, _json(event), "any")
            yield Case(f"{label} (batch)", _json(event) + b"\n" + _json(_EVENT), "any", content_type=JSON_LINES)
    if "get_all" in action.action:
        for label, query in GET_ALL_CASES:
            yield Case(label, _json(query), "any")


def _unknown_id_cases(
    shape: Shape, base: dict[str, Any], props: dict[str, dict[str, Any]], required: list[str]
) -> Iterator[Case]:
    id_fields = {n for n, p in props.items() if _is_id_name(n) and "string" in (shape.types(p) or ())}
    for name in sorted(id_fields):
        body = {**base, name: shape.new_id()}
        known = [n for n in body if n in ID_SUBCODES and n in id_fields]
        if name in required and name in ID_SUBCODES:
            subcodes = set().union(*(ID_SUBCODES[n] for n in known))
            yield Case(f"unknown id in {name}", _json(body), "id", (name,), subcodes)
        else:
            yield Case(f"unknown id in {name}", _json(body), "any", (name,))
    for name, prop in sorted(props.items()):
        item = shape.resolve(prop.get("items", {}))
        if "array" in (shape.types(prop) or ()) and "string" in (shape.types(item) or ()) and name.endswith("s"):
            yield Case(f"unknown ids in {name}", _json({**base, name: [shape.new_id(), shape.new_id()]}), "any")


def _query_string_cases(shape: Shape, base: dict[str, Any], props: dict[str, dict[str, Any]]) -> Iterator[Case]:
    """Query-string arguments are merged over the body: lists, nesting and odd keys."""
    body = _json(base)
    for name, prop in sorted(props.items()):
        types = shape.types(prop) or set()
        if types == {"string"} and "enum" not in prop:
            yield Case(f"query {name}[] makes a list", body, "field", (name,), query=f"{name}[]=a&{name}[]=b")
            yield Case(f"query {name}.x nests", body, "field", (name,), query=f"{name}.x=1")
        if types == {"integer"}:
            yield Case(f"query {name}=abc", body, "field", (name,), query=f"{name}=abc")
    for query in (".=1", "a..b=1", "=x", "a.=1&a=2", "a=1&a.b=2", "%ff=%fe", "a[]=", "only_fields=-&order_by=-"):
        yield Case(f"query {query!r}", body, "any", query=query)


def _property_cases(shape: Shape, base: dict[str, Any], name: str, prop: dict[str, Any]) -> Iterator[Case]:
    wrong = shape.wrong(prop)
    if wrong is not None:
        yield Case(f"{name} has a wrong type ({_json_type(wrong)})", _json({**base, name: wrong}), "field", (name,))
    types = shape.types(prop) or set()
    if "enum" not in prop:
        yield from _odd_value_cases(base, name, types)
    if "array" in types:
        bad_item = shape.wrong(shape.resolve(prop.get("items", {})))
        if bad_item is not None:
            yield Case(f"{name}[0] has a wrong type", _json({**base, name: [bad_item]}), "field", (name,))
    if "object" in types:
        inner = {**(shape.sample(prop, name) if types == {"object"} else {}), "deep": {"n": [HUGE_INT]}}
        yield Case(f"{name} holds a huge integer", _json({**base, name: inner}), "field", (name,))
        odd_keys = {"a\u0000b": 1, "$set": {"x": 1}, "a.b": 1, "": 2, "__proto__": None}
        yield Case(f"{name} has odd keys", _json({**base, name: odd_keys}), "any", (name,))
    if types == {"object"}:
        yield from _sub_property_cases(shape, base, name, prop)


def _sub_property_cases(shape: Shape, base: dict[str, Any], name: str, prop: dict[str, Any]) -> Iterator[Case]:
    inner_base = shape.sample(prop, name) or {}
    for sub, sub_prop in shape.properties(prop).items():
        sub_types = shape.types(sub_prop) or set()
        bad = shape.wrong(sub_prop)
        if bad is not None:
            body = {**base, name: {**inner_base, sub: bad}}
            yield Case(f"{name}.{sub} has a wrong type ({_json_type(bad)})", _json(body), "field", (name, sub))
        odd: tuple[Any, ...] = ("", "$where", "([") if "string" in sub_types and "enum" not in sub_prop else ()
        odd += ODD_ARRAYS if "array" in sub_types else ()
        for value in odd:
            body = {**base, name: {**inner_base, sub: value}}
            yield Case(f"{name}.{sub} is {value!r}", _json(body), "any", (name, sub))


def _odd_value_cases(base: dict[str, Any], name: str, types: set[str]) -> Iterator[Case]:
    """Values beyond what the store holds are 400/12; odd but valid ones must not be a 5xx."""
    if "integer" in types or "number" in types:
        beyond = "field"  # no store holds an integer beyond int64, declared number or not
        yield Case(f"{name} is a huge integer", _json({**base, name: HUGE_INT}), beyond, (name,))
        yield Case(f"{name} is a huge negative integer", _json({**base, name: -HUGE_INT}), beyond, (name,))
        for number in ODD_INTS:
            yield Case(f"{name} is {number}", _json({**base, name: number}), "any", (name,))
    if "number" in types:
        for text, expect in (("NaN", "field"), ("-Infinity", "field"), ("1e308", "any")):
            body = json.dumps({**base, name: 0}).replace(f'"{name}": 0', f'"{name}": {text}')
            yield Case(f"{name} is {text}", body.encode(), expect, (name,))
    if "string" in types:
        for text in ODD_STRINGS:
            yield Case(f"{name} is {text!r}", _json({**base, name: text}), "any", (name,))
    if "array" in types:
        for items in ODD_ARRAYS:
            yield Case(f"{name} is {items!r}", _json({**base, name: items}), "any", (name,))


# --- checking the answers ------------------------------------------------------------


def check(case: Case, status: int, envelope: Any) -> str | None:
    """What is wrong with the answer to ``case`` (None: nothing)."""
    if not isinstance(envelope, dict) or not isinstance(envelope.get("meta"), dict):
        return f"not an envelope (HTTP {status})"
    meta = envelope["meta"]
    code, subcode, msg = meta.get("result_code"), meta.get("result_subcode"), meta.get("result_msg")
    if status >= 500:
        return f"server error {status}/{subcode}"
    if code != status:
        return f"meta.result_code {code} != HTTP status {status}"
    if status >= 400 and not (isinstance(msg, str) and msg.strip()):
        return f"{status}/{subcode} without a result_msg"
    if case.expect == "reject" and not 400 <= status < 500:
        return f"expected a 4xx, got {status}"
    if case.expect == "field":
        if (status, subcode) != (400, 12):
            return f"expected 400/12, got {status}/{subcode}"
        missing = [n for n in case.names if n not in msg]
        if missing:
            return f"message does not name {'.'.join(case.names)}"
    if case.expect == "id" and (status != 400 or subcode not in case.subcodes):
        return f"expected 400/{sorted(case.subcodes)}, got {status}/{subcode}"
    return None


def _client_for(action: ActionSchema, tenant: ApiClient, root_api: ApiClient) -> ApiClient:
    if action.name in ("auth.logout", "login.logout"):  # with Basic credentials: logging out revokes the token
        return ApiClient(tenant.base_url, key=tenant.key, secret=tenant.secret)
    if "*" in action.allow_roles or "user" in action.allow_roles:
        return tenant
    return root_api


def _log_failure(action: ActionSchema, version: str, case: Case, status: int, text: str, problem: str) -> None:
    path = os.environ.get("BADINPUT_LOG")
    if not path:
        return
    record = {
        "action": action.name,
        "version": version,
        "case": case.label,
        "content_type": case.content_type,
        "query": case.query,
        "body": case.body.decode("utf-8", "backslashreplace"),
        "status": status,
        "response": text[:2000],
        "problem": problem,
    }
    with open(path, "a") as out:
        out.write(json.dumps(record) + "\n")


@pytest.fixture(scope="module")
def sweeper(root_api: ApiClient) -> ApiClient:
    """One tenant (one keep-alive session) for the whole sweep."""
    return new_tenant(root_api)


@pytest.fixture(scope="module")
def sweeper_task(sweeper: ApiClient) -> str:
    """A task of the sweep's tenant, for the cases that need one that exists (@TASK@)."""
    return str(sweeper.tasks.create(name="bad input sweep", type="training")["id"])


@pytest.fixture(scope="module")
def handler_versions(root_api: ApiClient) -> dict[str, list[str]]:
    """Each action's handler versions as the server registered them."""
    served = root_api.server.endpoints()["endpoints"]
    return {name: info["handler_versions"] for name, info in served.items()}


@pytest.mark.parametrize("name", ACTIONS)
def test_bad_input_gets_an_error_envelope(
    name: str, sweeper: ApiClient, sweeper_task: str, root_api: ApiClient, handler_versions: dict[str, list[str]]
) -> None:
    """Every handler version of the action, with the schema block it is served with."""
    action = SCHEMAS.action(name)
    assert action is not None
    assert handler_versions.get(name), f"{name} has no handler"
    client = _client_for(action, sweeper, root_api)
    problems, count = [], 0
    for version in handler_versions[name]:
        block = action.block_for(Version.parse(version))
        cases = list(generate_cases(action, block))
        count += len(cases)
        url = client.url(name, version)
        for case in cases:
            headers = {**client.auth_headers(), **client.headers, "Content-Type": case.content_type}
            target = f"{url}?{case.query}" if case.query else url
            body = case.body.replace(b"@TASK@", sweeper_task.encode())
            resp = client.session.post(target, data=body, headers=headers, timeout=30)
            try:
                envelope = resp.json()
            except ValueError:
                envelope = None
            problem = check(case, resp.status_code, envelope)
            if problem:
                sent = f"body {case.body[:200]!r}" + (f" query {case.query!r}" if case.query else "")
                problems.append(f"v{version} {case.label}: {problem}; {sent} -> {resp.text[:300]}")
                _log_failure(action, version, case, resp.status_code, resp.text, problem)
    assert not problems, f"{name}: {len(problems)} of {count} cases failed:\n" + "\n".join(problems)


def test_the_sweep_generates_the_expected_kinds_of_cases() -> None:
    """The generator itself: a known action yields each kind of case."""
    action = SCHEMAS.action("tasks.edit")
    assert action is not None
    cases = list(generate_cases(action, action.versions[-1]))
    labels = [case.label for case in cases]
    assert "body is a list" in labels and "body is truncated JSON" in labels
    assert "missing required task" in labels and "null required task" in labels
    assert "unknown id in task" in labels
    assert any(label.startswith("name has a wrong type") for label in labels)
    assert any(label.startswith("execution.") for label in labels), labels
    by_label = {case.label: case for case in cases}
    assert by_label["unknown id in task"].expect == "id" and by_label["unknown id in task"].subcodes == {101}
    assert len(ACTIONS) >= 120


# --- rejected writes leave nothing behind ----------------------------------------------


def _ids(api: ApiClient, service: str, key: str) -> set[str]:
    reply = api.call(f"{service}.get_all", {"only_fields": ["id"]})
    assert reply.status == 200, reply.envelope
    return {item["id"] for item in reply.data[key]}


REJECTED_WRITES: list[tuple[str, str, dict[str, Any]]] = [
    ("tasks", "tasks", {"name": "bad", "type": "not-a-type"}),
    ("tasks", "tasks", {"name": "bad", "type": "training", "tags": "not-a-list"}),
    ("tasks", "tasks", {"name": "bad", "type": "training", "execution": "not-an-object"}),
    ("tasks", "tasks", {"name": "bad", "type": "training", "script": {"repository": 5}}),
    ("tasks", "tasks", {"name": "bad", "type": "training", "project": uuid.uuid4().hex}),
    ("tasks", "tasks", {"name": "bad", "type": "training", "parent": uuid.uuid4().hex}),
    ("tasks", "tasks", {"name": "bad", "type": "training", "execution": {"queue": uuid.uuid4().hex, "model": 3}}),
    ("tasks", "tasks", {"type": "training"}),
    ("projects", "projects", {"name": "bad", "description": "d", "tags": 5}),
    ("projects", "projects", {"name": "bad", "description": {"x": 1}}),
    ("projects", "projects", {"description": "d"}),
    ("models", "models", {"name": "bad", "uri": "file:///m", "labels": "not-an-object"}),
    ("models", "models", {"name": "bad", "uri": "file:///m", "task": uuid.uuid4().hex}),
    ("models", "models", {"name": "bad", "uri": "file:///m", "project": uuid.uuid4().hex}),
    ("models", "models", {"name": "bad", "uri": "file:///m", "ready": "yes"}),
    ("models", "models", {"name": "bad"}),
    ("queues", "queues", {"name": "bad", "tags": 5}),
    ("queues", "queues", {"name": {"x": 1}}),
    ("queues", "queues", {}),
]


@pytest.mark.parametrize(
    "service, key, body", REJECTED_WRITES, ids=[f"{s}-{i}" for i, (s, _, _) in enumerate(REJECTED_WRITES)]
)
def test_rejected_create_writes_nothing(tenant: ApiClient, service: str, key: str, body: dict[str, Any]) -> None:
    before = _ids(tenant, service, key)
    reply = tenant.call(f"{service}.create", body)
    assert 400 <= reply.status < 500, reply.envelope
    assert reply.meta["result_code"] == reply.status and reply.meta["result_msg"]
    after = _ids(tenant, service, key)
    assert after == before, f"{service}.create {body} was rejected but left {after - before}"


def test_rejected_batch_writes_nothing(tenant: ApiClient) -> None:
    """A json-lines batch with one bad item changes none of the tasks."""
    task = tenant.tasks.create(name="batch", type="training")["id"]
    reply = tenant.call(
        "tasks.update_batch",
        batch=[{"task": task, "name": "renamed"}, {"task": task, "name": {"bad": 1}}],
    )
    assert reply.status == 400, reply.envelope
    assert tenant.tasks.get_by_id(task=task)["task"]["name"] == "batch"


def test_duplicate_names_are_rejected_without_a_second_object(tenant: ApiClient) -> None:
    for service, body in (("projects", {"name": "dup", "description": "d"}), ("queues", {"name": "dup"})):
        tenant.call(f"{service}.create", body)
        before = _ids(tenant, service, service)
        reply = tenant.call(f"{service}.create", body)
        assert 400 <= reply.status < 500, reply.envelope
        assert _ids(tenant, service, service) == before


@pytest.mark.parametrize("service", ["tasks", "models", "projects", "queues", "users"])
def test_an_invalid_name_pattern_is_a_400(tenant: ApiClient, service: str) -> None:
    reply = tenant.call(f"{service}.get_all", {"name": "(["})
    # 400/12 naming the field where the query layer checks it first, else the reference's 400/21
    assert reply.code in ((400, 12), (400, 21)), reply.envelope
    assert "regular expression" in reply.meta["result_msg"], reply.envelope


def test_rejected_changes_of_existing_objects_leave_them_unchanged(tenant: ApiClient) -> None:
    """Handler-level rejections (unknown ids found after parsing) write nothing. (The
    reference's queues.add_task takes an unknown task id, so that case is not here.)"""
    unknown = uuid.uuid4().hex
    task = tenant.tasks.create(name="kept", type="training")["id"]
    queue = tenant.queues.create(name=f"q-{unknown[:6]}")["id"]
    tasks_before = _ids(tenant, "tasks", "tasks")

    def state() -> tuple[Any, ...]:
        doc = tenant.tasks.get_by_id(task=task)["task"]
        entries = tenant.queues.get_by_id(queue=queue)["queue"]["entries"]
        return doc["status"], doc.get("project"), doc.get("execution", {}).get("queue"), doc["name"], entries

    before = state()
    for endpoint, body in (
        ("tasks.enqueue", {"task": task, "queue": unknown}),
        ("tasks.edit", {"task": task, "project": unknown, "name": "changed"}),
        ("tasks.edit", {"task": task, "parent": unknown, "name": "changed"}),
        ("tasks.clone", {"task": task, "new_task_project": unknown}),
        ("tasks.clone", {"task": task, "new_task_parent": unknown}),
        ("queues.add_task", {"queue": unknown, "task": task}),
        ("tasks.update", {"task": task, "project": unknown, "name": "changed"}),
    ):
        reply = tenant.call(endpoint, body)
        assert 400 <= reply.status < 500, f"{endpoint} {body}: {reply.envelope}"
        assert state() == before, f"{endpoint} {body} was rejected ({reply.code}) but changed the task or queue"
    assert _ids(tenant, "tasks", "tasks") == tasks_before


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


BAD_AUTH_HEADERS: list[dict[str, str]] = [
    {"Authorization": "Basic !!!not-base64"},
    {"Authorization": "Basic " + _b64(b"no-colon")},
    {"Authorization": "Basic " + _b64(b"\xff\xfe:\x00")},
    {"Authorization": "Basic " + _b64(b":")},
    {"Authorization": "Basic "},
    {"Authorization": "Bearer x.y.z"},
    {"Authorization": "Bearer " + _b64(b'{"alg":"none"}') + "." + _b64(b'{"identity":{}}') + "."},
    {"Authorization": "Bearer "},
    {"Authorization": "Digest username=x"},
    {"Authorization": "Basic"},
    {"Cookie": "clearml_token_basic=garbage"},
    {"Cookie": "trains_token_basic=a.b.c; clearml_token_basic="},
]


@pytest.mark.parametrize("headers", BAD_AUTH_HEADERS, ids=range(len(BAD_AUTH_HEADERS)))
def test_malformed_credentials_are_401_envelopes(server: ServerProcess, headers: dict[str, str]) -> None:
    for endpoint in ("tasks.get_all", "users.get_current_user", "auth.login"):
        resp = requests.post(f"{server.url}/{endpoint}", data=b"{}", headers=headers, timeout=30)
        meta = resp.json()["meta"]
        assert resp.status_code == 401 and meta["result_code"] == 401, (endpoint, headers, meta)
        assert meta["result_msg"], meta


def test_tampered_token_and_bad_impersonation_are_4xx(root_api: ApiClient, tenant: ApiClient) -> None:
    assert tenant.token
    head, payload, signature = tenant.token.split(".")
    for token in (f"{head}.{payload}.{signature[::-1]}", f"{head}.{payload[:-2]}.{signature}", tenant.token + "x"):
        reply = tenant.call("tasks.get_all", {}, headers={"Authorization": f"Bearer {token}"})
        assert reply.status == 401 and reply.meta["result_code"] == 401, reply.envelope
    for user in (uuid.uuid4().hex, "", "$where", "a" * 5000):
        for header in ("X-Clearml-Impersonate-As", "X-Trains-Act-As"):
            reply = root_api.call("users.get_current_user", {}, headers={header: user})
            assert 400 <= reply.status < 500 or (reply.status == 200 and not user), (header, user, reply.envelope)
            assert reply.meta["result_code"] == reply.status
        reply = tenant.call("users.get_current_user", {}, headers={"X-Clearml-Impersonate-As": root_api_user(root_api)})
        assert 400 <= reply.status < 500, reply.envelope  # a user may not impersonate


def root_api_user(root_api: ApiClient) -> str:
    return str(root_api.users.get_current_user()["user"]["id"])


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE", "PATCH", "OPTIONS"])
def test_other_methods_and_content_types_get_envelopes(tenant: ApiClient, method: str) -> None:
    for content_type in (
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data",
        "",
        "application/json; charset=latin-1",
    ):
        headers = {**tenant.auth_headers(), "Content-Type": content_type}
        resp = tenant.session.request(
            method, tenant.url("tasks.get_all"), data=b'{"page": "x"}', headers=headers, timeout=30
        )
        assert resp.status_code < 500, (method, content_type, resp.text[:300])
        if method != "OPTIONS" and resp.content:
            meta = resp.json()["meta"]
            assert meta["result_code"] == resp.status_code, (method, content_type, meta)
