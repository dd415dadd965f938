"""``stationmaster migrate-es``: the command-line face of the migration."""

from __future__ import annotations

import argparse
import signal
from importlib import resources
from typing import Any

_DESCRIPTION = """\
Copy the events of a reference server <= 0.15 (Elasticsearch 5.6: events-*,
worker_stats_* and queue_metrics_* indices) into Elasticsearch 7, keeping index
names and document ids, then verify them. The source is only read. Progress goes
to standard output; the exit code is 0 when every index is verified, 1 on a
mismatch or a failed index, 2 when the migration cannot run, 130 when interrupted
(Ctrl-C; run again with --resume). The operator's guide (backup, run, verify,
switch over, roll back): stationmaster migrate-es --guide
"""

MAX_PAGE = 10000  # Elasticsearch's default index.max_result_window


def add_migrate_es_parser(sub: Any) -> None:
    """Register the ``migrate-es`` subcommand on the CLI's subparsers."""
    p = sub.add_parser(
        "migrate-es",
        help="migrate events from Elasticsearch 5.6 to Elasticsearch 7",
        description=_DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--guide", action=_PrintGuide, help="print the operator's guide (docs/migration.md) and exit")
    p.add_argument("--source", required=True, metavar="URL", help="the Elasticsearch 5.6 cluster, e.g. http://es5:9200")
    p.add_argument("--dest", required=True, metavar="URL", help="the Elasticsearch 7 cluster, e.g. http://es7:9200")
    p.add_argument("--indices", metavar="PATTERN", help="only indices matching these comma-separated globs")
    p.add_argument("--parallel", type=_int_in(1, 64), default=2, metavar="N", help="indices copied at once, 1-64 (2)")
    p.add_argument(
        "--batch-size", type=_int_in(1, MAX_PAGE), default=1000, metavar="N", help="documents per scroll page (1000)"
    )
    p.add_argument(
        "--sample-size", type=_int_in(0, MAX_PAGE), default=500, metavar="N", help="documents compared per index (500)"
    )
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
    from .run import Options, migrate  # here: the other commands need none of the HTTP client

    # Ctrl-C must stop a migration however the process was started: a shell's `cmd &` or
    # some CI runners start it with SIGINT ignored, which a child inherits.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    remote = args.remote_source
    if remote == "":
        remote = args.source
    return migrate(
        Options(
            source=args.source,
            dest=args.dest,
            indices=args.indices,
            parallel=args.parallel,
            batch_size=args.batch_size,
            dry_run=args.dry_run,
            resume=args.resume,
            verify_only=args.verify_only,
            remote_source=remote,
            sample_size=args.sample_size,
        )
    )


def guide_text() -> str:
    """docs/migration.md, as installed with the package."""
    return resources.files("stationmaster").joinpath("docs/migration.md").read_text(encoding="utf-8")


class _PrintGuide(argparse.Action):
    def __init__(self, option_strings: list[str], dest: str, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, **kwargs)

    def __call__(self, parser: argparse.ArgumentParser, *_: Any) -> None:
        print(guide_text(), end="")
        parser.exit()


def _int_in(low: int, high: int) -> Any:
    """An argparse type: a whole number from ``low`` to ``high``."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be {low} to {high}: {text!r}")
        return value

    return parse
