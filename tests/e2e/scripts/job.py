"""A small job for the agents. Run locally once (``python job.py spec.json result.json``)
to create the template task, then cloned and executed by an agent (no arguments).
The SDK is named in the first import (the harness writes ``trains`` there for trains).
Python 3.8 compatible.
"""

import json
import sys
import time

from clearml import Task

task = Task.init(
    project_name="e2e jobs",
    task_name="job",
    reuse_last_task_id=False,
    auto_connect_frameworks=False,
    auto_resource_monitoring=False,
)
params = {"lr": 0.1, "steps": 3, "sleep": 0.0, "artifact": 0}
task.connect(params)
print(f"PARAM lr={params['lr']} steps={params['steps']}")
if int(params["artifact"]):
    task.upload_artifact("early", artifact_object={"lr": params["lr"]}, wait_on_upload=True)
logger = task.get_logger()
for i in range(int(params["steps"])):
    logger.report_scalar("progress", "step", value=float(i), iteration=i)
    print(f"step {i}")
    logger.flush()
    time.sleep(float(params["sleep"]))
print(f"JOB DONE lr={params['lr']}")
if len(sys.argv) > 2:
    json.dump({"task_id": task.id}, open(sys.argv[2], "w"))
