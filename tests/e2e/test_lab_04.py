"""Lab 04 (idempotency) graded in the container: the solution, the scaffold, and the wrong-but-plausible
submissions in tests/submissions/04-idempotency/ (see its README), each losing the part that covers its bug.
"""

import time

import pytest

from expectations import failing_messages, part_scores
from grader import grade
from grader._paths import SOLUTIONS_DIR

pytestmark = pytest.mark.docker

LAB = "04-idempotency"
FULL = {"validation": 4, "replay": 6, "fingerprint": 4, "scope": 3, "concurrency": 3, "recovery": 4}
ZERO = dict.fromkeys(FULL, 0)

OVERLAYS = {
    # check, call the provider, insert key and response at the end - no unique constraint: concurrent
    # twins all pass the check. Its downstream key is derived from (client, key) alone, so after the
    # key expires the provider answers with the old charge: it loses the expiry test too.
    "check-then-insert": {**FULL, "concurrency": 1, "replay": 5},
    # a key reused with another payload replays the first payment
    "no-fingerprint": {**FULL, "fingerprint": 1},
    # unique on the key alone: clients meet each other's payments
    "unscoped-key": {**FULL, "scope": 1},
    # a declined card is not stored: the retry asks the provider again
    "errors-not-stored": {**FULL, "replay": 5},
    # a fresh provider key per attempt: a lost answer or a crash means a second charge
    "random-downstream-key": {**FULL, "recovery": 1},
}


def test_the_solution_gets_full_marks():
    results = grade(lab=LAB, submission=SOLUTIONS_DIR / LAB, backend="docker")
    assert (results.status, part_scores(results)) == ("passed", FULL), failing_messages(results)
    assert results.duration_s < 180  # about 40 s on a quiet machine; the manifest allows 240


def test_the_untouched_scaffold_scores_zero_quickly():
    started = time.monotonic()
    results = grade(lab=LAB, backend="docker")
    assert (results.status, part_scores(results)) == ("failed", ZERO)
    assert all(t.status == "failed" for t in results.tests), failing_messages(results)
    assert time.monotonic() - started < 90
    assert any("TODO" in m for m in failing_messages(results)), "the scaffold's failures should point at its TODOs"


@pytest.mark.parametrize("overlay", sorted(OVERLAYS))
def test_each_wrong_submission_loses_its_part(make_submission, overlay):
    results = grade(lab=LAB, submission=make_submission(LAB, "solution", overlay), backend="docker")
    assert (results.status, part_scores(results)) == ("failed", OVERLAYS[overlay]), failing_messages(results)
