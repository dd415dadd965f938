"""A pipeline run started through ``pipelines.start_pipeline`` (as the web app's "run"
button does) is picked up by clearml-agent and runs with the arguments it was given."""

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
