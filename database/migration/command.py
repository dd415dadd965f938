"""``stationmaster migrate-es``: the command-line face of the migration."""

from __future__ import annotations

import argparse
from typing import Any

from .run import Options, migrate

_DESCRIPTION = """\
Copy the events of a reference server <= 0.15 (Elasticsearch 5.6: events-*,
worker_stats_* and queue_metrics_* indices) into Elasticsearch 7, keeping index
names and document ids, then verify them. The source is only read. Progress goes
to standard output; the exit code is 0 when every index is verified, 1 on a
mismatch or a failed index, 2 when the migration cannot run. See docs/migration.md.
"""


def add_migrate_es_parser(sub: Any) -> None:
    """Register the ``migrate-es`` subcommand on the CLI's subparsers."""
    p = sub.add_parser(
        "migrate-es",
        help="migrate events from Elasticsearch 5.6 to Elasticsearch 7",
        description=_DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--source", required=True, metavar="URL", help="the Elasticsearch 5.6 cluster, e.g. http://es5:9200")
    p.add_argument("--dest", required=True, metavar="URL", help="the Elasticsearch 7 cluster, e.g. http://es7:9200")
    p.add_argument("--indices", metavar="PATTERN", help="only indices matching these comma-separated globs")
    p.add_argument("--parallel", type=_positive, default=2, metavar="N", help="indices copied at once (default 2)")
    p.add_argument("--batch-size", type=_positive, default=1000, metavar="N", help="documents per scroll page (1000)")
    p.add_argument("--sample-size", type=_natural, default=500, metavar="N", help="documents compared per index (500)")
    p.add_argument("--dry-run", action="store_true", help="show what would be copied; write nothing")
    p.add_argument("--resume", action="store_true", help="skip indices an earlier run already verified")
    p.add_argument("--verify-only", action="store_true", help="only compare source and destination")
    p.add_argument(
        "--remote-source",
        nargs="?",
        const="",
        default=None,
        metavar="URL",
        help="let the destination pull the data (_reindex from remote; needs reindex.remote.whitelist); "
        "URL is the source as the destination node reaches it (default: --source)",
    )
    p.set_defaults(func=run_command)


def run_command(args: argparse.Namespace) -> int:
    remote = args.remote_source
    if remote == "":
        remote = args.source
    return migrate(
        Options(
            source=args.source,
            dest=args.dest,
            indices=args.indices,
            parallel=args.parallel,
            batch_size=min(args.batch_size, 10000),
            dry_run=args.dry_run,
            resume=args.resume,
            verify_only=args.verify_only,
            remote_source=remote,
            sample_size=min(args.sample_size, 10000),
        )
    )


def _positive(text: str) -> int:
    value = _natural(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1: {text!r}")
    return value


def _natural(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must not be negative: {text!r}")
    return value
