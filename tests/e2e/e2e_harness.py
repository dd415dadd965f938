"""Running the real clients (in their own virtual environments) against a session server.

``E2E`` holds the server, the recording relay in front of its API, an admin API client and
the environment every client process gets; it runs client scripts (``tests/e2e/scripts``)
from fresh temporary directories outside any git checkout, each with a timeout, and starts
agent processes in their own process group so that they can be stopped with everything
they spawned.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from e2e_recorder import Recorder
from support.client import ApiClient
from support.images import png_bytes  # noqa: F401 - re-exported for the flows
from support.server import ServerProcess, fileserver, wait_files_ready
from support.services import free_port, unavailable

HERE = Path(__file__).resolve().parent
SCRIPTS = HERE / "scripts"
VENVS = Path(os.environ.get("STATIONMASTER_E2E_VENVS") or HERE / ".venvs")

# The client environments made by prepare_clients.sh and the program each one must hold.
CLIENTS = {
    "clearml": "python",
    "clearml-agent": "clearml-agent",
    "clearml-serving": "clearml-serving",
    "trains": "python",
    "trains38": "python",
    "trains-agent": "trains-agent",
}


def client_bin(name: str, program: str | None = None) -> Path:
    """Path of a program in a client environment; skips (fails in CI) when it is missing.

    A missing Python 3.8 (recorded by prepare_clients.sh) skips the trains-agent flow
    everywhere, with the reason printed."""
    if name in ("trains38", "trains-agent"):
        skip = VENVS / "trains-agent.skip"
        if skip.exists():
            pytest.skip(f"trains-agent flow skipped: {skip.read_text().strip()}")
    path = VENVS / name / "bin" / (program or CLIENTS[name])
    if not path.exists():
        unavailable(f"client environment {name} is missing ({path}); run tests/e2e/prepare_clients.sh")
    return path


class ScriptFailed(AssertionError):
    pass


def _tail(text: str, limit: int = 6000) -> str:
    return text if len(text) <= limit else "…" + text[-limit:]


def _inside_git_checkout(path: Path) -> bool:
    return any((p / ".git").exists() for p in [path, *path.parents])


@dataclass
class ScriptRun:
    code: int
    output: str
    result: dict[str, Any]
    workdir: Path


class AgentProcess:
    """A running agent (daemon or execute) in its own process group."""

    def __init__(self, argv: list[str], env: dict[str, str], workdir: Path, log: Path) -> None:
        self.log_path = log
        self._log = open(log, "wb")  # closed in stop()
        self.proc = subprocess.Popen(
            argv, cwd=workdir, env=env, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True
        )

    def output(self) -> str:
        return self.log_path.read_bytes().decode(errors="replace")

    def running(self) -> bool:
        return self.proc.poll() is None

    def wait(self, timeout: float) -> int | None:
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def _signal_group(self, sig: int) -> None:
        try:
            os.killpg(self.proc.pid, sig)
        except (ProcessLookupError, PermissionError):
            pass

    def stop(self) -> None:
        """SIGINT (the agent unregisters), then SIGTERM, then SIGKILL, to the agent's group."""
        if self.proc.poll() is None:
            for sig, grace in ((signal.SIGINT, 20), (signal.SIGTERM, 10), (signal.SIGKILL, 5)):
                self._signal_group(sig)
                if self.wait(grace) is not None:
                    break
        # whatever the agent left behind in its group (task processes) goes as well
        self._signal_group(signal.SIGKILL)
        self._log.close()


class E2E:
    def __init__(self, root: Path, config_dir: Path | None = None) -> None:
        if _inside_git_checkout(root):
            pytest.fail(f"the e2e work directory {root} lies inside a git checkout")
        self.root = root
        self.run_id = f"{int(time.time()) % 100000:05d}{os.getpid() % 1000:03d}"
        self.files_port = free_port()
        self.web_port = free_port()
        self.server = ServerProcess(
            root / "server" / "data", config_dir=config_dir, files_port=self.files_port, web_port=self.web_port
        )
        self.recorder: Recorder | None = None
        self.home = root / "home"
        self.agents: list[AgentProcess] = []

    # --- life cycle ------------------------------------------------------------------

    def start(self) -> E2E:
        self.server.start(timeout=60)
        return self._relay_and_clients([])

    def _relay_and_clients(self, more_upstreams: list[tuple[str, int]]) -> E2E:
        """The recording relay in front of the server(s), the admin client, the clients' files."""
        assert self.server.port
        self.recorder = Recorder("127.0.0.1", self.server.port, more_upstreams=more_upstreams).start()
        self.key, self.secret = self.server.admin_credentials()
        self.api = ApiClient(self.server.url, key=self.key, secret=self.secret).login()
        self.home.mkdir(parents=True, exist_ok=True)
        self.config_text = self._config_text()
        (self.home / "clearml.conf").write_text(self.config_text)
        # trains-agent (only it reads trains.conf's agent section) upgrades pip to the
        # newest one it can find instead of pinning "<20.2", whose wheel tags are too old
        (self.home / "trains.conf").write_text(self.config_text + 'agent.package_manager.pip_version: ""\n')
        return self

    def stop(self) -> None:
        for agent in self.agents:
            agent.stop()
        if self.recorder:
            self.recorder.stop()
        self.server.stop()

    # --- hosts and environment --------------------------------------------------------

    @property
    def api_url(self) -> str:
        assert self.recorder
        return self.recorder.url

    @property
    def files_url(self) -> str:
        return f"http://127.0.0.1:{self.files_port}"

    @property
    def web_url(self) -> str:
        """The web app (the clients print links to it; tests/e2e/test_web.py drives it)."""
        return f"http://127.0.0.1:{self.web_port}"

    @property
    def closed_port(self) -> int:
        if not hasattr(self, "_closed_port"):
            self._closed_port = free_port()
        return self._closed_port

    def _config_text(self) -> str:
        return (
            "api {\n"
            f'    api_server: "{self.api_url}"\n'
            f'    web_server: "{self.web_url}"\n'
            f'    files_server: "{self.files_url}"\n'
            f'    credentials {{ access_key: "{self.key}", secret_key: {json.dumps(self.secret)} }}\n'
            "}\n"
            "sdk.development.report_use_subprocess: false\n"
        )

    def env(self, extra: dict[str, str] | None = None, config_file: Path | None = None) -> dict[str, str]:
        """The environment of a client process: hosts and keys, a private HOME, update
        checks sent to a closed loopback proxy, nothing inherited from CLEARML_/TRAINS_.
        With ``config_file``, hosts and keys come from that file alone."""
        keep = ("PATH", "LANG", "LC_ALL", "TZ", "TMPDIR", "SYSTEMROOT")
        env = {k: v for k, v in os.environ.items() if k in keep}
        proxy = f"http://127.0.0.1:{self.closed_port}"
        env.update(
            HOME=str(self.home),
            PYTHONUNBUFFERED="1",
            PYTHONDONTWRITEBYTECODE="1",
            HTTPS_PROXY=proxy,
            HTTP_PROXY=proxy,
            https_proxy=proxy,
            http_proxy=proxy,
            NO_PROXY="127.0.0.1,localhost",
            no_proxy="127.0.0.1,localhost",
            CLEARML_CONFIG_FILE=str(self.home / "clearml.conf"),
            TRAINS_CONFIG_FILE=str(self.home / "trains.conf"),
        )
        if config_file is not None:
            env.update(CLEARML_CONFIG_FILE=str(config_file), TRAINS_CONFIG_FILE=str(config_file))
            env.update(extra or {})
            return env
        for prefix in ("CLEARML", "TRAINS"):
            env.update(
                {
                    f"{prefix}_API_HOST": self.api_url,
                    f"{prefix}_WEB_HOST": self.web_url,
                    f"{prefix}_FILES_HOST": self.files_url,
                    f"{prefix}_API_ACCESS_KEY": self.key,
                    f"{prefix}_API_SECRET_KEY": self.secret,
                }
            )
        env.update(extra or {})
        return env

    # --- running clients ----------------------------------------------------------------

    def workdir(self, label: str) -> Path:
        path = self.root / "runs" / f"{label}-{time.monotonic_ns()}"
        path.mkdir(parents=True)
        return path

    def run(
        self,
        client: str,
        script: str,
        spec: dict[str, Any] | None = None,
        *,
        timeout: float = 180,
        env: dict[str, str] | None = None,
        check: bool = True,
        replace: dict[str, str] | None = None,
        config_file: Path | None = None,
    ) -> ScriptRun:
        """Copy ``scripts/<script>`` (with the ``replace`` substitutions) to a fresh
        directory and run it with the client's Python: ``python <script> spec.json
        result.json``. Returns the parsed result."""
        python = client_bin(client, "python")
        workdir = self.workdir(Path(script).stem)
        text = (SCRIPTS / script).read_text()
        for old, new in (replace or {}).items():
            assert old in text, f"{old!r} not in {script}"
            text = text.replace(old, new)
        (workdir / script).write_text(text)
        spec_path, result_path = workdir / "spec.json", workdir / "result.json"
        spec_path.write_text(json.dumps({**(spec or {}), "workdir": str(workdir)}))
        argv = [str(python), script, str(spec_path), str(result_path)]
        try:
            proc = subprocess.run(
                argv,
                cwd=workdir,
                env=self.env(env, config_file),
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                timeout=timeout,
                start_new_session=True,
            )
            code, output = proc.returncode, proc.stdout.decode(errors="replace")
        except subprocess.TimeoutExpired as ex:
            code, output = -1, (ex.stdout or b"").decode(errors="replace") + f"\n[timed out after {timeout}s]"
        (workdir / "output.log").write_text(output)
        result = json.loads(result_path.read_text()) if result_path.exists() else {}
        run = ScriptRun(code, output, result, workdir)
        if check and (code != 0 or not result_path.exists()):
            raise ScriptFailed(f"{client} {script} exited {code}; its output:\n{_tail(output)}")
        return run

    def start_agent(self, client: str, args: list[str], *, env: dict[str, str] | None = None) -> AgentProcess:
        program = client_bin(client)
        workdir = self.workdir(client)
        agent = AgentProcess([str(program), *args], self.env(env), workdir, workdir / "agent.log")
        self.agents.append(agent)
        return agent

    # --- server-side observation (admin API, bypassing the relay) -------------------------

    def task(self, task_id: str, *fields: str) -> dict[str, Any]:
        data = self.api.tasks.get_all(id=[task_id], only_fields=list(fields) or None)
        return data["tasks"][0] if data.get("tasks") else {}

    def wait_for(self, what: str, probe: Callable[[], Any], timeout: float, interval: float = 0.5) -> Any:
        deadline = time.monotonic() + timeout
        last: Any = None
        while time.monotonic() < deadline:
            try:
                last = probe()
            except AssertionError as ex:
                last = ex
            else:
                if last:
                    return last
            time.sleep(interval)
        raise AssertionError(f"timed out after {timeout}s waiting for {what}; last: {last!r}")

    def wait_status(self, task_id: str, statuses: set[str], timeout: float, agent: AgentProcess | None = None) -> str:
        def probe() -> str | None:
            if agent is not None and not agent.running():
                raise ScriptFailed(f"the agent exited ({agent.proc.returncode}):\n{_tail(agent.output())}")
            status = self.task(task_id, "status").get("status")
            return status if status in statuses else None

        try:
            return str(self.wait_for(f"task {task_id} to reach {sorted(statuses)}", probe, timeout))
        except AssertionError as ex:
            detail = f"\nagent output:\n{_tail(agent.output())}" if agent else ""
            raise AssertionError(f"{ex}{detail}") from None


class ScaledE2E(E2E):
    """The harness on ``processes`` API processes sharing the team stores, and a
    ``stationmaster fileserver`` of their own; the recording relay in front is a round-robin
    balancer over the API processes (each client call goes to the next one)."""

    def __init__(self, root: Path, config_dir: Path, processes: int = 3) -> None:
        super().__init__(root, config_dir)
        self.config_dir = config_dir
        self.server = ServerProcess(root / "server0" / "data", config_dir=config_dir)  # the API only
        self.servers = [self.server] + [
            ServerProcess(root / f"server{i}" / "data", config_dir=config_dir) for i in range(1, processes)
        ]
        self._files = ExitStack()

    def start(self) -> E2E:
        self.server.start(timeout=60)  # the first start (company, admin) happens once
        with ThreadPoolExecutor(len(self.servers)) as pool:
            list(pool.map(lambda s: s.start(timeout=60), self.servers[1:]))
        log = self.root / "fileserver.log"
        proc = self._files.enter_context(
            fileserver(self.root / "files", log, self.files_port, config_dir=self.config_dir)
        )
        wait_files_ready(proc, log)
        return self._relay_and_clients([("127.0.0.1", s.port) for s in self.servers[1:] if s.port])

    def stop(self) -> None:
        super().stop()
        for server in self.servers[1:]:
            server.stop()
        self._files.close()

    def clients(self) -> list[ApiClient]:
        """The admin logged in on each API process directly (not through the relay)."""
        return [ApiClient(s.url, key=self.key, secret=self.secret).login() for s in self.servers]
