"""``stationmaster move-store`` (database/move does the work)."""

from __future__ import annotations

import argparse
import os
import signal
import sys
from pathlib import Path
from typing import Any

_DESCRIPTION = """\
Copy an embedded installation (the data directory: documents, events, statistics) to
the team stores: MongoDB, Elasticsearch 7 (through the index templates the server
installs) and, with --files-to, the file store to another root. Every id is kept, so
SDK URLs, artifact links and tokens stay valid. The target comes from the team's
configuration (--config, hosts.conf: hosts.mongo.backend/auth, hosts.elastic.events/
workers) or --mongo and --es. A target that holds anything is refused unless --merge.
The embedded server must be stopped. The run ends with a verification (counts per
collection and index, a sample compared field by field). Exit code 0 when everything
is verified, 1 on a mismatch or a failed unit, 2 when the move cannot run, 130 when
interrupted (Ctrl-C; run again with --resume, as after a crash).
"""


def add_move_store_parser(sub: Any) -> None:
    from ..database.migration.command import _int_in

    p = sub.add_parser(
        "move-store",
        help="copy an embedded installation to MongoDB + Elasticsearch (a team deployment)",
        description=_DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--data-dir", required=True, metavar="DIR", help="the embedded installation's data directory")
    p.add_argument(
        "--config", action="append", default=[], metavar="DIR", help="the team's configuration directory (repeatable)"
    )
    p.add_argument(
        "--mongo",
        metavar="URL",
        help="MongoDB server, mongodb://HOST:PORT[/PREFIX] (databases [PREFIX_]backend, [PREFIX_]auth); "
        "overrides --config",
    )
    p.add_argument("--es", metavar="URL", help="Elasticsearch 7 for events and statistics; overrides --config")
    p.add_argument("--files-root", metavar="DIR", help="the source file store (default: DATA_DIR/files)")
    p.add_argument("--files-to", metavar="DIR", help="also copy the file store to this root")
    p.add_argument("--dry-run", action="store_true", help="show what would be copied; write nothing")
    p.add_argument("--resume", action="store_true", help="go on with an interrupted run (skip verified units)")
    p.add_argument("--verify-only", action="store_true", help="only compare the source and the target")
    p.add_argument("--merge", action="store_true", help="copy into a target that is not empty (same ids replaced)")
    p.add_argument("--parallel", type=_int_in(1, 16), default=2, metavar="N", help="bulk writers at once, 1-16 (2)")
    p.add_argument(
        "--batch-size", type=_int_in(1, 10000), default=2000, metavar="N", help="events per bulk request (2000)"
    )
    p.add_argument(
        "--sample-size", type=_int_in(0, 10000), default=500, metavar="N", help="documents compared per unit (500)"
    )
    p.set_defaults(func=_run)


class _Usage(Exception):
    pass


def _run(args: argparse.Namespace) -> int:
    from ..database.migration.run import EXIT_ERROR
    from ..database.move.run import Options, move_store
    from ..database.stores import CLIENT_OPTIONS

    signal.signal(signal.SIGINT, signal.default_int_handler)  # see migrate-es
    try:
        if args.resume and args.merge:
            raise _Usage("--resume and --merge exclude each other")
        urls = _target(args)
    except _Usage as ex:
        print(f"move-store: {ex}", file=sys.stderr)
        return EXIT_ERROR
    data_dir = Path(os.path.expanduser(args.data_dir)).resolve()
    files_from = Path(os.path.expanduser(args.files_root)).resolve() if args.files_root else data_dir / "files"
    opts = Options(
        data_dir=data_dir,
        target=urls,
        files_from=files_from,
        files_to=Path(os.path.expanduser(args.files_to)).resolve() if args.files_to else None,
        dry_run=args.dry_run,
        resume=args.resume,
        merge=args.merge,
        verify_only=args.verify_only,
        page_size=args.batch_size,
        writers=args.parallel,
        sample_size=args.sample_size,
    )
    if opts.files_to is not None and opts.files_to == files_from:
        print("move-store: --files-to is the source file store itself", file=sys.stderr)
        return EXIT_ERROR
    return move_store(opts, CLIENT_OPTIONS)


def _target(args: argparse.Namespace) -> Any:
    from ..config import ConfigError, load_config
    from ..config.parsed import user_cache_dirs
    from ..database.move.target import TargetUrls

    try:
        config = load_config(args.config, cache_dirs=user_cache_dirs())
    except ConfigError as ex:
        raise _Usage(str(ex)) from ex
    if args.mongo:
        backend, auth = mongo_databases(args.mongo)
    else:
        backend = config.get("hosts.mongo.backend.host", None)
        auth = config.get("hosts.mongo.auth.host", None)
    events = args.es or _es_url(config, "events")
    workers = args.es or _es_url(config, "workers") or events
    missing = [name for name, value in (("MongoDB", backend and auth), ("Elasticsearch", events)) if not value]
    if missing:
        raise _Usage(
            f"no {' and no '.join(missing)} target: give --config with the team's hosts.conf "
            "(hosts.mongo.backend/auth, hosts.elastic.events/workers), or --mongo / --es"
        )
    return TargetUrls(str(backend), str(auth), str(events), str(workers or events))


def mongo_databases(url: str) -> tuple[str, str]:
    """``--mongo mongodb://host[:port][/PREFIX][?options]``: the URLs of the databases
    ``backend`` and ``auth`` (``PREFIX_backend`` and ``PREFIX_auth`` with a prefix)."""
    base, _, query = url.partition("?")
    scheme, sep, rest = base.partition("://")
    hosts, _, prefix = rest.partition("/")
    prefix = prefix.strip("/")
    suffix = f"?{query}" if query else ""
    names = [f"{prefix}_{db}" if prefix else db for db in ("backend", "auth")]
    return tuple(f"{scheme}{sep}{hosts}/{name}{suffix}" for name in names)  # type: ignore[return-value]


def _es_url(config: Any, cluster: str) -> str | None:
    hosts = list(config.get(f"hosts.elastic.{cluster}.hosts") or [])
    if not hosts:
        return None
    first = hosts[0]
    if isinstance(first, str):
        return first
    return f"http://{first.get('host')}:{first.get('port', 9200)}"
