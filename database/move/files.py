"""Copying the file store to another root (``--files-to``): every file, with its
modification time; a file already there with the same size and time is skipped, so a
second run (after an interruption) copies only what is missing. Uploads in progress
(the file server's ``.~upload-`` temporaries) are not copied."""

from __future__ import annotations

import os
import random
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from ..migration.progress import Progress

_TEMP_PREFIX = ".~upload-"


@dataclass
class FilesCheck:
    files: int = 0
    bytes: int = 0
    copied: int = 0
    problems: list[str] = field(default_factory=list)


def list_files(root: Path) -> list[Path]:
    """The store's files, relative to ``root``, in a stable order."""
    found = []
    for directory, dirs, names in os.walk(root):
        dirs.sort()
        for name in sorted(names):
            if not name.startswith(_TEMP_PREFIX):
                found.append(Path(directory, name).relative_to(root))
    return found


def copy_files(source: Path, target: Path, progress: Progress, label: str) -> FilesCheck:
    check = FilesCheck()
    for rel in list_files(source):
        src, dst = source / rel, target / rel
        stat = src.stat()
        check.files += 1
        check.bytes += stat.st_size
        there = dst.stat() if dst.exists() else None
        if there is None or there.st_size != stat.st_size or int(there.st_mtime) != int(stat.st_mtime):
            dst.parent.mkdir(parents=True, exist_ok=True)
            partial = dst.with_name(dst.name + ".partial")
            shutil.copy2(src, partial)
            os.replace(partial, dst)
            check.copied += 1
        progress.advance(label, 1)
    return check


def verify_files(source: Path, target: Path, sample_size: int, seed: int) -> FilesCheck:
    """Every file is there with its size; a sample is compared byte for byte."""
    check = FilesCheck()
    names = list_files(source)
    check.files = len(names)
    for rel in names:
        dst = target / rel
        if not dst.is_file():
            check.problems.append(f"{rel}: missing in {target}")
        elif dst.stat().st_size != (source / rel).stat().st_size:
            check.problems.append(f"{rel}: size differs")
    for rel in random.Random(seed).sample(names, min(sample_size, len(names))):
        dst = target / rel
        if dst.is_file() and dst.read_bytes() != (source / rel).read_bytes():
            check.problems.append(f"{rel}: content differs")
    return check
