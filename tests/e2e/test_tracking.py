"""Flow 1: tracking with the clearml and trains SDKs, everything read back through the SDK."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from e2e_harness import E2E, png_bytes

SERIES = {"loss": ("train", "validation"), "accuracy": ("train",)}
ITERATIONS = 120


def scalar_values(salt: int) -> dict[str, dict[str, list[float]]]:
    # multiples of 1/8: exact in float32 as well as in float64
    out: dict[str, dict[str, list[float]]] = {}
    for m, (metric, variants) in enumerate(SERIES.items()):
        for v, variant in enumerate(variants):
            k = salt + 3 * m + v
            out.setdefault(metric, {})[variant] = [((i * (k + 5)) % 37) * 0.125 + k for i in range(ITERATIONS)]
    return out


def make_spec(e2e: E2E, sdk: str, workdir: Path) -> dict[str, Any]:
    image = workdir / "debug.png"
    image.write_bytes(png_bytes(6, 4, lambda x, y: (40 * x, 60 * y, 200)))
    artifact = workdir / "payload.bin"
    artifact.write_bytes(bytes(range(256)) * 5 + b"end")
    weights = workdir / "weights.bin"
    weights.write_bytes(b"\x00\x01weights" * 300)
    return {
        "sdk": sdk,
        "project": f"e2e {sdk} {e2e.run_id}",
        "name": f"tracking {sdk} ü+%",
        "params": {"lr": 0.125, "batch_size": 32, "optimizer": "adam", "dropout": 0.5},
        "scalars": scalar_values(2),
        "text": f"report_text from {sdk}: ünïcode ✓",
        "console": f"console line from {sdk} {e2e.run_id}",
        "image_title": "debug",
        "image_series": "gradient",
        "image_file": str(image),
        "dict_artifact": {"x": 1, "y": [1, 2, 3], "name": "dict artifact", "nested": {"f": 0.5}},
        "file_artifact": str(artifact),
        "model_name": f"model {sdk}",
        "model_file": str(weights),
        "configuration": {"layers": [64, 32], "activation": "relu", "dropout": 0.25},
        "tags": ["e2e", f"run-{e2e.run_id}"],
        "histogram": [3, 1, 4, 1, 5],
    }


@pytest.mark.parametrize("sdk", ["clearml", "trains"])
def test_tracking_round_trip(e2e: E2E, sdk: str) -> None:
    spec = make_spec(e2e, sdk, e2e.workdir(f"inputs-{sdk}"))
    made = e2e.run(sdk, "track.py", spec, timeout=240).result
    task_id = made["task_id"]

    back = e2e.run(sdk, "readback.py", {**spec, **made}, timeout=180).result

    assert back["id"] == task_id
    assert back["name"] == spec["name"]
    assert back["status"] == "completed"
    assert back["parameters"] == {f"General/{k}": str(v) for k, v in spec["params"].items()}

    assert back["by_name"] == task_id
    assert back["in_project"] == [task_id]
    assert set(spec["tags"]) <= set(back["tags"])
    assert back["configuration"] == spec["configuration"], back["configuration_text"]
    if sdk == "clearml":
        plots = {(metric, variant): plot for metric, variant, plot in back["plots"]}
        assert ("histogram", "counts") in plots, sorted(plots)
        assert [int(y) for y in plots["histogram", "counts"]["data"][0]["y"]] == spec["histogram"]

    scalars = back["scalars"]
    for metric, variants in spec["scalars"].items():
        for variant, values in variants.items():
            series = scalars[metric][variant]
            assert series["x"] == list(range(ITERATIONS)), (metric, variant)
            assert series["y"] == values, (metric, variant)
    assert set(scalars) == set(spec["scalars"])

    last = back["last_metrics"]
    for metric, variants in spec["scalars"].items():
        for variant, values in variants.items():
            got = last[metric][variant]
            assert got["last"] == values[-1], (metric, variant, got)
            if "min" in got or sdk == "clearml":
                assert got["min"] == min(values), (metric, variant, got)
                assert got["max"] == max(values), (metric, variant, got)

    # number_of_reports=N: the last N reports (the SDK batches lines into reports)
    assert back["console"] and back["console_last"] == back["console"][-1:]
    console = "\n".join(back["console"])
    assert spec["console"] in console
    assert spec["text"] in console

    assert len(back["debug_urls"]) == 1, back["debug_urls"]
    assert back["debug_urls"][0].startswith(e2e.files_url)
    assert Path(back["debug_image"]).read_bytes() == Path(spec["image_file"]).read_bytes()

    assert {"dict", "file"} <= set(back["artifact_names"])
    assert back["dict_artifact"] == spec["dict_artifact"]
    assert Path(back["file_artifact"]).read_bytes() == Path(spec["file_artifact"]).read_bytes()

    assert made["model_id"] in back["models"]
    assert back["model_name"] == spec["model_name"]
    assert Path(back["model_file"]).read_bytes() == Path(spec["model_file"]).read_bytes()

    # the server's own view agrees with what the SDK read
    doc = e2e.task(task_id, "status", "last_iteration", "execution.artifacts")
    assert doc["status"] == "completed"
    assert doc["last_iteration"] == ITERATIONS - 1, json.dumps(doc)[:2000]


def test_rerun_reuses_the_development_task(e2e: E2E) -> None:
    """Task.init's default (reuse_last_task_id=True): a second run of the same script
    resets and reuses the task (tasks.reset through the SDK); the first run's events are
    gone, so the series holds only the second run's values."""
    project = f"e2e reuse {e2e.run_id}"
    base = {
        "reuse_last_task_id=False": "reuse_last_task_id=True",
        'project_name="e2e jobs"': f'project_name="{project}"',
    }
    first = e2e.run("clearml", "job.py", replace=base).result["task_id"]
    second_run = e2e.run("clearml", "job.py", replace={**base, "value=float(i)": "value=float(i) + 100"})
    assert second_run.result["task_id"] == first, second_run.output[-3000:]
    back = e2e.run("clearml", "readback.py", {"sdk": "clearml", "task_id": first}).result
    assert back["status"] == "completed"
    series = back["scalars"]["progress"]["step"]
    assert (series["x"], series["y"]) == ([0, 1, 2], [100.0, 101.0, 102.0])
    console = "\n".join(back["console"])
    assert console.count("JOB DONE") == 1, console[-3000:]


def test_storage_manager_input_model_and_post_requests(e2e: E2E) -> None:
    """StorageManager upload/download, an input model taken from an earlier task, all
    API calls sent as POST (CLEARML_API_DEFAULT_REQ_METHOD)."""
    spec = {**make_spec(e2e, "clearml", e2e.workdir("inputs-extras")), "project": f"e2e extras {e2e.run_id}"}
    made = e2e.run("clearml", "track.py", {**spec, "name": "model source"}, timeout=240).result
    mark = e2e.recorder.mark() if e2e.recorder else 0
    extras = {"project": spec["project"], "model_id": made["model_id"], "files_url": e2e.files_url}
    extras["run_id"] = e2e.run_id
    result = e2e.run("clearml", "extras.py", extras, env={"CLEARML_API_DEFAULT_REQ_METHOD": "POST"}).result

    assert result["url"].startswith(e2e.files_url + "/")
    assert result["same_bytes"] is True
    assert result["input_models"] == [made["model_id"]]
    assert result["model_name"] == spec["model_name"]
    assert result["weights_len"] == len(Path(spec["model_file"]).read_bytes())
    assert e2e.recorder
    methods = {e.method for e in e2e.recorder.since(mark) if e.path != "/auth.login"}
    assert methods == {"POST"}, methods
