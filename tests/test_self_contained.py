"""The repository explains itself: nothing outside `docs/` sends a reader to material
that a clone does not contain (the team's shared design notes), and every protocol
citation points at the repository's own `docs/protocols.md`."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

OUTSIDE = re.compile(r"\.\./shared|DESIGN(?:\.md)? §|next-capabilities\.md")
BARE_PROTOCOLS = re.compile(r"(?<![\w/])(?:ref/)?protocols\.md")


def tracked_files() -> list[Path]:
    git = shutil.which("git")
    assert git is not None, "the check lists tracked files with git"
    listed = subprocess.run(  # noqa: S603 - git, found on PATH, with fixed arguments
        [git, "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True
    ).stdout.decode()
    return [ROOT / name for name in listed.split("\0") if name and not name.startswith("docs/")]


def lines_matching(pattern: re.Pattern[str]) -> list[str]:
    found = []
    for path in tracked_files():
        if path == Path(__file__).resolve() or not path.is_file():
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue  # binary files cite nothing
        for number, line in enumerate(text.splitlines(), 1):
            if pattern.search(line):
                found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    return found


def test_no_tracked_file_outside_docs_names_the_shared_notes() -> None:
    assert lines_matching(OUTSIDE) == []


def test_protocol_citations_point_at_the_repositorys_own_protocols_doc() -> None:
    assert lines_matching(BARE_PROTOCOLS) == [], "write docs/protocols.md §…"
