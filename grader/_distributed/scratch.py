"""Each pool process's temporary files in a folder of its own, so that a process killed
mid-grading (SIGKILL, out of memory) leaves nothing behind for long: its folder is removed by the
next grading on that host, or when a worker starts or stops.

``<tmp>/duckshop-grader-worker/<pid>/`` holds everything ``tempfile`` makes in pool process
``pid`` - the unpacked submission, its staged copy, the container's results folder.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

NAME = "duckshop-grader-worker"
_base: Path | None = None


def base() -> Path:
    """The folder of the pool processes' folders, in the temporary folder this process started
    with (a pool process inherits it, not its own folder)."""
    global _base
    if _base is None:
        _base = Path(tempfile.gettempdir()) / NAME
    return _base


def use_own_folder() -> None:
    """From now on, this process's temporary files go to its own folder."""
    folder = base() / str(os.getpid())
    base().mkdir(mode=0o700, exist_ok=True)
    folder.mkdir(mode=0o700, exist_ok=True)
    tempfile.tempdir = str(folder)


def remove_dead_folders() -> int:
    """Remove the folders of pool processes that are gone; how many."""
    removed = 0
    try:
        folders = list(base().iterdir()) if base().is_dir() else []
    except OSError:
        return 0
    for folder in folders:
        if folder.name.isdigit() and not _alive(int(folder.name)):
            shutil.rmtree(folder, ignore_errors=True)
            removed += 1
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
