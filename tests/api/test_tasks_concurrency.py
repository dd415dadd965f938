"""Racing status changes over HTTP: conditional updates, never a doubled transition."""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

from support.client import ApiClient, Reply

THREADS = 16


def _race_replies(api: ApiClient, calls: list[tuple[str, dict]]) -> list[Reply]:
    barrier = threading.Barrier(len(calls))

    def one(call: tuple[str, dict]) -> Reply:
        client = api.with_version(None)  # one HTTP session per thread
        barrier.wait(timeout=30)
        return client.call(call[0], call[1])

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(one, calls))


def _race(api: ApiClient, calls: list[tuple[str, dict]]) -> list[tuple[int, int]]:
    return [reply.code for reply in _race_replies(api, calls)]


def test_concurrent_enqueue_exactly_one_wins(tenant: ApiClient) -> None:
    queue = tenant.queues.create(name=f"q-{uuid.uuid4().hex[:8]}")["id"]
    for _ in range(3):
        task_id = tenant.tasks.create(name="race", type="training")["id"]
        codes = Counter(_race(tenant, [("tasks.enqueue", {"task": task_id, "queue": queue})] * THREADS))
        assert codes[(200, 0)] == 1, codes
        assert set(codes) <= {(200, 0), (400, 110), (400, 121)}, codes
    entries = tenant.queues.get_by_id(queue=queue)["queue"]["entries"]
    assert len(entries) == 3 and len({e["task"] for e in entries}) == 3


def test_concurrent_started_and_stopped_never_lose_a_transition(tenant: ApiClient) -> None:
    task_id = tenant.tasks.create(name="race", type="training")["id"]
    tenant.tasks.started(task=task_id)
    calls = [("tasks.stopped" if i % 2 else "tasks.failed", {"task": task_id}) for i in range(THREADS)]
    replies = _race_replies(tenant, calls)
    assert {r.code for r in replies} <= {(200, 0), (400, 110), (400, 121)}, [r.code for r in replies]
    wins = [r.data["fields"] for r in replies if r.code == (200, 0)]
    assert wins
    final = tenant.tasks.get_by_id(task=task_id)["task"]
    # the stored status is the one written by the last successful change: no write was lost
    when = datetime.fromisoformat
    last = max(when(w["status_changed"]) for w in wins)
    assert when(final["status_changed"]) == last
    assert final["status"] in {w["status"] for w in wins if when(w["status_changed"]) == last}


def test_concurrent_dequeue_exactly_one_wins(tenant: ApiClient) -> None:
    queue = tenant.queues.create(name=f"q-{uuid.uuid4().hex[:8]}")["id"]
    task_id = tenant.tasks.create(name="race", type="training")["id"]
    tenant.tasks.enqueue(task=task_id, queue=queue)
    codes = Counter(_race(tenant, [("tasks.dequeue", {"task": task_id})] * THREADS))
    assert codes[(200, 0)] == 1, codes
    assert set(codes) <= {(200, 0), (400, 101), (400, 121)}, codes
    assert tenant.tasks.get_by_id(task=task_id)["task"]["status"] == "created"


def test_dequeue_after_an_agent_popped_the_entry_is_not_queued(tenant: ApiClient) -> None:
    """The entry was taken by an agent (the task stays queued until it starts): not a race,
    the reference's 703 'task not queued in it'."""
    queue = tenant.queues.create(name=f"q-{uuid.uuid4().hex[:8]}")["id"]
    task_id = tenant.tasks.create(name="popped", type="training")["id"]
    tenant.tasks.enqueue(task=task_id, queue=queue)
    assert tenant.queues.get_next_task(queue=queue)["entry"]["task"] == task_id
    assert tenant.call("tasks.dequeue", {"task": task_id}).code == (400, 703)
    assert tenant.tasks.get_by_id(task=task_id)["task"]["status"] == "queued"


def test_concurrent_writes_of_different_fields_of_one_task_keep_every_one(tenant: ApiClient) -> None:
    """As the SDK does: its upload thread registers an artifact (``tasks.edit`` of the
    execution) while its reporter sends scalars (each batch sets the task's last metrics).
    A document server that applies an update by rewriting the whole document read before
    (FerretDB 1.24) loses one of two such writes unless they are serialised."""
    task_id = tenant.tasks.create(name="race", type="training")["id"]
    tenant.tasks.started(task=task_id)
    rounds, reporters = 6, 6

    def report(metric: str, iteration: int) -> Callable[[ApiClient], Reply]:
        event = {"type": "training_stats_scalar", "task": task_id, "metric": metric, "variant": "v"}
        return lambda api: api.call("events.add_batch", batch=[{**event, "iter": iteration, "value": 1.0}])

    def edit(artifacts: list[dict]) -> Callable[[ApiClient], Reply]:
        request = {"task": task_id, "force": True, "execution": {"artifacts": artifacts}}
        return lambda api: api.call("tasks.edit", request)

    for round_no in range(rounds):
        artifacts = [{"key": f"a{i}", "type": "custom", "mode": "output", "uri": f"f{i}"} for i in range(round_no + 1)]
        calls = [edit(artifacts)] + [report(f"m{round_no}-{k}", round_no) for k in range(reporters)]
        barrier = threading.Barrier(len(calls))

        def one(call: Callable[[ApiClient], Reply], barrier: threading.Barrier = barrier) -> tuple[int, int]:
            client = tenant.with_version(None)  # one HTTP session per thread
            barrier.wait(timeout=30)
            return call(client).code

        with ThreadPoolExecutor(len(calls)) as pool:
            assert set(pool.map(one, calls)) == {(200, 0)}
    task = tenant.tasks.get_by_id(task=task_id)["task"]
    assert [a["key"] for a in task["execution"]["artifacts"]] == [f"a{i}" for i in range(rounds)]
    metrics = {variant["metric"] for metric in task["last_metrics"].values() for variant in metric.values()}
    assert metrics == {f"m{r}-{k}" for r in range(rounds) for k in range(reporters)}
    assert task["last_iteration"] == rounds - 1
