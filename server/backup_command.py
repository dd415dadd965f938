"""``stationmaster backup`` and ``stationmaster restore`` (database/backup.py does the work)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

_BACKUP = """\
Write a consistent snapshot of an embedded installation (its data directory and file
store) to one archive, while the server runs or not: FILE.tar.zst (zstd), .tar.gz or
.tar. Exit code 0 when written, 2 when it cannot run (e.g. not an embedded data
directory, FILE exists), 130 when interrupted (nothing is left under FILE's name).
"""

_RESTORE = """\
Restore an archive written by `stationmaster backup` into a new or empty data
directory (and file store), verifying every entry against the archive's manifest and
every database with SQLite's quick_check before anything appears there. Exit code 0 when
restored, 1 when the archive is damaged or incomplete (nothing is restored), 2 when it
cannot run (e.g. the target is not empty).
"""


def add_backup_parsers(sub: Any) -> None:
    backup = sub.add_parser(
        "backup",
        help="back up an embedded installation to one archive (the server may keep running)",
        description=_BACKUP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    backup.add_argument("--to", required=True, metavar="FILE", help="the archive to write (.tar.zst, .tar.gz, .tar)")
    _common(backup)
    backup.set_defaults(func=_backup)

    restore = sub.add_parser(
        "restore",
        help="restore a backup into a new data directory",
        description=_RESTORE,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    restore.add_argument("--from", dest="source", required=True, metavar="FILE", help="the archive to restore")
    _common(restore)
    restore.set_defaults(func=_restore)


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data-dir", metavar="DIR", help="data directory (default: apiserver.data_dir, ~/.stationmaster)"
    )
    parser.add_argument(
        "--files-root",
        metavar="DIR",
        help="the file store (default: fileserver.root, else CLEARML_UPLOAD_FOLDER, else DATA_DIR/files)",
    )
    parser.add_argument("--config", action="append", default=[], metavar="DIR", help="configuration directory")


def _paths(args: argparse.Namespace) -> tuple[Path, Path]:
    from ..config import ConfigError, load_config
    from ..config.parsed import user_cache_dirs
    from ..fileserver.serve import storage_root

    try:
        config = load_config(args.config, cache_dirs=user_cache_dirs())
    except ConfigError as ex:
        raise _Exit(2, str(ex)) from ex
    if config.get("hosts.mongo.backend.host", None):
        raise _Exit(
            2,
            "the configuration names a MongoDB server: back up a team deployment with its stores' "
            "own tools (docs/deployment.md, Backups)",
        )
    data_dir = Path(os.path.expanduser(args.data_dir or config.get("apiserver.data_dir"))).resolve()
    files_root = Path(os.path.expanduser(args.files_root)).resolve() if args.files_root else None
    return data_dir, files_root or storage_root(config, data_dir)


class _Exit(Exception):
    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code


def _exit_codes(command: Any) -> Any:
    """Run ``command(args)``, turning the backup errors into messages and exit codes."""

    def run(args: argparse.Namespace) -> int:
        from ..database.backup import BackupError, VerifyError

        try:
            return int(command(args))
        except _Exit as ex:
            print(f"stationmaster: {ex}", file=sys.stderr)
            return ex.code
        except BackupError as ex:
            print(f"stationmaster: {ex}", file=sys.stderr)
            return 2
        except VerifyError as ex:
            print(f"stationmaster: the backup is not usable: {ex}", file=sys.stderr)
            return 1

    return run


@_exit_codes
def _backup(args: argparse.Namespace) -> int:
    from ..database.backup import create_backup

    data_dir, files_root = _paths(args)
    target = Path(os.path.expanduser(args.to)).resolve()
    print(f"backup of {data_dir} (files: {files_root}) to {target}")
    summary = create_backup(data_dir, target, files_root, sys.stdout)
    print(
        f"done: {summary.databases} databases, {summary.files} files, "
        f"{summary.bytes / 1e6:.1f} MB in {summary.seconds:.1f}s -> {target}"
    )
    return 0


@_exit_codes
def _restore(args: argparse.Namespace) -> int:
    from ..database.backup import restore_backup

    data_dir, files_root = _paths(args)
    source = Path(os.path.expanduser(args.source)).resolve()
    print(f"restore of {source} into {data_dir} (files: {files_root})")
    summary = restore_backup(source, data_dir, files_root, sys.stdout)
    print(
        f"done: {summary.bytes / 1e6:.1f} MB in {summary.seconds:.1f}s; "
        f"start it: stationmaster serve --data-dir {data_dir}"
    )
    return 0
