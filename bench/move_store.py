"""Benchmark: documents/s and events/s copied by ``stationmaster move-store`` from an
embedded data directory into FerretDB (MongoDB wire) and the Elasticsearch 7.17 test node.

Starts the test node (tests/services/elasticsearch) and FerretDB on SQLite
(tests/services/ferretdb), fills a data directory with ``--tasks`` tasks and ``--events``
scalar events (narrow rows, 2 metrics x 2 variants per iteration over 10 tasks, plus 50
log lines and 3 debug images), then moves it ``--runs`` times, each into fresh MongoDB
databases with the event indices deleted, as a separate ``stationmaster move-store``
process. Prints per run and the median: documents/s and events/s of the copy (from the
command's report: the copy of the units of each kind, their verification not counted),
the whole command's wall time; and after each run the node's own bulk rate for 100,000
such documents sent prebuilt the same way (its ceiling under the machine's load then).

    .venv/bin/python bench/move_store.py [--events 1000000] [--tasks 10000] [--runs 3] [--parallel 2]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "tests" / "services" / "elasticsearch"))
sys.path.insert(0, str(ROOT / "tests" / "services" / "ferretdb"))
sys.path.insert(0, str(ROOT.parent))

from es_node import EsNode, build  # noqa: E402
from ferretdb import FerretDB  # noqa: E402
from support.embedded_fill import fill  # noqa: E402

_RATE = re.compile(r"^  (documents|events|stats): ([\d,]+) in ([\d.]+)s \(([\d,]+)/s\)$", re.M)


def _delete_indices(es_url: str) -> None:
    _request(
        f"{es_url}/events-*,worker_stats_*,queue_metrics_*?allow_no_indices=true&ignore_unavailable=true", "DELETE"
    )


def _one(data_dir: Path, mongo: str, es: str, parallel: int, batch: int) -> dict[str, float]:
    cmd = [sys.executable, "-m", "stationmaster.server.cli", "move-store", "--data-dir", str(data_dir)]
    cmd += ["--mongo", mongo, "--es", es, "--parallel", str(parallel), "--batch-size", str(batch)]
    started = time.monotonic()
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=7200)
    wall = time.monotonic() - started
    if done.returncode != 0:
        raise SystemExit(f"move-store exited {done.returncode}:\n{done.stdout[-4000:]}\n{done.stderr[-2000:]}")
    rates = {kind: float(rate.replace(",", "")) for kind, _, _, rate in _RATE.findall(done.stdout)}
    return {"docs/s": rates.get("documents", 0.0), "events/s": rates.get("events", 0.0), "wall s": wall}


def _ceiling(es_url: str, docs: int, parallel: int, batch: int) -> float:
    """The node's own bulk rate for the same documents (prebuilt bodies, no reading, the
    same index settings as during a move): what move-store's events/s compares with."""
    import json
    import threading

    index = "events-training_stats_scalar-benchceiling"
    _request(f"{es_url}/{index}?ignore_unavailable=true", "DELETE")
    _request(f"{es_url}/{index}", "PUT", {})
    _request(
        f"{es_url}/{index}/_settings", "PUT", {"index": {"refresh_interval": "-1", "translog.durability": "async"}}
    )
    bodies = []
    for start in range(0, docs, batch):
        lines = []
        for i in range(start, min(start + batch, docs)):
            lines.append(json.dumps({"index": {"_index": index, "_id": f"{i:032x}"}}))
            doc = {"timestamp": 1764800000000 + i, "type": "training_stats_scalar", "task": "a" * 32, "iter": i}
            doc.update(metric="m0", variant="v0", value=i * 0.5, worker="w1")
            doc["@timestamp"] = "2025-12-03T22:13:20.000Z"
            lines.append(json.dumps(doc))
        bodies.append(("\n".join(lines) + "\n").encode())

    def send(mine: list[bytes]) -> None:
        for body in mine:
            _request(f"{es_url}/_bulk?filter_path=errors", "POST", body=body)

    started = time.monotonic()
    threads = [threading.Thread(target=send, args=(bodies[i::parallel],)) for i in range(parallel)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    rate = docs / (time.monotonic() - started)
    _request(f"{es_url}/{index}", "DELETE")
    return rate


def _request(url: str, method: str, payload: object = None, body: bytes | None = None) -> None:
    import json

    data = body if body is not None else (json.dumps(payload).encode() if payload is not None else None)
    kind = "application/x-ndjson" if body is not None else "application/json"
    req = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": kind})
    try:
        urllib.request.urlopen(req, timeout=300).read()
    except urllib.error.HTTPError as ex:
        if ex.code != 404:
            raise


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--tasks", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--parallel", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=2000)
    parser.add_argument("--heap", default="1g", help="the Elasticsearch node's heap (1g)")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="sm-bench-move-"))
    build()
    node = EsNode(heap=args.heap)
    db = FerretDB()
    try:
        es_url = node.start(timeout=240)
        mongo_url = db.start()
        started = time.monotonic()
        fill(work / "data", tasks=args.tasks, scalars=args.events)
        print(f"filled {args.tasks:,} tasks and {args.events:,} scalar events in {time.monotonic() - started:.0f}s")
        results = []
        for run in range(args.runs):
            _delete_indices(es_url)
            result = _one(work / "data", f"{mongo_url}bench{run}", es_url, args.parallel, args.batch_size)
            result["node ceiling events/s"] = _ceiling(es_url, 100_000, args.parallel, args.batch_size)
            results.append(result)
            print(f"run {run + 1}: " + ", ".join(f"{k} {v:,.1f}" for k, v in result.items()), flush=True)
        print(
            f"median of {args.runs}: "
            + ", ".join(f"{k} {statistics.median(r[k] for r in results):,.1f}" for k in results[0])
        )
        print(f"nproc {os.cpu_count()}, load {os.getloadavg()[0]:.1f} (1 min) at the end")
    finally:
        db.stop()
        node.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
