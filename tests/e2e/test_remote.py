"""Flow 2: remote execution. A task made by the SDK is cloned with a changed parameter,
enqueued and run by the real agent; the clone completes with the changed parameter."""

from __future__ import annotations

import pytest
from e2e_flows import (
    TERMINAL,
    agent_env,
    clone_task,
    make_template,
    new_queue,
    read_back,
    workers,
)
from e2e_harness import E2E


def check_completed_with(e2e: E2E, clone_id: str, lr: float, status: str, client: str = "clearml") -> None:
    back = read_back(e2e, clone_id, client)
    assert status == "completed", back.get("console")
    assert back["status"] == "completed"
    assert back["parameters"]["General/lr"] == str(lr)
    console = "\n".join(back["console"])
    assert f"PARAM lr={lr}" in console, console[-3000:]
    assert f"JOB DONE lr={lr}" in console, console[-3000:]


def daemon_runs_clone(e2e: E2E, client: str, agent_client: str, lr: float, timeout: float) -> None:
    """Template → clone with lr changed → enqueue → ``<agent> daemon --queue Q --foreground``
    (its worker listed while it runs) → the clone completes with the new lr."""
    template = make_template(e2e, client)
    queue = new_queue(e2e, agent_client)
    clone = clone_task(e2e, template, {"General/lr": lr}, queue=queue, client=client)
    assert e2e.task(clone, "status")["status"] == "queued"

    worker = f"e2e-{e2e.run_id}:{agent_client}"
    agent = e2e.start_agent(
        agent_client, ["daemon", "--queue", queue, "--foreground"], env=agent_env(e2e, agent_client, worker)
    )
    try:
        e2e.wait_for(f"worker {worker} in workers.get_all", lambda: worker in workers(e2e), 60)
        status = e2e.wait_status(clone, TERMINAL, timeout, agent)
    finally:
        agent.stop()
    check_completed_with(e2e, clone, lr, status, client)
    assert e2e.task(template, "status")["status"] == "completed"  # the template is untouched


def test_clearml_agent_daemon_runs_a_cloned_task(e2e: E2E) -> None:
    daemon_runs_clone(e2e, "clearml", "clearml-agent", 0.5, 240)


def test_trains_agent_daemon_runs_a_cloned_task(e2e: E2E) -> None:
    # trains-agent builds a virtual environment and pip-installs the task's requirements
    # (from the local wheelhouse): slower
    daemon_runs_clone(e2e, "trains38", "trains-agent", 0.75, 300)


@pytest.mark.parametrize(("client", "agent_client"), [("clearml", "clearml-agent"), ("trains38", "trains-agent")])
def test_agent_execute_runs_a_cloned_task(e2e: E2E, client: str, agent_client: str) -> None:
    template = make_template(e2e, client)
    clone = clone_task(e2e, template, {"General/lr": 0.25}, client=client)
    worker = f"e2e-{e2e.run_id}:execute-{agent_client}"
    agent = e2e.start_agent(agent_client, ["execute", "--id", clone], env=agent_env(e2e, agent_client, worker))
    try:
        code = agent.wait(300)
        assert code == 0, f"{agent_client} execute exited {code}:\n{agent.output()[-6000:]}"
    finally:
        agent.stop()
    check_completed_with(e2e, clone, 0.25, e2e.task(clone, "status")["status"], client)
