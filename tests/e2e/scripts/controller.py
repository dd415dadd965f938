"""A pipeline controller task as the web app starts runs of it: type ``controller``,
system tag ``pipeline``, its arguments in the ``Args`` section. Run locally once
(``python controller.py spec.json result.json``) to create it; a run started with
``pipelines.start_pipeline`` is executed by an agent (no arguments)."""

import json
import sys

from clearml import Task

task = Task.init(
    project_name="e2e pipelines",
    task_name="e2e pipeline",
    task_type=Task.TaskTypes.controller,
    reuse_last_task_id=False,
    auto_connect_frameworks=False,
    auto_resource_monitoring=False,
)
if len(sys.argv) > 2:  # the local run that makes the controller
    task.set_system_tags(list(set(task.get_system_tags() or []) | {"pipeline"}))
args = {"dataset": "small", "epochs": 1}
task.connect(args, name="Args")
print(f"PIPELINE dataset={args['dataset']} epochs={args['epochs']}")
task.get_logger().report_scalar("pipeline", "epochs", value=float(args["epochs"]), iteration=0)
if len(sys.argv) > 2:
    json.dump({"task_id": task.id}, open(sys.argv[2], "w"))
