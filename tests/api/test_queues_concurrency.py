"""queues.get_next_task under many concurrent pollers: every task exactly once."""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

from support.client import ApiClient

POLLERS = 50
TASKS = 1000


def _poller(api: ApiClient, queue: str, stop_when_empty: threading.Event | None = None) -> list[str]:
    """Poll like clearml-agent (GET /v2.14/...) on its own connection until the
    queue answers empty (and, with an event, until the producers are done)."""
    client = api.with_version("2.14")
    got: list[str] = []
    while True:
        # read before polling: an empty answer after the producers finished is final
        finished = stop_when_empty is None or stop_when_empty.is_set()
        reply = client.call("queues.get_next_task", {"queue": queue}, method="GET")
        assert reply.status == 200, reply.envelope
        entry = reply.data.get("entry")
        if entry:
            got.append(entry["task"])
        elif finished:
            return got


def _new_tasks(tenant: ApiClient, count: int) -> list[str]:
    """Tasks of the tenant's company (queues.add_task takes no other id)."""
    with ThreadPoolExecutor(4) as pool:
        return list(pool.map(lambda i: tenant.tasks.create(name=f"task {i}", type="training")["id"], range(count)))


def test_many_pollers_get_every_task_exactly_once(tenant: ApiClient) -> None:
    # the producers as before the server announced 2.31 (v0.16.1's add_task: the queue
    # entry only; from 2.31 add_task also writes the task's execution.queue)
    tenant = tenant.with_version("2.9")
    queue = tenant.queues.create(name=f"race-{uuid.uuid4().hex[:8]}")["id"]
    tasks = _new_tasks(tenant, TASKS)
    with ThreadPoolExecutor(16) as pool:
        added = list(pool.map(lambda t: tenant.queues.add_task(queue=queue, task=t)["added"], tasks))
    assert sum(added) == TASKS
    with ThreadPoolExecutor(POLLERS) as pool:
        results = list(pool.map(lambda _: _poller(tenant, queue), range(POLLERS)))
    delivered = Counter(t for got in results for t in got)
    assert [t for t, n in delivered.items() if n > 1] == []
    assert set(delivered) == set(tasks) and sum(delivered.values()) == TASKS
    assert sum(1 for got in results if got) > 1  # the pollers really competed
    assert tenant.queues.get_by_id(queue=queue)["queue"]["entries"] == []


def test_pollers_racing_producers_lose_nothing(tenant: ApiClient) -> None:
    tenant = tenant.with_version("2.9")  # as above
    queue = tenant.queues.create(name=f"race-{uuid.uuid4().hex[:8]}")["id"]
    tasks = _new_tasks(tenant, 300)
    done = threading.Event()

    def produce(chunk: list[str]) -> None:
        for task in chunk:
            tenant.queues.add_task(queue=queue, task=task)

    with ThreadPoolExecutor(24) as pool:
        polls = [pool.submit(_poller, tenant, queue, done) for _ in range(20)]
        producers = [pool.submit(produce, tasks[i::4]) for i in range(4)]
        for future in producers:
            future.result()
        done.set()
        results = [p.result() for p in polls]
    delivered = Counter(t for got in results for t in got)
    assert max(delivered.values()) == 1
    assert set(delivered) == set(tasks)


def test_concurrent_creates_of_one_name_make_one_queue(tenant: ApiClient) -> None:
    name = f"same-{uuid.uuid4().hex[:8]}"
    with ThreadPoolExecutor(10) as pool:
        replies = list(pool.map(lambda _: tenant.call("queues.create", {"name": name}), range(10)))
    assert sorted(r.code[0] for r in replies) == [200] + [400] * 9
    assert {r.code for r in replies if r.status != 200} == {(400, 801)}
    assert len(tenant.queues.get_all(name=f"^{name}$")["queues"]) == 1
