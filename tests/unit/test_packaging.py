"""Packaging: every package and data file of the repository ships.

Every folder below the repository root (the ``stationmaster`` package) that holds files is
listed in setup.cfg's ``packages`` — a folder of data files only, too, as setuptools
expects (otherwise every build warns "Package would be ignored") — and every file in it is
Python or matched by that package's ``package_data`` patterns."""

from __future__ import annotations

import configparser
from fnmatch import fnmatch
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# deploy/ (Dockerfile, compose, Helm chart) is for the repository's readers and image
# builds, not part of the installed package
SKIP = {"tests", "bench", "deploy", ".venv", "build", "dist", ".git", "__pycache__"}


def _setup() -> configparser.ConfigParser:
    parser = configparser.ConfigParser()
    parser.read(ROOT / "setup.cfg")
    return parser


def _shipped_files() -> list[Path]:
    """The files of every folder below the root, outside tests, bench, deploy and build output."""
    files = []
    for path in ROOT.rglob("*"):
        rel = path.relative_to(ROOT)
        if not path.is_file() or len(rel.parts) < 2 or rel.suffix == ".pyc":
            continue
        if any(part in SKIP or part.startswith(".") or part.endswith(".egg-info") for part in rel.parts):
            continue
        if rel.parts[:2] == ("docs", "web"):
            continue  # the web app's screenshots, for readers of the repository: not shipped
        files.append(rel)
    return files


def _package(rel: Path) -> str:
    return ".".join(("stationmaster", *rel.parent.parts))


def test_every_folder_is_a_listed_package() -> None:
    listed = set(_setup()["options"]["packages"].split())
    found = {"stationmaster"} | {_package(rel) for rel in _shipped_files()}
    assert found == listed


def test_every_data_file_is_package_data() -> None:
    section = _setup()["options.package_data"]
    patterns = {package: section[package].split() for package in section}
    for rel in _shipped_files():
        if rel.suffix == ".py":
            continue
        package = _package(rel)
        assert any(fnmatch(rel.name, p) for p in patterns.get(package, [])), f"{rel} is not in package_data ({package})"
