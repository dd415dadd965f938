"""Data written by the reference server reads back unchanged, and what we write has the
reference's shape: documents in the reference v0.16 layout (clearml-server v0.16.1's
``server/database/model/``) are put straight into the store of a stopped server, then
read through the API."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from support.client import ApiClient
from support.server import ServerProcess

from stationmaster.database.embedded import client_class

COMPANY = "d1bd92a3b039400cbafc60a7a5b1e52b"  # the default company of config/default/apiserver.conf
TASK_FIELDS = {
    "_id", "name", "type", "status", "status_reason", "status_message", "status_changed", "comment",
    "created", "started", "completed", "published", "parent", "project", "output", "execution", "script",
    "tags", "system_tags", "last_worker", "last_worker_report", "last_update", "last_iteration",
    "last_metrics", "metric_stats", "company", "user", "company_origin", "duration", "hyperparams",
    "configuration", "runtime",
}  # fmt: skip


def reference_documents(user: str) -> dict[str, list[dict[str, Any]]]:
    when = datetime(2020, 9, 1, 12, 30, 15, 123000)
    task = {
        "_id": "a" * 32,
        "company": COMPANY,
        "user": user,
        "name": "reference task",
        "type": "training",
        "status": "completed",
        "status_reason": "",
        "status_message": "",
        "status_changed": when,
        "comment": "written by clearml-server 0.16",
        "created": when,
        "started": when,
        "completed": when,
        "project": "b" * 32,
        "output": {"destination": "http://files:8081", "model": "c" * 32, "result": "success"},
        "execution": {
            "test_split": 0,
            "model": "",
            "model_labels": {"cat": 1},
            "framework": "pytorch",
            "artifacts": [
                {
                    "key": "data",
                    "type": "dict",
                    "mode": "output",
                    "uri": "http://files:8081/p/t/data.json",
                    "hash": "h",
                    "content_size": 12,
                    "timestamp": 1598963415,
                    "type_data": {"preview": "{'x': 1}", "content_type": "application/json", "data_hash": "d"},
                    "display_data": [["x", "1"]],
                }
            ],
            "docker_cmd": "",
        },
        "script": {
            "binary": "python",
            "repository": "https://example.invalid/repo.git",
            "branch": "main",
            "version_num": "abc",
            "entry_point": "train.py",
            "working_dir": ".",
            "requirements": {"pip": "torch==1.6"},
            "diff": "",
        },
        "tags": ["t1"],
        "system_tags": ["development"],
        "last_worker": "worker:1",
        "last_update": when,
        "last_iteration": 99,
        "last_metrics": {
            "m" * 32: {
                "v" * 32: {"metric": "loss", "variant": "train", "value": 0.5, "min_value": 0.1, "max_value": 2.0}
            }
        },
        "hyperparams": {
            "Args": {
                "lr": {"section": "Args", "name": "lr", "value": "0.1", "type": "legacy"},
                "a%2Eb": {"section": "Args", "name": "a.b", "value": "x"},
            }
        },
        "configuration": {"design": {"name": "design", "value": "layers: 3", "type": "legacy"}},
        "runtime": {"gpu": "v100"},
    }
    model = {
        "_id": "c" * 32,
        "company": COMPANY,
        "user": user,
        "name": "reference model",
        "created": when,
        "task": task["_id"],
        "project": "b" * 32,
        "uri": "http://files:8081/p/t/model.pt",
        "framework": "pytorch",
        "design": {"design": "layers: 3"},
        "labels": {"cat": 1},
        "ready": True,
        "tags": [],
        "system_tags": [],
    }
    project = {
        "_id": "b" * 32,
        "company": COMPANY,
        "user": user,
        "name": "reference project",
        "description": "from 0.16",
        "created": when,
        "tags": [],
        "system_tags": [],
        "default_output_destination": "http://files:8081",
    }
    queue = {
        "_id": "d" * 32,
        "company": COMPANY,
        "name": "reference queue",
        "created": when,
        "tags": [],
        "system_tags": [],
        "entries": [{"task": "e" * 32, "added": when}],
    }
    return {"task": [task], "model": [model], "project": [project], "queue": [queue]}


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ServerProcess, ApiClient]]:
    data_dir = tmp_path_factory.mktemp("refdocs") / "data"
    proc = ServerProcess(data_dir)
    with proc:  # first start: company, admin, default queue
        pass
    key, secret = proc.admin_credentials()
    client = client_class(data_dir / "documents")()
    admin = client["auth"]["user"].find_one({})["_id"]
    for name, docs in reference_documents(admin).items():
        client["backend"][name].insert_many(docs)
    client.close()
    with proc:
        yield proc, ApiClient(proc.url, key=key, secret=secret).login()


def test_reference_task_reads_back_unchanged(seeded: tuple[ServerProcess, ApiClient]) -> None:
    _, api = seeded
    task = api.tasks.get_by_id(task="a" * 32)["task"]
    assert task["name"] == "reference task" and task["status"] == "completed"
    assert task["created"].startswith("2020-09-01T12:30:15.123")
    assert task["execution"]["artifacts"][0]["type_data"]["content_type"] == "application/json"
    assert task["script"]["requirements"] == {"pip": "torch==1.6"}
    assert task["last_metrics"]["m" * 32]["v" * 32]["max_value"] == 2.0
    assert task["hyperparams"]["Args"]["a.b"]["value"] == "x"  # stored escaped, returned plain
    assert task["configuration"]["design"]["value"] == "layers: 3"
    assert task["output"]["model"] == "c" * 32


def test_reference_task_legacy_view_below_2_9(seeded: tuple[ServerProcess, ApiClient]) -> None:
    _, api = seeded
    task = api.with_version("2.8").tasks.get_by_id(task="a" * 32)["task"]
    assert task["execution"]["parameters"]["lr"] == "0.1"
    assert task["execution"]["model_desc"]["design"] == "layers: 3"


def test_reference_model_project_queue_read_back(seeded: tuple[ServerProcess, ApiClient]) -> None:
    _, api = seeded
    model = api.models.get_by_id(model="c" * 32)["model"]
    assert (model["uri"], model["ready"], model["labels"]) == ("http://files:8081/p/t/model.pt", True, {"cat": 1})
    projects = api.projects.get_all(name="^reference project$")["projects"]
    assert [p["id"] for p in projects] == ["b" * 32]
    assert projects[0]["default_output_destination"] == "http://files:8081"
    queue = api.queues.get_by_id(queue="d" * 32)["queue"]
    assert queue["entries"][0]["task"] == "e" * 32
    tasks = api.tasks.get_all(project=["b" * 32], only_fields=["id", "name"])["tasks"]
    assert tasks == [{"id": "a" * 32, "name": "reference task"}]


def test_documents_we_write_have_the_reference_shape(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    with ServerProcess(data_dir) as proc:
        key, secret = proc.admin_credentials()
        api = ApiClient(proc.url, key=key, secret=secret).login()
        project = api.projects.create(name="shape project", description="d")["id"]
        task = api.tasks.create(name="shape task", type="training", project=project)["id"]
        api.tasks.edit(task=task, execution={"parameters": {"a.b": 1}})
    client = client_class(data_dir / "documents")()
    stored = client["backend"]["task"].find_one({"_id": task})
    client.close()
    assert stored is not None
    assert set(stored) <= TASK_FIELDS, f"fields outside the reference's Task: {set(stored) - TASK_FIELDS}"
    assert stored["company"] == COMPANY and stored["project"] == project
    assert len(stored["_id"]) == 32 and int(stored["_id"], 16) >= 0
    assert isinstance(stored["created"], datetime)
    assert stored["hyperparams"]["Args"]["a%2Eb"]["value"] == "1"  # escaped key, string value
