"""workers.register / unregister / status_report / get_all on the embedded store
(fakeredis) and against a real redis-server (records under the reference's key names
in the workers database, with the register timeout as TTL)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from support.client import ApiClient
from support.server import ServerProcess


def worker_name() -> str:
    return f"host:{uuid.uuid4().hex[:8]}:gpu0"


def listed(api: ApiClient, **request: object) -> dict[str, dict]:
    return {w["id"]: w for w in api.workers.get_all(**request)["workers"]}


def check_worker_life_cycle(api: ApiClient) -> None:
    """Shared by the fakeredis and the real-redis tests."""
    queue = api.queues.create(name=f"wq-{uuid.uuid4().hex[:8]}")["id"]
    name = worker_name()
    assert api.workers.register(worker=name, queues=[queue]) == {}
    worker = listed(api)[name]
    assert worker["user"]["id"] == api.user_id  # type: ignore[attr-defined]
    assert worker["company"]["id"] == api.company_id  # type: ignore[attr-defined]
    assert worker["queues"] == [{"id": queue, "name": worker["queues"][0]["name"], "num_tasks": 0}]
    assert worker["register_timeout"] == 600 and worker["register_time"] and worker["ip"]
    task = api.tasks.create(name="run me", type="training")["id"]
    api.queues.add_task(queue=queue, task=api.tasks.create(name="queued task", type="training")["id"])
    report = {"worker": name, "timestamp": int(time.time() * 1000), "task": task, "queue": queue}
    assert api.workers.status_report(**report, machine_stats={"cpu_usage": [10.5, 20], "memory_used": 1024.5}) == {}
    worker = listed(api)[name]
    assert worker["task"]["id"] == task and worker["task"]["name"] == "run me"
    assert worker["queue"]["id"] == queue and worker["queue"]["num_tasks"] == 1
    assert worker["queue"]["next_task"]["id"]
    assert worker["last_report_time"]
    stored = api.tasks.get_by_id(task=task)["task"]
    assert stored["last_worker"] == name and stored["last_worker_report"]
    # a report without a task clears it; queues are kept when not sent
    api.workers.status_report(worker=name, timestamp=1)
    worker = listed(api)[name]
    assert "task" not in worker and "queue" not in worker and worker["queues"][0]["id"] == queue
    assert api.workers.unregister(worker=name) == {}
    assert name not in listed(api)
    assert api.call("workers.unregister", {"worker": name}).code == (400, 1004)


def test_life_cycle(tenant: ApiClient) -> None:
    check_worker_life_cycle(tenant)


def test_status_report_registers_an_unknown_worker(tenant: ApiClient) -> None:
    name = worker_name()
    # what clearml-agent sends, unversioned, including fields outside the schema
    reply = tenant.call(
        "workers.status_report",
        {"worker": name, "timestamp": 1700000000000, "queues": [], "is_daemon": True, "machine_stats": None},
        method="GET",
    )
    assert reply.status == 200, reply.envelope
    worker = listed(tenant)[name]
    assert worker["register_timeout"] == 600 and worker["last_activity_time"]


def test_bad_input(tenant: ApiClient) -> None:
    name = worker_name()
    assert tenant.call("workers.register", {"worker": name, "timeout": 0}).code == (400, 1002)
    assert tenant.call("workers.register", {"worker": name, "queues": ["nope"]}).code == (400, 701)
    reply = tenant.call("workers.register", {})
    assert reply.code == (400, 12) and "worker" in reply.meta["result_msg"]
    reply = tenant.call("workers.status_report", {"worker": name})
    assert reply.code == (400, 12) and "timestamp" in reply.meta["result_msg"]
    reply = tenant.call("workers.status_report", {"worker": name, "timestamp": 1, "task": "nope"})
    assert reply.code == (400, 101)
    # the refused report still registered the worker, as the reference does
    assert name in listed(tenant)
    assert tenant.call(
        "workers.status_report", {"worker": name, "timestamp": 1, "machine_stats": {"memory_used": "x"}}
    ).code == (400, 12)
    assert tenant.call("workers.unregister", {"worker": worker_name()}).code == (400, 1004)


def test_workers_are_scoped_to_company(make_tenant, tenant: ApiClient) -> None:  # type: ignore[no-untyped-def]
    stranger = make_tenant()
    name = worker_name()
    tenant.workers.register(worker=name)
    assert name not in listed(stranger)
    assert stranger.call("workers.unregister", {"worker": name}).code == (400, 1004)
    other_task = stranger.tasks.create(name="theirs", type="training")["id"]
    assert tenant.call("workers.status_report", {"worker": name, "timestamp": 1, "task": other_task}).code == (400, 101)


def test_timeout_and_last_seen(tenant: ApiClient) -> None:
    short, other = worker_name(), worker_name()
    tenant.workers.register(worker=other, timeout=30)
    tenant.workers.register(worker=short, timeout=3)  # long enough to be listed on a loaded machine
    assert {short, other} <= set(listed(tenant))
    deadline = time.monotonic() + 15
    while short in listed(tenant) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert short not in listed(tenant) and other in listed(tenant)
    time.sleep(1.2)
    assert other not in listed(tenant, last_seen=1)
    assert other in listed(tenant, last_seen=0) and other in listed(tenant, last_seen=3600)


def test_get_all_ex_lists_listening_workers(tenant: ApiClient) -> None:
    queue = tenant.queues.create(name=f"wq-{uuid.uuid4().hex[:8]}")["id"]
    name = worker_name()
    tenant.workers.register(worker=name, queues=[queue])
    ex = tenant.queues.get_all_ex(id=[queue])["queues"][0]
    assert [w["name"] for w in ex["workers"]] == [name]


@pytest.mark.parametrize("version", ["2.4", "2.9", "2.20"])
def test_versions(tenant: ApiClient, version: str) -> None:
    reply = tenant.call("workers.get_all", {}, version=version)
    assert reply.status == 200 and "workers" in reply.data


# --- a real redis-server ---------------------------------------------------------------


@pytest.fixture(scope="module")
def redis_api(redis_address: tuple[str, int], tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiClient]:
    """The admin of a server whose Redis databases are on the real redis-server."""
    host, port = redis_address
    env = {
        "STATIONMASTER__hosts__redis__apiserver__host": host,
        "STATIONMASTER__hosts__redis__apiserver__port": str(port),
        "STATIONMASTER__hosts__redis__workers__host": host,
        "STATIONMASTER__hosts__redis__workers__port": str(port),
    }
    data_dir: Path = tmp_path_factory.mktemp("redis-server") / "data"
    server = ServerProcess(data_dir, env=env).start(timeout=90)  # generous on a loaded machine
    try:
        key, secret = server.admin_credentials()
        api = ApiClient(server.url, key=key, secret=secret).login()
        me = api.users.get_current_user()["user"]
        api.user_id, api.company_id = me["id"], me["company"]["id"]  # type: ignore[attr-defined]
        yield api
    finally:
        server.stop()


def test_life_cycle_on_real_redis(redis_api: ApiClient) -> None:
    check_worker_life_cycle(redis_api)


def test_record_key_and_ttl_on_real_redis(redis_api: ApiClient, redis_address: tuple[str, int]) -> None:
    host, port = redis_address
    workers_db = redis.Redis(host=host, port=port, db=4)
    name = worker_name()
    key = f"worker_{redis_api.company_id}_{redis_api.user_id}_{name}"  # type: ignore[attr-defined]
    redis_api.workers.register(worker=name, timeout=120)
    assert workers_db.exists(key) and 100 < workers_db.ttl(key) <= 120
    redis_api.workers.status_report(worker=name, timestamp=1, queues=[])
    assert 100 < workers_db.ttl(key) <= 120
    redis_api.workers.unregister(worker=name)
    assert not workers_db.exists(key)
    # an expired (here: removed) record means the worker is gone
    other = worker_name()
    redis_api.workers.register(worker=other)
    assert other in listed(redis_api)
    workers_db.delete(f"worker_{redis_api.company_id}_{redis_api.user_id}_{other}")  # type: ignore[attr-defined]
    assert other not in listed(redis_api)
