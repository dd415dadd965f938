"""Several API processes, one truth: three ``stationmaster serve`` processes and one
``stationmaster fileserver`` on the team configuration (FerretDB, the Elasticsearch 7.17
node, redis-server), the recording relay in front as a round-robin balancer
(``ScaledE2E``). Also ``serve --workers N`` (N processes on one port)."""

from __future__ import annotations

import os
import signal
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import test_remote as remote
import test_tracking as tracking
from e2e_harness import E2E, ScaledE2E
from support.client import ApiClient
from support.server import ServerProcess

# The figure is 50 pollers × 1,000 tasks; on the 2-core test machines that alone
# takes minutes on FerretDB, so the pollers race for fewer tasks (each process still has
# 10 pollers popping the one queue at once).
POLLERS = 30
TASKS = 300


def _scaled(e2e: E2E) -> ScaledE2E:
    assert isinstance(e2e, ScaledE2E)
    return e2e


def _poll_until_empty(api: ApiClient, queue: str) -> list[str]:
    client = api.with_version("2.14")  # as clearml-agent polls
    got: list[str] = []
    while True:
        reply = client.call("queues.get_next_task", {"queue": queue}, method="GET")
        assert reply.status == 200, reply.envelope
        entry = reply.data.get("entry")
        if not entry:
            return got
        got.append(entry["task"])


def test_pollers_on_three_processes_pop_every_task_exactly_once(e2e_scaled: E2E) -> None:
    clients = _scaled(e2e_scaled).clients()
    queue = clients[0].queues.create(name=f"scaled-{uuid.uuid4().hex[:8]}")["id"]

    def add(i: int) -> str:
        api = clients[i % len(clients)]
        task = str(api.tasks.create(name=f"scaled {i}", type="training")["id"])
        assert api.queues.add_task(queue=queue, task=task)["added"] == 1
        return task

    with ThreadPoolExecutor(6) as pool:
        tasks = list(pool.map(add, range(TASKS)))
    pollers = [clients[i % len(clients)].with_version(None) for i in range(POLLERS)]
    started = time.monotonic()
    with ThreadPoolExecutor(POLLERS) as pool:
        results = list(pool.map(lambda api: _poll_until_empty(api, queue), pollers))
    elapsed = time.monotonic() - started
    delivered = Counter(t for got in results for t in got)
    assert [t for t, n in delivered.items() if n > 1] == []
    assert set(delivered) == set(tasks) and sum(delivered.values()) == TASKS
    per_process = [sum(len(results[i]) for i in range(p, POLLERS, len(clients))) for p in range(len(clients))]
    assert all(per_process), per_process  # every process served pops
    assert clients[1].queues.get_by_id(queue=queue)["queue"]["entries"] == []
    print(f"{POLLERS} pollers on 3 processes popped {TASKS} tasks in {elapsed:.1f}s, per process {per_process}")


def test_a_token_revoked_on_one_process_is_refused_by_all_within_5s(e2e_scaled: E2E) -> None:
    scaled = _scaled(e2e_scaled)
    admin = scaled.clients()[0]
    creds = admin.auth.create_credentials()["credentials"]
    token = ApiClient(scaled.servers[1].url, key=creds["access_key"], secret=creds["secret_key"]).login().token
    users = [ApiClient(s.url, token=token) for s in scaled.servers]
    for api in users:  # every process has the token verified (and cached)
        assert api.call("users.get_current_user").status == 200
    users[0].auth.logout()
    revoked = time.monotonic()
    refused: dict[int, float] = {}
    while len(refused) < len(users) and time.monotonic() - revoked < 10:
        for i, api in enumerate(users):
            if i not in refused and api.call("users.get_current_user").status == 401:
                refused[i] = time.monotonic() - revoked
        time.sleep(0.05)
    assert sorted(refused) == [0, 1, 2], refused
    assert max(refused.values()) <= 5, refused
    assert refused[0] < 0.5, refused  # the process that revoked it: at once


def test_a_worker_registered_through_one_process_is_listed_by_the_others(e2e_scaled: E2E) -> None:
    clients = _scaled(e2e_scaled).clients()
    worker = f"scaled-{uuid.uuid4().hex[:8]}"
    clients[2].workers.register(worker=worker, timeout=60)
    for api in clients:
        assert worker in {w["id"] for w in api.workers.get_all()["workers"]}
    clients[0].workers.unregister(worker=worker)
    for api in clients:
        assert worker not in {w["id"] for w in api.workers.get_all()["workers"]}


def test_tracking_round_trip_through_the_balancer(e2e_scaled: E2E) -> None:
    tracking.test_tracking_round_trip(e2e_scaled, "clearml")


def test_clearml_agent_daemon_through_the_balancer(e2e_scaled: E2E) -> None:
    remote.daemon_runs_clone(e2e_scaled, "clearml", "clearml-agent", 0.5, 240)


def _children(pid: int) -> list[int]:
    text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    return [int(p) for p in text.split()]


def _workers_server(team_stores: Any, root: Path, name: str, redis_db: int) -> ServerProcess:
    config = team_stores.config_dir(root / "config", name, redis_db=redis_db)
    return ServerProcess(root / "data", config_dir=config, files_port=0, extra_args=["--workers", "3"])


def _gone(pid: int) -> bool:
    try:
        return "zombie" in Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return True


def test_serve_workers_runs_n_processes_on_one_port(team_stores: Any, tmp_path: Path) -> None:
    server = _workers_server(team_stores, tmp_path, "workers", redis_db=6)
    with server:
        assert server.proc
        workers = _children(server.proc.pid)
        assert len(workers) == 3, server.log()
        key, secret = server.admin_credentials()
        token = ApiClient(server.url, key=key, secret=secret).login().token
        failures: list[Any] = []

        def calls() -> None:
            api = ApiClient(server.url, token=token)
            for _ in range(20):
                reply = api.call("queues.get_all")
                if reply.status != 200:
                    failures.append(reply.envelope)

        threads = [threading.Thread(target=calls) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert failures == []
        assert server.stop() == 0  # SIGTERM to the supervisor stops every worker
    assert all(_gone(pid) for pid in workers)


def test_serve_workers_stops_when_a_worker_dies(team_stores: Any, tmp_path: Path) -> None:
    server = _workers_server(team_stores, tmp_path, "workers_died", redis_db=8)
    with server:
        assert server.proc
        workers = _children(server.proc.pid)
        os.kill(workers[1], signal.SIGKILL)
        assert server.proc.wait(40) == 1, server.log()
        assert "API worker 1" in server.log()
    assert all(_gone(pid) for pid in workers)
