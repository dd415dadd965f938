"""The web app's figures (issue 19), in Debian's headless Chromium, medians of --runs:

- experiments table of one project with 10,000 tasks: first rows visible after navigation;
  a sort (click on a column) and a status filter until the new first row shows;
- scalars tab of a task with 20 series x 50,000 points: all charts drawn;
- console of a task with 100,000 log lines: first screen of lines visible;
- page weight without Plotly: bytes on the wire (gzip) of the app's files in a first visit
  (sign-in page, projects, the table), API answers not counted;
- an API call through the web port (/api/, in-process) against the API port directly.

    .venv/bin/python bench/web.py --runs 5 [--data-dir /tmp/web-bench]

The data directory keeps the population between runs (made once: ~2-4 minutes).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "bench"))

from support.browser import chromium  # noqa: E402
from support.client import ApiClient  # noqa: E402
from support.server import ServerProcess  # noqa: E402
from support.services import free_port  # noqa: E402
from tasks import populate  # noqa: E402

POPULATION = "bench_web.json"
SERIES, POINTS, LINES = 20, 50_000, 100_000


def add_events(api: ApiClient, events: list[dict[str, Any]]) -> None:
    for start in range(0, len(events), 10_000):
        reply = api.call("events.add_batch", batch=events[start : start + 10_000])
        assert reply.status == 200 and not reply.data.get("errors"), reply.envelope


def prepare(data_dir: Path) -> dict[str, Any]:
    marker = data_dir / POPULATION
    if marker.exists():
        return dict(json.loads(marker.read_text()))
    with ServerProcess(data_dir) as server:
        key, secret = server.admin_credentials()
        api = ApiClient(server.url, key=key, secret=secret).login()
        started = time.perf_counter()
        project = api.projects.create(name="bench web", description="10,000 tasks")["id"]
        populate(api, project, 10_000)
        task = api.tasks.create(name="big task", type="training", project=project)["id"]
        t0 = int(time.time() * 1000) - POINTS * 100
        for s in range(SERIES):
            metric, variant = f"metric {s // 5}", f"series {s % 5}"
            add_events(
                api,
                [
                    {
                        "type": "training_stats_scalar",
                        "task": task,
                        "metric": metric,
                        "variant": variant,
                        "iter": i,
                        "value": (i % 1000) / 1000 + s,
                        "timestamp": t0 + i * 100,
                    }
                    for i in range(POINTS)
                ],
            )
        add_events(
            api,
            [
                {"type": "log", "task": task, "level": "info", "msg": f"line {i} " + "x" * 60, "timestamp": t0 + i}
                for i in range(LINES)
            ],
        )
        print(f"population made in {time.perf_counter() - started:.0f} s", flush=True)
    info = {"project": project, "task": task}
    marker.write_text(json.dumps(info))
    return info


def timed(action: Any) -> float:
    started = time.perf_counter()
    action()
    return (time.perf_counter() - started) * 1000


def measure(server: ServerProcess, info: dict[str, Any], runs: int) -> dict[str, list[float]]:
    key, secret = server.admin_credentials()
    api = ApiClient(server.url, key=key, secret=secret).login()
    web = server.web_url
    by_name = api.tasks.get_all_ex(
        project=[info["project"]], order_by=["name"], page=0, page_size=1, only_fields=["id"]
    )
    first_by_name = by_name["tasks"][0]["id"]
    results: dict[str, list[float]] = {k: [] for k in ("table", "sort", "filter", "scalars", "console", "weight_kb")}
    with chromium() as browser:
        for _ in range(runs):
            for name, value in one_run(browser, web, key, secret, info, first_by_name).items():
                results[name].append(value)
    return results


def one_run(browser: Any, web: str, key: str, secret: str, info: dict[str, Any], first: str) -> dict[str, float]:
    out: dict[str, float] = {}
    context = browser.new_context(viewport={"width": 1280, "height": 860})
    page = context.new_page()
    page.set_default_timeout(60_000)
    wire: list[int] = []

    def finished(request: Any) -> None:  # the app's own files (a first visit: nothing cached)
        if "/api/" not in request.url:
            sizes = request.sizes()
            wire.append(sizes["responseBodySize"] + sizes["responseHeadersSize"])

    page.on("requestfinished", finished)
    page.goto(web + "/")
    page.click("[data-testid=mode-keys]")
    page.fill("input[name=user]", key)
    page.fill("input[name=secret]", secret)
    page.click("button[type=submit]")
    page.wait_for_selector("[data-testid=projects]")
    rows = "table.experiments tbody tr[data-id]"
    out["table"] = timed(
        lambda: (page.goto(f"{web}/projects/{info['project']}/experiments"), page.wait_for_selector(rows))
    )
    page.wait_for_load_state("networkidle")
    out["weight_kb"] = sum(wire) / 1024
    # wait_for_selector follows the page every frame (expect() polls at 100-1000 ms steps)
    first_row = f"table.experiments tbody tr:first-child[data-id='{first}']"
    out["sort"] = timed(lambda: (page.click("th[data-col=name]"), page.wait_for_selector(first_row)))
    page.click("details[data-filter=status] summary")
    empty = "table.experiments td.muted:text('No experiments.')"
    out["filter"] = timed(
        lambda: (page.check("details[data-filter=status] input[value=completed]"), page.wait_for_selector(empty))
    )
    base = f"{web}/projects/{info['project']}/experiments/{info['task']}"
    fourth = ".charts > .chart:nth-child(4) canvas"
    out["scalars"] = timed(lambda: (page.goto(base + "/scalars"), page.wait_for_selector(fourth)))
    out["console"] = timed(lambda: (page.goto(base + "/output/log"), page.wait_for_selector(".console .line")))
    context.close()
    return out


def api_round_trips(server: ServerProcess, count: int = 300) -> dict[str, float]:
    import requests

    key, secret = server.admin_credentials()
    token = ApiClient(server.url, key=key, secret=secret).login().token
    out = {}
    for label, url in (("direct", server.url), ("through /api/", server.web_url + "/api")):
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {token}"
        samples = []
        for _ in range(count):
            started = time.perf_counter()
            assert session.post(f"{url}/users.get_current_user", json={}).status_code == 200
            samples.append((time.perf_counter() - started) * 1000)
        out[label] = statistics.median(samples)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--data-dir", default="/tmp/sm-web-bench")
    args = parser.parse_args()
    data = Path(args.data_dir)
    info = prepare(data)
    print(f"load before: {os.getloadavg()}", flush=True)
    with ServerProcess(data, files_port=free_port(), web_port=free_port()) as server:
        results = measure(server, info, args.runs)
        trips = api_round_trips(server)
    print(f"load after: {os.getloadavg()}")
    labels = {
        "table": "experiments table, 10,000 tasks: first rows (ms)",
        "sort": "sort by name (ms)",
        "filter": "filter by status (ms)",
        "scalars": "scalars, 20 series x 50,000 points: charts drawn (ms)",
        "console": "console, 100,000 lines: first screen (ms)",
        "weight_kb": "page weight without Plotly (KB on the wire)",
    }
    for key, label in labels.items():
        values = results[key]
        print(f"{label:58s} median {statistics.median(values):8.1f}   runs {', '.join(f'{v:.0f}' for v in values)}")
    for label, ms in trips.items():
        print(f"users.get_current_user {label:14s} median {ms:.2f} ms")


if __name__ == "__main__":
    main()
