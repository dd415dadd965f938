"""A real MongoDB-wire server for tests: FerretDB 1.24.2 on SQLite (or PostgreSQL).

Pure standard library. The binary is built once from the Go module proxy by
``tests/services/gotools.py`` and cached; a server is a plain process on a free
loopback port with its SQLite files in a temporary folder, removed at ``stop()``.

    from ferretdb import FerretDB
    with FerretDB() as db:                  # SQLite in a temp dir
        pymongo.MongoClient(db.url)

Manual use (e.g. on Debian's postgresql):
``python tests/services/ferretdb/ferretdb.py --postgresql-url postgres://user:pw@127.0.0.1:5432/ferretdb``
prints the MongoDB URL and runs until Ctrl-C.
"""

from __future__ import annotations

import argparse
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from gotools import FERRETDB, build

sys.path.pop(0)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class FerretDB:
    """``start()`` runs FerretDB and waits until it accepts connections."""

    def __init__(self, postgresql_url: str | None = None, port: int = 0) -> None:
        self.postgresql_url = postgresql_url
        self.port = port or _free_port()
        self.workdir = Path(tempfile.mkdtemp(prefix="sm-ferretdb-"))
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"mongodb://127.0.0.1:{self.port}/"

    def command(self, binary: Path) -> list[str]:
        cmd = [
            str(binary),
            f"--listen-addr=127.0.0.1:{self.port}",
            "--debug-addr=-",  # no debug HTTP listener (its default port would clash)
            "--telemetry=disable",
            f"--state-dir={self.workdir}",
            "--log-level=warn",
        ]
        if self.postgresql_url:
            return cmd + ["--handler=postgresql", f"--postgresql-url={self.postgresql_url}"]
        (self.workdir / "sqlite").mkdir(exist_ok=True)
        # BEGIN IMMEDIATE: a transaction takes SQLite's write lock when it starts and waits
        # for it (busy_timeout). With FerretDB's default (deferred) transactions, two
        # concurrent read-then-write transactions (findAndModify of queues.get_next_task,
        # update_one) deadlock on the lock upgrade, and SQLite fails one at once with
        # "database is locked" (500 to the caller) without waiting at all.
        return cmd + ["--handler=sqlite", f"--sqlite-url=file:{self.workdir / 'sqlite'}/?_txlock=immediate"]

    def start(self, timeout: float = 30) -> str:
        binary = build(FERRETDB)
        log = open(self.workdir / "ferretdb.log", "wb")
        self.proc = subprocess.Popen(self.command(binary), stdout=log, stderr=subprocess.STDOUT)
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"FerretDB exited with {self.proc.returncode}:\n{self.log()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return self.url
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"FerretDB did not listen on {self.port} within {timeout}s:\n{self.log()}")

    def log(self) -> str:
        try:
            return (self.workdir / "ferretdb.log").read_text(errors="replace")[-5000:]
        except OSError:
            return ""

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.proc = None
        shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self) -> FerretDB:
        self.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--postgresql-url", default=None, help="PostgreSQL back end instead of SQLite")
    args = parser.parse_args()
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    with FerretDB(args.postgresql_url, args.port) as db:
        print(db.url, flush=True)
        signal.sigwait({signal.SIGINT, signal.SIGTERM})
    return 0


if __name__ == "__main__":
    sys.exit(main())
