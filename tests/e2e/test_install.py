"""The package as a user installs it: a wheel built from this tree, installed into a fresh
virtual environment of the lowest Python that setup.cfg declares and of the newest one on
the machine (pyenv's versions, then ``python3.N`` on PATH); there every module imports,
the commands answer and ``serve`` starts from the parsed HOCON the wheel carries. A
Python below the floor is refused by pip with the declared requirement.

Bounded: one wheel build, two ``pip install``s from pip's cache (the first run downloads
the dependencies once), each step with a timeout.
"""

from __future__ import annotations

import configparser
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.services import unavailable

ROOT = Path(__file__).resolve().parents[2]
STEP_TIMEOUT = 300

IMPORT_ALL = """
import importlib, pkgutil, sys
import stationmaster
names = [m.name for m in pkgutil.walk_packages(stationmaster.__path__, "stationmaster.")]
for name in names:
    importlib.import_module(name)
print(len(names), "modules imported on", sys.version.split()[0])
"""


def declared_floor() -> tuple[int, int]:
    parser = configparser.ConfigParser()
    parser.read(ROOT / "setup.cfg")
    match = re.fullmatch(r">=\s*3\.(\d+)", parser["options"]["python_requires"].strip())
    assert match, "python_requires is expected as >=3.N"
    return 3, int(match.group(1))


def interpreters() -> dict[tuple[int, int], Path]:
    """Minor version → an interpreter of it: pyenv's installed versions (newest patch),
    then ``python3.N`` found on PATH."""
    found: dict[tuple[int, int], tuple[tuple[int, ...], Path]] = {}
    versions = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv") / "versions"
    for folder in versions.glob("3.*") if versions.is_dir() else []:
        parts = tuple(int(p) for p in folder.name.split(".") if p.isdigit())
        python = folder / "bin" / f"python{parts[0]}.{parts[1]}" if len(parts) >= 2 else None
        if python and python.exists() and (parts[:2] not in found or found[parts[:2]][0] < parts):
            found[parts[:2]] = (parts, python)
    for minor in range(8, 30):
        which = shutil.which(f"python3.{minor}")
        if (3, minor) not in found and which and _runs(which):
            found[(3, minor)] = ((3, minor), Path(which))
    return {minor: python for minor, (_, python) in sorted(found.items())}


def _runs(python: str) -> bool:  # a pyenv shim of a version that is not enabled fails
    return subprocess.run([python, "-c", ""], capture_output=True, timeout=30).returncode == 0


def run(cmd: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, capture_output=True, text=True, timeout=STEP_TIMEOUT, **kwargs)  # type: ignore[call-overload, no-any-return]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel a ``pip install .`` builds (isolated build, setup.py's parsing step)."""
    out = tmp_path_factory.mktemp("wheel")
    done = run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(ROOT)])
    shutil.rmtree(ROOT / "build", ignore_errors=True)  # setuptools' build folder in the tree
    assert done.returncode == 0, done.stdout + done.stderr
    (built,) = out.glob("stationmaster-*.whl")
    return built


def _pick(which: str) -> tuple[tuple[int, int], Path]:
    floor, found = declared_floor(), interpreters()
    usable = {minor: python for minor, python in found.items() if minor >= floor}
    if which == "floor":
        if floor not in found:
            unavailable(f"no Python {floor[0]}.{floor[1]} interpreter (the declared floor) on this machine")
        return floor, found[floor]
    newest = max(usable, default=floor)
    if newest == floor:
        pytest.skip(f"the newest Python here is the floor {floor[0]}.{floor[1]}")
    return newest, usable[newest]


@pytest.fixture(params=["floor", "newest"])
def installed(request: pytest.FixtureRequest, wheel: Path, tmp_path: Path) -> Iterator[Path]:
    """A fresh virtual environment of that Python with the wheel installed; its bin/."""
    _, python = _pick(request.param)
    venv = tmp_path / "venv"
    made = run([str(python), "-m", "venv", str(venv)])
    assert made.returncode == 0, made.stderr
    done = run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check", str(wheel)])
    assert done.returncode == 0, done.stdout + done.stderr
    yield venv / "bin"


def test_installs_imports_and_serves(installed: Path, tmp_path: Path) -> None:
    python = str(installed / "python")
    imported = run([python, "-c", IMPORT_ALL], cwd=tmp_path)  # not from the source tree
    assert imported.returncode == 0, imported.stderr
    assert run([str(installed / "stationmaster"), "--version"]).stdout.startswith("stationmaster ")
    guide = run([str(installed / "stationmaster"), "migrate-es", "--guide"])
    assert guide.returncode == 0 and "--resume" in guide.stdout, guide.stderr

    cache = tmp_path / "user-cache"
    env = dict(os.environ, STATIONMASTER_CACHE_DIR=str(cache))
    log = tmp_path / "serve.log"
    with open(log, "wb") as out:
        cmd = [str(installed / "stationmaster"), "serve", "--data-dir", str(tmp_path / "data"), "--port", "0"]
        server = subprocess.Popen([*cmd, "--files-port", "0"], stdout=out, stderr=subprocess.STDOUT, env=env)
    try:
        port = _wait_ready(server, log)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/debug.ping", timeout=10) as reply:
            assert reply.status == 200
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(30)
    assert server.returncode == 0, log.read_text()
    # the configuration and the schemas came from the wheel's parsed/ folder: nothing was
    # parsed, so nothing was written to the user's cache
    assert not cache.exists() or not list(cache.iterdir()), list(cache.iterdir())


def _wait_ready(server: subprocess.Popen[bytes], log: Path, timeout: float = 120) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        match = re.search(r"API on http://[^:]+:(\d+)", log.read_text(errors="replace"))
        if match:
            return int(match.group(1))
        assert server.poll() is None, log.read_text()
        time.sleep(0.1)
    raise AssertionError(f"not ready after {timeout}s:\n{log.read_text()}")


def test_a_python_below_the_floor_is_refused(wheel: Path) -> None:
    floor, found = declared_floor(), interpreters()
    below = [minor for minor in found if minor < floor]
    if not below:
        pytest.skip("no interpreter below the declared floor on this machine")
    python = found[max(below)]
    done = run([str(python), "-m", "pip", "install", "--dry-run", "--no-deps", "--no-index", str(wheel)])
    assert done.returncode != 0
    assert "requires a different Python" in done.stderr and f">={floor[0]}.{floor[1]}" in done.stderr, done.stderr
