"""Grading a class: `grader batch` at several -j, beside `nbgrader autograde`, in one run.

A script, not a test (`make bench`): it prints a throughput table. The class is N submissions of
Lab 00 (default 50): a third the solution, a third the scaffold, a third the solution with
quote_total unfinished, each with a note naming its student so that no two are byte-identical.

- `grader batch 00-hello CLASS -j J` grades the labs only, each in its own container.
- `nbgrader autograde 00-welcome` grades what an instructor's gradebook holds: it runs each
  student's lesson notebook (its exercises; the model answers for two students in three, the
  release as it is for the others) and, through LabGrades, the same lab in a container.
- `grader autograde 00-welcome --jobs J` does the same with nbgrader, J students at a time, on a
  copy of the same course and submissions; its gradebook must equal plain nbgrader's, and its
  row shows its throughput as a multiple of nbgrader's.
- A re-run of the batch with nothing changed shows what the content-hash cache saves.

    python tests/bench/bench_batch.py [--students 50] [--jobs 1,2,4] [--autograde-jobs 2,4]
                                      [--no-batch] [--no-nbgrader]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from rich.console import Console
from rich.table import Table

from grader import BatchSummary, batch
from grader._autograde import Outcome, autograde
from grader._course import COURSE_DIR, nbgrader, release_assignment
from grader._paths import LABS_DIR, SOLUTIONS_DIR

sys.path.insert(0, str(Path(__file__).parents[1]))  # tests/, for gradebooks
from gradebooks import submissions

LAB, LESSON = "00-hello", "00-welcome"
SKIP = shutil.ignore_patterns("__pycache__", "release", "submitted", "autograded", "feedback", "gradebook.db")


def make_lab(target: Path, student: int) -> None:
    kind = student % 3
    shutil.copytree(
        (SOLUTIONS_DIR if kind != 1 else LABS_DIR) / LAB, target, ignore=shutil.ignore_patterns("__pycache__")
    )
    if kind == 2:
        shutil.copy(LABS_DIR / LAB / "app" / "pricing.py", target / "app" / "pricing.py")
    (target / "NOTE.txt").write_text(f"student {student}\n")


def timed(step) -> float:
    started = time.perf_counter()
    step()
    return time.perf_counter() - started


def bench_batch(work: Path, students: int, jobs: list[int]) -> list[tuple[str, float]]:
    klass = work / "class"
    for student in range(students):
        make_lab(klass / f"s{student:03}", student)
    rows = []
    for j in jobs:
        out = work / f"grades-j{j}"
        summary: BatchSummary | None = None

        def run(out: Path = out, j: int = j) -> None:
            nonlocal summary
            summary = batch(lab=LAB, submissions=klass, out=out, jobs=j, backend="docker")

        rows.append((f"grader batch -j {j}", timed(run)))
        assert summary is not None and summary.graded == students and summary.errors == 0, summary
    rerun = timed(
        lambda: batch(lab=LAB, submissions=klass, out=work / f"grades-j{jobs[-1]}", jobs=jobs[-1], backend="docker")
    )
    rows.append((f"grader batch -j {jobs[-1]}, re-run, nothing changed", rerun))
    return rows


def bench_nbgrader(work: Path, students: int, jobs: list[int]) -> list[tuple[str, float]]:
    """Plain nbgrader autograde, then grader autograde at each of ``jobs``, each on its own copy of one class."""
    course = work / "course"
    shutil.copytree(COURSE_DIR, course, ignore=SKIP)
    released = release_assignment(course_dir=course, assignment=LESSON)
    release = nbformat.read(released / f"{LESSON}.ipynb", as_version=4)
    solved = nbformat.read(course / "source" / LESSON / f"{LESSON}.ipynb", as_version=4)  # the model answers
    for student in range(students):
        folder = course / "submitted" / f"s{student:03}" / LESSON
        make_lab(folder / "lab", student)
        nbformat.write(release if student % 3 == 1 else solved, folder / f"{LESSON}.ipynb")
    copies = {j: shutil.copytree(course, work / f"course-j{j}") for j in jobs}
    rows = [("nbgrader autograde (notebook + lab)", timed(lambda: nbgrader(course, "autograde", LESSON)))]
    expected = submissions(course / "gradebook.db", LESSON)
    assert len(expected) == students, f"nbgrader autograded {len(expected)} of {students}"
    for j, copy in copies.items():

        def run(copy: Path = copy, j: int = j) -> None:
            summary = autograde(assignment=LESSON, jobs=j, course_dir=copy)
            assert summary.count(Outcome.GRADED) == students, summary

        rows.append((f"grader autograde --jobs {j} (notebook + lab)", timed(run)))
        assert submissions(copy / "gradebook.db", LESSON) == expected, f"--jobs {j}: not nbgrader's gradebook"
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=50)
    parser.add_argument("--jobs", default="1,2,4", help="grader batch's -j")
    parser.add_argument("--autograde-jobs", default="2,4", help="grader autograde's --jobs")
    parser.add_argument("--no-batch", action="store_true", help="skip grader batch")
    parser.add_argument("--no-nbgrader", action="store_true", help="skip nbgrader and grader autograde (the slow rows)")
    args = parser.parse_args()
    jobs = [int(j) for j in args.jobs.split(",")]
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-batch-") as tmp:
        if not args.no_batch:
            rows += bench_batch(Path(tmp), args.students, jobs)
        if not args.no_nbgrader:
            rows += bench_nbgrader(Path(tmp), args.students, [int(j) for j in args.autograde_jobs.split(",")])
    table = Table(title=f"Grading a class of {args.students} Lab 00 submissions (Docker; one run, same machine)")
    for column in ("how", "wall s", "s per submission", "submissions / min", "x nbgrader"):
        table.add_column(column, justify="left" if column == "how" else "right")
    nbgrader_wall = next((wall for how, wall in rows if how.startswith("nbgrader autograde")), None)
    for how, wall in rows:
        ratio = f"{nbgrader_wall / wall:.2f}" if nbgrader_wall and "autograde" in how else ""
        table.add_row(how, f"{wall:.1f}", f"{wall / args.students:.2f}", f"{60 * args.students / wall:.0f}", ratio)
    Console(width=120).print(table)  # one line per row, in a log too


if __name__ == "__main__":
    main()
