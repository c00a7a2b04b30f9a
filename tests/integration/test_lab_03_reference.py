"""Lab 03's throughput test compares the learner's workers with a copy of the model solution
kept inside the hidden suite (the suite folder is all the grading container gets): keep them equal."""

import filecmp

from grader._paths import SOLUTIONS_DIR
from grader._manifest import load_manifest


def test_the_reference_copy_is_the_model_solution():
    reference = load_manifest("03-background-jobs").suite_dir / "_reference" / "app"
    solution = SOLUTIONS_DIR / "03-background-jobs" / "app"
    names = sorted(p.name for p in solution.glob("*.py"))
    assert names == sorted(p.name for p in reference.glob("*.py"))
    match, mismatch, errors = filecmp.cmpfiles(solution, reference, names, shallow=False)
    assert not mismatch and not errors, f"copy solutions/03-background-jobs/app to {reference}: {mismatch + errors} differ"
