"""database/document_locks.py on a real redis-server: one holder at a time, released by
its holder only, taken over once a dead holder's lock expires."""

from __future__ import annotations

import threading
import time
import uuid
from typing import Any

import pytest
from redis import Redis

from stationmaster.database import document_locks
from stationmaster.database.document_locks import DocumentLocks

pytestmark = pytest.mark.redis


@pytest.fixture
def redis(redis_address: tuple[str, int]) -> Redis:
    host, port = redis_address
    return Redis(host=host, port=port, db=9)


def test_one_holder_at_a_time_across_threads(redis: Redis) -> None:
    locks = DocumentLocks(redis)
    name = f"queue:{uuid.uuid4().hex}"
    inside, most, done = [0], [0], []
    guard = threading.Lock()

    def work() -> None:
        for _ in range(25):
            with locks.hold(name):
                with guard:
                    inside[0] += 1
                    most[0] = max(most[0], inside[0])
                time.sleep(0.001)
                with guard:
                    inside[0] -= 1
            done.append(1)

    threads = [threading.Thread(target=work) for _ in range(8)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(done) == 200 and most[0] == 1
    # waiters are woken by the release notice, not by their 50 ms retry
    assert time.monotonic() - started < 200 * document_locks.RETRY_SEC / 2
    assert redis.get(f"stationmaster:doclock:{name}") is None


def test_a_dead_holders_lock_is_taken_once_it_expires(redis: Redis) -> None:
    locks = DocumentLocks(redis)
    name = f"task:{uuid.uuid4().hex}"
    redis.set(f"stationmaster:doclock:{name}", "a process that died", px=300)
    started = time.monotonic()
    with locks.hold(name):
        waited = time.monotonic() - started
    assert 0.2 < waited < 2


def test_release_leaves_a_lock_another_holder_took_over(redis: Redis) -> None:
    locks = DocumentLocks(redis)
    name = f"task:{uuid.uuid4().hex}"
    key = f"stationmaster:doclock:{name}"
    with locks.hold(name):
        redis.set(key, "the next holder")  # as if this one had expired and been taken
    assert redis.get(key) == b"the next holder"


def test_update_one_holds_the_documents_lock(redis: Redis) -> None:
    seen: list[Any] = []

    class Collection:
        name = "queue"

        def update_one(self, query: dict[str, Any], update: dict[str, Any]) -> str:
            seen.append(redis.get("stationmaster:doclock:queue:q1"))
            return "result"

    document_locks.use(DocumentLocks(redis))
    try:
        assert document_locks.update_one(Collection(), {"_id": "q1", "status": "x"}, {"$set": {}}) == "result"
    finally:
        document_locks.use(None)
    assert seen[0] is not None  # held while the update ran
    assert redis.get("stationmaster:doclock:queue:q1") is None
    assert document_locks.update_one(Collection(), {"_id": "q1"}, {}) == "result"  # no locks: no Redis
    assert seen[1] is None


def test_a_thread_holding_a_lock_takes_it_again_at_no_cost(redis: Redis) -> None:
    locks = DocumentLocks(redis)
    name = f"task:{uuid.uuid4().hex}"
    other: list[float] = []
    with locks.hold(name):
        started = time.monotonic()
        with locks.hold(name):  # e.g. a dequeue's status change inside its dequeue
            pass
        assert time.monotonic() - started < 1
        assert redis.get(f"stationmaster:doclock:{name}") is not None  # the inner release left it

        def wait() -> None:
            started = time.monotonic()
            with locks.hold(name):
                other.append(time.monotonic() - started)

        thread = threading.Thread(target=wait)
        thread.start()
        time.sleep(0.3)
    thread.join(10)
    assert other and other[0] >= 0.25  # another thread waited for the outer release
