"""``stationmaster move-store`` into the team configuration (FerretDB, the Elasticsearch
7.17 node, redis-server): an embedded server filled through the HTTP API is moved, and a
server started on the moved stores answers the same; an interrupted (SIGKILLed) move
resumes and verifies; a non-empty target is refused; failures exit with clear messages.

Each test moves into MongoDB databases of its own and companies of its own (the
Elasticsearch node is shared with the session's other team servers)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pymongo
import pytest
import requests
from support.client import ApiClient
from support.embedded_fill import fill
from support.events_api import T0, image, log, scalar
from support.files import Part, free_port, upload
from support.server import ServerProcess, command_env, write_config

MOVE_REDIS_DB = 8  # the session's other team servers use 0-5
V = "2.31"


def move(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "stationmaster.server.cli", "move-store", *args],
        env=command_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def start_move(*args: str, log_path: Path) -> subprocess.Popen[bytes]:
    with open(log_path, "wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "stationmaster.server.cli", "move-store", *args],
            env=command_env(),
            stdout=out,
            stderr=subprocess.STDOUT,
        )


@pytest.fixture
def target(team_stores: Any, tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """A team configuration directory with MongoDB databases nobody else uses, and the
    prefix of those databases; they are dropped afterwards."""
    name = f"move{uuid.uuid4().hex[:8]}"
    config = team_stores.config_dir(tmp_path / "team-config", name, redis_db=MOVE_REDIS_DB)
    yield config, name
    client = pymongo.MongoClient(team_stores.mongo_url)
    for db in (f"{name}_backend", f"{name}_auth"):
        client.drop_database(db)
    client.close()


def filled(tmp_path: Path, **sizes: int) -> tuple[Path, str]:
    """An embedded data directory filled directly (support.embedded_fill), in a fresh company."""
    company = uuid.uuid4().hex
    fill(tmp_path / "data", company=company, **sizes)
    return tmp_path / "data", company


def es_count(team_stores: Any, pattern: str) -> int:
    res = requests.get(f"{team_stores.es_url}/{pattern}/_count", params={"ignore_unavailable": "true"}, timeout=30)
    return int(res.json()["count"])


# --- an installation filled through the API, moved, served by the team -------------------


def _fill_through_the_api(api: ApiClient, files_url: str, token: str) -> dict[str, Any]:
    project = api.projects.create(name=f"moved {uuid.uuid4().hex[:6]}", description="d")["id"]
    tasks = [api.tasks.create(name=f"moved task {i}", type="training", project=project)["id"] for i in range(3)]
    task = tasks[0]
    path = f"moved/{task}/img_0.png"
    sent = upload(files_url, [Part(path, b"\x89PNG pixels")], token=token)
    assert sent.status == 200, sent.body
    events = [scalar(task, i, 0.5 * i, metric="loss", variant=v) for i in range(50) for v in ("train", "val")]
    events += [log(task, f"line {i}", T0 + i) for i in range(30)]
    events += [image(task, i, f"{files_url}/{path}") for i in range(3)]
    reply = api.call("events.add_batch", batch=events)
    assert reply.status == 200 and reply.data["added"] == len(events), reply.envelope
    model = api.models.create(name="moved model", uri=f"{files_url}/moved/{task}/m.pt", task=task, project=project)
    queue = api.queues.create(name=f"q-{uuid.uuid4().hex[:6]}")["id"]
    api.tasks.enqueue(task=tasks[1], queue=queue)
    return {"project": project, "tasks": tasks, "task": task, "model": model["id"], "queue": queue, "path": path}


def _answers(api: ApiClient, made: dict[str, Any]) -> dict[str, Any]:
    """What the compared calls answer (at API 2.31)."""
    api = api.with_version(V)
    task = made["task"]

    def data(endpoint: str, body: dict[str, Any]) -> Any:
        reply = api.call(endpoint, body)
        assert reply.status == 200, (endpoint, reply.envelope)
        return reply.data

    return {
        "tasks": data("tasks.get_all_ex", {"id": made["tasks"], "order_by": ["name"]}),
        "scalars": data("events.scalar_metrics_iter_histogram", {"task": task}),
        "log": data("events.get_task_log", {"task": task, "batch_size": 100}),
        "images": data("events.debug_images", {"metrics": [{"task": task}], "iters": 5}),
        "models": data("models.get_all_ex", {"id": [made["model"]]}),
        "queue": data("queues.get_by_id", {"queue": made["queue"]}),
        "project": data("projects.get_all_ex", {"id": [made["project"]]}),
    }


def _without_scroll_ids(answers: dict[str, Any]) -> dict[str, Any]:
    return {k: {f: v for f, v in a.items() if f != "scroll_id"} for k, a in answers.items()}


def test_a_moved_installation_serves_the_same_on_the_team_configuration(
    team_stores: Any, target: tuple[Path, str], tmp_path: Path
) -> None:
    config, name = target
    files_port = free_port()
    source = ServerProcess(tmp_path / "embedded" / "data", files_port=files_port)
    with source:
        key, secret = source.admin_credentials()
        admin = ApiClient(source.url, key=key, secret=secret).login()
        company = uuid.uuid4().hex
        user = admin.auth.create_user(name="mover", company=company, role="admin", create_company=True)["id"]
        creds = admin.impersonate(user).auth.create_credentials()["credentials"]
        api = ApiClient(source.url, key=creds["access_key"], secret=creds["secret_key"]).login()
        made = _fill_through_the_api(api, source.files_url, api.token)
        before = _answers(api, made)
        token = api.token

    dry = move("--data-dir", str(source.data_dir), "--config", str(config), "--dry-run")
    assert dry.returncode == 0, dry.stdout + dry.stderr
    assert "dry run: nothing was written" in dry.stdout
    assert f"events-training_stats_scalar-{company}: 100" in dry.stdout
    assert es_count(team_stores, f"events-*-{company}") == 0

    files_to = tmp_path / "team-files"
    done = move("--data-dir", str(source.data_dir), "--config", str(config), "--files-to", str(files_to))
    assert done.returncode == 0, done.stdout + done.stderr
    assert re.search(r"all \d+ units verified", done.stdout), done.stdout
    assert re.search(r"ok\s+file store: 1 files", done.stdout), done.stdout
    assert f"ok        events-log-{company}: source 30, target 30, 30 sampled" in done.stdout
    assert re.search(r"ok\s+backend\.task: source (\d+), target \1", done.stdout)

    files_conf = f'root: "{files_to}"\n'  # the file's name is its section
    write_config(config, {"fileserver.conf": files_conf})
    team = ServerProcess(tmp_path / "team" / "data", config_dir=config, files_port=files_port)
    with team:
        moved = ApiClient(team.url, token=token)  # a token of the embedded server: same secret, same user
        assert _without_scroll_ids(_answers(moved, made)) == _without_scroll_ids(before)
        again = ApiClient(team.url, key=creds["access_key"], secret=creds["secret_key"]).login()
        assert again.tasks.get_by_id(task=made["task"])["task"]["id"] == made["task"]
        image_url = f"{team.files_url}/{made['path']}"
        got = requests.get(image_url, headers={"Authorization": f"Bearer {token}"}, timeout=30)
        assert got.status_code == 200 and got.content == b"\x89PNG pixels"
        assert not (team.data_dir / "documents").exists()  # nothing embedded was used

    refused = move("--data-dir", str(source.data_dir), "--config", str(config))
    assert refused.returncode == 2
    assert "holds an earlier move-store run" in refused.stdout and "--resume" in refused.stdout


# --- interrupted, resumed ---------------------------------------------------------------


def test_a_move_killed_midway_resumes_from_its_marker_and_verifies(
    team_stores: Any, target: tuple[Path, str], tmp_path: Path
) -> None:
    config, name = target
    data_dir, company = filled(tmp_path, tasks=30, scalars=60_000)
    args = ("--data-dir", str(data_dir), "--config", str(config), "--batch-size", "500", "--parallel", "1")
    proc = start_move(*args, log_path=tmp_path / "first.log")
    marker = pymongo.MongoClient(team_stores.mongo_url)[f"{name}_backend"]["stationmaster_move"]
    unit = f"events-training_stats_scalar-{company}"
    try:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            record = marker.find_one({"_id": unit}) or {}
            if record.get("copied", 0) >= 5000:
                break
            assert proc.poll() is None, (tmp_path / "first.log").read_text()
            time.sleep(0.05)
        else:
            pytest.fail("the copy did not get going: " + (tmp_path / "first.log").read_text())
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
    record = marker.find_one({"_id": unit})
    assert record["status"] == "copying" and 0 < record["copied"] < 60_000

    without = move(*args)  # an earlier run is there: it must be named
    assert without.returncode == 2 and "--resume" in without.stdout

    # a server on the half-moved stores refuses to start, naming the unit and the fix
    half = ServerProcess(tmp_path / "half" / "data", config_dir=config)
    with pytest.raises(RuntimeError) as refused:
        half.start(timeout=120)
    assert f"{unit} (copying)" in str(refused.value) and "--resume" in str(refused.value)

    resumed = move(*args, "--resume")
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert f"ok        {unit}: source 60,000, target 60,000, 500 sampled" in resumed.stdout
    copied = int(re.search(r"copied ([\d,]+) documents", resumed.stdout).group(1).replace(",", ""))
    assert copied < 60_000 + 30 + 50 + 3 + 60  # the part written before the kill was not copied again
    assert es_count(team_stores, unit) == 60_000
    assert marker.find_one({"_id": unit})["status"] == "verified"
    assert "skipped" in move(*args, "--resume").stdout  # all verified: nothing to copy
    served = ServerProcess(tmp_path / "served" / "data", config_dir=config).start(timeout=120)
    served.stop()  # verified: the same stores serve


# --- refusals and failures --------------------------------------------------------------


def test_a_target_that_is_not_empty_is_refused_unless_merge(
    team_stores: Any, target: tuple[Path, str], tmp_path: Path
) -> None:
    config, name = target
    data_dir, company = filled(tmp_path, tasks=5, scalars=40, logs=5, stats=3)
    client = pymongo.MongoClient(team_stores.mongo_url)
    client[f"{name}_backend"]["task"].insert_one({"_id": "already-there", "name": "x"})
    try:
        refused = move("--data-dir", str(data_dir), "--config", str(config))
        assert refused.returncode == 2
        assert f"the target is not empty:\n  {name}_backend.task: 1 documents" in refused.stdout
        assert "--merge" in refused.stdout
        assert es_count(team_stores, f"events-*-{company}") == 0  # nothing written

        merged = move("--data-dir", str(data_dir), "--config", str(config), "--merge")
        assert merged.returncode == 0, merged.stdout + merged.stderr
        assert "ok        backend.task: source 5, target 6" in merged.stdout
        assert client[f"{name}_backend"]["task"].find_one({"_id": "already-there"}) is not None
    finally:
        client.close()


def test_a_changed_target_fails_the_verification_with_the_field_named(
    team_stores: Any, target: tuple[Path, str], tmp_path: Path
) -> None:
    config, name = target
    data_dir, company = filled(tmp_path, tasks=4, scalars=20, logs=3, stats=2)
    assert move("--data-dir", str(data_dir), "--config", str(config)).returncode == 0
    client = pymongo.MongoClient(team_stores.mongo_url)
    try:
        client[f"{name}_backend"]["task"].update_one({"_id": f"{1:032x}"}, {"$set": {"name": "changed"}})
    finally:
        client.close()
    index = f"events-log-{company}"
    requests.post(
        f"{team_stores.es_url}/{index}/_update/log-000001?refresh=true", json={"doc": {"msg": "other"}}, timeout=30
    ).raise_for_status()
    checked = move("--data-dir", str(data_dir), "--config", str(config), "--verify-only")
    assert checked.returncode == 1, checked.stdout + checked.stderr
    assert f"document {1:032x}: field name: source 'task 1', destination 'changed'" in checked.stdout
    assert "document log-000001: field msg: source 'line 1', destination 'other'" in checked.stdout
    assert "units NOT verified" in checked.stdout


def test_failures_exit_2_with_a_message(team_stores: Any, tmp_path: Path) -> None:
    data_dir, _ = filled(tmp_path, tasks=1, scalars=4, logs=1, stats=1)
    mongo = f"{team_stores.mongo_url}move{uuid.uuid4().hex[:8]}"
    unreachable = move("--data-dir", str(data_dir), "--mongo", mongo, "--es", f"http://127.0.0.1:{free_port()}")
    assert unreachable.returncode == 2 and "cannot reach Elasticsearch" in unreachable.stdout
    not_embedded = move("--data-dir", str(tmp_path / "nothing"), "--mongo", mongo, "--es", team_stores.es_url)
    assert not_embedded.returncode == 2 and "holds no embedded documents" in not_embedded.stdout
