"""Task read benchmark: ``tasks.get_all`` pages and ``tasks.get_by_id`` latency.

    .venv/bin/python bench/tasks.py [--tasks 10000] [--samples 50]

Starts ``stationmaster serve`` on a fresh data directory (embedded store), creates
``--tasks`` tasks in one project through ``tasks.create`` (with a script, hyper-parameters
and tags, like SDK tasks), then measures over real HTTP, as medians of ``--samples`` calls:

- ``tasks.get_all`` of that project, ``page_size`` 500, ``only_fields`` [id, name,
  last_update, system_tags] (the SDK's ``Task.get_tasks``), pages 0..N cycled;
- the same ordered by ``-last_update``;
- ``tasks.get_by_id`` of random tasks (the whole document).

Targets (issue 3): a get_all page ≤ 50 ms, get_by_id ≤ 5 ms.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from support.client import ApiClient  # noqa: E402
from support.server import ServerProcess  # noqa: E402

ONLY = ["id", "name", "last_update", "system_tags"]


def timed_ms(api: ApiClient, endpoint: str, data: dict) -> float:
    started = time.perf_counter()
    reply = api.call(endpoint, data)
    elapsed = (time.perf_counter() - started) * 1000
    assert reply.status == 200, reply.envelope
    return elapsed


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=10000)
    parser.add_argument("--samples", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, ServerProcess(Path(tmp) / "data") as server:
        key, secret = server.admin_credentials()
        api = ApiClient(server.url, key=key, secret=secret).login()
        project = api.projects.create(name="bench project", description="bench")["id"]
        started = time.perf_counter()
        ids = populate(api, project, args.tasks)
        print(f"created {len(ids)} tasks in {time.perf_counter() - started:.1f} s")
        pages = max(1, args.tasks // 500)
        page = [
            timed_ms(
                api, "tasks.get_all", {"project": [project], "page": i % pages, "page_size": 500, "only_fields": ONLY}
            )
            for i in range(args.samples)
        ]
        ordered = [
            timed_ms(
                api,
                "tasks.get_all",
                {
                    "project": [project],
                    "page": i % pages,
                    "page_size": 500,
                    "only_fields": ONLY,
                    "order_by": ["-last_update"],
                },
            )
            for i in range(args.samples)
        ]
        by_id = [timed_ms(api, "tasks.get_by_id", {"task": random.choice(ids)}) for _ in range(args.samples * 4)]
        print(f"{'measure':48} {'median ms':>10} {'p90 ms':>8}")
        for label, values in (
            ("tasks.get_all page of 500, only_fields", page),
            ("tasks.get_all page of 500, only_fields, order_by", ordered),
            ("tasks.get_by_id (whole document)", by_id),
        ):
            p90 = statistics.quantiles(values, n=10)[-1]
            print(f"{label:48} {statistics.median(values):10.1f} {p90:8.1f}")


if __name__ == "__main__":
    main()
