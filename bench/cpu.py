"""CPU seconds a process and its descendants used, read from /proc (Linux), so the
login-flow figure can say which process bounds it."""

from __future__ import annotations

import os
from pathlib import Path

_TICK = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> tuple[int, float] | None:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    # after the command: state ppid ... utime(14th field overall) stime(15th)
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / _TICK


def cpu_seconds(root: int) -> float:
    """Used so far by `root` and every live descendant."""
    parents: dict[int, int] = {}
    used: dict[int, float] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            stat = _stat(int(entry.name))
            if stat is not None:
                parents[int(entry.name)], used[int(entry.name)] = stat
    total, frontier = 0.0, [root]
    while frontier:
        pid = frontier.pop()
        total += used.get(pid, 0.0)
        frontier.extend(child for child, parent in parents.items() if parent == pid)
    return total


def own_cpu_seconds(pid: int) -> float:
    """Used so far by `pid` alone (its children are servers with their own figures)."""
    stat = _stat(pid)
    return stat[1] if stat else 0.0
