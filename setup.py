"""Packaging is declared in setup.cfg; this file only adds one build step.

After the package is copied into the build folder, its HOCON files (configuration
defaults and schema, service schemas) are parsed and checked once into
``stationmaster/parsed/`` (config/parsed.py), so that an installed package starts
without parsing any (a HOCON parse is most of a start-up). An editable install has no
build folder and keeps using the user's cache instead.
"""

import os
import subprocess
import sys

from setuptools import setup
from setuptools.command.build_py import build_py

_BUNDLE = (
    "import sys; sys.path.insert(0, sys.argv[1]); "
    "from stationmaster.config.parsed import PACKAGE_ROOT; "
    "from stationmaster.schema.bundle import write_package_bundle; "
    "assert str(PACKAGE_ROOT).startswith(sys.argv[1]), PACKAGE_ROOT; "
    "print('parsed HOCON bundle:', ', '.join(write_package_bundle(PACKAGE_ROOT)))"
)


class BuildWithParsedHocon(build_py):
    def find_package_modules(self, package: str, package_dir: str) -> list[tuple[str, str, str]]:
        # the repository root is the package: this file is not one of its modules
        found = super().find_package_modules(package, package_dir)
        return [m for m in found if not (package == "stationmaster" and m[1] == "setup")]

    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return
        # a fresh interpreter imports the copy in the build folder, nothing else
        subprocess.run([sys.executable, "-c", _BUNDLE, os.path.abspath(self.build_lib)], check=True)


setup(cmdclass={"build_py": BuildWithParsedHocon})
