"""Steps shared by the remote-execution and control flows."""

from __future__ import annotations

import os
from typing import Any

from e2e_harness import E2E, client_bin

TERMINAL = {"completed", "failed", "stopped", "closed", "published"}
#: read-back keys holding local paths, which differ from run to run (compare their bytes)
LOCAL_COPIES = ("debug_image", "file_artifact", "model_file")
# trains tasks import jwt so that PyJWT (1.7.1) is among their detected requirements
TRAINS_IMPORT = {"from clearml import Task": "import jwt  # noqa: F401\nfrom trains import Task"}


def make_template(e2e: E2E, client: str = "clearml", **params: Any) -> str:
    """Run ``job.py`` locally once; its task is the template the flows clone."""
    replace = TRAINS_IMPORT if client.startswith("trains") else None
    spec = {"params": params}
    return str(e2e.run(client, "job.py", spec, timeout=180, replace=replace).result["task_id"])


def clone_task(
    e2e: E2E, template_id: str, changes: dict[str, Any], queue: str | None = None, client: str = "clearml"
) -> str:
    spec = {
        "sdk": "trains" if client.startswith("trains") else "clearml",
        "template_id": template_id,
        "clone_name": f"clone {e2e.run_id} {sorted(changes.items())}",
        "changes": changes,
        "queue": queue,
    }
    return str(e2e.run(client, "remote.py", spec, timeout=120).result["clone_id"])


def new_queue(e2e: E2E, label: str) -> str:
    """A fresh queue per flow (stale entries of a shared queue would be picked up)."""
    name = f"e2e-{e2e.run_id}-{label}"
    e2e.api.queues.create(name=name)
    return name


def clearml_agent_env(e2e: E2E, worker: str) -> dict[str, str]:
    return {
        "CLEARML_WORKER_ID": worker,
        "CLEARML_AGENT_SKIP_PIP_VENV_INSTALL": str(client_bin("clearml")),
        "CLEARML_AGENT_SKIP_PYTHON_ENV_INSTALL": "1",
    }


def trains_agent_env(e2e: E2E, worker: str) -> dict[str, str]:
    """trains-agent builds a virtual environment for the task with the first python3.8 on
    PATH (the trains38 environment, which has virtualenv) and installs the task's
    requirements with pip from the prepared wheelhouse only."""
    python38 = client_bin("trains38")
    wheelhouse = python38.parents[2] / "wheelhouse"
    return {
        "TRAINS_WORKER_ID": worker,
        "PATH": f"{python38.parent}:{os.environ.get('PATH', '')}",
        "PIP_NO_INDEX": "1",
        "PIP_FIND_LINKS": str(wheelhouse),
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
    }


def agent_env(e2e: E2E, agent_client: str, worker: str) -> dict[str, str]:
    return clearml_agent_env(e2e, worker) if agent_client == "clearml-agent" else trains_agent_env(e2e, worker)


def read_back(e2e: E2E, task_id: str, client: str = "clearml") -> dict[str, Any]:
    sdk = "trains" if client.startswith("trains") else "clearml"
    return e2e.run(client, "readback.py", {"sdk": sdk, "task_id": task_id}, timeout=120).result


def workers(e2e: E2E) -> dict[str, dict[str, Any]]:
    return {w["id"]: w for w in e2e.api.workers.get_all()["workers"]}


def without_copies(back: dict[str, Any]) -> dict[str, Any]:
    """A read-back without its local paths (``LOCAL_COPIES``)."""
    return {k: v for k, v in back.items() if k not in LOCAL_COPIES}
