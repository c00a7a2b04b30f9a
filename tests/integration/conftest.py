"""Fixtures shared by the integration tests."""

from __future__ import annotations

import fcntl
import os
import shutil
from pathlib import Path

import pytest

from grader._course import COURSE_DIR, release


@pytest.fixture(scope="session")
def student_edition(tmp_path_factory) -> tuple[Path, Path]:
    """``make release`` on a copy of the course, once per run (it takes most of a minute): the
    copied course folder and the student edition's archive. Under pytest-xdist (``make check``)
    the workers share one build, made by the first to ask while the others wait on a lock; the
    tests only read it."""
    shared = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        shared = shared.parent  # the run's folder, above each worker's own
    root = shared / "student-edition"
    course, done = root / "course", root / "done"
    with open(shared / "student-edition.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not done.exists():
            shutil.rmtree(root, ignore_errors=True)  # what a worker that failed half-way left
            shutil.copytree(
                COURSE_DIR, course, ignore=shutil.ignore_patterns("release", "submitted", "autograded", "gradebook.db")
            )
            archive = release(course_dir=course, out=root / "out")
            done.write_text(str(archive))
    return course, Path(done.read_text())
