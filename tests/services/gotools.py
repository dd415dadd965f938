"""Go tools the tests need (FerretDB, helm), built from the Go module proxy and cached.

Pure standard library. ``go mod download -json MODULE@VERSION`` fetches the module's
source into Go's module cache; it is copied to a writable folder, prepared (a hook may
write files the module's own build expects) and built with ``go build``. The binary is
kept in ``$STATIONMASTER_TOOLS_DIR``, else ``$XDG_CACHE_HOME/stationmaster/tools``, else
``~/.cache/stationmaster/tools``, one folder per tool and version, so a later run reuses
it. A lock file serialises concurrent builds of the same tool.

    python tests/services/gotools.py ferretdb     # build (or find) one tool, print its path
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path


class ToolBuildError(RuntimeError):
    pass


@dataclass(frozen=True)
class GoTool:
    name: str
    module: str
    version: str
    package: str  # the main package inside the module, e.g. ./cmd/ferretdb
    env: dict[str, str] = field(default_factory=dict)
    prepare: Callable[[Path], None] | None = None


def _write_ferretdb_version(src: Path) -> None:
    # FerretDB's binary reads its version from this file at start-up; the module on the
    # proxy lacks it (a `go install` build panics with "Invalid build/version/version.txt").
    (src / "build" / "version").mkdir(parents=True, exist_ok=True)
    (src / "build" / "version" / "version.txt").write_text("v1.24.2\n")


FERRETDB = GoTool(
    "ferretdb",
    "github.com/FerretDB/FerretDB",
    "v1.24.2",
    "./cmd/ferretdb",
    prepare=_write_ferretdb_version,
)
# The version list of the Go proxy's approved modules names v3.21.4 as the newest helm 3
# to build (v3.22.0 is served there but not approved): see docs/deployment.md.
HELM = GoTool("helm", "helm.sh/helm/v3", "v3.21.4", "./cmd/helm", env={"CGO_ENABLED": "0"})
TOOLS = {t.name: t for t in (FERRETDB, HELM)}


def tools_dir() -> Path:
    if os.environ.get("STATIONMASTER_TOOLS_DIR"):
        return Path(os.environ["STATIONMASTER_TOOLS_DIR"])
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "stationmaster" / "tools"


def binary_path(tool: GoTool) -> Path:
    return tools_dir() / f"{tool.name}-{tool.version}" / tool.name


def build(tool: GoTool, timeout: float = 1500) -> Path:
    """The tool's binary, built first when it is not in the cache yet."""
    target = binary_path(tool)
    if target.exists():
        return target
    go = shutil.which("go")
    if not go:
        raise ToolBuildError("go is not installed")
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target.parent / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if target.exists():  # built by another process meanwhile
            return target
        env = {**os.environ, "GOFLAGS": "-buildvcs=false -mod=mod", **tool.env}
        got = _run([go, "mod", "download", "-json", f"{tool.module}@{tool.version}"], None, env, timeout)
        module_dir = Path(json.loads(got)["Dir"])
        with tempfile.TemporaryDirectory(prefix=f"sm-build-{tool.name}-") as tmp:
            src = Path(tmp) / "src"
            shutil.copytree(module_dir, src)
            for path in src.rglob("*"):  # the module cache is read-only
                path.chmod(path.stat().st_mode | 0o200)
            if tool.prepare:
                tool.prepare(src)
            out = Path(tmp) / tool.name
            _run([go, "build", "-trimpath", "-o", str(out), tool.package], src, env, timeout)
            shutil.move(str(out), target)
    return target


def _run(cmd: list[str], cwd: Path | None, env: dict[str, str], timeout: float) -> str:
    try:
        res = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        raise ToolBuildError(f"{' '.join(cmd)} took over {timeout}s") from exc
    if res.returncode != 0:
        raise ToolBuildError(f"{' '.join(cmd)} failed ({res.returncode}):\n{res.stderr[-3000:]}")
    return res.stdout


if __name__ == "__main__":
    names = sys.argv[1:] or sorted(TOOLS)
    for name in names:
        print(build(TOOLS[name]))
