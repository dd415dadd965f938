"""Running ``stationmaster serve`` as a real process on a free loopback port."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import requests
from pyhocon import ConfigFactory

_READY = re.compile(r"API on http://[^:]+:(\d+)")
_FILES_READY = re.compile(r"files on http://[^:]+:(\d+)")
_WEB_READY = re.compile(r"web on http://[^:]+:(\d+)")


def command_env() -> dict[str, str]:
    """The environment for a ``stationmaster`` command a test starts: nothing configured
    by CLEARML_/TRAINS_/STATIONMASTER_ variables, but the test run's own cache folder
    (tests/conftest.py), so that nothing is written to the user's."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CLEARML", "TRAINS", "STATIONMASTER"))}
    if os.environ.get("STATIONMASTER_CACHE_DIR"):
        env["STATIONMASTER_CACHE_DIR"] = os.environ["STATIONMASTER_CACHE_DIR"]
    return env


class ServerProcess:
    """``start()`` launches the server with a fresh data directory and waits until it
    answers; ``stop()`` sends SIGTERM and waits (SIGKILL after a timeout)."""

    def __init__(
        self,
        data_dir: Path,
        config_dir: Path | None = None,
        env: dict[str, str] | None = None,
        files_port: int = 0,
        extra_args: list[str] | None = None,
        web_port: int = 0,
    ) -> None:
        self.data_dir = data_dir
        self.config_dir = config_dir
        self.env = env or {}
        self.files_port = files_port
        self.web_port = web_port
        self.extra_args = extra_args or []
        self.log_path = data_dir.parent / f"{data_dir.name}.log"
        self.proc: subprocess.Popen[bytes] | None = None
        self.port: int | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def command(self) -> list[str]:
        cmd = [
            sys.executable,
            "-m",
            "stationmaster.server.cli",
            "serve",
            "--data-dir",
            str(self.data_dir),
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--files-port",
            str(self.files_port),
            "--web-port",
            str(self.web_port),
        ]
        if self.config_dir:
            cmd += ["--config", str(self.config_dir)]
        return cmd + self.extra_args

    def start(self, timeout: float = 90) -> ServerProcess:
        self.data_dir.parent.mkdir(parents=True, exist_ok=True)
        env = command_env()
        env.update(self.env)
        log = open(self.log_path, "ab")  # closed with the process
        self._log_offset = self.log_path.stat().st_size
        self.proc = subprocess.Popen(self.command(), stdout=log, stderr=subprocess.STDOUT, env=env)
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}:\n{self.log()}")
            match = _READY.search(self.log())
            if match:
                self.port = int(match.group(1))
                if self._answers():
                    return self
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"server not ready after {timeout}s:\n{self.log()}")

    def _answers(self) -> bool:
        try:
            return requests.get(f"{self.url}/debug.ping", timeout=2).status_code == 200
        except requests.RequestException:
            return False

    @property
    def files_url(self) -> str:
        """The file server's URL, from the "files on http://..." line of the log."""
        match = _FILES_READY.search(self.log())
        if not match:
            raise RuntimeError(f"no file server in the log (files_port={self.files_port}):\n{self.log()}")
        return f"http://127.0.0.1:{match.group(1)}"

    @property
    def web_url(self) -> str:
        """The web app's URL, from the "web on http://..." line of the log."""
        match = _WEB_READY.search(self.log())
        if not match:
            raise RuntimeError(f"no web app in the log (web_port={self.web_port}):\n{self.log()}")
        return f"http://127.0.0.1:{match.group(1)}"

    def log(self) -> str:
        try:
            return self.log_path.read_bytes()[self._log_offset :].decode(errors="replace")
        except OSError:
            return ""

    def stop(self, timeout: float = 15) -> int | None:
        if not self.proc:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        code = self.proc.returncode
        self.proc = None
        return code

    def admin_credentials(self) -> tuple[str, str]:
        """The first-start credentials from the clearml.conf written to the data dir."""
        conf = ConfigFactory.parse_file(str(self.data_dir / "clearml.conf"))
        return conf.get("api.credentials.access_key"), conf.get("api.credentials.secret_key")

    def __enter__(self) -> ServerProcess:
        return self.start()

    def __exit__(self, *_: Any) -> None:
        self.stop()


def write_config(directory: Path, files: dict[str, str]) -> Path:
    """A configuration directory holding the given ``relative path → HOCON`` files."""
    for name, text in files.items():
        path = directory / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return directory


@contextmanager
def fileserver(
    data_dir: Path,
    log: Path,
    port: int,
    extra_env: dict[str, str] | None = None,
    config_dir: Path | None = None,
) -> Iterator[subprocess.Popen[bytes]]:
    """``stationmaster fileserver`` as a process on ``port`` (stopped with SIGTERM)."""
    env = command_env()
    env.update(extra_env or {})
    cmd = [sys.executable, "-m", "stationmaster.server.cli", "fileserver", "--data-dir", str(data_dir)]
    cmd += ["--host", "127.0.0.1", "--port", str(port)]
    if config_dir:
        cmd += ["--config", str(config_dir)]
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env)
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)


def wait_files_ready(proc: subprocess.Popen[bytes], log: Path, timeout: float = 30) -> str:
    """The URL of a ``fileserver`` process once it listens."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        match = _FILES_READY.search(log.read_text(errors="replace"))
        if match:
            return f"http://127.0.0.1:{match.group(1)}"
        assert proc.poll() is None, log.read_text(errors="replace")
        time.sleep(0.05)
    raise AssertionError(f"file server not ready:\n{log.read_text(errors='replace')}")
