"""``stationmaster serve --workers N``: N API processes accepting on one port.

The supervisor (the process the user started) opens the API's listening socket and forks
the workers; each worker is a whole ``ServerRunner`` with stores of its own, accepting on
the inherited socket (the kernel hands each connection to one of them). Worker 0 starts
first and alone — it does the first start (company, admin, ``clearml.conf``) and also runs
the file server and the web app — then the others start on the stores it prepared.

The supervisor opens no store and starts no thread before forking. It forwards SIGTERM
and SIGINT to the workers and waits for them; when a worker dies on its own it stops the
others and exits 1 (as a single process does when a server thread dies), leaving the
restart to systemd, Docker or Kubernetes. A worker whose supervisor is gone stops too.

Only shared stores allow it: the embedded store belongs to one process (docs/deployment.md).
"""

from __future__ import annotations

import logging
import os
import select
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

from ..config import Config

log = logging.getLogger("stationmaster")

#: How long a worker may take to start (stores connected, schemas loaded).
START_TIMEOUT_SEC = 120.0
STOP_TIMEOUT_SEC = 30.0


class WorkerError(RuntimeError):
    pass


def check_workers(config: Config, count: int) -> None:
    """``--workers N`` > 1 needs the shared stores: MongoDB (and Redis, checked at start)."""
    if count < 1:
        raise WorkerError(f"--workers must be 1 or more, not {count}")
    if count > 1 and not config.get("hosts.mongo.backend.host", None):
        raise WorkerError(
            "--workers needs MongoDB (hosts.mongo.backend.host, or CLEARML_MONGODB_SERVICE_HOST): "
            "the embedded store in the data directory belongs to one process"
        )


def listen(host: str, port: int, backlog: int) -> socket.socket:
    """The API's listening socket, bound before any worker exists."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as ex:
        raise OSError(f"cannot listen on {host}:{port}: {ex}") from ex
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(backlog)
    except OSError as ex:
        sock.close()
        raise OSError(f"cannot listen on {host}:{port}: {ex}") from ex
    return sock


class WorkerPool:
    """The supervisor of ``count`` worker processes; ``run_worker(index, sock, ready)`` is
    what a worker runs (it calls ``ready()`` once it accepts requests and returns its exit
    code)."""

    def __init__(
        self, count: int, sock: socket.socket, run_worker: Callable[[int, socket.socket, Callable[[], None]], int]
    ) -> None:
        self.count = count
        self.sock = sock
        self.run_worker = run_worker
        self.pids: dict[int, int] = {}  # pid -> worker index

    @property
    def port(self) -> int:
        return int(self.sock.getsockname()[1])

    def start(self) -> None:
        """Worker 0 alone, then the others together; each one ready, or WorkerError."""
        try:
            self._wait_ready([self._spawn(0)])
            self._wait_ready([self._spawn(i) for i in range(1, self.count)])
        except BaseException:
            self.stop()
            raise

    def _spawn(self, index: int) -> tuple[int, int]:
        read_end, write_end = os.pipe()
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:  # the worker
            os.close(read_end)
            code = 1
            try:
                code = self.run_worker(index, self.sock, lambda: _signal_ready(write_end))
            except BaseException:  # the worker's own handler printed the reason
                log.exception("worker %d failed", index)
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
                os._exit(code)
        os.close(write_end)
        self.pids[pid] = index
        return pid, read_end

    def _wait_ready(self, started: list[tuple[int, int]]) -> None:
        deadline = time.monotonic() + START_TIMEOUT_SEC
        for pid, read_end in started:
            try:
                ready, _, _ = select.select([read_end], [], [], max(deadline - time.monotonic(), 0))
                message = os.read(read_end, 16) if ready else b""
            finally:
                os.close(read_end)
            if message != b"ready":
                index = self.pids.get(pid)
                done, status = os.waitpid(pid, os.WNOHANG)
                if done:
                    self.pids.pop(pid, None)
                    raise WorkerError(f"API worker {index} exited with {os.waitstatus_to_exitcode(status)} at start")
                raise WorkerError(f"API worker {index} was not ready within {START_TIMEOUT_SEC:.0f}s")

    def wait(self) -> int:
        """Until SIGTERM/SIGINT (0) or a worker's own exit (1); then every worker stops."""
        stop = threading.Event()

        def on_signal(signum: int, _: Any) -> None:
            log.info("received %s, stopping %d API workers", signal.Signals(signum).name, len(self.pids))
            stop.set()

        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)
        while not stop.wait(0.5):
            pid, status = os.waitpid(-1, os.WNOHANG)
            if pid and pid in self.pids:
                index = self.pids.pop(pid)
                log.error("API worker %d (pid %d) exited with %d", index, pid, os.waitstatus_to_exitcode(status))
                self.stop()
                return 1
        self.stop()
        return 0

    def stop(self) -> None:
        for pid in self.pids:
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + STOP_TIMEOUT_SEC
        while self.pids and time.monotonic() < deadline:
            for pid in list(self.pids):
                done, _ = os.waitpid(pid, os.WNOHANG)
                if done:
                    del self.pids[pid]
            time.sleep(0.05)
        for pid in list(self.pids):
            log.warning("API worker pid %d did not stop within %.0fs: killed", pid, STOP_TIMEOUT_SEC)
            try:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
            except (ProcessLookupError, ChildProcessError):
                pass
            del self.pids[pid]
        self.sock.close()


def _signal_ready(fd: int) -> None:
    os.write(fd, b"ready")
    os.close(fd)


def worker_ports(index: int, files_port: int, web_port: int) -> tuple[int, int]:
    """Worker 0 runs the file server and the web app; the others only the API."""
    return (files_port, web_port) if index == 0 else (0, 0)
