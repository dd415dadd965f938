"""Benchmark: documents/s copied by ``stationmaster migrate-es`` (ES 5.6.16 → 7.17.29).

Starts a real Elasticsearch 5.6 node and a 7.17 node (tests/services/), loads
``--docs`` scalar events (reference ≤ 0.15 shape, ``--companies`` indices) into the 5.6
node, then migrates them ``--repeat`` times per mode into an emptied destination and
prints the median documents/s (copy + refresh; verification timed separately).

    .venv/bin/python bench/migrate_es.py [--docs 1000000] [--companies 4] [--repeat 1]
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "services" / "elasticsearch5"))
sys.path.insert(0, str(ROOT / "tests" / "services" / "elasticsearch"))
sys.path.insert(0, str(ROOT.parent))

import es5_data as data  # noqa: E402
from es5_node import Es5Node  # noqa: E402
from es_node import EsNode  # noqa: E402

from stationmaster.database.migration.run import Options, migrate  # noqa: E402


def _events(docs: int, companies: int):  # type: ignore[no-untyped-def]
    per_company = docs // companies
    iters = per_company // 4  # 2 metrics × 2 variants per iteration
    for c in range(companies):
        company = f"{c:032x}"
        yield from data.scalar_events(company, f"task{c:028x}", iters)


def _clean(url: str) -> None:
    for pattern in ("events-*", "stationmaster_migration"):
        data.request(f"{url}/{pattern}?allow_no_indices=true&ignore_unavailable=true", "DELETE")


def _run(opts: Options) -> tuple[float, float]:
    """(copy docs/s, verification seconds) parsed from one migration's report."""
    out = io.StringIO()
    opts.out = out
    started = time.monotonic()
    code = migrate(opts)
    total = time.monotonic() - started
    text = out.getvalue()
    if code != 0:
        raise SystemExit(f"migration failed ({code}):\n{text}")
    line = next(ln for ln in text.splitlines() if ln.startswith("copied "))
    docs = int(line.split()[1].replace(",", ""))
    seconds = float(line.split(" in ")[1].split("s")[0])
    return docs / seconds, total - seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=1_000_000)
    parser.add_argument("--companies", type=int, default=4)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--parallel", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=1000)
    parser.add_argument("--modes", default="scroll,remote", help="scroll and/or remote")
    args = parser.parse_args()
    es7_node = EsNode(heap="1g")
    with Es5Node(heap="1g") as es5_node:
        try:
            es7 = es7_node.start(settings={"reindex.remote.whitelist": "127.0.0.1:*"})
            _bench(args, es5_node.url, es7)
        finally:
            es7_node.stop()


def _bench(args: argparse.Namespace, es5: str, es7: str) -> None:
    data.install_es5_templates(es5)
    started = time.monotonic()
    loaded = data.bulk_load(es5, _events(args.docs, args.companies), chunk=5000)
    print(f"loaded {loaded:,} scalar events into ES 5.6 in {time.monotonic() - started:.0f}s", flush=True)
    for mode in args.modes.split(","):
        rates, verify = [], []
        for _ in range(args.repeat):
            _clean(es7)
            opts = Options(
                source=es5,
                dest=es7,
                parallel=args.parallel,
                batch_size=args.batch_size,
                remote_source=es5 if mode == "remote" else None,
            )
            rate, checked = _run(opts)
            rates.append(rate)
            verify.append(checked)
        print(
            f"{mode:7s} {loaded:,} docs, {args.companies} indices, parallel {args.parallel}, "
            f"batch {args.batch_size}: median {statistics.median(rates):,.0f} docs/s "
            f"(runs: {', '.join(f'{r:,.0f}' for r in rates)}); verification {statistics.median(verify):.1f}s",
            flush=True,
        )


if __name__ == "__main__":
    main()
