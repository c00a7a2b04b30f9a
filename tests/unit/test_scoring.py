from pathlib import Path

from grader import Limits, Manifest, Part, TestSpec
from grader._scoring import SandboxRun, score

MANIFEST = Manifest(
    id="demo",
    title="Demo",
    lesson="",
    suite_dir=Path("."),
    limits=Limits(timeout_s=10),
    parts=(
        Part("a", "Part A", (TestSpec("test_a.py::test_1", "hint 1"), TestSpec("test_a.py::test_2", "hint 2", 2))),
        Part("b", "Part B", (TestSpec("test_b.py::test_3", "hint 3"),)),
    ),
)


def record(nodeid, outcome="passed", message=""):
    return {"nodeid": nodeid, "outcome": outcome, "message": message, "output": "", "duration_s": 0.1}


FINISHED = {"event": "finished", "exitstatus": 0, "records_lost": 0}


def collected(*nodeids):
    return {"event": "collected", "nodeids": list(nodeids)}


ALL = collected("test_a.py::test_1", "test_a.py::test_2", "test_b.py::test_3")


def grade(*records, problem=""):
    return score(MANIFEST, SandboxRun(records=list(records), problem=problem), backend="local", duration_s=1.0)


def test_all_passed_is_full_marks():
    results = grade(
        record("test_a.py::test_1"), record("test_a.py::test_2"), record("test_b.py::test_3"), ALL, FINISHED
    )
    assert (results.score, results.max_score, results.status, results.exit_code) == (4, 4, "passed", 0)
    assert [(p.id, p.score) for p in results.parts] == [("a", 3), ("b", 1)]


def test_a_failure_loses_only_its_points_and_carries_its_hint():
    results = grade(
        record("test_a.py::test_1"),
        record("test_a.py::test_2", "failed", "expected 200, got 501"),
        record("test_b.py::test_3"),
        ALL,
        FINISHED,
    )
    assert (results.score, results.status, results.exit_code) == (2, "failed", 1)
    failed = results.tests[1]
    assert (failed.status, failed.message, failed.hint, failed.score) == (
        "failed",
        "expected 200, got 501",
        "hint 2",
        0,
    )


def test_a_skipped_test_counts_as_failed():
    results = grade(record("test_a.py::test_1", "skipped", "skipped (no reason)"), ALL, FINISHED)
    assert results.tests[0].status == "failed" and results.tests[0].score == 0
    assert "counts as failed" in results.tests[0].message


PARAMETRISED = collected("test_a.py::test_1[x]", "test_a.py::test_1[y]", "test_a.py::test_2", "test_b.py::test_3")


def test_every_parametrisation_must_pass():
    results = grade(
        record("test_a.py::test_1[x]"), record("test_a.py::test_1[y]", "failed", "case y"), PARAMETRISED, FINISHED
    )
    assert results.tests[0].score == 0 and results.tests[0].message == "case y"
    results = grade(record("test_a.py::test_1[x]"), record("test_a.py::test_1[y]"), PARAMETRISED, FINISHED)
    assert results.tests[0].score == 1


def test_every_collected_case_must_have_run_and_passed():
    results = grade(record("test_a.py::test_1[x]"), PARAMETRISED, FINISHED)
    assert (results.tests[0].score, results.tests[0].status) == (0, "error")
    assert results.tests[0].message.startswith("1 of 2 cases did not run")


def test_a_run_that_did_not_finish_is_no_grade():
    for ending in ([ALL], [FINISHED], [ALL, {"event": "deadline", "deadline_s": 10}]):
        results = grade(record("test_a.py::test_1"), record("test_a.py::test_2"), record("test_b.py::test_3"), *ending)
        assert (results.status, results.score, results.exit_code) == ("error", 0, 2), ending
        assert [t.status for t in results.tests] == ["passed", "passed", "passed"], "kept for the record"
    results = grade(ALL, {**FINISHED, "records_lost": 2})
    assert (results.status, results.message) == ("error", "2 test records could not be written (is the disk full?)")


def test_test_groups_each_collect_and_finish_before_a_grade():
    """Test groups run in their own pytest processes: each says what it collected and that it finished."""
    runs = {"event": "runs", "count": 2}
    first = [collected("test_a.py::test_1", "test_a.py::test_2"), {**FINISHED, "group": 0}]
    second = [{**collected("test_b.py::test_3"), "group": 1}, {**FINISHED, "group": 1}]
    passed = [record("test_a.py::test_1"), record("test_a.py::test_2"), record("test_b.py::test_3")]
    assert grade(runs, *first, *second, *passed).status == "passed"
    unfinished = grade(runs, *first, second[0], *passed)
    assert (unfinished.status, unfinished.score) == ("error", 0), "one group still running: no grade"
    cut_short = grade(runs, *first, *second, *passed[:2])
    assert (cut_short.tests[2].status, cut_short.score) == ("error", 3), "a test the second group collected"
    lost = grade(runs, *first, {**second[0]}, {**second[1], "records_lost": 1}, *passed)
    assert lost.message == "1 test records could not be written (is the disk full?)"


def test_a_learner_process_killed_for_memory_still_leaves_a_grade():
    results = grade(
        record("test_a.py::test_1", "failed", "killed (SIGKILL)"),
        record("test_a.py::test_2"),
        record("test_b.py::test_3"),
        ALL,
        FINISHED,
        problem="the sandbox ran out of memory (512 MB)",
    )
    assert (results.status, results.score) == ("failed", 3)


def test_tests_without_records_score_zero_with_a_reason():
    results = grade(record("test_a.py::test_1"), {"event": "deadline", "deadline_s": 10})
    assert results.tests[1].status == "error"
    assert results.tests[1].message == "not run: the hidden suite hit its 10 s time limit"
    results = grade(record("test_a.py::test_1"))
    assert results.tests[2].message == "not run: the grading sandbox stopped before this test"


def test_a_collection_error_fails_the_tests_of_its_file():
    results = grade(
        {
            "nodeid": "test_b.py",
            "outcome": "error",
            "message": "could not collect: ImportError",
            "output": "trace",
            "duration_s": 0,
        },
        record("test_a.py::test_1"),
        collected("test_a.py::test_1", "test_a.py::test_2"),
        FINISHED,
    )
    assert (results.tests[2].status, results.tests[2].message) == ("error", "could not collect: ImportError")


def test_a_sandbox_that_never_ran_a_test_is_an_error():
    results = grade(problem="the sandbox ran out of memory (512 MB)")
    assert (results.status, results.message, results.exit_code) == (
        "error",
        "the sandbox ran out of memory (512 MB)",
        2,
    )
    assert results.max_score == 4 and len(results.tests) == 3


def test_one_shared_failure_becomes_the_summary():
    failing = [
        record(n, "error", "your app could not start: SyntaxError")
        for n in ("test_a.py::test_1", "test_a.py::test_2", "test_b.py::test_3")
    ]
    assert grade(*failing, ALL, FINISHED).message == "0 of 3 tests passed: your app could not start: SyntaxError"
