"""Fixtures shared by the integration tests."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from grader._course import COURSE_DIR, release


@pytest.fixture(scope="session")
def student_edition(tmp_path_factory) -> tuple[Path, Path]:
    """``make release`` on a copy of the course, once per session (it takes most of a minute):
    the copied course folder and the student edition's archive."""
    course = tmp_path_factory.mktemp("release") / "course"
    shutil.copytree(
        COURSE_DIR, course, ignore=shutil.ignore_patterns("release", "submitted", "autograded", "gradebook.db")
    )
    return course, release(course_dir=course, out=course.parent / "out")
