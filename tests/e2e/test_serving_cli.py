"""clearml-serving 1.3.5's CLI (PyPI, on clearml 2.1.12) against the server: a serving
service is created, a model file uploaded and registered with it, the model put behind an
endpoint, and everything listed back — as a user sets up model serving before starting
the serving containers. (The CLI calls no ``serving.*`` action; the inference container
of that release does not either: those are tested through HTTP in tests/api/test_serving.py.)
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

from e2e_harness import E2E, client_bin


def _serving(e2e: E2E, *args: str, timeout: float = 180) -> str:
    """Run ``clearml-serving ARGS`` (non-interactive) in its environment; its output."""
    program = client_bin("clearml-serving")
    workdir = e2e.workdir("clearml-serving")
    proc = subprocess.run(
        [str(program), "--yes", *args],
        cwd=workdir,
        env=e2e.env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        timeout=timeout,
        start_new_session=True,
    )
    output = proc.stdout.decode(errors="replace")
    (workdir / "output.log").write_text(output)
    assert proc.returncode == 0, f"clearml-serving {' '.join(args)} exited {proc.returncode}:\n{output[-6000:]}"
    return output


def _json_after(output: str, heading: str) -> dict:
    """The JSON object the CLI prints after ``heading`` (e.g. ``Endpoints:``)."""
    start = output.index(heading) + len(heading)
    decoder = json.JSONDecoder()
    value, _ = decoder.raw_decode(output[start:].lstrip())
    return value


def test_serving_cli_creates_a_service_and_serves_an_uploaded_model(e2e: E2E) -> None:
    project = f"serving-e2e-{e2e.run_id}"
    created = _serving(e2e, "create", "--name", "e2e service", "--project", project)
    found = re.search(r"New Serving Service created: id=([0-9a-f]{32})", created)
    assert found, created
    service = found.group(1)

    task = e2e.api.tasks.get_all(id=[service], only_fields=["type", "status", "system_tags", "name"])["tasks"][0]
    assert task["type"] == "service" and task["name"] == "e2e service"
    assert "serving-control-plane" in task["system_tags"]
    listed = _serving(e2e, "list")
    assert service in listed, listed

    weights = Path(e2e.workdir("serving-model")) / "model.pkl"
    weights.write_bytes(b"not really a pickled estimator" * 100)
    uploaded = _serving(
        e2e,
        "--id",
        service,
        "model",
        "upload",
        "--name",
        "e2e model",
        "--project",
        project,
        "--framework",
        "scikitlearn",
        "--path",
        str(weights),
    )
    models = e2e.api.models.get_all(name="e2e model", only_fields=["id", "uri", "project", "framework"])["models"]
    assert len(models) == 1, (models, uploaded)
    model = models[0]
    assert model["uri"].startswith(e2e.files_url), model
    projects = e2e.api.projects.get_all(name=project)["projects"]
    assert projects and model["project"] == projects[0]["id"]

    _serving(
        e2e,
        "--id",
        service,
        "model",
        "add",
        "--engine",
        "sklearn",
        "--endpoint",
        "e2e_sklearn",
        "--name",
        "e2e model",
        "--project",
        project,
    )
    endpoints = _json_after(_serving(e2e, "--id", service, "model", "list"), "Endpoints:")
    assert list(endpoints) == ["e2e_sklearn"], endpoints
    assert endpoints["e2e_sklearn"]["model_id"] == model["id"]
    assert endpoints["e2e_sklearn"]["engine_type"] == "sklearn"

    _serving(e2e, "--id", service, "model", "remove", "--endpoint", "e2e_sklearn")
    assert _json_after(_serving(e2e, "--id", service, "model", "list"), "Endpoints:") == {}
