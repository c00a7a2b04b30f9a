"""Lab 01 (databases) graded in the container: the solution, the scaffold, and the
wrong-but-plausible submissions of tests/submissions/01-databases/ (see its README).

Each overlay changes one module, so it is graded with the test files that exercise that module
(a copy of the suite with a filtered manifest): that keeps this file within a few minutes of
Docker time. The overlay must lose exactly the points its bug should cost there, and keep the
rest. The solution and the scaffold are graded with the whole suite.
"""

import json
import shutil
import time

import pytest

from expectations import failing_messages, part_scores
from grader import grade, load_manifest
from grader._paths import SOLUTIONS_DIR

pytestmark = pytest.mark.docker

LAB = "01-databases"
FULL = {"constraints": 5, "orders": 5, "concurrency": 5, "history": 6, "reports": 4, "migrations": 3, "bulk": 2}
ZERO = dict.fromkeys(FULL, 0)

OVERLAYS = {
    # overlay: (test files that exercise what it changes, the part scores it must get there)
    "bad-check-then-write": (["test_orders.py", "test_concurrency.py"], {"orders": 5, "concurrency": 0}),
    "bad-no-transaction": (["test_orders.py", "test_concurrency.py"], {"orders": 3, "concurrency": 5}),
    "bad-n-plus-one": (["test_history.py"], {"history": 5}),
    "bad-offset-pagination": (["test_history.py"], {"history": 5}),
    "bad-python-report": (["test_reports.py"], {"reports": 3}),
    "bad-per-row-bulk": (["test_bulk.py"], {"bulk": 1}),
    "bad-no-index": (["test_constraints.py", "test_history.py", "test_migrations.py"],
                     {"constraints": 5, "history": 5, "migrations": 3}),
}


def _toml(value) -> str:
    return json.dumps(value)  # strings, numbers and booleans: JSON spells them as TOML does


def suite_with(files: list[str], target):
    """A copy of the hidden suite that runs only ``files`` (and lists only their tests)."""
    manifest = load_manifest(LAB)
    suite = target / LAB
    shutil.copytree(manifest.suite_dir, suite, ignore=shutil.ignore_patterns("__pycache__", "test_*.py"))
    for name in files:
        shutil.copy(manifest.suite_dir / name, suite / name)
    lines = [f"title = {_toml(manifest.title)}", f"lesson = {_toml(manifest.lesson)}", "",
             "[learner]", f"services = {_toml(list(manifest.services))}", "", "[limits]"]
    limits = manifest.limits
    lines += [f"{field} = {_toml(getattr(limits, field))}" for field in limits.__dataclass_fields__]
    for part in manifest.parts:
        tests = [t for t in part.tests if t.name.split("::")[0] in files]
        if tests:
            lines += ["", "[[parts]]", f"id = {_toml(part.id)}", f"title = {_toml(part.title)}"]
            for test in tests:
                lines += ["[[parts.tests]]", f"name = {_toml(test.name)}", f"points = {_toml(test.points)}",
                          f"hint = {_toml(test.hint)}"]
    (suite / "manifest.toml").write_text("\n".join(lines) + "\n")
    return target


def test_the_solution_gets_full_marks_in_a_container():
    results = grade(lab=LAB, submission=SOLUTIONS_DIR / LAB, backend="docker")
    assert (results.status, part_scores(results)) == ("passed", FULL), failing_messages(results)


def test_the_untouched_scaffold_scores_zero_quickly_in_a_container():
    started = time.monotonic()
    results = grade(lab=LAB, backend="docker")
    assert (results.status, part_scores(results)) == ("failed", ZERO), failing_messages(results)
    assert all(t.status == "failed" for t in results.tests), failing_messages(results)
    assert time.monotonic() - started < 90


@pytest.mark.parametrize("overlay", sorted(OVERLAYS))
def test_each_wrong_submission_loses_exactly_its_part(make_submission, overlay, tmp_path):
    files, expected = OVERLAYS[overlay]
    results = grade(lab=LAB, submission=make_submission(LAB, "solution", overlay), backend="docker",
                    suites_dir=suite_with(files, tmp_path / "suites"))
    assert (results.status, part_scores(results)) == ("failed", expected), failing_messages(results)
