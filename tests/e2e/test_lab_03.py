"""Lab 03 (background jobs) in the grading container: full marks for the solution, 0 for the
scaffold, and each wrong-but-plausible overlay loses exactly the part that covers its bug.

The overlays are in tests/submissions/03-background-jobs/ (see its README).
"""

import time

import pytest

from expectations import failing_messages, part_scores
from grader import grade
from grader._paths import SOLUTIONS_DIR

pytestmark = [pytest.mark.docker, pytest.mark.slow]
LAB = "03-background-jobs"
FULL = {"queue": 6, "crashes": 7, "concurrency": 4, "retries": 7, "outbox": 5}
ZERO = dict.fromkeys(FULL, 0)

OVERLAYS = {
    # overlay: the part it must lose points in, and what that part keeps
    "no-lease-expiry": ("crashes", 4),  # expired lease, SIGKILL (2 points)
    "no-sigterm-handler": ("crashes", 5),  # both SIGTERM tests
    "claim-without-locking": ("concurrency", 1),  # 200 jobs (2 points), concurrent claims
    "no-jitter": ("retries", 5),  # full jitter, the worker spreads its retries
    "retry-forever": ("retries", 5),  # dead letter, poison job
    "enqueue-outside-transaction": ("outbox", 4),  # the rolled-back order
    "non-idempotent-mail": ("outbox", 3),  # delivered twice, handler called twice
}


def test_the_solution_gets_full_marks():
    results = grade(lab=LAB, submission=SOLUTIONS_DIR / LAB, backend="docker")
    assert (results.status, part_scores(results)) == ("passed", FULL), failing_messages(results)


def test_the_untouched_scaffold_scores_zero_quickly():
    started = time.monotonic()
    results = grade(lab=LAB, backend="docker")
    assert (results.status, part_scores(results)) == ("failed", ZERO), failing_messages(results)
    assert all(t.status == "failed" for t in results.tests), failing_messages(results)
    assert time.monotonic() - started < 240  # every test fails at its first call; process starts dominate


@pytest.mark.parametrize("overlay", sorted(OVERLAYS))
def test_a_wrong_submission_loses_exactly_its_part(make_submission, overlay):
    part, kept = OVERLAYS[overlay]
    results = grade(lab=LAB, submission=make_submission(LAB, "solution", overlay), backend="docker")
    assert part_scores(results) == {**FULL, part: kept}, failing_messages(results)
