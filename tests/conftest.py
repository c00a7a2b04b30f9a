"""Shared fixtures for the project's own tests.

Tests marked ``docker`` need a Docker engine and build the grading image once per session.
Without Docker they are skipped with a reason, unless GRADER_REQUIRE_DOCKER=1 (CI), where
"Docker unavailable" is a failure instead.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from grader._paths import LABS_DIR, REPO_ROOT, SOLUTIONS_DIR

SUBMISSIONS = Path(__file__).parent / "submissions"
# Hostile submissions (conftest.py, pytest.ini...) and the demo hidden suites are data, not tests.
collect_ignore = ["submissions", "suites"]
REQUIRE_DOCKER = os.environ.get("GRADER_REQUIRE_DOCKER") == "1"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A test that uses the grading image is a Docker test, marked or not (``make fast`` skips them)."""
    for item in items:
        if "docker_image" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.docker)


def _docker_problem() -> str | None:
    from grader._backends.docker import docker_client
    from grader._errors import GraderError

    try:
        docker_client()
    except GraderError as exc:
        return str(exc)
    return None


@pytest.fixture(scope="session")
def docker_image() -> str:
    """The grading image's tag, built if needed (a no-op when it is up to date)."""
    problem = _docker_problem()
    if problem:
        if REQUIRE_DOCKER:
            pytest.fail(f"GRADER_REQUIRE_DOCKER=1 but {problem}")
        pytest.skip(f"needs Docker: {problem}")
    from grader._image import ensure_image

    return ensure_image()


@pytest.fixture
def make_submission(tmp_path):
    """Build a submission: a copy of ``base`` ("solution" or "scaffold") with an overlay on top.

    Overlays live in tests/submissions/<lab>/<name>/ and hold only the files they change.
    """

    def build(lab: str, base: str, overlay: str | None = None) -> Path:
        target = tmp_path / (overlay or base)
        source = {"solution": SOLUTIONS_DIR, "scaffold": LABS_DIR}[base] / lab
        shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__"))
        if overlay:
            shutil.copytree(SUBMISSIONS / lab / overlay, target, dirs_exist_ok=True)
        return target

    return build


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT
