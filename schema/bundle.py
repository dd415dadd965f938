"""The parsed-HOCON bundle of a built package (``config.parsed``), written by setup.py."""

from __future__ import annotations

import shutil
from pathlib import Path

from ..config.loader import load_config
from ..config.parsed import BUNDLE
from .loader import SERVICES_DIR, load_schemas


def write_package_bundle(package_root: Path) -> list[str]:
    """Parse and check the configuration defaults and the service schemas of this
    package (``package_root``: its copy in a build folder) into its ``parsed/`` folder;
    returns the file names. Raises what the loaders raise for a malformed file."""
    target = package_root / BUNDLE
    shutil.rmtree(target, ignore_errors=True)  # a build folder may hold an earlier build's
    load_config((), env={}, include_env_dirs=False, cache_dirs=[target])
    load_schemas(SERVICES_DIR, cache_dirs=[target])
    return sorted(p.name for p in target.glob("*.json"))
