"""Packaging: every package and data file of the repository ships."""

from __future__ import annotations

import configparser
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SKIP = {"tests", "bench", ".venv", "build", ".git"}


def _setup() -> configparser.ConfigParser:
    parser = configparser.ConfigParser()
    parser.read(ROOT / "setup.cfg")
    return parser


def test_every_package_is_listed() -> None:
    listed = set(_setup()["options"]["packages"].split())
    found = {"stationmaster"}
    for init in ROOT.rglob("__init__.py"):
        rel = init.parent.relative_to(ROOT)
        if rel.parts and (rel.parts[0] in SKIP or rel.parts[0].startswith(".")):
            continue
        found.add(".".join(("stationmaster", *rel.parts)) if rel.parts else "stationmaster")
    assert found == listed


def test_every_conf_file_is_package_data() -> None:
    patterns = _setup()["options.package_data"]["stationmaster"].split()
    covered = {p for pattern in patterns for p in ROOT.glob(pattern)}
    for conf in ROOT.rglob("*.conf"):
        rel = conf.relative_to(ROOT)
        if rel.parts[0] in SKIP or rel.parts[0].startswith("."):
            continue
        assert conf in covered, f"{rel} is not in package_data"


def test_every_web_app_file_is_package_data() -> None:
    patterns = _setup()["options.package_data"]["stationmaster"].split()
    covered = {p for pattern in patterns for p in ROOT.glob(pattern)}
    static = [p for p in (ROOT / "web" / "static").rglob("*") if p.is_file()]
    assert static and all(p in covered for p in static), [str(p) for p in static if p not in covered]
