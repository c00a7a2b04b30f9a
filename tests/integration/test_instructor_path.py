"""The instructor's path in the README, as its commands: stage two test students, autograde them
without Docker (the config override on nbgrader's command line), export the totals and the lab's
points part by part; `grader autograde --jobs 2` on the same submissions writes the same
gradebook. Each command is a line of the README's block, run on a copy of the course."""

from __future__ import annotations

import csv
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from gradebooks import submissions

from grader import load_manifest
from grader._autograde import Outcome, autograde
from grader._course import COURSE_DIR, nbgrader
from grader._paths import REPO_ROOT

pytestmark = pytest.mark.slow

LESSON, LAB = "00-welcome", "00-hello"
LOCAL = "--SandboxedExecute.backend=local --LabGrades.backend=local"  # the README's no-Docker line
STAGE_ALICE = f"grader stage-submission alice {LESSON}"
STAGE_BOB = f"grader stage-submission bob {LESSON} --untouched"
AUTOGRADE = f"nbgrader autograde {LESSON}"
EXPORT = "nbgrader export"
EXPORT_PARTS = "grader export-parts"
PARALLEL = f"grader autograde {LESSON} --jobs 2"


def read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def grader_command(line: str, course: Path, *extra: str) -> str:
    """Run a README line ``grader ...`` on the course copy; its standard output."""
    command = [sys.executable, "-m", "grader", *line.split()[1:], "--course-dir", str(course), *extra]
    done = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"{line}: exit {done.returncode}\n{done.stdout}\n{done.stderr}"
    return done.stdout


def test_the_readme_shows_these_commands():
    readme = (REPO_ROOT / "README.md").read_text()
    for line in (STAGE_ALICE, STAGE_BOB, AUTOGRADE, EXPORT, EXPORT_PARTS, PARALLEL, LOCAL):
        assert line in readme, f"README.md no longer shows {line!r}: change this test with it"


def test_two_test_students_autograded_and_exported_part_by_part(tmp_path):
    course = tmp_path / "course"
    shutil.copytree(
        COURSE_DIR, course, ignore=shutil.ignore_patterns("release", "submitted", "autograded", "feedback", "*.db")
    )
    alice = Path(grader_command(STAGE_ALICE, course).strip())
    grader_command(STAGE_BOB, course)
    assert alice == course / "submitted" / "alice" / LESSON
    assert (alice / f"{LESSON}.ipynb").is_file() and (alice / "lab" / "app" / "pricing.py").is_file()
    (alice / "timestamp.txt").write_text("2026-12-01 10:00:00 UTC")
    parallel = shutil.copytree(course, tmp_path / "parallel")
    nbgrader(course, *AUTOGRADE.split()[1:], *LOCAL.split())
    nbgrader(course, *EXPORT.split()[1:])
    totals = {row["student_id"]: float(row["score"]) for row in read_csv(course / "grades.csv")}
    assert totals["alice"] > totals["bob"]
    parts = read_csv(Path(grader_command(EXPORT_PARTS, course).strip()))
    manifest = load_manifest(LAB)
    assert {(r["student"], r["part"]): float(r["score"]) for r in parts} == {
        **{("alice", p.id): p.points for p in manifest.parts},
        **{("bob", p.id): 0.0 for p in manifest.parts},
    }
    assert {r["lesson"] for r in parts} == {LESSON} and {r["lab"] for r in parts} == {LAB}

    said = grader_command(PARALLEL, parallel, "--backend", "local")
    assert "2 students - 2 autograded" in said and "0 could not be graded" in said, said
    assert submissions(parallel / "gradebook.db", LESSON) == submissions(course / "gradebook.db", LESSON)
    assert (parallel / "autograded" / "bob" / LESSON / f"{LESSON}.ipynb").is_file()
    again = autograde(assignment=LESSON, jobs=2, backend="local", course_dir=parallel, students=["bob"])
    assert [(s.student, s.outcome, s.score) for s in again.students] == [("bob", Outcome.UNCHANGED, 0.0)]
