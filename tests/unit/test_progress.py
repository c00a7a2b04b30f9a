"""Live progress from the runner's records, and the learner's grading history."""

import json
from pathlib import Path

from rich.console import Console

from grader import Limits, Manifest, Part, TestSpec
from grader._history import load, record, summarise
from grader._progress import Tracker, follow_records
from grader._report import print_progress, terminal_progress
from grader._results import PartResult, Results

MANIFEST = Manifest(
    id="00-hello",
    title="Demo",
    lesson="",
    suite_dir=Path("."),
    limits=Limits(),
    parts=(
        Part("a", "Part A", (TestSpec("test_a.py::test_1", "h"), TestSpec("test_a.py::test_2", "h"))),
        Part("b", "Part B", (TestSpec("test_b.py::test_3", "h"),)),
    ),
)


def test_a_test_is_done_once_every_collected_case_has_a_record():
    events = []
    tracker = Tracker(MANIFEST, events.append)
    tracker.feed({"event": "collected", "nodeids": ["test_a.py::test_1[x]", "test_a.py::test_1[y]",
                                                    "test_a.py::test_2", "test_b.py::test_3"]})  # fmt: skip
    tracker.feed({"nodeid": "test_a.py::test_1[x]", "outcome": "passed"})
    assert [e.done for e in events] == [0], "one case of two is not a finished test"
    tracker.feed({"nodeid": "test_a.py::test_1[y]", "outcome": "failed"})
    tracker.feed({"nodeid": "test_a.py::test_2", "outcome": "passed"})
    tracker.feed({"nodeid": "test_b.py::test_3", "outcome": "passed"})
    assert [(e.done, e.total, e.part, e.passed) for e in events] == [
        (0, 3, "", None),
        (1, 3, "a", False),
        (2, 3, "a", True),
        (3, 3, "b", True),
    ]
    assert (events[2].part_done, events[2].part_total, events[2].part_passed) == (2, 2, 1)


def test_each_test_groups_collection_counts():
    events = []
    tracker = Tracker(MANIFEST, events.append)
    tracker.feed({"event": "collected", "group": 0, "nodeids": ["test_a.py::test_1[x]", "test_a.py::test_1[y]"]})
    tracker.feed({"event": "collected", "group": 1, "nodeids": ["test_a.py::test_2", "test_b.py::test_3"]})
    for nodeid in ("test_a.py::test_1[x]", "test_b.py::test_3", "test_a.py::test_1[y]"):
        tracker.feed({"nodeid": nodeid, "outcome": "passed"})
    assert [(e.done, e.test) for e in events] == [(0, ""), (1, "test_b.py::test_3"), (2, "test_a.py::test_1")]


def test_a_display_that_fails_never_stops_the_grading():
    def broken(event):
        raise RuntimeError("the notebook went away")

    Tracker(MANIFEST, broken).feed({"nodeid": "test_b.py::test_3", "outcome": "passed"})


def test_records_are_followed_as_they_are_written(tmp_path):
    path, seen = tmp_path / "records.jsonl", []
    with follow_records(path, seen.append):
        path.write_text(json.dumps({"nodeid": "a"}) + "\n" + '{"nodeid": "b"')  # a torn last line
        with open(path, "a") as f:
            f.write("}\n")
    assert seen == [{"nodeid": "a"}, {"nodeid": "b"}]


def test_without_a_terminal_each_part_gets_one_line():
    console = Console(file=__import__("io").StringIO(), force_terminal=False, width=120)
    with terminal_progress("00-hello", console=console) as progress:
        tracker = Tracker(MANIFEST, progress)
        for nodeid in ("test_a.py::test_1", "test_a.py::test_2", "test_b.py::test_3"):
            tracker.feed({"nodeid": nodeid, "outcome": "passed" if nodeid != "test_a.py::test_2" else "failed"})
    assert console.file.getvalue().splitlines() == [
        "00-hello: a: 1 of 2 tests passed",
        "00-hello: b: 1 of 1 tests passed",
    ]


def results(score_a, score_b, partial=False):
    parts = (PartResult("health", "Health", score_a, 3), PartResult("pricing", "Pricing", score_b, 6))
    if partial:
        parts = parts[1:]
    return Results(
        lab="00-hello", score=sum(p.score for p in parts), max_score=sum(p.max_score for p in parts),
        status="failed", backend="local", duration_s=1, parts=parts, partial=partial,
    )  # fmt: skip


def test_history_keeps_best_and_latest_per_part(tmp_path):
    path = tmp_path / "history.jsonl"
    record(results(3, 2), path=path)
    record(results(1, 6, partial=True), path=path)
    record(results(0, 4), path=path)
    record(results(3, 6), submission=tmp_path, path=path)  # another folder's grade is not the learner's
    (summary,) = summarise(load(path))
    assert (summary.attempts, summary.best, summary.latest, summary.totals) == (
        3,
        {"health": 3, "pricing": 6},
        {"health": 0, "pricing": 4},
        [5, 4],
    )
    out = Console(file=__import__("io").StringIO(), width=120)
    print_progress([summary], console=out)
    shown = out.file.getvalue()
    assert "3 / 3" in shown and "2 whole-lab attempts" in shown
