"""The instructor's path in the README, as commands: stage two test students, autograde them
without Docker (the config override on nbgrader's command line), export the totals and the
lab's points part by part; `grader autograde --jobs 2` on the same submissions writes the same
gradebook."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest
from gradebooks import submissions

from grader import load_manifest
from grader._autograde import Outcome, autograde
from grader._course import COURSE_DIR, nbgrader
from grader._instructor import export_parts, stage_submission

pytestmark = pytest.mark.slow

LESSON, LAB = "00-welcome", "00-hello"
LOCAL = ("--SandboxedExecute.backend=local", "--LabGrades.backend=local")  # the README's no-Docker line


def read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_two_test_students_autograded_and_exported_part_by_part(tmp_path):
    course = tmp_path / "course"
    shutil.copytree(
        COURSE_DIR, course, ignore=shutil.ignore_patterns("release", "submitted", "autograded", "feedback", "*.db")
    )
    alice = stage_submission(student="alice", lesson=LESSON, course_dir=course)
    stage_submission(student="bob", lesson=LESSON, solved=False, course_dir=course)
    assert (alice / f"{LESSON}.ipynb").is_file() and (alice / "lab" / "app" / "pricing.py").is_file()
    (alice / "timestamp.txt").write_text("2026-12-01 10:00:00 UTC")
    parallel = shutil.copytree(course, tmp_path / "parallel")
    nbgrader(course, "autograde", LESSON, *LOCAL)
    nbgrader(course, "export")
    totals = {row["student_id"]: float(row["score"]) for row in read_csv(course / "grades.csv")}
    assert totals["alice"] > totals["bob"]
    parts = read_csv(export_parts(course_dir=course))
    manifest = load_manifest(LAB)
    assert {(r["student"], r["part"]): float(r["score"]) for r in parts} == {
        **{("alice", p.id): p.points for p in manifest.parts},
        **{("bob", p.id): 0.0 for p in manifest.parts},
    }
    assert {r["lesson"] for r in parts} == {LESSON} and {r["lab"] for r in parts} == {LAB}

    summary = autograde(assignment=LESSON, jobs=2, backend="local", course_dir=parallel)
    assert [(s.student, s.outcome) for s in summary.students] == [("alice", Outcome.GRADED), ("bob", Outcome.GRADED)], [
        s.message for s in summary.students
    ]
    assert submissions(parallel / "gradebook.db", LESSON) == submissions(course / "gradebook.db", LESSON)
    assert (parallel / "autograded" / "bob" / LESSON / f"{LESSON}.ipynb").is_file()
    again = autograde(assignment=LESSON, jobs=2, backend="local", course_dir=parallel, students=["bob"])
    assert [(s.student, s.outcome, s.score) for s in again.students] == [("bob", Outcome.UNCHANGED, 0.0)]
