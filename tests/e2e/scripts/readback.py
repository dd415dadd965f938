"""Read a finished task back through the SDK: ``python readback.py spec.json result.json``.

Downloads the debug image, the artifacts and the output model into the work directory and
reports what the SDK returned. Python 3.8 compatible.
"""

import json
import os
import shutil
import sys

spec = json.load(open(sys.argv[1]))
if spec["sdk"] == "clearml":
    from clearml import StorageManager, Task
else:
    from trains import StorageManager, Task

workdir = spec["workdir"]
task = Task.get_task(task_id=spec["task_id"])
result = {
    "id": task.id,
    "name": task.name,
    "status": task.get_status(),
    "parameters": task.get_parameters(),
    "scalars": task.get_reported_scalars(),
    "last_metrics": task.get_last_scalar_metrics(),
    "console": task.get_reported_console_output(number_of_reports=spec.get("reports", 100)),
    "console_last": task.get_reported_console_output(number_of_reports=1),
    "tags": list(task.get_tags() or []),
}
if "project" in spec:
    result["by_name"] = Task.get_task(project_name=spec["project"], task_name=spec["name"]).id
    result["in_project"] = [t.id for t in Task.get_tasks(project_name=spec["project"])]
if "configuration" in spec:
    text = task.get_configuration_object("model config")
    if spec["sdk"] == "clearml":
        from clearml.utilities.pyhocon import ConfigFactory
    else:
        from trains.utilities.pyhocon import ConfigFactory
    result["configuration_text"] = text
    result["configuration"] = ConfigFactory.parse_string(text).as_plain_ordered_dict() if text else None
if "histogram" in spec and spec["sdk"] == "clearml":
    result["plots"] = [(p["metric"], p["variant"], json.loads(p["plot_str"])) for p in task.get_reported_plots()]


def keep(path, name):
    target = os.path.join(workdir, name)
    shutil.copyfile(path, target)
    return target


if "image_title" in spec:
    if spec["sdk"] == "clearml":
        samples = task.get_debug_samples(spec["image_title"], spec["image_series"])
        result["debug_urls"] = [s["url"] for s in samples]
    else:
        from trains.backend_api.services import events

        reply = task.send(
            events.DebugImagesRequest(metrics=[events.TaskMetric(task=task.id, metric=spec["image_title"])], iters=1)
        )
        iterations = [it for m in reply.response.metrics for it in m["iterations"]]
        result["debug_urls"] = [e["url"] for it in iterations for e in it["events"]]
    if result["debug_urls"]:
        result["debug_image"] = keep(StorageManager.get_local_copy(result["debug_urls"][0]), "debug.png")

artifacts = task.artifacts
result["artifact_names"] = sorted(artifacts)
if "dict" in artifacts:
    result["dict_artifact"] = artifacts["dict"].get()
if "file" in artifacts:
    result["file_artifact"] = keep(artifacts["file"].get_local_copy(), "file_artifact.bin")
if spec["sdk"] == "clearml":
    models = task.models["output"]
else:
    # trains 0.16.4's Task.models compiles a regex that Python 3.11 rejects ("global flags
    # not at the start"): read the task's output model from its document instead
    from trains import Model

    models = [Model(model_id=task.data.output.model)] if task.data.output and task.data.output.model else []
result["models"] = [m.id for m in models]
if spec.get("model_id"):
    model = [m for m in models if m.id == spec["model_id"]][0]
    result["model_name"] = model.name
    result["model_file"] = keep(model.get_local_copy(), "model.bin")
json.dump(result, open(sys.argv[2], "w"))
