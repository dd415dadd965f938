"""The ``stationmaster`` command."""

from __future__ import annotations

import argparse
import getpass
import json
import logging
import logging.config
import os
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Any

from ..version import API_VERSION, __version__

log = logging.getLogger("stationmaster")


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        return 130
    except _Fatal as ex:
        print(f"stationmaster: {ex}", file=sys.stderr)
        return 1


class _Fatal(Exception):
    pass


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="stationmaster",
        description="An experiment-manager server speaking the ClearML / Trains API.",
    )
    parser.add_argument("--version", action="version", version=f"stationmaster {__version__} (API {API_VERSION})")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    serve = sub.add_parser(
        "serve",
        help="run the API server (and the file server and the web app)",
        description="Run the API server on --port, the file server on --files-port and the web app "
        "on --web-port. "
        "Without storage hosts in the configuration everything is kept in "
        "the data directory.",
    )
    serve.add_argument(
        "--data-dir", metavar="DIR", help="data directory (default: apiserver.data_dir, ~/.stationmaster)"
    )
    serve.add_argument(
        "--config",
        action="append",
        default=[],
        metavar="DIR",
        help="configuration directory (repeatable; later ones win)",
    )
    serve.add_argument("--host", help="address to bind (default 127.0.0.1; 0.0.0.0 for all interfaces)")
    serve.add_argument("--port", type=port_number, metavar="PORT", help="API port (default 8008; 0: any free port)")
    serve.add_argument(
        "--files-port",
        type=port_number,
        default=None,
        metavar="PORT",
        help="file server port (default 8081; 0 disables the file server)",
    )
    serve.add_argument(
        "--web-port",
        type=port_number,
        default=None,
        metavar="PORT",
        help="web app port (default 8080; 0 disables the web app)",
    )
    serve.add_argument(
        "--workers",
        type=int,
        default=1,
        metavar="N",
        help="run N API processes on the one port (default 1; more than 1 needs MongoDB and Redis); "
        "the first one also runs the file server and the web app",
    )
    add_log_level(serve, "log level (default INFO; DEBUG logs every request)")
    serve.set_defaults(func=_serve)

    files = sub.add_parser(
        "fileserver",
        help="run only the file server",
        description="Run the file server alone (e.g. on another machine than the API server). "
        "It checks API tokens with the API server's secret: secure.auth.token_secret, or the one "
        "kept in the database the configuration names.",
    )
    files.add_argument(
        "--data-dir", metavar="DIR", help="data directory (default: apiserver.data_dir); files go to <data-dir>/files"
    )
    files.add_argument("--config", action="append", default=[], metavar="DIR", help="configuration directory")
    files.add_argument("--host", help="address to bind (default 127.0.0.1)")
    files.add_argument(
        "--port", type=port_number, metavar="PORT", help="port (default fileserver.listen.port, 8081; 0: any free port)"
    )
    add_log_level(files, "log level (default INFO)")
    files.set_defaults(func=_fileserver)

    openapi = sub.add_parser(
        "openapi",
        help="print the API as an OpenAPI 3.1 document",
        description="Print every action of the API, with its request and response schemas, as an "
        "OpenAPI 3.1 document (the one the server also serves at GET /openapi.json).",
    )
    openapi.add_argument("--output", "-o", help="write to this file instead of standard output")
    openapi.set_defaults(func=_openapi)

    hashpw = sub.add_parser(
        "hash-password",
        help="hash a password for apiserver.auth.fixed_users (with pass_hashed: true)",
        description="Print a hash of the password for apiserver.auth.fixed_users entries with pass_hashed: true.",
    )
    hashpw.add_argument("password", nargs="?", help="the password (asked for when omitted)")
    hashpw.set_defaults(func=_hash_password)

    from ..database.migration.command import add_migrate_es_parser
    from .backup_command import add_backup_parsers
    from .move_command import add_move_store_parser

    add_migrate_es_parser(sub)
    add_backup_parsers(sub)
    add_move_store_parser(sub)
    add_web_parser(sub)
    return parser


LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


def port_number(text: str) -> int:
    """An argparse type: a TCP port, 0 (any free port) to 65535."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"a port is 0 to 65535: {text!r}")
    return value


def add_log_level(parser: argparse.ArgumentParser, help_text: str) -> None:
    parser.add_argument(
        "--log-level",
        type=str.upper,
        choices=LOG_LEVELS,
        default=None,
        metavar="LEVEL",
        help=f"{help_text}; one of {', '.join(LOG_LEVELS)}",
    )


def _load(args: argparse.Namespace) -> Any:
    from ..config import ConfigError, load_config
    from ..config.parsed import user_cache_dirs

    try:
        return load_config(args.config, cache_dirs=user_cache_dirs())
    except ConfigError as ex:
        raise _Fatal(str(ex)) from ex


def _serve(args: argparse.Namespace) -> int:
    started = time.monotonic()
    config = _load(args)
    _configure_logging(config, args.log_level)
    from .runner import ServerRunner

    data_dir = Path(os.path.expanduser(args.data_dir or config.get("apiserver.data_dir"))).resolve()
    host = args.host or config.get("apiserver.listen.ip")
    port = args.port if args.port is not None else int(config.get("apiserver.listen.port"))
    files_port = args.files_port if args.files_port is not None else int(config.get("fileserver.listen.port"))
    web_port = args.web_port if args.web_port is not None else int(config.get("web.listen.port"))
    if args.workers != 1:
        return _serve_workers(args.workers, config, data_dir, host, port, files_port, web_port, started)
    try:
        runner = ServerRunner(config, data_dir, host, port, files_port, web_port)
        runner.start()
    except _start_errors() as ex:
        raise _Fatal(str(ex)) from ex
    log.info(
        "API on http://%s:%d, data in %s (ready in %.2fs)", host, runner.port, data_dir, time.monotonic() - started
    )
    return _wait_for_signal(runner)


def _start_errors() -> tuple[type[BaseException], ...]:
    """What a failed start raises (imported late: ``--help`` stays fast)."""
    from ..config import ConfigError
    from ..schema import SchemaError
    from .endpoints import RegistryError

    return (RuntimeError, OSError, SchemaError, RegistryError, ConfigError)


def _serve_workers(
    count: int, config: Any, data_dir: Path, host: str, port: int, files_port: int, web_port: int, started: float
) -> int:
    """``serve --workers N`` (server/workers.py): the supervisor of N API processes."""
    from ..fileserver.gateway import waitress_limits
    from .runner import ServerRunner
    from .workers import WorkerError, WorkerPool, check_workers, listen, worker_ports

    def run_worker(index: int, sock: Any, ready: Any) -> int:
        files, web = worker_ports(index, files_port, web_port)
        runner = ServerRunner(config, data_dir, host, port, files, web, listen_socket=sock)
        try:
            runner.start()
        except _start_errors() as ex:
            print(f"stationmaster: {ex}", file=sys.stderr, flush=True)
            return 1
        log.info("API worker %d (pid %d) ready", index, os.getpid())
        ready()
        return _wait_for_signal(runner, parent=supervisor)

    supervisor = os.getpid()
    try:
        check_workers(config, count)
        pool = WorkerPool(count, listen(host, port, waitress_limits(config)["backlog"]), run_worker)
        pool.start()
    except (WorkerError, OSError) as ex:
        raise _Fatal(str(ex)) from ex
    log.info(
        "API on http://%s:%d, %d worker processes, data in %s (ready in %.2fs)",
        host,
        pool.port,
        count,
        data_dir,
        time.monotonic() - started,
    )
    return pool.wait()


def _wait_for_signal(runner: Any, parent: int | None = None) -> int:
    """Run until SIGTERM/SIGINT (0), until a server thread dies (1) or, for a worker of
    ``serve --workers``, until its ``parent`` is gone (1); then stop."""
    stop = threading.Event()

    def on_signal(signum: int, _: Any) -> None:
        log.info("received %s, shutting down", signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    while not stop.wait(1.0):
        if not runner.alive():
            log.error("a server thread stopped unexpectedly")
            runner.stop()
            return 1
        if parent is not None and os.getppid() != parent:
            log.error("the supervisor of this API worker is gone")
            runner.stop()
            return 1
    runner.stop()
    return 0


def _fileserver(args: argparse.Namespace) -> int:
    config = _load(args)
    _configure_logging(config, args.log_level)
    from ..fileserver.serve import FileServerRunner

    data_dir = Path(os.path.expanduser(args.data_dir or config.get("apiserver.data_dir"))).resolve()
    host = args.host or config.get("apiserver.listen.ip")
    port = args.port if args.port is not None else int(config.get("fileserver.listen.port"))
    runner = FileServerRunner(config, data_dir, host, port)
    try:
        runner.start()
    except (RuntimeError, OSError) as ex:
        raise _Fatal(str(ex)) from ex
    log.info("files on http://%s:%d, stored in %s", host, runner.port, runner.root)
    return _wait_for_signal(runner)


def _configure_logging(config: Any, level: str | None) -> None:
    settings = config.get("logging").to_dict()
    if level:
        settings.setdefault("root", {})["level"] = level.upper()
        settings.setdefault("loggers", {}).setdefault("stationmaster.requests", {})["level"] = level.upper()
    logging.config.dictConfig(settings)


def _openapi(args: argparse.Namespace) -> int:
    from ..config.parsed import user_cache_dirs
    from ..schema import load_schemas
    from ..schema.openapi import openapi_document

    document = json.dumps(openapi_document(load_schemas(cache_dirs=user_cache_dirs())), indent=2)
    if args.output:
        Path(args.output).write_text(document + "\n")
    else:
        print(document)
    return 0


def _hash_password(args: argparse.Namespace) -> int:
    from ..bll.auth.hashing import hash_password

    password = args.password or getpass.getpass("password: ")
    if not password:
        raise _Fatal("empty password")
    print(hash_password(password))
    return 0


def add_web_parser(sub: Any) -> None:
    """``stationmaster web``."""
    web = sub.add_parser(
        "web",
        help="run only the web app (passing /api/ and /files/ to an API and a file server)",
        description="Serve the web app alone, e.g. in its own container: /api/... goes to --api-url "
        "and /files/... to --files-url, streamed.",
    )
    web.add_argument("--config", action="append", default=[], metavar="DIR", help="configuration directory")
    web.add_argument("--host", help="address to bind (default 127.0.0.1)")
    web.add_argument("--port", type=port_number, metavar="PORT", help="port (default web.listen.port, 8080)")
    web.add_argument("--api-url", help="the API server (default web.api_url, http://127.0.0.1:8008)")
    web.add_argument("--files-url", help="the file server (default web.files_url, http://127.0.0.1:8081)")
    add_log_level(web, "log level (default INFO)")
    web.set_defaults(func=_web_command)


def _web_command(args: argparse.Namespace) -> int:
    from ..web.serve import WebRunner

    config = _load(args)
    _configure_logging(config, args.log_level)
    host = args.host or config.get("apiserver.listen.ip")
    port = args.port if args.port is not None else int(config.get("web.listen.port"))
    api_url = args.api_url or config.get("web.api_url")
    files_url = args.files_url if args.files_url is not None else config.get("web.files_url")
    runner = WebRunner(config, host, port, api_url, files_url)
    try:
        runner.start()
    except (OSError, ValueError) as ex:
        raise _Fatal(str(ex)) from ex
    logging.getLogger("stationmaster.web").info(
        "web on http://%s:%d (API %s, files %s)", host, runner.port, api_url, files_url or "none"
    )
    return _wait_for_signal(runner)


if __name__ == "__main__":
    sys.exit(main())
