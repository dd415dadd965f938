"""Pipelines: a run started through ``pipelines.start_pipeline`` (as the web app's "run"
button does) is picked up by clearml-agent and runs with the arguments it was given; a
``PipelineController`` of two function steps runs locally, and with its steps enqueued
they are run by clearml-agent (clearml 2.1.12 at v2.23)."""

from __future__ import annotations

from e2e_flows import TERMINAL, agent_env, new_queue, read_back, workers
from e2e_harness import E2E


def test_a_started_pipeline_run_is_executed_by_clearml_agent(e2e: E2E) -> None:
    controller = str(e2e.run("clearml", "controller.py", {}, timeout=180).result["task_id"])
    stored = e2e.task(controller, "type", "system_tags", "status")
    assert stored["type"] == "controller" and "pipeline" in stored["system_tags"]
    queue_name = new_queue(e2e, "pipelines")
    queue = e2e.api.queues.get_all(name=f"^{queue_name}$")["queues"][0]["id"]

    api = e2e.api.with_version("2.28")
    args = [{"name": "dataset", "value": "large"}, {"name": "epochs", "value": 3}]
    started = api.pipelines.start_pipeline(task=controller, queue=queue, args=args)
    run = started["pipeline"]
    assert started["enqueued"] is True and e2e.task(run, "status")["status"] == "queued"

    worker = f"e2e-{e2e.run_id}:pipelines"
    agent = e2e.start_agent(
        "clearml-agent", ["daemon", "--queue", queue_name, "--foreground"], env=agent_env(e2e, "clearml-agent", worker)
    )
    try:
        e2e.wait_for(f"worker {worker} in workers.get_all", lambda: worker in workers(e2e), 60)
        status = e2e.wait_status(run, TERMINAL, 240, agent)
    finally:
        agent.stop()
    back = read_back(e2e, run)
    console = "\n".join(back["console"])
    assert status == "completed", console[-3000:]
    assert "PIPELINE dataset=large epochs=3" in console, console[-3000:]
    assert back["scalars"]["pipeline"]["epochs"]["y"] == [3.0]
    assert e2e.task(controller, "status")["status"] == "completed"  # the controller is untouched


def _check_steps(e2e: E2E, result: dict, project: str) -> None:
    steps = result["steps"]
    assert steps["double"]["status"] == "completed" and steps["add_one"]["status"] == "completed", steps
    assert steps["double"]["value"] == 6 and steps["add_one"]["value"] == 7, steps
    assert steps["double"]["parent"] == result["controller"] == steps["add_one"]["parent"]
    controller = e2e.task(result["controller"], "type", "system_tags", "status")
    assert controller["type"] == "controller" and "pipeline" in controller["system_tags"]
    assert controller["status"] == "completed"
    # the SDK files the controller and its steps under the hidden <project>/.pipelines/<name>
    hidden = {p["name"] for p in e2e.api.projects.get_all(name=f"^{project}", search_hidden=True)["projects"]}
    visible = {p["name"] for p in e2e.api.projects.get_all(name=f"^{project}")["projects"]}
    assert steps["double"]["project"] in hidden - visible, (hidden, visible)
    assert "/.pipelines/" in steps["double"]["project"]


def test_a_pipeline_of_two_steps_runs_locally(e2e: E2E) -> None:
    """``PipelineController.start_locally(run_pipeline_steps_locally=True)``: the
    controller and both function steps run in this process's children."""
    project = f"e2e pipeline steps {e2e.run_id}"
    spec = {"mode": "local", "name": "two steps", "project": project}
    result = e2e.run("clearml", "pipeline_steps.py", spec, timeout=300).result
    _check_steps(e2e, result, project)


def test_a_pipelines_steps_are_run_by_clearml_agent(e2e: E2E) -> None:
    """The same pipeline with its steps enqueued: clearml-agent runs each step."""
    project = f"e2e pipeline agent {e2e.run_id}"
    queue_name = new_queue(e2e, "pipeline-steps")
    worker = f"e2e-{e2e.run_id}:pipeline-steps"
    agent = e2e.start_agent(
        "clearml-agent", ["daemon", "--queue", queue_name, "--foreground"], env=agent_env(e2e, "clearml-agent", worker)
    )
    try:
        e2e.wait_for(f"worker {worker} in workers.get_all", lambda: worker in workers(e2e), 60)
        spec = {"mode": "agent", "name": "agent steps", "project": project, "queue": queue_name}
        result = e2e.run("clearml", "pipeline_steps.py", spec, timeout=480).result
    finally:
        agent.stop()
    _check_steps(e2e, result, project)
