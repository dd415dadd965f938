"""bll/workers.py without a server: fakeredis and mongomock."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import fakeredis
import mongoengine
import mongomock
import pytest

from stationmaster.bll.queues import QueueBLL
from stationmaster.bll.workers import WorkerBLL, worker_key
from stationmaster.config import Config
from stationmaster.database.model.base import AUTH_DB, BACKEND_DB
from stationmaster.database.model.company import Company
from stationmaster.database.model.user import User
from stationmaster.database.raw import collection
from stationmaster.database.repositories.companies import CompanyRepository
from stationmaster.database.repositories.queues import QueueRepository
from stationmaster.database.repositories.tasks import TaskRepository
from stationmaster.database.repositories.users import UserRepository
from stationmaster.database.stores import connect_documents_with
from stationmaster.protocol.errors import ApiError


class NoStats:
    def __init__(self) -> None:
        self.worker_reports: list[Any] = []

    def record_queue_metrics(self, company_id: str, queues: Any) -> None:
        pass

    def record_worker_stats(self, company_id: str, worker: Any, report: Any) -> None:
        self.worker_reports.append((company_id, worker["id"], report))


@pytest.fixture
def redis() -> Iterator[fakeredis.FakeRedis]:
    connect_documents_with(mongomock.MongoClient)
    collection(User).insert_one({"_id": "u", "company": "c*1", "name": "agent"})
    collection(Company).insert_one({"_id": "c*1", "name": "acme"})
    yield fakeredis.FakeRedis()
    for alias in (BACKEND_DB, AUTH_DB):
        mongoengine.disconnect(alias)


def make(redis: fakeredis.FakeRedis, auto_register: bool = True) -> tuple[WorkerBLL, NoStats]:
    stats = NoStats()
    config = Config({"apiserver": {"workers": {"auto_register": auto_register}}})
    queues = QueueBLL(stats, (), QueueRepository(), TaskRepository())  # type: ignore[arg-type]
    documents = (UserRepository(), CompanyRepository(), TaskRepository())
    return WorkerBLL(config, redis, queues, stats, documents), stats  # type: ignore[arg-type]


def test_without_auto_register_an_unknown_worker_is_refused(redis: fakeredis.FakeRedis) -> None:
    workers, _ = make(redis, auto_register=False)
    with pytest.raises(ApiError) as info:
        workers.status_report("c*1", "u", "1.2.3.4", {"worker": "w", "timestamp": 1})
    assert (info.value.code, info.value.subcode) == (400, 1001)
    workers.register("c*1", "u", "w", timeout=30)
    workers.status_report("c*1", "u", "1.2.3.4", {"worker": "w", "timestamp": 1})
    assert workers.get_all("c*1")[0]["ip"] == "1.2.3.4"


def test_record_ttl_names_and_stats(redis: fakeredis.FakeRedis) -> None:
    workers, stats = make(redis)
    entry = workers.register("c*1", "u", "w", ip="10.0.0.1", timeout=45)
    assert entry["user"] == {"id": "u", "name": "agent"} and entry["company"] == {"id": "c*1", "name": "acme"}
    key = worker_key("c*1", "u", "w")
    assert key == "worker_c*1_u_w" and 40 < redis.ttl(key) <= 45
    # a company id with glob characters matches only itself
    redis.set("worker_cX1_u_other", b"{}")
    assert [w["id"] for w in workers.get_all("c*1")] == ["w"]
    report = {"worker": "w", "timestamp": 1, "machine_stats": {"cpu_usage": [1.0]}}
    workers.status_report("c*1", "u", None, report)
    assert stats.worker_reports == [("c*1", "w", report)]
    workers.status_report("c*1", "u", None, {"worker": "w", "timestamp": 2})
    assert len(stats.worker_reports) == 1  # no machine_stats, nothing recorded
    assert 40 < redis.ttl(key) <= 45


def test_register_checks(redis: fakeredis.FakeRedis) -> None:
    workers, _ = make(redis)
    for kwargs, expected in (
        ({"timeout": 0}, (400, 1002)),
        ({"timeout": -5}, (400, 1002)),
        ({"timeout": 2**63 - 1}, (400, 1002)),
        ({"queues": ["nope"]}, (400, 701)),
    ):
        with pytest.raises(ApiError) as info:
            workers.register("c*1", "u", "w", **kwargs)
        assert (info.value.code, info.value.subcode) == expected
    with pytest.raises(ApiError) as info:
        workers.register("c*1", "someone-else", "w")
    assert (info.value.code, info.value.subcode) == (400, 301)
    assert workers.get_all("c*1") == []
    workers.register("c*1", "u", "w", timeout=2**31 - 1)
    assert [w["id"] for w in workers.get_all("c*1", last_seen=2**63 - 1)] == ["w"]
