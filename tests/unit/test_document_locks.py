"""database/document_locks.py on a real redis-server: one holder at a time, released by
its holder only, taken over once a dead holder's lock expires."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from pymongo import MongoClient
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


# --- every write to one document under its lock, on a real FerretDB (LockedWrites) --------


@pytest.fixture
def ferret(ferretdb_url: str, redis: Redis) -> Iterator[Any]:
    """A fresh collection of the FerretDB of this session, with the locks in use."""
    client: MongoClient = MongoClient(ferretdb_url)
    document_locks.use(DocumentLocks(redis))
    try:
        yield client["locks_test"][f"c{uuid.uuid4().hex[:8]}"]
    finally:
        document_locks.use(None)
        client.close()


def _racing_sets(coll: Any, fields: list[str], writes: int) -> None:
    def write(field: str) -> None:
        for i in range(1, writes + 1):
            coll.update_one({"_id": "d"}, {"$set": {field: i}})

    threads = [threading.Thread(target=write, args=(f,)) for f in fields]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)


def test_ferretdb_loses_one_of_two_concurrent_updates_of_one_document(ferret: Any) -> None:
    """Why LockedWrites exists: FerretDB 1.24 rewrites the whole document it read, so two
    threads setting different fields undo each other (if this starts passing with the
    bare collection, FerretDB became atomic and the locks could go)."""
    lost = 0
    for _ in range(10):
        ferret.replace_one({"_id": "d"}, {"_id": "d", "a": 0, "b": 0}, upsert=True)
        _racing_sets(ferret, ["a", "b"], 40)
        lost += ferret.find_one({"_id": "d"}) != {"_id": "d", "a": 40, "b": 40}
    assert lost > 0


def test_locked_writes_keep_every_concurrent_update_of_one_document(ferret: Any) -> None:
    locked = document_locks.LockedWrites(ferret)
    for _ in range(10):
        locked.replace_one({"_id": "d"}, {"_id": "d", "a": 0, "b": 0}, upsert=True)
        _racing_sets(locked, ["a", "b"], 40)
        assert ferret.find_one({"_id": "d"}) == {"_id": "d", "a": 40, "b": 40}


def test_locked_writes_by_another_filter_and_of_many_documents(ferret: Any, redis: Redis) -> None:
    locked = document_locks.LockedWrites(ferret)
    ferret.insert_many([{"_id": f"d{i}", "group": i % 2, "n": 0} for i in range(6)])
    seen: list[Any] = []
    real_update_one = ferret.update_one

    class Spy:
        """The bare collection, noting which lock is held at each update."""

        name = ferret.name

        def __getattr__(self, name: str) -> Any:
            return getattr(ferret, name)

        def update_one(self, query: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
            seen.append(redis.get(f"stationmaster:doclock:{ferret.name}:{query['_id']}") is not None)
            return real_update_one(query, *args, **kwargs)

    spied = document_locks.LockedWrites(Spy())
    result = spied.update_many({"group": 1}, {"$inc": {"n": 1}})
    assert (result.matched_count, result.modified_count, result.raw_result["n"]) == (3, 3, 3)
    assert seen == [True, True, True]  # one document at a time, each under its lock
    assert sorted(d["_id"] for d in ferret.find({"n": 1})) == ["d1", "d3", "d5"]
    assert spied.update_one({"group": 0, "n": 0}, {"$set": {"n": 5}}).matched_count == 1
    assert seen[-1] is True
    assert ferret.count_documents({"n": 5}) == 1
    assert locked.find_one_and_update({"group": 7}, {"$set": {"n": 1}}) is None  # nothing matches
    assert locked.update_many({"group": 7}, {"$set": {"n": 1}}).matched_count == 0
    assert isinstance(locked.with_options(), document_locks.LockedWrites)  # mongoengine's write path
    assert locked.count_documents({}) == 6  # anything else: the collection's own


def test_every_document_class_is_listed_for_locking() -> None:
    from stationmaster.database.model import document_classes
    from stationmaster.database.model.base import AuthDocument, BackendDocument

    def concrete(cls: type) -> set[type]:
        found = set()
        for sub in cls.__subclasses__():
            if not sub._meta.get("abstract"):
                found.add(sub)
            found |= concrete(sub)
        return found

    listed = document_classes()
    assert len(listed) == len(set(listed))
    assert set(listed) == concrete(BackendDocument) | concrete(AuthDocument)


def test_mongoengine_writes_through_the_collection_a_class_holds(ferretdb_url: str, redis: Redis) -> None:
    """lock_every_write relies on mongoengine using the class's ``_collection`` for its
    queries and saves (a mongoengine upgrade that stops doing so fails here)."""
    import mongoengine

    from stationmaster.database.model.settings import Settings
    from stationmaster.database.stores import CLIENT_OPTIONS

    mongoengine.connect("locks_test_me", alias="backend-db", host=ferretdb_url, **CLIENT_OPTIONS)
    document_locks.use(DocumentLocks(redis))
    try:
        document_locks.lock_every_write([Settings])
        held = Settings._get_collection()
        assert isinstance(held, document_locks.LockedWrites)
        calls: list[Any] = []
        original = document_locks.LockedWrites._write_one

        def noting(self: Any, method: str, filter: Any, *args: Any) -> Any:
            calls.append((method, filter))
            return original(self, method, filter, *args)

        document_locks.LockedWrites._write_one = noting  # type: ignore[method-assign]
        try:
            key = uuid.uuid4().hex
            Settings(key=key, value=1).save()  # find_one_and_replace by its id
            Settings.objects(key=key).update_one(set__value=2)
        finally:
            document_locks.LockedWrites._write_one = original  # type: ignore[method-assign]
        assert calls == [("find_one_and_replace", {"_id": key}), ("update_one", {"_id": key})]
        assert Settings.objects(key=key).first().value == 2
    finally:
        document_locks.use(None)
        mongoengine.disconnect("backend-db")
    assert getattr(Settings, "_collection", None) is None  # dropped with the connection
