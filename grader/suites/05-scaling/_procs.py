"""What the suite sees of processes through /proc: CPU time per process, process trees - and
freezing learner processes while the reference is measured, so learner code can't slow it."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterable
from contextlib import contextmanager
from pathlib import Path

TICK_S = 1 / os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> tuple[int, float] | None:
    """(parent pid, CPU seconds used so far, all threads) of a live process."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return None
    if fields[0] in ("Z", "X"):
        return None
    return int(fields[1]), (int(fields[11]) + int(fields[12])) * TICK_S


def _processes() -> dict[int, tuple[int, float]]:
    table = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (stat := _stat(int(entry.name))) is not None:
            table[int(entry.name)] = stat
    return table


def tree(roots: Iterable[int]) -> set[int]:
    """The processes ``roots`` and all their descendants."""
    table = _processes()
    found, todo = set(), [pid for pid in roots if pid in table]
    while todo:
        pid = todo.pop()
        found.add(pid)
        todo.extend(child for child, (parent, _) in table.items() if parent == pid and child not in found)
    return found


def cpu_seconds(roots: Iterable[int]) -> dict[int, float]:
    """CPU seconds used so far by each process of the trees under ``roots``."""
    table = _processes()
    return {pid: table[pid][1] for pid in tree(roots) if pid in table}


def of_user(uid: int) -> set[int]:
    pids = set()
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and entry.stat().st_uid == uid:
                pids.add(int(entry.name))
        except OSError:
            pass
    return pids


@contextmanager
def frozen(pids: Iterable[int]):
    """SIGSTOP ``pids`` for the duration, SIGCONT them afterwards (whatever happens)."""
    stopped = []
    try:
        for pid in pids:
            try:
                os.kill(pid, signal.SIGSTOP)
                stopped.append(pid)
            except OSError:
                pass
        yield
    finally:
        for pid in stopped:
            try:
                os.kill(pid, signal.SIGCONT)
            except OSError:
                pass
