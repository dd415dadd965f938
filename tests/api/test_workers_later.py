"""workers.* beyond v0.16.1 (API 2.20 - 2.30): worker tags and system tags, the tag and
name selections of get_all, get_count, and get_runtime_properties (clearml-agent's)."""

from __future__ import annotations

import time
import uuid
from typing import Any

from support.client import ApiClient


def worker_name(prefix: str = "host") -> str:
    return f"{prefix}:{uuid.uuid4().hex[:8]}:gpu0"


def _call(api: ApiClient, action: str, data: dict[str, Any], version: str) -> dict[str, Any]:
    reply = api.call(f"workers.{action}", data, version=version)
    assert reply.status == 200, reply.meta
    return reply.data


def _ids(api: ApiClient, request: dict[str, Any], version: str = "2.30") -> set[str]:
    return {w["id"] for w in _call(api, "get_all", request, version)["workers"]}


def test_tags_on_register_and_report_and_as_filters(tenant: ApiClient) -> None:
    gpu, cpu, plain = worker_name("gpu"), worker_name("cpu"), worker_name("plain")
    _call(tenant, "register", {"worker": gpu, "tags": ["gpu", "fast"], "system_tags": ["k8s"]}, "2.22")
    _call(tenant, "register", {"worker": cpu, "tags": ["cpu"]}, "2.4")
    _call(tenant, "register", {"worker": plain, "system_tags": ["ignored"]}, "2.9")  # no system_tags below 2.22
    workers = {w["id"]: w for w in _call(tenant, "get_all", {}, "2.30")["workers"]}
    assert workers[gpu]["tags"] == ["gpu", "fast"] and workers[gpu]["system_tags"] == ["k8s"]
    assert workers[cpu]["tags"] == ["cpu"] and "system_tags" not in workers[plain]
    assert _ids(tenant, {"tags": ["gpu"]}) == {gpu}
    assert _ids(tenant, {"tags": ["-gpu"]}) == {cpu, plain}
    assert _ids(tenant, {"system_tags": ["k8s"]}) == {gpu}
    assert _ids(tenant, {"tags": ["gpu"]}, "2.9") == {gpu, cpu, plain}  # no tag filter below 2.20
    assert _ids(tenant, {"system_tags": ["k8s"]}, "2.20") == {gpu, cpu, plain}
    assert _ids(tenant, {"worker_pattern": "cpu:"}) == {cpu}
    assert _ids(tenant, {"worker_pattern": "gpu:*:gpu0"}) == {gpu}
    assert _ids(tenant, {"worker_pattern": "cpu:"}, "2.22") == {gpu, cpu, plain}
    # a report replaces the tags it sends and keeps the others
    report = {"worker": cpu, "timestamp": int(time.time() * 1000), "tags": ["cpu", "slow"], "system_tags": ["s"]}
    _call(tenant, "status_report", report, "2.22")
    worker = {w["id"]: w for w in _call(tenant, "get_all", {}, "2.30")["workers"]}[cpu]
    assert worker["tags"] == ["cpu", "slow"] and worker["system_tags"] == ["s"]
    _call(tenant, "status_report", {"worker": cpu, "timestamp": 1}, "2.22")
    worker = {w["id"]: w for w in _call(tenant, "get_all", {}, "2.30")["workers"]}[cpu]
    assert worker["tags"] == ["cpu", "slow"]


def test_get_count(tenant: ApiClient) -> None:
    assert _call(tenant, "get_count", {}, "2.26") == {"count": 0}
    a, b = worker_name("alpha"), worker_name("beta")  # prefixes no hex digits can spell
    tenant.workers.register(worker=a, tags=["x"])
    tenant.workers.register(worker=b)
    assert _call(tenant, "get_count", {}, "2.26") == {"count": 2}
    assert _call(tenant, "get_count", {"last_seen": 3600, "tags": ["x"]}, "2.26") == {"count": 1}
    assert _call(tenant, "get_count", {"worker_pattern": "beta:"}, "2.30") == {"count": 1}
    assert _call(tenant, "get_count", {"worker_pattern": "beta:"}, "2.26") == {"count": 2}
    assert tenant.call("workers.get_count", {}, version="2.25").status == 404
    assert tenant.call("workers.get_count", {"tags": "x"}, version="2.26").code == (400, 12)
    assert tenant.call("workers.get_count", {"last_seen": "soon"}, version="2.26").code == (400, 12)


def test_get_runtime_properties_answers_what_the_agent_reads(tenant: ApiClient) -> None:
    name = worker_name()
    tenant.workers.register(worker=name)
    for version in (None, "2.10", "2.23"):
        reply = tenant.call("workers.get_runtime_properties", {"worker": name}, version=version)
        assert reply.status == 200 and reply.data == {"runtime_properties": []}, version
    reply = tenant.call("workers.get_runtime_properties", {}, version="2.23")
    assert reply.code == (400, 12) and "worker" in reply.meta["result_msg"]
