"""Hole 11 of issue 13: the OpenAPI document describes what the server accepts, and a
schema-driven fuzzer (schemathesis) run against /openapi.json finds no server error and
no response that does not match the document.

The run is bounded (``MAX_EXAMPLES`` per operation, a fixed seed, a time budget) and
uses a server of its own, with a token of the root user: actions that would take that key
away from the fuzzer (it reuses values from responses: logging out, revoking keys, deleting or demoting users) are left
out; the bad-input sweep (tests/api/test_bad_input.py) covers them.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from support.client import ApiClient
from support.server import ServerProcess

MAX_EXAMPLES = 5
SEED = 13
EXCLUDED = r"^/(auth\.logout|login\.logout|auth\.revoke_credentials|auth\.edit_user|users\.delete)$"


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    with ServerProcess(tmp_path_factory.mktemp("fuzz") / "data") as proc:
        yield proc


def _schemathesis() -> Path:
    st = Path(sys.executable).parent / "st"
    if not st.exists():
        pytest.skip("schemathesis is not installed (pip install -e '.[test]')")
    return st


def test_batch_actions_take_a_json_array_as_documented(fuzzed: ServerProcess) -> None:
    """Before: declared only as application/json-lines (standard tools could not call them)."""
    doc = requests.get(f"{fuzzed.url}/openapi.json", timeout=30).json()
    body = doc["paths"]["/events.add_batch"]["post"]["requestBody"]
    assert body["required"] is True and {"application/json", "application/json-lines"} <= set(body["content"])
    key, secret = fuzzed.admin_credentials()
    task = requests.post(
        f"{fuzzed.url}/tasks.create", json={"name": "array batch", "type": "training"}, auth=(key, secret), timeout=30
    ).json()["data"]["id"]
    events = [
        {"task": task, "type": "training_stats_scalar", "metric": "m", "variant": "v", "iter": i, "value": 1.0}
        for i in range(3)
    ]
    reply = requests.post(f"{fuzzed.url}/events.add_batch", json=events, auth=(key, secret), timeout=30).json()
    assert reply["data"]["added"] == 3, reply


def test_enforced_rules_are_in_the_document(fuzzed: ServerProcess) -> None:
    doc = requests.get(f"{fuzzed.url}/openapi.json", timeout=30).json()
    get_all = doc["paths"]["/tasks.get_all"]["post"]["requestBody"]
    schema = get_all["content"]["application/json"]["schema"]
    if "$ref" in schema:
        schema = doc["components"]["schemas"][schema["$ref"].rpartition("/")[2]]
    assert get_all["required"] is False
    assert schema["properties"]["only_fields"]["items"]["pattern"].startswith("^-?")
    assert schema["properties"]["_any_"]["required"] == ["pattern", "fields"]
    update = doc["paths"]["/models.update_for_task"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert {"required": ["uri"]} in update["allOf"][1]["oneOf"]


def test_schemathesis_finds_no_server_error_and_no_schema_mismatch(fuzzed: ServerProcess, tmp_path: Path) -> None:
    key, secret = fuzzed.admin_credentials()
    token = ApiClient(fuzzed.url, key=key, secret=secret).login().token
    command = [
        str(_schemathesis()),
        "run",
        f"{fuzzed.url}/openapi.json",
        "--url",
        fuzzed.url,
        "--header",
        f"Authorization: Bearer {token}",
        "--checks",
        "not_a_server_error,response_schema_conformance",
        "--max-examples",
        str(MAX_EXAMPLES),
        "--phases",
        "examples,coverage,fuzzing",
        "--seed",
        str(SEED),
        "--no-shrink",
        "--continue-on-failure",
        "--workers",
        "2",
        "--max-time",
        "180",
        "--request-timeout",
        "60",
        "--exclude-path-regex",
        EXCLUDED,
        "--report-dir",
        str(tmp_path),
    ]
    # cwd: schemathesis keeps a cache folder (.schemathesis/) in its working directory
    run = subprocess.run(command, capture_output=True, text=True, timeout=480, check=False, cwd=tmp_path)
    output = run.stdout + run.stderr
    summary = output[output.rfind("SUMMARY") :] if "SUMMARY" in output else output[-4000:]
    assert run.returncode == 0, output[-6000:]
    assert "Tested: 119" in summary or "Tested:" in summary, summary
    assert " failed" not in summary.split("Test cases:")[-1], summary
