"""Task read benchmark: ``tasks.get_all`` pages and ``tasks.get_by_id`` latency.

    .venv/bin/python bench/tasks.py [--tasks 10000] [--samples 50] [--data-dir DIR]
                                    [--rounds 1] [--base-tree DIR] [--evil 22]
                                    [--projects 1000] [--project-tasks 10]

Starts ``stationmaster serve`` (embedded store) on a data directory holding ``--tasks``
tasks in one project, created through ``tasks.create`` (with a script, hyper-parameters
and tags, like SDK tasks); ``--data-dir`` keeps that population for later runs (each
server works on a copy). Then measures over real HTTP, as medians of ``--samples`` calls:

- ``tasks.get_all`` of that project, ``page_size`` 500, ``only_fields`` [id, name,
  last_update, system_tags] (the SDK's ``Task.get_tasks``), pages 0..N cycled;
- the same ordered by ``-last_update``;
- ``tasks.get_by_id`` of random tasks (the whole document);
- ``tasks.get_all`` with an SDK-style name filter (``^bench task 123$``, the anchored,
  escaped pattern of ``Task.get_tasks``) over all tasks;
- ``tasks.get_all_ex`` (v2.23, as the web app's experiments table) of that project, page
  of 500, ``only_fields`` with the joined ``project.name`` and ``user.name``;
- ``projects.get_all_ex`` (v2.23) with ``include_stats``, a page of 500 of ``--projects``
  projects holding ``--project-tasks`` tasks each (the web app's projects page);
- ``tasks.get_all {"name": "^(a+)+$"}`` with one task named ``"a" * --evil + "!"`` (a
  pattern that backtracks exponentially in Python's ``re``; issue 13), and the latency
  of ``debug.ping`` sent 0.3 s into that call.

Besides wall time per call it prints the server process's CPU time per call (from
``/proc/<pid>/stat``), which is less sensitive to a busy machine. ``--base-tree DIR``
(a checkout of an older commit, e.g. ``git archive HEAD | tar -x -C DIR``) runs that
code as a second server, alternating with the current code for ``--rounds`` rounds:
an A/B comparison on the same data under the same load.

Targets (issue 3): a get_all page ≤ 50 ms, get_by_id ≤ 5 ms; (issue 16) a get_all_ex
page and a projects.get_all_ex page with stats < 50 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from support.client import ApiClient
from support.server import ServerProcess

ONLY = ["id", "name", "last_update", "system_tags"]
POPULATION = "bench_tasks.json"
CLK_TCK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def populate(api: ApiClient, project: str, count: int) -> list[str]:
    def create(i: int) -> str:
        client = api.with_version(None)
        return str(
            client.tasks.create(
                name=f"bench task {i}",
                type="training",
                project=project,
                system_tags=["development"],
                tags=[f"t{i % 7}"],
                script={"repository": "https://git/x", "entry_point": "train.py", "diff": "x" * 200},
                hyperparams={
                    "Args": {f"p{j}": {"section": "Args", "name": f"p{j}", "value": str(j)} for j in range(10)}
                },
            )["id"]
        )

    with ThreadPoolExecutor(4) as pool:
        return list(pool.map(create, range(count)))


def populate_projects(api: ApiClient, projects: int, per_project: int) -> list[str]:
    """``projects`` projects of ``per_project`` tasks each, in all statuses the stats count."""

    def create(i: int) -> str:
        project = str(api.projects.create(name=f"stats project {i:04d}", description="bench")["id"])
        for j in range(per_project):
            task = api.tasks.create(name=f"stats task {i}-{j}", type="training", project=project)["id"]
            if j % 3 == 1:
                api.tasks.started(task=task)
            elif j % 3 == 2:
                api.tasks.completed(task=task, force=True)
        return project

    with ThreadPoolExecutor(4) as pool:
        return list(pool.map(create, range(projects)))


def prepared(data_dir: Path, count: int, projects: int = 0, per_project: int = 0) -> dict:
    """The population (project, task ids; the stats projects) in ``data_dir``, created on
    first use."""
    marker = data_dir / POPULATION
    if marker.exists():
        info = json.loads(marker.read_text())
        if info["count"] == count and info.get("stats_projects") == [projects, per_project]:
            return info
        shutil.rmtree(data_dir)
    with ServerProcess(data_dir) as server:
        key, secret = server.admin_credentials()
        api = ApiClient(server.url, key=key, secret=secret).login()
        project = api.projects.create(name="bench project", description="bench")["id"]
        started = time.perf_counter()
        ids = populate(api, project, count)
        print(f"created {len(ids)} tasks in {time.perf_counter() - started:.1f} s")
        started = time.perf_counter()
        populate_projects(api, projects, per_project)
        print(f"created {projects} projects of {per_project} tasks in {time.perf_counter() - started:.1f} s")
    info = {"count": count, "project": project, "ids": ids, "stats_projects": [projects, per_project]}
    marker.write_text(json.dumps(info))
    return info


def measure(server: ServerProcess, info: dict, samples: int, evil: int) -> dict[str, tuple[list[float], float]]:
    """label -> (wall ms per call, server CPU ms per call)."""
    key, secret = server.admin_credentials()
    api = ApiClient(server.url, key=key, secret=secret).login()
    assert server.proc is not None
    pid = server.proc.pid
    project, ids = info["project"], info["ids"]
    pages = max(1, len(ids) // 500)
    base = {"project": [project], "page_size": 500, "only_fields": ONLY}
    cases = {
        "get_all page of 500, only_fields": lambda i: ("tasks.get_all", {**base, "page": i % pages}),
        "get_all page of 500, order_by -last_update": lambda i: (
            "tasks.get_all",
            {**base, "page": i % pages, "order_by": ["-last_update"]},
        ),
        "get_by_id (whole document)": lambda i: ("tasks.get_by_id", {"task": random.choice(ids)}),
        "get_all name filter ^bench task N$": lambda i: (
            "tasks.get_all",
            {"name": f"^bench task {i % len(ids)}$", "only_fields": ONLY},
        ),
        "get_all_ex v2.23 page of 500, joins": lambda i: (
            "tasks.get_all_ex",
            {**base, "page": i % pages, "only_fields": [*ONLY, "status", "type", "project.name", "user.name"]},
            "2.23",
        ),
    }
    if info.get("stats_projects", [0])[0]:
        project_pages = max(1, info["stats_projects"][0] // 500)
        cases["projects.get_all_ex v2.23 include_stats, 500"] = lambda i: (
            "projects.get_all_ex",
            {"name": "^stats project", "include_stats": True, "page": i % project_pages, "page_size": 500},
            "2.23",
        )
    api.call("tasks.get_all", {**base, "page": 0})  # warm-up: caches, indexes
    result = {}
    for label, make in cases.items():
        n = samples * 4 if label.startswith("get_by_id") else samples
        walls = []
        cpu_before = cpu_seconds(pid)
        for i in range(n):
            endpoint, data, *version = make(i)
            started = time.perf_counter()
            reply = api.call(endpoint, data, version=version[0] if version else None)
            walls.append((time.perf_counter() - started) * 1000)
            assert reply.status == 200, reply.envelope
        result[label] = (walls, (cpu_seconds(pid) - cpu_before) * 1000 / n)
    result.update(catastrophic(api, pid, evil, max(3, samples // 10)))
    result["server RSS MB after the runs"] = ([rss_mb(pid)], 0.0)
    return result


def catastrophic(api: ApiClient, pid: int, evil: int, samples: int) -> dict[str, tuple[list[float], float]]:
    """``^(a+)+$`` against a task named a...a! (``evil`` a's), and debug.ping meanwhile."""
    api.tasks.create(name="a" * evil + "!", type="training")
    slow = ApiClient(api.base_url, token=api.token, timeout=600)
    walls, pings = [], []
    cpu_before = cpu_seconds(pid)
    for _ in range(samples):
        with ThreadPoolExecutor(1) as pool:
            started = time.perf_counter()
            future = pool.submit(slow.call, "tasks.get_all", {"name": "^(a+)+$", "only_fields": ["id"]})
            time.sleep(0.3)  # past the scan of the other tasks' names (~0.1 s): inside the match
            ping_started = time.perf_counter()
            api.call("debug.ping")
            pings.append((time.perf_counter() - ping_started) * 1000)
            assert future.result().status == 200
            walls.append((time.perf_counter() - started) * 1000)
    cpu = (cpu_seconds(pid) - cpu_before) * 1000 / samples
    return {f"get_all ^(a+)+$, {evil} a's": (walls, cpu), "debug.ping during it": (pings, 0.0)}


def run_server(tree: Path | None, data: Path, work: Path, info: dict, samples: int, evil: int) -> dict:
    copy = work / "data"
    if copy.exists():
        shutil.rmtree(copy)
    shutil.copytree(data, copy)
    env = {"PYTHONPATH": str(tree)} if tree else {}
    with ServerProcess(copy, env=env) as server:
        return measure(server, info, samples, evil)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=10000)
    parser.add_argument("--samples", type=int, default=50)
    parser.add_argument("--data-dir", type=Path, help="keep the populated data here for later runs")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--base-tree", type=Path, help="an older source tree to compare with (A/B)")
    parser.add_argument("--evil", type=int, default=22, help="a's in the task name of the ^(a+)+$ case")
    parser.add_argument("--projects", type=int, default=1000, help="projects for the projects.get_all_ex stats case")
    parser.add_argument("--project-tasks", type=int, default=10, help="tasks in each of those projects")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data = args.data_dir or Path(tmp) / "population"
        info = prepared(data, args.tasks, args.projects, args.project_tasks)
        variants: dict[str, Path | None] = {"current": None}
        if args.base_tree:
            # PYTHONPATH entry holding a ``stationmaster`` package made of the base tree
            shim = Path(tmp) / "base"
            shim.mkdir()
            (shim / "stationmaster").symlink_to(args.base_tree.resolve())
            variants = {"base": shim, "current": None}
        walls: dict[tuple[str, str], list[float]] = {}
        cpus: dict[tuple[str, str], list[float]] = {}
        for _ in range(args.rounds):
            for name, tree in variants.items():
                for label, (wall, cpu) in run_server(tree, data, Path(tmp), info, args.samples, args.evil).items():
                    walls.setdefault((name, label), []).extend(wall)
                    cpus.setdefault((name, label), []).append(cpu)
        print("load average: " + " ".join(f"{v:.1f}" for v in os.getloadavg()))
        print(f"{'variant':8} {'measure':44} {'median ms':>10} {'p90 ms':>8} {'server CPU ms':>14}")
        for (name, label), values in walls.items():
            p90 = statistics.quantiles(values, n=10)[-1] if len(values) > 1 else values[0]
            cpu = statistics.median(cpus[(name, label)])
            print(f"{name:8} {label:44} {statistics.median(values):10.1f} {p90:8.1f} {cpu:14.1f}")


if __name__ == "__main__":
    main()
