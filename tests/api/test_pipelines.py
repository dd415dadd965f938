"""pipelines.* (start_pipeline 2.17/2.28, delete_runs 2.26): runs of a pipeline are clones
of its controller task, started with new Args values and deleted with their steps."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from support.client import ApiClient


@pytest.fixture
def api(tenant: ApiClient) -> ApiClient:
    return tenant.with_version("2.28")


def _pipeline(api: ApiClient) -> dict[str, str]:
    """A project with a pipeline controller (as clearml's PipelineController makes it) and a queue."""
    name = f"pipe-{uuid.uuid4().hex[:8]}"
    project = api.projects.create(name=name, description="a pipeline")["id"]
    hyperparams = {
        "Args": {
            "lr": {"section": "Args", "name": "lr", "value": "0.1", "type": "float", "description": "rate"},
            "steps": {"section": "Args", "name": "steps", "value": "10"},
        },
        "Properties": {"version": {"section": "Properties", "name": "version", "value": "1.0.0"}},
    }
    controller = api.call(
        "tasks.create",
        {
            "name": name,
            "type": "controller",
            "project": project,
            "system_tags": ["pipeline"],
            "hyperparams": hyperparams,
            "configuration": {"Pipeline": {"name": "Pipeline", "value": "{}", "type": "dictionary"}},
        },
    ).data["id"]
    queue = api.queues.create(name=f"q-{name}")["id"]
    return {"name": name, "project": project, "controller": controller, "queue": queue}


def _tasks_in(api: ApiClient, project: str) -> list[dict[str, Any]]:
    fields = ["id", "name", "status", "type", "system_tags", "parent", "hyperparams", "execution.queue"]
    return api.tasks.get_all(project=[project], only_fields=fields)["tasks"]


def test_a_run_is_a_clone_with_the_new_args_enqueued_and_numbered(api: ApiClient) -> None:
    p = _pipeline(api)
    args = [{"name": "lr", "value": "0.5"}, {"name": "batch", "value": 32}, {"name": "fast", "value": True}]
    started = api.pipelines.start_pipeline(task=p["controller"], queue=p["queue"], args=args, verify_watched_queue=True)
    assert started["enqueued"] is True and started["queue_watched"] is False
    run = api.tasks.get_by_id(task=started["pipeline"])["task"]
    assert run["name"] == f"{p['name']} #1"
    assert (run["status"], run["type"], run["execution"]["queue"]) == ("queued", "controller", p["queue"])
    assert "pipeline" in run["system_tags"]
    params = run["hyperparams"]
    assert params["Args"]["lr"] == {
        "section": "Args",
        "name": "lr",
        "value": "0.5",
        "type": "float",
        "description": "rate",
    }
    assert params["Args"]["steps"]["value"] == "10"  # not given: the controller's
    assert (params["Args"]["batch"]["value"], params["Args"]["fast"]["value"]) == ("32", "True")
    assert params["Properties"]["version"]["value"] == "1.0.0"  # other sections are kept
    assert "Pipeline" in run["configuration"]
    entries = api.queues.get_by_id(queue=p["queue"])["queue"]["entries"]
    assert [e["task"] for e in entries] == [run["id"]]
    controller = api.tasks.get_by_id(task=p["controller"])["task"]
    assert controller["status"] == "created" and controller["hyperparams"]["Args"]["lr"]["value"] == "0.1"

    worker = f"w-{uuid.uuid4().hex[:6]}"
    api.call("workers.register", {"worker": worker, "queues": [p["queue"]]}, version="2.9")
    again = api.pipelines.start_pipeline(task=p["controller"], queue=p["queue"], verify_watched_queue=True)
    assert again["queue_watched"] is True
    assert api.tasks.get_by_id(task=again["pipeline"])["task"]["name"] == f"{p['name']} #2"
    without = api.pipelines.start_pipeline(task=p["controller"], queue=p["queue"])
    assert "queue_watched" not in without  # only when asked


def test_start_pipeline_at_2_17_and_not_below(tenant: ApiClient) -> None:
    p = _pipeline(tenant)
    reply = tenant.call("pipelines.start_pipeline", {"task": p["controller"], "queue": p["queue"]}, version="2.17")
    assert reply.code == (200, 0) and set(reply.data) == {"pipeline", "enqueued"}
    assert tenant.call("pipelines.start_pipeline", {"task": p["controller"]}, version="2.16").code != (200, 0)


def test_start_pipeline_refusals_leave_no_run_behind(api: ApiClient) -> None:
    p = _pipeline(api)
    before = len(_tasks_in(api, p["project"]))
    unknown_queue = api.call("pipelines.start_pipeline", {"task": p["controller"], "queue": "nope"})
    assert unknown_queue.code == (400, 701)
    unknown_task = api.call("pipelines.start_pipeline", {"task": "nope", "queue": p["queue"]})
    assert unknown_task.code == (400, 101)
    no_default = api.call("pipelines.start_pipeline", {"task": p["controller"]})  # a new company has none
    assert no_default.code == (400, 707)
    bad_args = api.call("pipelines.start_pipeline", {"task": p["controller"], "args": [{"value": "x"}]})
    assert bad_args.code == (400, 12) and "name" in bad_args.meta["result_msg"]
    nested = api.call("pipelines.start_pipeline", {"task": p["controller"], "args": [{"name": "a", "value": {}}]})
    assert nested.code == (400, 12) and "value" in nested.meta["result_msg"]
    assert len(_tasks_in(api, p["project"])) == before
    assert api.queues.get_by_id(queue=p["queue"])["queue"]["entries"] == []


def test_delete_runs_deletes_runs_with_their_steps_and_keeps_one(api: ApiClient) -> None:
    p = _pipeline(api)
    runs = [api.pipelines.start_pipeline(task=p["controller"], queue=p["queue"])["pipeline"] for _ in range(2)]
    step = api.tasks.create(name="step one", type="training", project=p["project"], parent=runs[0])["id"]
    other = api.tasks.create(name="not a run", type="training", project=p["project"])["id"]
    elsewhere = api.projects.create(name=f"{p['name']}-other", description="")["id"]
    step_clone = api.tasks.clone(task=step, new_task_project=elsewhere)["id"]  # keeps the parent: not a step

    everything = api.call("pipelines.delete_runs", {"project": p["project"], "ids": [*runs, p["controller"]]})
    assert everything.code == (400, 1010)  # no run of the pipeline would remain
    assert len(_tasks_in(api, p["project"])) == 5

    deleted = api.pipelines.delete_runs(project=p["project"], ids=[runs[0], other, runs[0]])
    assert deleted["failed"] == []
    [done] = deleted["succeeded"]
    assert (done["id"], done["deleted"], done["deleted_steps"]) == (runs[0], True, 1)
    left = {t["id"] for t in _tasks_in(api, p["project"])}
    assert left == {p["controller"], runs[1], other}  # the step went with its run, the non-run stayed
    assert api.call("tasks.get_by_id", {"task": step}).code == (400, 101)
    assert api.tasks.get_by_id(task=step_clone)["task"]["project"] == elsewhere
    assert [e["task"] for e in api.queues.get_by_id(queue=p["queue"])["queue"]["entries"]] == [runs[1]]

    nothing = api.pipelines.delete_runs(project=p["project"], ids=[other])  # not a run: ignored
    assert nothing == {"succeeded": [], "failed": []}
    assert api.call("pipelines.delete_runs", {"project": p["project"], "ids": []}).code == (400, 12)
    assert api.call("pipelines.delete_runs", {"ids": [runs[1]]}).code == (400, 12)
    assert api.call("pipelines.delete_runs", {"project": "nope", "ids": [runs[1]]}).code == (400, 401)
    assert api.call("pipelines.delete_runs", {"project": p["project"], "ids": [runs[1]]}, version="2.25").code != (
        200,
        0,
    )


def test_another_companys_controller_is_not_started(api: ApiClient, make_tenant: Any) -> None:
    p = _pipeline(api)
    stranger = make_tenant().with_version("2.28")
    queue = stranger.queues.create(name="theirs")["id"]
    assert stranger.call("pipelines.start_pipeline", {"task": p["controller"], "queue": queue}).code == (400, 101)
    assert stranger.call("pipelines.delete_runs", {"project": p["project"], "ids": [p["controller"]]}).code == (
        400,
        401,
    )
    assert api.tasks.get_by_id(task=p["controller"])["task"]["status"] == "created"
