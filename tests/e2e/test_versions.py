"""Flow 4: version discovery. The clients take the API level from the login token's
claim, and every path they use routes, including clearml-agent's fixed /v2.13–/v2.20
paths and the unversioned ones. (Runs last: it also checks every call recorded by the
flows before it.)"""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from e2e_harness import E2E
from e2e_recorder import expected_error

# (version or None for unversioned, endpoint): the paths the four clients call against a
# 2.9 server (recorded from their runs, docs/e2e.md); workers.get_runtime_properties only comes at level 2.13+
CLIENT_PATHS = [
    (None, "auth.login"),
    (None, "tasks.dequeue"),
    (None, "tasks.edit"),
    (None, "tasks.started"),
    (None, "events.add_batch"),
    (None, "workers.register"),
    (None, "workers.unregister"),
    (None, "workers.status_report"),
    ("2.5", "queues.get_all"),
    ("2.5", "queues.get_next_task"),
    ("2.5", "tasks.get_by_id"),
    ("2.5", "tasks.get_all"),
    ("2.5", "tasks.started"),
    ("2.5", "tasks.completed"),
    ("2.5", "tasks.failed"),
    ("2.5", "tasks.ping"),
    ("2.5", "tasks.dequeue"),
    ("2.5", "tasks.set_requirements"),
    ("2.9", "tasks.create"),
    ("2.9", "events.scalar_metrics_iter_histogram"),
    ("2.9", "events.get_task_log"),
    ("2.9", "events.debug_images"),
    ("2.9", "models.update_for_task"),
    ("2.13", "tasks.get_all"),
    ("2.13", "tasks.edit"),
    ("2.13", "projects.get_all"),
    ("2.14", "tasks.get_all"),
    ("2.14", "queues.get_next_task"),
    ("2.15", "tasks.get_all"),
    ("2.20", "tasks.get_all"),
    ("2.20", "projects.get_all"),
    ("2.23", "tasks.get_all"),
]


def claims(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    return dict(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))))


def test_login_token_carries_the_level(e2e: E2E) -> None:
    token = claims(e2e.api.token or "")
    assert token.get("api_version"), token
    level = tuple(int(p) for p in str(token["api_version"]).split("."))
    assert level >= (2, 9)  # clearml 2.1.12 crashes below 2.9 (compared as versions: 2.31 > 2.9)
    assert token.get("server_version"), token
    assert token.get("feature_set") == "basic", token
    assert token.get("exp"), token
    assert (token.get("identity") or {}).get("user"), token


@pytest.mark.parametrize("package", ["clearml", "clearml_agent", "trains"])
def test_clients_negotiate_the_level_from_the_token(e2e: E2E, package: str) -> None:
    level = claims(e2e.api.token or "")["api_version"]
    client = {"clearml": "clearml", "clearml_agent": "clearml-agent", "trains": "trains"}[package]
    queue = f"e2e-{e2e.run_id}-versions-{package}"
    if package != "clearml":
        e2e.api.queues.create(name=queue)
    result = e2e.run(client, "versions.py", {"package": package, "queue": queue, "check": ["2.4", "2.9"]}).result
    assert result["api_version"] == level
    assert result["checks"] == {"2.4": True, "2.9": True}
    if package != "trains":
        assert result["server_version"] == claims(e2e.api.token or "")["server_version"]
        assert result["feature_set"] == "basic"
    if package == "clearml":
        assert result["queues_found"] == [result["queue_id"]]
    elif package == "clearml_agent":
        assert len(result["agent_queues"]) == 1
    else:
        assert len(result["trains_queues"]) == 1


def test_the_server_written_clearml_conf_works_verbatim(e2e: E2E) -> None:
    """The README tells users to take the clearml.conf that the first start writes to the
    data directory: with it alone (no CLEARML_* variables) the SDK tracks a task and
    uploads an artifact to the file server."""
    written = e2e.server.data_dir / "clearml.conf"
    result = e2e.run("clearml", "job.py", config_file=written, replace={'"artifact": 0': '"artifact": 1'}).result
    task = e2e.api.tasks.get_by_id(task=result["task_id"])["task"]
    assert task["status"] == "completed"
    (artifact,) = task["execution"]["artifacts"]
    assert artifact["key"] == "early"
    assert artifact["uri"].startswith(f"http://localhost:{e2e.files_port}/"), artifact


@pytest.mark.parametrize(("version", "endpoint"), CLIENT_PATHS, ids=[f"v{v or '-'}/{e}" for v, e in CLIENT_PATHS])
def test_client_paths_route(e2e: E2E, version: str | None, endpoint: str) -> None:
    """Each path resolves to a handler (a validation error is fine; an unknown endpoint
    or a rejected version is not), for GET with a JSON body as the clients send it."""
    api = e2e.api if endpoint != "auth.login" else e2e.api.with_version(None)
    reply = api.call(endpoint, {}, version=version, method="GET")
    assert reply.meta.get("result_code") == reply.status
    assert reply.status != 404, reply.envelope
    assert reply.code != (400, 2), reply.envelope
    assert reply.meta["endpoint"]["name"] == endpoint


def _meta(body: bytes) -> dict[str, Any]:
    try:
        return dict(json.loads(body)["meta"])
    except (ValueError, KeyError, TypeError):
        return {}


def test_no_recorded_client_call_was_unroutable(e2e: E2E) -> None:
    """Across every flow that ran in this session, no client request hit an unknown
    endpoint, a rejected version or a server error."""
    assert e2e.recorder
    bad = [
        e
        for e in e2e.recorder.since(0)
        if e.status in (0, 404) or e.status >= 500 or _meta(e.response_body).get("result_subcode") == 2
    ]
    assert not bad, "\n\n".join(e.describe()[:3000] for e in bad)


def test_agent_paths_seen_and_answered(e2e: E2E) -> None:
    """When an agent flow ran in this session, the agent's fixed-version and unversioned
    paths were used and answered 200."""
    assert e2e.recorder
    agent_calls = [e for e in e2e.recorder.since(0) if e.client().startswith("api-")]
    if not any("get_next_task" in e.path for e in agent_calls):
        pytest.skip("no agent flow ran in this session")
    answered = {(e.method, e.path) for e in agent_calls if e.status == 200}
    for expected in [
        ("GET", "/auth.login"),
        ("GET", "/v2.14/queues.get_next_task"),
        ("GET", "/v2.14/tasks.get_all"),
        ("GET", "/v2.5/tasks.started"),
        ("GET", "/v2.5/tasks.completed"),
        ("GET", "/workers.register"),
        ("GET", "/workers.status_report"),
        ("POST", "/events.add_batch"),
    ]:
        assert expected in answered, (expected, sorted(answered))


def test_no_client_call_failed_unexpectedly(e2e: E2E) -> None:
    """Every client call of the session succeeded, apart from the errors that v0.16.1
    answers too and the clients tolerate (conftest.EXPECTED_ERRORS)."""
    assert e2e.recorder
    bad = [e for e in e2e.recorder.since(0) if e.failed and not expected_error(e)]
    assert not bad, "\n\n".join(e.describe()[:3000] for e in bad)
