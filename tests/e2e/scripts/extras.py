"""Less common clearml paths: ``python extras.py spec.json result.json``.

StorageManager upload / download through the file server, an input model connected to a
new task (the model of an earlier task), and everything sent as POST when the harness sets
CLEARML_API_DEFAULT_REQ_METHOD. Python 3.8 compatible.
"""

import json
import os
import sys

from clearml import InputModel, StorageManager, Task

spec = json.load(open(sys.argv[1]))
workdir = spec["workdir"]
source = os.path.join(workdir, "upload.bin")
with open(source, "wb") as handle:
    handle.write(bytes(range(256)) * 3)
url = StorageManager.upload_file(source, spec["files_url"] + "/e2e storage/" + spec["run_id"] + "/upload.bin")
copy = StorageManager.get_local_copy(url)
same = open(copy, "rb").read() == open(source, "rb").read()

task = Task.init(
    project_name=spec["project"],
    task_name="uses a model",
    reuse_last_task_id=False,
    auto_connect_frameworks=False,
    auto_resource_monitoring=False,
)
model = InputModel(model_id=spec["model_id"])
# not task.connect(model): at API level 2.9 clearml 2.1.12 builds tasks.GetAllRequest with
# search_hidden, which its own v2.9 request model rejects (ValueError before any request)
task.set_input_model(model_id=model.id)
weights = open(model.get_local_copy(), "rb").read()
task.close()
again = Task.get_task(task_id=task.id)
json.dump(
    {
        "url": url,
        "same_bytes": same,
        "task_id": task.id,
        "input_models": [m.id for m in again.models["input"]],
        "weights_len": len(weights),
        "model_name": model.name,
    },
    open(sys.argv[2], "w"),
)
