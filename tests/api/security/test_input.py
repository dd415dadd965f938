"""Holes 2, 6, 7 and 12 of issue 13: patterns, lone surrogates, nesting depth, lengths.

Each answer is an error envelope naming the field (never a 500, never a frozen server),
and nothing is written. "Before" says what the code before the fix did.
"""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from support.client import ApiClient

LONE = "\ud800"


def _task(api: ApiClient, name: str | None = None) -> str:
    return str(api.tasks.create(name=name or f"task {uuid.uuid4().hex[:6]}", type="training")["id"])


# --- hole 2: patterns run in bounded time ----------------------------------------------------


def test_a_catastrophic_pattern_neither_hangs_nor_blocks_the_server(tenant: ApiClient) -> None:
    """Before: 11 s for 27 a's, doubling with each a, the whole server frozen meanwhile;
    with 40 a's the call never returned (this test then fails on its client timeouts)."""
    _task(tenant, "a" * 40 + "!")
    slow = ApiClient(tenant.base_url, token=tenant.token, timeout=60)
    with ThreadPoolExecutor(2) as pool:
        search = pool.submit(slow.call, "tasks.get_all", {"name": "^(a+)+$", "only_fields": ["id"]})
        pings = [requests.get(f"{tenant.base_url}/debug.ping", timeout=30).status_code for _ in range(5)]
        reply = search.result(timeout=90)
    assert pings == [200] * 5
    assert reply.status == 200 and reply.data["tasks"] == [], reply.envelope


@pytest.mark.parametrize(
    "body",
    [
        {"name": r"(a)\1"},  # back-reference
        {"name": "(?=a)b"},  # look-ahead
        {"name": "(["},
        {"_any_": {"pattern": "(?<!x)y", "fields": ["name", "comment"]}},
    ],
    ids=["backref", "lookahead", "unbalanced", "any-lookbehind"],
)
def test_what_re2_cannot_run_is_400_21_naming_the_field(tenant: ApiClient, body: dict) -> None:
    """Before: back-references and look-around ran (backtracking) on the embedded store."""
    reply = tenant.call("tasks.get_all", body)
    assert reply.code == (400, 21), reply.envelope
    field = "_any_.pattern" if "_any_" in body else "name"
    assert f"field {field}" in reply.meta["result_msg"]


def test_the_sdks_patterns_still_match(tenant: ApiClient) -> None:
    """The SDKs send anchored, re.escape()d names (Task.get_tasks, projects by name)."""
    name = f"exp (v1.2) [lr=0.1] {uuid.uuid4().hex[:6]}"
    task = _task(tenant, name)
    import re

    for pattern in (f"^{re.escape(name)}$", re.escape(name), name.split(" ")[0]):
        found = [t["id"] for t in tenant.tasks.get_all(name=pattern, only_fields=["id"])["tasks"]]
        assert task in found, pattern
    found = tenant.tasks.get_all(search_text=name.upper(), only_fields=["id"])["tasks"]
    assert [t["id"] for t in found] == [task]
    found = tenant.tasks.get_all(_any_={"pattern": "V1\\.2", "fields": ["name"]}, only_fields=["id"])["tasks"]
    assert [t["id"] for t in found] == [task]


@pytest.mark.parametrize("service", ["tasks", "projects", "queues", "models", "users"])
def test_pattern_and_search_text_lengths_are_limited(tenant: ApiClient, service: str) -> None:
    """Before: a 10 MB literal name / search_text was matched against every object (30 s)."""
    big = "x" * 10_000
    reply = tenant.call(f"{service}.get_all", {"name": big})
    assert reply.code == (400, 12) and "field name" in reply.meta["result_msg"], reply.envelope
    if service != "users":
        reply = tenant.call(f"{service}.get_all", {"search_text": big})
        assert reply.code == (400, 12) and "field search_text" in reply.meta["result_msg"], reply.envelope


# --- hole 12: length limits --------------------------------------------------------------------


@pytest.mark.parametrize(
    "endpoint, body, field",
    [
        ("tasks.create", {"name": "n" * 10_000, "type": "training"}, "name"),
        ("queues.create", {"name": "q" * 10_000}, "name"),
        ("projects.create", {"name": "p" * 10_000, "description": "d"}, "name"),
        ("projects.create", {"name": "fine name", "description": "d" * 300_000}, "description"),
        ("tasks.create", {"name": "fine name", "type": "training", "comment": "c" * 300_000}, "comment"),
        ("tasks.create", {"name": "fine name", "type": "training", "tags": ["t" * 2000]}, "tags.0"),
        ("tasks.create", {"name": "fine name", "type": "training", "system_tags": ["t"] * 1001}, "system_tags"),
        ("models.create", {"name": "m" * 10_000, "uri": "file:///m"}, "name"),
    ],
    ids=["task-name", "queue-name", "project-name", "description", "comment", "tag", "tag-count", "model-name"],
)
def test_over_long_fields_are_400_naming_the_field(tenant: ApiClient, endpoint: str, body: dict, field: str) -> None:
    """Before: accepted (three 10 MB names took the server from 110 to 280 MB)."""
    service = endpoint.split(".")[0]
    before = len(tenant.call(f"{service}.get_all", {"only_fields": ["id"]}).data[service])
    reply = tenant.call(endpoint, body)
    assert reply.code == (400, 12), reply.envelope
    assert f"field {field}:" in reply.meta["result_msg"] and "apiserver.limits" in reply.meta["result_msg"]
    assert len(tenant.call(f"{service}.get_all", {"only_fields": ["id"]}).data[service]) == before


def test_generous_values_pass(tenant: ApiClient) -> None:
    """What real clients send stays well inside: long names, many tags, a long comment."""
    task = tenant.tasks.create(
        name="n" * 1000, type="training", comment="c" * 100_000, tags=[f"tag {i}" for i in range(200)]
    )["id"]
    assert tenant.tasks.get_by_id(task=task)["task"]["name"] == "n" * 1000


# --- hole 6: lone surrogates -------------------------------------------------------------------


@pytest.mark.parametrize(
    "endpoint, body, field",
    [
        ("tasks.create", {"name": f"bad {LONE}", "type": "training"}, "name"),
        ("projects.create", {"name": "fine name", "description": f"x{LONE}"}, "description"),
        ("queues.create", {"name": f"q{LONE}q"}, "name"),
        ("users.set_preferences", {"preferences": {"ui": {f"k{LONE}": 1}}}, "preferences.ui"),
    ],
    ids=["task", "project", "queue", "preferences-key"],
)
def test_a_lone_surrogate_is_400_naming_the_field(tenant: ApiClient, endpoint: str, body: dict, field: str) -> None:
    """Before: 500 UnicodeEncodeError."""
    reply = tenant.call(endpoint, body)  # json.dumps writes the surrogate as the escape \\ud800
    assert reply.code == (400, 12), reply.envelope
    assert f"field {field}" in reply.meta["result_msg"] and "surrogate" in reply.meta["result_msg"]


def test_a_lone_surrogate_in_hyper_params_and_events(tenant: ApiClient) -> None:
    task = _task(tenant)
    reply = tenant.call(
        "tasks.edit_hyper_params", {"task": task, "hyperparams": [{"section": "s", "name": "n", "value": LONE}]}
    )
    assert reply.code == (400, 12) and "hyperparams.0.value" in reply.meta["result_msg"], reply.envelope
    event = {"task": task, "type": "log", "msg": f"bad {LONE}", "timestamp": 1700000000000, "level": "info"}
    reply = tenant.call("events.add", event)
    assert reply.code == (400, 12) and "field msg" in reply.meta["result_msg"], reply.envelope


def test_a_lone_surrogate_rejects_only_its_event_in_a_batch(tenant: ApiClient) -> None:
    """Before: one such line failed the whole batch with a 500."""
    task = _task(tenant)
    scalar = {"task": task, "type": "training_stats_scalar", "metric": "m", "variant": "v", "timestamp": 1}
    batch = [
        {**scalar, "iter": 0, "value": 1.0},
        {**scalar, "iter": 1, "value": 2.0, "metric": f"m{LONE}"},
        {"task": task, "type": "log", "msg": f"x{LONE}", "timestamp": 2},
        {**scalar, "iter": 2, "value": 3.0, "variant": "ünïcode ok 😀"},
    ]
    reply = tenant.call("events.add_batch", batch=batch)
    assert reply.status == 200, reply.envelope
    assert reply.data["added"] == 2 and reply.data["errors"] == 2
    assert all("surrogate" in reason for reason in reply.data["errors_info"])
    assert tenant.events.get_task_events(task=task)["total"] == 2


# --- hole 7: nesting depth ----------------------------------------------------------------------


def _nested(levels: int) -> object:
    value: object = "leaf"
    for _ in range(levels):
        value = {"k": value}
    return value


def _nested_json(levels: int) -> str:
    """The JSON text of _nested(levels), written without recursion."""
    return '{"k": ' * levels + '"leaf"' + "}" * levels


@pytest.mark.parametrize("levels", [100, 600, 989])
@pytest.mark.parametrize(
    "endpoint, template",
    [
        ("models.create", '{"name": "deep model", "uri": "file:///m", "design": @DEEP@}'),
        ("tasks.edit", '{"task": "@TASK@", "script": {"requirements": @DEEP@}}'),
        ("users.set_preferences", '{"preferences": {"deep": @DEEP@}}'),
    ],
    ids=["model-design", "task-requirements", "preferences"],
)
def test_deep_nesting_is_400_naming_the_limit(tenant: ApiClient, endpoint: str, template: str, levels: int) -> None:
    """Before: 500 RecursionError at 500-989 levels (and 100 levels passed the parser but
    not MongoDB)."""
    body = template.replace("@DEEP@", _nested_json(levels))
    if endpoint == "tasks.edit":
        body = body.replace("@TASK@", _task(tenant))
    resp = requests.post(tenant.url(endpoint), data=body.encode(), headers=tenant.auth_headers(), timeout=30)
    meta = resp.json()["meta"]
    assert (meta["result_code"], meta["result_subcode"]) == (400, 12), meta
    assert "nested too deeply" in meta["result_msg"] and "apiserver.request.max_depth" in meta["result_msg"]


def test_ordinary_nesting_passes(tenant: ApiClient) -> None:
    model = tenant.models.create(name="nested design", uri="file:///m", design=_nested(40))["id"]
    assert tenant.models.get_by_id(model=model)["model"]["design"] == _nested(40)
