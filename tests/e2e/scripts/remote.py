"""Clone a task with changed hyper-parameters and optionally enqueue it:
``python remote.py spec.json result.json``. Python 3.8 compatible."""

import json
import sys

spec = json.load(open(sys.argv[1]))
if spec["sdk"] == "clearml":
    from clearml import Task
else:
    from trains import Task

source = Task.get_task(task_id=spec["template_id"])
clone = Task.clone(source_task=source, name=spec["clone_name"])
for name, value in spec["changes"].items():
    clone.set_parameter(name, value)
if spec.get("queue"):
    Task.enqueue(clone, queue_name=spec["queue"])
json.dump({"clone_id": clone.id, "status": str(clone.get_status())}, open(sys.argv[2], "w"))
