"""Tracking flow, run inside a client environment: ``python track.py spec.json result.json``.

Works with both ``clearml`` and ``trains`` (chosen by spec["sdk"]): reports everything the
spec lists through the SDK and closes the task. Python 3.8 compatible.
"""

import json
import sys

spec = json.load(open(sys.argv[1]))
if spec["sdk"] == "clearml":
    from clearml import OutputModel, Task
else:
    from trains import OutputModel, Task

task = Task.init(
    project_name=spec["project"],
    task_name=spec["name"],
    reuse_last_task_id=False,
    auto_connect_frameworks=False,
    auto_resource_monitoring=False,
)
params = dict(spec["params"])
task.connect(params)
configuration = task.connect_configuration(dict(spec["configuration"]), name="model config")
task.add_tags(spec["tags"])
logger = task.get_logger()
logger.report_histogram("histogram", "counts", values=spec["histogram"], iteration=0)
for metric, variants in spec["scalars"].items():
    for variant, values in variants.items():
        for iteration, value in enumerate(values):
            logger.report_scalar(metric, variant, value=value, iteration=iteration)
logger.report_text(spec["text"])
print(spec["console"])
logger.report_image(spec["image_title"], spec["image_series"], iteration=0, local_path=spec["image_file"])
task.upload_artifact("dict", artifact_object=spec["dict_artifact"])
task.upload_artifact("file", artifact_object=spec["file_artifact"])
model = OutputModel(task=task, name=spec["model_name"])
model.update_weights(weights_filename=spec["model_file"], auto_delete_file=False)
logger.flush()
task.flush(wait_for_uploads=True)
result = {"task_id": task.id, "model_id": model.id}
task.close()
json.dump(result, open(sys.argv[2], "w"))
