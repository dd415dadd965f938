"""The browser tests' site: data made through the API as the SDK makes it, and helpers."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

import requests
from support.browser import PageLog
from support.client import ApiClient
from support.images import png_bytes
from support.server import ServerProcess

XSS_NAME = "<img src=x onerror=alert(1)>"
FIXED_USER = ("ada", "lovelace-1815")
SERIES = {"loss": ("train", "validation"), "accuracy": ("train",)}
ITERATIONS = 120


@dataclass
class Site:
    url: str
    proc: ServerProcess
    api: ApiClient
    key: str
    secret: str
    ids: dict[str, Any] = field(default_factory=dict)


def _events(api: ApiClient, events: list[dict[str, Any]]) -> None:
    reply = api.call("events.add_batch", batch=events)
    assert reply.status == 200 and reply.data["errors"] == 0, reply.envelope


def seed(api: ApiClient, files_url: str) -> dict[str, Any]:
    """What the SDK would have recorded: a project with a finished experiment (params,
    configuration, scalars, console, a plot, a debug image, an artifact, a model), a
    draft, a task with a hostile name, a queue with two queued tasks, a worker."""
    ids: dict[str, Any] = {}
    project = api.projects.create(name=f"web demo {int(time.time() * 1000) % 100000}", description="browser tests")[
        "id"
    ]
    ids["project"] = project
    main = api.tasks.create(
        name="resnet baseline",
        type="training",
        project=project,
        script={
            "repository": "https://example.invalid/repo.git",
            "branch": "main",
            "entry_point": "train.py",
            "diff": "--- a/train.py\n+++ b/train.py\n-lr = 0.1\n+lr = 0.125\n",
            "requirements": {"pip": "numpy==1.26.4\ntorch==2.3.0\n"},
        },
        hyperparams={"General": {"lr": {"section": "General", "name": "lr", "value": "0.125", "type": "float"}}},
        configuration={"model config": {"name": "model config", "type": "dictionary", "value": '{"layers": [64, 32]}'}},
        tags=["web", "baseline"],
    )["id"]
    ids["main"] = main
    api.tasks.started(task=main)
    t0 = int(time.time() * 1000) - 600_000
    events: list[dict[str, Any]] = []
    for m, (metric, variants) in enumerate(SERIES.items()):
        for v, variant in enumerate(variants):
            events += [
                {
                    "type": "training_stats_scalar",
                    "task": main,
                    "metric": metric,
                    "variant": variant,
                    "iter": i,
                    "value": 1.0 / (i + 1) + m + v * 0.25,
                    "timestamp": t0 + i * 1000,
                }
                for i in range(ITERATIONS)
            ]
    events += [
        {"type": "log", "task": main, "level": "info", "msg": f"epoch {i} loss {1 / (i + 1):.4f}", "timestamp": t0 + i}
        for i in range(300)
    ]
    events.append(
        {"type": "log", "task": main, "level": "info", "msg": f"console says {XSS_NAME}", "timestamp": t0 + 400}
    )
    figure = {
        "data": [
            {"type": "bar", "x": ["a", "b", "c"], "y": [3, 1, 4], "name": "counts"},
        ],
        "layout": {"title": "histogram"},
    }
    table = {"data": [{"type": "table", "header": {"values": ["k", "v"]}, "cells": {"values": [["x", "y"], [1, 2]]}}]}
    events += [
        {
            "type": "plot",
            "task": main,
            "metric": "histogram",
            "variant": "counts",
            "iter": 0,
            "plot_str": json.dumps(figure),
            "timestamp": t0,
        },
        {
            "type": "plot",
            "task": main,
            "metric": "summary",
            "variant": "table",
            "iter": 0,
            "plot_str": json.dumps(table),
            "timestamp": t0,
        },
    ]
    image_path = f"web demo/resnet.{main}/metrics/debug/gradient/gradient_00000000.png"
    up = requests.post(
        f"{files_url}/",
        files={image_path: ("g.png", png_bytes(24, 16, lambda x, y: (10 * x, 15 * y, 200)))},
        headers={"Authorization": f"Bearer {api.token}"},
    )
    assert up.status_code == 200, up.text
    ids["image_url"] = f"{files_url}/{image_path}"
    events.append(
        {
            "type": "training_debug_image",
            "task": main,
            "metric": "debug",
            "variant": "gradient",
            "iter": 0,
            "url": ids["image_url"],
            "timestamp": t0,
        }
    )
    _events(api, events)
    api.tasks.add_or_update_artifacts(
        task=main,
        artifacts=[
            {
                "key": "summary",
                "type": "dict",
                "mode": "output",
                "uri": f"{files_url}/{image_path}",
                "content_size": 300,
                "type_data": {"preview": "{'x': 1}", "content_type": "application/json"},
            }
        ],
    )
    model = api.models.create(
        name="resnet weights",
        uri=f"{files_url}/{image_path}",
        framework="PyTorch",
        project=project,
        task=main,
        labels={"cat": 1, "dog": 2},
        design={"design": "layers: 64, 32"},
    )["id"]
    ids["model"] = model
    api.tasks.completed(task=main)

    other = api.tasks.clone(task=main, new_task_name="resnet lr=0.5")["id"]
    api.tasks.edit_hyper_params(task=other, hyperparams=[{"section": "General", "name": "lr", "value": "0.5"}])
    api.tasks.started(task=other)
    _events(
        api,
        [
            {
                "type": "training_stats_scalar",
                "task": other,
                "metric": "loss",
                "variant": "train",
                "iter": i,
                "value": 2.0 / (i + 2),
                "timestamp": t0 + i * 1000,
            }
            for i in range(ITERATIONS)
        ],
    )
    api.tasks.completed(task=other)
    ids["other"] = other
    ids["draft"] = api.tasks.create(
        name="draft to edit",
        type="training",
        project=project,
        hyperparams={"General": {"epochs": {"section": "General", "name": "epochs", "value": "3"}}},
    )["id"]
    ids["xss"] = api.tasks.create(name=XSS_NAME, type="training", project=project, comment=XSS_NAME, tags=[XSS_NAME])[
        "id"
    ]

    queue = api.queues.create(name=f"web-queue-{project[:6]}")["id"]
    ids["queue"] = queue
    ids["queued"] = []
    for n in range(2):
        task = api.tasks.create(name=f"queued job {n}", type="training", project=project)["id"]
        api.tasks.enqueue(task=task, queue=queue)
        ids["queued"].append(task)
    worker = f"web-worker-{project[:6]}"
    api.workers.register(worker=worker, queues=[queue])
    for k in range(3):
        api.workers.status_report(
            worker=worker,
            timestamp=int(time.time() * 1000) - (2 - k) * 60_000,
            machine_stats={"cpu_usage": [20.0 + k, 30.0], "memory_used": 1024 + k, "gpu_usage": [50.0]},
        )
    ids["worker"] = worker
    return ids


@dataclass
class Tab:
    page: Any
    log: PageLog
    site: Site

    def go(self, path: str, wait: str | None = None) -> Any:
        self.page.goto(self.site.url + path)
        if wait:
            self.page.wait_for_selector(wait)
        return self.page

    def problems(self) -> list[str]:
        """Console errors (CSP violations among them), failed requests and alert dialogs."""
        # The first call of a signed-out page asks who is signed in and gets 401.
        errors = [e for e in self.log.errors if "status of 401" not in e and "Failed to load resource" not in e]
        refused = [r for r in self.log.refused if not r.startswith("401 ")]
        return errors + refused + self.log.failed + [f"dialog: {d}" for d in self.log.dialogs]


def sign_in(page: Any, url: str, user: str, secret: str, keys: bool = False) -> None:
    page.goto(url + "/")
    page.wait_for_selector("[data-testid=login-form]")
    if keys:
        page.click("[data-testid=mode-keys]")
    page.fill("input[name=user]", user)
    page.fill("input[name=secret]", secret)
    page.click("button[type=submit]")
