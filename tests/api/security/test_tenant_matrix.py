"""The tenant-isolation matrix (issue 13): two companies; every action, called by an
admin of one company with the ids of the other company's objects, neither shows nor
changes them. (Files: tests/api/security/test_files_tenancy.py.)

Company A owns a project, a task in it (with hyper-parameters, a configuration, an
artifact and events), a model, a queue holding another of its tasks, and a worker;
every name and tag carries a marker. Company B's admin calls each action with a body
naming all of A's objects (unknown fields are ignored by the server). Each answer is
below 500 and never contains the marker; afterwards A sees every object unchanged.
"""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from support.client import ApiClient

from stationmaster.schema import load_schemas

SCHEMAS = load_schemas(cache_dirs=[Path(tempfile.gettempdir()) / "stationmaster-test-schema-cache"])
#: B's own session would end (its token revoked), not A's objects: called last, apart.
LAST = ("auth.revoke_credentials", "auth.logout", "login.logout")
ACTIONS = sorted(a.name for a in SCHEMAS.actions() if a.name not in LAST)


@dataclass
class CompanyA:
    api: ApiClient
    marker: str
    project: str
    task: str
    queued: str
    model: str
    queue: str
    worker: str

    def snapshot(self) -> dict[str, Any]:
        api = self.api
        return {
            "task": api.tasks.get_by_id(task=self.task)["task"],
            "queued": api.tasks.get_by_id(task=self.queued)["task"],
            "model": api.models.get_by_id(model=self.model)["model"],
            "project": api.projects.get_by_id(project=self.project)["project"],
            "queue": api.queues.get_by_id(queue=self.queue)["queue"],
            "events": api.events.get_task_events(task=self.task)["total"],
            "log": api.events.get_task_log(task=self.task)["total"],
            "workers": [w["id"] for w in api.workers.get_all()["workers"]],
            "user": api.users.get_current_user()["user"],
        }


@pytest.fixture(scope="module")
def company_a(root_api: ApiClient) -> Iterator[CompanyA]:
    from api.conftest import new_tenant

    api = new_tenant(root_api, role="admin")
    marker = f"secret{uuid.uuid4().hex[:10]}"
    project = api.projects.create(name=f"{marker} project", description=marker, tags=[marker])["id"]
    task = api.tasks.create(name=f"{marker} task", type="training", project=project, tags=[marker])["id"]
    api.tasks.edit_hyper_params(task=task, hyperparams=[{"section": marker, "name": marker, "value": marker}])
    api.tasks.edit_configuration(task=task, configuration=[{"name": marker, "value": marker}])
    api.tasks.add_or_update_artifacts(task=task, artifacts=[{"key": marker, "type": "t", "mode": "output"}])
    scalar = {"task": task, "type": "training_stats_scalar", "metric": marker, "variant": marker, "value": 1.0}
    api.call("events.add_batch", batch=[{**scalar, "iter": i} for i in range(3)])
    api.events.add(task=task, type="log", msg=marker, level="info", timestamp=1700000000000)
    queued = api.tasks.create(name=f"{marker} queued", type="training", project=project)["id"]
    queue = api.queues.create(name=f"{marker} queue", tags=[marker])["id"]
    api.tasks.enqueue(task=queued, queue=queue)
    model = api.models.create(name=f"{marker} model", uri=f"file:///{marker}", task=task, tags=[marker])["id"]
    worker = f"{marker}:gpu0"
    api.workers.register(worker=worker, queues=[queue])
    yield CompanyA(api, marker, project, task, queued, model, queue, worker)


@pytest.fixture(scope="module")
def intruder(root_api: ApiClient) -> ApiClient:
    """An admin of another company."""
    from api.conftest import new_tenant

    return new_tenant(root_api, role="admin")


def _body(a: CompanyA, service: str) -> dict[str, Any]:
    ids = {"tasks": [a.task, a.queued], "models": [a.model], "projects": [a.project], "queues": [a.queue]}
    return {
        "task": a.task,
        "tasks": [a.task, a.queued],
        "model": a.model,
        "models": [a.model],
        "project": a.project,
        "projects": [a.project],
        "queue": a.queue,
        "queue_ids": [a.queue],
        "ids": ids.get(service, [a.task]),
        "id": ids.get(service, [a.task])[0] if service in ("queues",) else ids.get(service, [a.task]),
        "user": a.api.user_id,  # type: ignore[attr-defined]
        "worker": a.worker,
        "parent": a.task,
        "override_model_id": a.model,
        # B knows A's ids, not A's names: the marker never appears in B's requests
        "metric": "guess",
        "variant": "guess",
        "metrics": [{"task": a.task, "metric": "guess"}],
        "hyperparams": [{"section": "guess", "name": "guess", "value": "changed"}],
        "configuration": [{"name": "guess", "value": "changed"}],
        "artifacts": [{"key": "guess", "type": "t", "mode": "output"}],
        "requirements": {"pip": "changed"},
        "force": True,
        "delete_contents": True,
        "name": "changed by b",
        "description": "changed by b",
        "company": a.api.company_id,  # type: ignore[attr-defined]
        "from_date": 0,
        "to_date": 2_000_000_000,
        "interval": 3600,
        "items": [{"key": "cpu_usage", "aggregation": "avg"}],
        "timestamp": 1700000000000,
        "preferences": {"a": 1},
        "status_reason": "b",
        "allow_locked": True,
    }


#: Bodies of a different shape for the same field names.
OVERRIDES: dict[str, dict[str, Any]] = {
    "tasks.delete_configuration": {"configuration": ["guess"]},
    "tasks.delete_hyper_params": {"hyperparams": [{"section": "guess", "name": "guess"}]},
    "tasks.edit": {"hyperparams": {"guess": {}}, "configuration": {"guess": {"name": "guess", "value": "x"}}},
}


_FILTERS = ("id", "user", "task", "project", "parent", "queue", "model")


@pytest.mark.parametrize("name", ACTIONS)
def test_another_companys_admin_neither_sees_nor_changes(name: str, company_a: CompanyA, intruder: ApiClient) -> None:
    before = company_a.snapshot()
    service = name.split(".")[0]
    body = {**_body(company_a, service), **OVERRIDES.get(name, {})}
    if ".get_all" in name:  # filters: lists of ids
        body.update({k: [v] for k, v in body.items() if k in _FILTERS and isinstance(v, str)})
    reply = intruder.call(name, body)
    text = str(reply.envelope)
    assert reply.status < 500, reply.envelope
    assert company_a.marker not in text, f"{name} showed company A's data: {text[:500]}"
    assert company_a.snapshot() == before, f"{name} changed company A's objects"


def test_session_ending_actions_do_not_touch_the_other_company(company_a: CompanyA, intruder: ApiClient) -> None:
    before = company_a.snapshot()
    a_key = company_a.api.key
    assert intruder.call("auth.revoke_credentials", {"access_key": a_key}).code == (400, 300)
    assert intruder.call("auth.logout").status == 200
    assert intruder.call("login.logout", {}, version="2.13").status == 200  # public: a revoked token is fine
    assert company_a.snapshot() == before
