"""The modern SDK's smaller paths: ``python modern.py spec.json result.json``.

Model metadata (``OutputModel.set_metadata``, read back through ``Model``), single-value
scalars (``report_single_value`` / ``get_reported_single_value``) and
``Task.get_num_enqueued_tasks``. Python 3.8 compatible.
"""

import json
import os
import sys

from clearml import Model, OutputModel, Task

spec = json.load(open(sys.argv[1]))
workdir = spec["workdir"]
task = Task.init(
    project_name=spec["project"],
    task_name="modern paths",
    reuse_last_task_id=False,
    auto_connect_frameworks=False,
    auto_resource_monitoring=False,
)
weights = os.path.join(workdir, "weights.bin")
with open(weights, "wb") as handle:
    handle.write(b"modern weights" * 100)
model = OutputModel(task=task, name="modern model", framework="PyTorch")
model.update_weights(weights_filename=weights)
for key, (value, v_type) in spec["metadata"].items():
    model.set_metadata(key, value, v_type)
task.get_logger().report_single_value(spec["single"], spec["single_value"])
task.flush(wait_for_uploads=True)
task.close()

back = Model(model_id=model.id)
again = Task.get_task(task_id=task.id)
result = {
    "model_id": model.id,
    "metadata": {key: back.get_metadata(key) for key in spec["metadata"]},
    "all_metadata": back.get_all_metadata(),
    "single": again.get_reported_single_value(spec["single"]),
    "singles": again.get_reported_single_values(),
    "enqueued": Task.get_num_enqueued_tasks(queue_name=spec["queue"]),
}
json.dump(result, open(sys.argv[2], "w"))
