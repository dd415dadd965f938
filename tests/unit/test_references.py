"""Every document a file of the repository points to is in the repository: Markdown
links and mentions of ``*.md`` files in code, docs and configuration resolve from the
repository root or from the file's own folder (a reader of a clone or of the installed
package has nothing else)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TEXT = {".py", ".md", ".conf", ".cfg", ".toml", ".sh", ".json", ""}
LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")
MENTION = re.compile(r"(?<![\w./*-])((?:[\w.-]+/)*[\w-]+\.md)\b")


def _tracked() -> list[Path]:
    listed = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    return [ROOT / line for line in listed.splitlines() if Path(line).suffix in TEXT and (ROOT / line).is_file()]


def _targets(text: str) -> set[str]:
    links = {m for m in LINK.findall(text) if not re.match(r"[a-z]+:", m)}
    return links | set(MENTION.findall(text))


def test_every_referenced_document_is_in_the_repository() -> None:
    missing = []
    for path in _tracked():
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        for target in sorted(_targets(text)):
            if not ((ROOT / target).exists() or (path.parent / target).exists()):
                missing.append(f"{path.relative_to(ROOT)}: {target}")
    assert not missing, "references to files outside the repository:\n" + "\n".join(missing)
