"""Flow 3: control. A running task is aborted from the API (the agent stops it), then
reset (its events and outputs are gone); the daemon's worker is listed while it runs."""

from __future__ import annotations

import pytest
from e2e_flows import TERMINAL, agent_env, clone_task, make_template, new_queue, read_back, workers
from e2e_harness import E2E


@pytest.mark.parametrize(("client", "agent_client"), [("clearml", "clearml-agent"), ("trains38", "trains-agent")])
def test_stop_running_task_then_reset(e2e: E2E, client: str, agent_client: str) -> None:
    template = make_template(e2e, client)
    queue = new_queue(e2e, f"control-{agent_client}")
    changes = {"General/steps": 600, "General/sleep": 0.2, "General/artifact": 1}
    clone = clone_task(e2e, template, changes, queue=queue, client=client)

    worker = f"e2e-{e2e.run_id}:control-{agent_client}"
    agent = e2e.start_agent(
        agent_client, ["daemon", "--queue", queue, "--foreground"], env=agent_env(e2e, agent_client, worker)
    )
    try:
        e2e.wait_status(clone, {"in_progress"} | TERMINAL, 240, agent)
        e2e.wait_for(
            "the task to report 5 iterations",
            lambda: (e2e.task(clone, "last_iteration").get("last_iteration") or 0) >= 5,
            120,
        )
        listed = workers(e2e)
        assert worker in listed, sorted(listed)
        assert (listed[worker].get("task") or {}).get("id") == clone, listed[worker]

        e2e.api.tasks.stop(task=clone)
        status = e2e.wait_status(clone, TERMINAL, 90, agent)
        assert status == "stopped"
        assert agent.running(), "the daemon must survive an aborted task"
        e2e.wait_for("the worker to be idle", lambda: not (workers(e2e)[worker].get("task") or {}).get("id"), 60)
    finally:
        agent.stop()
    e2e.wait_for("the worker to unregister", lambda: worker not in workers(e2e), 30)

    stopped = read_back(e2e, clone, client)
    assert stopped["status"] == "stopped"
    assert "early" in stopped["artifact_names"]
    assert stopped["scalars"]["progress"]["step"]["x"][:5] == [0, 1, 2, 3, 4]
    console = "\n".join(stopped["console"])
    assert "step 4" in console and "JOB DONE" not in console

    e2e.api.tasks.reset(task=clone)
    after = read_back(e2e, clone, client)
    assert after["status"] == "created"
    assert after["scalars"] == {}
    assert after["console"] == []
    assert after["artifact_names"] == []
    assert after["models"] == []
    assert after["parameters"]["General/steps"] == "600"  # inputs stay
    doc = e2e.task(clone, "status", "last_iteration", "last_metrics", "execution")
    assert not doc.get("last_metrics"), doc
    assert not (doc.get("execution") or {}).get("artifacts"), doc
