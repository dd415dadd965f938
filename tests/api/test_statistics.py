"""Worker statistics and queue metrics over HTTP, on the embedded (SQLite) statistics
store and on a server whose statistics go to a real Elasticsearch 7.17 node: an hour of
simulated worker reports, then every chart read and its failure cases."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from statistics import mean
from typing import Any

import pytest
from api.conftest import new_tenant
from support.client import ApiClient
from support.server import ServerProcess

HOUR = 3600
STEP = 60  # one report per worker and minute
WORKERS = ("w-a", "w-b", "w-c")


@pytest.fixture(scope="module")
def es_server(tmp_path_factory: pytest.TempPathFactory, es_url: str) -> Iterator[ServerProcess]:
    host, port = es_url.rsplit("/", 1)[-1].split(":")
    env = {"STATIONMASTER__hosts__elastic__workers__hosts": f'[{{host: "{host}", port: {port}}}]'}
    with ServerProcess(tmp_path_factory.mktemp("stats-es") / "data", env=env) as proc:
        yield proc


@pytest.fixture(params=["embedded", pytest.param("es", marks=pytest.mark.es)])
def api(request: pytest.FixtureRequest) -> ApiClient:
    """A fresh tenant on the embedded server or on the ES-backed one."""
    server: ServerProcess = request.getfixturevalue("embedded_server" if request.param == "embedded" else "es_server")
    key, secret = server.admin_credentials()
    return new_tenant(ApiClient(server.url, key=key, secret=secret).login())


def machine_stats(worker: int, minute: int) -> dict[str, Any]:
    return {
        "cpu_usage": [10.0 * worker + minute % 7, 50.0 + minute % 5],
        "gpu_usage": [float(minute % 10)],
        "memory_used": 1000 + 10 * minute,
    }


@pytest.fixture
def simulated_hour(api: ApiClient) -> dict[str, Any]:
    """Three workers reporting every minute for the last hour; w-a runs a task."""
    task = api.tasks.create(name=f"stats {uuid.uuid4().hex[:6]}", type="training")["id"]
    start = (int(time.time()) // HOUR - 1) * HOUR  # a whole past hour
    for minute in range(HOUR // STEP):
        for index, worker in enumerate(WORKERS):
            report = {
                "worker": worker,
                "timestamp": (start + minute * STEP) * 1000,
                "machine_stats": machine_stats(index, minute),
            }
            if worker == "w-a":
                report["task"] = task
            api.workers.status_report(**report)
    return {"start": start, "task": task}


def test_metric_keys(api: ApiClient, simulated_hour: dict[str, Any]) -> None:
    categories = api.workers.get_metric_keys()["categories"]
    assert categories == [
        {"name": "cpu", "metric_keys": ["cpu_usage"]},
        {"name": "gpu", "metric_keys": ["gpu_usage"]},
        {"name": "memory", "metric_keys": ["memory_used"]},
    ]
    assert api.workers.get_metric_keys(worker_ids=["w-b"])["categories"] == categories


def test_metric_keys_without_reports(api: ApiClient) -> None:
    reply = api.call("workers.get_metric_keys", {})
    assert reply.code == (400, 1005)


def test_get_stats_over_the_hour(api: ApiClient, simulated_hour: dict[str, Any]) -> None:
    start = simulated_hour["start"]
    items = [{"key": "cpu_usage", "aggregation": "max"}, {"key": "memory_used", "aggregation": "avg"}]
    data = api.workers.get_stats(from_date=start, to_date=start + HOUR - 1, interval=600, items=items)
    assert [w["worker"] for w in data["workers"]] == sorted(WORKERS)
    by_worker = {w["worker"]: {m["metric"]: m for m in w["metrics"]} for w in data["workers"]}
    dates = [(start + i * 600) * 1000 for i in range(6)]
    for index, worker in enumerate(WORKERS):
        cpu, memory = by_worker[worker]["cpu_usage"], by_worker[worker]["memory_used"]
        assert "variant" not in cpu
        assert cpu["dates"] == dates == memory["dates"]
        minutes = [range(i * 10, i * 10 + 10) for i in range(6)]
        expected_max = [max(max(machine_stats(index, m)["cpu_usage"]) for m in ms) for ms in minutes]
        expected_avg = [mean(machine_stats(index, m)["memory_used"] for m in ms) for ms in minutes]
        assert cpu["stats"] == [{"aggregation": "max", "values": expected_max}]
        assert memory["stats"] == [{"aggregation": "avg", "values": pytest.approx(expected_avg)}]


def test_get_stats_split_by_gpu_and_cpu_index(api: ApiClient, simulated_hour: dict[str, Any]) -> None:
    start = simulated_hour["start"]
    data = api.workers.get_stats(
        from_date=start,
        to_date=start + HOUR,
        interval=HOUR,
        worker_ids=["w-b"],
        # "category" is the name the reference's schema documents for the aggregation
        items=[{"key": "cpu_usage", "aggregation": "min"}, {"key": "gpu_usage", "category": "max"}],
        split_by_variant=True,
    )
    (worker,) = data["workers"]
    series = {(m["metric"], m["variant"]): m["stats"][0]["values"] for m in worker["metrics"]}
    assert series == {("cpu_usage", "0"): [10.0], ("cpu_usage", "1"): [50.0], ("gpu_usage", "0"): [9.0]}


def test_get_stats_unknown_metric_gives_no_workers(api: ApiClient, simulated_hour: dict[str, Any]) -> None:
    start = simulated_hour["start"]
    data = api.workers.get_stats(from_date=start, to_date=start + HOUR, interval=60, items=[{"key": "no_such"}])
    assert data == {"workers": []}


def test_activity_report(api: ApiClient, simulated_hour: dict[str, Any]) -> None:
    start = simulated_hour["start"]
    data = api.workers.get_activity_report(from_date=start, to_date=start + HOUR, interval=600)
    dates = [(start + i * 600) * 1000 for i in range(6)]
    assert data["total"] == {"dates": dates, "counts": [3] * 6}
    assert data["active"] == {"dates": dates, "counts": [1] * 6}


@pytest.mark.parametrize(
    ("endpoint", "extra"),
    [
        ("workers.get_stats", {"items": [{"key": "cpu_usage"}]}),
        ("workers.get_activity_report", {}),
        ("queues.get_queue_metrics", {}),
    ],
)
def test_bad_ranges(api: ApiClient, endpoint: str, extra: dict[str, Any]) -> None:
    now = int(time.time())
    reply = api.call(endpoint, {"from_date": now, "to_date": now - 60, "interval": 60, **extra})
    assert reply.code == (400, 16) and "from_date" in reply.meta["result_msg"]
    reply = api.call(endpoint, {"from_date": now - 60, "to_date": now, "interval": 0, **extra})
    assert reply.code == (400, 12) and "interval" in reply.meta["result_msg"]
    reply = api.call(endpoint, {"from_date": now - 60, "to_date": now, "interval": "often", **extra})
    assert reply.code == (400, 12) and "interval" in reply.meta["result_msg"]
    reply = api.call(endpoint, {"from_date": 0, "to_date": now, "interval": 1, **extra})
    assert reply.code == (400, 16) and "interval" in reply.meta["result_msg"]


def test_get_stats_bad_items(api: ApiClient) -> None:
    now = int(time.time())
    span = {"from_date": now - 60, "to_date": now, "interval": 60}
    reply = api.call("workers.get_stats", {**span, "items": [{"key": "cpu_usage", "aggregation": "median"}]})
    assert reply.code == (400, 12) and "aggregation" in reply.meta["result_msg"]
    reply = api.call("workers.get_stats", {**span, "items": []})
    assert reply.code == (400, 12) and "items" in reply.meta["result_msg"]
    reply = api.call("workers.get_stats", span)
    assert reply.code[0] == 400 and "items" in reply.meta["result_msg"]


def test_queue_metrics_follow_the_queue(api: ApiClient) -> None:
    queue = api.queues.create(name=f"q-{uuid.uuid4().hex[:6]}")["id"]
    tasks = [api.tasks.create(name=f"task {i}", type="training")["id"] for i in range(3)]
    begin = int(time.time())
    for task in tasks:
        api.queues.add_task(queue=queue, task=task)
    api.queues.get_next_task(queue=queue)
    now = int(time.time())
    span = {"from_date": begin - 60, "to_date": now + 1, "interval": 3600}
    (metrics,) = api.queues.get_queue_metrics(queue_ids=[queue], **span)["queues"]
    assert metrics["queue"] == queue
    assert len(metrics["dates"]) == len(metrics["queue_lengths"]) == len(metrics["avg_waiting_times"]) >= 1
    # the largest waiting time in the hour is recorded with 3 tasks queued or after the pop
    assert set(metrics["queue_lengths"]) <= {1, 2, 3}
    assert all(w >= 0 for w in metrics["avg_waiting_times"])
    (total,) = api.queues.get_queue_metrics(**span)["queues"]
    assert total["queue"] == "total" and total["dates"] == metrics["dates"]
    # refresh (in clearml 2.1's bundle) is accepted: the answer is current anyway
    assert api.queues.get_queue_metrics(queue_ids=[queue], refresh=True, **span)["queues"] == [metrics]
    missing = api.queues.get_queue_metrics(queue_ids=["no-such-queue"], **span)["queues"]
    assert missing == [{"queue": "no-such-queue", "dates": [], "avg_waiting_times": [], "queue_lengths": []}]


def test_statistics_persist_across_a_restart(tmp_path: Path) -> None:
    """The embedded store is a file in the data directory."""
    data = tmp_path / "data"
    with ServerProcess(data) as proc:
        key, secret = proc.admin_credentials()
        api = ApiClient(proc.url, key=key, secret=secret).login()
        now = int(time.time())
        api.workers.status_report(worker="keep", timestamp=now * 1000, machine_stats={"cpu_usage": [42]})
    assert (data / "statistics.sqlite").exists()
    with ServerProcess(data) as proc:
        api = ApiClient(proc.url, key=key, secret=secret).login()
        keys = api.workers.get_metric_keys(worker_ids=["keep"])["categories"]
        assert keys == [{"name": "cpu", "metric_keys": ["cpu_usage"]}]
