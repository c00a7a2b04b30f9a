"""Lab 02 (APIs) graded in Docker: the solution, the scaffold, and each wrong-but-plausible overlay.

The overlays are in tests/submissions/02-apis/ (see its README). They are graded three at a
time to keep this file's Docker time down.
"""

import shutil
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from expectations import failing_messages, part_scores
from grader import grade
from grader._paths import SOLUTIONS_DIR

pytestmark = pytest.mark.docker
LAB = "02-apis"
SUBMISSIONS = Path(__file__).parents[1] / "submissions"
FULL = {"http": 6, "listing": 6, "conditional": 5, "auth": 5, "authz": 5, "contract": 3}
ZERO = dict.fromkeys(FULL, 0)
OVERLAYS = {
    "errors-plain-json": {**FULL, "http": 3},
    "offset-pagination": {**FULL, "listing": 5},
    "sql-injection": {**FULL, "listing": 5},
    "etag-ignored": {**FULL, "conditional": 1},
    "unsalted-hash": {**FULL, "auth": 4},
    "idor": {**FULL, "authz": 4},
    "mass-assignment": {**FULL, "authz": 4},
}


def test_the_solution_gets_full_marks():
    results = grade(lab=LAB, submission=SOLUTIONS_DIR / LAB, backend="docker")
    assert (results.status, part_scores(results)) == ("passed", FULL), failing_messages(results)


def test_the_untouched_scaffold_scores_zero_quickly():
    started = time.monotonic()
    results = grade(lab=LAB, backend="docker")
    assert (results.status, part_scores(results)) == ("failed", ZERO)
    assert all(t.status == "failed" for t in results.tests), failing_messages(results)
    assert time.monotonic() - started < 90


@pytest.fixture(scope="module")
def overlay_results(docker_image, tmp_path_factory):
    """Every overlay laid on a copy of the solution, graded three at a time."""

    def run(name):
        target = tmp_path_factory.mktemp(name)
        shutil.copytree(SOLUTIONS_DIR / LAB, target, dirs_exist_ok=True, ignore=shutil.ignore_patterns("__pycache__"))
        shutil.copytree(SUBMISSIONS / LAB / name, target, dirs_exist_ok=True)
        return name, grade(lab=LAB, submission=target, backend="docker")

    with ThreadPoolExecutor(max_workers=3) as pool:
        return dict(pool.map(run, sorted(OVERLAYS)))


@pytest.mark.parametrize("overlay", sorted(OVERLAYS))
def test_each_overlay_loses_exactly_its_part(overlay_results, overlay):
    results = overlay_results[overlay]
    assert (results.status, part_scores(results)) == ("failed", OVERLAYS[overlay]), failing_messages(results)
