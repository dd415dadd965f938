"""Deployment-file fixtures: the tools that validate deploy/ without pulling an image.

``docker-compose`` (Debian's package, or the ``docker compose`` plug-in) reads the compose
file; ``helm`` is built from the Go module proxy (tests/services/gotools.py, cached).
Missing tools skip locally and fail in CI, as every other test service.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from support.services import unavailable

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
CHART = DEPLOY / "helm" / "stationmaster"
SERVICES = ROOT / "tests" / "services"


@pytest.fixture(scope="session")
def compose_cmd() -> list[str]:
    """The command that reads a compose file: Debian's docker-compose or the plug-in."""
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    docker = shutil.which("docker")
    if docker and subprocess.run([docker, "compose", "version"], capture_output=True).returncode == 0:
        return [docker, "compose"]
    unavailable("neither docker-compose nor the docker compose plug-in is installed")
    raise AssertionError  # unreachable


@pytest.fixture(scope="session")
def helm() -> Path:
    """The helm binary (v3, built from the Go module proxy and cached)."""
    if not shutil.which("go"):
        unavailable("go is not installed (helm is built from the Go module proxy)")
    sys.path.insert(0, str(SERVICES))
    try:
        from gotools import HELM, build  # type: ignore[import-not-found]
    finally:
        sys.path.remove(str(SERVICES))
    try:
        return Path(build(HELM))
    except Exception as exc:
        unavailable(f"helm could not be built: {exc}")
        raise
