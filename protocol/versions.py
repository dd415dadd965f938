"""API versions: ``major.minor`` pairs compared numerically (2.10 > 2.9)."""

from __future__ import annotations

import re
from functools import total_ordering

_VERSION = re.compile(r"^(\d+)(?:\.(\d+))?$")


@total_ordering
class Version:
    __slots__ = ("major", "minor")

    def __init__(self, major: int, minor: int = 0) -> None:
        self.major = major
        self.minor = minor

    @classmethod
    def parse(cls, text: str | float | int) -> Version:
        """``"2.9"`` → 2.9; a version without a dot (``v24``) is a major version only
        (24.0), as in the reference server."""
        text = str(text).strip()
        match = _VERSION.match(text)
        if not match:
            raise ValueError(f"invalid version {text!r}")
        major, minor = match.groups()
        return cls(int(major), int(minor or 0))

    def _key(self) -> tuple[int, int]:
        return self.major, self.minor

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Version) and self._key() == other._key()

    def __lt__(self, other: Version) -> bool:
        return self._key() < other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}"

    def __repr__(self) -> str:
        return f"Version({self})"

    def as_float(self) -> float:
        """The float form clients below 2.1 expect in the envelope."""
        return float(f"{self.major}.{self.minor}")


# Where the reference changed behaviour within one schema block, the bll rules compare
# the requested version (``call.requested_version``, passed by the handler) with these
# named versions, declared here and nowhere else (docs/architecture.md, "Versions").
#: From 2.3 system tags are a field of their own; below, their names are mixed into tags.
V2_3 = Version(2, 3)
#: From 2.10 the events reads answer as the reference's later releases do where those
#: changed without a version block (e.g. debug images of a metric without any).
V2_10 = Version(2, 10)
#: From 2.9 tasks carry sectioned hyper-parameters and configuration; below, the legacy
#: execution.parameters / model_desc fields as well.
V2_9 = Version(2, 9)
#: From 2.13 a project name with '/' is a path of subprojects (parent, path, basename),
#: and projects.delete removes the project's tree.
V2_13 = Version(2, 13)
#: From 2.14 projects.get_all / get_all_ex leave the hidden projects out unless asked.
V2_14 = Version(2, 14)
