"""A two-step ``PipelineController`` (function steps): ``python pipeline_steps.py spec.json
result.json``. With ``spec["mode"] == "local"`` the controller and both steps run here
(``start_locally(run_pipeline_steps_locally=True)``); with ``"agent"`` the controller runs
here and enqueues its steps to ``spec["queue"]``, where clearml-agent runs them. Python
3.8 compatible."""

import json
import sys

from clearml import PipelineController, Task

spec = json.load(open(sys.argv[1]))


def double(x):
    return int(x) * 2  # a pipeline parameter reaches the step as its string


def add_one(y):
    return y + 1


pipe = PipelineController(
    name=spec["name"],
    project=spec["project"],
    version="1.0.0",
    add_pipeline_tags=False,
)
pipe.add_parameter("x", 3)
if spec["mode"] == "agent":
    pipe.set_default_execution_queue(spec["queue"])
pipe.add_function_step(
    name="double",
    function=double,
    function_kwargs={"x": "${pipeline.x}"},
    function_return=["y"],
    cache_executed_step=False,
)
pipe.add_function_step(
    name="add_one",
    function=add_one,
    function_kwargs={"y": "${double.y}"},
    function_return=["z"],
    parents=["double"],
    cache_executed_step=False,
)
if spec["mode"] == "local":
    pipe.start_locally(run_pipeline_steps_locally=True)
else:
    pipe.start_locally(run_pipeline_steps_locally=False)

steps = {}
for name in ("double", "add_one"):
    node = pipe.get_pipeline_dag()[name]
    step = Task.get_task(task_id=node.executed)
    returned = "y" if name == "double" else "z"
    steps[name] = {
        "id": step.id,
        "status": step.get_status(),
        # clearml 2.1 keeps a simple return value in the step's "return" section (an
        # object as an artifact)
        "value": step.get_parameter(f"return/{returned}", cast=True)
        if step.get_parameter(f"return/{returned}") is not None
        else (step.artifacts[returned].get() if returned in step.artifacts else None),
        "project": step.get_project_name(),
        "parent": step.parent,
    }
json.dump({"controller": pipe.id, "steps": steps}, open(sys.argv[2], "w"))
